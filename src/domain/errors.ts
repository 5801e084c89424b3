/**
 * What a request can be refused for, in the platform's terms. The HTTP layer maps each to its
 * envelope code in one place; the CLI prints the reason.
 */
export class ServiceError extends Error {
  constructor(
    /** The envelope `code`. */
    readonly resultCode: 401 | 403 | 404 | 409 | 412 | 429,
    /** The platform's words for the code, e.g. 参数错误; the message starts with them. */
    kind: string,
    /** What was wrong, in plain words (the CLI shows this). */
    readonly reason: string,
  ) {
    super(`${kind}: ${reason}`);
  }
}

/** 412: a missing, malformed or out-of-range parameter; the message names it. */
export const invalidParameter = (parameter: string, reason: string) =>
  new ServiceError(412, '参数错误', `${parameter} ${reason}`);

/** 404: missing, or another tenant's (never say which). */
export const notFound = (what: string, id: number | string) => new ServiceError(404, '资源未找到', `${what} ${id}`);

export const unauthenticated = (reason: string) => new ServiceError(401, '校验数据错误', reason);

export const forbidden = (reason: string) => new ServiceError(403, '权限不足', reason);

/**
 * 404: a documented path of the platform outcall does not serve (`function` such as
 * "isv/getIsvList"), with why. Answered after the signature check like every path, so a caller
 * without a key learns nothing from it.
 */
export const notSupported = (path: string, why: string) =>
  new ServiceError(404, '资源未找到', `${path} is not supported by outcall: ${why}`);

/**
 * 409: the request came too late or out of turn for the state it acts on — a call engine's lease
 * that has ended, a dial the job no longer allows, a result for a call already recorded as lost.
 * The reason says which (docs/engines.md).
 */
export const conflict = (reason: string) => new ServiceError(409, '状态冲突', reason);
