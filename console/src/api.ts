import { reactive } from 'vue';

/*
 * The console's only way to the server: JSON envelopes from /console/api ({code, data, resultMsg}),
 * the CSRF token on every changing request, and a 401 anywhere sends the user to sign-in.
 */

export const API_BASE = '/console/api';

export interface SessionUser {
  username: string;
  role: 'admin' | 'member';
  tenantId: number;
  tenantName: string;
  tenantSign: string;
}

export interface Page<T> {
  number: number;
  pageSize: number;
  totalElements: number;
  pages: number;
  content: T[];
}

/** A refused request: `code` is the envelope's (401, 403, 404, 412, 429…), `message` the server's resultMsg. */
export class ApiError extends Error {
  constructor(
    readonly code: number,
    message: string,
  ) {
    super(message);
  }
}

export const session = reactive<{ user: SessionUser | null; csrfToken: string | null }>({
  user: null,
  csrfToken: null,
});

let onUnauthorized: () => void = () => undefined;
/** What to do when the session is gone (the router sends the user to sign-in). */
export function setUnauthorizedHandler(handler: () => void): void {
  onUnauthorized = handler;
}

type Method = 'GET' | 'POST' | 'PUT' | 'DELETE';

export async function request<T>(method: Method, path: string, body?: unknown): Promise<T> {
  const headers: Record<string, string> = { accept: 'application/json' };
  if (body !== undefined) headers['content-type'] = 'application/json';
  if (method !== 'GET' && session.csrfToken) headers['x-csrf-token'] = session.csrfToken;
  const response = await fetch(API_BASE + path, {
    method,
    headers,
    credentials: 'same-origin',
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  let envelope: { code?: number; data?: unknown; resultMsg?: string };
  try {
    envelope = (await response.json()) as typeof envelope;
  } catch {
    throw new ApiError(response.status || 500, `HTTP ${response.status}`);
  }
  const code = typeof envelope.code === 'number' ? envelope.code : response.status;
  if (code === 200) return envelope.data as T;
  if (code === 401 && !path.startsWith('/session')) {
    session.user = null;
    session.csrfToken = null;
    onUnauthorized();
  }
  throw new ApiError(code, envelope.resultMsg ?? `HTTP ${response.status}`);
}

export const get = <T>(path: string) => request<T>('GET', path);
export const post = <T>(path: string, body?: unknown) => request<T>('POST', path, body ?? {});
export const put = <T>(path: string, body?: unknown) => request<T>('PUT', path, body ?? {});
export const del = <T>(path: string) => request<T>('DELETE', path);

/** A query string of the given values, leaving out empty ones; lists repeat their key. */
export function queryString(values: Record<string, unknown>): string {
  const params = new URLSearchParams();
  for (const [key, value] of Object.entries(values)) {
    if (value === undefined || value === null || value === '') continue;
    if (Array.isArray(value)) for (const item of value) params.append(key, String(item));
    else params.append(key, String(value));
  }
  const text = params.toString();
  return text ? `?${text}` : '';
}

// ---- Session

interface SessionAnswer {
  user: SessionUser;
  csrfToken: string;
}

function keep(answer: SessionAnswer): SessionUser {
  session.user = answer.user;
  session.csrfToken = answer.csrfToken;
  return answer.user;
}

export async function signIn(username: string, password: string): Promise<SessionUser> {
  return keep(await post<SessionAnswer>('/session', { username, password }));
}

/** The current session, or null when there is none. */
export async function loadSession(): Promise<SessionUser | null> {
  try {
    return keep(await get<SessionAnswer>('/session'));
  } catch (error) {
    if (error instanceof ApiError && error.code === 401) return null;
    throw error;
  }
}

export async function signOut(): Promise<void> {
  try {
    await del<null>('/session');
  } finally {
    session.user = null;
    session.csrfToken = null;
  }
}

export const changePassword = (currentPassword: string, newPassword: string) =>
  post<null>('/password', { currentPassword, newPassword });

// ---- Reference data

export interface DialogFlow {
  dialogFlowId: number;
  name: string;
}
export interface PhoneLine {
  phoneNumberId: number;
  phoneNumber: string;
  phoneType: string;
  phoneName: string | null;
}
export const dialogFlows = () => get<DialogFlow[]>('/dialogFlows');
export const phoneLines = () => get<PhoneLine[]>('/phoneLines');

// ---- Jobs

export interface JobRow {
  robotCallJobId: number;
  name: string;
  status: string;
  completedTask: number;
  taskCallTotal: number;
  callCount: number;
  answeredRate: number;
  createdByUserName: string | null;
  creationTime: string;
}

export interface Point {
  date: string;
  val: number;
}

export interface JobStats {
  taskProgress: number;
  answeredRate: number;
  taskCallTotal: number;
  answeredTask: number;
  completedTask: number;
  chatDurationTotal: number;
  intentLevel: Record<string, number>;
  dialResult: Record<string, number>;
  chatRound: Record<string, number>;
  chatDuration: Record<string, number>;
  customerConcern: string[];
  callJobStatsBrokenLine: Record<string, Point[]>;
}

export interface JobSettings {
  robotCallJobId: number;
  name: string;
  mode: string;
  status: string;
  robotCount: number;
  phoneType: string;
  dialogFlowId: number;
  dailyStartTime: string;
  dailyEndTime: string;
  inactiveStartTime: string;
  inactiveEndTime: string;
  description: string | null;
  startTime: string | null;
  nextStartTime: string | null;
  creationTime: string;
  lastModifiedTime: string;
  smsTemplateId: number | null;
  wechatAlertLevel: string[];
  smsAlertLevel: string[];
  wechatSendMethod: string;
  [key: string]: unknown;
}

export interface JobDetail {
  robotCallJob: JobSettings;
  jobPhoneNumberList: PhoneLine[] | null;
  completedTask: number;
  taskCallTotal: number;
  createdByUserName: string | null;
  organizationName: string | null;
  dialogFlowName: string | null;
  smsTemplateName: string | null;
  systemPauseNextStart: string | null;
  callJobStatsInfo: JobStats;
}

export const listJobs = (query: { name?: string; status?: string; pageNum: number; pageSize: number }) =>
  get<Page<JobRow>>(`/jobs${queryString(query)}`);
export const jobDetail = (id: number) => get<JobDetail>(`/jobs/${id}`);

/** The later API's job detail (job/getJobDetail): what the 2018 one lacks, read by the job detail screen. */
export interface LaterJobDetail {
  robotCallJob: {
    robotCallJobId: number;
    /** Every window the job does not dial in, `HH:mm` (up to three). */
    inactiveTimeList: { startTime: string; endTime: string }[];
    /** The call results that make a call wait for a redial; empty: no redial. */
    redialCondition: string[];
    /** Minutes between a failed call and its redial. */
    redialInterval: number;
    /** Redials after the first call, per round of dialling. */
    redialTimes: number;
    [key: string]: unknown;
  };
  [key: string]: unknown;
}
export const laterJobDetail = (id: number) => get<LaterJobDetail>(`/jobs/${id}/later`);
export const createJob = (body: Record<string, unknown>) => post<{ robotCallJobId: number }>('/jobs', body);
export type JobAction = 'start' | 'pause' | 'resume' | 'stop';
export const jobAction = (id: number, action: JobAction) =>
  post<{ robotCallJobId: number; status: string }>(`/jobs/${id}/${action}`);
export const deleteJob = (id: number) => del<{ robotCallJobId: number; deleted: boolean }>(`/jobs/${id}`);

export interface CustomerRow {
  phoneNumber: string;
  name?: string;
  gender?: string;
  properties?: Record<string, string>;
}
export interface ImportResult {
  robotCallJobId: number;
  status: string;
  taskCallTotal: number;
  accepted: { index: number; phoneNumber: string; customerPersonId: number; robotCallTaskId: number }[];
  rejected: { index: number; phoneNumber: string; reason: string }[];
}
export const importCustomers = (id: number, customers: CustomerRow[]) =>
  post<ImportResult>(`/jobs/${id}/customers`, { customers });

// ---- Call records

export interface Turn {
  text: string;
  type: string;
  callDetailId: number;
}
export interface CallRecord {
  callRecordId: number;
  robotCallJobId: number;
  calledPhoneNumber: string;
  resultStatus: string;
  intentLevel: string;
  realIntentLevel: string | null;
  customerConcern: string[];
  fullAudioUrl: string | null;
  customerAudioUrl: string | null;
  analysisBasis: string;
  startTime: string;
  chatDuration: number;
  chatRound: number;
  readStatus: string;
  customerGroupName: string | null;
  dialogFlowName: string | null;
  customerPersonInfo: {
    customerPersonId: number;
    name: string;
    phoneNumber: string;
    gender: string;
    followStatus: string;
    properties: Record<string, unknown>;
  } | null;
  callDetailList: Turn[];
}
export interface CallDetail extends Omit<CallRecord, 'customerPersonInfo' | 'startTime'> {
  startTime: string;
  endTime: string;
  customerPerson: {
    customerPersonId: number;
    name: string;
    phoneNumber: string;
    gender: string;
    followStatus: string;
    customerGroupName: string | null;
    properties: Record<string, unknown>;
    creationTime: string;
  } | null;
}

export const listRecords = (id: number, filters: Record<string, unknown>) =>
  post<Page<CallRecord>>(`/jobs/${id}/records`, filters);
export const recordDetail = (callRecordId: number) => get<CallDetail>(`/records/${callRecordId}`);
/** The URL of the streamed export of a job's records under the given filters. */
export const exportUrl = (id: number, format: 'csv' | 'xlsx', filters: Record<string, unknown>) =>
  `${API_BASE}/jobs/${id}/records.${format}${queryString(filters)}`;

// ---- Settings

export interface ApiKey {
  appKey: string;
  enabled: boolean;
  createdAt: string;
  signatureVersion: string | number;
}
export const listKeys = () => get<ApiKey[]>('/keys');
export const createKey = () => post<{ appKey: string; appSecret: string }>('/keys');
export const setKeyEnabled = (appKey: string, enabled: boolean) =>
  post<null>(`/keys/${encodeURIComponent(appKey)}/${enabled ? 'enable' : 'disable'}`);
export const getSettings = () => get<{ callbackUrl: string | null; timeZone?: string }>('/settings');
export const putSettings = (settings: { callbackUrl?: string; timeZone?: string }) =>
  put<{ callbackUrl: string | null; timeZone: string }>('/settings', settings);

/** A caller line as the settings screen shows it (phone/getPhoneDetail's answer; docs/lines.md). */
export interface CallerLine {
  phoneNumberId: number;
  phoneNumber: string;
  phoneType: string;
  phoneName: string | null;
  engine: string;
  channels: number | null;
  callsPerSecond: number | null;
  ringTimeoutSeconds: number;
  maxCallSeconds: number;
  dailyCapPerNumber: number | null;
  enabled: boolean;
  disabledReason: string | null;
  consecutiveFailures: number;
  highWaterMark: number;
  sipUri: string | null;
  sipUsername: string | null;
  hasSipPassword: boolean;
  sipTransport: string;
  sipCodecs: string[];
  creationTime: string;
}
interface LineChange {
  phoneLine: CallerLine;
  changed: string[];
}
export const listLines = () => get<CallerLine[]>('/lines');
export const addLine = (body: Record<string, unknown>) => post<LineChange>('/lines', body);
export const changeLine = (id: number, body: Record<string, unknown>) => put<LineChange>(`/lines/${id}`, body);
export const setLineEnabled = (id: number, enabled: boolean) =>
  post<LineChange>(`/lines/${id}/${enabled ? 'enable' : 'disable'}`);
export const listCallbacks = (query: Record<string, unknown>) =>
  get<Page<Record<string, unknown>> | Record<string, unknown>[]>(`/callbacks${queryString(query)}`);
