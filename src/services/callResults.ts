import type { Insertable } from 'kysely';
import { noteRowsWritten } from '../db/analyze.js';
import type { Database } from '../db/database.js';
import type { CallDetailTable, JobConcernStatsTable, JobDayStats } from '../db/schema.js';
import type { HangupBy, IntentLevel, ReadStatus, ResultStatus, TurnType } from '../domain/enums.js';
import { invalidParameter, notFound } from '../domain/errors.js';
import { toWellFormed } from '../domain/text.js';
import { localDate } from '../domain/time.js';
import {
  addLastCallCounts,
  addRecordCounts,
  callHistoryOfTasks,
  findCallRecordIdsByIdempotencyKey,
  insertNewCallRecords,
  insertTurns,
  markLastCalls,
  type NewCallRecord,
} from '../repositories/callRecords.js';
import {
  type CallTaskProgress,
  findCallTasksOfCalls,
  lockCallTasksProgress,
  updateCallTasksProgress,
} from '../repositories/callTasks.js';
import { findFollowStatusesForShare, updateCustomersLastCall } from '../repositories/customers.js';
import { addConcernHits, addDayStats } from '../repositories/jobStats.js';
import { addToCompletedTask, listJobsForRecording } from '../repositories/jobs.js';
import { addPhoneGramCounts } from '../repositories/searchGrams.js';
import { findTenant } from '../repositories/tenants.js';
import { queueCallbacks } from './callbacks.js';
import { countCall, DAY_COUNTERS, emptyCounters } from './jobStats.js';

/*
 * The one write path for finished calls: the simulator, external call engines and the demo all
 * record calls here. In one transaction it
 *   1. stores each new record and its turns (a retried call — same idempotency key — adds nothing),
 *   2. moves each dialled call task on (finished, or waiting for a redial) and its is_last flag
 *      onto its latest call (counted in call_record_last_count, the list's lastCallRecord total),
 *   3. moves each customer's last-call fields on,
 *   4. adds the calls to the list's exact totals and to the job's statistics rollups,
 * so statistics and call records can never disagree.
 *
 * Lock order. Every writer locks rows in one order — call records by key, call tasks by id,
 * latest-call counts by key, customers by id, record counts by key, jobs by id, statistics rows
 * by key — so concurrent writers (several processes on PostgreSQL) queue behind each other
 * instead of deadlocking. The steps below run in that order and sort what they write; each call
 * task and customer still takes its calls in start order, so the latest call has the last word.
 */

export interface FinishedCall {
  /** Unique per tenant; a call sent twice is recorded once. */
  idempotencyKey: string;
  robotCallJobId: number;
  /** The call task dialled; found by job and number when absent. */
  callTaskId?: number | null;
  calledPhoneNumber: string;
  phoneLineId?: number | null;
  resultStatus: ResultStatus;
  intentLevel: IntentLevel;
  realIntentLevel?: IntentLevel | null;
  customerConcern?: string[];
  fullAudioUrl?: string | null;
  customerAudioUrl?: string | null;
  analysisBasis?: string;
  /** Epoch milliseconds. */
  startTime: number;
  endTime: number;
  /** Seconds talked. */
  chatDuration: number;
  chatRound: number;
  manualMarked?: boolean;
  readStatus?: ReadStatus;
  attributes?: unknown[];
  /** A script-training call: listed separately and kept out of the job's statistics. */
  training?: boolean;
  /** Which side ended the call; unknown (null) when not given. */
  hangupBy?: HangupBy | null;
  turns: { type: TurnType; text: string }[];
}

export interface RecordedCall {
  idempotencyKey: string;
  callRecordId: number;
  /** True when the key had been recorded before: nothing was written. */
  duplicate: boolean;
}

interface CallTaskOfCall {
  id: number;
  customerPersonId: number;
  customerGroupId: number | null;
}

type JobForRecording = Awaited<ReturnType<typeof listJobsForRecording>>[number];

export async function recordFinishedCalls(
  database: Database,
  tenantId: number,
  sent: FinishedCall[],
  now = Date.now(),
): Promise<RecordedCall[]> {
  if (sent.length === 0) return [];
  // Keys and numbers are matched against what the database gives back, so they are taken in the
  // form it stores (domain/text.ts): a key the driver would rewrite can no longer go uncounted.
  const calls = sent.map((c) => ({
    ...c,
    idempotencyKey: toWellFormed(c.idempotencyKey),
    calledPhoneNumber: toWellFormed(c.calledPhoneNumber),
  }));
  const unique = new Map<string, FinishedCall>();
  for (const c of calls) if (!unique.has(c.idempotencyKey)) unique.set(c.idempotencyKey, c);
  const batch = [...unique.values()];

  // What the committed attempt stored, for the planner statistics (db/analyze.ts).
  const stored = { records: 0, turns: 0 };
  const results = await retryDeadlock(() =>
    database.transaction(async (db) => {
      const tenant = await findTenant(db, tenantId);
      if (!tenant) throw notFound('tenant', tenantId);
      const jobs = await jobsOf(db, tenantId, batch);
      const tasks = await callTasksOf(db, tenantId, batch);

      const { fresh, inserted } = await storeRecordsAndTurns(db, tenantId, batch, jobs, tasks, now);
      stored.records = fresh.length;
      stored.turns = fresh.reduce((n, c) => n + c.turns.length, 0);
      const dialled = fresh.filter((c) => tasks.has(c) && !c.training);
      const finishedPerJob = await moveCallTasks(db, tenantId, dialled, jobs, tasks);
      // With the tasks locked: the latest calls' counts (their rows locked before markLastCalls'
      // triggers move any), then each dialled task's latest call (lastCallRecord).
      await addLastCallCounts(
        db,
        tenantId,
        [...inserted.values()].map((i) => i.record),
        [...new Set(dialled.map((c) => tasks.get(c)!.id))],
      );
      await markLastCalls(
        db,
        tenantId,
        dialled.map((c) => {
          const { id, record } = inserted.get(c.idempotencyKey)!;
          return { id, callTaskId: tasks.get(c)!.id, startTime: c.startTime, isLast: record.is_last === 1 };
        }),
      );
      await moveCustomers(db, tenantId, dialled, tasks);
      await addToStatistics(db, tenantId, tenant.time_zone, fresh, inserted, finishedPerJob);
      // Step 5: the calls' callback events, in this transaction (services/callbacks.ts).
      const recorded = fresh.map((c) => ({ call: c, ...inserted.get(c.idempotencyKey)! }));
      await queueCallbacks(db, tenant, recorded, now);

      const existing = await findCallRecordIdsByIdempotencyKey(
        db,
        tenantId,
        batch.filter((c) => !inserted.has(c.idempotencyKey)).map((c) => c.idempotencyKey),
      );
      // Every call is now either recorded with its accounting or was recorded before. Anything else
      // means the database and this code disagree about a key: the transaction is undone whole.
      const unaccounted = batch.find((c) => !inserted.has(c.idempotencyKey) && !existing.has(c.idempotencyKey));
      if (unaccounted)
        throw new Error(
          `call ${JSON.stringify(unaccounted.idempotencyKey)} was neither recorded nor found: not committed`,
        );
      return calls.map((c) => {
        const id = inserted.get(c.idempotencyKey)?.id;
        const firstInBatch = unique.get(c.idempotencyKey) === c;
        return id !== undefined && firstInBatch
          ? { idempotencyKey: c.idempotencyKey, callRecordId: id, duplicate: false }
          : {
              idempotencyKey: c.idempotencyKey,
              callRecordId: (id ?? existing.get(c.idempotencyKey))!,
              duplicate: true,
            };
      });
    }),
  );
  // Every writer of calls (the ingestion endpoint, the dialer, the demo) comes through here: a bulk
  // load is analyzed once it has grown a table past autovacuum's threshold.
  noteRowsWritten(database, 'call_record', stored.records);
  noteRowsWritten(database, 'call_detail', stored.turns);
  // Each record also moves its task on (most to FINISHED, from the front of the job in id order):
  // statistics from before a campaign ran planned a claim's due tasks through the primary key,
  // reading every finished task first (6 ms at 12,500 finished), where the due-task index reads none.
  noteRowsWritten(database, 'call_task', stored.records);
  return results;
}

/** The calls' jobs; a job that is not the tenant's refuses the whole batch. */
async function jobsOf(db: Database, tenantId: number, calls: FinishedCall[]): Promise<Map<number, JobForRecording>> {
  const jobIds = [...new Set(calls.map((c) => c.robotCallJobId))];
  const jobs = new Map((await listJobsForRecording(db, tenantId, jobIds)).map((j) => [j.id, j]));
  for (const id of jobIds) if (!jobs.has(id)) throw notFound('robotCallJobId', id);
  return jobs;
}

/** Finds each call's task: by id when given (it must belong to the call's job), else by job and number. */
async function callTasksOf(
  db: Database,
  tenantId: number,
  calls: FinishedCall[],
): Promise<Map<FinishedCall, CallTaskOfCall>> {
  const ids = [...new Set(calls.flatMap((c) => (c.callTaskId == null ? [] : [c.callTaskId])))];
  const numbersByJob = new Map<number, string[]>();
  for (const c of calls) {
    if (c.callTaskId != null) continue;
    const numbers = numbersByJob.get(c.robotCallJobId) ?? [];
    if (!numbers.includes(c.calledPhoneNumber)) numbers.push(c.calledPhoneNumber);
    numbersByJob.set(c.robotCallJobId, numbers);
  }
  const found = await findCallTasksOfCalls(db, tenantId, ids, numbersByJob);
  const taskById = new Map(found.map((t) => [t.id, t]));
  const taskByNumber = new Map(found.map((t) => [`${t.job_id}|${t.called_phone_number}`, t]));
  const resolved = new Map<FinishedCall, CallTaskOfCall>();
  for (const c of calls) {
    const t =
      c.callTaskId != null
        ? taskById.get(c.callTaskId)
        : taskByNumber.get(`${c.robotCallJobId}|${c.calledPhoneNumber}`);
    if (c.callTaskId != null && (!t || t.job_id !== c.robotCallJobId)) {
      throw invalidParameter(
        'robotCallTaskId',
        `${c.callTaskId} is not a call task of job ${c.robotCallJobId} (idempotencyKey "${c.idempotencyKey}")`,
      );
    }
    if (t) resolved.set(c, { id: t.id, customerPersonId: t.customer_person_id, customerGroupId: t.customer_group_id });
  }
  return resolved;
}

/** Step 1: inserts the records whose key is new (in key order) and their turns. */
async function storeRecordsAndTurns(
  db: Database,
  tenantId: number,
  calls: FinishedCall[],
  jobs: Map<number, JobForRecording>,
  tasks: Map<FinishedCall, CallTaskOfCall>,
  now: number,
): Promise<{
  fresh: FinishedCall[];
  inserted: Map<string, { id: number; record: NewCallRecord }>;
}> {
  // Which redial each call was: the task's calls recorded before, then this batch's in start order.
  const dialledTasks = [...new Set(calls.flatMap((c) => (!c.training && tasks.has(c) ? [tasks.get(c)!.id] : [])))];
  const history = await callHistoryOfTasks(db, tenantId, dialledTasks);
  const redialOf = new Map<FinishedCall, number>();
  // Each dialled task's latest call of this batch. The records are inserted in key order, so their
  // ids follow it: among calls that started together the greatest key is the latest.
  const latestOfTask = new Map<number, FinishedCall>();
  const byStartThenKey = (a: FinishedCall, b: FinishedCall) =>
    a.startTime - b.startTime || compareKeys(a.idempotencyKey, b.idempotencyKey);
  for (const c of [...calls].sort(byStartThenKey)) {
    const task = tasks.get(c);
    if (c.training || !task) continue;
    const before = history.get(task.id) ?? { calls: 0 };
    redialOf.set(c, before.calls);
    history.set(task.id, { ...before, calls: before.calls + 1 });
    latestOfTask.set(task.id, c);
  }
  // …and the latest of all when it is later than the task's latest call recorded before: a new id
  // is greater than every id already given, so a tie of start times goes to the new call.
  const isLatest = (c: FinishedCall, taskId: number) => {
    const last = history.get(taskId)?.last;
    return latestOfTask.get(taskId) === c && (!last || c.startTime >= last.startTime);
  };
  const records = calls.map((c): NewCallRecord => {
    const task = tasks.get(c);
    return {
      hangup_by: c.hangupBy ?? null,
      redial_times: redialOf.get(c) ?? 0,
      // A call without a task is a latest call of its own. A dialled task's latest call is settled
      // once its task is locked (markLastCalls), which then only clears the flag it supersedes
      // (unless another recorder of the task committed in between).
      is_last: !c.training && (!task || isLatest(c, task.id)) ? 1 : 0,
      tenant_id: tenantId,
      job_id: c.robotCallJobId,
      call_task_id: task?.id ?? null,
      customer_person_id: task?.customerPersonId ?? null,
      customer_group_id: task?.customerGroupId ?? null,
      dialog_flow_id: jobs.get(c.robotCallJobId)!.dialog_flow_id,
      called_phone_number: c.calledPhoneNumber,
      phone_line_id: c.phoneLineId ?? null,
      result_status: c.resultStatus,
      intent_level: c.intentLevel,
      real_intent_level: c.realIntentLevel ?? null,
      customer_concern: c.customerConcern ?? [],
      full_audio_url: c.fullAudioUrl ?? null,
      customer_audio_url: c.customerAudioUrl ?? null,
      analysis_basis: c.analysisBasis ?? '',
      start_time: c.startTime,
      end_time: c.endTime,
      chat_duration: c.chatDuration,
      chat_round: c.chatRound,
      manual_marked: c.manualMarked ?? false,
      read_status: c.readStatus ?? 'NOT_READ',
      attributes: c.attributes ?? [],
      is_training: c.training ?? false,
      idempotency_key: c.idempotencyKey,
      created_at: now,
    };
  });
  records.sort((a, b) => compareKeys(a.idempotency_key, b.idempotency_key));
  const ids = await insertNewCallRecords(db, records);
  const inserted = new Map(
    records
      .filter((r) => ids.has(r.idempotency_key))
      .map((r) => [r.idempotency_key, { id: ids.get(r.idempotency_key)!, record: r }]),
  );
  const fresh = calls.filter((c) => inserted.has(c.idempotencyKey));

  const turns: Insertable<CallDetailTable>[] = [];
  for (const c of fresh) {
    const callRecordId = inserted.get(c.idempotencyKey)!.id;
    for (const [seq, t] of c.turns.entries())
      turns.push({ tenant_id: tenantId, call_record_id: callRecordId, seq, type: t.type, text: t.text });
  }
  await insertTurns(db, turns);
  return { fresh, inserted };
}

/**
 * Step 2: counts each call on its task, in start order: an answered call, a result not in the
 * job's redial condition, or the last attempt the job allows finishes the task; otherwise it waits
 * to be redialled. A finished task takes no more calls. The tasks are read (locked, in id order),
 * moved on here and written back in one statement; returns the tasks finished per job.
 */
async function moveCallTasks(
  db: Database,
  tenantId: number,
  dialled: FinishedCall[],
  jobs: Map<number, JobForRecording>,
  tasks: Map<FinishedCall, CallTaskOfCall>,
): Promise<Map<number, number>> {
  const finishedPerJob = new Map<number, number>();
  if (dialled.length === 0) return finishedPerJob;
  const progress = await lockCallTasksProgress(
    db,
    tenantId,
    dialled.map((c) => tasks.get(c)!.id),
  );
  const moved = new Map<number, CallTaskProgress>();
  for (const c of [...dialled].sort((a, b) => a.startTime - b.startTime)) {
    const task = progress.get(tasks.get(c)!.id);
    if (!task || task.status === 'FINISHED') continue;
    const job = jobs.get(c.robotCallJobId)!;
    task.attempts += 1;
    task.last_result_status = c.resultStatus;
    const finishes =
      c.resultStatus === 'ANSWERED' ||
      !job.redial_condition.includes(c.resultStatus) ||
      // The limit is per round: a re-added customer's reopened task gets the job's redials again.
      task.attempts - task.round_start_attempts >= 1 + job.redial_times;
    task.status = finishes ? 'FINISHED' : 'REDIAL_WAITING';
    task.next_attempt_at = finishes ? null : c.endTime + job.redial_interval_minutes * 60_000;
    task.finished_at = finishes ? c.endTime : null;
    if (finishes) finishedPerJob.set(c.robotCallJobId, (finishedPerJob.get(c.robotCallJobId) ?? 0) + 1);
    moved.set(task.id, task);
  }
  await updateCallTasksProgress(db, tenantId, [...moved.values()]);
  return finishedPerJob;
}

/**
 * Step 3: each customer's last call: of a customer's calls in the batch only the latest (the last
 * given of those that started last) can have the last word, and it does unless the customer
 * already has a newer one. One statement, customers in id order.
 */
async function moveCustomers(
  db: Database,
  tenantId: number,
  dialled: FinishedCall[],
  tasks: Map<FinishedCall, CallTaskOfCall>,
): Promise<void> {
  const latest = new Map<number, FinishedCall>();
  for (const c of dialled) {
    const customerId = tasks.get(c)!.customerPersonId;
    const best = latest.get(customerId);
    if (!best || c.startTime >= best.startTime) latest.set(customerId, c);
  }
  await updateCustomersLastCall(
    db,
    tenantId,
    [...latest].map(([customerPersonId, c]) => ({
      customerPersonId,
      startTime: c.startTime,
      chatDuration: c.chatDuration,
      intentLevel: c.intentLevel,
      resultStatus: c.resultStatus,
    })),
  );
}

/**
 * Step 4: the list's exact totals (they share-lock the records' customers, which come before the
 * jobs in the lock order), the jobs' completed tasks, then the statistics rollups. Training calls
 * are listed but kept out of the statistics.
 */
async function addToStatistics(
  db: Database,
  tenantId: number,
  timeZone: string,
  fresh: FinishedCall[],
  inserted: Map<string, { record: NewCallRecord }>,
  finishedPerJob: Map<number, number>,
): Promise<void> {
  const records = [...inserted.values()].map((i) => i.record);
  const customerIds = [
    ...new Set(records.flatMap((r) => (r.customer_person_id == null ? [] : [r.customer_person_id]))),
  ];
  await addRecordCounts(db, tenantId, records, await findFollowStatusesForShare(db, tenantId, customerIds));
  await addPhoneGramCounts(db, tenantId, records);
  for (const [jobId, n] of [...finishedPerJob].sort((a, b) => a[0] - b[0]))
    await addToCompletedTask(db, tenantId, jobId, n);

  const days = new Map<string, JobDayStats>();
  const concerns = new Map<string, JobConcernStatsTable>();
  const dayOf = localDates(timeZone);
  for (const c of fresh) {
    if (c.training) continue;
    const day = dayOf(c.startTime);
    const dayKey = `${c.robotCallJobId}|${day}`;
    const row = days.get(dayKey) ?? { tenant_id: tenantId, job_id: c.robotCallJobId, day, ...emptyCounters() };
    days.set(dayKey, row);
    countCall(row, c);
    for (const concern of new Set(c.customerConcern ?? [])) {
      const key = `${c.robotCallJobId}|${concern}`;
      const hit = concerns.get(key) ?? { tenant_id: tenantId, job_id: c.robotCallJobId, concern, hits: 0 };
      hit.hits += 1;
      concerns.set(key, hit);
    }
  }
  await addDayStats(db, inKeyOrder(days), DAY_COUNTERS);
  await addConcernHits(db, inKeyOrder(concerns));
}

/**
 * The tenant-local date of instants, asked of the time-zone data once per hour of UTC time: an
 * hour whose first and last millisecond fall on the same local date lies wholly in it (a zone's
 * offset changes at most once an hour), else each instant of that hour is asked for itself.
 */
function localDates(timeZone: string): (epochMs: number) => string {
  const HOUR = 3_600_000;
  const byHour = new Map<number, string | null>();
  return (epochMs) => {
    const hour = Math.floor(epochMs / HOUR);
    let day = byHour.get(hour);
    if (day === undefined) {
      const first = localDate(hour * HOUR, timeZone);
      day = first === localDate(hour * HOUR + HOUR - 1, timeZone) ? first : null;
      byHour.set(hour, day);
    }
    return day ?? localDate(epochMs, timeZone);
  };
}

/** The order records are inserted in (and so given their ids): by idempotency key. */
const compareKeys = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0);

/** A map's values ordered by key: the order rows are locked in. */
function inKeyOrder<T>(map: Map<string, T>): T[] {
  return [...map.keys()].sort().map((k) => map.get(k)!);
}

/*
 * PostgreSQL ends one transaction of a deadlock; it was rolled back whole, so it is run again. The
 * lock order above prevents deadlocks among recorders; this covers other write paths (job
 * operations, the dialer) that lock the same rows in their own order.
 * A foreign-key violation (23503) means a row this write found and refers to — a job, a call task
 * — was deleted by another transaction before this one inserted (a job deleted while its calls are
 * recorded): run again, the checks then find it gone and refuse the write with a 404, not a 500.
 */
export async function retryDeadlock<T>(work: () => Promise<T>): Promise<T> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await work();
    } catch (error) {
      const code = (error as { code?: unknown }).code;
      if (attempt >= 3 || (code !== '40P01' && code !== '40001' && code !== '23503')) throw error;
    }
  }
}
