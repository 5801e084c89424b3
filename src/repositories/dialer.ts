import { sql, type Kysely, type Transaction } from 'kysely';
import type { Dialect } from '../db/database.js';
import type { DB } from '../db/schema.js';
import { DIALER_STATUSES } from '../domain/jobLifecycle.js';

/** What the dialer reads and claims. */

/** Jobs the dialer looks after, across tenants, with each tenant's time zone and the job's script. */
export async function jobsToDial(db: Kysely<DB>) {
  return db
    .selectFrom('robot_call_job as j')
    .innerJoin('tenant as t', 't.id', 'j.tenant_id')
    .innerJoin('dialog_flow as f', 'f.id', 'j.dialog_flow_id')
    .select([
      'j.id',
      'j.tenant_id',
      'j.status',
      'j.start_time',
      'j.robot_count',
      'j.daily_start_time',
      'j.daily_end_time',
      'j.inactive_start_time',
      'j.inactive_end_time',
      'j.task_call_total',
      'j.completed_task',
      't.time_zone',
      'f.definition',
    ])
    .where('j.status', 'in', [...DIALER_STATUSES])
    .orderBy('j.id')
    .execute();
}

export type JobToDial = Awaited<ReturnType<typeof jobsToDial>>[number];

/**
 * Locks the job for the rest of the transaction, so dialers in several processes claim its tasks
 * one at a time: a no-op update takes the row lock on PostgreSQL (SQLite transactions hold the
 * database's write lock from their start anyway).
 */
export async function lockJob(trx: Transaction<DB>, tenantId: number, jobId: number): Promise<void> {
  await trx
    .updateTable('robot_call_job')
    .set({ robot_count: sql`robot_count` })
    .where('tenant_id', '=', tenantId)
    .where('id', '=', jobId)
    .execute();
}

/** Calls of the job in flight: claimed tasks whose claim has not run out. */
export async function callsInFlight(db: Kysely<DB>, tenantId: number, jobId: number, now: number): Promise<number> {
  const row = await db
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
export async function hasUnfinishedTasks(db: Kysely<DB>, tenantId: number, jobId: number): Promise<boolean> {
  const row = await db
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
export async function claimDueTasks(trx: Transaction<DB>, dialect: Dialect, tenantId: number, jobId: number, limit: number, now: number, claimUntil: number) {
  let due = trx
    .selectFrom('call_task')
    .select('id')
    .where('tenant_id', '=', tenantId)
    .where('job_id', '=', jobId)
    .where('status', 'in', ['NOT_STARTED', 'REDIAL_WAITING', 'CALLING'])
    .where((eb) => eb.or([eb('next_attempt_at', 'is', null), eb('next_attempt_at', '<=', now)]))
    .orderBy('id')
    .limit(limit);
  if (dialect === 'postgres') due = due.forUpdate().skipLocked();
  return trx
    .updateTable('call_task')
    .set({ status: 'CALLING', next_attempt_at: claimUntil })
    .where('id', 'in', due)
    .returning(['id', 'called_phone_number', 'attempts'])
    .execute();
}

/** Gives a claimed task back (the call could not be placed), to be tried again at `retryAt`. */
export async function releaseTask(db: Kysely<DB>, tenantId: number, taskId: number, retryAt: number): Promise<void> {
  await db
    .updateTable('call_task')
    .set({ status: sql`case when attempts = 0 then 'NOT_STARTED' else 'REDIAL_WAITING' end`, next_attempt_at: retryAt })
    .where('tenant_id', '=', tenantId)
    .where('id', '=', taskId)
    .where('status', '=', 'CALLING')
    .execute();
}
