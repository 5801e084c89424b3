import type { Kysely } from 'kysely';
import type { Dialect } from '../database.js';

/*
 * The dialer looks for jobs by status across every tenant (it serves them all), so this index
 * leads with the status, not the tenant. Frozen in time: later changes are new migrations.
 */
export async function up(db: Kysely<any>, _dialect: Dialect): Promise<void> {
  await db.schema.createIndex('robot_call_job_status').on('robot_call_job').columns(['status', 'id']).execute();
}
