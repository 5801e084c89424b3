import { type Kysely, sql } from 'kysely';
import type { Dialect } from '../database.js';

/*
 * Callbacks (docs/callbacks.md): finished calls and completed jobs pushed to the tenant.
 *
 * 1. `tenant.callback_secret`: the key of the X-Outcall-Signature header, encrypted at rest like
 *    the app secrets (services/secrets.ts). A migration has no server key, so tenants made before
 *    this version get theirs when first needed (services/callbacks.ts callbackSecretOf).
 * 2. `callback_event`: the outbox. An event is written in the transaction that records its call
 *    or completes its job, with its body exactly as it is sent; the dispatcher delivers it.
 *    `state` is PENDING (due at next_attempt_at), DELIVERED or FAILED (gave up). A dispatcher
 *    claims a due row by setting claimed_by/claimed_until (a lease: once it runs out, another
 *    dispatcher may take the row over). `cycle_attempts`/`cycle_started_at` count the attempts of
 *    the current retry schedule (a redelivery starts a new one); `attempts` counts them all.
 *    `callback_event_due` is partial: only PENDING rows are in it, so the claim's scan stays as
 *    small as the queue, however many delivered events are kept.
 * 3. `callback_attempt`: one row per attempt (the delivery log), removed with its event.
 * Frozen in time: later changes are new migrations.
 */
export async function up(db: Kysely<any>, dialect: Dialect): Promise<void> {
  const pg = dialect === 'postgres';
  const id = pg ? 'bigserial' : 'integer';
  const idColumn = (c: any) => (pg ? c.primaryKey() : c.primaryKey().autoIncrement());

  await db.schema.alterTable('tenant').addColumn('callback_secret', 'text').execute();

  await db.schema
    .createTable('callback_event')
    .addColumn('id', id, idColumn)
    .addColumn('tenant_id', 'bigint', (c) => c.notNull().references('tenant.id'))
    .addColumn('event_id', 'text', (c) => c.notNull().unique())
    .addColumn('data_type', 'text', (c) => c.notNull())
    // No foreign keys: the event outlives a deleted job or record.
    .addColumn('job_id', 'bigint')
    .addColumn('call_record_id', 'bigint')
    .addColumn('payload', 'text', (c) => c.notNull())
    .addColumn('state', 'text', (c) => c.notNull())
    .addColumn('attempts', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('cycle_attempts', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('cycle_started_at', 'bigint', (c) => c.notNull())
    .addColumn('next_attempt_at', 'bigint', (c) => c.notNull())
    .addColumn('claimed_by', 'text')
    .addColumn('claimed_until', 'bigint')
    .addColumn('last_attempt_at', 'bigint')
    .addColumn('last_status', 'integer')
    .addColumn('last_error', 'text')
    .addColumn('created_at', 'bigint', (c) => c.notNull())
    .addColumn('finished_at', 'bigint')
    .execute();
  await db.schema
    .createIndex('callback_event_due')
    .on('callback_event')
    .columns(['next_attempt_at', 'id'])
    .where(sql.ref('state'), '=', 'PENDING')
    .execute();
  await db.schema
    .createIndex('callback_event_tenant_created')
    .on('callback_event')
    .columns(['tenant_id', 'created_at', 'id'])
    .execute();
  // Not on `state`: the claim must not be planned over an index of every PENDING row.
  await db.schema.createIndex('callback_event_finished').on('callback_event').column('finished_at').execute();

  await db.schema
    .createTable('callback_attempt')
    .addColumn('id', id, idColumn)
    .addColumn('callback_event_id', 'bigint', (c) => c.notNull().references('callback_event.id').onDelete('cascade'))
    .addColumn('tenant_id', 'bigint', (c) => c.notNull())
    .addColumn('attempt', 'integer', (c) => c.notNull())
    .addColumn('started_at', 'bigint', (c) => c.notNull())
    .addColumn('duration_ms', 'integer', (c) => c.notNull())
    .addColumn('http_status', 'integer')
    .addColumn('error', 'text')
    .execute();
  await db.schema
    .createIndex('callback_attempt_event')
    .on('callback_attempt')
    .columns(['callback_event_id', 'attempt'])
    .execute();
}
