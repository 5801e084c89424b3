import { randomBytes } from 'node:crypto';
import type { Database } from '../db/database.js';
import type { CallbackState, Tenant } from '../db/schema.js';
import { validateCallbackUrl } from '../domain/callbackUrl.js';
import { invalidParameter, notFound } from '../domain/errors.js';
import { formatDateTime, LATEST_INSTANT, timeBound } from '../domain/time.js';
import {
  type CallbackFilter,
  countCallbackEvents,
  deleteCallbackBatches,
  deleteFinishedCallbackEvents,
  findTenantCallback,
  insertCallbackBatch,
  insertCallbackEvents,
  listCallbackAttempts,
  listCallbackEvents,
  listCustomerProperties,
  type NewCallbackEvent,
  redeliverCallbackEvents,
  takeCallbackBatches,
  updateCallbackSecret,
  updateTenantCallbackUrl,
} from '../repositories/callbacks.js';
import { listTurns, type NewCallRecord } from '../repositories/callRecords.js';
import { moveJobStatus } from '../repositories/jobs.js';
import type { CallbackEvent, CallbackListQuery, CallbackRedeliverBody } from '../schemas/callbacks.js';
import type { PageOf } from '../schemas/common.js';
import type { Caller } from './auth.js';
import type { FinishedCall } from './callResults.js';
import { pageOf, pageRequest } from './paging.js';
import { decryptSecret, encryptSecret } from './secrets.js';

/*
 * Callbacks (docs/callbacks.md): every finished call (ROBOT_CALL_RECORD) and every completed job
 * (ROBOT_CALL_JOB) is pushed to the tenant's callback URL. This module holds the rules: which
 * events are written (to the outbox, in the transaction that records the call or completes the
 * job, so that no acknowledged call lacks its event), their payloads, the retry schedule, the
 * delivery log and redelivery. callbacks/dispatcher.ts delivers them.
 */

export const DataType = { record: 'ROBOT_CALL_RECORD', job: 'ROBOT_CALL_JOB' } as const;

/** At most this many attempts per retry schedule (the platform's rule). */
export const MAX_ATTEMPTS = 10;
/** A schedule ends this many retry units after it began (24 hours at the one-minute unit). */
export const SCHEDULE_UNITS = 24 * 60;

/**
 * When the attempt after `attempt` failed ones is due, or undefined when the event has failed for
 * good: 1, 2, 4, 8 … units after each failure, at most MAX_ATTEMPTS attempts, and never later
 * than SCHEDULE_UNITS after the schedule began.
 */
export function nextAttemptAt(attempt: number, failedAt: number, cycleStartedAt: number, unitMs: number) {
  if (attempt >= MAX_ATTEMPTS) return undefined;
  const at = failedAt + unitMs * 2 ** (attempt - 1);
  return at > cycleStartedAt + SCHEDULE_UNITS * unitMs ? undefined : at;
}

/** Dispatchers in this process that want to hear of events made due (they look at once, not at their next poll). */
const dueListeners = new Set<() => void>();

export function onCallbacksDue(listener: () => void): () => void {
  dueListeners.add(listener);
  return () => dueListeners.delete(listener);
}

function callbacksDue(): void {
  for (const listener of dueListeners) listener();
}

// ---- the tenant's settings -----------------------------------------------------------------------

export const callbackSecretContext = (tenantId: number) => `tenant.callback_secret:${tenantId}`;

/** A new signing secret: 32 characters of base64url (192 random bits). */
function newCallbackSecret(): string {
  return randomBytes(24).toString('base64url');
}

/** Gives the tenant a callback secret unless it has one; returns the one it has, in clear. */
export async function callbackSecretOf(db: Database, tenantId: number): Promise<string> {
  for (let attempt = 0; attempt < 3; attempt++) {
    const tenant = await findTenantCallback(db, tenantId);
    if (!tenant) throw notFound('tenant', tenantId);
    if (tenant.callback_secret) return decryptSecret(tenant.callback_secret, callbackSecretContext(tenantId));
    const secret = newCallbackSecret();
    if (await updateCallbackSecret(db, tenantId, null, encryptSecret(secret, callbackSecretContext(tenantId))))
      return secret;
    // Another process gave it one meanwhile: read that one.
  }
  throw new Error(`the callback secret of tenant ${tenantId} keeps changing`);
}

/** A new callback secret replaces the old one at once; returns it in clear. */
export async function rotateCallbackSecret(db: Database, tenantId: number): Promise<string> {
  const tenant = await findTenantCallback(db, tenantId);
  if (!tenant) throw notFound('tenant', tenantId);
  const secret = newCallbackSecret();
  if (
    !(await updateCallbackSecret(
      db,
      tenantId,
      tenant.callback_secret,
      encryptSecret(secret, callbackSecretContext(tenantId)),
    ))
  )
    throw invalidParameter('tenant', 'its callback secret changed while it was rotated: run it again');
  return secret;
}

/**
 * Sets the tenant's callback URL (validated as isv/updateIsvInfo does), or clears it with null.
 * Only events recorded from now on are pushed: calls recorded before are not.
 */
export async function setCallbackUrl(db: Database, tenantId: number, url: string | null): Promise<string | null> {
  const value = url === null ? null : validateCallbackUrl(url);
  if (!(await updateTenantCallbackUrl(db, tenantId, value))) throw notFound('tenant', tenantId);
  return value;
}

// ---- writing events (inside the recording transaction) ----------------------------------------------

/** A call just recorded by callResults.ts, with what step 1 stored for it. */
export interface RecordedForCallback {
  call: FinishedCall;
  id: number;
  record: NewCallRecord;
}

/** Random hex digits for event ids, drawn a few kilobytes at a time (one randomBytes call per event costs more than the rest of the event). */
let randomHex = '';
let randomAt = 0;
function randomDigits(n: number): string {
  if (randomAt + n > randomHex.length) {
    randomHex = randomBytes(4096).toString('hex');
    randomAt = 0;
  }
  randomAt += n;
  return randomHex.slice(randomAt - n, randomAt);
}

/**
 * A UUID version 7: time-ordered, so the outbox's unique index on event_id grows at its end
 * instead of taking random inserts (a large batch of events costs markedly less). 74 random bits.
 */
export function newEventId(now = Date.now()): string {
  return eventIdsAt(now)();
}

/** Makes newEventId's ids for one instant: its time part formatted once, for a batch's events. */
function eventIdsAt(now: number): () => string {
  const t = Math.max(0, Math.trunc(now)).toString(16).padStart(12, '0').slice(-12);
  const time = `${t.slice(0, 8)}-${t.slice(8)}-7`;
  return () => {
    const r = randomDigits(19);
    const variant = (8 | (Number.parseInt(r[3]!, 16) & 3)).toString(16);
    return `${time}${r.slice(0, 3)}-${variant}${r.slice(4, 7)}-${r.slice(7)}`;
  };
}

const pad2 = (n: number) => (n < 10 ? `0${n}` : String(n));
const HOUR_MS = 3_600_000;

/**
 * formatDateTime for the many instants of one batch in one zone. Intl costs about 10 µs a call;
 * here the zone's offset is asked once per hour of UTC time (at both ends of the hour: when they
 * differ — a transition within the hour — that hour is left to formatDateTime), the rest is
 * arithmetic. Outside 1970–2100 it is formatDateTime itself.
 */
export function localTimeFormatter(timeZone: string): (epochMs: number) => string {
  const offsets = new Map<number, number | null>();
  const offsetAt = (ms: number) => {
    const s = formatDateTime(ms, timeZone);
    const local = Date.UTC(
      +s.slice(0, 4),
      +s.slice(5, 7) - 1,
      +s.slice(8, 10),
      +s.slice(11, 13),
      +s.slice(14, 16),
      +s.slice(17, 19),
    );
    return local - (ms - (ms % 1000));
  };
  return (ms) => {
    if (!(ms >= 0 && ms <= LATEST_INSTANT)) return formatDateTime(ms, timeZone);
    const hour = Math.floor(ms / HOUR_MS);
    let offset = offsets.get(hour);
    if (offset === undefined) {
      const first = offsetAt(hour * HOUR_MS);
      offset = first === offsetAt(hour * HOUR_MS + HOUR_MS - 1) ? first : null;
      offsets.set(hour, offset);
    }
    if (offset === null) return formatDateTime(ms, timeZone);
    const d = new Date(ms + offset);
    const y = d.getUTCFullYear();
    if (y < 1000 || y > 9999) return formatDateTime(ms, timeZone);
    return `${y}-${pad2(d.getUTCMonth() + 1)}-${pad2(d.getUTCDate())} ${pad2(d.getUTCHours())}:${pad2(d.getUTCMinutes())}:${pad2(d.getUTCSeconds())}`;
  };
}

function eventRow(
  tenantId: number,
  dataType: string,
  payload: string,
  now: number,
  ids: { jobId: number; callRecordId?: number },
): NewCallbackEvent {
  return {
    tenant_id: tenantId,
    event_id: newEventId(now),
    data_type: dataType,
    job_id: ids.jobId,
    call_record_id: ids.callRecordId ?? null,
    payload,
    state: 'PENDING',
    cycle_started_at: now,
    next_attempt_at: now,
    created_at: now,
  };
}

/**
 * One ROBOT_CALL_RECORD event of a batch (callback_batch.events, migration 0018): its id, then
 * the values of its body's `data` in the documented order, the transcript flattened as text,
 * type, callDetailId per turn. Positional rather than keyed: the keys are the same in every
 * event, and leaving them out makes the batch less than half the text to build, serialize and
 * store. `recordPayload` puts the keys back.
 */
type BatchedRecordEvent = [
  eventId: string,
  callRecordId: number,
  robotCallJobId: number,
  dialogFlowId: number,
  calledPhoneNumber: string,
  resultStatus: string,
  intentLevel: string,
  customerConcern: unknown,
  fullAudioUrl: string | null,
  customerAudioUrl: string | null,
  analysisBasis: string,
  startTime: string,
  endTime: string,
  chatDuration: number,
  chatRound: number,
  attributes: unknown,
  /**
   * The customer, whose properties are read when the batch is expanded, as is the transcript: the
   * two never change once written (a job's deletion expands its tenant's batches first).
   */
  customerPersonId: number | null,
];

/**
 * The body of a batched event, as sent: keys in the documented order. JSON.stringify of it is
 * byte for byte what stringifying the body at recording would have given: each value went through
 * one stringify and one parse, which keep strings, numbers, key order and escapes as they were.
 */
function recordPayload(
  tenantId: number,
  e: BatchedRecordEvent,
  properties: unknown,
  callDetailList: { text: string; type: string; callDetailId: number }[],
): string {
  return JSON.stringify({
    dataType: DataType.record,
    data: {
      callRecordId: e[1],
      tenantId,
      robotCallJobId: e[2],
      dialogFlowId: e[3],
      calledPhoneNumber: e[4],
      resultStatus: e[5],
      intentLevel: e[6],
      customerConcern: e[7],
      fullAudioUrl: e[8],
      customerAudioUrl: e[9],
      analysisBasis: e[10],
      startTime: e[11],
      endTime: e[12],
      chatDuration: e[13],
      chatRound: e[14],
      attributes: e[15],
      properties,
      callDetailList,
    },
  });
}

/**
 * Writes a ROBOT_CALL_RECORD event per newly recorded call, when the tenant has a callback URL.
 * Call it in the transaction that recorded the calls: the events are durable with the calls. They
 * are written as ONE callback_batch row holding them all (one JSON.stringify, one insert with no
 * index but its key) — a row per event with its index entries cost more than a third of what the
 * rest of recording does. A dispatcher expands the batch into callback_event rows
 * (expandCallbackBatches) before it claims; the list and redelivery expand first too. Each event's
 * id is drawn here, once, so it is the same whoever expands the batch and whenever. Script-training
 * calls are not pushed. Reads only what the calls do not carry: their customers' properties.
 */
export async function queueCallbacks(
  db: Database,
  tenant: Pick<Tenant, 'id' | 'time_zone' | 'callback_url'>,
  recorded: RecordedForCallback[],
  now: number,
): Promise<void> {
  if (!tenant.callback_url) return;
  const calls = recorded.filter((r) => !r.call.training);
  if (calls.length === 0) return;
  // What is the same for the whole batch is formatted once: the ids' time, the zone's offsets.
  const time = localTimeFormatter(tenant.time_zone);
  const eventId = eventIdsAt(now);
  const events = calls.map(({ id, record: r }): BatchedRecordEvent => {
    return [
      eventId(),
      id,
      r.job_id,
      r.dialog_flow_id,
      r.called_phone_number,
      r.result_status,
      r.intent_level,
      r.customer_concern ?? [],
      r.full_audio_url ?? null,
      r.customer_audio_url ?? null,
      r.analysis_basis ?? '',
      time(r.start_time),
      time(r.end_time),
      r.chat_duration,
      r.chat_round,
      r.attributes ?? [],
      r.customer_person_id ?? null,
    ];
  });
  await insertCallbackBatch(db, {
    tenant_id: tenant.id,
    event_count: events.length,
    events: JSON.stringify(events),
    created_at: now,
  });
  callbacksDue();
}

/** Batches expanded per transaction (each up to a recording transaction's calls: a few MB of text at most). */
const BATCHES_PER_EXPANSION = 4;

/**
 * Expands pending callback batches into their callback_event rows, in a transaction of its own:
 * the events are inserted and the batch deleted together, so a batch is expanded exactly once —
 * on PostgreSQL the batch rows are locked (a dispatcher skips those another is expanding; with
 * `tenantId`, for the delivery log, it waits for them and then finds them gone), on SQLite the
 * write transaction holds the file's lock; and the events' unique ids would refuse a second copy.
 * Each event keeps the id, body and recording time written with its call (recordPayload).
 * Takes at most `rounds` transactions of BATCHES_PER_EXPANSION batches; returns the events
 * expanded and whether batches may remain.
 */
export async function expandCallbackBatches(
  database: Database,
  options: { tenantId?: number; rounds?: number } = {},
): Promise<{ events: number; more: boolean }> {
  let events = 0;
  for (let round = 0; round < (options.rounds ?? 1); round++) {
    const taken = await database.transaction(async (db) => {
      const batches = await takeCallbackBatches(db, BATCHES_PER_EXPANSION, {
        tenantId: options.tenantId,
        skipLocked: options.tenantId === undefined,
      });
      const rows: NewCallbackEvent[] = [];
      for (const b of batches) {
        const events = JSON.parse(b.events) as BatchedRecordEvent[];
        const customerIds = [...new Set(events.flatMap((e) => (e[16] === null ? [] : [e[16]])))];
        const properties =
          customerIds.length > 0 ? await listCustomerProperties(db, b.tenant_id, customerIds) : new Map();
        const transcripts = new Map<number, { text: string; type: string; callDetailId: number }[]>();
        for (const t of await listTurns(
          db,
          b.tenant_id,
          events.map((e) => e[1]),
        )) {
          const list = transcripts.get(t.call_record_id) ?? [];
          list.push({ text: t.text, type: t.type, callDetailId: t.id });
          transcripts.set(t.call_record_id, list);
        }
        for (const e of events) {
          rows.push({
            tenant_id: b.tenant_id,
            event_id: e[0],
            data_type: DataType.record,
            job_id: e[2],
            call_record_id: e[1],
            payload: recordPayload(
              b.tenant_id,
              e,
              (e[16] !== null && properties.get(e[16])) || {},
              transcripts.get(e[1]) ?? [],
            ),
            state: 'PENDING',
            cycle_started_at: b.created_at,
            next_attempt_at: b.created_at,
            created_at: b.created_at,
          });
        }
      }
      await insertCallbackEvents(db, rows);
      await deleteCallbackBatches(
        db,
        batches.map((b) => b.id),
      );
      events += rows.length;
      return batches.length;
    });
    if (taken < BATCHES_PER_EXPANSION) return { events, more: false };
  }
  return { events, more: true };
}

/** Every batch of the tenant expanded, so that the log and redelivery see events recorded a moment ago. */
async function expandTenantBatches(db: Database, tenantId: number): Promise<void> {
  // Bounded: a tenant recording without pause must not hold the list forever.
  const { events } = await expandCallbackBatches(db, { tenantId, rounds: 100 });
  if (events > 0) callbacksDue();
}

/**
 * Every pending batch of the tenant expanded, however many: a batch's events read their calls'
 * transcripts when expanded, so deleting a job's calls (services/jobOperations.ts deleteJob) first
 * expands, in its own transaction, what was recorded before it.
 */
export async function expandBatchesBeforeDeleting(db: Database, tenantId: number): Promise<void> {
  let events = 0;
  for (let more = true; more; ) {
    const round = await expandCallbackBatches(db, { tenantId, rounds: 100 });
    events += round.events;
    more = round.more;
  }
  if (events > 0) callbacksDue();
}

/**
 * Moves a job to COMPLETED (compare-and-set from `from`) and, in the same transaction, writes its
 * ROBOT_CALL_JOB event when the tenant has a callback URL. Returns whether the job moved.
 */
export async function completeJob(
  database: Database,
  tenantId: number,
  jobId: number,
  from: Parameters<typeof moveJobStatus>[3],
  now: number,
): Promise<boolean> {
  return database.transaction(async (db) => {
    if (!(await moveJobStatus(db, tenantId, jobId, from, 'COMPLETED', now))) return false;
    const tenant = await findTenantCallback(db, tenantId);
    if (tenant?.callback_url) {
      const payload = JSON.stringify({
        dataType: DataType.job,
        data: { robotCallJobId: jobId, tenantId, status: 'COMPLETED' },
      });
      await insertCallbackEvents(db, [eventRow(tenantId, DataType.job, payload, now, { jobId })]);
      callbacksDue();
    }
    return true;
  });
}

// ---- the delivery log and redelivery -------------------------------------------------------------------

/** The list's `state`: the stored three, and WAITING (pending after a failed attempt). */
export const CALLBACK_LIST_STATES = ['PENDING', 'WAITING', 'DELIVERED', 'FAILED'] as const;
export const CALLBACK_DATA_TYPES = [DataType.record, DataType.job] as const;

function stateFilter(state: string | undefined): Pick<CallbackFilter, 'state' | 'retrying'> {
  if (state === undefined) return {};
  if (state === 'WAITING') return { state: 'PENDING', retrying: true };
  if ((CALLBACK_LIST_STATES as readonly string[]).includes(state)) return { state: state as CallbackState };
  throw invalidParameter('state', `must be one of ${CALLBACK_LIST_STATES.join(', ')}, got "${state}"`);
}

const tidyTime = (ms: number | null, tz: string) => (ms === null ? null : formatDateTime(ms, tz));

/** The tenant's events, newest first, each with its attempts. */
export async function listCallbacks(
  db: Database,
  caller: Pick<Caller, 'tenantId' | 'timeZone'>,
  query: CallbackListQuery,
): Promise<PageOf<CallbackEvent>> {
  const tz = caller.timeZone;
  const dataType = query.dataType?.trim() || undefined;
  if (dataType !== undefined && !(CALLBACK_DATA_TYPES as readonly string[]).includes(dataType))
    throw invalidParameter('dataType', `must be one of ${CALLBACK_DATA_TYPES.join(', ')}, got "${dataType}"`);
  const filter: CallbackFilter = {
    ...stateFilter(query.state?.trim() || undefined),
    dataType,
    jobId: query.robotCallJobId,
    eventId: query.eventId?.trim() || undefined,
    from: timeBound('earliestTime', query.earliestTime, tz, false),
    before: timeBound('latestTime', query.latestTime, tz, true),
  };
  const page = pageRequest(query.pageNum, query.pageSize);
  await expandTenantBatches(db, caller.tenantId);
  const [total, rows] = await Promise.all([
    countCallbackEvents(db, caller.tenantId, filter),
    listCallbackEvents(db, caller.tenantId, filter, page.pageSize, page.offset),
  ]);
  const attempts = new Map<number, CallbackEvent['attemptList']>();
  for (const a of await listCallbackAttempts(
    db,
    caller.tenantId,
    rows.map((r) => r.id),
  )) {
    const list = attempts.get(a.callback_event_id) ?? [];
    list.push({
      attempt: a.attempt,
      time: formatDateTime(a.started_at, tz),
      durationMs: a.duration_ms,
      httpStatus: a.http_status,
      error: a.error,
    });
    attempts.set(a.callback_event_id, list);
  }
  return pageOf(
    page,
    total,
    rows.map((r) => ({
      eventId: r.event_id,
      dataType: r.data_type,
      robotCallJobId: r.job_id,
      callRecordId: r.call_record_id,
      state: r.state === 'PENDING' && r.attempts > 0 ? 'WAITING' : r.state,
      attempts: r.attempts,
      creationTime: formatDateTime(r.created_at, tz),
      nextAttemptTime: r.state === 'PENDING' ? formatDateTime(r.next_attempt_at, tz) : null,
      lastAttemptTime: tidyTime(r.last_attempt_at, tz),
      finishedTime: tidyTime(r.finished_at, tz),
      lastHttpStatus: r.last_status,
      lastError: r.last_error,
      payload: JSON.parse(r.payload) as CallbackEvent['payload'],
      attemptList: attempts.get(r.id) ?? [],
    })),
  );
}

/**
 * Redelivers, at once and with a new retry schedule: one event by its id (whatever its state,
 * so a delivered event can be replayed), or every FAILED or waiting (PENDING) event of a time range.
 */
export async function redeliverCallbacks(
  db: Database,
  caller: Pick<Caller, 'tenantId' | 'timeZone'>,
  body: CallbackRedeliverBody,
  now = Date.now(),
): Promise<{ redelivered: number }> {
  const eventId = body.eventId?.trim() || undefined;
  const from = timeBound('earliestTime', body.earliestTime, caller.timeZone, false);
  const before = timeBound('latestTime', body.latestTime, caller.timeZone, true);
  await expandTenantBatches(db, caller.tenantId);
  if (eventId !== undefined) {
    if (from !== undefined || before !== undefined)
      throw invalidParameter('eventId', 'give either eventId or a time range, not both');
    const n = await redeliverCallbackEvents(
      db,
      caller.tenantId,
      { eventId, states: ['PENDING', 'DELIVERED', 'FAILED'] },
      now,
    );
    if (n === 0) throw notFound('eventId', eventId);
    callbacksDue();
    return { redelivered: n };
  }
  if (from === undefined || before === undefined)
    throw invalidParameter('earliestTime', 'give eventId, or a time range with both earliestTime and latestTime');
  if (from >= before) throw invalidParameter('latestTime', 'must not be before earliestTime');
  const redelivered = await redeliverCallbackEvents(
    db,
    caller.tenantId,
    { from, before, states: ['PENDING', 'FAILED'] },
    now,
  );
  if (redelivered > 0) callbacksDue();
  return { redelivered };
}

/**
 * Removes delivered events older than `deliveredDays` and failed ones older than `failedDays`
 * (by when they finished), a thousand at a time; returns how many.
 */
export async function purgeCallbacks(
  db: Database,
  retention: { deliveredDays: number; failedDays: number },
  now = Date.now(),
): Promise<number> {
  const DAY = 86_400_000;
  let removed = 0;
  for (const [state, days] of [
    ['DELIVERED', retention.deliveredDays],
    ['FAILED', retention.failedDays],
  ] as const) {
    for (;;) {
      const n = await db.transaction((trx) => deleteFinishedCallbackEvents(trx, state, now - days * DAY, 1000));
      removed += n;
      if (n < 1000) break;
    }
  }
  return removed;
}
