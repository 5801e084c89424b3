import { createRequire } from 'node:module';
import type { Config } from '../config.js';
import type { App } from './app.js';
import type { Metrics } from './probes.js';
import { HEALTH_PATH, METRICS_PATH, READY_PATH } from './probes.js';

declare module 'fastify' {
  interface FastifyRequest {
    /** The envelope code of the answer (read from the body as it is sent), for the log line and metrics. */
    resultCode: number | undefined;
  }
}

/*
 * One log line per request, at info, in place of Fastify's two (incoming, completed):
 *   {"level":30,"time":…,"requestId":"QWERTYUI","method":"GET","route":"/apiOpen/v1/task/getTasks",
 *    "status":200,"code":200,"ms":3.1,"appKey":"…","msg":"request"}
 * No headers, no body, no secret: the appKey names the key, the signature and secret never appear.
 * JSON, or pino-pretty's lines when LOG_FORMAT=pretty (or auto and stdout is a terminal).
 */

function prettyAvailable(): boolean {
  try {
    createRequire(import.meta.url).resolve('pino-pretty');
    return true;
  } catch {
    return false;
  }
}

/** pino options from the settings. */
export function loggerOptions(config: Config): Record<string, unknown> {
  const pretty = config.logFormat === 'pretty' || (config.logFormat === 'auto' && process.stdout.isTTY === true);
  return {
    level: config.logLevel,
    // No pid or hostname on every line: the process manager knows them.
    base: undefined,
    // The default request serializer logs no headers; should anyone log them, secrets stay out.
    redact: ['req.headers.appsecret', 'req.headers.tenantsign', 'req.headers.signature'],
    ...(pretty && prettyAvailable()
      ? {
          transport: {
            target: 'pino-pretty',
            options: { translateTime: 'SYS:HH:MM:ss.l', ignore: 'pid,hostname', singleLine: true },
          },
        }
      : {}),
  };
}

const QUIET_PATHS = new Set([HEALTH_PATH, READY_PATH, METRICS_PATH]);

/** Envelopes are serialized with `code` first: `{"code":412,…`. */
function envelopeCode(payload: unknown): number | undefined {
  if (typeof payload !== 'string' || !payload.startsWith('{"code":')) return undefined;
  const code = Number.parseInt(payload.slice(8, 12), 10);
  return Number.isNaN(code) ? undefined : code;
}

export function installRequestLog(app: App, metrics: Metrics | undefined): void {
  app.decorateRequest('resultCode', undefined);
  app.addHook('onSend', async (request, _reply, payload) => {
    request.resultCode = envelopeCode(payload);
    return payload;
  });
  app.addHook('onResponse', async (request, reply) => {
    const route = request.routeOptions.url;
    const status = reply.statusCode;
    const code = request.resultCode ?? status;
    const ms = reply.elapsedTime;
    metrics?.observeRequest(request.method, route ?? '(no route)', code, ms / 1000);
    const appKey = request.caller?.appKey ?? request.headers.appkey;
    const line = {
      method: request.method,
      route: route ?? '(no route)',
      // The path only when no route matched: then the route says nothing of what was asked.
      ...(route ? {} : { url: request.url.slice(0, 200) }),
      status,
      code,
      ms: Math.round(ms * 10) / 10,
      ...(typeof appKey === 'string' ? { appKey: appKey.slice(0, 64) } : {}),
    };
    if (route && QUIET_PATHS.has(route)) request.log.debug(line, 'request');
    else request.log.info(line, 'request');
  });
}
