import { sql } from 'kysely';
import type { Database } from '../db/database.js';

/** What the console's job list adds to getTasks' items, from the incremental statistics. */

/** Calls (records) and answered calls of each job, summed over its days; jobs without calls are absent. */
export async function sumJobCalls(
  db: Database,
  tenantId: number,
  jobIds: number[],
): Promise<Map<number, { records: number; answered: number }>> {
  const out = new Map<number, { records: number; answered: number }>();
  if (jobIds.length === 0) return out;
  const rows = await db.db
    .selectFrom('job_day_stats')
    .select([
      'job_id',
      sql<string | number>`sum(records)`.as('records'),
      sql<string | number>`sum(answered)`.as('answered'),
    ])
    .where('tenant_id', '=', tenantId)
    .where('job_id', 'in', jobIds)
    .groupBy('job_id')
    .execute();
  for (const r of rows) out.set(Number(r.job_id), { records: Number(r.records), answered: Number(r.answered) });
  return out;
}
