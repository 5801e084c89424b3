import type { Database } from '../db/database.js';
import type { JobConcernStatsTable, JobDayStats } from '../db/schema.js';

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

/** The job's most frequent concerns, most hits first, ties in text order. */
export async function listTopConcerns(db: Database, tenantId: number, jobId: number, limit: number): Promise<string[]> {
  const rows = await db.db
    .selectFrom('job_concern_stats')
    .select('concern')
    .where('tenant_id', '=', tenantId)
    .where('job_id', '=', jobId)
    .orderBy('hits', 'desc')
    .orderBy('concern')
    .limit(limit)
    .execute();
  return rows.map((r) => r.concern);
}

/** Adds each row's counters to the stored day (created when new). */
export async function addDayStats(db: Database, rows: JobDayStats[], counters: readonly DayCounter[]): Promise<void> {
  for (const row of rows) {
    await db.db
      .insertInto('job_day_stats')
      .values(row)
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

export async function addConcernHits(db: Database, rows: JobConcernStatsTable[]): Promise<void> {
  for (const row of rows) {
    await db.db
      .insertInto('job_concern_stats')
      .values(row)
      .onConflict((oc) =>
        oc
          .columns(['tenant_id', 'job_id', 'concern'])
          .doUpdateSet((eb) => ({ hits: eb(eb.ref('job_concern_stats.hits'), '+', eb.ref('excluded.hits')) })),
      )
      .execute();
  }
}
