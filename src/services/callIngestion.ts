import type { Database } from '../db/database.js';
import { HangupBy, IntentLevel, ReadStatus, ResultStatus, TurnType } from '../domain/enums.js';
import { invalidParameter } from '../domain/errors.js';
import { FIRST_YEAR, inSupportedYears, LAST_YEAR, LATEST_INSTANT, parseLocalDateTime } from '../domain/time.js';
import type { IncomingCallRecord, IngestResult } from '../schemas/ingestion.js';
import type { Caller } from './auth.js';
import { type FinishedCall, recordFinishedCalls } from './callResults.js';

/**
 * Finished calls from external call engines. Every item is checked before anything is written;
 * one bad item refuses the whole request (412 naming it), so a retry of the corrected request
 * records each call exactly once.
 */

const INSTANT_RULE = `must be epoch milliseconds (0 to ${LATEST_INSTANT}) or yyyy-MM-dd HH:mm:ss, from ${FIRST_YEAR} to ${LAST_YEAR}`;

/** An instant from 1970 to 2100 (docs/api.md, Input limits): whatever passes fits a Date and a bigint column. */
function instant(parameter: string, value: number | string, timeZone: string): number {
  const text = String(value).trim();
  const parsed = /^\d{1,16}$/.test(text)
    ? Number(text)
    : inSupportedYears(text)
      ? parseLocalDateTime(text, timeZone)
      : undefined;
  if (parsed === undefined || !Number.isSafeInteger(parsed) || parsed < 0 || parsed > LATEST_INSTANT)
    throw invalidParameter(parameter, `${INSTANT_RULE}, got ${JSON.stringify(value)}`);
  return parsed;
}

/** Checks one incoming call and converts it; `at` prefixes parameter names in errors ("callRecords[3]"), or is empty. */
export function toFinishedCall(item: IncomingCallRecord, at: string, timeZone: string): FinishedCall {
  const p = (name: string) => (at ? `${at}.${name}` : name);
  const startTime = instant(p('startTime'), item.startTime, timeZone);
  const endTime = instant(p('endTime'), item.endTime, timeZone);
  if (endTime < startTime) throw invalidParameter(p('endTime'), 'must not be earlier than startTime');
  const resultStatus = ResultStatus.parameter(item.resultStatus, p('resultStatus'));
  if (resultStatus !== 'ANSWERED' && item.chatDuration > 0)
    throw invalidParameter(p('chatDuration'), `must be 0 for a call that was not answered (${resultStatus})`);
  return {
    idempotencyKey: item.idempotencyKey,
    robotCallJobId: item.robotCallJobId,
    callTaskId: item.robotCallTaskId ?? null,
    calledPhoneNumber: item.calledPhoneNumber.trim(),
    phoneLineId: item.phoneNumberId ?? null,
    resultStatus,
    intentLevel: IntentLevel.parameter(item.intentLevel, p('intentLevel')),
    realIntentLevel:
      item.realIntentLevel == null ? null : IntentLevel.parameter(item.realIntentLevel, p('realIntentLevel')),
    customerConcern: item.customerConcern ?? [],
    fullAudioUrl: item.fullAudioUrl ?? null,
    customerAudioUrl: item.customerAudioUrl ?? null,
    analysisBasis: item.analysisBasis ?? '',
    startTime,
    endTime,
    chatDuration: item.chatDuration,
    chatRound: item.chatRound,
    manualMarked: item.manualMarked ?? false,
    readStatus: item.readStatus === undefined ? 'NOT_READ' : ReadStatus.parameter(item.readStatus, p('readStatus')),
    attributes: item.attributes ?? [],
    training: item.training ?? false,
    hangupBy: item.hangupBy == null ? null : HangupBy.parameter(item.hangupBy, p('hangupBy')),
    turns: (item.callDetailList ?? []).map((t, i) => ({
      type: TurnType.parameter(t.type, p(`callDetailList[${i}].type`)),
      text: t.text,
    })),
  };
}

/** Records the calls of one request; `at(i)` names item i in errors. */
export async function ingestCallRecords(
  database: Database,
  caller: Caller,
  items: IncomingCallRecord[],
  at: (i: number) => string,
): Promise<IngestResult> {
  const calls = items.map((item, i) => toFinishedCall(item, at(i), caller.timeZone));
  const results = await recordFinishedCalls(database, caller.tenantId, calls);
  const duplicates = results.filter((r) => r.duplicate).length;
  return { accepted: results.length - duplicates, duplicates, results };
}
