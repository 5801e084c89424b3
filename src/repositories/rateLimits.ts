import { type ExpressionBuilder, type QueryCreator, type SelectQueryBuilder, sql } from 'kysely';
import { compiledOnce, type Database } from '../db/database.js';
import type { DB } from '../db/schema.js';
import { type EngineKeyState, findEngineKeyState } from './engineKeys.js';
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

/**
 * The slot's upsert: a new key's first TAT, or the TAT moved on if that stays within the tolerance.
 * With `onlyIf`, a select of the rows that must be there (an enabled engine key): none, no slot.
 */
function slotUpsert<D extends DB>(
  qc: QueryCreator<D>,
  appKey: string,
  nowUs: number,
  intervalUs: number,
  firstTatUs: number,
  latestTatUs: number,
  onlyIf?: (eb: ExpressionBuilder<D, never>) => SelectQueryBuilder<D, never, object>,
) {
  const next = sql<number>`(case when rate_limit.tat > cast(${nowUs} as bigint) then rate_limit.tat else cast(${nowUs} as bigint) end) + cast(${intervalUs} as bigint)`;
  const insert = (qc as unknown as QueryCreator<DB>).insertInto('rate_limit');
  return (
    onlyIf
      ? insert
          .columns(['app_key', 'tat'])
          .expression((eb) =>
            (onlyIf(eb as never) as unknown as SelectQueryBuilder<DB, never, object>).select([
              sql<string>`cast(${appKey} as text)`.as('app_key'),
              sql<number>`cast(${firstTatUs} as bigint)`.as('tat'),
            ]),
          )
      : insert.values({ app_key: appKey, tat: firstTatUs })
  )
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
 *
 * With `engineAppKey`, the request's engine key is read in the same statement and nothing is taken
 * unless it is still enabled (`engineKey` answers its state): how a process that knows the key
 * already learns that another process disabled or deleted it, without a read of its own.
 */
export async function takeRateLimitSlotAndNonce(
  db: Database,
  slot: { appKey: string; nowUs: number; intervalUs: number; toleranceUs: number },
  nonce: { nonce: string; expiresAt: number; now: number },
  engineAppKey?: string,
): Promise<{ slot: boolean; nonce: boolean; engineKey?: EngineKeyState }> {
  const { appKey, nowUs, intervalUs, toleranceUs } = slot;
  if (db.dialect === 'sqlite') {
    const engineKey = engineAppKey === undefined ? undefined : await findEngineKeyState(db, engineAppKey);
    if (engineKey !== undefined && engineKey !== 'enabled') return { slot: false, nonce: false, engineKey };
    if (!(await takeRateLimitSlot(db, appKey, nowUs, intervalUs, toleranceUs)))
      return { slot: false, nonce: false, engineKey };
    return {
      slot: true,
      nonce: await insertSignatureNonce(db, appKey, nonce.nonce, nonce.expiresAt, nonce.now),
      engineKey,
    };
  }
  const args: SlotAndNonce = [
    appKey,
    nowUs,
    intervalUs,
    nowUs + intervalUs,
    nowUs + toleranceUs,
    nonce.nonce,
    nonce.expiresAt,
    nonce.now,
  ];
  if (engineAppKey === undefined) {
    const [row] = await slotAndNonceQuery(db, ...args);
    return { slot: Number(row?.slot ?? 0) > 0, nonce: Number(row?.nonce ?? 0) > 0 };
  }
  const [row] = await engineSlotAndNonceQuery(db, engineAppKey, ...args);
  return {
    slot: Number(row?.slot ?? 0) > 0,
    nonce: Number(row?.nonce ?? 0) > 0,
    engineKey: row?.engine_key ?? 'gone',
  };
}

/** The nonce's insert, reading the slot's RETURNING: stored only when the slot was taken. */
function nonceAfterSlot<D extends DB & { slot: { tat: number } }>(
  creator: QueryCreator<D>,
  appKey: string,
  nonce: string,
  expiresAt: number,
  now: number,
) {
  // Typed as the CTEs this one follows have it: the slot's RETURNING is all it reads.
  const qc = creator as unknown as QueryCreator<DB & { slot: { tat: number } }>;
  return qc
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
    .returning('nonce');
}

/** What the slot's and the nonce's writes are made of, as takeRateLimitSlotAndNonce passes it. */
type SlotAndNonce = [
  appKey: string,
  nowUs: number,
  intervalUs: number,
  firstTatUs: number,
  latestTatUs: number,
  nonce: string,
  expiresAt: number,
  now: number,
];

// PostgreSQL only: a data-modifying CTE per write, the nonce's insert reading the slot's RETURNING.
const slotAndNonceQuery = compiledOnce(
  (db: Database, ...[appKey, nowUs, intervalUs, firstTatUs, latestTatUs, nonce, expiresAt, now]: SlotAndNonce) =>
    db.db
      .with('slot', (qc) => slotUpsert(qc, appKey, nowUs, intervalUs, firstTatUs, latestTatUs))
      .with('fresh', (qc) => nonceAfterSlot(qc, appKey, nonce, expiresAt, now))
      .selectNoFrom((eb) => [
        eb.selectFrom('slot').select(eb.fn.countAll<number>().as('n')).as('slot'),
        eb.selectFrom('fresh').select(eb.fn.countAll<number>().as('n')).as('nonce'),
      ]),
);

// PostgreSQL only: the same, the slot taken only if the engine key read first is enabled.
const engineSlotAndNonceQuery = compiledOnce(
  (
    db: Database,
    engineAppKey: string,
    ...[appKey, nowUs, intervalUs, firstTatUs, latestTatUs, nonce, expiresAt, now]: SlotAndNonce
  ) =>
    db.db
      .with('key', (qc) => qc.selectFrom('engine_key').select('enabled').where('app_key', '=', engineAppKey))
      .with('slot', (qc) =>
        slotUpsert(qc, appKey, nowUs, intervalUs, firstTatUs, latestTatUs, (eb) =>
          eb.selectFrom('key').where(sql<boolean>`"key"."enabled" = 1`),
        ),
      )
      .with('fresh', (qc) => nonceAfterSlot(qc, appKey, nonce, expiresAt, now))
      .selectNoFrom((eb) => [
        // As findEngineKeyState answers it; no row: the key is gone.
        eb
          .selectFrom('key')
          .select(sql<EngineKeyState>`case when "key"."enabled" = 1 then 'enabled' else 'disabled' end`.as('state'))
          .as('engine_key'),
        eb.selectFrom('slot').select(eb.fn.countAll<number>().as('n')).as('slot'),
        eb.selectFrom('fresh').select(eb.fn.countAll<number>().as('n')).as('nonce'),
      ]),
);

/** The key's TAT in microseconds (after a refusal: when its next slot opens), or undefined. */
export async function findRateLimitTat(db: Database, appKey: string): Promise<number | undefined> {
  const row = await db.db.selectFrom('rate_limit').select('tat').where('app_key', '=', appKey).executeTakeFirst();
  return row?.tat;
}
