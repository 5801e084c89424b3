import type { Database } from '../db/database.js';
import { invalidParameter, notFound } from '../domain/errors.js';
import { formatDateTime } from '../domain/time.js';
import type { CallRecordFilter } from '../repositories/callRecords.js';
import { sumJobCalls } from '../repositories/consoleJobs.js';
import { findCallbackUrl } from '../repositories/consoleSettings.js';
import { existsJob } from '../repositories/jobs.js';
import type { CallRecordListItem } from '../schemas/callRecords.js';
import type { PageOf } from '../schemas/common.js';
import {
  type ConsoleJobItem,
  type ConsoleRecordsBody,
  type ExportQuery,
  LATER_ONLY_RECORD_FILTERS,
} from '../schemas/console.js';
import type { GetTasksQuery } from '../schemas/jobs.js';
import type { Caller } from './auth.js';
import { setCallbackUrl } from './callbacks.js';
import { callRecordFilter, callRecordItems, findCallRecordPage, getCallRecordInfoList } from './callRecords.js';
import { percent } from './jobStats.js';
import { getTasks } from './jobs.js';
import { IGNORED_WITH_LAST_CALL, laterCallRecordFilter } from './laterCallRecords.js';
import { pageOf, pageRequest } from './paging.js';
import { createApiKey, listKeys, setKeyEnabled, setTenantTimeZone } from './tenants.js';

/*
 * What the console asks beyond the Open API's own services: the job list with each job's calls and
 * answered rate (from the same incremental statistics as getTaskDetail, summed per job), the
 * tenant's API keys, and its settings. Every rule and statistic stays in the services the Open API uses.
 */

/** getTasks' page, each job with its calls and answered rate. */
export async function listConsoleJobs(
  db: Database,
  caller: Caller,
  query: GetTasksQuery,
): Promise<PageOf<ConsoleJobItem>> {
  const page = await getTasks(db, caller, query);
  const calls = await sumJobCalls(
    db,
    caller.tenantId,
    page.content.map((j) => j.robotCallJobId),
  );
  return {
    ...page,
    content: page.content.map((j) => {
      const c = calls.get(j.robotCallJobId) ?? { records: 0, answered: 0 };
      return {
        robotCallJobId: j.robotCallJobId,
        name: j.name,
        status: j.status,
        completedTask: j.completedTask,
        taskCallTotal: j.taskCallTotal,
        callCount: c.records,
        answeredRate: percent(c.answered, c.records, 2),
        createdByUserName: j.createdByUserName,
        creationTime: j.creationTime,
      };
    }),
  };
}

/** A filter value that means "no filter" (as the later list reads it): absent, null, blank text or an empty list. */
const given = (value: unknown) =>
  value !== undefined &&
  value !== null &&
  !(typeof value === 'string' && value.trim() === '') &&
  !(Array.isArray(value) && value.length === 0);

/** Whether the request uses a filter only the later list has. */
export const usesLaterFilters = (body: ExportQuery) => LATER_ONLY_RECORD_FILTERS.some((k) => given(body[k]));

/**
 * The repository filter of the records screen: the 2018 filters read by the 2018 list's rules
 * (callRecordFilter), the later-only ones by the later list's rules (laterCallRecordFilter: e.g.
 * redialTimes only with lastCallRecord, which excludes hangupBy, group, dialog flow…), both over
 * the one call-record query, so they combine and the page keeps the 2018 list's shape.
 */
export function consoleRecordFilter(body: ExportQuery, jobId: number, timeZone: string): CallRecordFilter {
  const base = callRecordFilter(
    {
      robotCallJobId: jobId,
      customerGroupId: body.customerGroupId,
      dialogFlowId: body.dialogFlowId,
      followStatus: body.followStatus,
      earliestCreationTime: body.earliestCreationTime,
      latestCreationTime: body.latestCreationTime,
      resultStatuses: body.resultStatuses,
      intentLevels: body.intentLevels,
      searchWords: body.searchWords,
      getTrainTaskList: body.getTrainTaskList,
    },
    timeZone,
  );
  if (!usesLaterFilters(body)) return base;
  if (body.lastCallRecord === true && body.getTrainTaskList === true)
    throw invalidParameter(
      'lastCallRecord',
      'cannot be combined with getTrainTaskList=true: a training call is never a call task’s latest call',
    );
  // The API ignores filters that take no effect (lastCallRecord's doc); the screen says so instead,
  // so that nobody reads a page as filtered by something that was not applied.
  if (body.lastCallRecord === true) {
    const ignored = IGNORED_WITH_LAST_CALL.find((name) => given(body[name]));
    if (ignored)
      throw invalidParameter(
        ignored,
        'takes no effect with lastCallRecord=true (only resultStatuses, intentLevels, chatDurationMin, chatDurationMax and redialTimes do)',
      );
  } else if (given(body.redialTimes)) {
    throw invalidParameter('redialTimes', 'takes effect only with lastCallRecord=true');
  }
  // No resultStatuses given to it: the later filter then always matches something.
  const later = laterCallRecordFilter({
    robotCallJobId: jobId,
    customerGroupId: body.customerGroupId,
    dialogFlowId: body.dialogFlowId,
    hangupBy: body.hangupBy,
    calledPhoneNumber: body.calledPhoneNumber,
    callRecordId: body.callRecordId,
    customerPersonName: body.customerPersonName,
    realIntent: body.realIntent,
    customerConcern: body.customerConcern,
    readStatus: body.readStatus,
    chatDurationMin: body.chatDurationMin,
    chatDurationMax: body.chatDurationMax,
    lastCallRecord: body.lastCallRecord,
    redialTimes: body.redialTimes,
  })!;
  return {
    ...base,
    hangupBy: later.hangupBy,
    calledPhoneNumber: later.calledPhoneNumber,
    callRecordId: later.callRecordId,
    customerName: later.customerName,
    manualMarked: later.manualMarked,
    customerConcerns: later.customerConcerns,
    readStatus: later.readStatus,
    chatDurationMin: later.chatDurationMin,
    chatDurationMax: later.chatDurationMax,
    lastCallRecord: later.lastCallRecord,
    redialTimes: later.redialTimes,
  };
}

/**
 * The records screen's page: getCallRecordInfoList's own answer for its filters; with a later-only
 * filter, the same page (same items, order and paging) of the combined filter, read by the same
 * query the later list reads (findCallRecordPage).
 */
export async function listConsoleRecords(
  db: Database,
  caller: Caller,
  jobId: number,
  body: ConsoleRecordsBody,
): Promise<PageOf<CallRecordListItem>> {
  const { pageNum, pageSize, ...filters } = body;
  if (!usesLaterFilters(filters))
    return getCallRecordInfoList(db, caller, { ...filters, pageNum, pageSize, robotCallJobId: jobId });
  const filter = consoleRecordFilter(filters, jobId, caller.timeZone);
  if (!(await existsJob(db, caller.tenantId, jobId))) throw notFound('robotCallJobId', jobId);
  const page = pageRequest(pageNum, pageSize);
  const { total, rows } = await findCallRecordPage(db, caller.tenantId, filter, page);
  return pageOf(page, total, await callRecordItems(db, caller, rows));
}

/** The tenant's keys, without secrets. */
export async function listTenantKeys(db: Database, caller: Caller) {
  return (await listKeys(db, caller.tenantId)).map((k) => ({
    appKey: k.app_key,
    enabled: k.enabled,
    createdAt: formatDateTime(Number(k.created_at), caller.timeZone),
    signatureVersion: k.min_signature_version,
  }));
}

/** A new key: its secret is in this answer only. */
export async function createTenantKey(db: Database, caller: Caller, now = Date.now()) {
  const { appKey, appSecret } = await createApiKey(db, caller.tenantId, now);
  return { appKey, appSecret };
}

/** Another tenant's key is not found. */
export async function setTenantKeyEnabled(
  db: Database,
  caller: Caller,
  appKey: string,
  enabled: boolean,
  now = Date.now(),
) {
  const own = (await listKeys(db, caller.tenantId)).some((k) => k.app_key === appKey);
  if (!own) throw notFound('appKey', appKey);
  await setKeyEnabled(db, appKey, enabled, now);
  return { appKey, enabled };
}

export async function getConsoleSettings(db: Database, caller: Caller) {
  return { callbackUrl: await findCallbackUrl(db, caller.tenantId), timeZone: caller.timeZone };
}

/**
 * The callback URL, validated as isv/updateIsvInfo validates it (services/callbacks.ts; empty
 * clears it), and the time zone (services/tenants.ts) — each only when sent.
 */
export async function updateConsoleSettings(
  db: Database,
  caller: Caller,
  body: { callbackUrl?: string | null; timeZone?: string },
) {
  // The zone first: a refused zone changes nothing.
  const timeZone =
    body.timeZone === undefined
      ? caller.timeZone
      : (await setTenantTimeZone(db, caller.tenantId, body.timeZone)).timeZone;
  if (body.callbackUrl === undefined) return { callbackUrl: await findCallbackUrl(db, caller.tenantId), timeZone };
  const raw = body.callbackUrl?.trim() ?? '';
  return { callbackUrl: await setCallbackUrl(db, caller.tenantId, raw === '' ? null : raw), timeZone };
}
