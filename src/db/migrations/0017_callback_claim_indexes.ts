import { type Kysely, sql } from 'kysely';
import type { Dialect } from '../database.js';

/*
 * Callback outbox indexes for the dispatcher's claims (docs/callbacks.md, Performance).
 *
 * - `callback_event_tenant_due` (tenant_id, next_attempt_at, id) over PENDING rows only: a
 *   dispatcher refills the delivery slots a tenant freed with that tenant's oldest due events.
 *   Without it the claim walked the whole queue past the rows of tenants at their concurrency cap
 *   (every claim cost as much as the backlog: thousands of events meant milliseconds per claim).
 * - `callback_event_finished` becomes partial (finished_at is not null): the purge only looks for
 *   finished events, and a new event (finished_at null) no longer adds an index entry; the two
 *   changes keep the index work of an insert as it was.
 * Frozen in time: later changes are new migrations.
 */
export async function up(db: Kysely<any>, _dialect: Dialect): Promise<void> {
  await db.schema
    .createIndex('callback_event_tenant_due')
    .on('callback_event')
    .columns(['tenant_id', 'next_attempt_at', 'id'])
    .where(sql.ref('state'), '=', 'PENDING')
    .execute();
  await db.schema.dropIndex('callback_event_finished').execute();
  await db.schema
    .createIndex('callback_event_finished')
    .on('callback_event')
    .column('finished_at')
    .where(sql.ref('finished_at'), 'is not', null)
    .execute();
}
