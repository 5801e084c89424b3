import { type Insertable, type RawBuilder, type Selectable, sql } from 'kysely';
import { compiledOnce, type Database, jsonList, jsonRows, stableParam, tenantParam } from '../db/database.js';
import type { RobotCallJobTable } from '../db/schema.js';
import type { IntentLevel, JobStatus } from '../domain/enums.js';
import { DIALER_STATUSES } from '../domain/jobLifecycle.js';
import type { DayCounter } from './jobStats.js';
import { parseJson } from './rows.js';
import { contains, likePattern } from './text.js';

/** Jobs (robot_call_job) and their caller lines (job_phone_line). */

type JsonColumn = 'wechat_alert_level' | 'sms_alert_level' | 'alert_users' | 'early_warning_alert_users';

/** A job as the services see it: its JSON columns as values. */
export type Job = Omit<Selectable<RobotCallJobTable>, JsonColumn | LaterListColumn> &
  JobJson &
  ReturnType<typeof laterJobLists>;

interface JobJson {
  wechat_alert_level: IntentLevel[];
  sms_alert_level: IntentLevel[];
  alert_users: unknown[];
  early_warning_alert_users: unknown[];
}

/** A clock-time window [startTime, endTime) the job does not dial. */
export interface InactiveWindow {
  startTime: string;
  endTime: string;
}

/** A new job: its JSON columns as values; the inactive windows and redial condition always given. */
export type NewJob = Omit<Insertable<RobotCallJobTable>, JsonColumn | LaterListColumn> &
  JobJson & {
    inactive_time_list: InactiveWindow[];
    redial_condition: string[];
    transfer_phone_number?: string[];
    wechat_condition_alert_level?: string[];
  };

function toJob<R extends Record<JsonColumn, unknown>>(row: R): Omit<R, JsonColumn> & JobJson {
  return {
    ...row,
    wechat_alert_level: parseJson(row.wechat_alert_level, []),
    sms_alert_level: parseJson(row.sms_alert_level, []),
    alert_users: parseJson(row.alert_users, []),
    early_warning_alert_users: parseJson(row.early_warning_alert_users, []),
  };
}

export interface JobListFilter {
  name?: string;
  status?: JobStatus;
}

/**
 * The tenant's jobs that a list filter matches, as `alias`. It takes the name as its LIKE pattern
 * (`likePattern`) and uses its arguments only as values, so that `jobPageQuery` can compile it once.
 */
function filteredJobs(
  db: Database,
  alias: 'j' | 'c',
  tenantId: number,
  filter: { namePattern?: string; status?: JobStatus },
) {
  let q = db.db.selectFrom(`robot_call_job as ${alias}`).where(`${alias}.tenant_id`, '=', tenantParam(db, tenantId));
  // The pattern starts with %: no index serves it, and as a plain parameter SQLite would re-plan every run.
  if (filter.namePattern !== undefined)
    q = q.where(
      sql<boolean>`${sql.ref(`${alias}.name`)} like ${stableParam(db, filter.namePattern, 'text')} escape '\\'`,
    );
  if (filter.status !== undefined) q = q.where(`${alias}.status`, '=', filter.status);
  return q;
}

/** `filteredJobs`' form of a list filter. */
const jobFilter = (filter: JobListFilter) => ({
  namePattern: filter.name ? likePattern(filter.name) : undefined,
  status: filter.status || undefined,
});

export async function countJobs(db: Database, tenantId: number, filter: JobListFilter): Promise<number> {
  const row = await filteredJobs(db, 'j', tenantId, jobFilter(filter))
    .select((eb) => eb.fn.countAll<number>().as('n'))
    .executeTakeFirstOrThrow();
  return Number(row.n);
}

/**
 * One page of the tenant's jobs, newest first, and how many the filter matches. One statement
 * (the total a sub-select of the page's) when the page has jobs; a page past the end is counted
 * on its own.
 */
export async function findJobPage(
  db: Database,
  tenantId: number,
  filter: JobListFilter,
  limit: number,
  offset: number,
) {
  const { namePattern, status } = jobFilter(filter);
  const shape = `${namePattern !== undefined},${status !== undefined}`;
  let query = jobPageQueries.get(shape);
  if (!query) {
    query = jobPageQuery(namePattern !== undefined, status !== undefined);
    jobPageQueries.set(shape, query);
  }
  const rows = await query(db, tenantId, namePattern ?? '', status ?? '', limit, offset);
  const total = rows.length > 0 ? Number(rows[0]!.total) : await countJobs(db, tenantId, filter);
  return { total, rows };
}

/** The statements of `findJobPage`, one per combination of filters, each compiled once. */
const jobPageQueries = new Map<string, ReturnType<typeof jobPageQuery>>();

/**
 * A job's creator name: the platform user's (created_by_user_id), else the console user's who
 * created it in the console (created_by_console_user_id, migration 0024). Needs the joins `u`, `cu`.
 */
const creatorName = sql<string | null>`coalesce(u.name, cu.username)`.as('created_by_user_name');

function jobPageQuery(byName: boolean, byStatus: boolean) {
  return compiledOnce(
    (db: Database, tenantId: number, namePattern: string, status: string, limit: number, offset: number) => {
      const filtered = (alias: 'j' | 'c') =>
        filteredJobs(db, alias, tenantId, {
          namePattern: byName ? namePattern : undefined,
          status: byStatus ? (status as JobStatus) : undefined,
        });
      return filtered('j')
        .leftJoin('app_user as u', (join) =>
          join.onRef('u.id', '=', 'j.created_by_user_id').onRef('u.tenant_id', '=', 'j.tenant_id'),
        )
        .leftJoin('console_user as cu', (join) =>
          join.onRef('cu.id', '=', 'j.created_by_console_user_id').onRef('cu.tenant_id', '=', 'j.tenant_id'),
        )
        .leftJoin('organization as o', (join) =>
          join.onRef('o.id', '=', 'j.organization_id').onRef('o.tenant_id', '=', 'j.tenant_id'),
        )
        .select([
          'j.id',
          'j.name',
          'j.status',
          'j.completed_task',
          'j.task_call_total',
          'j.created_at',
          creatorName,
          'o.name as organization_name',
        ])
        .select(() => filtered('c').select(sql<number>`count(*)`.as('n')).as('total'))
        .orderBy('j.created_at', 'desc')
        .orderBy('j.id', 'desc')
        .limit(stableParam(db, limit, 'integer'))
        .offset(stableParam(db, offset, 'integer'));
    },
  );
}

/** A job of the tenant with every name its detail shows, or undefined. */
export async function findJobDetail(db: Database, tenantId: number, jobId: number) {
  const [row] = await jobDetailQuery(db, tenantId, jobId);
  return row && Object.assign(toJob(row), laterJobLists(row));
}

// getTaskDetail's reads are compiled once (db/database.ts).
const jobDetailQuery = compiledOnce((db: Database, tenantId: number, jobId: number) =>
  jobWithNames(db, tenantParam(db, tenantId), jobId),
);

/** A job of the tenant (its id a `tenantParam`) with every name its detail shows. */
function jobWithNames(db: Database, tenant: number | RawBuilder<number>, jobId: number) {
  return db.db
    .selectFrom('robot_call_job as j')
    .leftJoin('app_user as u', (join) =>
      join.onRef('u.id', '=', 'j.created_by_user_id').onRef('u.tenant_id', '=', 'j.tenant_id'),
    )
    .leftJoin('console_user as cu', (join) =>
      join.onRef('cu.id', '=', 'j.created_by_console_user_id').onRef('cu.tenant_id', '=', 'j.tenant_id'),
    )
    .leftJoin('organization as o', (join) =>
      join.onRef('o.id', '=', 'j.organization_id').onRef('o.tenant_id', '=', 'j.tenant_id'),
    )
    .leftJoin('dialog_flow as f', (join) =>
      join.onRef('f.id', '=', 'j.dialog_flow_id').onRef('f.tenant_id', '=', 'j.tenant_id'),
    )
    .leftJoin('sms_template as s', (join) =>
      join.onRef('s.id', '=', 'j.sms_template_id').onRef('s.tenant_id', '=', 'j.tenant_id'),
    )
    .selectAll('j')
    .select([creatorName, 'o.name as organization_name', 'f.name as dialog_flow_name', 's.name as sms_template_name'])
    .where('j.tenant_id', '=', tenant)
    .where('j.id', '=', jobId);
}

/**
 * getTaskDetail's reads in one statement (one round trip on PostgreSQL, one prepared statement on
 * SQLite): the job with every name its detail shows, as `findJobDetail`; its caller lines in the
 * order of their ids; its day counters `counters` summed over its days (0 when it has none); the
 * days it made calls, in order, with what the statistics' broken lines show of each; and its
 * `topConcerns` most frequent concerns, most hits first, ties in text order. Undefined when the
 * tenant has no such job. The lists come as JSON (db/database.ts `jsonRows`): no row objects.
 */
export async function findJobDetailWithStats(
  db: Database,
  tenantId: number,
  jobId: number,
  counters: readonly DayCounter[],
  topConcerns: number,
) {
  let query = detailWithStatsQueries.get(counters);
  if (!query) {
    query = detailWithStatsQuery(counters);
    detailWithStatsQueries.set(counters, query);
  }
  const [row] = await query(db, tenantId, jobId, topConcerns);
  if (!row) return undefined;
  const sums = parseJson<(number | null)[]>(row.day_sums, []);
  return {
    // Copied once: a row of this many columns costs more to copy than to read.
    job: Object.assign(toJob(row), laterJobLists(row)),
    lines: parseJson<[number, string, string, string | null][]>(row.phone_lines, []).map(
      ([id, phone_number, phone_type, name]) => ({ id, phone_number, phone_type, name }),
    ),
    // No days: every sum is null. PostgreSQL sums bigints as numeric; every sum fits a double exactly.
    sums: Object.fromEntries(counters.map((c, i) => [c, Number(sums[i] ?? 0)])) as Record<DayCounter, number>,
    days: parseJson<[string, number, number, number][]>(row.day_series, []).map(
      ([day, records, answered, chat_duration_total]) => ({ day, records, answered, chat_duration_total }),
    ),
    concerns: parseJson<[string][]>(row.top_concerns, []).map(([concern]) => concern),
  };
}

/** The statement of `findJobDetailWithStats`, compiled once per list of counters. */
const detailWithStatsQueries = new WeakMap<readonly DayCounter[], ReturnType<typeof detailWithStatsQuery>>();

function detailWithStatsQuery(counters: readonly DayCounter[]) {
  return compiledOnce((db: Database, tenantId: number, jobId: number, topConcerns: number) => {
    const tenant = tenantParam(db, tenantId);
    return jobWithNames(db, tenant, jobId).select((eb) => [
      eb
        .selectFrom('job_phone_line as jl')
        .innerJoin('phone_line as l', (join) =>
          join.onRef('l.id', '=', 'jl.phone_line_id').onRef('l.tenant_id', '=', 'jl.tenant_id'),
        )
        .select(
          jsonRows(
            db,
            [sql.ref('l.id'), sql.ref('l.phone_number'), sql.ref('l.phone_type'), sql.ref('l.name')],
            [sql.ref('jl.phone_line_id')],
          ).as('v'),
        )
        .where('jl.tenant_id', '=', tenant)
        .where('jl.job_id', '=', jobId)
        .as('phone_lines'),
      eb
        .selectFrom('job_day_stats as ds')
        .select(
          jsonList(
            db,
            counters.map((c) => sql`sum(${sql.ref(`ds.${c}`)})`),
          ).as('v'),
        )
        .where('ds.tenant_id', '=', tenant)
        .where('ds.job_id', '=', jobId)
        .as('day_sums'),
      eb
        .selectFrom('job_day_stats as d')
        .select(
          jsonRows(
            db,
            [sql.ref('d.day'), sql.ref('d.records'), sql.ref('d.answered'), sql.ref('d.chat_duration_total')],
            [sql.ref('d.day')],
          ).as('v'),
        )
        .where('d.tenant_id', '=', tenant)
        .where('d.job_id', '=', jobId)
        .where('d.records', '>', 0)
        .as('day_series'),
      eb
        .selectFrom(
          eb
            .selectFrom('job_concern_stats as cs')
            .select(['cs.concern', 'cs.hits'])
            .where('cs.tenant_id', '=', tenant)
            .where('cs.job_id', '=', jobId)
            .orderBy('cs.hits', 'desc')
            .orderBy('cs.concern')
            .limit(stableParam(db, topConcerns, 'integer'))
            .as('c'),
        )
        .select(jsonRows(db, [sql.ref('c.concern')], [sql`${sql.ref('c.hits')} desc`, sql.ref('c.concern')]).as('v'))
        .as('top_concerns'),
    ]);
  });
}

/** The later API's list columns of a job (migration 0009), as values. */
function laterJobLists(row: Record<LaterListColumn, unknown>) {
  return {
    inactive_time_list: parseJson<InactiveWindow[]>(row.inactive_time_list, []),
    redial_condition: parseJson<string[]>(row.redial_condition, []),
    transfer_phone_number: parseJson<string[]>(row.transfer_phone_number, []),
    wechat_condition_alert_level: parseJson<string[]>(row.wechat_condition_alert_level, []),
  };
}
type LaterListColumn =
  | 'inactive_time_list'
  | 'redial_condition'
  | 'transfer_phone_number'
  | 'wechat_condition_alert_level';

/** Call-task counters of the jobs among `jobIds` that are the tenant's (a bounded list: getJobStatsInfoList). */
export async function listJobCounters(db: Database, tenantId: number, jobIds: number[]) {
  if (jobIds.length === 0) return [];
  return db.db
    .selectFrom('robot_call_job')
    .select(['id', 'task_call_total', 'completed_task'])
    .where('tenant_id', '=', tenantId)
    .where('id', 'in', jobIds)
    .orderBy('id')
    .execute();
}

/** The texts a job's variables are read from: its dialog flow version's definition and its SMS template's content. */
export async function findJobTexts(db: Database, tenantId: number, jobId: number) {
  const row = await db.db
    .selectFrom('robot_call_job as j')
    .innerJoin('dialog_flow_version as f', (join) =>
      join
        .onRef('f.dialog_flow_id', '=', 'j.dialog_flow_id')
        .onRef('f.version', '=', 'j.dialog_flow_version')
        .onRef('f.tenant_id', '=', 'j.tenant_id'),
    )
    .leftJoin('sms_template as s', (join) =>
      join.onRef('s.id', '=', 'j.sms_template_id').onRef('s.tenant_id', '=', 'j.tenant_id'),
    )
    .select(['f.definition', 's.content as sms_content'])
    .where('j.tenant_id', '=', tenantId)
    .where('j.id', '=', jobId)
    .executeTakeFirst();
  return row && { definition: parseDefinition(row.definition), smsContent: row.sms_content };
}

export async function findJob(db: Database, tenantId: number, jobId: number): Promise<Job | undefined> {
  const row = await db.db
    .selectFrom('robot_call_job')
    .selectAll()
    .where('tenant_id', '=', tenantId)
    .where('id', '=', jobId)
    .executeTakeFirst();
  return row && Object.assign(toJob(row), laterJobLists(row));
}

/**
 * A flow's training job (services/training.ts): the tenant's first job of the flow with the training
 * phone type. `lock` (PostgreSQL) locks the flow's row first, so two first chats make one job.
 */
export async function findTrainingJob(db: Database, tenantId: number, dialogFlowId: number, lock = false) {
  if (lock && db.dialect === 'postgres')
    await db.db
      .selectFrom('dialog_flow')
      .select('id')
      .where('tenant_id', '=', tenantId)
      .where('id', '=', dialogFlowId)
      .forUpdate()
      .execute();
  return db.db
    .selectFrom('robot_call_job')
    .select(['id', 'name'])
    .where('tenant_id', '=', tenantId)
    .where('dialog_flow_id', '=', dialogFlowId)
    .where('phone_type', '=', 'VERBAL_TRICK_TRAINING_CALLER')
    .orderBy('id')
    .executeTakeFirst();
}

export async function existsJob(db: Database, tenantId: number, jobId: number): Promise<boolean> {
  const row = await db.db
    .selectFrom('robot_call_job')
    .select('id')
    .where('tenant_id', '=', tenantId)
    .where('id', '=', jobId)
    .executeTakeFirst();
  return row !== undefined;
}

/** What recording a call needs of its job, for the jobs among `jobIds` that are the tenant's. */
export async function listJobsForRecording(db: Database, tenantId: number, jobIds: number[]) {
  const rows = await db.db
    .selectFrom('robot_call_job')
    .select(['id', 'dialog_flow_id', 'redial_times', 'redial_interval_minutes', 'redial_condition'])
    .where('tenant_id', '=', tenantId)
    .where('id', 'in', jobIds)
    .execute();
  return rows.map((j) => ({ ...j, redial_condition: parseJson<string[]>(j.redial_condition, []) }));
}

/** The caller lines a job dials from. */
export async function listJobPhoneLines(db: Database, tenantId: number, jobId: number) {
  return jobPhoneLinesQuery(db, tenantId, jobId);
}

const jobPhoneLinesQuery = compiledOnce((db: Database, tenantId: number, jobId: number) =>
  db.db
    .selectFrom('job_phone_line as jl')
    .innerJoin('phone_line as l', (join) =>
      join.onRef('l.id', '=', 'jl.phone_line_id').onRef('l.tenant_id', '=', 'jl.tenant_id'),
    )
    .select(['l.id', 'l.phone_number', 'l.phone_type', 'l.name', 'l.enabled_status', 'l.concurrency_quota'])
    .where('jl.tenant_id', '=', tenantParam(db, tenantId))
    .where('jl.job_id', '=', jobId)
    // The same order as l.id, read from the key of job_phone_line: no sort.
    .orderBy('jl.phone_line_id'),
);

/** A flow's current version, as a sub-select. */
const currentFlowVersion = (db: Database, tenantId: number, dialogFlowId: number) =>
  db.db.selectFrom('dialog_flow').select('version').where('tenant_id', '=', tenantId).where('id', '=', dialogFlowId);

/** Inserts a job and its caller lines; returns its id. */
export async function insertJob(db: Database, job: NewJob, phoneLineIds: number[]): Promise<number> {
  const { id } = await db.db
    .insertInto('robot_call_job')
    .values({
      ...job,
      // The version of its flow the job speaks: the flow's current one as the job is made (migration 0031).
      dialog_flow_version: currentFlowVersion(db, job.tenant_id, job.dialog_flow_id),
      inactive_time_list: JSON.stringify(job.inactive_time_list),
      redial_condition: JSON.stringify(job.redial_condition),
      transfer_phone_number: JSON.stringify(job.transfer_phone_number ?? []),
      wechat_condition_alert_level: JSON.stringify(job.wechat_condition_alert_level ?? []),
      wechat_alert_level: JSON.stringify(job.wechat_alert_level),
      sms_alert_level: JSON.stringify(job.sms_alert_level),
      alert_users: JSON.stringify(job.alert_users),
      early_warning_alert_users: JSON.stringify(job.early_warning_alert_users),
    })
    .returning('id')
    .executeTakeFirstOrThrow();
  if (phoneLineIds.length > 0) {
    await db.db
      .insertInto('job_phone_line')
      .values(phoneLineIds.map((phone_line_id) => ({ tenant_id: job.tenant_id, job_id: id, phone_line_id })))
      .execute();
  }
  return id;
}

/**
 * Moves a job from one status to another only if it is still in `from` (compare-and-set), so a user
 * action and the dialer never overwrite each other. Returns whether it moved.
 */
export async function moveJobStatus(
  db: Database,
  tenantId: number,
  jobId: number,
  from: JobStatus,
  to: JobStatus,
  now: number,
  extra: {
    start_time?: number | null;
    system_pause_next_start?: number | null;
    system_pause_reason?: string | null;
  } = {},
): Promise<boolean> {
  const result = await db.db
    .updateTable('robot_call_job')
    .set({ status: to, last_modified_at: now, ...extra })
    .where('tenant_id', '=', tenantId)
    .where('id', '=', jobId)
    .where('status', '=', from)
    .executeTakeFirst();
  return Number(result.numUpdatedRows) === 1;
}

/** Counts newly added call tasks on the job. */
export async function addToTaskCallTotal(db: Database, tenantId: number, jobId: number, tasks: number): Promise<void> {
  await db.db
    .updateTable('robot_call_job')
    .set({ task_call_total: sql`task_call_total + ${tasks}` })
    .where('tenant_id', '=', tenantId)
    .where('id', '=', jobId)
    .execute();
}

/** Counts call tasks whose dialling just finished on the job. */
export async function addToCompletedTask(db: Database, tenantId: number, jobId: number, tasks: number): Promise<void> {
  await db.db
    .updateTable('robot_call_job')
    .set({ completed_task: sql`completed_task + ${tasks}` })
    .where('tenant_id', '=', tenantId)
    .where('id', '=', jobId)
    .execute();
}

/** Removes a job and everything recorded under it. Call inside a transaction. */
export async function deleteJob(db: Database, tenantId: number, jobId: number): Promise<void> {
  const records = db.db
    .selectFrom('call_record')
    .select('id')
    .where('tenant_id', '=', tenantId)
    .where('job_id', '=', jobId);
  await db.db
    .deleteFrom('call_detail')
    .where('tenant_id', '=', tenantId)
    .where('call_record_id', 'in', records)
    .execute();
  // The rollups after call_record: its delete triggers have brought the job's counts to 0.
  for (const table of [
    'call_record',
    'call_record_phone_gram',
    'call_record_duration_count',
    'call_record_concern_count',
    'call_record_last_count',
    'job_day_stats',
    'job_concern_stats',
    'call_task',
    'job_phone_line',
  ] as const) {
    await db.db.deleteFrom(table).where('tenant_id', '=', tenantId).where('job_id', '=', jobId).execute();
  }
  await db.db.deleteFrom('robot_call_job').where('tenant_id', '=', tenantId).where('id', '=', jobId).execute();
}

/** Jobs the dialer looks after, across tenants, with each tenant's time zone and the job's script. */
export async function listJobsToDial(db: Database) {
  const rows = await db.db
    .selectFrom('robot_call_job as j')
    .innerJoin('tenant as t', 't.id', 'j.tenant_id')
    // The version the job speaks, not the flow's current one (migration 0031).
    .innerJoin('dialog_flow_version as f', (join) =>
      join
        .onRef('f.dialog_flow_id', '=', 'j.dialog_flow_id')
        .onRef('f.version', '=', 'j.dialog_flow_version')
        .onRef('f.tenant_id', '=', 'j.tenant_id'),
    )
    .select([
      'j.id',
      'j.tenant_id',
      'j.status',
      'j.start_time',
      'j.robot_count',
      'j.daily_start_time',
      'j.daily_end_time',
      'j.inactive_time_list',
      'j.task_call_total',
      'j.completed_task',
      'j.system_pause_reason',
      't.time_zone',
      'j.dialog_flow_id',
      'j.dialog_flow_version',
      'f.definition',
      // The job's caller lines, and those of them enabled: a job whose lines are all disabled is suspended.
      (eb) =>
        eb
          .selectFrom('job_phone_line as jl')
          .select((e) => e.fn.countAll<number | string>().as('n'))
          .whereRef('jl.tenant_id', '=', 'j.tenant_id')
          .whereRef('jl.job_id', '=', 'j.id')
          .as('lines'),
      (eb) =>
        eb
          .selectFrom('job_phone_line as jl')
          .innerJoin('phone_line as l', (join) =>
            join.onRef('l.tenant_id', '=', 'jl.tenant_id').onRef('l.id', '=', 'jl.phone_line_id'),
          )
          .select((e) => e.fn.countAll<number | string>().as('n'))
          .whereRef('jl.tenant_id', '=', 'j.tenant_id')
          .whereRef('jl.job_id', '=', 'j.id')
          .where('l.enabled_status', '=', 1)
          .as('usable_lines'),
    ])
    .where('j.status', 'in', [...DIALER_STATUSES])
    .orderBy('j.id')
    .execute();
  return rows.map((j) => ({
    ...j,
    lines: Number(j.lines ?? 0),
    usable_lines: Number(j.usable_lines ?? 0),
    inactive_time_list: parseJson<InactiveWindow[]>(j.inactive_time_list, []),
    definition: parseDefinition(j.definition),
  }));
}

/** A dialog flow's stored definition; one that does not parse is null (which scriptOf refuses for that job), not a failed scan. */
function parseDefinition(stored: unknown): unknown {
  try {
    return parseJson<unknown>(stored, null);
  } catch {
    return null;
  }
}

export type JobToDial = Awaited<ReturnType<typeof listJobsToDial>>[number];

/**
 * Locks the job for the rest of the transaction, so dialers in several processes claim its tasks
 * one at a time: a no-op update takes the row lock on PostgreSQL (SQLite transactions hold the
 * database's write lock from their start anyway).
 */
export async function lockJob(db: Database, tenantId: number, jobId: number): Promise<void> {
  await db.db
    .updateTable('robot_call_job')
    .set({ robot_count: sql`robot_count` })
    .where('tenant_id', '=', tenantId)
    .where('id', '=', jobId)
    .execute();
}

/**
 * Locks the job against every writer that refers to it, before it is deleted (FOR UPDATE on
 * PostgreSQL; SQLite transactions hold the write lock already). A call record or call task being
 * written for it then either commits first or waits and finds the job gone — instead of holding
 * the job while waiting for a row the delete holds (a deadlock, found by the random-input run).
 */
export async function lockJobForDelete(db: Database, tenantId: number, jobId: number): Promise<void> {
  let q = db.db.selectFrom('robot_call_job').select('id').where('tenant_id', '=', tenantId).where('id', '=', jobId);
  if (db.dialect === 'postgres') q = q.forUpdate();
  await q.execute();
}

/** The settings a job/modify may change; JSON lists as values. */
export type JobSettings = Partial<
  Pick<
    NewJob,
    | 'name'
    | 'description'
    | 'mode'
    | 'start_time'
    | 'next_start_time'
    | 'dialog_flow_id'
    | 'phone_type'
    | 'robot_count'
    | 'concurrency_quota'
    | 'cs_staff_group_id'
    | 'sms_template_id'
    | 'daily_start_time'
    | 'daily_end_time'
    | 'inactive_time_list'
    | 'wechat_alert_level'
    | 'sms_alert_level'
    | 'wechat_condition_alert_level'
    | 'alert_users'
    | 'early_warning_alert_users'
    | 'wechat_send_method'
    | 'transfer_phone_number'
    | 'redial_condition'
    | 'redial_times'
    | 'redial_interval_minutes'
  >
>;

const JSON_SETTINGS = [
  'inactive_time_list',
  'wechat_alert_level',
  'sms_alert_level',
  'wechat_condition_alert_level',
  'alert_users',
  'early_warning_alert_users',
  'transfer_phone_number',
  'redial_condition',
] as const;

/**
 * Changes a job's settings only if it is still in `status` (compare-and-set, as moveJobStatus: the
 * dialer or another request may have moved it since it was read). Returns whether it changed.
 */
export async function updateJobSettings(
  db: Database,
  tenantId: number,
  jobId: number,
  status: JobStatus,
  settings: JobSettings,
  now: number,
): Promise<boolean> {
  const values: Record<string, unknown> = { ...settings, last_modified_at: now };
  for (const column of JSON_SETTINGS) {
    if (settings[column] !== undefined) values[column] = JSON.stringify(settings[column]);
  }
  // A job given another flow speaks that flow's current version (migration 0031).
  if (settings.dialog_flow_id !== undefined)
    values.dialog_flow_version = currentFlowVersion(db, tenantId, settings.dialog_flow_id);
  const result = await db.db
    .updateTable('robot_call_job')
    .set(values)
    .where('tenant_id', '=', tenantId)
    .where('id', '=', jobId)
    .where('status', '=', status)
    .executeTakeFirst();
  return Number(result.numUpdatedRows) === 1;
}

/** Replaces the caller lines a job dials from. Call inside a transaction. */
export async function replaceJobPhoneLines(
  db: Database,
  tenantId: number,
  jobId: number,
  phoneLineIds: number[],
): Promise<void> {
  await db.db.deleteFrom('job_phone_line').where('tenant_id', '=', tenantId).where('job_id', '=', jobId).execute();
  if (phoneLineIds.length > 0) {
    await db.db
      .insertInto('job_phone_line')
      .values(phoneLineIds.map((phone_line_id) => ({ tenant_id: tenantId, job_id: jobId, phone_line_id })))
      .execute();
  }
}

export interface JobBatchFilter {
  ids: number[];
  statuses?: JobStatus[];
  name?: string;
  /** Creation time bounds in epoch ms: [createdFrom, createdBefore). */
  createdFrom?: number;
  createdBefore?: number;
}

/** The tenant's jobs among `ids` (a bounded list) that pass the filter, with creator names, by id. */
export async function listJobsByIds(db: Database, tenantId: number, f: JobBatchFilter) {
  if (f.ids.length === 0 || f.statuses?.length === 0) return [];
  let q = db.db
    .selectFrom('robot_call_job as j')
    .leftJoin('app_user as u', (join) =>
      join.onRef('u.id', '=', 'j.created_by_user_id').onRef('u.tenant_id', '=', 'j.tenant_id'),
    )
    .leftJoin('console_user as cu', (join) =>
      join.onRef('cu.id', '=', 'j.created_by_console_user_id').onRef('cu.tenant_id', '=', 'j.tenant_id'),
    )
    .select([
      'j.id',
      'j.name',
      'j.status',
      'j.task_call_total',
      'j.completed_task',
      'j.created_at',
      'j.system_pause_reason',
      creatorName,
    ])
    .where('j.tenant_id', '=', tenantId)
    .where('j.id', 'in', f.ids);
  if (f.statuses) q = q.where('j.status', 'in', f.statuses);
  if (f.name) q = q.where(contains(sql.ref('j.name'), f.name));
  if (f.createdFrom !== undefined) q = q.where('j.created_at', '>=', f.createdFrom);
  if (f.createdBefore !== undefined) q = q.where('j.created_at', '<', f.createdBefore);
  return q.orderBy('j.id').execute();
}

/**
 * Answered calls and A+B intent-level records of each of these jobs (a bounded list), summed from
 * the per-day rollups (job_day_stats): the cost grows with the jobs' days, never their records.
 */
export async function sumJobAnswers(db: Database, tenantId: number, jobIds: number[]) {
  if (jobIds.length === 0) return [];
  const rows = await db.db
    .selectFrom('job_day_stats')
    .select([
      'job_id',
      sql<string | number>`sum(answered)`.as('answered'),
      sql<string | number>`sum(intent_a + intent_b)`.as('ab_level'),
    ])
    .where('tenant_id', '=', tenantId)
    .where('job_id', 'in', jobIds)
    .groupBy('job_id')
    .orderBy('job_id')
    .execute();
  return rows.map((r) => ({ job_id: r.job_id, answered: Number(r.answered), ab_level: Number(r.ab_level) }));
}
