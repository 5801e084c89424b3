/**
 * Why a request failed:
 * - `envelope`: the server answered with an envelope whose code is not 200 (401, 403, 404, 412, 429, 500);
 * - `http`: the answer was not an envelope (an HTTP status other than 200, or a body that is not JSON),
 *   e.g. from a proxy in front of the server;
 * - `network`: no answer (connection refused or reset, DNS);
 * - `timeout`: no answer within `timeoutMs`.
 */
export type OutcallErrorKind = 'envelope' | 'http' | 'network' | 'timeout';

export class OutcallError extends Error {
  override readonly name = 'OutcallError';
  readonly kind: OutcallErrorKind;
  /** The envelope's code; for `http` the HTTP status; 0 when no answer arrived. */
  readonly code: number;
  /** The envelope's resultMsg, or a description of what went wrong. */
  readonly resultMsg: string;
  /** The envelope's requestId (quote it when reporting a problem); null when there was none. */
  readonly requestId: string | null;
  /** The HTTP status of the answer; null when no answer arrived. */
  readonly httpStatus: number | null;
  /** How many times the request was sent. */
  readonly attempts: number;

  constructor(init: {
    kind: OutcallErrorKind;
    code: number;
    resultMsg: string;
    requestId?: string | null;
    httpStatus?: number | null;
    attempts: number;
    method: string;
    path: string;
    cause?: unknown;
  }) {
    const id = init.requestId ? ` (requestId ${init.requestId})` : '';
    super(
      `${init.method} ${init.path}: ${init.kind === 'envelope' || init.kind === 'http' ? `${init.code} ` : ''}${init.resultMsg}${id}`,
      { cause: init.cause },
    );
    this.kind = init.kind;
    this.code = init.code;
    this.resultMsg = init.resultMsg;
    this.requestId = init.requestId ?? null;
    this.httpStatus = init.httpStatus ?? null;
    this.attempts = init.attempts;
  }
}
