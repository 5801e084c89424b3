import { type Kysely, sql } from 'kysely';
import type { Dialect } from '../database.js';

/*
 * robot_call_job.inactive_time_list (migration 0009, up to three windows) becomes the one truth of
 * when a job does not dial: the 2018 single window (inactive_start_time, inactive_end_time) is
 * copied into the list once more — for jobs written between 0009 and this migration by code that
 * still wrote only the old columns — and the two columns are dropped. The 2018 getTaskDetail now
 * answers its inactiveStartTime/inactiveEndTime from the list's first window.
 * Frozen in time: later changes are new migrations.
 */
export async function up(db: Kysely<any>, dialect: Dialect): Promise<void> {
  const pg = dialect === 'postgres';
  const window = pg
    ? sql`jsonb_build_array(jsonb_build_object('startTime', inactive_start_time, 'endTime', inactive_end_time))`
    : sql`json_array(json_object('startTime', inactive_start_time, 'endTime', inactive_end_time))`;
  const empty = pg ? sql`inactive_time_list = '[]'::jsonb` : sql`inactive_time_list = '[]'`;
  await sql`update robot_call_job set inactive_time_list = ${window}
    where inactive_start_time <> inactive_end_time and ${empty}`.execute(db);
  await db.schema.alterTable('robot_call_job').dropColumn('inactive_start_time').execute();
  await db.schema.alterTable('robot_call_job').dropColumn('inactive_end_time').execute();
}
