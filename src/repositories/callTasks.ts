import { type ExpressionBuilder, sql } from 'kysely';
import { type Database, tenantOfRowsById } from '../db/database.js';
import type { DB } from '../db/schema.js';
import type { CallTaskStatus, ResultStatus } from '../domain/enums.js';
import { chunks, parseJson } from './rows.js';

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
  const base = (byId: boolean) =>
    db.db
      .selectFrom('call_task as t')
      .innerJoin('customer_person as p', (join) =>
        join.onRef('p.id', '=', 't.customer_person_id').onRef('p.tenant_id', '=', 't.tenant_id'),
      )
      .select(['t.id', 't.job_id', 't.called_phone_number', 't.customer_person_id', 'p.customer_group_id'])
      .where(byId ? tenantOfRowsById(db, 't.tenant_id') : sql.ref<number>('t.tenant_id'), '=', tenantId);
  const found: CallTaskOfCall[] = [];
  for (const chunk of chunks(ids, 500)) found.push(...(await base(true).where('t.id', 'in', chunk).execute()));
  for (const [jobId, numbers] of numbersByJob) {
    for (const chunk of chunks(numbers, 500)) {
      found.push(
        ...(await base(false).where('t.job_id', '=', jobId).where('t.called_phone_number', 'in', chunk).execute()),
      );
    }
  }
  return found;
}

/** Where a call task's dialling stands: what a finished call moves on. */
export interface CallTaskProgress {
  id: number;
  status: CallTaskStatus;
  attempts: number;
  /** Attempts made before the current round: the redial limit counts those after it (read only). */
  round_start_attempts: number;
  last_result_status: ResultStatus | null;
  next_attempt_at: number | null;
  finished_at: number | null;
}

/**
 * These call tasks of the tenant with where their dialling stands, read in id order. On
 * PostgreSQL the rows stay locked (FOR NO KEY UPDATE) until the transaction ends (in id order, as every writer of call
 * tasks locks them), so what is written back from them is not overtaken; SQLite's writer holds
 * the whole database.
 */
export async function lockCallTasksProgress(
  db: Database,
  tenantId: number,
  taskIds: number[],
): Promise<Map<number, CallTaskProgress>> {
  const found = new Map<number, CallTaskProgress>();
  for (const chunk of chunks(
    [...new Set(taskIds)].sort((a, b) => a - b),
    500,
  )) {
    let q = db.db
      .selectFrom('call_task')
      .select([
        'id',
        'status',
        'attempts',
        'round_start_attempts',
        'last_result_status',
        'next_attempt_at',
        'finished_at',
      ])
      .where(tenantOfRowsById(db, 'tenant_id'), '=', tenantId)
      .where('id', 'in', chunk)
      .orderBy('id');
    // As the update that follows: FOR UPDATE would also block the foreign-key checks (FOR KEY
    // SHARE) of other batches inserting records of these tasks, ahead of this one in the lock order.
    if (db.dialect === 'postgres') q = q.forNoKeyUpdate();
    for (const r of await q.execute())
      found.set(r.id, {
        ...r,
        next_attempt_at: r.next_attempt_at == null ? null : Number(r.next_attempt_at),
        finished_at: r.finished_at == null ? null : Number(r.finished_at),
      });
  }
  return found;
}

/**
 * Writes call tasks' progress (read with lockCallTasksProgress, moved on by finished calls): one
 * statement per 1,000 tasks, the rows given as one JSON parameter.
 */
export async function updateCallTasksProgress(
  db: Database,
  tenantId: number,
  tasks: Omit<CallTaskProgress, 'round_start_attempts'>[],
): Promise<void> {
  for (const chunk of chunks(
    [...tasks].sort((a, b) => a.id - b.id),
    1000,
  )) {
    const rows = JSON.stringify(chunk);
    if (db.dialect === 'postgres') {
      await sql`update call_task as t
        set status = v.status, attempts = v.attempts, last_result_status = v.last_result_status,
          next_attempt_at = v.next_attempt_at, finished_at = v.finished_at
        from jsonb_to_recordset(${rows}::jsonb) as v (id bigint, status text, attempts integer,
          last_result_status text, next_attempt_at bigint, finished_at bigint)
        where t.tenant_id = ${tenantId} and t.id = v.id`.execute(db.db);
    } else {
      // The unary plus keeps SQLite from reading the tenant's rows through a tenant index and
      // testing every row given against each (without statistics it takes a tenant for ~10 rows):
      // each row given is found by its id, whatever the statistics say.
      await sql`update call_task
        set status = v.status, attempts = v.attempts, last_result_status = v.last_result_status,
          next_attempt_at = v.next_attempt_at, finished_at = v.finished_at
        from (select value ->> 'id' as id, value ->> 'status' as status, value ->> 'attempts' as attempts,
          value ->> 'last_result_status' as last_result_status, value ->> 'next_attempt_at' as next_attempt_at,
          value ->> 'finished_at' as finished_at from json_each(${rows})) as v
        where +call_task.tenant_id = ${tenantId} and call_task.id = v.id`.execute(db.db);
    }
  }
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
  return (
    db.db
      .updateTable('call_task')
      .set({ status: 'CALLING', next_attempt_at: claimUntil })
      // The tenant again on the outer statement, so that it alone routes it to the tenant's shard.
      .where('tenant_id', '=', tenantId)
      .where('id', 'in', due)
      .returning(['id', 'called_phone_number', 'attempts'])
      .execute()
  );
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
      .where('tenant_id', '=', tenantId)
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

/** The call tasks of the job for these customers or numbers (bounded lists), with where they stand. */
export async function findCallTasksInJob(
  db: Database,
  tenantId: number,
  jobId: number,
  customerIds: number[],
  numbers: string[],
) {
  type Found = { id: number; customer_person_id: number; called_phone_number: string; status: string };
  const found = new Map<number, Found>();
  const base = () =>
    db.db
      .selectFrom('call_task')
      .select(['id', 'customer_person_id', 'called_phone_number', 'status'])
      .where('tenant_id', '=', tenantId)
      .where('job_id', '=', jobId);
  for (const chunk of chunks(customerIds, 500))
    for (const r of await base().where('customer_person_id', 'in', chunk).execute()) found.set(r.id, r);
  for (const chunk of chunks(numbers, 500))
    for (const r of await base().where('called_phone_number', 'in', chunk).execute()) found.set(r.id, r);
  return [...found.values()].sort((a, b) => a.id - b.id);
}

/**
 * Makes finished call tasks due again (a customer re-added to the job): waiting to be dialled at
 * once, in a new round. `attempts` is kept, so the dialer's idempotency keys (task and attempt)
 * stay unique; `round_start_attempts` takes its value, so the job's redial limit counts this
 * round's attempts only, as for a customer dialled for the first time. Returns the tasks reopened.
 */
export async function reopenFinishedCallTasks(db: Database, tenantId: number, jobId: number, taskIds: number[]) {
  const reopened: { id: number; customer_person_id: number }[] = [];
  for (const chunk of chunks(taskIds, 500)) {
    const rows = await db.db
      .updateTable('call_task')
      .set((eb) => ({
        status: 'NOT_STARTED',
        next_attempt_at: null,
        finished_at: null,
        round_start_attempts: eb.ref('attempts'),
      }))
      .where('tenant_id', '=', tenantId)
      .where('job_id', '=', jobId)
      .where('id', 'in', chunk)
      .where('status', '=', 'FINISHED')
      .returning(['id', 'customer_person_id'])
      .execute();
    reopened.push(...rows);
  }
  return reopened;
}

/** The later API's toBeCalledList / deleteRobotCallTaskList: one job's call tasks, by number and state. */
export interface CallTaskFilter {
  jobId: number;
  /** The called number, exactly. */
  calledPhoneNumber?: string;
  /** The states to include (never empty). */
  statuses: readonly CallTaskStatus[];
}

function filteredCallTasks(db: Database, tenantId: number, f: CallTaskFilter) {
  let q = db.db
    .selectFrom('call_task as t')
    .where('t.tenant_id', '=', tenantId)
    .where('t.job_id', '=', f.jobId)
    .where('t.status', 'in', f.statuses);
  if (f.calledPhoneNumber !== undefined) q = q.where('t.called_phone_number', '=', f.calledPhoneNumber);
  return q;
}

/** How many of the job's call tasks pass the filter (through call_task_job_status or call_task_job_phone). */
export async function countCallTasks(db: Database, tenantId: number, f: CallTaskFilter): Promise<number> {
  const row = await filteredCallTasks(db, tenantId, f)
    .select((eb) => eb.fn.countAll<number>().as('n'))
    .executeTakeFirstOrThrow();
  return Number(row.n);
}

/**
 * One page of the job's call tasks in id (import) order, with the customer's name, group and
 * properties, and whether the number is on the tenant's do-not-call list.
 */
export async function listCallTasksPage(
  db: Database,
  tenantId: number,
  f: CallTaskFilter,
  limit: number,
  offset: number,
) {
  const page = filteredCallTasks(db, tenantId, f).select('t.id').orderBy('t.id').limit(limit).offset(offset);
  const rows = await db.db
    .selectFrom(page.as('p'))
    .innerJoin('call_task as t', (join) => join.onRef('t.id', '=', 'p.id').on('t.tenant_id', '=', tenantId))
    .innerJoin('customer_person as c', (join) =>
      join.onRef('c.id', '=', 't.customer_person_id').onRef('c.tenant_id', '=', 't.tenant_id'),
    )
    .leftJoin('customer_group as g', (join) =>
      join.onRef('g.id', '=', 'c.customer_group_id').onRef('g.tenant_id', '=', 'c.tenant_id'),
    )
    .select([
      't.id',
      't.customer_person_id',
      't.called_phone_number',
      't.status',
      'c.name as customer_name',
      'c.properties',
      'g.name as group_name',
    ])
    .select(({ exists, selectFrom }) =>
      exists(
        selectFrom('do_not_call as d')
          .select('d.tenant_id')
          .where('d.tenant_id', '=', tenantId)
          .whereRef('d.phone_number', '=', 't.called_phone_number'),
      ).as('on_do_not_call'),
    )
    .orderBy('t.id')
    .execute();
  return rows.map((r) => ({
    ...r,
    properties: parseJson<Record<string, unknown>>(r.properties, {}),
    on_do_not_call: Boolean(r.on_do_not_call),
  }));
}

/** One call task of the tenant (its job and state), or undefined. */
export async function findCallTask(db: Database, tenantId: number, taskId: number) {
  return db.db
    .selectFrom('call_task')
    .select(['id', 'job_id', 'status', 'attempts'])
    .where('tenant_id', '=', tenantId)
    .where('id', '=', taskId)
    .executeTakeFirst();
}

/** A call task never called: not started, no attempt, no call recorded of it (what may be deleted). */
function neverCalled(tenantId: number) {
  return (eb: ExpressionBuilder<DB, 'call_task'>) =>
    eb.and([
      eb('status', '=', 'NOT_STARTED'),
      eb('attempts', '=', 0),
      eb.not(
        eb.exists(
          eb
            .selectFrom('call_record as r')
            .select('r.id')
            .where('r.tenant_id', '=', tenantId)
            .whereRef('r.call_task_id', '=', 'call_task.id'),
        ),
      ),
    ]);
}

/**
 * Deletes the call tasks among `ids` (of one job) that were never called: not started, no
 * attempt, no call recorded, and not being claimed. One statement per chunk, which re-checks the
 * state of each row as it deletes it: on PostgreSQL a task a dialer is claiming at the same moment
 * is waited for and then found CALLING, so it stays. Returns the ids deleted.
 */
export async function deleteUncalledCallTasks(
  db: Database,
  tenantId: number,
  jobId: number,
  ids: number[],
): Promise<number[]> {
  const deleted: number[] = [];
  for (const chunk of chunks(
    [...new Set(ids)].sort((a, b) => a - b),
    500,
  )) {
    const rows = await db.db
      .deleteFrom('call_task')
      .where('tenant_id', '=', tenantId)
      .where('job_id', '=', jobId)
      .where('id', 'in', chunk)
      .where(neverCalled(tenantId))
      .returning('id')
      .execute();
    for (const r of rows) deleted.push(r.id);
  }
  return deleted;
}

/**
 * Deletes every call task of the job that was never called (as deleteUncalledCallTasks), of
 * `calledPhoneNumber` when given, in one statement. Returns how many.
 */
export async function deleteUncalledCallTasksOfJob(
  db: Database,
  tenantId: number,
  jobId: number,
  calledPhoneNumber?: string,
): Promise<number> {
  let q = db.db
    .deleteFrom('call_task')
    .where('tenant_id', '=', tenantId)
    .where('job_id', '=', jobId)
    .where(neverCalled(tenantId));
  if (calledPhoneNumber !== undefined) q = q.where('called_phone_number', '=', calledPhoneNumber);
  const result = await q.executeTakeFirst();
  return Number(result.numDeletedRows);
}
