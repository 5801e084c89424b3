import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { Config } from '../config.js';
import type { Database } from '../db/database.js';
import { authenticate, type Caller, type HeaderCheck } from '../services/auth.js';
import { RateLimiter } from '../services/rateLimits.js';
import { rateLimitHook } from './rateLimit.js';

/*
 * The platform's signature on the routes marked `config: { signed: true }` (docs/signature.md),
 * and the rate limit per appKey that follows it (./rateLimit.ts). In order, for each request:
 * - v1: the headers are the whole check (onRequest, before the body is read); then the rate limit.
 * - v2: what needs no body is checked in onRequest (headers, window, nonce form, the appKey), so a
 *   stranger is refused unread; the signature, which covers the body, once it is read
 *   (preValidation, before the parameters are validated); then the rate limit; and only then the
 *   nonce is taken — a write — so that a flood refused by the limit costs no write per request.
 */

declare module 'fastify' {
  interface FastifyRequest {
    /** Set on signed routes: the tenant the request speaks for. */
    caller: Caller;
    /** The JSON body as received, for signature v2 (which signs its SHA-256). */
    rawBody: string | undefined;
    /** A v2 signature waiting for the body: checked in preValidation. */
    pendingSignature: Extract<HeaderCheck, { verify: unknown }>['verify'] | undefined;
  }
  interface FastifyContextConfig {
    /** The route needs the platform's signature headers. */
    signed?: boolean;
  }
}

export interface AuthenticationDeps {
  database: Database;
  config: Config;
  /** The clock signatures and rate limits are checked against. */
  now: () => number;
}

type Hook = (request: FastifyRequest, reply: FastifyReply) => Promise<void>;

const asList = <T>(hooks: T | T[] | undefined): T[] =>
  hooks === undefined ? [] : Array.isArray(hooks) ? hooks : [hooks];
const firstOf = (v: string | string[] | undefined) => (Array.isArray(v) ? v[0] : v);

/** Installs the checks on every signed route added from now on: call it before the routes. */
export function installAuthentication(app: FastifyInstance, deps: AuthenticationDeps): void {
  const { database, config, now } = deps;
  app.decorateRequest('caller', null as unknown as Caller);
  app.decorateRequest('rawBody', undefined);
  app.decorateRequest('pendingSignature', undefined);

  // Per appKey, right after the signature: see ./rateLimit.ts.
  const limitRate = rateLimitHook(
    new RateLimiter(database, { perSecond: config.rateLimitPerSecond, burst: config.rateLimitBurst }),
    now,
  );

  const checkHeaders: Hook = async (request) => {
    const h = request.headers;
    const check = await authenticate(
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
    );
    if ('caller' in check) request.caller = check.caller;
    else request.pendingSignature = check.verify;
  };

  const checkBodySignature: Hook = async (request, reply) => {
    const verify = request.pendingSignature;
    if (!verify) return;
    const signed = await verify({
      method: request.method,
      url: request.raw.url ?? request.url,
      body: request.rawBody ?? '',
    });
    request.pendingSignature = undefined;
    request.rawBody = undefined;
    request.caller = signed.caller;
    await limitRate(request, reply);
    await signed.takeNonce();
  };

  app.addHook('onRoute', (route) => {
    if (!route.config?.signed) return;
    route.onRequest = [checkHeaders, limitRate, ...asList(route.onRequest)];
    route.preValidation = [checkBodySignature, ...asList(route.preValidation)];
  });
}
