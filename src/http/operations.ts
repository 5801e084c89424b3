import type { FastifyHttpOptions, RawServerDefault } from 'fastify';
import type { Config } from '../config.js';
import type { Database } from '../db/database.js';
import type { App } from './app.js';
import { ByteBudget, installBodyLimits, SMALL_BODY_LIMIT } from './bodyLimits.js';
import { ConnectionGuard, effectiveMaxConnections } from './connections.js';
import { answerClientError, answerFrameworkError } from './errors.js';
import { type Lifecycle, Metrics, registerProbes } from './probes.js';
import { installRequestLog, loggerOptions } from './requestLog.js';

declare module 'fastify' {
  interface FastifyInstance {
    /** undefined when METRICS_ENABLED=false. */
    metrics: Metrics | undefined;
    lifecycle: Lifecycle;
    connections: ConnectionGuard;
  }
}

/*
 * What running in production needs of the HTTP server, in one place: timeouts, the connection
 * cap and its guard, body limits, Node's and the router's refusals as envelopes, one log line
 * per request, probes and metrics. buildApp spreads `serverOptions` into Fastify's options,
 * calls `installOperations` before registering any route, and `registerProbeRoutes` after the docs.
 */

/** `logger`: false for silence (tests), or pino options over those of the settings. */
export function serverOptions(
  config: Config,
  logger?: boolean | Record<string, unknown>,
): FastifyHttpOptions<RawServerDefault> {
  return {
    logger: logger === false ? false : { ...loggerOptions(config), ...(typeof logger === 'object' ? logger : {}) },
    bodyLimit: SMALL_BODY_LIMIT,
    // Silence on a socket (no byte either way) closes it.
    connectionTimeout: config.idleTimeoutMs,
    keepAliveTimeout: config.keepAliveTimeoutMs,
    requestTimeout: config.requestTimeoutMs,
    maxRequestsPerSocket: config.maxRequestsPerConnection,
    http: {
      headersTimeout: Math.min(config.headersTimeoutMs, config.requestTimeoutMs),
      // How often Node checks the headers and request timeouts (its default, 30 s, lets a slow client keep a socket 30 s too long).
      connectionsCheckingInterval: 1000,
    },
    // Requests that come in on open connections while shutting down are still answered (with Connection: close).
    return503OnClosing: false,
    trustProxy: config.trustProxy,
    frameworkErrors: answerFrameworkError,
    clientErrorHandler: answerClientError,
  };
}

export function installOperations(app: App, deps: { database: Database; config: Config }): void {
  const { config } = deps;
  const connections = new ConnectionGuard(app.server, effectiveMaxConnections(config.maxConnections));
  if (connections.max < config.maxConnections)
    app.log.warn(
      { configured: config.maxConnections, max: connections.max },
      'MAX_CONNECTIONS is above what the file-descriptor limit (ulimit -n) allows: lowered',
    );
  const metrics = config.metricsEnabled ? new Metrics() : undefined;
  const lifecycle: Lifecycle = { shuttingDown: false };
  app.decorate('connections', connections);
  app.decorate('metrics', metrics);
  app.decorate('lifecycle', lifecycle);
  installBodyLimits(app, new ByteBudget(config.bodyMemoryBytes));
  installRequestLog(app, metrics);
  // While shutting down, every answer closes its connection: the clients reconnect to another process.
  app.addHook('onSend', async (_request, reply, payload) => {
    if (lifecycle.shuttingDown) reply.header('connection', 'close');
    return payload;
  });
  probeDependencies.set(app, { ...deps, lifecycle, metrics, connections });
}

const probeDependencies = new WeakMap<App, Parameters<typeof registerProbes>[1]>();

/** /healthz, /readyz and /metrics: registered after the docs plugin, so that the OpenAPI document lists them. */
export function registerProbeRoutes(app: App): void {
  const deps = probeDependencies.get(app);
  if (!deps) throw new Error('installOperations must run first');
  registerProbes(app, deps);
}
