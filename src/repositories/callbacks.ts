import { type Insertable, sql } from 'kysely';
import type { Database } from '../db/database.js';
import type { CallbackAttemptTable, CallbackBatchTable, CallbackEventTable, CallbackState } from '../db/schema.js';
import { chunks, parseJson } from './rows.js';

/** The callback outbox (callback_event), its delivery log (callback_attempt) and the tenant's callback settings. */

export type NewCallbackEvent = Insertable<CallbackEventTable>;
export type NewCallbackAttempt = Insertable<CallbackAttemptTable>;
export type NewCallbackBatch = Insertable<CallbackBatchTable>;

/** Writes events in chunks of 500 rows (each row binds 8 values: well below both databases' limits). */
export async function insertCallbackEvents(db: Database, events: NewCallbackEvent[]): Promise<void> {
  for (const chunk of chunks(events, 500)) await db.db.insertInto('callback_event').values(chunk).execute();
}

/** Writes one recording transaction's events as one batch row (migration 0018). */
export async function insertCallbackBatch(db: Database, batch: NewCallbackBatch): Promise<void> {
  await db.db.insertInto('callback_batch').values(batch).execute();
}

/**
 * Batches not yet expanded, oldest first, at most `limit`; only `tenantId`'s when given. On
 * PostgreSQL the rows are locked for the caller's transaction: `skipLocked` passes over those
 * another transaction is expanding (a dispatcher), otherwise the read waits for it and then finds
 * them gone (the delivery log, which must see every event recorded). Call it in the transaction
 * that expands and deletes them.
 */
export async function takeCallbackBatches(
  db: Database,
  limit: number,
  options: { tenantId?: number; skipLocked: boolean },
) {
  let q = db.db
    .selectFrom('callback_batch')
    .select(['id', 'tenant_id', 'events', 'created_at'])
    .orderBy('id')
    .limit(limit);
  if (options.tenantId !== undefined) q = q.where('tenant_id', '=', options.tenantId);
  if (db.dialect === 'postgres') q = options.skipLocked ? q.forUpdate().skipLocked() : q.forUpdate();
  return q.execute();
}

/** Removes expanded batches; returns how many were still there. */
export async function deleteCallbackBatches(db: Database, ids: number[]): Promise<number> {
  if (ids.length === 0) return 0;
  const result = await db.db.deleteFrom('callback_batch').where('id', 'in', ids).executeTakeFirst();
  return Number(result.numDeletedRows);
}

/** The customers' own fields (properties), by customer id. */
export async function listCustomerProperties(
  db: Database,
  tenantId: number,
  customerIds: number[],
): Promise<Map<number, Record<string, unknown>>> {
  const out = new Map<number, Record<string, unknown>>();
  for (const chunk of chunks(customerIds, 500)) {
    const rows = await db.db
      .selectFrom('customer_person')
      .select(['id', 'properties'])
      .where('tenant_id', '=', tenantId)
      .where('id', 'in', chunk)
      .execute();
    for (const r of rows) out.set(r.id, parseJson<Record<string, unknown>>(r.properties, {}));
  }
  return out;
}

/** The tenant's callback URL and (encrypted) secret; undefined when there is no such tenant. */
export async function findTenantCallback(db: Database, tenantId: number) {
  return db.db
    .selectFrom('tenant')
    .select(['id', 'tenant_sign', 'time_zone', 'callback_url', 'callback_secret'])
    .where('id', '=', tenantId)
    .executeTakeFirst();
}

/** Sets (or clears, with null) the tenant's callback URL; false when there is no such tenant. */
export async function updateTenantCallbackUrl(db: Database, tenantId: number, url: string | null): Promise<boolean> {
  const result = await db.db
    .updateTable('tenant')
    .set({ callback_url: url })
    .where('id', '=', tenantId)
    .executeTakeFirst();
  return Number(result.numUpdatedRows) > 0;
}

/** Replaces the tenant's stored callback secret if it is still `from` (null: none yet); false otherwise. */
export async function updateCallbackSecret(
  db: Database,
  tenantId: number,
  from: string | null,
  to: string,
): Promise<boolean> {
  let q = db.db.updateTable('tenant').set({ callback_secret: to }).where('id', '=', tenantId);
  q = from === null ? q.where('callback_secret', 'is', null) : q.where('callback_secret', '=', from);
  const result = await q.executeTakeFirst();
  return Number(result.numUpdatedRows) > 0;
}

/** Every stored callback secret, for encrypting and re-encrypting them; `lock` holds the rows (PostgreSQL). */
export async function listCallbackSecrets(db: Database, lock: boolean) {
  let q = db.db
    .selectFrom('tenant')
    .select(['id', 'callback_secret'])
    .where('callback_secret', 'is not', null)
    .orderBy('id');
  if (lock && db.dialect === 'postgres') q = q.forUpdate();
  return (await q.execute()) as { id: number; callback_secret: string }[];
}

/**
 * Due events, oldest first, that no live claim holds: at most `limit`, none of the tenants in
 * `skipTenants` (those this dispatcher is already delivering to at its cap). PostgreSQL locks the
 * rows it returns and skips rows another dispatcher has locked meanwhile; call it in the
 * transaction that claims them.
 */
export async function findDueCallbackEvents(db: Database, now: number, limit: number, skipTenants: number[]) {
  // The state is a literal so that SQLite, too, sees the partial index callback_event_due applies.
  let q = db.db
    .selectFrom('callback_event')
    .select(['id', 'tenant_id'])
    .where('state', '=', sql.lit('PENDING'))
    .where('next_attempt_at', '<=', now)
    .where((eb) => eb.or([eb('claimed_until', 'is', null), eb('claimed_until', '<=', now)]))
    .orderBy('next_attempt_at')
    .orderBy('id')
    .limit(limit);
  if (skipTenants.length > 0) q = q.where('tenant_id', 'not in', skipTenants);
  if (db.dialect === 'postgres') q = q.forUpdate().skipLocked();
  return q.execute();
}

/**
 * Due events of one tenant that no live claim holds, oldest first, at most `limit` (a tenant's
 * freed delivery slots refilled). Served by the partial index callback_event_tenant_due, so the
 * cost is the rows returned, whatever the other tenants' queues hold. PostgreSQL locks the rows
 * (skipping those another dispatcher locked); call it in the claiming transaction.
 */
export async function findDueCallbackEventsOfTenant(db: Database, tenantId: number, now: number, limit: number) {
  let q = db.db
    .selectFrom('callback_event')
    .select(['id', 'tenant_id'])
    .where('tenant_id', '=', tenantId)
    .where('state', '=', sql.lit('PENDING'))
    .where('next_attempt_at', '<=', now)
    .where((eb) => eb.or([eb('claimed_until', 'is', null), eb('claimed_until', '<=', now)]))
    .orderBy('next_attempt_at')
    .orderBy('id')
    .limit(limit);
  if (db.dialect === 'postgres') q = q.forUpdate().skipLocked();
  return q.execute();
}

/** Claims the events for `owner` until `until`; returns them with their tenants' callback settings. */
export async function claimCallbackEvents(db: Database, ids: number[], owner: string, until: number) {
  if (ids.length === 0) return [];
  await db.db
    .updateTable('callback_event')
    .set({ claimed_by: owner, claimed_until: until })
    .where('id', 'in', ids)
    .execute();
  return db.db
    .selectFrom('callback_event as e')
    .innerJoin('tenant as t', 't.id', 'e.tenant_id')
    .select([
      'e.id',
      'e.tenant_id',
      'e.event_id',
      'e.data_type',
      'e.payload',
      'e.attempts',
      'e.cycle_attempts',
      'e.cycle_started_at',
      't.callback_url',
      't.callback_secret',
    ])
    .where('e.id', 'in', ids)
    .orderBy('e.id')
    .execute();
}

/** Writes attempts of the delivery log (in chunks). */
export async function insertCallbackAttempts(db: Database, attempts: NewCallbackAttempt[]): Promise<void> {
  for (const chunk of chunks(attempts, 500)) await db.db.insertInto('callback_attempt').values(chunk).execute();
}

/** The outcome of one attempt: where the event goes next. Applies only while `owner` still holds the claim. */
export interface CallbackOutcome {
  id: number;
  state: CallbackState;
  nextAttemptAt: number;
  at: number;
  status: number | null;
  error: string | null;
}

/**
 * Delivered events, all answered with `status` at about `at`: one statement. Rows whose claim
 * another dispatcher took over meanwhile (the lease ran out) are left to it.
 */
export async function markCallbacksDelivered(
  db: Database,
  owner: string,
  ids: number[],
  status: number,
  at: number,
): Promise<void> {
  for (const chunk of chunks(ids, 500)) {
    await db.db
      .updateTable('callback_event')
      .set((eb) => ({
        state: 'DELIVERED',
        attempts: eb('attempts', '+', 1),
        cycle_attempts: eb('cycle_attempts', '+', 1),
        last_attempt_at: at,
        last_status: status,
        last_error: null,
        finished_at: at,
        claimed_by: null,
        claimed_until: null,
      }))
      .where('id', 'in', chunk)
      .where('claimed_by', '=', owner)
      .execute();
  }
}

/** A failed attempt: the event waits for its next attempt, or has failed for good. */
export async function markCallbackFailedAttempt(db: Database, owner: string, o: CallbackOutcome): Promise<void> {
  await db.db
    .updateTable('callback_event')
    .set((eb) => ({
      state: o.state,
      attempts: eb('attempts', '+', 1),
      cycle_attempts: eb('cycle_attempts', '+', 1),
      next_attempt_at: o.nextAttemptAt,
      last_attempt_at: o.at,
      last_status: o.status,
      last_error: o.error,
      finished_at: o.state === 'FAILED' ? o.at : null,
      claimed_by: null,
      claimed_until: null,
    }))
    .where('id', '=', o.id)
    .where('claimed_by', '=', owner)
    .execute();
}

/** Gives claims back unattempted (a dispatcher stopping): due again at once. */
export async function releaseCallbackClaims(db: Database, owner: string, ids: number[]): Promise<void> {
  for (const chunk of chunks(ids, 500)) {
    await db.db
      .updateTable('callback_event')
      .set({ claimed_by: null, claimed_until: null })
      .where('id', 'in', chunk)
      .where('claimed_by', '=', owner)
      .execute();
  }
}

export interface CallbackFilter {
  state?: CallbackState;
  /** PENDING events that have had an attempt (waiting for the next one). */
  retrying?: boolean;
  dataType?: string;
  jobId?: number;
  eventId?: string;
  /** Epoch ms, inclusive. */
  from?: number;
  /** Epoch ms, exclusive. */
  before?: number;
}

function filtered(db: Database, tenantId: number, f: CallbackFilter) {
  let q = db.db.selectFrom('callback_event').where('tenant_id', '=', tenantId);
  if (f.state !== undefined) q = q.where('state', '=', f.state);
  if (f.retrying) q = q.where('attempts', '>', 0);
  if (f.dataType !== undefined) q = q.where('data_type', '=', f.dataType);
  if (f.jobId !== undefined) q = q.where('job_id', '=', f.jobId);
  if (f.eventId !== undefined) q = q.where('event_id', '=', f.eventId);
  if (f.from !== undefined) q = q.where('created_at', '>=', f.from);
  if (f.before !== undefined) q = q.where('created_at', '<', f.before);
  return q;
}

export async function countCallbackEvents(db: Database, tenantId: number, filter: CallbackFilter): Promise<number> {
  const row = await filtered(db, tenantId, filter)
    .select((eb) => eb.fn.countAll<number>().as('n'))
    .executeTakeFirstOrThrow();
  return Number(row.n);
}

/** One page of the tenant's events, newest first. */
export async function listCallbackEvents(
  db: Database,
  tenantId: number,
  filter: CallbackFilter,
  limit: number,
  offset: number,
) {
  return filtered(db, tenantId, filter)
    .select([
      'id',
      'event_id',
      'data_type',
      'job_id',
      'call_record_id',
      'payload',
      'state',
      'attempts',
      'next_attempt_at',
      'last_attempt_at',
      'last_status',
      'last_error',
      'created_at',
      'finished_at',
    ])
    .orderBy('created_at', 'desc')
    .orderBy('id', 'desc')
    .limit(limit)
    .offset(offset)
    .execute();
}

/** The attempts of the tenant's events, in order. */
export async function listCallbackAttempts(db: Database, tenantId: number, eventIds: number[]) {
  if (eventIds.length === 0) return [];
  return db.db
    .selectFrom('callback_attempt')
    .select(['callback_event_id', 'attempt', 'started_at', 'duration_ms', 'http_status', 'error'])
    .where('tenant_id', '=', tenantId)
    .where('callback_event_id', 'in', eventIds)
    .orderBy('callback_event_id')
    .orderBy('attempt')
    .execute();
}

/**
 * Makes the tenant's matching events due now with a new retry schedule (the earlier attempts stay
 * in the log). Returns how many. `states` limits which events a range redelivery takes.
 */
export async function redeliverCallbackEvents(
  db: Database,
  tenantId: number,
  filter: { eventId?: string; from?: number; before?: number; states: CallbackState[] },
  now: number,
): Promise<number> {
  let q = db.db
    .updateTable('callback_event')
    .set({ state: 'PENDING', next_attempt_at: now, cycle_attempts: 0, cycle_started_at: now, finished_at: null })
    .where('tenant_id', '=', tenantId)
    .where('state', 'in', filter.states);
  if (filter.eventId !== undefined) q = q.where('event_id', '=', filter.eventId);
  if (filter.from !== undefined) q = q.where('created_at', '>=', filter.from);
  if (filter.before !== undefined) q = q.where('created_at', '<', filter.before);
  const result = await q.executeTakeFirst();
  return Number(result.numUpdatedRows);
}

/** Events waiting for delivery (the queue depth) and those due now. */
export async function countPendingCallbacks(db: Database, now: number): Promise<{ pending: number; due: number }> {
  const row = await db.db
    .selectFrom('callback_event')
    .select((eb) => [
      eb.fn.countAll<number>().as('pending'),
      eb.fn.sum<number>(eb.case().when('next_attempt_at', '<=', now).then(1).else(0).end()).as('due'),
    ])
    .where('state', '=', sql.lit('PENDING'))
    .executeTakeFirstOrThrow();
  // Events still in batches are pending, and due (they are due when recorded).
  const batched = await db.db
    .selectFrom('callback_batch')
    .select((eb) => eb.fn.sum<number>('event_count').as('n'))
    .executeTakeFirstOrThrow();
  const inBatches = Number(batched.n ?? 0);
  return { pending: Number(row.pending) + inBatches, due: Number(row.due ?? 0) + inBatches };
}

/** Removes up to `limit` events in `state` finished before `before`, with their attempts; returns how many. */
export async function deleteFinishedCallbackEvents(
  db: Database,
  state: CallbackState,
  before: number,
  limit: number,
): Promise<number> {
  const ids = (
    await db.db
      .selectFrom('callback_event')
      .select('id')
      .where('state', '=', state)
      .where('finished_at', '<', before)
      .orderBy('finished_at')
      .limit(limit)
      .execute()
  ).map((r) => r.id);
  if (ids.length === 0) return 0;
  await db.db.deleteFrom('callback_attempt').where('callback_event_id', 'in', ids).execute();
  await db.db.deleteFrom('callback_event').where('id', 'in', ids).execute();
  return ids.length;
}
