import type { Kysely } from 'kysely';
import type { Dialect } from '../database.js';

/*
 * Callback batches (docs/callbacks.md, "Never lost"): the recording transaction writes ONE row
 * per transaction (per tenant with a callback URL) holding all of its calls' events, instead of
 * one callback_event row per call with its four index entries: that row was most of what callbacks
 * cost ingestion. `events` is a JSON array of {eventId, robotCallJobId, callRecordId, payload}
 * (each event id assigned at recording, each payload the body as it will be sent); `event_count`
 * lets the queue depth count them without reading the text. A dispatcher expands a batch into its
 * callback_event rows in a transaction of its own (inserting them, deleting the batch), after which
 * everything works on callback_event as before. No index but the key: the table holds only the
 * batches not yet expanded, a handful at a time.
 * Frozen in time: later changes are new migrations.
 */
export async function up(db: Kysely<any>, dialect: Dialect): Promise<void> {
  const pg = dialect === 'postgres';
  await db.schema
    .createTable('callback_batch')
    .addColumn('id', pg ? 'bigserial' : 'integer', (c) => (pg ? c.primaryKey() : c.primaryKey().autoIncrement()))
    // No foreign key: nothing to check on the write path; a tenant is never deleted with batches pending.
    .addColumn('tenant_id', 'bigint', (c) => c.notNull())
    .addColumn('event_count', 'integer', (c) => c.notNull())
    .addColumn('events', 'text', (c) => c.notNull())
    .addColumn('created_at', 'bigint', (c) => c.notNull())
    .execute();
}
