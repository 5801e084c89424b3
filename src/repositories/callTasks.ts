import { sql } from 'kysely';
import type { Database } from '../db/database.js';
import type { ResultStatus } from '../domain/enums.js';
import { chunks } from './rows.js';

/** Call tasks: one customer to dial in one job, and where its dialling stands. */

/** Adds customers to a job as new call tasks; returns the tasks. */
export async function insertCallTasks(
  db: Database,
  tenantId: number,
  jobId: number,
  customers: { customerPersonId: number; phoneNumber: string }[],
  now: number,
): Promise<{ id: number; customer_person_id: number; called_phone_number: string }[]> {
  const inserted: { id: number; customer_person_id: number; called_phone_number: string }[] = [];
  for (const chunk of chunks(customers, 500)) {
    const rows = await db.db
      .insertInto('call_task')
      .values(
        chunk.map((c) => ({
          tenant_id: tenantId,
          job_id: jobId,
          customer_person_id: c.customerPersonId,
          called_phone_number: c.phoneNumber,
          status: 'NOT_STARTED' as const,
          created_at: now,
        })),
      )
      .returning(['id', 'customer_person_id', 'called_phone_number'])
      .execute();
    inserted.push(...rows);
  }
  return inserted;
}

/** Which of these numbers already have a call task in the job. */
export async function findNumbersInJob(
  db: Database,
  tenantId: number,
  jobId: number,
  numbers: string[],
): Promise<Set<string>> {
  const found = new Set<string>();
  for (const chunk of chunks(numbers, 500)) {
    const rows = await db.db
      .selectFrom('call_task')
      .select('called_phone_number')
      .where('tenant_id', '=', tenantId)
      .where('job_id', '=', jobId)
      .where('called_phone_number', 'in', chunk)
      .execute();
    for (const r of rows) found.add(r.called_phone_number);
  }
  return found;
}

export async function listCallTasks(db: Database, tenantId: number, jobId: number) {
  return db.db
    .selectFrom('call_task')
    .selectAll()
    .where('tenant_id', '=', tenantId)
    .where('job_id', '=', jobId)
    .orderBy('id')
    .execute();
}

/** A call task with the customer group its calls are listed under. */
export interface CallTaskOfCall {
  id: number;
  job_id: number;
  called_phone_number: string;
  customer_person_id: number;
  customer_group_id: number | null;
}

/** The tenant's call tasks with these ids, and those of each job with these numbers. */
export async function findCallTasksOfCalls(
  db: Database,
  tenantId: number,
  ids: number[],
  numbersByJob: Map<number, string[]>,
): Promise<CallTaskOfCall[]> {
  const base = () =>
    db.db
      .selectFrom('call_task as t')
      .innerJoin('customer_person as p', 'p.id', 't.customer_person_id')
      .select(['t.id', 't.job_id', 't.called_phone_number', 't.customer_person_id', 'p.customer_group_id'])
      .where('t.tenant_id', '=', tenantId);
  const found: CallTaskOfCall[] = [];
  for (const chunk of chunks(ids, 500)) found.push(...(await base().where('t.id', 'in', chunk).execute()));
  for (const [jobId, numbers] of numbersByJob) {
    for (const chunk of chunks(numbers, 500)) {
      found.push(...(await base().where('t.job_id', '=', jobId).where('t.called_phone_number', 'in', chunk).execute()));
    }
  }
  return found;
}

/**
 * Counts one finished call on its task: an answered call, or the last attempt the job allows,
 * finishes the task; otherwise it waits to be redialled. Returns whether the task finished now
 * (a task finished before is left as it is).
 */
export async function updateCallTaskAfterCall(
  db: Database,
  tenantId: number,
  taskId: number,
  call: { resultStatus: ResultStatus; endTime: number },
  job: { redial_times: number; redial_interval_minutes: number },
): Promise<boolean> {
  const finishes =
    call.resultStatus === 'ANSWERED'
      ? sql<number>`1`
      : sql<number>`case when attempts + 1 >= ${1 + job.redial_times} then 1 else 0 end`;
  const updated = await db.db
    .updateTable('call_task')
    .set({
      attempts: sql`attempts + 1`,
      last_result_status: call.resultStatus,
      status: sql`case when ${finishes} = 1 then 'FINISHED' else 'REDIAL_WAITING' end`,
      next_attempt_at: sql`case when ${finishes} = 1 then null else cast(${call.endTime + job.redial_interval_minutes * 60_000} as bigint) end`,
      finished_at: sql`case when ${finishes} = 1 then cast(${call.endTime} as bigint) else null end`,
    })
    .where('tenant_id', '=', tenantId)
    .where('id', '=', taskId)
    .where('status', '<>', 'FINISHED')
    .returning('status')
    .executeTakeFirst();
  return updated?.status === 'FINISHED';
}

/** Calls of the job in flight: claimed tasks whose claim has not run out. */
export async function countCallsInFlight(db: Database, tenantId: number, jobId: number, now: number): Promise<number> {
  const row = await db.db
    .selectFrom('call_task')
    .select((eb) => eb.fn.countAll<number>().as('n'))
    .where('tenant_id', '=', tenantId)
    .where('job_id', '=', jobId)
    .where('status', '=', 'CALLING')
    .where('next_attempt_at', '>', now)
    .executeTakeFirstOrThrow();
  return Number(row.n);
}

/** Any call task of the job not finished yet? */
export async function hasUnfinishedCallTasks(db: Database, tenantId: number, jobId: number): Promise<boolean> {
  const row = await db.db
    .selectFrom('call_task')
    .select('id')
    .where('tenant_id', '=', tenantId)
    .where('job_id', '=', jobId)
    .where('status', '<>', 'FINISHED')
    .limit(1)
    .executeTakeFirst();
  return row !== undefined;
}

/**
 * Claims up to `limit` call tasks that are due — never dialled, waiting for a redial whose time has
 * come, or claimed by a dialer whose claim ran out — marking them CALLING until `claimUntil`.
 * One statement; on PostgreSQL rows another dialer holds are skipped, never claimed twice.
 */
export async function claimDueCallTasks(
  db: Database,
  tenantId: number,
  jobId: number,
  limit: number,
  now: number,
  claimUntil: number,
) {
  let due = db.db
    .selectFrom('call_task')
    .select('id')
    .where('tenant_id', '=', tenantId)
    .where('job_id', '=', jobId)
    .where('status', 'in', ['NOT_STARTED', 'REDIAL_WAITING', 'CALLING'])
    .where((eb) => eb.or([eb('next_attempt_at', 'is', null), eb('next_attempt_at', '<=', now)]))
    // Never a number on the tenant's do-not-call list (listing one finishes its tasks too: see finishCallTasksOfNumbers).
    .where(({ not, exists, selectFrom }) =>
      not(
        exists(
          selectFrom('do_not_call as d')
            .select('d.tenant_id')
            .whereRef('d.tenant_id', '=', 'call_task.tenant_id')
            .whereRef('d.phone_number', '=', 'call_task.called_phone_number'),
        ),
      ),
    )
    .orderBy('id')
    .limit(limit);
  if (db.dialect === 'postgres') due = due.forUpdate().skipLocked();
  return db.db
    .updateTable('call_task')
    .set({ status: 'CALLING', next_attempt_at: claimUntil })
    .where('id', 'in', due)
    .returning(['id', 'called_phone_number', 'attempts'])
    .execute();
}

/**
 * Finishes, without a call, the unfinished call tasks of these numbers in the tenant's jobs that
 * are not stopped (TERMINATE): waiting to be dialled or redialled, or being dialled (a call in
 * progress still ends and is recorded, and leaves the task finished). The tasks are found first,
 * then locked and finished in id order, as every writer of call tasks locks them; on PostgreSQL a
 * task a dialer is claiming is waited for, then finished. Returns the tasks finished.
 */
export async function finishCallTasksOfNumbers(db: Database, tenantId: number, numbers: string[], now: number) {
  const UNFINISHED = ['NOT_STARTED', 'REDIAL_WAITING', 'CALLING'] as const;
  const ids: number[] = [];
  for (const chunk of chunks(numbers, 500)) {
    const rows = await db.db
      .selectFrom('call_task')
      .select('id')
      .where('tenant_id', '=', tenantId)
      .where('called_phone_number', 'in', chunk)
      .where('status', 'in', UNFINISHED)
      // Per task found by number, its job (not `job_id in (the tenant's jobs)`, which SQLite would
      // walk job by job).
      .where(({ exists, selectFrom }) =>
        exists(
          selectFrom('robot_call_job as j')
            .select('j.id')
            .whereRef('j.id', '=', 'call_task.job_id')
            .where('j.tenant_id', '=', tenantId)
            .where('j.status', '<>', 'TERMINATE'),
        ),
      )
      .execute();
    for (const r of rows) ids.push(r.id);
  }
  ids.sort((a, b) => a - b);
  const finished: { id: number; job_id: number; called_phone_number: string }[] = [];
  for (const chunk of chunks(ids, 500)) {
    let locked = db.db
      .selectFrom('call_task')
      .select('id')
      .where('tenant_id', '=', tenantId)
      .where('id', 'in', chunk)
      .where('status', 'in', UNFINISHED)
      .orderBy('id');
    if (db.dialect === 'postgres') locked = locked.forUpdate();
    const rows = await db.db
      .updateTable('call_task')
      .set({ status: 'FINISHED', next_attempt_at: null, finished_at: now })
      .where('id', 'in', locked)
      .returning(['id', 'job_id', 'called_phone_number'])
      .execute();
    finished.push(...rows);
  }
  return finished;
}

/** Gives a claimed task back (the call could not be placed), to be tried again at `retryAt`. */
export async function releaseCallTask(db: Database, tenantId: number, taskId: number, retryAt: number): Promise<void> {
  await db.db
    .updateTable('call_task')
    .set({ status: sql`case when attempts = 0 then 'NOT_STARTED' else 'REDIAL_WAITING' end`, next_attempt_at: retryAt })
    .where('tenant_id', '=', tenantId)
    .where('id', '=', taskId)
    .where('status', '=', 'CALLING')
    .execute();
}
