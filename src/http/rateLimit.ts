import type { FastifyReply, FastifyRequest } from 'fastify';
import type { RateLimiter } from '../services/rateLimits.js';

/**
 * The rate-limit check of a signed request, run as soon as the request is authenticated
 * (./authentication.ts): in onRequest for signatures checked from the headers alone, in
 * preValidation for those that sign the body (before their nonce is taken). A request's slot is
 * taken once. A limited request gets envelope 429 with a Retry-After header (seconds).
 */
export function rateLimitHook(limiter: RateLimiter, now: () => number) {
  const checked = new WeakSet<FastifyRequest>();
  return async (request: FastifyRequest, reply: FastifyReply): Promise<void> => {
    if (!limiter.enabled || !request.caller || checked.has(request)) return;
    checked.add(request);
    const decision = await limiter.check(request.caller.appKey, now());
    if (decision.allowed) return;
    reply.header('retry-after', String(decision.retryAfterSeconds));
    throw limiter.refusal(request.caller.appKey, decision.retryAfterSeconds);
  };
}
