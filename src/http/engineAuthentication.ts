import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { ServiceError } from '../domain/errors.js';
import {
  authenticateEngine,
  type EngineCaller,
  EngineLastSeen,
  type SignedEngineRequest,
} from '../services/engineKeys.js';
import { RateLimiter } from '../services/rateLimits.js';
import type { SignedRequestParts } from '../services/signature.js';
import type { AuthenticationDeps } from './authentication.js';
import type { MetricSource } from './probes.js';

/*
 * The engine routes, marked `config: { engine: true }` (/engine/v1/, docs/engine-keys.md): signed
 * with an engine key, signature v2 only, never with a tenant's key (nor a tenant route with an
 * engine key: each is looked up in its own table only, ./authentication.ts for the tenants'). In
 * order, as for the tenants' v2 (./authentication.ts): the headers, window, nonce form and key in
 * onRequest, so a stranger is refused unread; the signature over the body in preValidation; then
 * the key's own rate limit (ENGINE_RATE_LIMIT_PER_SECOND / _BURST); then the nonce is taken. The
 * request then carries `request.engine`. A key this process has not accepted yet is read in
 * onRequest; a known one is read by the statement that takes its slot and nonce, so a key disabled
 * or deleted in any process is refused from its next request on either way.
 */

declare module 'fastify' {
  interface FastifyRequest {
    /** Set on engine routes: the engine key the request is signed with. */
    engine: EngineCaller;
    /** An engine signature waiting for the body: checked in preValidation. */
    pendingEngineSignature: ((request: SignedRequestParts) => Promise<SignedEngineRequest>) | undefined;
  }
  interface FastifyContextConfig {
    /** The route is an engine's (/engine/v1/): signed with an engine key, v2. */
    engine?: boolean;
  }
}

type Hook = (request: FastifyRequest, reply: FastifyReply) => Promise<void>;

const asList = <T>(hooks: T | T[] | undefined): T[] =>
  hooks === undefined ? [] : Array.isArray(hooks) ? hooks : [hooks];
const firstOf = (v: string | string[] | undefined) => (Array.isArray(v) ? v[0] : v);

export interface EngineAuthenticationOptions {
  /** At most one `engine_key.last_seen_at` write per key this often (ms). */
  lastSeenWriteEveryMs?: number;
}

/** Installs the checks on every engine route added from now on: call it before the routes. */
export function installEngineAuthentication(
  app: FastifyInstance,
  deps: AuthenticationDeps,
  options: EngineAuthenticationOptions = {},
): EngineLastSeen {
  const { database, config, now } = deps;
  app.decorateRequest('engine', null as unknown as EngineCaller);
  app.decorateRequest('pendingEngineSignature', undefined);
  const limiter = new RateLimiter(database, {
    perSecond: config.engineRateLimitPerSecond,
    burst: config.engineRateLimitBurst,
  });
  const lastSeen = new EngineLastSeen(database, options.lastSeenWriteEveryMs);

  const checkHeaders: Hook = async (request) => {
    const h = request.headers;
    request.pendingEngineSignature = await authenticateEngine(
      database,
      {
        appKey: firstOf(h.appkey),
        version: firstOf(h.version),
        timestamp: firstOf(h.timestamp),
        signature: firstOf(h.signature),
        nonce: firstOf(h.nonce),
      },
      now(),
      config.signatureWindowMs,
      (appKey) => lastSeen.forget(appKey),
    );
  };

  const checkBodySignature: Hook = async (request, reply) => {
    const verify = request.pendingEngineSignature;
    if (!verify) throw new Error('engine route reached preValidation without its header check');
    const signed = await verify({
      method: request.method,
      url: request.raw.url ?? request.url,
      body: request.rawBody ?? '',
    });
    request.pendingEngineSignature = undefined;
    request.rawBody = undefined;
    const { engine } = signed;
    const decision = await signed.admit(limiter, now());
    if (!decision.allowed) {
      reply.header('retry-after', String(decision.retryAfterSeconds));
      throw new ServiceError(
        429,
        '请求过于频繁',
        `engine key ${engine.appKey} is limited to ${config.engineRateLimitPerSecond} requests per second (bursts of ${config.engineRateLimitBurst}); retry after ${decision.retryAfterSeconds} s`,
      );
    }
    request.engine = engine;
    // Bookkeeping, off the request's path: the request does not wait for the write, nor fail with it.
    lastSeen.seenAt(engine, now()).catch((error: unknown) => {
      request.log.warn({ err: error, engineKey: engine.appKey }, 'engine key: last_seen_at not written');
    });
  };

  app.addHook('onRoute', (route) => {
    if (!route.config?.engine) return;
    if (route.config.signed)
      throw new Error(`${route.url}: a route is signed by a tenant key or an engine key, not both`);
    route.onRequest = [checkHeaders, ...asList(route.onRequest)];
    route.preValidation = [checkBodySignature, ...asList(route.preValidation)];
  });

  // The metrics are set up after this (./operations.ts).
  app.addHook('onReady', async () => app.metrics?.addSource(engineMetrics(lastSeen)));
  return lastSeen;
}

/** /metrics: when each engine key last signed a request that this process accepted. */
export function engineMetrics(lastSeen: EngineLastSeen): MetricSource {
  return {
    prefix: 'outcall_engine',
    metrics: {
      last_seen_seconds: {
        help: 'When an engine key last signed a request this process accepted (seconds since the epoch), by appKey',
        type: 'gauge',
        labelNames: ['engine_key'],
      },
    },
    read: () => ({
      last_seen_seconds: [...lastSeen.read()].map(([appKey, seconds]) => ({
        labels: { engine_key: appKey },
        value: seconds,
      })),
    }),
  };
}
