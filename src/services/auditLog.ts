import { randomUUID } from 'node:crypto';
import type { Database } from '../db/database.js';
import { invalidParameter } from '../domain/errors.js';
import { formatDateTime, isCalendarDate, startOfLocalDate, timeBound } from '../domain/time.js';
import {
  type AuditLogFilter,
  countAuditEntries,
  deleteAuditEntriesBefore,
  insertAuditEntry,
  listAuditEntries,
  listTenantTimeZones,
  type NewAuditEntry,
} from '../repositories/auditLog.js';
import type { AuditLogEntry, AuditLogListQuery } from '../schemas/auditLog.js';
import type { PageOf } from '../schemas/common.js';
import type { Caller } from './auth.js';
import { pageOf, pageRequest } from './paging.js';

/*
 * The audit log: one entry per changing request (POST, PUT, PATCH, DELETE under /apiOpen/) that
 * was authenticated — which key, which action and job, when, the outcome (envelope code and
 * message), the client address and the requestId. Refusals count (a 412 or 404 is an attempt);
 * requests refused before a key was proven (401, 403) name no tenant and are not entered, and
 * neither are rate-limited ones (429): they did nothing, and entering each would let a client
 * flooding past its limit make the server write at the flood's rate. The entry holds counts, never
 * the request's content (no numbers, names, transcripts or secrets).
 */

/** The stored resultMsg is cut to this length. */
const MAX_RESULT_MSG = 300;
const MAX_SUMMARY = 500;

/** `task/start` from the route `/apiOpen/v1/task/start`. */
export function auditAction(routeUrl: string): string {
  // The console's routes: `console/jobs/:id/start` from `/console/api/jobs/:id/start`.
  return routeUrl.replace(/^\/apiOpen\/(v1\/)?/, '').replace(/^\/console\/api\//, 'console/');
}

const isId = (v: unknown): v is number | string =>
  (typeof v === 'number' || (typeof v === 'string' && /^\d{1,16}$/.test(v))) &&
  Number.isSafeInteger(Number(v)) &&
  Number(v) >= 1;

const objectOf = (v: unknown): Record<string, unknown> | undefined =>
  typeof v === 'object' && v !== null && !Array.isArray(v) ? (v as Record<string, unknown>) : undefined;

/**
 * The job a request names: the one its answer names (create), else `robotCallJobId` of its body or
 * query, else the one job every item of a batch (a list the body schema declares) names (addCallRecords).
 */
export function auditJobId(
  body: unknown,
  query: unknown,
  data: unknown,
  fields: readonly string[] = [],
): number | null {
  for (const source of [data, body, query]) {
    const id = objectOf(source)?.robotCallJobId;
    if (isId(id)) return Number(id);
  }
  const b = objectOf(body) ?? {};
  for (const key of fields) {
    const value = Object.hasOwn(b, key) ? b[key] : undefined;
    if (!Array.isArray(value) || value.length === 0) continue;
    const ids = new Set(
      value.map((item) => objectOf(item)?.robotCallJobId).map((id) => (isId(id) ? Number(id) : null)),
    );
    if (ids.size === 1) {
      const [only] = ids;
      if (only !== null && only !== undefined) return only;
    }
  }
  return null;
}

/**
 * What the request carried and what it did, in counts: each list of the body by its length
 * (`callRecords: 5000`), then the answer's numbers, flags, list lengths and enum-like words
 * (`accepted: 4990, duplicates: 10`, `status: IN_PROCESS`). Never text the client wrote: only the
 * body's `fields` (those its schema declares) are counted, not any name a client may send.
 */
export function auditSummary(body: unknown, data: unknown, fields: readonly string[] = []): string | null {
  const parts: string[] = [];
  const sent = objectOf(body) ?? {};
  for (const key of fields) {
    const value = Object.hasOwn(sent, key) ? sent[key] : undefined;
    if (Array.isArray(value)) parts.push(`${key}: ${value.length}`);
  }
  const lists = parts.join(', ');
  const done: string[] = [];
  for (const [key, value] of Object.entries(objectOf(data) ?? {})) {
    if (key === 'robotCallJobId') continue;
    if (Array.isArray(value)) done.push(`${key}: ${value.length}`);
    else if (typeof value === 'number' || typeof value === 'boolean') done.push(`${key}: ${value}`);
    else if (typeof value === 'string' && /^[A-Z][A-Z_]{0,39}$/.test(value)) done.push(`${key}: ${value}`);
  }
  // An answer that is a bare count (deleteRobotCallTaskList: how many were deleted).
  if (typeof data === 'number') done.push(String(data));
  const text = [lists && `sent ${lists}`, done.length > 0 && `answered ${done.join(', ')}`].filter(Boolean).join('; ');
  return text === '' ? null : text.slice(0, MAX_SUMMARY);
}

export interface AuditedRequest {
  caller: Caller;
  /** The console user who made the request; null for a request signed with an appKey. */
  userName?: string | null;
  method: string;
  routeUrl: string;
  body: unknown;
  /** The fields the route's body schema declares. */
  bodyFields: readonly string[];
  query: unknown;
  /** The answer's envelope. */
  code: number;
  resultMsg: string;
  data: unknown;
  clientIp: string;
  requestId: string;
  at: number;
}

export function auditEntryOf(r: AuditedRequest): NewAuditEntry {
  return {
    tenant_id: r.caller.tenantId,
    app_key: r.caller.appKey,
    user_name: r.userName ?? null,
    method: r.method,
    action: auditAction(r.routeUrl),
    robot_call_job_id: auditJobId(r.body, r.query, r.data, r.bodyFields),
    code: r.code,
    result_msg: r.resultMsg.slice(0, MAX_RESULT_MSG),
    summary: auditSummary(r.body, r.data, r.bodyFields),
    client_ip: r.clientIp,
    request_id: r.requestId,
    created_at: r.at,
  };
}

/**
 * An entry for a change made outside an HTTP request: by an operator with the CLI (`actor` cli) or
 * by outcall itself (a caller line disabled after failures). Like every entry it says what
 * changed, never the values (no numbers, names or secrets).
 */
export async function auditChangeOutsideRequest(
  db: Database,
  e: {
    tenantId: number;
    actor: 'cli' | 'outcall';
    action: string;
    resultMsg: string;
    summary: string | null;
    at: number;
  },
): Promise<void> {
  await insertAuditEntry(db, {
    tenant_id: e.tenantId,
    app_key: '',
    user_name: e.actor === 'cli' ? 'outcall CLI' : 'outcall',
    method: e.actor === 'cli' ? 'CLI' : 'SYSTEM',
    action: e.action,
    robot_call_job_id: null,
    code: 200,
    result_msg: e.resultMsg.slice(0, MAX_RESULT_MSG),
    summary: e.summary?.slice(0, MAX_SUMMARY) ?? null,
    client_ip: '',
    request_id: randomUUID(),
    created_at: e.at,
  });
}

/** Writes one entry (one insert). */
export async function writeAuditEntry(db: Database, entry: NewAuditEntry): Promise<void> {
  await insertAuditEntry(db, entry);
}

/** The tenant's entries, newest first. */
export async function getAuditLog(
  db: Database,
  caller: Caller,
  query: AuditLogListQuery,
): Promise<PageOf<AuditLogEntry>> {
  const { tenantId, timeZone } = caller;
  const filter: AuditLogFilter = {
    action: query.action?.trim() || undefined,
    jobId: query.robotCallJobId,
    code: query.code,
    from: timeBound('earliestTime', query.earliestTime, timeZone, false),
    before: timeBound('latestTime', query.latestTime, timeZone, true),
  };
  const page = pageRequest(query.pageNum, query.pageSize);
  const [total, rows] = await Promise.all([
    countAuditEntries(db, tenantId, filter),
    listAuditEntries(db, tenantId, filter, page.pageSize, page.offset),
  ]);
  return pageOf(
    page,
    total,
    rows.map((r) => ({
      auditLogId: r.id,
      creationTime: formatDateTime(r.created_at, timeZone),
      appKey: r.app_key,
      userName: r.user_name,
      method: r.method,
      action: r.action,
      robotCallJobId: r.robot_call_job_id,
      code: r.code,
      resultMsg: r.result_msg,
      summary: r.summary,
      clientIp: r.client_ip,
      requestId: r.request_id,
    })),
  );
}

/**
 * Removes the entries made before the day `date` (yyyy-MM-dd) began in each tenant's time zone —
 * one tenant's, or every tenant's; returns how many.
 */
export async function pruneAuditLog(db: Database, date: string, tenantId?: number): Promise<number> {
  if (!isCalendarDate(date) || date < '1970' || date > '2101')
    throw invalidParameter('before', `must be a date yyyy-MM-dd from 1970 to 2100, got "${date}"`);
  let removed = 0;
  for (const tenant of await listTenantTimeZones(db)) {
    if (tenantId !== undefined && tenant.id !== tenantId) continue;
    removed += await deleteAuditEntriesBefore(db, tenant.id, startOfLocalDate(date, tenant.time_zone));
  }
  return removed;
}
