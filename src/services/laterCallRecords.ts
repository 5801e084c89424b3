import type { Database } from '../db/database.js';
import {
  type CallTaskStatus,
  HangupBy,
  IntentLevel,
  LaterCallTaskStatus,
  LaterResultStatus,
  laterCallTaskStatus,
  ReadStatus,
  type ResultStatus,
  storedCallTaskStatus,
  storedResultStatus,
} from '../domain/enums.js';
import { invalidParameter, notFound } from '../domain/errors.js';
import { formatDateTime, formatIsoLocal, formatMinute } from '../domain/time.js';
import { type CallRecordFilter, findCallRecord, listTurns, listTurnsOfRecord } from '../repositories/callRecords.js';
import {
  type CallTaskFilter,
  countCallTasks,
  deleteUncalledCallTasks,
  deleteUncalledCallTasksOfJob,
  findCallTask,
  listCallTasksPage,
} from '../repositories/callTasks.js';
import { findCustomerWithGroup } from '../repositories/customers.js';
import { listJobIntentLevelTagDetails } from '../repositories/jobStats.js';
import { addToTaskCallTotal, existsJob } from '../repositories/jobs.js';
import type { PageOf } from '../schemas/common.js';
import {
  type DeleteCallTaskListQuery,
  type LaterCallDetail,
  type LaterCallRecordItem,
  type LaterCallRecordListBody,
  MAX_DELETE_TASK_IDS,
  type ToBeCalledItem,
  type ToBeCalledQuery,
} from '../schemas/later/callRecords.js';
import type { Caller } from './auth.js';
import { findCallRecordPage, groupTurns, toTurn } from './callRecords.js';
import { retryDeadlock } from './callResults.js';
import { pageOf, pageRequest } from './paging.js';

/*
 * The later API's callRecord/ paths over the same records, call tasks and list as the 2018
 * task/ paths: the later filters, codes and shapes (docs/later/call-records.md).
 */

/** A value that means "no filter": absent, null, blank text or an empty list. */
const given = <T>(value: T | null | undefined): value is T =>
  value !== undefined &&
  value !== null &&
  !(typeof value === 'string' && value.trim() === '') &&
  !(Array.isArray(value) && value.length === 0);

/**
 * The filters that take no effect with lastCallRecord=true: the platform's doc lists the only ones
 * that do (robotCallJobId, resultStatuses, intentLevels, chatDurationMin/Max, redialTimes), so these
 * are ignored then, not refused (its own request example sends them together).
 */
export const IGNORED_WITH_LAST_CALL = [
  'hangupBy',
  'customerGroupId',
  'dialogFlowId',
  'calledPhoneNumber',
  'callRecordId',
  'customerPersonName',
  'realIntent',
  'customerConcern',
  'readStatus',
] as const;

/**
 * The repository filter of a later-API list request; `undefined` when it can match nothing (only
 * results outcall never stores were asked for). With lastCallRecord=true the filters of
 * IGNORED_WITH_LAST_CALL are ignored; without it redialTimes is (it takes effect only with it).
 */
export function laterCallRecordFilter(body: LaterCallRecordListBody): CallRecordFilter | undefined {
  const last = body.lastCallRecord === true;
  const min = body.chatDurationMin ?? undefined;
  const max = body.chatDurationMax ?? undefined;
  if (min !== undefined && max !== undefined && min > max)
    throw invalidParameter('chatDurationMax', `must not be less than chatDurationMin (${min}), got ${max}`);

  let resultStatuses: ResultStatus[] | undefined;
  if (given(body.resultStatuses)) {
    const asked = LaterResultStatus.parameterList(body.resultStatuses, 'resultStatuses');
    resultStatuses = asked.flatMap((s) => storedResultStatus(s) ?? []);
    if (resultStatuses.length === 0) return undefined;
  }
  const text = (value: string | null | undefined) => (given(value) ? value.trim() : undefined);
  // Every filter is read (a malformed one is a 412 either way), then those without effect dropped.
  const ignorable = {
    customerGroupId: body.customerGroupId ?? undefined,
    dialogFlowId: body.dialogFlowId ?? undefined,
    hangupBy: given(body.hangupBy) ? HangupBy.parameter(body.hangupBy, 'hangupBy') : undefined,
    calledPhoneNumber: text(body.calledPhoneNumber),
    callRecordId: body.callRecordId ?? undefined,
    customerName: text(body.customerPersonName),
    manualMarked: body.realIntent ?? undefined,
    customerConcerns: given(body.customerConcern) ? [...new Set(body.customerConcern)] : undefined,
    readStatus: given(body.readStatus) ? ReadStatus.parameter(body.readStatus, 'readStatus') : undefined,
  };
  return {
    jobId: body.robotCallJobId,
    training: false,
    ...(last ? {} : ignorable),
    resultStatuses,
    intentLevels: given(body.intentLevels) ? IntentLevel.parameterList(body.intentLevels, 'intentLevels') : undefined,
    chatDurationMin: min,
    chatDurationMax: max,
    lastCallRecord: last ? true : undefined,
    redialTimes: last ? (body.redialTimes ?? undefined) : undefined,
  };
}

/** The names the job's dialog flow's intent-level tag group gives A–F, and the group's id. */
async function intentLevelNames(db: Database, tenantId: number, jobId: number) {
  const details = await listJobIntentLevelTagDetails(db, tenantId, jobId);
  const byCode = new Map(details.map((d) => [Number(d.code), d.name]));
  return {
    tagId: details.length > 0 ? Number(details[0]!.intent_level_tag_id) : 0,
    /** A level's name in the group; the platform's own label when the group does not name it. */
    nameOf: (level: IntentLevel) => byCode.get(IntentLevel.code(level)) ?? IntentLevel.label(level),
  };
}

const asLevel = (value: string | null): IntentLevel | undefined =>
  value === null ? undefined : IntentLevel.parse(value);

/** callRecord/getCallRecordInfoList: one job's finished calls, newest first, with the later filters and shape. */
export async function getLaterCallRecordInfoList(
  db: Database,
  caller: Caller,
  body: LaterCallRecordListBody,
): Promise<PageOf<LaterCallRecordItem>> {
  const { tenantId, timeZone } = caller;
  const filter = laterCallRecordFilter(body);
  if (!(await existsJob(db, tenantId, body.robotCallJobId))) throw notFound('robotCallJobId', body.robotCallJobId);
  const page = pageRequest(body.pageNum, body.pageSize);
  if (!filter) return pageOf(page, 0, []);
  const [{ total, rows }, names] = await Promise.all([
    findCallRecordPage(db, tenantId, filter, page),
    intentLevelNames(db, tenantId, filter.jobId),
  ]);
  const turns = groupTurns(
    await listTurns(
      db,
      tenantId,
      rows.map((r) => r.id),
    ),
  );
  return pageOf(
    page,
    total,
    rows.map((r) => {
      const real = asLevel(r.real_intent_level);
      return {
        hangupBy: r.hangup_by,
        callRecordId: r.id,
        tenantId: r.tenant_id,
        robotCallJobId: r.job_id,
        dialogFlowId: r.dialog_flow_id,
        robotCallTaskId: r.call_task_id,
        customerPersonId: r.customer_person_id,
        calledPhoneNumber: r.called_phone_number,
        phoneNumberId: r.phone_line_id ?? 0,
        resultStatus: r.result_status,
        intentLevel: r.intent_level,
        intentLevelName: names.nameOf(r.intent_level),
        realIntentLevel: real ?? null,
        realIntentLevelName: real ? names.nameOf(real) : null,
        intentLevelTagId: names.tagId,
        customerConcern: r.customer_concern,
        fullAudioUrl: r.full_audio_url,
        customerAudioUrl: r.customer_audio_url,
        analysisBasis: r.analysis_basis,
        startTime: formatDateTime(r.start_time, timeZone),
        chatDuration: r.chat_duration,
        chatRound: r.chat_round,
        readStatus: r.read_status,
        redialTimes: r.redial_times,
        callDetailList: turns.get(r.id) ?? [],
      };
    }),
  );
}

const orNull = (ms: number | null, timeZone: string) => (ms === null ? null : formatDateTime(ms, timeZone));

/** callRecord/callDetail: one call of the caller's tenant, with its customer and transcript. */
export async function getLaterCallDetail(db: Database, caller: Caller, callRecordId: number): Promise<LaterCallDetail> {
  const { tenantId, timeZone } = caller;
  const record = await findCallRecord(db, tenantId, callRecordId);
  if (!record) throw notFound('callRecordId', callRecordId);
  const [customer, turnRows, names] = await Promise.all([
    record.customer_person_id === null ? undefined : findCustomerWithGroup(db, tenantId, record.customer_person_id),
    listTurnsOfRecord(db, tenantId, record.id),
    intentLevelNames(db, tenantId, record.job_id),
  ]);
  const real = asLevel(record.real_intent_level);
  return {
    callRecordId: record.id,
    robotCallJobId: record.job_id,
    customerPerson: customer
      ? {
          customerPersonId: customer.id,
          creationTime: formatMinute(customer.created_at, timeZone),
          tenantId: customer.tenant_id,
          customerGroupId: customer.customer_group_id,
          name: customer.name,
          phoneNumber: customer.phone_number,
          wechatNumber: customer.wechat_number,
          source: customer.source,
          gender: customer.gender,
          properties: customer.properties,
          lastFollowTime: orNull(customer.last_follow_time, timeZone),
          lastChatDuration: customer.last_chat_duration,
          lastStartTime: orNull(customer.last_start_time, timeZone),
          lastIntentLevel: customer.last_intent_level,
          lastDialStatus: customer.last_dial_status,
          assignTime: orNull(customer.assign_time, timeZone),
          customerGroupName: customer.customer_group_name,
        }
      : null,
    resultStatus: record.result_status,
    intentLevel: record.intent_level,
    intentLevelName: names.nameOf(record.intent_level),
    realIntentLevel: real ?? null,
    realIntentLevelName: real ? names.nameOf(real) : null,
    intentLevelTagId: names.tagId,
    customerConcern: record.customer_concern,
    fullAudioUrl: record.full_audio_url,
    customerAudioUrl: record.customer_audio_url,
    analysisBasis: record.analysis_basis,
    callDetailList: turnRows.map(toTurn),
    startTime: formatIsoLocal(record.start_time, timeZone),
    endTime: formatIsoLocal(record.end_time, timeZone),
    chatRound: record.chat_round,
    chatDuration: record.chat_duration,
    attributes: record.attributes,
    redialTimes: record.redial_times,
  };
}

/** Call tasks not finished: what toBeCalledList lists when no taskStatus is given. */
const UNFINISHED: readonly CallTaskStatus[] = ['NOT_STARTED', 'CALLING', 'REDIAL_WAITING'];

/** The stored states a later taskStatus selects (none for RETRY, IN_CACHE); COMPLETED is refused. */
function taskStatuses(taskStatus: string | undefined): readonly CallTaskStatus[] {
  if (!given(taskStatus)) return UNFINISHED;
  const status = LaterCallTaskStatus.parameter(taskStatus, 'taskStatus');
  if (status === 'COMPLETED')
    throw invalidParameter(
      'taskStatus',
      'COMPLETED is not a call task still to be called: finished calls are listed by callRecord/getCallRecordInfoList',
    );
  const stored = storedCallTaskStatus(status);
  return stored ? [stored] : [];
}

const textFilter = (value: string | undefined) => (given(value) ? value.trim() : undefined);

/** callRecord/toBeCalledList: the job's call tasks not finished yet, in import order. */
export async function getToBeCalledList(
  db: Database,
  caller: Caller,
  query: ToBeCalledQuery,
): Promise<PageOf<ToBeCalledItem>> {
  const { tenantId } = caller;
  const statuses = taskStatuses(query.taskStatus);
  if (!(await existsJob(db, tenantId, query.robotCallJobId))) throw notFound('robotCallJobId', query.robotCallJobId);
  const page = pageRequest(query.pageNum, query.pageSize);
  if (statuses.length === 0) return pageOf(page, 0, []);
  const filter: CallTaskFilter = {
    jobId: query.robotCallJobId,
    calledPhoneNumber: textFilter(query.calledPhoneNumber),
    statuses,
  };
  const [total, rows] = await Promise.all([
    countCallTasks(db, tenantId, filter),
    listCallTasksPage(db, tenantId, filter, page.pageSize, page.offset),
  ]);
  return pageOf(
    page,
    total,
    rows.map((r) => ({
      robotCallTaskId: r.id,
      customerPersonId: r.customer_person_id,
      customerPersonName: r.customer_name,
      calledPhoneNumber: r.called_phone_number,
      customerPersonGroupName: r.group_name ?? '',
      status: laterCallTaskStatus(r.status),
      inWhiteList: r.on_do_not_call,
      inShareWhiteList: null,
      properties: r.properties,
    })),
  );
}

/**
 * callRecord/deleteRobotCallTask: removes one call task never called (not started, no attempt, no
 * call recorded, not being claimed) and takes it off its job's task_call_total, in one transaction.
 */
export async function deleteRobotCallTask(db: Database, caller: Caller, robotCallTaskId: number): Promise<number> {
  const { tenantId } = caller;
  return retryDeadlock(() =>
    db.transaction(async (trx) => {
      const task = await findCallTask(trx, tenantId, robotCallTaskId);
      if (!task) throw notFound('robotCallTaskId', robotCallTaskId);
      const deleted = await deleteUncalledCallTasks(trx, tenantId, task.job_id, [task.id]);
      if (deleted.length === 0)
        throw invalidParameter(
          'robotCallTaskId',
          `${robotCallTaskId} has been called or is being called (${laterCallTaskStatus(task.status)}): only call tasks not yet called can be removed`,
        );
      await addToTaskCallTotal(trx, tenantId, task.job_id, -1);
      return robotCallTaskId;
    }),
  );
}

/** The ids of robotCallTaskIds: each value a comma-separated list; at most MAX_DELETE_TASK_IDS in all. */
export function parseTaskIds(values: readonly string[]): number[] {
  const ids: number[] = [];
  for (const value of values) {
    for (const part of value.split(',')) {
      const text = part.trim();
      if (text === '') continue;
      if (!/^\d{1,16}$/.test(text) || !Number.isSafeInteger(Number(text)) || Number(text) < 1)
        throw invalidParameter('robotCallTaskIds', `must be call task ids separated by commas, got "${text}"`);
      ids.push(Number(text));
      if (ids.length > MAX_DELETE_TASK_IDS)
        throw invalidParameter('robotCallTaskIds', `takes at most ${MAX_DELETE_TASK_IDS} ids`);
    }
  }
  return [...new Set(ids)];
}

/**
 * callRecord/deleteRobotCallTaskList: removes the job's call tasks never called, those of
 * robotCallTaskIds when given (the other filters are then ignored), else those matching
 * calledPhoneNumber and taskStatus. Tasks that cannot be removed are left; returns how many were.
 */
export async function deleteRobotCallTaskList(
  db: Database,
  caller: Caller,
  query: DeleteCallTaskListQuery,
): Promise<number> {
  const { tenantId } = caller;
  const jobId = query.robotCallJobId;
  const ids = parseTaskIds(query.robotCallTaskIds ?? []);
  const byIds = ids.length > 0;
  // Only NOT_STARTED call tasks can be removed: another state asked for removes nothing.
  const statuses = byIds ? UNFINISHED : taskStatuses(query.taskStatus);
  return retryDeadlock(() =>
    db.transaction(async (trx) => {
      if (!(await existsJob(trx, tenantId, jobId))) throw notFound('robotCallJobId', jobId);
      if (!statuses.includes('NOT_STARTED')) return 0;
      const removed = byIds
        ? (await deleteUncalledCallTasks(trx, tenantId, jobId, ids)).length
        : await deleteUncalledCallTasksOfJob(trx, tenantId, jobId, textFilter(query.calledPhoneNumber));
      if (removed > 0) await addToTaskCallTotal(trx, tenantId, jobId, -removed);
      return removed;
    }),
  );
}
