import { type Kysely, sql } from 'kysely';
import type { Dialect } from '../database.js';

/*
 * What the later API's callRecord/getCallRecordInfoList filters on beyond the 2018 list
 * (docs/later/call-records.md). Frozen in time: later changes are new migrations.
 *
 * 1. call_record gains
 *    - `hangup_by`: which side ended the call (HangupBy in domain/enums.ts); null for the calls
 *      recorded before it was stored;
 *    - `redial_times`: which redial of its call task the call was, 0 for the first attempt;
 *    - `is_last`: 1 on the latest call (start time, then id) of each call task, and on every call
 *      without a call task; 0 on the calls a later one superseded and on training calls. The write
 *      path keeps it (repositories/callRecords.ts `markLastCalls`).
 *    The existing rows are backfilled from the order of the calls within their call task.
 * 2. `call_record_job_list` (migration 0003) is rebuilt with the new columns and the others the
 *    later filters read (read status, manual mark, chat duration, concerns), so each of those
 *    filters, and its exact count, is answered inside the job's range of that index.
 * 3. `call_record_job_last`: the same range restricted to the latest calls (lastCallRecord).
 * 4. `call_record_tenant_phone`: a called number's records (calledPhoneNumber, exact);
 *    `call_record_task`: a call task's records in start order (is_last upkeep).
 */
export async function up(db: Kysely<any>, dialect: Dialect): Promise<void> {
  const pg = dialect === 'postgres';
  const run = (text: string) => sql.raw(text).execute(db);

  await db.schema.alterTable('call_record').addColumn('hangup_by', 'text').execute();
  await db.schema
    .alterTable('call_record')
    .addColumn('redial_times', 'integer', (c) => c.notNull().defaultTo(0))
    .execute();
  await db.schema
    .alterTable('call_record')
    .addColumn('is_last', 'integer', (c) => c.notNull().defaultTo(0))
    .execute();

  await db.schema
    .createIndex('call_record_task')
    .on('call_record')
    .columns(['tenant_id', 'call_task_id', 'start_time', 'id'])
    .execute();
  await db.schema
    .createIndex('call_record_tenant_phone')
    .on('call_record')
    .columns(['tenant_id', 'called_phone_number', 'job_id'])
    .execute();

  await backfillCallOrder(db);

  const listed = [
    'result_status',
    'intent_level',
    'customer_group_id',
    'dialog_flow_id',
    'customer_person_id',
    'called_phone_number',
    'hangup_by',
    'read_status',
    'manual_marked',
    'chat_duration',
    'redial_times',
    'is_last',
    'customer_concern',
  ];
  await db.schema.dropIndex('call_record_job_list').execute();
  const lastListed = ['result_status', 'intent_level', 'chat_duration', 'redial_times'];
  if (pg) {
    await run(`create index call_record_job_list on call_record (tenant_id, job_id, is_training, start_time, id)
      include (${listed.join(', ')})`);
    await run(`create index call_record_job_last on call_record (tenant_id, job_id, start_time, id)
      include (${lastListed.join(', ')}) where is_last = 1`);
  } else {
    await run(`create index call_record_job_list on call_record
      (tenant_id, job_id, is_training, start_time, id, ${listed.join(', ')})`);
    await run(`create index call_record_job_last on call_record
      (tenant_id, job_id, start_time, id, ${lastListed.join(', ')}) where is_last = 1`);
    await run('pragma optimize');
  }
}

/** Numbers the calls of each call task in start order (ties by id) and flags the latest; training calls count for nothing. */
export async function backfillCallOrder(db: Kysely<any>): Promise<void> {
  await sql`update call_record set redial_times = s.n, is_last = s.last
    from (select id, row_number() over (partition by call_task_id order by start_time, id) - 1 as n,
            case when row_number() over (partition by call_task_id order by start_time desc, id desc) = 1 then 1 else 0 end as last
          from call_record where call_task_id is not null and is_training = 0) s
    where s.id = call_record.id`.execute(db);
  await sql`update call_record set is_last = 1 where call_task_id is null and is_training = 0`.execute(db);
}
