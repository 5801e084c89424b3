import { type QueryCreator, sql } from 'kysely';
import { compiledOnce, type Database } from '../db/database.js';
import type { DB } from '../db/schema.js';
import { insertSignatureNonce } from './tenants.js';

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
  (db: Database, appKey: string, nowUs: number, intervalUs: number, firstTatUs: number, latestTatUs: number) =>
    slotUpsert(db.db, appKey, nowUs, intervalUs, firstTatUs, latestTatUs),
);

/** The slot's upsert: a new key's first TAT, or the TAT moved on if that stays within the tolerance. */
function slotUpsert(
  qc: QueryCreator<DB>,
  appKey: string,
  nowUs: number,
  intervalUs: number,
  firstTatUs: number,
  latestTatUs: number,
) {
  const next = sql<number>`(case when rate_limit.tat > cast(${nowUs} as bigint) then rate_limit.tat else cast(${nowUs} as bigint) end) + cast(${intervalUs} as bigint)`;
  return qc
    .insertInto('rate_limit')
    .values({ app_key: appKey, tat: firstTatUs })
    .onConflict((oc) =>
      oc.column('app_key').doUpdateSet({ tat: next }).where(sql<boolean>`${next} <= cast(${latestTatUs} as bigint)`),
    )
    .returning('tat');
}

/**
 * `takeRateLimitSlot`, then — only if the slot was taken — `insertSignatureNonce`'s write of the
 * request's nonce, in one statement on PostgreSQL (a round trip less on every signed v2 request);
 * the two statements in turn on SQLite, where a statement costs no round trip. Answers whether the
 * slot was taken and whether the nonce was new (false when no slot was taken).
 */
export async function takeRateLimitSlotAndNonce(
  db: Database,
  slot: { appKey: string; nowUs: number; intervalUs: number; toleranceUs: number },
  nonce: { nonce: string; expiresAt: number; now: number },
): Promise<{ slot: boolean; nonce: boolean }> {
  const { appKey, nowUs, intervalUs, toleranceUs } = slot;
  if (db.dialect === 'sqlite') {
    if (!(await takeRateLimitSlot(db, appKey, nowUs, intervalUs, toleranceUs))) return { slot: false, nonce: false };
    return { slot: true, nonce: await insertSignatureNonce(db, appKey, nonce.nonce, nonce.expiresAt, nonce.now) };
  }
  const [row] = await slotAndNonceQuery(
    db,
    appKey,
    nowUs,
    intervalUs,
    nowUs + intervalUs,
    nowUs + toleranceUs,
    nonce.nonce,
    nonce.expiresAt,
    nonce.now,
  );
  return { slot: Number(row?.slot ?? 0) > 0, nonce: Number(row?.nonce ?? 0) > 0 };
}

// PostgreSQL only: a data-modifying CTE per write, the nonce's insert reading the slot's RETURNING.
const slotAndNonceQuery = compiledOnce(
  (
    db: Database,
    appKey: string,
    nowUs: number,
    intervalUs: number,
    firstTatUs: number,
    latestTatUs: number,
    nonce: string,
    expiresAt: number,
    now: number,
  ) =>
    db.db
      .with('slot', (qc) => slotUpsert(qc, appKey, nowUs, intervalUs, firstTatUs, latestTatUs))
      .with('fresh', (qc) =>
        qc
          .insertInto('signature_nonce')
          .columns(['app_key', 'nonce', 'expires_at'])
          .expression((eb) =>
            eb
              .selectFrom('slot')
              .select([
                sql<string>`cast(${appKey} as text)`.as('app_key'),
                sql<string>`cast(${nonce} as text)`.as('nonce'),
                sql<number>`cast(${expiresAt} as bigint)`.as('expires_at'),
              ]),
          )
          .onConflict((oc) =>
            oc
              .columns(['app_key', 'nonce'])
              .doUpdateSet({ expires_at: (eb) => eb.ref('excluded.expires_at') })
              .where('signature_nonce.expires_at', '<', sql<number>`cast(${now} as bigint)`),
          )
          .returning('nonce'),
      )
      .selectNoFrom((eb) => [
        eb.selectFrom('slot').select(eb.fn.countAll<number>().as('n')).as('slot'),
        eb.selectFrom('fresh').select(eb.fn.countAll<number>().as('n')).as('nonce'),
      ]),
);

/** The key's TAT in microseconds (after a refusal: when its next slot opens), or undefined. */
export async function findRateLimitTat(db: Database, appKey: string): Promise<number | undefined> {
  const row = await db.db.selectFrom('rate_limit').select('tat').where('app_key', '=', appKey).executeTakeFirst();
  return row?.tat;
}
