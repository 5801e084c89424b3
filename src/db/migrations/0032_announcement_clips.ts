import type { Kysely } from 'kysely';
import type { Dialect } from '../database.js';

/*
 * A tenant's library of carrier announcements (docs/sip-engine.md): clips recorded from its
 * carriers (空号, 关机, 停机, …), each with the class early media matching it is reported as. The
 * audio is kept as 8 kHz A-law, base64 text (the same column on both databases), within
 * ANNOUNCEMENT_MAX_BYTES; the CLI converts the uploaded WAV.
 *
 * No tenant's API answer reads this table (the CLI and the engines' /engine/v1/announcements do):
 * it gets no data-version triggers on PostgreSQL (migration 0026), and SQLite's version leaves it
 * out too (db/database.ts), so adding a clip sets no kept answer aside.
 * Frozen in time: later changes are new migrations.
 */

/** The tables of this migration with a tenant_id that move no data version (see 0026's VERSIONLESS_TABLES). */
export const VERSIONLESS_TABLES = ['announcement_clip'];

export async function up(db: Kysely<any>, dialect: Dialect): Promise<void> {
  const pg = dialect === 'postgres';
  await db.schema
    .createTable('announcement_clip')
    .addColumn('id', pg ? 'bigserial' : 'integer', (c) => (pg ? c.primaryKey() : c.primaryKey().autoIncrement()))
    .addColumn('tenant_id', 'bigint', (c) => c.notNull().references('tenant.id'))
    .addColumn('class', 'text', (c) => c.notNull())
    .addColumn('name', 'text', (c) => c.notNull())
    // 8 kHz A-law, base64.
    .addColumn('audio', 'text', (c) => c.notNull())
    .addColumn('audio_bytes', 'integer', (c) => c.notNull())
    .addColumn('created_at', 'bigint', (c) => c.notNull())
    .execute();
  await db.schema
    .createIndex('announcement_clip_tenant_name')
    .on('announcement_clip')
    .columns(['tenant_id', 'name'])
    .unique()
    .execute();
}
