import { sql, type Insertable, type Transaction } from 'kysely';
import type { Database } from '../db/database.js';
import type { CallDetailTable, CallRecordTable, DB, JobDayStats } from '../db/schema.js';
import type { IntentLevel, ReadStatus, ResultStatus, TurnType } from '../domain/enums.js';
import { localDate } from '../domain/time.js';
import { addRecordCounts, findIdsByIdempotencyKey, insertNewCallRecords, insertTurns } from '../repositories/callRecords.js';
import { recordCustomerLastCall } from '../repositories/customers.js';
import { addConcernHits, addDayStats } from '../repositories/jobStats.js';
import { invalidParameter, notFound } from './errors.js';
import { countCall, DAY_COUNTERS, emptyCounters, type DayCounters } from './jobStats.js';

/*
 * The one write path for finished calls: the simulator, external call engines and the demo all
 * record calls here. In one transaction it stores each record and its turns, moves the call task
 * and the customer on, and adds the call to the job's statistics rollups — so statistics and call
 * records can never disagree. A retried call (same idempotency key) changes nothing.
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
  turns: { type: TurnType; text: string }[];
}

export interface RecordedCall {
  idempotencyKey: string;
  callRecordId: number;
  /** True when the key had been recorded before: nothing was written. */
  duplicate: boolean;
}

interface ResolvedTask {
  id: number;
  customerPersonId: number;
  customerGroupId: number | null;
}

export async function recordFinishedCalls(database: Database, tenantId: number, calls: FinishedCall[], now = Date.now()): Promise<RecordedCall[]> {
  if (calls.length === 0) return [];
  const unique = new Map<string, FinishedCall>();
  for (const c of calls) if (!unique.has(c.idempotencyKey)) unique.set(c.idempotencyKey, c);
  const batch = [...unique.values()];

  return retryDeadlock(() => database.db.transaction().execute(async (trx) => {
    const tenant = await trx.selectFrom('tenant').select('time_zone').where('id', '=', tenantId).executeTakeFirst();
    if (!tenant) throw notFound('tenant', tenantId);

    const jobIds = [...new Set(batch.map((c) => c.robotCallJobId))];
    const jobs = new Map(
      (
        await trx
          .selectFrom('robot_call_job')
          .select(['id', 'dialog_flow_id', 'redial_times', 'redial_interval_minutes'])
          .where('tenant_id', '=', tenantId)
          .where('id', 'in', jobIds)
          .execute()
      ).map((j) => [j.id, j]),
    );
    for (const id of jobIds) if (!jobs.has(id)) throw notFound('robotCallJobId', id);

    const tasks = await resolveTasks(trx, tenantId, batch);

    const rows: Insertable<CallRecordTable>[] = batch.map((c) => {
      const task = tasks.get(c);
      return {
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
        customer_concern: JSON.stringify(c.customerConcern ?? []),
        full_audio_url: c.fullAudioUrl ?? null,
        customer_audio_url: c.customerAudioUrl ?? null,
        analysis_basis: c.analysisBasis ?? '',
        start_time: c.startTime,
        end_time: c.endTime,
        chat_duration: c.chatDuration,
        chat_round: c.chatRound,
        manual_marked: c.manualMarked ? 1 : 0,
        read_status: c.readStatus ?? 'NOT_READ',
        attributes: JSON.stringify(c.attributes ?? []),
        is_training: c.training ? 1 : 0,
        idempotency_key: c.idempotencyKey,
        created_at: now,
      };
    });
    const inserted = await insertNewCallRecords(trx, rows.sort((a, b) => (a.idempotency_key < b.idempotency_key ? -1 : a.idempotency_key > b.idempotency_key ? 1 : 0)));
    const fresh = batch.filter((c) => inserted.has(c.idempotencyKey));

    const turns: Insertable<CallDetailTable>[] = [];
    for (const c of fresh) {
      const callRecordId = inserted.get(c.idempotencyKey)!;
      c.turns.forEach((t, seq) => turns.push({ tenant_id: tenantId, call_record_id: callRecordId, seq, type: t.type, text: t.text }));
    }
    await insertTurns(trx, turns);

    // Every writer locks rows in one order — call records by key, call tasks then customers by id,
    // record counts by key, jobs by id, statistics rows by key — so concurrent writers (several
    // processes on PostgreSQL) queue behind each other instead of deadlocking. Each call task and
    // customer still takes its calls in start order, so the latest call has the last word.
    const dialled = fresh.filter((c) => tasks.has(c) && !c.training);
    const finishedPerJob = new Map<number, number>();
    for (const c of [...dialled].sort((a, b) => tasks.get(a)!.id - tasks.get(b)!.id || a.startTime - b.startTime)) {
      const task = tasks.get(c)!;
      const job = jobs.get(c.robotCallJobId)!;
      const finishes = c.resultStatus === 'ANSWERED' ? sql<number>`1` : sql<number>`case when attempts + 1 >= ${1 + job.redial_times} then 1 else 0 end`;
      const updated = await trx
        .updateTable('call_task')
        .set({
          attempts: sql`attempts + 1`,
          last_result_status: c.resultStatus,
          status: sql`case when ${finishes} = 1 then 'FINISHED' else 'REDIAL_WAITING' end`,
          next_attempt_at: sql`case when ${finishes} = 1 then null else cast(${c.endTime + job.redial_interval_minutes * 60_000} as bigint) end`,
          finished_at: sql`case when ${finishes} = 1 then cast(${c.endTime} as bigint) else null end`,
        })
        .where('tenant_id', '=', tenantId)
        .where('id', '=', task.id)
        .where('status', '<>', 'FINISHED')
        .returning('status')
        .executeTakeFirst();
      if (updated?.status === 'FINISHED') finishedPerJob.set(c.robotCallJobId, (finishedPerJob.get(c.robotCallJobId) ?? 0) + 1);
    }
    const customerOf = (c: FinishedCall) => tasks.get(c)!.customerPersonId;
    for (const c of [...dialled].sort((a, b) => customerOf(a) - customerOf(b) || a.startTime - b.startTime)) {
      await recordCustomerLastCall(trx, tenantId, customerOf(c), c);
    }
    // The list's exact totals (call_record_count). Here, not later: it share-locks the records'
    // customers, which must come before the job and statistics rows in the lock order above.
    await addRecordCounts(trx, tenantId, rows.filter((r) => inserted.has(r.idempotency_key)));
    for (const [jobId, n] of [...finishedPerJob].sort((a, b) => a[0] - b[0])) {
      await trx
        .updateTable('robot_call_job')
        .set({ completed_task: sql`completed_task + ${n}` })
        .where('tenant_id', '=', tenantId)
        .where('id', '=', jobId)
        .execute();
    }

    const days = new Map<string, JobDayStats>();
    const concerns = new Map<string, { tenant_id: number; job_id: number; concern: string; hits: number }>();
    for (const c of fresh) {
      if (c.training) continue;
      const day = localDate(c.startTime, tenant.time_zone);
      const dayKey = `${c.robotCallJobId}|${day}`;
      let row = days.get(dayKey);
      if (!row) days.set(dayKey, (row = { tenant_id: tenantId, job_id: c.robotCallJobId, day, ...emptyCounters() }));
      countCall(row as unknown as DayCounters, c);
      for (const concern of new Set(c.customerConcern ?? [])) {
        const key = `${c.robotCallJobId}|${concern}`;
        const hit = concerns.get(key) ?? { tenant_id: tenantId, job_id: c.robotCallJobId, concern, hits: 0 };
        hit.hits += 1;
        concerns.set(key, hit);
      }
    }
    await addDayStats(trx, inKeyOrder(days), DAY_COUNTERS);
    await addConcernHits(trx, inKeyOrder(concerns));

    const existing = await findIdsByIdempotencyKey(
      trx,
      tenantId,
      batch.filter((c) => !inserted.has(c.idempotencyKey)).map((c) => c.idempotencyKey),
    );
    return calls.map((c) => {
      const id = inserted.get(c.idempotencyKey);
      const firstInBatch = unique.get(c.idempotencyKey) === c;
      return id !== undefined && firstInBatch
        ? { idempotencyKey: c.idempotencyKey, callRecordId: id, duplicate: false }
        : { idempotencyKey: c.idempotencyKey, callRecordId: (id ?? existing.get(c.idempotencyKey))!, duplicate: true };
    });
  }));
}

/** Finds each call's task: by id when given (it must belong to the call's job), else by job and number. */
async function resolveTasks(trx: Transaction<DB>, tenantId: number, calls: FinishedCall[]) {
  const byId = calls.filter((c) => c.callTaskId != null).map((c) => c.callTaskId!);
  const byNumber = calls.filter((c) => c.callTaskId == null);
  const base = () =>
    trx
      .selectFrom('call_task as t')
      .innerJoin('customer_person as p', 'p.id', 't.customer_person_id')
      .select(['t.id', 't.job_id', 't.called_phone_number', 't.customer_person_id', 'p.customer_group_id'])
      .where('t.tenant_id', '=', tenantId);
  const found: { id: number; job_id: number; called_phone_number: string; customer_person_id: number; customer_group_id: number | null }[] = [];
  if (byId.length > 0) found.push(...(await base().where('t.id', 'in', [...new Set(byId)]).execute()));
  const numbersByJob = new Map<number, Set<string>>();
  for (const c of byNumber) {
    const set = numbersByJob.get(c.robotCallJobId) ?? new Set<string>();
    set.add(c.calledPhoneNumber);
    numbersByJob.set(c.robotCallJobId, set);
  }
  for (const [jobId, numbers] of numbersByJob) {
    found.push(...(await base().where('t.job_id', '=', jobId).where('t.called_phone_number', 'in', [...numbers]).execute()));
  }
  const taskById = new Map(found.map((t) => [t.id, t]));
  const taskByNumber = new Map(found.map((t) => [`${t.job_id}|${t.called_phone_number}`, t]));
  const resolved = new Map<FinishedCall, ResolvedTask>();
  calls.forEach((c) => {
    const t = c.callTaskId != null ? taskById.get(c.callTaskId) : taskByNumber.get(`${c.robotCallJobId}|${c.calledPhoneNumber}`);
    if (c.callTaskId != null && (!t || t.job_id !== c.robotCallJobId)) {
      throw invalidParameter('robotCallTaskId', `${c.callTaskId} is not a call task of job ${c.robotCallJobId} (idempotencyKey "${c.idempotencyKey}")`);
    }
    if (t) resolved.set(c, { id: t.id, customerPersonId: t.customer_person_id, customerGroupId: t.customer_group_id });
  });
  return resolved;
}

/** A map's values ordered by key: the order rows are locked in (see recordFinishedCalls). */
function inKeyOrder<T>(map: Map<string, T>): T[] {
  return [...map.keys()].sort().map((k) => map.get(k)!);
}

/*
 * PostgreSQL ends one transaction of a deadlock; it was rolled back whole, so it is run again. The
 * lock order above prevents deadlocks among recorders; this covers other write paths (job
 * operations, the dialer) that lock the same rows in their own order.
 */
async function retryDeadlock<T>(work: () => Promise<T>): Promise<T> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await work();
    } catch (error) {
      const code = (error as { code?: unknown }).code;
      if (attempt >= 3 || (code !== '40P01' && code !== '40001')) throw error;
    }
  }
}
