/**
 * The SDK, `@outcall/sdk` (packages/sdk builds it from here; the server also exports it as
 * `outcall/client`): a typed client of the outcall Open API — signing, retries, timeouts and paging.
 *
 *   const client = new OutcallClient({ baseUrl, appKey, appSecret, tenantSign });
 *   for await (const call of client.callRecords({ robotCallJobId: 2, resultStatuses: ['ANSWERED'] })) …
 */

export type {
  ClaimBody,
  ClaimedTask,
  ClaimResult,
  DialResult,
  DialsResult,
  HeartbeatBody,
  HeartbeatResult,
  ReleaseResult,
  ResultBody,
  ResultResult,
  ResultsResult,
  TurnBody,
  TurnResult,
} from '../schemas/engine.js';
export {
  type CallbackHeaders,
  type VerifyCallbackOptions,
  type VerifyCallbackResult,
  verifyCallback,
} from './callbacks.js';
export {
  type CallOptions,
  type Fetch,
  type HttpMethod,
  MAX_PAGE_SIZE,
  OutcallClient,
  type OutcallClientOptions,
  type SendOptions,
} from './client.js';
export { EngineClient, type EngineClientOptions, type EngineCredentials, signEngineRequest } from './engine.js';
export { OutcallError, type OutcallErrorKind } from './errors.js';
export type * from './later/callRecord.js';
export type * from './later/job.js';
export type * from './later/tenant.js';
export {
  API_VERSION,
  type ClientCredentials,
  type Digest,
  type RandomSource,
  type RequestToSign,
  type SignatureVersion,
  sha256Hex,
  signedHeaders,
  signedHeadersV2,
} from './signing.js';
export type * from './types.js';
