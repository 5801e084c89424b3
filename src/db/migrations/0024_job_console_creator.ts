import type { Kysely } from 'kysely';
import type { Dialect } from '../database.js';

/*
 * `robot_call_job.created_by_console_user_id`: the console user who created the job in the
 * console. A console user is outcall's own sign-in, not one of the platform's users
 * (`created_by_user_id`, app_user), so it has its own column; a job's creator name is the
 * platform user's, else the console user's name. Null for jobs created through the Open API.
 * Frozen in time: later changes are new migrations.
 */
export async function up(db: Kysely<any>, _dialect: Dialect): Promise<void> {
  await db.schema
    .alterTable('robot_call_job')
    .addColumn('created_by_console_user_id', 'bigint', (c) => c.references('console_user.id'))
    .execute();
}
