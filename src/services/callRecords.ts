import type { Database } from '../db/database.js';
import { FollowStatus, IntentLevel, ResultStatus, type TurnType } from '../domain/enums.js';
import { invalidParameter, notFound } from '../domain/errors.js';
import {
  FIRST_YEAR,
  formatDateTime,
  formatIsoLocal,
  formatMinute,
  inSupportedYears,
  isCalendarDate,
  LAST_YEAR,
  nextDate,
  startOfLocalDate,
} from '../domain/time.js';
import {
  type CallRecordFilter,
  countCallRecords,
  findCallRecord,
  listCallRecords,
  listTurns,
  listTurnsOfRecord,
} from '../repositories/callRecords.js';
import { findCustomerWithGroup } from '../repositories/customers.js';
import { existsJob } from '../repositories/jobs.js';
import type { CallDetail, CallRecordListBody, CallRecordListItem, Turn } from '../schemas/callRecords.js';
import type { PageOf } from '../schemas/common.js';
import type { Caller } from './auth.js';
import { type PageRequest, pageOf, pageRequest } from './paging.js';

/** A `yyyy-MM-dd` bound as the instant its tenant-local day starts; empty or null means none. */
function dayStart(
  parameter: string,
  value: string | null | undefined,
  timeZone: string,
  endOfDay: boolean,
): number | undefined {
  if (value === undefined || value === null || value.trim() === '') return undefined;
  const text = value.trim();
  if (/^\d{4}-\d{2}-\d{2}[ T]/.test(text))
    throw invalidParameter(parameter, `must be a date without time (yyyy-MM-dd), got "${text}"`);
  if (!isCalendarDate(text)) throw invalidParameter(parameter, `must be a date in the form yyyy-MM-dd, got "${text}"`);
  if (!inSupportedYears(text))
    throw invalidParameter(parameter, `must be a date from ${FIRST_YEAR}-01-01 to ${LAST_YEAR}-12-31, got "${text}"`);
  return startOfLocalDate(endOfDay ? nextDate(text) : text, timeZone);
}

/** Turns the request body into the repository's filter, refusing what cannot be served. */
export function callRecordFilter(body: CallRecordListBody, timeZone: string): CallRecordFilter {
  const followStatus =
    body.followStatus === undefined || body.followStatus === ''
      ? undefined
      : FollowStatus.parameter(body.followStatus, 'followStatus');
  const startFrom = dayStart('earliestCreationTime', body.earliestCreationTime, timeZone, false);
  const startBefore = dayStart('latestCreationTime', body.latestCreationTime, timeZone, true);
  const searchWords = body.searchWords?.trim();
  return {
    jobId: body.robotCallJobId,
    training: body.getTrainTaskList === true,
    customerGroupId: body.customerGroupId,
    dialogFlowId: body.dialogFlowId,
    followStatus,
    startFrom,
    startBefore,
    resultStatuses: body.resultStatuses?.length
      ? ResultStatus.parameterList(body.resultStatuses, 'resultStatuses')
      : undefined,
    intentLevels: body.intentLevels?.length ? IntentLevel.parameterList(body.intentLevels, 'intentLevels') : undefined,
    searchWords: searchWords ? searchWords : undefined,
  };
}

export function groupTurns(rows: Awaited<ReturnType<typeof listTurns>>): Map<number, Turn[]> {
  const byRecord = new Map<number, Turn[]>();
  for (const t of rows) {
    const list = byRecord.get(t.call_record_id) ?? [];
    byRecord.set(t.call_record_id, list);
    list.push(toTurn(t));
  }
  return byRecord;
}

/** A turn as the API shows it. */
export const toTurn = (t: { id: number; type: TurnType; text: string }): Turn => ({
  text: t.text,
  type: t.type,
  callDetailId: t.id,
});

/** getCallRecordInfoList: one job's finished calls, newest first, each with its transcript. */
export async function getCallRecordInfoList(
  db: Database,
  caller: Caller,
  body: CallRecordListBody,
): Promise<PageOf<CallRecordListItem>> {
  const { tenantId, timeZone } = caller;
  const filter = callRecordFilter(body, timeZone);
  if (!(await existsJob(db, tenantId, filter.jobId))) throw notFound('robotCallJobId', filter.jobId);
  const page = pageRequest(body.pageNum, body.pageSize);
  const { total, rows } = await findCallRecordPage(db, tenantId, filter, page);
  return pageOf(page, total, await callRecordItems(db, caller, rows));
}

/** One page of a job's filtered call records, newest first, and their exact total (both generations' list). */
export async function findCallRecordPage(db: Database, tenantId: number, filter: CallRecordFilter, page: PageRequest) {
  // Counted first: the number of matches decides how a search's page is best found, and a page
  // past the end (a filter nothing matches) is not looked for.
  const total = await countCallRecords(db, tenantId, filter);
  const rows = await listCallRecords(db, tenantId, filter, page.pageSize, page.offset, total);
  return { total, rows };
}

/** The list's items of call record rows, each with its transcript (the console's export reads its pages through this too). */
export async function callRecordItems(
  db: Database,
  caller: Caller,
  rows: Awaited<ReturnType<typeof listCallRecords>>,
): Promise<CallRecordListItem[]> {
  const { tenantId, timeZone } = caller;
  const turns = groupTurns(
    await listTurns(
      db,
      tenantId,
      rows.map((r) => r.id),
    ),
  );
  return rows.map((r) => ({
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
    realIntentLevel: r.real_intent_level,
    customerConcern: r.customer_concern,
    fullAudioUrl: r.full_audio_url,
    customerAudioUrl: r.customer_audio_url,
    analysisBasis: r.analysis_basis,
    startTime: formatDateTime(r.start_time, timeZone),
    chatDuration: r.chat_duration,
    chatRound: r.chat_round,
    manualMarked: r.manual_marked,
    readStatus: r.read_status,
    customerGroupName: r.customer_group_name,
    robotCallJobName: r.job_name,
    dialogFlowName: r.dialog_flow_name,
    customerPersonInfo:
      r.customer_person_id === null || r.customer_name === null || r.customer_follow_status === null
        ? null
        : {
            customerPersonId: r.customer_person_id,
            name: r.customer_name,
            phoneNumber: r.customer_phone_number ?? '',
            gender: r.customer_gender ?? 'UNKNOWN',
            followStatus: r.customer_follow_status,
            properties: r.customer_properties,
          },
    callDetailList: turns.get(r.id) ?? [],
  }));
}

const orNull = (ms: number | null, timeZone: string) => (ms === null ? null : formatDateTime(ms, timeZone));

/** callDetail: one call of the caller's tenant, with its customer and transcript. Reading changes nothing. */
export async function getCallDetail(db: Database, caller: Caller, callRecordId: number): Promise<CallDetail> {
  const { tenantId, timeZone } = caller;
  const record = await findCallRecord(db, tenantId, callRecordId);
  if (!record) throw notFound('callRecordId', callRecordId);
  const [customer, turnRows] = await Promise.all([
    record.customer_person_id === null ? undefined : findCustomerWithGroup(db, tenantId, record.customer_person_id),
    listTurnsOfRecord(db, tenantId, record.id),
  ]);
  return {
    callRecordId: record.id,
    customerAudioUrl: record.customer_audio_url,
    startTime: formatIsoLocal(record.start_time, timeZone),
    endTime: formatIsoLocal(record.end_time, timeZone),
    chatRound: record.chat_round,
    chatDuration: record.chat_duration,
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
          lastEmotion: customer.last_emotion,
          customerLevel: customer.customer_level,
          gender: customer.gender,
          followUserId: customer.follow_user_id,
          followStatus: customer.follow_status,
          properties: customer.properties,
          lastFollowTime: orNull(customer.last_follow_time, timeZone),
          lastChatDuration: customer.last_chat_duration,
          lastStartTime: orNull(customer.last_start_time, timeZone),
          attributes: customer.attributes,
          lastIntentLevel: customer.last_intent_level,
          lastDialStatus: customer.last_dial_status,
          assignTime: orNull(customer.assign_time, timeZone),
          customerGroupName: customer.customer_group_name,
        }
      : null,
    resultStatus: record.result_status,
    intentLevel: record.intent_level,
    realIntentLevel: record.real_intent_level,
    customerConcern: record.customer_concern,
    fullAudioUrl: record.full_audio_url,
    analysisBasis: record.analysis_basis,
    callDetailList: turnRows.map(toTurn),
    manualMarked: record.manual_marked,
    robotCallJobId: record.job_id,
    attributes: record.attributes,
  };
}
