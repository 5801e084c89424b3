import type { Database } from '../db/database.js';

/*
 * The scheduler's lease (migration 0030): one row per piece of work that one process at a time
 * does, held by `holder` until `expires_at`.
 */

/**
 * Takes the lease `name` for `holder` until `until`, or renews it: one conditional update, which
 * succeeds when `holder` holds it already or the lease has lapsed (`expires_at` before `now`).
 * Returns whether `holder` holds it now.
 */
export async function takeSchedulerLease(
  db: Database,
  name: string,
  holder: string,
  now: number,
  until: number,
): Promise<boolean> {
  const result = await db.db
    .updateTable('scheduler_lease')
    .set({ holder, expires_at: until })
    .where('name', '=', name)
    .where((eb) => eb.or([eb('holder', '=', holder), eb('expires_at', '<', now)]))
    .executeTakeFirst();
  return Number(result.numUpdatedRows) === 1;
}

/** Gives the lease up at once (when `holder` holds it), so that another process takes it over on its next tick. */
export async function releaseSchedulerLease(db: Database, name: string, holder: string): Promise<void> {
  await db.db
    .updateTable('scheduler_lease')
    .set({ holder: null, expires_at: 0 })
    .where('name', '=', name)
    .where('holder', '=', holder)
    .execute();
}
