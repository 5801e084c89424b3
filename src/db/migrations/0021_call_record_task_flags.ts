import type { Kysely } from 'kysely';
import type { Dialect } from '../database.js';

/*
 * `call_record_task` (migration 0010: tenant, call task, start time, id) gains the training flag
 * and is_last after the call task: the write path's reads of a call task's calls — how many
 * non-training calls it has and which one is its latest (repositories/callRecords.ts
 * `callHistoryOfTasks`), the is_last flags set on its calls (`markLastCalls`) — are then answered
 * inside the index, the latest call a probe of the task's is_last = 1 range, without reading a
 * record row. Frozen in time: later changes are new migrations.
 */
export async function up(db: Kysely<any>, _dialect: Dialect): Promise<void> {
  await db.schema.dropIndex('call_record_task').execute();
  await db.schema
    .createIndex('call_record_task')
    .on('call_record')
    .columns(['tenant_id', 'call_task_id', 'is_training', 'is_last', 'start_time', 'id'])
    .execute();
}
