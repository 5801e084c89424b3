import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { FLOOR_PATH } from './scenarios.js';

/**
 * The benchmark's floor: the most this Fastify setup can serve on this machine — a constant JSON
 * envelope of the size asked for (`GET /bench/floor?bytes=N`, else `defaultBytes`), with no
 * signature check and no database. Each body is built once per size and kept, so a run measures
 * sending it, not making it. Registered through `buildApp`'s `plugins`, so it passes the app's
 * hooks and error handling.
 */
export function benchFloor(defaultBytes = 4096): FastifyPluginAsyncTypebox {
  const bodies = new Map<number, string>();
  const bodyOf = (bytes: number) => {
    let body = bodies.get(bytes);
    if (body === undefined) {
      body = floorBody(bytes);
      // A handful of size classes per run; the cap only guards against a caller walking every size.
      if (bodies.size >= 64) bodies.clear();
      bodies.set(bytes, body);
    }
    return body;
  };
  return async (app) => {
    app.get(
      FLOOR_PATH,
      {
        schema: {
          hide: true,
          querystring: {
            type: 'object',
            properties: { bytes: { type: 'integer', minimum: 0, maximum: MAX_FLOOR_BYTES } },
          },
        },
      },
      async (request, reply) =>
        reply
          .type('application/json; charset=utf-8')
          .send(bodyOf((request.query as { bytes?: number }).bytes ?? defaultBytes)),
    );
  };
}

export const MAX_FLOOR_BYTES = 10_000_000;

const HEAD = '{"code":200,"data":{"content":"';
const TAIL = '"},"requestId":"bench-floor","resultMsg":"执行成功"}';
/** The smallest body: the envelope with an empty `data.content`. */
export const MIN_FLOOR_BYTES = Buffer.byteLength(HEAD + TAIL);

/** An envelope like the API's answers, exactly `bytes` long (or the envelope alone when that is longer). */
export function floorBody(bytes: number): string {
  return HEAD + 'x'.repeat(Math.max(0, bytes - MIN_FLOOR_BYTES)) + TAIL;
}

/**
 * The floor size class of an answer of `bytes`: the nearest power of two (on a log scale) from
 * 1 KB up — 1, 2, 4, 8, 16, 32, 64 KB… — so a run measures the floor a handful of times and each
 * case's body is within a factor √2 of its floor's.
 */
export function floorClass(bytes: number): number {
  if (bytes <= 1024) return 1024;
  return 2 ** Math.round(Math.log2(bytes));
}

/** "1 KB", "8 KB", "1 MB" for a class; "7179 B" for the single floor of an older result. */
export function classLabel(bytes: number): string {
  if (bytes >= 2 ** 20 && bytes % 2 ** 20 === 0) return `${bytes / 2 ** 20} MB`;
  return bytes >= 1024 && bytes % 1024 === 0 ? `${bytes / 1024} KB` : `${bytes} B`;
}
