import { sql } from 'kysely';
import type { Database } from '../db/database.js';
import { chunks } from './rows.js';
import { contains } from './text.js';

/** The do-not-call list (do_not_call): numbers a tenant never dials. */

/**
 * Serialises changes of the tenant's list with imports into its jobs, for the rest of the
 * transaction. On PostgreSQL it locks the tenant's row: `exclusive` (a list change) waits for the
 * imports in progress and holds new ones back, `shared` (an import) waits only for a list change.
 * So an import never adds a call task for a number being listed without seeing the listing, and a
 * listing never misses the call tasks of an import in progress. The lock modes leave foreign-key
 * checks against the tenant (every insert of its rows) unblocked. SQLite's write transactions run
 * one at a time already: there the row is only read.
 */
export async function lockDoNotCallList(db: Database, tenantId: number, mode: 'shared' | 'exclusive'): Promise<void> {
  const q = db.db.selectFrom('tenant').select('id').where('id', '=', tenantId);
  if (db.dialect !== 'postgres') await q.execute();
  else if (mode === 'shared') await q.forShare().execute();
  else await q.forNoKeyUpdate().execute();
}

/** Lists the numbers not listed yet; returns those it listed. */
export async function insertDoNotCallNumbers(
  db: Database,
  tenantId: number,
  numbers: string[],
  entry: { reason: string | null; addedBy: string; now: number },
): Promise<Set<string>> {
  const inserted = new Set<string>();
  for (const chunk of chunks(numbers, 500)) {
    const rows = await db.db
      .insertInto('do_not_call')
      .values(
        chunk.map((phone_number) => ({
          tenant_id: tenantId,
          phone_number,
          reason: entry.reason,
          added_by: entry.addedBy,
          created_at: entry.now,
        })),
      )
      .onConflict((oc) => oc.columns(['tenant_id', 'phone_number']).doNothing())
      .returning('phone_number')
      .execute();
    for (const r of rows) inserted.add(r.phone_number);
  }
  return inserted;
}

/** Takes numbers off the list; returns those that were on it. */
export async function deleteDoNotCallNumbers(db: Database, tenantId: number, numbers: string[]): Promise<Set<string>> {
  const deleted = new Set<string>();
  for (const chunk of chunks(numbers, 500)) {
    const rows = await db.db
      .deleteFrom('do_not_call')
      .where('tenant_id', '=', tenantId)
      .where('phone_number', 'in', chunk)
      .returning('phone_number')
      .execute();
    for (const r of rows) deleted.add(r.phone_number);
  }
  return deleted;
}

/** Which of these numbers are on the tenant's list. */
export async function findListedNumbers(db: Database, tenantId: number, numbers: string[]): Promise<Set<string>> {
  const found = new Set<string>();
  for (const chunk of chunks(numbers, 500)) {
    const rows = await db.db
      .selectFrom('do_not_call')
      .select('phone_number')
      .where('tenant_id', '=', tenantId)
      .where('phone_number', 'in', chunk)
      .execute();
    for (const r of rows) found.add(r.phone_number);
  }
  return found;
}

export interface DoNotCallFilter {
  /** Digits the number contains. */
  phoneNumber?: string;
}

function filtered(db: Database, tenantId: number, filter: DoNotCallFilter) {
  let q = db.db.selectFrom('do_not_call').where('tenant_id', '=', tenantId);
  if (filter.phoneNumber) q = q.where(contains(sql.ref('phone_number'), filter.phoneNumber));
  return q;
}

export async function countDoNotCall(db: Database, tenantId: number, filter: DoNotCallFilter): Promise<number> {
  const row = await filtered(db, tenantId, filter)
    .select((eb) => eb.fn.countAll<number>().as('n'))
    .executeTakeFirstOrThrow();
  return Number(row.n);
}

/** One page of the list, most recently listed first. */
export async function listDoNotCall(
  db: Database,
  tenantId: number,
  filter: DoNotCallFilter,
  limit: number,
  offset: number,
) {
  return filtered(db, tenantId, filter)
    .select(['phone_number', 'reason', 'added_by', 'created_at'])
    .orderBy('created_at', 'desc')
    .orderBy('phone_number', 'desc')
    .limit(limit)
    .offset(offset)
    .execute();
}
