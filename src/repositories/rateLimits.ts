import { sql } from 'kysely';
import { compiledOnce, type Database } from '../db/database.js';

/**
 * Rate-limit state per appKey (rate_limit): the GCRA "theoretical arrival time" (TAT) in
 * microseconds, shared by every process on the database. The rule itself is in
 * services/rateLimits.ts.
 */

/**
 * Takes one request's slot for `appKey` if its limit allows it, in one statement: the key's TAT
 * moves to max(TAT, now) + interval unless that would put it more than `toleranceUs` ahead of now.
 * Returns whether the request is allowed (a refused request changes nothing and returns no row).
 */
export async function takeRateLimitSlot(
  db: Database,
  appKey: string,
  nowUs: number,
  intervalUs: number,
  toleranceUs: number,
): Promise<boolean> {
  const rows = await rateLimitSlotQuery(db, appKey, nowUs, intervalUs, nowUs + intervalUs, nowUs + toleranceUs);
  return rows.length > 0;
}

// Every signed request runs it: compiled once (and prepared on PostgreSQL), so the sums are arguments.
const rateLimitSlotQuery = compiledOnce(
  (db: Database, appKey: string, nowUs: number, intervalUs: number, firstTatUs: number, latestTatUs: number) => {
    const next = sql<number>`(case when rate_limit.tat > cast(${nowUs} as bigint) then rate_limit.tat else cast(${nowUs} as bigint) end) + cast(${intervalUs} as bigint)`;
    return db.db
      .insertInto('rate_limit')
      .values({ app_key: appKey, tat: firstTatUs })
      .onConflict((oc) =>
        oc.column('app_key').doUpdateSet({ tat: next }).where(sql<boolean>`${next} <= cast(${latestTatUs} as bigint)`),
      )
      .returning('tat');
  },
);

/** The key's TAT in microseconds (after a refusal: when its next slot opens), or undefined. */
export async function findRateLimitTat(db: Database, appKey: string): Promise<number | undefined> {
  const row = await db.db.selectFrom('rate_limit').select('tat').where('app_key', '=', appKey).executeTakeFirst();
  return row?.tat;
}
