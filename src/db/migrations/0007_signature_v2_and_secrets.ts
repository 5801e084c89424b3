import type { Kysely } from 'kysely';
import type { Dialect } from '../database.js';

/*
 * Signature v2 (docs/signature.md):
 * - api_key.min_signature_version: 'v1' (the default: v1 and v2 are both accepted, as before for v1)
 *   or 'v2' (v1 is refused). One column, two values: accepting v2 costs a v1 key nothing, so there
 *   is no "v1 only" setting to keep.
 * - signature_nonce: every v2 nonce seen, per appKey, until its request's timestamp leaves the
 *   window (expires_at). The primary key makes "accepted once" hold across processes; expired
 *   rows are overwritten on reuse and purged now and then through the expires_at index.
 * App secrets are encrypted at rest from this version on; a migration has no key, so the secrets
 * already stored are encrypted at start-up right after migrating (src/services/secrets.ts).
 * Frozen in time: later changes are new migrations.
 */
export async function up(db: Kysely<any>, _dialect: Dialect): Promise<void> {
  await db.schema
    .alterTable('api_key')
    .addColumn('min_signature_version', 'text', (c) => c.notNull().defaultTo('v1'))
    .execute();

  await db.schema
    .createTable('signature_nonce')
    .addColumn('app_key', 'text', (c) => c.notNull())
    .addColumn('nonce', 'text', (c) => c.notNull())
    .addColumn('expires_at', 'bigint', (c) => c.notNull())
    .addPrimaryKeyConstraint('signature_nonce_pk', ['app_key', 'nonce'])
    .execute();
  await db.schema.createIndex('signature_nonce_expires').on('signature_nonce').column('expires_at').execute();
}
