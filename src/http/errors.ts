import type { FastifyError, FastifyInstance } from 'fastify';
import { ServiceError } from '../domain/errors.js';
import { sendFailure } from './envelope.js';

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
      case 'FST_ERR_CTP_BODY_TOO_LARGE':
        return sendFailure(reply, 412, '参数错误: body is too large');
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
