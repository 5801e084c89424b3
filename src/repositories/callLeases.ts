import { type ExpressionBuilder, sql } from 'kysely';
import { type Database, jsonRows, tenantOfRowsById } from '../db/database.js';
import type { CallLeaseTable, DB } from '../db/schema.js';
import type { ResultStatus } from '../domain/enums.js';
import type { LineEngine } from '../domain/phoneLine.js';
import { chunks, parseJson } from './rows.js';

/*
 * Call leases (migration 0028): the queries of services/callLeases.ts, which holds the rules. Every
 * write here touches call_lease only — no data version moves (VERSIONLESS) — except
 * `raiseHighWaterMarks` (phone_line, only when the mark moves) and `moveTasksToCalling` /
 * `putTaskBack` (call_task, when an engine dials or gives a dialled call back unrecorded).
 */

export type CallLease = CallLeaseTable;

/** A job an engine may claim from: IN_PROCESS, with its tenant's zone, its limits and its usable lines. */
export interface JobToClaim {
  id: number;
  tenant_id: number;
  robot_count: number;
  concurrency_quota: number | null;
  daily_start_time: string;
  daily_end_time: string;
  inactive_time_list: { startTime: string; endTime: string }[];
  time_zone: string;
  /** Its enabled lines of the engine's kind (among the claim's `lines` when given), in id order; none: a lineless job, the simulator's. */
  lines: LineToClaim[];
}

/** A caller line as a claim sees it. */
export interface LineToClaim {
  id: number;
  tenant_id: number;
  phone_number: string;
  phone_type: string;
  concurrency_quota: number | null;
  calls_per_second: number | null;
  ring_timeout_seconds: number;
  max_call_seconds: number;
  daily_cap_per_number: number | null;
  high_water_mark: number;
  /** Its SIP trunk (null: none): given only to engines over HTTP. The password is stored encrypted. */
  sip_uri: string | null;
  sip_username: string | null;
  sip_password: string | null;
  sip_transport: string;
  sip_codecs: string;
}

/** LineToClaim's columns, in the order its JSON rows list them. */
const LINE_TO_CLAIM_COLUMNS = [
  'id',
  'tenant_id',
  'phone_number',
  'phone_type',
  'concurrency_quota',
  'calls_per_second',
  'ring_timeout_seconds',
  'max_call_seconds',
  'daily_cap_per_number',
  'high_water_mark',
  'sip_uri',
  'sip_username',
  'sip_password',
  'sip_transport',
  'sip_codecs',
] as const satisfies readonly (keyof LineToClaim)[];

/**
 * IN_PROCESS jobs of the scope (one tenant, or all) an engine of this kind may claim from: those
 * with an enabled line of that kind (among `lineIds` when given), and for the simulator also those
 * with no line at all. In id order, each with those lines: one statement for all a claim reads
 * before it takes a job's lock.
 */
export async function listJobsToClaim(
  db: Database,
  scope: { tenantId: number | null; kind: LineEngine; lineIds?: readonly number[] },
): Promise<JobToClaim[]> {
  const { kind, lineIds } = scope;
  // The job's usable lines: what the claim may dial over, and what makes the job claimable.
  const usableLines = (eb: ExpressionBuilder<DB & { j: DB['robot_call_job'] }, 'j'>) => {
    let lines = eb
      .selectFrom('job_phone_line as jl')
      .innerJoin('phone_line as p', (join) =>
        join.onRef('p.id', '=', 'jl.phone_line_id').onRef('p.tenant_id', '=', 'jl.tenant_id'),
      )
      .whereRef('jl.tenant_id', '=', 'j.tenant_id')
      .whereRef('jl.job_id', '=', 'j.id')
      .where('p.engine', '=', kind)
      .where('p.enabled_status', '=', 1);
    if (lineIds !== undefined) lines = lines.where('p.id', 'in', lineIds.length > 0 ? [...lineIds] : [-1]);
    return lines;
  };
  let q = db.db
    .selectFrom('robot_call_job as j')
    .innerJoin('tenant as t', 't.id', 'j.tenant_id')
    .select((eb) => [
      'j.id',
      'j.tenant_id',
      'j.robot_count',
      'j.concurrency_quota',
      'j.daily_start_time',
      'j.daily_end_time',
      'j.inactive_time_list',
      't.time_zone',
      usableLines(eb)
        .select(
          jsonRows(
            db,
            LINE_TO_CLAIM_COLUMNS.map((c) => sql.ref(`p.${c}`)),
            [sql.ref('p.id')],
          ).as('v'),
        )
        .as('lines'),
    ])
    .where('j.status', '=', 'IN_PROCESS');
  if (scope.tenantId !== null) q = q.where('j.tenant_id', '=', scope.tenantId);
  q = q.where((eb) => {
    const withLine = eb.exists(usableLines(eb).select('jl.job_id'));
    if (kind !== 'simulated') return withLine;
    const lineless = eb.not(
      eb.exists(
        eb
          .selectFrom('job_phone_line as jl2')
          .select('jl2.job_id')
          .whereRef('jl2.tenant_id', '=', 'j.tenant_id')
          .whereRef('jl2.job_id', '=', 'j.id'),
      ),
    );
    return eb.or([withLine, lineless]);
  });
  const rows = await q.orderBy('j.id').execute();
  return rows.map((r) => ({
    ...r,
    inactive_time_list: parseJson<{ startTime: string; endTime: string }[]>(r.inactive_time_list, []),
    lines: parseJson<unknown[][]>(r.lines, []).map((values) => {
      const line = Object.fromEntries(LINE_TO_CLAIM_COLUMNS.map((c, i) => [c, values[i]])) as unknown as LineToClaim;
      // numeric on PostgreSQL: a JSON number, or text from SQLite's decimal affinity.
      line.calls_per_second = line.calls_per_second == null ? null : Number(line.calls_per_second);
      return line;
    }),
  }));
}

/**
 * Takes the claim locks of the job and then of its lines (in id order) for the rest of the claim's
 * transaction, so that claims of one job, and claims on one line, count live leases one at a time
 * (PostgreSQL; SQLite's writer holds the whole database). Advisory locks, not the rows': a result's
 * write path updates the job row (its completed tasks) and would otherwise hold every claim of the
 * job up until it commits, and a claim every result. Nothing is written: no data version moves.
 * Then reads, after the locks, whether the job is still IN_PROCESS, its live leases and those of
 * each of the lines.
 */
type LoadRow = { phone_line_id: number | null; status: string | null; live: number | null };

export async function lockJobForClaim(
  db: Database,
  tenantId: number,
  jobId: number,
  lineIds: readonly number[],
): Promise<{ inProcess: boolean; liveLeases: number; liveOnLines: Map<number, number> }> {
  if (db.dialect === 'postgres') {
    // One 64-bit key per job and per line (a collision would only make two claims wait in turn),
    // taken in one statement, in the array's order. Literals (of ids), not a parameter: the
    // transaction's first statement, it then goes with its `begin` in one message (db/database.ts).
    const keys = [`claim job ${jobId}`, ...[...lineIds].sort((a, b) => a - b).map((id) => `claim line ${id}`)].map(
      (k) => sql.lit(k),
    );
    await sql`select pg_advisory_xact_lock(hashtextextended(k, 0)) from unnest(array[${sql.join(keys)}]::text[]) with ordinality as u(k, n) order by n`.execute(
      db.db,
    );
  }
  // One statement: the job's row (its status and live leases), then a row per line with live leases.
  const job = db.db
    .selectFrom('robot_call_job as j')
    .select((eb) => [
      sql<number | null>`null`.as('phone_line_id'),
      'j.status',
      eb
        .selectFrom('call_lease as l')
        .select((e) => e.fn.countAll<number>().as('n'))
        .where('l.tenant_id', '=', tenantId)
        .where('l.job_id', '=', jobId)
        .where('l.ended_at', 'is', null)
        .as('live'),
    ])
    .where('j.tenant_id', '=', tenantId)
    .where('j.id', '=', jobId)
    .$castTo<LoadRow>();
  const rows = await (lineIds.length === 0
    ? job
    : job.unionAll(
        db.db
          .selectFrom('call_lease')
          .select((eb) => ['phone_line_id', sql<string | null>`null`.as('status'), eb.fn.countAll<number>().as('live')])
          .where('phone_line_id', 'in', [...lineIds])
          .where('ended_at', 'is', null)
          .groupBy('phone_line_id')
          .$castTo<LoadRow>(),
      )
  ).execute();
  const jobRow = rows.find((r) => r.phone_line_id == null);
  return {
    inProcess: jobRow?.status === 'IN_PROCESS',
    liveLeases: Number(jobRow?.live ?? 0),
    liveOnLines: new Map(
      rows.flatMap((r) => (r.phone_line_id == null ? [] : [[Number(r.phone_line_id), Number(r.live)]])),
    ),
  };
}

/** Per line: leases claimed since `since` (calls per second). */
export async function claimsOnLinesSince(
  db: Database,
  lineIds: readonly number[],
  since: number,
): Promise<Map<number, number>> {
  if (lineIds.length === 0) return new Map();
  const rows = await db.db
    .selectFrom('call_lease')
    .select(['phone_line_id', (eb) => eb.fn.countAll<number>().as('n')])
    .where('phone_line_id', 'in', [...lineIds])
    .where('claimed_at', '>', since)
    .groupBy('phone_line_id')
    .execute();
  return new Map(rows.map((r) => [Number(r.phone_line_id), Number(r.n)]));
}

/**
 * Calls to each number on each line since `since` (the tenant-local midnight): dialled since then,
 * or claimed and not dialled yet (they may be). Keyed `line|number`.
 */
export async function callsToNumbersOnLines(
  db: Database,
  lineIds: readonly number[],
  numbers: readonly string[],
  since: number,
): Promise<Map<string, number>> {
  const counts = new Map<string, number>();
  if (lineIds.length === 0 || numbers.length === 0) return counts;
  for (const chunk of chunks([...new Set(numbers)], 500)) {
    const rows = await db.db
      .selectFrom('call_lease')
      .select(['phone_line_id', 'called_phone_number', (eb) => eb.fn.countAll<number>().as('n')])
      .where('phone_line_id', 'in', [...lineIds])
      .where('called_phone_number', 'in', chunk)
      .where((eb) =>
        eb.or([eb('dialled_at', '>=', since), eb.and([eb('ended_at', 'is', null), eb('dialled_at', 'is', null)])]),
      )
      .groupBy(['phone_line_id', 'called_phone_number'])
      .execute();
    for (const r of rows) counts.set(`${r.phone_line_id}|${r.called_phone_number}`, Number(r.n));
  }
  return counts;
}

/**
 * Up to `limit` call tasks of the job that are due: not finished, their time come (never dialled,
 * a redial due, or a claim of the old dialer run out), not on the tenant's do-not-call list, with
 * no live lease. In id order; on PostgreSQL rows another transaction holds are skipped.
 */
export async function findDueCallTasks(
  db: Database,
  tenantId: number,
  jobId: number,
  limit: number,
  now: number,
): Promise<{ id: number; called_phone_number: string; attempts: number }[]> {
  let q = db.db
    .selectFrom('call_task as t')
    .select(['t.id', 't.called_phone_number', 't.attempts'])
    .where('t.tenant_id', '=', tenantId)
    .where('t.job_id', '=', jobId)
    // Literal, as in the partial index call_task_due (migration 0028): the planners match its
    // predicate only against the same constants, not against bound parameters.
    .where(sql<boolean>`t.status in ('NOT_STARTED', 'REDIAL_WAITING', 'CALLING')`)
    .where((eb) => eb.or([eb('t.next_attempt_at', 'is', null), eb('t.next_attempt_at', '<=', now)]))
    .where(({ not, exists, selectFrom }) =>
      not(
        exists(
          selectFrom('do_not_call as d')
            .select('d.tenant_id')
            .whereRef('d.tenant_id', '=', 't.tenant_id')
            .whereRef('d.phone_number', '=', 't.called_phone_number'),
        ),
      ),
    )
    .where(({ not, exists, selectFrom }) =>
      not(
        exists(
          selectFrom('call_lease as l')
            .select('l.id')
            .whereRef('l.call_task_id', '=', 't.id')
            .where('l.ended_at', 'is', null),
        ),
      ),
    )
    .orderBy('t.id')
    .limit(limit);
  if (db.dialect === 'postgres') q = q.forNoKeyUpdate().skipLocked();
  return q.execute();
}

/**
 * Inserts leases; a task that has a live lease already (another claim won it) gets none: only
 * the ids returned are claims (the unique index call_lease_live_task decides).
 */
export async function insertLeases(db: Database, leases: CallLease[]): Promise<Set<string>> {
  const inserted = new Set<string>();
  for (const chunk of chunks(leases, 200)) {
    const rows = await db.db
      .insertInto('call_lease')
      .values(chunk)
      .onConflict((oc) => oc.column('call_task_id').where('ended_at', 'is', null).doNothing())
      .returning('id')
      .execute();
    for (const r of rows) inserted.add(r.id);
  }
  return inserted;
}

/** Raises each line's high-water mark to its live leases, where they exceed it (a write only then). */
export async function raiseHighWaterMarks(db: Database, lineIds: readonly number[]): Promise<void> {
  for (const id of lineIds) {
    const live = db.db
      .selectFrom('call_lease')
      .select((eb) => eb.fn.countAll<number>().as('n'))
      .where('phone_line_id', '=', id)
      .where('ended_at', 'is', null);
    await db.db
      .updateTable('phone_line')
      .set({ high_water_mark: live })
      .where('id', '=', id)
      .where('high_water_mark', '<', live)
      .execute();
  }
}

/** What a claim answers per task beyond the lease: the customer and the job's dialog flow. */
export async function findClaimDetails(db: Database, tenantId: number, taskIds: readonly number[]) {
  const rows: {
    id: number;
    job_id: number;
    customer_person_id: number;
    customer_name: string;
    properties: unknown;
    dialog_flow_id: number;
    dialog_flow_version: number;
    flow_version_created_at: number;
    flow_name: string;
    definition: unknown;
  }[] = [];
  for (const chunk of chunks([...taskIds], 500)) {
    rows.push(
      ...(await db.db
        .selectFrom('call_task as t')
        .innerJoin('customer_person as c', (join) =>
          join.onRef('c.id', '=', 't.customer_person_id').onRef('c.tenant_id', '=', 't.tenant_id'),
        )
        .innerJoin('robot_call_job as j', (join) =>
          join.onRef('j.id', '=', 't.job_id').onRef('j.tenant_id', '=', 't.tenant_id'),
        )
        .innerJoin('dialog_flow as f', (join) =>
          join.onRef('f.id', '=', 'j.dialog_flow_id').onRef('f.tenant_id', '=', 'j.tenant_id'),
        )
        // The version of the flow the job speaks, not the flow's current one (migration 0031).
        .innerJoin('dialog_flow_version as v', (join) =>
          join
            .onRef('v.dialog_flow_id', '=', 'j.dialog_flow_id')
            .onRef('v.version', '=', 'j.dialog_flow_version')
            .onRef('v.tenant_id', '=', 'j.tenant_id'),
        )
        .select([
          't.id',
          't.job_id',
          't.customer_person_id',
          'c.name as customer_name',
          'c.properties',
          'j.dialog_flow_id',
          'v.version as dialog_flow_version',
          'v.created_at as flow_version_created_at',
          'f.name as flow_name',
          'v.definition',
        ])
        .where(tenantOfRowsById(db, 't.tenant_id'), '=', tenantId)
        .where('t.id', 'in', chunk)
        .execute()),
    );
  }
  return new Map(rows.map((r) => [r.id, r]));
}

/** The trunk of these lines (only those with a SIP URI), the password still encrypted. */
/** One lease, locked for the rest of the transaction on PostgreSQL. */
export async function lockLease(db: Database, leaseId: string): Promise<CallLease | undefined> {
  let q = db.db.selectFrom('call_lease').selectAll().where('id', '=', leaseId);
  if (db.dialect === 'postgres') q = q.forUpdate();
  return q.executeTakeFirst();
}

/** Leases by id, locked on PostgreSQL in id order (the order every writer of several leases takes). */
export async function lockLeases(db: Database, leaseIds: readonly string[]): Promise<Map<string, CallLease>> {
  const found = new Map<string, CallLease>();
  for (const chunk of chunks([...new Set(leaseIds)].sort(), 500)) {
    let q = db.db.selectFrom('call_lease').selectAll().where('id', 'in', chunk).orderBy('id');
    if (db.dialect === 'postgres') q = q.forUpdate();
    for (const lease of await q.execute()) found.set(lease.id, lease);
  }
  return found;
}

/** Ends leases with their results (the status each result came to), one statement per 500. */
export async function endLeasesWithResults(
  db: Database,
  ended: readonly { id: string; resultStatus: string; at: number }[],
): Promise<void> {
  for (const chunk of chunks([...ended], 500)) {
    const rows = JSON.stringify(chunk);
    if (db.dialect === 'postgres') {
      await sql`update call_lease as l
        set state = 'ended', ended_at = v.at, ended_reason = 'result', result_status = v."resultStatus"
        from jsonb_to_recordset(${rows}::jsonb) as v (id text, "resultStatus" text, at bigint)
        where l.id = v.id`.execute(db.db);
    } else {
      await sql`update call_lease
        set state = 'ended', ended_at = v.at, ended_reason = 'result', result_status = v.result_status
        from (select value ->> 'id' as id, value ->> 'resultStatus' as result_status, value ->> 'at' as at
          from json_each(${rows})) as v
        where call_lease.id = v.id`.execute(db.db);
    }
  }
}

/** Leases by id (not locked). */
export async function findLeases(db: Database, leaseIds: readonly string[]): Promise<CallLease[]> {
  const found: CallLease[] = [];
  for (const chunk of chunks([...new Set(leaseIds)], 500))
    found.push(...(await db.db.selectFrom('call_lease').selectAll().where('id', 'in', chunk).execute()));
  return found;
}

export async function updateLease(db: Database, leaseId: string, set: Partial<CallLease>): Promise<void> {
  await db.db.updateTable('call_lease').set(set).where('id', '=', leaseId).execute();
}

/** Ends live leases: those ended now are returned. */
export async function endLeases(
  db: Database,
  leaseIds: readonly string[],
  reason: NonNullable<CallLease['ended_reason']>,
  now: number,
  only: { state?: CallLease['state']; engineKeyId?: number | null } = {},
): Promise<CallLease[]> {
  const ended: CallLease[] = [];
  for (const chunk of chunks([...new Set(leaseIds)], 500)) {
    let q = db.db
      .updateTable('call_lease')
      .set({ state: 'ended', ended_at: now, ended_reason: reason })
      .where('id', 'in', chunk)
      .where('ended_at', 'is', null);
    if (only.state) q = q.where('state', '=', only.state);
    if (only.engineKeyId !== undefined)
      q =
        only.engineKeyId === null
          ? q.where('engine_key_id', 'is', null)
          : q.where('engine_key_id', '=', only.engineKeyId);
    ended.push(...(await q.returningAll().execute()));
  }
  return ended;
}

/**
 * A heartbeat's renewals in one statement: each live lease to its `expiresAt`, and to its `phase`
 * when one is given. PostgreSQL locks the leases in id order first, as every other write of several
 * leases does (the lease functions' order), so that a heartbeat never deadlocks with a dial or a
 * result group.
 */
export async function renewLeases(
  db: Database,
  renewals: readonly { id: string; expiresAt: number; phase?: CallLease['phase'] }[],
): Promise<void> {
  for (const chunk of chunks([...renewals], 500)) {
    const rows = JSON.stringify(chunk.map((r) => ({ id: r.id, expiresAt: r.expiresAt, phase: r.phase ?? null })));
    if (db.dialect === 'postgres') {
      await sql`with v as (select * from jsonb_to_recordset(${rows}::jsonb) as v (id text, "expiresAt" bigint, phase text)),
          locked as (select l.id from call_lease as l join v on v.id = l.id where l.ended_at is null order by l.id for update of l)
        update call_lease as l set expires_at = v."expiresAt", phase = coalesce(v.phase, l.phase)
        from v join locked on locked.id = v.id
        where l.id = v.id`.execute(db.db);
    } else {
      await sql`update call_lease set expires_at = v.expires_at, phase = coalesce(v.phase, call_lease.phase)
        from (select value ->> 'id' as id, value ->> 'expiresAt' as expires_at, value ->> 'phase' as phase
          from json_each(${rows})) as v
        where call_lease.id = v.id and call_lease.ended_at is null`.execute(db.db);
    }
  }
}

/** A claimed lease past its TTL, or a dialled one past its deadline: what the reaper ends. */
export async function findLapsedLeases(db: Database, now: number, limit: number) {
  const expired = await db.db
    .selectFrom('call_lease')
    .select('id')
    .where('ended_at', 'is', null)
    .where('state', '=', 'claimed')
    .where('expires_at', '<', now)
    .orderBy('expires_at')
    .limit(limit)
    .execute();
  const lost = await db.db
    .selectFrom('call_lease')
    .select('id')
    .where('ended_at', 'is', null)
    .where('deadline_at', '<', now)
    .orderBy('deadline_at')
    .limit(limit)
    .execute();
  return { expired: expired.map((r) => r.id), lost: lost.map((r) => r.id) };
}

/** Leases of this task's attempt that lapsed before dial (the poison count). */
export async function countLapsesBeforeDial(db: Database, callTaskId: number, attempt: number): Promise<number> {
  const row = await db.db
    .selectFrom('call_lease')
    .select((eb) => eb.fn.countAll<number>().as('n'))
    .where('call_task_id', '=', callTaskId)
    .where('attempt', '=', attempt)
    .where('ended_reason', 'in', ['expired_before_dial', 'poisoned'])
    .executeTakeFirstOrThrow();
  return Number(row.n);
}

/** Job statuses of several jobs. */
export async function findJobStatuses(db: Database, jobIds: readonly number[]) {
  if (jobIds.length === 0) return new Map<number, string>();
  const rows = await db.db
    .selectFrom('robot_call_job')
    .select(['id', 'status'])
    .where('id', 'in', [...new Set(jobIds)])
    .execute();
  return new Map(rows.map((r) => [r.id, r.status as string]));
}

/** Which of these numbers of the tenant are on its do-not-call list. */
export async function listedNumbers(db: Database, tenantId: number, numbers: readonly string[]): Promise<Set<string>> {
  if (numbers.length === 0) return new Set();
  const rows = await db.db
    .selectFrom('do_not_call')
    .select('phone_number')
    .where('tenant_id', '=', tenantId)
    .where('phone_number', 'in', [...new Set(numbers)])
    .execute();
  return new Set(rows.map((r) => r.phone_number));
}

/**
 * The dialled tasks are being called: CALLING until each one's `until` (its lease's deadline), so
 * the API shows them and the old dialer's claim rule leaves them alone. Locks the tasks (after the
 * leases: the lease functions' order). Returns the ids moved: a task finished or gone is not.
 */
export async function moveTasksToCalling(
  db: Database,
  tasks: readonly { tenantId: number; taskId: number; until: number }[],
): Promise<Set<number>> {
  const moved = new Set<number>();
  for (const chunk of chunks(
    [...tasks].sort((a, b) => a.taskId - b.taskId),
    500,
  )) {
    const rows = JSON.stringify(chunk);
    const { rows: ids } =
      db.dialect === 'postgres'
        ? await sql<{ id: number }>`update call_task as t set status = 'CALLING', next_attempt_at = v.until
            from jsonb_to_recordset(${rows}::jsonb) as v ("tenantId" bigint, "taskId" bigint, until bigint)
            where t.tenant_id = v."tenantId" and t.id = v."taskId" and t.status <> 'FINISHED'
            returning t.id`.execute(db.db)
        : // The unary plus keeps SQLite on the primary key (see tenantOfRowsById).
          await sql<{ id: number }>`update call_task set status = 'CALLING', next_attempt_at = v.until
            from (select value ->> 'tenantId' as tenant_id, value ->> 'taskId' as id, value ->> 'until' as until
              from json_each(${rows})) as v
            where +call_task.tenant_id = v.tenant_id and call_task.id = v.id and call_task.status <> 'FINISHED'
            returning call_task.id`.execute(db.db);
    for (const r of ids) moved.add(Number(r.id));
  }
  return moved;
}

/** Dialled leases: `dialing` from `at`, until their deadline, renewed to `expiresAt`. */
export async function markLeasesDialled(
  db: Database,
  leases: readonly { id: string; at: number; deadlineAt: number; expiresAt: number }[],
): Promise<void> {
  for (const chunk of chunks([...leases], 500)) {
    const rows = JSON.stringify(chunk);
    if (db.dialect === 'postgres') {
      await sql`update call_lease as l
        set state = 'dialing', dialled_at = v.at, deadline_at = v."deadlineAt", expires_at = v."expiresAt"
        from jsonb_to_recordset(${rows}::jsonb) as v (id text, at bigint, "deadlineAt" bigint, "expiresAt" bigint)
        where l.id = v.id`.execute(db.db);
    } else {
      await sql`update call_lease
        set state = 'dialing', dialled_at = v.at, deadline_at = v.deadline_at, expires_at = v.expires_at
        from (select value ->> 'id' as id, value ->> 'at' as at, value ->> 'deadlineAt' as deadline_at,
          value ->> 'expiresAt' as expires_at from json_each(${rows})) as v
        where call_lease.id = v.id`.execute(db.db);
    }
  }
}

/** The ring timeout and maximum call length of these lines, by id. */
export async function findLineLimits(db: Database, lineIds: readonly number[]) {
  if (lineIds.length === 0) return new Map<number, { ring_timeout_seconds: number; max_call_seconds: number }>();
  const rows = await db.db
    .selectFrom('phone_line')
    .select(['id', 'ring_timeout_seconds', 'max_call_seconds'])
    .where('id', 'in', [...new Set(lineIds)])
    .execute();
  return new Map(rows.map((r) => [r.id, r]));
}

/** A dialled call given back unrecorded (cancelled before answer): the task is due again at once, no attempt spent. */
export async function putTaskBack(db: Database, tenantId: number, taskId: number, now: number): Promise<void> {
  await db.db
    .updateTable('call_task')
    .set({
      status: sql`case when attempts = 0 then 'NOT_STARTED' else 'REDIAL_WAITING' end`,
      next_attempt_at: now,
    })
    .where('tenant_id', '=', tenantId)
    .where('id', '=', taskId)
    .where('status', '=', 'CALLING')
    .execute();
}

/** Live leases in all, for metrics. */
export async function countLiveLeases(db: Database): Promise<{ claimed: number; dialing: number }> {
  const rows = await db.db
    .selectFrom('call_lease')
    .select(['state', (eb) => eb.fn.countAll<number>().as('n')])
    .where('ended_at', 'is', null)
    .groupBy('state')
    .execute();
  const counts = { claimed: 0, dialing: 0 };
  for (const r of rows) if (r.state === 'claimed' || r.state === 'dialing') counts[r.state] = Number(r.n);
  return counts;
}

export type { ResultStatus };
