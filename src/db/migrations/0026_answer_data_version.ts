import { type Kysely, sql } from 'kysely';
import type { Dialect } from '../database.js';

/*
 * PostgreSQL only: the data version kept answers are checked against (http/answerCache.ts). It was
 * the statement's snapshot, which moves with every transaction that writes anything — the
 * rate-limit slot and the v2 nonce every signed request takes among them — so with the default
 * settings a kept answer was almost never served again. Now each tenant has a version that moves
 * only with writes an answer can show:
 *
 * - tenant_data_version: 16 counters per tenant (a write transaction bumps counter
 *   `txid % 16`, so concurrent writers of one tenant seldom wait for each other's row lock); the
 *   version is their sum, read in the statement that reads the caller's key
 *   (repositories/tenants.ts). A bump commits with the write it counts, so a reader never sees
 *   the new version without the new data.
 * - one statement-level trigger per table and operation (transition tables: one upsert per
 *   statement, however many rows it writes) on every tenant's table except the bookkeeping no
 *   answer reads: VERSIONLESS_TABLES. A table added later gets its triggers in its own migration
 *   (`versionTriggers`); a test checks that every table with a tenant_id has them or is listed.
 *
 * SQLite keeps its own version (db/database.ts), which leaves the same bookkeeping out.
 * Frozen in time: later changes are new migrations.
 */

export const DATA_VERSION_SLOTS = 16;

/** Written on every request or delivery, read by no cached answer. */
export const VERSIONLESS_TABLES = [
  'rate_limit',
  'signature_nonce',
  'console_session',
  'login_attempt',
  'audit_log',
  'callback_event',
  'callback_attempt',
  'callback_batch',
];

/** The tables whose writes move their tenant's data version (as of this migration). */
export const VERSIONED_TABLES = [
  'api_key',
  'organization',
  'customer_group',
  'app_user',
  'dialog_flow',
  'intent_level_tag',
  'intent_level_tag_detail',
  'sms_template',
  'phone_line',
  'customer_person',
  'robot_call_job',
  'job_phone_line',
  'call_task',
  'call_record',
  'call_detail',
  'job_day_stats',
  'job_concern_stats',
  'call_record_count',
  'customer_name_gram',
  'call_record_phone_gram',
  'call_record_duration_count',
  'call_record_concern_count',
  'call_record_last_count',
  'quarantine',
  'do_not_call',
  'console_user',
];

/** The statements that give `table` its version triggers (its tenant is `column`). */
export function versionTriggers(table: string, column = 'tenant_id'): string[] {
  const fn = column === 'tenant_id' ? 'outcall_bump_data_version' : 'outcall_bump_tenant_data_version';
  return [
    ['insert', 'new'],
    ['update', 'new'],
    ['delete', 'old'],
  ].map(
    ([operation, rows]) =>
      `create trigger ${table}_data_version_${operation} after ${operation} on ${table}
       referencing ${rows} table as changed for each statement execute function ${fn}()`,
  );
}

/** The upsert a trigger function runs, for the tenants in `changed` named by `column`. */
const bump = (column: string) => `
  insert into tenant_data_version (tenant_id, slot, version)
  select distinct ${column}, (pg_current_xact_id()::text::bigint % ${DATA_VERSION_SLOTS})::smallint, 1 from changed
  on conflict (tenant_id, slot) do update set version = tenant_data_version.version + 1`;

export async function up(db: Kysely<any>, dialect: Dialect): Promise<void> {
  if (dialect !== 'postgres') return;
  await sql`create table tenant_data_version (
    tenant_id bigint not null,
    slot smallint not null,
    version bigint not null,
    primary key (tenant_id, slot)
  )`.execute(db);
  for (const [name, column] of [
    ['outcall_bump_data_version', 'tenant_id'],
    ['outcall_bump_tenant_data_version', 'id'],
  ] as const) {
    await sql
      .raw(`create function ${name}() returns trigger language plpgsql as $$
        begin
          ${bump(column)};
          return null;
        end $$`)
      .execute(db);
  }
  for (const table of VERSIONED_TABLES)
    for (const statement of versionTriggers(table)) await sql.raw(statement).execute(db);
  for (const statement of versionTriggers('tenant', 'id')) await sql.raw(statement).execute(db);
}
