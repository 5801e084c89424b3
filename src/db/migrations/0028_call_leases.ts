import { type Kysely, sql } from 'kysely';
import type { Dialect } from '../database.js';

/*
 * `call_lease`: one claim of one call task by one call engine (docs/engines.md). A lease is
 * `claimed` (handed out, not yet dialled), `dialing` (the engine said it dials: the call is or was
 * up) or `ended` (ended_at set, with ended_reason). Ids are random text (22 characters base64url):
 * an engine names its lease in every later request, so the id must not be guessable.
 *
 * - `call_lease_live_task`, unique over call_task_id where ended_at is null: at most one live lease
 *   per call task. Claims insert with `on conflict do nothing` and only the rows inserted are
 *   claims, so two engines (or two outcall processes) can never both get a task.
 * - live leases per line and per job (the channel and job concurrency counts of a claim),
 *   (phone_line_id, claimed_at) for calls per second, (phone_line_id, called_phone_number,
 *   dialled_at) for the daily cap per number, and (state, expires_at) / (deadline_at) for the reaper.
 *
 * No foreign keys: a lease outlives nothing it names (a job deleted under a live lease is cancelled
 * at the next heartbeat and reaped), and claims write nothing else to check.
 * No data version triggers (VERSIONLESS_TABLES): claims, heartbeats and reaping write only here,
 * and no cached answer reads a lease; what an answer shows (the task CALLING, the call record) is
 * written on the tables that move it.
 * Frozen in time: later changes are new migrations.
 */
/** This migration's tables no answer reads (0026's VERSIONLESS_TABLES, continued). */
export const VERSIONLESS_TABLES_0028 = ['call_lease'];

export async function up(db: Kysely<any>, _dialect: Dialect): Promise<void> {
  await db.schema
    .createTable('call_lease')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('tenant_id', 'bigint', (c) => c.notNull())
    .addColumn('job_id', 'bigint', (c) => c.notNull())
    .addColumn('call_task_id', 'bigint', (c) => c.notNull())
    .addColumn('phone_line_id', 'bigint')
    .addColumn('engine_key_id', 'bigint')
    .addColumn('called_phone_number', 'text', (c) => c.notNull())
    .addColumn('attempt', 'integer', (c) => c.notNull())
    .addColumn('state', 'text', (c) => c.notNull())
    .addColumn('phase', 'text')
    .addColumn('claimed_at', 'bigint', (c) => c.notNull())
    .addColumn('dialled_at', 'bigint')
    .addColumn('expires_at', 'bigint', (c) => c.notNull())
    .addColumn('deadline_at', 'bigint')
    .addColumn('ended_at', 'bigint')
    .addColumn('ended_reason', 'text')
    .addColumn('result_status', 'text')
    .execute();
  const live = sql.ref('ended_at');
  await db.schema
    .createIndex('call_lease_live_task')
    .unique()
    .on('call_lease')
    .column('call_task_id')
    .where(live, 'is', null)
    .execute();
  await db.schema
    .createIndex('call_lease_live_line')
    .on('call_lease')
    .columns(['phone_line_id', 'job_id'])
    .where(live, 'is', null)
    .execute();
  await db.schema
    .createIndex('call_lease_live_job')
    .on('call_lease')
    .columns(['tenant_id', 'job_id'])
    .where(live, 'is', null)
    .execute();
  await db.schema
    .createIndex('call_lease_line_claims')
    .on('call_lease')
    .columns(['phone_line_id', 'claimed_at'])
    .execute();
  await db.schema
    .createIndex('call_lease_line_number_dials')
    .on('call_lease')
    .columns(['phone_line_id', 'called_phone_number', 'dialled_at'])
    .execute();
  await db.schema
    .createIndex('call_lease_expiry')
    .on('call_lease')
    .columns(['state', 'expires_at'])
    .where(live, 'is', null)
    .execute();
  await db.schema
    .createIndex('call_lease_deadline')
    .on('call_lease')
    .column('deadline_at')
    .where(live, 'is', null)
    .execute();
  // The lapses before dial of each task's attempt (poison after 3): found by task.
  await db.schema.createIndex('call_lease_task').on('call_lease').columns(['call_task_id', 'attempt']).execute();
}
