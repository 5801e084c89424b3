import { randomInt } from 'node:crypto';
import type { FastifyReply, FastifyRequest } from 'fastify';

/** The platform's response envelope (docs/api.md): always HTTP 200, the outcome in `code`. */

const LETTERS = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ';

/** 8 upper-case letters, as the platform's requestIds look. */
export function newRequestId(): string {
  let id = '';
  for (let i = 0; i < 8; i++) id += LETTERS[randomInt(26)];
  return id;
}

export function success<T>(request: FastifyRequest, data: T, resultMsg = '获取成功') {
  return { code: 200, data, requestId: request.id, resultMsg, errorStackTrace: null };
}

/** Sends an error envelope. It bypasses the route's success schema, whose `data` is not null. */
export function sendFailure(reply: FastifyReply, code: number, resultMsg: string): FastifyReply {
  return reply
    .code(200)
    .type('application/json; charset=utf-8')
    .serializer((payload: unknown) => JSON.stringify(payload))
    .send({ code, data: null, requestId: reply.request.id, resultMsg, errorStackTrace: null });
}
