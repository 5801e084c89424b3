import { type Kysely, sql } from 'kysely';
import type { Dialect } from '../database.js';

/*
 * The scheduler (scheduler/scheduler.ts) runs in every `serve` process, but one process at a time
 * does its work: the one holding the `scheduler_lease` row named 'scheduler', taken and renewed
 * with one conditional update and taken over by another process once it lapses. The row is
 * bookkeeping no answer reads and has no tenant: its writes move no tenant's data version (no
 * PostgreSQL triggers; SQLite's counter leaves it out in db/database.ts).
 *
 * `robot_call_job.system_pause_reason`: why the scheduler suspended a job when it was not its
 * calling hours ("no usable caller line"); null otherwise. The later API shows it as the job's
 * hangUpReason.
 * Frozen in time: later changes are new migrations.
 */
export async function up(db: Kysely<any>, _dialect: Dialect): Promise<void> {
  await db.schema
    .createTable('scheduler_lease')
    .addColumn('name', 'text', (c) => c.primaryKey())
    .addColumn('holder', 'text')
    .addColumn('expires_at', 'bigint', (c) => c.notNull())
    .execute();
  await sql`insert into scheduler_lease (name, holder, expires_at) values ('scheduler', null, 0)`.execute(db);
  await db.schema.alterTable('robot_call_job').addColumn('system_pause_reason', 'text').execute();
}
