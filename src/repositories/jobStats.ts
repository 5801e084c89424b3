import { sql } from 'kysely';
import { compiledOnce, type Database, tenantParam } from '../db/database.js';
import type { JobConcernStatsTable, JobDayStats } from '../db/schema.js';
import { chunks } from './rows.js';

/** The statistics rollups: per job and tenant-local day, and concern hits per job. */

export type DayCounter = Exclude<keyof JobDayStats, 'tenant_id' | 'job_id' | 'day'>;

export async function listJobDayStats(db: Database, tenantId: number, jobId: number): Promise<JobDayStats[]> {
  return db.db
    .selectFrom('job_day_stats')
    .selectAll()
    .where('tenant_id', '=', tenantId)
    .where('job_id', '=', jobId)
    .orderBy('day')
    .execute();
}

/**
 * The job's day counters summed over its days, in the statistics' one row (zeros for a job without
 * calls): the sums cost less to read than the days they add up.
 */
export async function sumJobDayStats(
  db: Database,
  tenantId: number,
  jobId: number,
  counters: readonly DayCounter[],
): Promise<Record<DayCounter, number>> {
  let query = daySums.get(counters);
  if (!query) {
    query = compiledOnce((db: Database, tenantId: number, jobId: number) =>
      db.db
        .selectFrom('job_day_stats')
        // A short text, so that SQLite keeps it prepared (db/database.ts).
        .select(counters.map((c) => sql<number | string | null>`sum(${sql.ref(c)})`.as(c)))
        .where('tenant_id', '=', tenantParam(db, tenantId))
        .where('job_id', '=', jobId),
    );
    daySums.set(counters, query);
  }
  const [row] = (await query(db, tenantId, jobId)) as Record<string, number | string | null>[];
  // No days: null. PostgreSQL sums bigints as numeric, read as text; every sum fits a double exactly.
  return Object.fromEntries(counters.map((c) => [c, Number(row?.[c] ?? 0)])) as Record<DayCounter, number>;
}

/** The sums' query, compiled once per list of counters. */
const daySums = new WeakMap<
  readonly DayCounter[],
  (db: Database, tenantId: number, jobId: number) => Promise<unknown[]>
>();

/** The days the job made calls, in order, with what the statistics' broken lines show of each. */
export async function listJobDaySeries(db: Database, tenantId: number, jobId: number) {
  return daySeriesQuery(db, tenantId, jobId);
}

const daySeriesQuery = compiledOnce((db: Database, tenantId: number, jobId: number) =>
  db.db
    .selectFrom('job_day_stats')
    .select(['day', 'records', 'answered', 'chat_duration_total'])
    .where('tenant_id', '=', tenantParam(db, tenantId))
    .where('job_id', '=', jobId)
    .where('records', '>', 0)
    .orderBy('day'),
);

/** The job's most frequent concerns, most hits first, ties in text order. */
export async function listTopConcerns(db: Database, tenantId: number, jobId: number, limit: number): Promise<string[]> {
  const rows = await db.db
    .selectFrom('job_concern_stats')
    .select('concern')
    .where('tenant_id', '=', tenantParam(db, tenantId))
    .where('job_id', '=', jobId)
    .orderBy('hits', 'desc')
    .orderBy('concern')
    .limit(limit)
    .execute();
  return rows.map((r) => r.concern);
}

/**
 * The intent-level names (A–F as codes 0–5) of the job's dialog flow's tag group; a flow that points
 * at no group has the tenant's first one (its built-in group); empty when the tenant has none.
 * For a job of the tenant (an unknown job reads as a flow without a group).
 */
export async function listJobIntentLevelTagDetails(db: Database, tenantId: number, jobId: number) {
  const flowGroup = db.db
    .selectFrom('robot_call_job as j')
    .innerJoin('dialog_flow as f', (join) =>
      join.onRef('f.id', '=', 'j.dialog_flow_id').onRef('f.tenant_id', '=', 'j.tenant_id'),
    )
    .select('f.intent_level_tag_id')
    .where('j.tenant_id', '=', tenantId)
    .where('j.id', '=', jobId);
  const firstGroup = db.db
    .selectFrom('intent_level_tag as t')
    .select((eb) => eb.fn.min('t.id').as('id'))
    .where('t.tenant_id', '=', tenantId);
  return db.db
    .selectFrom('intent_level_tag_detail as d')
    .select(['d.id', 'd.intent_level_tag_id', 'd.code', 'd.name'])
    .where('d.tenant_id', '=', tenantId)
    .where((eb) => eb('d.intent_level_tag_id', '=', eb.fn.coalesce(flowGroup, firstGroup)))
    .orderBy('d.code')
    .execute();
}

/**
 * Adds each row's counters to the stored day (created when new): one statement per 200 rows, in
 * the order given (the order the rows are locked in). The rows' keys must differ.
 */
export async function addDayStats(db: Database, rows: JobDayStats[], counters: readonly DayCounter[]): Promise<void> {
  for (const chunk of chunks(rows, 200)) {
    await db.db
      .insertInto('job_day_stats')
      .values(chunk)
      .onConflict((oc) =>
        oc.columns(['tenant_id', 'job_id', 'day']).doUpdateSet((eb) => {
          const set: Record<string, unknown> = {};
          for (const c of counters) set[c] = eb(eb.ref(`job_day_stats.${c}`), '+', eb.ref(`excluded.${c}`));
          return set;
        }),
      )
      .execute();
  }
}

/** Adds concern hits (rows with different keys), one statement per 500 rows, in the order given. */
export async function addConcernHits(db: Database, rows: JobConcernStatsTable[]): Promise<void> {
  for (const chunk of chunks(rows, 500)) {
    await db.db
      .insertInto('job_concern_stats')
      .values(chunk)
      .onConflict((oc) =>
        oc
          .columns(['tenant_id', 'job_id', 'concern'])
          .doUpdateSet((eb) => ({ hits: eb(eb.ref('job_concern_stats.hits'), '+', eb.ref('excluded.hits')) })),
      )
      .execute();
  }
}
