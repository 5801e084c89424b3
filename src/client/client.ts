import { OutcallError } from './errors.js';
import { CallRecordResource } from './later/callRecord.js';
import { JobResource } from './later/job.js';
import type { Send } from './later/resource.js';
import {
  DialogFlowResource,
  IntentLevelTagResource,
  IsvResource,
  PhoneResource,
  TenantResource,
} from './later/tenant.js';
import {
  type ClientCredentials,
  type Digest,
  type RandomSource,
  type SignatureVersion,
  signedHeaders,
  signedHeadersV2,
} from './signing.js';
import type {
  AuditLogListQuery,
  AuditLogPage,
  CallDetail,
  CallRecordListBody,
  CallRecordListItem,
  CallRecordListPage,
  CallRecordsFilter,
  CreateJobBody,
  DeletedJob,
  DialogFlow,
  DoNotCallAddResult,
  DoNotCallListQuery,
  DoNotCallPage,
  DoNotCallRemoveResult,
  Envelope,
  GetTasksQuery,
  ImportResult,
  ImportTaskCustomerBody,
  IncomingCallRecord,
  IngestResult,
  JobDetail,
  JobListItem,
  JobListPage,
  JobStatusResult,
  Page,
  PhoneLine,
  TasksFilter,
} from './types.js';

/*
 * The outcall SDK. Only web-platform APIs (fetch, AbortController, WebCrypto, TextEncoder), so it
 * runs in browsers and on Node 18+; it imports nothing of the server at run time.
 */

export type HttpMethod = 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';
export type Fetch = (url: string, init: RequestInit) => Promise<Response>;

/** The most a list page holds; the iterators ask for pages of this size. */
export const MAX_PAGE_SIZE = 100;

export interface OutcallClientOptions extends ClientCredentials {
  /** The server, e.g. `https://outcall.example.com` (a path prefix is kept). */
  baseUrl: string;
  /** Limit of one attempt, in ms, until the whole answer has arrived (default 30 000). */
  timeoutMs?: number;
  /**
   * Further attempts after a network error, a timeout, HTTP 5xx or 429, or an envelope with code 500
   * or 429 (default 2). 401, 403, 404 and 412 are never retried: sending again changes nothing.
   */
  retries?: number;
  /** Delay before the first retry, doubled for each further one, with jitter (default 200 ms). */
  retryDelayMs?: number;
  /** Longest delay between attempts, also the cap of a server's Retry-After (default 5 000 ms). */
  maxRetryDelayMs?: number;
  /** fetch to send with (default globalThis.fetch). */
  fetch?: Fetch;
  /** WebCrypto (default globalThis.crypto); on Node 18 pass `require('node:crypto').webcrypto`. */
  crypto?: { subtle: Digest; getRandomValues?: RandomSource['getRandomValues'] };
  /**
   * `v2` signs each request's method, path, query and body with a one-time nonce (docs/signature.md);
   * a key set to v2 only needs it. Default `v1`, the platform's scheme.
   */
  signatureVersion?: SignatureVersion;
}

/** Per-call settings; they override the client's. */
export interface CallOptions {
  /** Aborts the call, including the waits between retries; the call rejects with the signal's reason. */
  signal?: AbortSignal;
  timeoutMs?: number;
  retries?: number;
}

export interface SendOptions extends CallOptions {
  /** Query parameters; undefined and null are left out, arrays repeat the name. */
  query?: object;
  /** Sent as JSON. */
  body?: unknown;
  /** A body already serialized as JSON, sent as is. */
  bodyText?: string;
  /** Further headers; they override the client's (Content-Type, the signature headers). */
  headers?: Record<string, string>;
}

type Attempt<T> = { envelope: Envelope<T>; retryAfterMs?: number } | { error: OutcallError; retryAfterMs?: number };

export class OutcallClient {
  readonly baseUrl: string;
  private readonly credentials: ClientCredentials;
  private readonly timeoutMs: number;
  private readonly retries: number;
  private readonly retryDelayMs: number;
  private readonly maxRetryDelayMs: number;
  private readonly fetch: Fetch;
  private readonly subtle: Digest | undefined;
  private readonly random: RandomSource | undefined;
  private readonly signatureVersion: SignatureVersion;
  /** The baseUrl's path without its trailing slash: a proxy strips it, so v2 signs the path after it. */
  private readonly basePath: string;

  // ---- the platform's later API, one object per resource: client.job.getJobs(), client.callRecord.callDetail(…) ----
  readonly tenant: TenantResource;
  readonly phone: PhoneResource;
  readonly dialogFlow: DialogFlowResource;
  readonly intentLevelTag: IntentLevelTagResource;
  readonly isv: IsvResource;
  readonly job: JobResource;
  readonly callRecord: CallRecordResource;

  constructor(options: OutcallClientOptions) {
    let base: URL;
    try {
      base = new URL(options.baseUrl);
    } catch {
      throw new TypeError(`baseUrl must be an http(s) URL, got ${JSON.stringify(options.baseUrl)}`);
    }
    if (base.protocol !== 'http:' && base.protocol !== 'https:')
      throw new TypeError(`baseUrl must be an http(s) URL, got ${JSON.stringify(options.baseUrl)}`);
    for (const name of ['appKey', 'appSecret', 'tenantSign'] as const) {
      if (typeof options[name] !== 'string' || options[name] === '') throw new TypeError(`${name} is required`);
    }
    this.baseUrl = options.baseUrl.replace(/\/+$/, '');
    this.basePath = base.pathname.replace(/\/+$/, '');
    if (
      options.signatureVersion !== undefined &&
      options.signatureVersion !== 'v1' &&
      options.signatureVersion !== 'v2'
    )
      throw new TypeError(`signatureVersion must be v1 or v2, got ${JSON.stringify(options.signatureVersion)}`);
    this.signatureVersion = options.signatureVersion ?? 'v1';
    this.credentials = { appKey: options.appKey, appSecret: options.appSecret, tenantSign: options.tenantSign };
    this.timeoutMs = positive('timeoutMs', options.timeoutMs, 30_000);
    this.retries = count('retries', options.retries, 2);
    this.retryDelayMs = count('retryDelayMs', options.retryDelayMs, 200);
    this.maxRetryDelayMs = count('maxRetryDelayMs', options.maxRetryDelayMs, 5_000);
    const fetch =
      options.fetch ??
      (typeof globalThis.fetch === 'function'
        ? (url: string, init: RequestInit) => globalThis.fetch(url, init)
        : undefined);
    if (!fetch) throw new TypeError('no fetch: pass options.fetch');
    this.fetch = fetch;
    this.subtle = options.crypto?.subtle;
    const crypto = options.crypto;
    this.random = crypto?.getRandomValues ? (crypto as RandomSource) : undefined;
    const send: Send = (method, path, options) => this.request(method, path, options);
    this.tenant = new TenantResource(send);
    this.phone = new PhoneResource(send);
    this.dialogFlow = new DialogFlowResource(send);
    this.intentLevelTag = new IntentLevelTagResource(send);
    this.isv = new IsvResource(send);
    this.job = new JobResource(send);
    this.callRecord = new CallRecordResource(send);
  }

  // ---- the 2018 interface (/apiOpen/v1/task/): one typed method per endpoint --------------------

  /** 获取任务列表: one page of the tenant's jobs, newest first. */
  getTasks(query: GetTasksQuery = {}, options?: CallOptions): Promise<JobListPage> {
    return this.request('GET', '/apiOpen/v1/task/getTasks', { ...options, query });
  }

  /** 获取任务详情: one job with its phone lines and live statistics. */
  getTaskDetail(robotCallJobId: number, options?: CallOptions): Promise<JobDetail> {
    return this.request('GET', '/apiOpen/v1/task/getTaskDetail', { ...options, query: { robotCallJobId } });
  }

  /** 获取已经完成任务电话号码: one page of a job's finished calls, newest first, with transcripts. */
  getCallRecordInfoList(body: CallRecordListBody, options?: CallOptions): Promise<CallRecordListPage> {
    return this.request('POST', '/apiOpen/v1/task/getCallRecordInfoList', { ...options, body });
  }

  /** 获取一个通话的详情: one call with its customer and transcript. */
  callDetail(callRecordId: number, options?: CallOptions): Promise<CallDetail> {
    return this.request('GET', '/apiOpen/v1/task/callDetail', { ...options, query: { callRecordId } });
  }

  // ---- job operations (not retried by default: sending one twice is not the same as once) ----

  /** 话术列表: the tenant's dialog flows, to create jobs with. */
  getDialogFlows(options?: CallOptions): Promise<DialogFlow[]> {
    return this.request('GET', '/apiOpen/v1/task/getDialogFlows', { ...options });
  }

  /** 线路列表: the tenant's caller lines. */
  getPhoneNumbers(options?: CallOptions): Promise<PhoneLine[]> {
    return this.request('GET', '/apiOpen/v1/task/getPhoneNumbers', { ...options });
  }

  /** 创建任务: a new job, NOT_STARTED until customers are imported. */
  createJob(body: CreateJobBody, options?: CallOptions): Promise<JobStatusResult> {
    return this.request('POST', '/apiOpen/v1/task/create', { retries: 0, ...options, body });
  }

  /** 导入客户: up to 1000 customers as call tasks; reports accepted and rejected rows. */
  importTaskCustomer(body: ImportTaskCustomerBody, options?: CallOptions): Promise<ImportResult> {
    return this.request('POST', '/apiOpen/v1/task/importTaskCustomer', { retries: 0, ...options, body });
  }

  startJob(robotCallJobId: number, options?: CallOptions): Promise<JobStatusResult> {
    return this.request('POST', '/apiOpen/v1/task/start', { retries: 0, ...options, body: { robotCallJobId } });
  }

  pauseJob(robotCallJobId: number, options?: CallOptions): Promise<JobStatusResult> {
    return this.request('POST', '/apiOpen/v1/task/pause', { retries: 0, ...options, body: { robotCallJobId } });
  }

  resumeJob(robotCallJobId: number, options?: CallOptions): Promise<JobStatusResult> {
    return this.request('POST', '/apiOpen/v1/task/resume', { retries: 0, ...options, body: { robotCallJobId } });
  }

  stopJob(robotCallJobId: number, options?: CallOptions): Promise<JobStatusResult> {
    return this.request('POST', '/apiOpen/v1/task/stop', { retries: 0, ...options, body: { robotCallJobId } });
  }

  deleteJob(robotCallJobId: number, options?: CallOptions): Promise<DeletedJob> {
    return this.request('POST', '/apiOpen/v1/task/delete', { retries: 0, ...options, body: { robotCallJobId } });
  }

  // ---- call engines (retried: the idempotency key makes a repeat harmless) ------------------

  /** 上报通话记录: one finished call. */
  addCallRecord(record: IncomingCallRecord, options?: CallOptions): Promise<IngestResult> {
    return this.request('POST', '/apiOpen/v1/task/addCallRecord', { ...options, body: record });
  }

  /** 批量上报通话记录: up to 5000 finished calls, all or nothing. */
  addCallRecords(callRecords: IncomingCallRecord[], options?: CallOptions): Promise<IngestResult> {
    return this.request('POST', '/apiOpen/v1/task/addCallRecords', { ...options, body: { callRecords } });
  }

  // ---- the do-not-call list and the audit log (retried: listing or removing twice does nothing more) ----

  /**
   * 加入免打扰名单: up to 1000 numbers never to dial; their unfinished call tasks finish without a
   * call. A retry reports the numbers the first attempt listed as rejected, `already on the do-not-call list`.
   */
  addDoNotCall(phoneNumbers: string[], reason?: string, options?: CallOptions): Promise<DoNotCallAddResult> {
    return this.request('POST', '/apiOpen/v1/doNotCall/add', { ...options, body: { phoneNumbers, reason } });
  }

  /** 移出免打扰名单: up to 1000 numbers; call tasks already finished stay finished. */
  removeDoNotCall(phoneNumbers: string[], options?: CallOptions): Promise<DoNotCallRemoveResult> {
    return this.request('POST', '/apiOpen/v1/doNotCall/remove', { ...options, body: { phoneNumbers } });
  }

  /** 免打扰名单: one page of the listed numbers, most recently listed first. */
  getDoNotCallList(query: DoNotCallListQuery = {}, options?: CallOptions): Promise<DoNotCallPage> {
    return this.request('GET', '/apiOpen/v1/doNotCall/list', { ...options, query });
  }

  /** 操作日志: one page of the tenant's changing requests, newest first. */
  getAuditLog(query: AuditLogListQuery = {}, options?: CallOptions): Promise<AuditLogPage> {
    return this.request('GET', '/apiOpen/v1/auditLog/list', { ...options, query });
  }

  // ---- every page ---------------------------------------------------------------------------

  /** Every job matching the filter, walking the pages (`for await (const job of client.tasks())`). */
  tasks(filter: TasksFilter = {}, options?: CallOptions): AsyncGenerator<JobListItem, void, undefined> {
    return this.paginate((pageNum) => this.getTasks({ pageSize: MAX_PAGE_SIZE, ...filter, pageNum }, options));
  }

  /**
   * Every call record of a job matching the filter, walking the pages. The list is newest first:
   * calls recorded while the walk runs shift later pages, so an item may be seen twice.
   */
  callRecords(filter: CallRecordsFilter, options?: CallOptions): AsyncGenerator<CallRecordListItem, void, undefined> {
    return this.paginate((pageNum) =>
      this.getCallRecordInfoList({ pageSize: MAX_PAGE_SIZE, ...filter, pageNum }, options),
    );
  }

  // ---- transport ----------------------------------------------------------------------------

  /**
   * Sends one signed request and returns the envelope as it came, whatever its code (retrying as
   * configured). Rejects with OutcallError only when no envelope arrived (network, timeout, HTTP
   * status other than 200, a body that is not an envelope). For endpoints the SDK has no method for.
   */
  async send<T = unknown>(method: HttpMethod, path: string, options: SendOptions = {}): Promise<Envelope<T>> {
    return (await this.exchange<T>(method, path, options)).envelope;
  }

  /** The data of a successful envelope; any other code rejects with OutcallError. */
  private async request<T>(method: HttpMethod, path: string, options: SendOptions): Promise<T> {
    const { envelope, attempts } = await this.exchange<T>(method, path, options);
    if (envelope.code !== 200) {
      throw new OutcallError({
        kind: 'envelope',
        code: envelope.code,
        resultMsg: envelope.resultMsg,
        requestId: envelope.requestId,
        httpStatus: 200,
        attempts,
        method,
        path,
      });
    }
    return envelope.data;
  }

  private async *paginate<T>(fetchPage: (pageNum: number) => Promise<Page<T>>): AsyncGenerator<T, void, undefined> {
    for (let pageNum = 1; ; pageNum++) {
      const page = await fetchPage(pageNum);
      yield* page.content;
      if (page.content.length === 0 || pageNum >= page.pages) return;
    }
  }

  private async exchange<T>(
    method: HttpMethod,
    path: string,
    options: SendOptions,
  ): Promise<{ envelope: Envelope<T>; attempts: number }> {
    const url = this.url(path, options.query);
    const bodyText = options.bodyText ?? (options.body === undefined ? undefined : JSON.stringify(options.body));
    const retries = count('retries', options.retries, this.retries);
    const timeoutMs = positive('timeoutMs', options.timeoutMs, this.timeoutMs);
    for (let attempt = 1; ; attempt++) {
      const outcome = await this.attempt<T>(method, path, url, bodyText, options, timeoutMs, attempt);
      const retryable =
        'error' in outcome
          ? outcome.error.kind === 'network' ||
            outcome.error.kind === 'timeout' ||
            outcome.error.code >= 500 ||
            outcome.error.code === 429
          : outcome.envelope.code === 500 || outcome.envelope.code === 429;
      if (!retryable || attempt > retries) {
        if ('error' in outcome) throw outcome.error;
        return { envelope: outcome.envelope, attempts: attempt };
      }
      await sleep(this.backoff(attempt, outcome.retryAfterMs), options.signal);
    }
  }

  /** Exponential backoff with "equal jitter": half the delay fixed, half random, so clients spread out. */
  private backoff(attempt: number, retryAfterMs: number | undefined): number {
    if (retryAfterMs !== undefined) return Math.min(retryAfterMs, this.maxRetryDelayMs);
    const delay = Math.min(this.maxRetryDelayMs, this.retryDelayMs * 2 ** (attempt - 1));
    return delay / 2 + (Math.random() * delay) / 2;
  }

  private async attempt<T>(
    method: HttpMethod,
    path: string,
    url: string,
    bodyText: string | undefined,
    options: SendOptions,
    timeoutMs: number,
    attempt: number,
  ): Promise<Attempt<T>> {
    const signal = options.signal;
    if (signal?.aborted) throw signal.reason;
    const failure = (
      kind: OutcallError['kind'],
      code: number,
      resultMsg: string,
      extra: { requestId?: string; httpStatus?: number; cause?: unknown } = {},
    ) => new OutcallError({ kind, code, resultMsg, attempts: attempt, method, path, ...extra });

    // One controller per attempt, aborted by the timer or by the caller's signal (AbortSignal.any is not in Node 18).
    const controller = new AbortController();
    let timedOut = false;
    const timer = setTimeout(() => {
      timedOut = true;
      controller.abort();
    }, timeoutMs);
    const forward = () => controller.abort(signal?.reason);
    signal?.addEventListener('abort', forward, { once: true });
    try {
      const headers: Record<string, string> = {
        ...(await this.sign(method, url, bodyText)),
        ...(bodyText === undefined ? {} : { 'content-type': 'application/json' }),
        ...options.headers,
      };
      let response: Response;
      let text: string;
      try {
        response = await this.fetch(url, { method, headers, body: bodyText, signal: controller.signal });
        text = await response.text();
      } catch (cause) {
        if (signal?.aborted) throw signal.reason;
        if (timedOut) return { error: failure('timeout', 0, `no answer within ${timeoutMs} ms`, { cause }) };
        return { error: failure('network', 0, `no answer: ${describe(cause)}`, { cause }) };
      }
      const retryAfterMs = parseRetryAfter(response.headers.get('retry-after'));
      const body = parseJson(text);
      if (response.status !== 200 || !isEnvelope(body)) {
        const resultMsg = isEnvelope(body)
          ? body.resultMsg
          : `HTTP ${response.status}${text ? `: ${text.slice(0, 300)}` : ''}`;
        return {
          error: failure('http', response.status, resultMsg, {
            httpStatus: response.status,
            requestId: isEnvelope(body) ? body.requestId : undefined,
          }),
          retryAfterMs,
        };
      }
      return { envelope: body as Envelope<T>, retryAfterMs };
    } finally {
      clearTimeout(timer);
      signal?.removeEventListener('abort', forward);
    }
  }

  /** The signature headers of one attempt (each attempt is signed afresh: new timestamp, new nonce). */
  private sign(method: HttpMethod, url: string, bodyText: string | undefined): Promise<Record<string, string>> {
    if (this.signatureVersion === 'v1') return signedHeaders(this.credentials, Date.now(), this.subtle);
    // As fetch will send it: the URL parser's path and query.
    const sent = new URL(url);
    return signedHeadersV2(
      this.credentials,
      { method, path: sent.pathname.slice(this.basePath.length), query: sent.search.slice(1), body: bodyText },
      { subtle: this.subtle, random: this.random },
    );
  }

  private url(path: string, query: object | undefined): string {
    const params = new URLSearchParams();
    for (const [name, value] of Object.entries(query ?? {})) {
      for (const v of Array.isArray(value) ? value : [value])
        if (v !== undefined && v !== null) params.append(name, String(v));
    }
    const qs = params.toString();
    const full = this.baseUrl + (path.startsWith('/') ? path : `/${path}`);
    return qs ? `${full}${full.includes('?') ? '&' : '?'}${qs}` : full;
  }
}

function positive(name: string, value: number | undefined, fallback: number): number {
  if (value === undefined) return fallback;
  if (!Number.isFinite(value) || value <= 0) throw new TypeError(`${name} must be a positive number, got ${value}`);
  return value;
}

function count(name: string, value: number | undefined, fallback: number): number {
  if (value === undefined) return fallback;
  if (!Number.isInteger(value) || value < 0) throw new TypeError(`${name} must be a whole number ≥ 0, got ${value}`);
  return value;
}

function parseJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}

function isEnvelope(value: unknown): value is Envelope<unknown> {
  if (typeof value !== 'object' || value === null) return false;
  const v = value as Record<string, unknown>;
  return typeof v.code === 'number' && typeof v.resultMsg === 'string' && 'data' in v;
}

/** Retry-After in seconds or as an HTTP date, in ms; undefined when absent or unreadable. */
function parseRetryAfter(header: string | null): number | undefined {
  if (!header) return undefined;
  if (/^\d+$/.test(header.trim())) return Number(header) * 1000;
  const at = Date.parse(header);
  return Number.isNaN(at) ? undefined : Math.max(0, at - Date.now());
}

function describe(error: unknown): string {
  const cause = (error as { cause?: { code?: string; message?: string } })?.cause;
  const message = error instanceof Error ? error.message : String(error);
  return cause?.code ? `${message} (${cause.code})` : cause?.message ? `${message} (${cause.message})` : message;
}

function sleep(ms: number, signal: AbortSignal | undefined): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) return reject(signal.reason);
    const done = () => {
      signal?.removeEventListener('abort', abort);
      resolve();
    };
    const timer = setTimeout(done, ms);
    const abort = () => {
      clearTimeout(timer);
      reject(signal?.reason);
    };
    signal?.addEventListener('abort', abort, { once: true });
  });
}
