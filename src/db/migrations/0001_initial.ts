import { type Kysely, sql } from 'kysely';
import type { Dialect } from '../database.js';

/*
 * The first schema. Frozen in time: later changes are new migrations.
 *
 * Cross-dialect choices (one set of queries serves SQLite and PostgreSQL):
 * - instants are epoch milliseconds in `bigint` columns (absolute, index- and sort-friendly,
 *   no zone arithmetic in SQL; the tenant's zone is applied when formatting);
 * - flags are 0/1 integers (better-sqlite3 cannot bind booleans);
 * - JSON is `jsonb` on PostgreSQL and `text` on SQLite, written as JSON text on both;
 * - every row carries tenant_id and every index that serves the API leads with it.
 */
export async function up(db: Kysely<any>, dialect: Dialect): Promise<void> {
  const id = dialect === 'postgres' ? 'bigserial' : 'integer';
  const json = dialect === 'postgres' ? 'jsonb' : 'text';
  const idColumn = (c: any) => (dialect === 'postgres' ? c.primaryKey() : c.primaryKey().autoIncrement());

  await db.schema
    .createTable('tenant')
    .addColumn('id', id, idColumn)
    .addColumn('name', 'text', (c) => c.notNull())
    .addColumn('tenant_sign', 'text', (c) => c.notNull().unique())
    .addColumn('time_zone', 'text', (c) => c.notNull())
    .addColumn('created_at', 'bigint', (c) => c.notNull())
    .execute();

  await db.schema
    .createTable('api_key')
    .addColumn('id', id, idColumn)
    .addColumn('tenant_id', 'bigint', (c) => c.notNull().references('tenant.id'))
    .addColumn('app_key', 'text', (c) => c.notNull().unique())
    .addColumn('app_secret', 'text', (c) => c.notNull())
    .addColumn('enabled', 'integer', (c) => c.notNull().defaultTo(1))
    .addColumn('created_at', 'bigint', (c) => c.notNull())
    .addColumn('disabled_at', 'bigint')
    .execute();
  await db.schema.createIndex('api_key_tenant').on('api_key').columns(['tenant_id', 'id']).execute();

  for (const table of ['organization', 'customer_group']) {
    await db.schema
      .createTable(table)
      .addColumn('id', id, idColumn)
      .addColumn('tenant_id', 'bigint', (c) => c.notNull().references('tenant.id'))
      .addColumn('name', 'text', (c) => c.notNull())
      .addColumn('created_at', 'bigint', (c) => c.notNull())
      .execute();
    await db.schema.createIndex(`${table}_tenant`).on(table).columns(['tenant_id', 'id']).execute();
  }

  await db.schema
    .createTable('app_user')
    .addColumn('id', id, idColumn)
    .addColumn('tenant_id', 'bigint', (c) => c.notNull().references('tenant.id'))
    .addColumn('organization_id', 'bigint', (c) => c.references('organization.id'))
    .addColumn('name', 'text', (c) => c.notNull())
    .addColumn('created_at', 'bigint', (c) => c.notNull())
    .execute();
  await db.schema.createIndex('app_user_tenant').on('app_user').columns(['tenant_id', 'id']).execute();

  await db.schema
    .createTable('dialog_flow')
    .addColumn('id', id, idColumn)
    .addColumn('tenant_id', 'bigint', (c) => c.notNull().references('tenant.id'))
    .addColumn('name', 'text', (c) => c.notNull())
    .addColumn('definition', json, (c) => c.notNull())
    .addColumn('created_at', 'bigint', (c) => c.notNull())
    .execute();
  await db.schema.createIndex('dialog_flow_tenant').on('dialog_flow').columns(['tenant_id', 'id']).execute();

  await db.schema
    .createTable('sms_template')
    .addColumn('id', id, idColumn)
    .addColumn('tenant_id', 'bigint', (c) => c.notNull().references('tenant.id'))
    .addColumn('name', 'text', (c) => c.notNull())
    .addColumn('content', 'text', (c) => c.notNull())
    .addColumn('created_at', 'bigint', (c) => c.notNull())
    .execute();
  await db.schema.createIndex('sms_template_tenant').on('sms_template').columns(['tenant_id', 'id']).execute();

  // Caller lines (the platform's "phone numbers" a job dials from).
  await db.schema
    .createTable('phone_line')
    .addColumn('id', id, idColumn)
    .addColumn('tenant_id', 'bigint', (c) => c.notNull().references('tenant.id'))
    .addColumn('phone_number', 'text', (c) => c.notNull())
    .addColumn('phone_type', 'text', (c) => c.notNull())
    .addColumn('name', 'text')
    .addColumn('created_at', 'bigint', (c) => c.notNull())
    .execute();
  await db.schema.createIndex('phone_line_tenant').on('phone_line').columns(['tenant_id', 'id']).execute();

  await db.schema
    .createTable('customer_person')
    .addColumn('id', id, idColumn)
    .addColumn('tenant_id', 'bigint', (c) => c.notNull().references('tenant.id'))
    .addColumn('customer_group_id', 'bigint', (c) => c.references('customer_group.id'))
    .addColumn('name', 'text', (c) => c.notNull())
    .addColumn('phone_number', 'text', (c) => c.notNull())
    .addColumn('wechat_number', 'text')
    .addColumn('source', 'text', (c) => c.notNull())
    .addColumn('last_emotion', 'text', (c) => c.notNull())
    .addColumn('customer_level', 'text', (c) => c.notNull())
    .addColumn('gender', 'text', (c) => c.notNull())
    .addColumn('follow_user_id', 'bigint', (c) => c.references('app_user.id'))
    .addColumn('follow_status', 'text', (c) => c.notNull())
    .addColumn('properties', json, (c) => c.notNull())
    .addColumn('attributes', json, (c) => c.notNull())
    .addColumn('last_follow_time', 'bigint')
    .addColumn('last_chat_duration', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('last_start_time', 'bigint')
    .addColumn('last_intent_level', 'text')
    .addColumn('last_dial_status', 'text')
    .addColumn('assign_time', 'bigint')
    .addColumn('created_at', 'bigint', (c) => c.notNull())
    .execute();
  await db.schema
    .createIndex('customer_person_tenant_phone')
    .on('customer_person')
    .columns(['tenant_id', 'phone_number'])
    .execute();

  await db.schema
    .createTable('robot_call_job')
    .addColumn('id', id, idColumn)
    .addColumn('tenant_id', 'bigint', (c) => c.notNull().references('tenant.id'))
    .addColumn('dialog_flow_id', 'bigint', (c) => c.notNull().references('dialog_flow.id'))
    .addColumn('name', 'text', (c) => c.notNull())
    .addColumn('mode', 'text', (c) => c.notNull())
    .addColumn('robot_count', 'integer', (c) => c.notNull())
    .addColumn('sms_template_id', 'bigint', (c) => c.references('sms_template.id'))
    .addColumn('phone_type', 'text', (c) => c.notNull())
    .addColumn('daily_start_time', 'text', (c) => c.notNull())
    .addColumn('daily_end_time', 'text', (c) => c.notNull())
    .addColumn('inactive_start_time', 'text', (c) => c.notNull())
    .addColumn('inactive_end_time', 'text', (c) => c.notNull())
    .addColumn('description', 'text')
    .addColumn('wechat_alert_level', json, (c) => c.notNull())
    .addColumn('sms_alert_level', json, (c) => c.notNull())
    .addColumn('alert_users', json, (c) => c.notNull())
    .addColumn('early_warning_alert_users', json, (c) => c.notNull())
    .addColumn('wechat_send_method', 'text', (c) => c.notNull())
    .addColumn('status', 'text', (c) => c.notNull())
    .addColumn('start_time', 'bigint')
    .addColumn('next_start_time', 'text')
    .addColumn('system_pause_next_start', 'bigint')
    .addColumn('redial_times', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('redial_interval_minutes', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('created_by_user_id', 'bigint', (c) => c.references('app_user.id'))
    .addColumn('organization_id', 'bigint', (c) => c.references('organization.id'))
    // Job-level counters kept current by the write path: call tasks, and those finished.
    .addColumn('task_call_total', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('completed_task', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('created_at', 'bigint', (c) => c.notNull())
    .addColumn('last_modified_at', 'bigint', (c) => c.notNull())
    .execute();
  await db.schema
    .createIndex('robot_call_job_tenant_created')
    .on('robot_call_job')
    .columns(['tenant_id', 'created_at', 'id'])
    .execute();

  await db.schema
    .createTable('job_phone_line')
    .addColumn('tenant_id', 'bigint', (c) => c.notNull().references('tenant.id'))
    .addColumn('job_id', 'bigint', (c) => c.notNull().references('robot_call_job.id'))
    .addColumn('phone_line_id', 'bigint', (c) => c.notNull().references('phone_line.id'))
    .addPrimaryKeyConstraint('job_phone_line_pk', ['tenant_id', 'job_id', 'phone_line_id'])
    .execute();

  // A call task: one customer to dial in one job.
  await db.schema
    .createTable('call_task')
    .addColumn('id', id, idColumn)
    .addColumn('tenant_id', 'bigint', (c) => c.notNull().references('tenant.id'))
    .addColumn('job_id', 'bigint', (c) => c.notNull().references('robot_call_job.id'))
    .addColumn('customer_person_id', 'bigint', (c) => c.notNull().references('customer_person.id'))
    .addColumn('called_phone_number', 'text', (c) => c.notNull())
    .addColumn('status', 'text', (c) => c.notNull())
    .addColumn('attempts', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('next_attempt_at', 'bigint')
    .addColumn('last_result_status', 'text')
    .addColumn('created_at', 'bigint', (c) => c.notNull())
    .addColumn('finished_at', 'bigint')
    .execute();
  await db.schema
    .createIndex('call_task_job_phone')
    .on('call_task')
    .columns(['tenant_id', 'job_id', 'called_phone_number'])
    .unique()
    .execute();
  await db.schema
    .createIndex('call_task_job_status')
    .on('call_task')
    .columns(['tenant_id', 'job_id', 'status', 'next_attempt_at'])
    .execute();

  await db.schema
    .createTable('call_record')
    .addColumn('id', id, idColumn)
    .addColumn('tenant_id', 'bigint', (c) => c.notNull().references('tenant.id'))
    .addColumn('job_id', 'bigint', (c) => c.notNull().references('robot_call_job.id'))
    .addColumn('call_task_id', 'bigint', (c) => c.references('call_task.id'))
    .addColumn('customer_person_id', 'bigint', (c) => c.references('customer_person.id'))
    // The customer's group when the call was made: the list filters and names by it.
    .addColumn('customer_group_id', 'bigint', (c) => c.references('customer_group.id'))
    .addColumn('dialog_flow_id', 'bigint', (c) => c.notNull().references('dialog_flow.id'))
    .addColumn('called_phone_number', 'text', (c) => c.notNull())
    .addColumn('phone_line_id', 'bigint')
    .addColumn('result_status', 'text', (c) => c.notNull())
    .addColumn('intent_level', 'text', (c) => c.notNull())
    .addColumn('real_intent_level', 'text')
    .addColumn('customer_concern', json, (c) => c.notNull())
    .addColumn('full_audio_url', 'text')
    .addColumn('customer_audio_url', 'text')
    .addColumn('analysis_basis', 'text', (c) => c.notNull())
    .addColumn('start_time', 'bigint', (c) => c.notNull())
    .addColumn('end_time', 'bigint', (c) => c.notNull())
    .addColumn('chat_duration', 'integer', (c) => c.notNull())
    .addColumn('chat_round', 'integer', (c) => c.notNull())
    .addColumn('manual_marked', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('read_status', 'text', (c) => c.notNull())
    .addColumn('attributes', json, (c) => c.notNull())
    .addColumn('is_training', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('idempotency_key', 'text', (c) => c.notNull())
    .addColumn('created_at', 'bigint', (c) => c.notNull())
    .execute();
  await db.schema
    .createIndex('call_record_job_start')
    .on('call_record')
    .columns(['tenant_id', 'job_id', 'is_training', 'start_time', 'id'])
    .execute();
  await db.schema
    .createIndex('call_record_idempotency')
    .on('call_record')
    .columns(['tenant_id', 'idempotency_key'])
    .unique()
    .execute();

  // Transcript turns (callDetailList).
  await db.schema
    .createTable('call_detail')
    .addColumn('id', id, idColumn)
    .addColumn('tenant_id', 'bigint', (c) => c.notNull().references('tenant.id'))
    .addColumn('call_record_id', 'bigint', (c) => c.notNull().references('call_record.id'))
    .addColumn('seq', 'integer', (c) => c.notNull())
    .addColumn('type', 'text', (c) => c.notNull())
    .addColumn('text', 'text', (c) => c.notNull())
    .execute();
  await db.schema
    .createIndex('call_detail_record')
    .on('call_detail')
    .columns(['tenant_id', 'call_record_id', 'seq'])
    .execute();

  // Statistics rollups, maintained by the write path in the same transaction as the call record.
  // Rebuild: delete the job's rows and re-add every call record of the job through the rollup.
  let dayStats = db.schema
    .createTable('job_day_stats')
    .addColumn('tenant_id', 'bigint', (c) => c.notNull().references('tenant.id'))
    .addColumn('job_id', 'bigint', (c) => c.notNull().references('robot_call_job.id'))
    .addColumn('day', 'text', (c) => c.notNull());
  for (const column of DAY_STATS_COUNTERS)
    dayStats = dayStats.addColumn(column, 'bigint', (c) => c.notNull().defaultTo(0));
  await dayStats.addPrimaryKeyConstraint('job_day_stats_pk', ['tenant_id', 'job_id', 'day']).execute();

  await db.schema
    .createTable('job_concern_stats')
    .addColumn('tenant_id', 'bigint', (c) => c.notNull().references('tenant.id'))
    .addColumn('job_id', 'bigint', (c) => c.notNull().references('robot_call_job.id'))
    .addColumn('concern', 'text', (c) => c.notNull())
    .addColumn('hits', 'bigint', (c) => c.notNull())
    .addPrimaryKeyConstraint('job_concern_stats_pk', ['tenant_id', 'job_id', 'concern'])
    .execute();

  if (dialect === 'sqlite') await sql`pragma optimize`.execute(db);
}

const DAY_STATS_COUNTERS = [
  'records',
  'answered',
  'chat_duration_total',
  'intent_a',
  'intent_b',
  'intent_c',
  'intent_d',
  'intent_e',
  'intent_f',
  'result_answered',
  'result_no_answer',
  'result_busy',
  'result_power_off',
  'result_out_of_service',
  'result_refused',
  'result_vacant_number',
  'result_can_not_connect',
  'result_from_phone_error',
  'result_system_error',
  'chat_round_less_3',
  'chat_round_f3_t6',
  'chat_round_f6_t10',
  'chat_round_f10_more',
  'chat_duration_less_10s',
  'chat_duration_f10s_t1min',
  'chat_duration_f1min_t2min',
  'chat_duration_f2min_t3min',
  'chat_duration_f3min_tmore',
];
