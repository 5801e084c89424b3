import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { FLOOR_PATH } from './scenarios.js';

/**
 * The benchmark's floor: the most this Fastify setup can serve on this machine — a constant JSON
 * body of `bytes` bytes (the size of a typical answer), with no signature check and no database.
 * Registered through `buildApp`'s `plugins`, so it passes the app's hooks and error handling.
 */
export function benchFloor(bytes: number): FastifyPluginAsyncTypebox {
  const body = `{"code":200,"data":"${'x'.repeat(Math.max(0, bytes - 22))}"}`;
  return async (app) => {
    app.get(FLOOR_PATH, { schema: { hide: true } }, async (_request, reply) =>
      reply.type('application/json; charset=utf-8').send(body),
    );
  };
}
