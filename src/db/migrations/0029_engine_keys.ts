import type { Kysely } from 'kysely';
import type { Dialect } from '../database.js';

/*
 * Engine keys (docs/engine-keys.md): the credentials of a call engine working through /engine/v1/,
 * apart from the tenants' API keys. `tenant_id` null: the key works for every tenant; otherwise
 * for that one only. `app_secret` is encrypted like the tenants' app secrets (services/secrets.ts,
 * context `engine_key.app_secret:<appKey>`). `last_seen_at` is written at most every few seconds
 * per key, not per request.
 *
 * No tenant's answer reads this table, and its writes (last_seen_at above all) must not set kept
 * answers aside: it gets no data-version triggers on PostgreSQL (migration 0026), and SQLite's
 * version leaves it out too (db/database.ts).
 * Frozen in time: later changes are new migrations.
 */

/** The tables of this migration with a tenant_id that move no data version (see 0026's VERSIONLESS_TABLES). */
export const VERSIONLESS_TABLES = ['engine_key'];

export async function up(db: Kysely<any>, dialect: Dialect): Promise<void> {
  const pg = dialect === 'postgres';
  await db.schema
    .createTable('engine_key')
    .addColumn('id', pg ? 'bigserial' : 'integer', (c) => (pg ? c.primaryKey() : c.primaryKey().autoIncrement()))
    .addColumn('app_key', 'text', (c) => c.notNull().unique())
    .addColumn('app_secret', 'text', (c) => c.notNull())
    .addColumn('name', 'text', (c) => c.notNull())
    // null: every tenant.
    .addColumn('tenant_id', 'bigint', (c) => c.references('tenant.id'))
    .addColumn('enabled', 'integer', (c) => c.notNull().defaultTo(1))
    .addColumn('created_at', 'bigint', (c) => c.notNull())
    .addColumn('last_seen_at', 'bigint')
    .addColumn('disabled_at', 'bigint')
    .execute();
}
