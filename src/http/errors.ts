import { STATUS_CODES } from 'node:http';
import type { Socket } from 'node:net';
import type { FastifyError, FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { ServiceError } from '../domain/errors.js';
import { newRequestId, sendFailure } from './envelope.js';

/** The signed API: every answer under it is the envelope, HTTP 200, whatever went wrong. */
export const API_PREFIX = '/apiOpen/';

/** How long the rest of a refused body is read and dropped before the connection is closed. */
const LINGER_MS = 2000;

/** The console's JSON API (console/): the same envelope. */
export const CONSOLE_API_PREFIX = '/console/api/';

/** The call engines' protocol (routes/engine/): the same envelope. */
export const ENGINE_API_PREFIX = '/engine/';

export const isApiPath = (url: string | undefined) =>
  (url?.startsWith(API_PREFIX) || url?.startsWith(CONSOLE_API_PREFIX) || url?.startsWith(ENGINE_API_PREFIX)) ?? false;

interface AjvError {
  instancePath: string;
  keyword: string;
  message?: string;
  params: Record<string, unknown>;
}

/** "resultStatuses[1]" from "/resultStatuses/1". */
function parameterName(e: AjvError): string {
  const path = e.instancePath
    .split('/')
    .filter(Boolean)
    .map((p, i) => (/^\d+$/.test(p) ? `[${p}]` : i === 0 ? p : `.${p}`))
    .join('');
  if (e.keyword === 'required') return [path, String(e.params.missingProperty)].filter(Boolean).join('.');
  return path || 'body';
}

function reason(e: AjvError): string {
  if (e.keyword === 'required') return 'is required';
  if (e.keyword === 'type') return `must be ${String(e.params.type).replace(',', ' or ')}`;
  return e.message ?? 'is invalid';
}

/** Every failure becomes an envelope; internal errors are logged with the requestId and answered with nothing more. */
export function installErrorHandlers(app: FastifyInstance, routeMethods: Map<string, Set<string>>): void {
  app.setErrorHandler((error: FastifyError | ServiceError, request, reply) => {
    if (error instanceof ServiceError) return sendFailure(reply, error.resultCode, error.message);
    if (error.validation) {
      const first = error.validation[0] as AjvError;
      return sendFailure(reply, 412, `参数错误: ${parameterName(first)} ${reason(first)}`);
    }
    switch (error.code) {
      case 'FST_ERR_CTP_INVALID_JSON_BODY':
        return sendFailure(reply, 412, '参数错误: body is not valid JSON');
      case 'FST_ERR_CTP_INVALID_MEDIA_TYPE':
        return sendFailure(reply, 412, '参数错误: body must be sent as Content-Type: application/json');
      case 'FST_ERR_CTP_BODY_TOO_LARGE': {
        // The rest of the body is read and dropped for a moment, so that a client still sending
        // it reads this answer (closing at once would reset the connection under it); one still
        // sending after that is cut off.
        request.raw.resume();
        setTimeout(() => {
          if (!request.raw.complete) request.raw.socket?.destroy();
        }, LINGER_MS).unref();
        const limit = request.routeOptions.bodyLimit;
        return sendFailure(reply, 412, `参数错误: body is larger than ${limit} bytes, the most this endpoint reads`);
      }
    }
    if (error.statusCode === 429) return sendFailure(reply, 429, '请求过于频繁: too many requests for this appKey');
    if (error.statusCode && error.statusCode >= 400 && error.statusCode < 500) {
      request.log.info({ err: error }, 'rejected request');
      return sendFailure(reply, 412, '参数错误: the request could not be read');
    }
    request.log.error({ err: error, requestId: request.id }, 'unexpected error');
    return sendFailure(reply, 500, '未知错误');
  });

  app.setNotFoundHandler((request, reply) => {
    const path = request.url.split('?')[0] ?? '';
    const methods = routeMethods.get(path);
    const hint = methods ? `; this path is served for ${[...methods].join(', ')}` : '';
    return sendFailure(reply, 404, `资源未找到: ${request.method} ${path} is not an API route${hint}`);
  });
}

/**
 * Fastify's own refusals before routing (`frameworkErrors`): a path that is not valid
 * percent-encoding, a path parameter too long. Under /apiOpen/ they are the 412 envelope.
 */
export function answerFrameworkError(error: FastifyError, request: FastifyRequest, reply: FastifyReply): void {
  const unexpected = error.code === 'FST_ERR_ASYNC_CONSTRAINT';
  if (unexpected) request.log.error({ err: error }, 'unexpected error');
  if (!isApiPath(request.raw.url)) {
    const status = unexpected ? 500 : 400;
    void reply.code(status).type('text/plain; charset=utf-8').send(`${STATUS_CODES[status]}\n`);
    return;
  }
  if (unexpected) void sendFailure(reply, 500, '未知错误');
  else if (error.code === 'FST_ERR_BAD_URL')
    void sendFailure(reply, 412, '参数错误: the path is not valid percent-encoding');
  else void sendFailure(reply, 412, '参数错误: the request could not be read');
}

const answered = new WeakSet<Socket>();

/** The request line of what the client sent, when Node kept it: `GET /path HTTP/1.1`. */
function requestPath(error: Error & { rawPacket?: Buffer }, socket: Socket): string | undefined {
  // A request whose headers were read and whose body is late: its response object knows the URL.
  const pending = (socket as Socket & { _httpMessage?: { req?: { url?: string } } })._httpMessage;
  if (pending?.req?.url) return pending.req.url;
  const head = error.rawPacket?.subarray(0, 512).toString('latin1');
  return head ? /^[A-Z-]* +(\S+)/.exec(head)?.[1] : undefined;
}

/**
 * Node's refusals, before Fastify sees a request (`clientErrorHandler`): headers (URL included)
 * over 16 KB, a malformed request or unknown method, headers or body not received in time. The
 * server writes one answer and closes the connection: under /apiOpen/ (or when the path cannot
 * be read) the 412 envelope with HTTP 200; elsewhere the plain HTTP status. A client that sent
 * nothing, or has gone, gets nothing.
 */
export function answerClientError(this: FastifyInstance, error: Error & { code?: string }, socket: Socket): void {
  if (answered.has(socket)) return;
  answered.add(socket);
  const silent =
    error.code === 'ECONNRESET' || error.code === 'HPE_INVALID_EOF_STATE' || socket.destroyed || !socket.writable;
  if (silent || (error.code === 'ERR_HTTP_REQUEST_TIMEOUT' && socket.bytesRead === 0)) {
    socket.destroy();
    return;
  }
  const [status, reason] =
    error.code === 'HPE_HEADER_OVERFLOW'
      ? [431, 'the request headers (URL included) are larger than 16 KB']
      : error.code === 'ERR_HTTP_REQUEST_TIMEOUT'
        ? [408, 'the request was not received in time']
        : error.code === 'HPE_INVALID_METHOD'
          ? [400, 'the request method is not HTTP']
          : [400, 'the request is not well-formed HTTP'];
  const path = requestPath(error, socket);
  const requestId = newRequestId();
  this.log.info({ requestId, code: error.code, path: path?.slice(0, 200) }, `refused before routing: ${reason}`);
  let head: string;
  let body: string;
  if (path === undefined || isApiPath(path)) {
    body = JSON.stringify({
      code: 412,
      data: null,
      requestId,
      resultMsg: `参数错误: ${reason}`,
      errorStackTrace: null,
    });
    head = 'HTTP/1.1 200 OK\r\nContent-Type: application/json; charset=utf-8';
  } else {
    body = `${STATUS_CODES[status]}: ${reason}\n`;
    head = `HTTP/1.1 ${status} ${STATUS_CODES[status]}\r\nContent-Type: text/plain; charset=utf-8`;
  }
  socket.end(`${head}\r\nContent-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n${body}`);
  // A client still sending (a long header, a body) would keep the half-closed socket: it gets a moment to read the answer.
  setTimeout(() => socket.destroy(), 1000).unref();
}
