import { type Kysely, sql } from 'kysely';
import type { Dialect } from '../database.js';

/*
 * What the platform's later Open API (/apiOpen/v1/<resource>/<function>) needs beyond the 2018
 * interface. One stored meaning serves both generations; each answers in its own codes (docs/generations.md).
 *
 * 1. tenant: `callback_url` and `sms_callback_url`, set by isv/updateIsvInfo.
 * 2. Intent-level tags become data the tenant owns: `intent_level_tag` (a named group) and
 *    `intent_level_tag_detail` (the six levels A–F, code 0–5, each with a name). Every tenant gets a
 *    built-in group "内置意向分类标签" (A类 … F类), and every dialog flow points at a group.
 * 3. dialog_flow: industry, sub-industry and review status, as getDialogFlowList answers them.
 * 4. phone_line: billing rates, industry, area, enabled status and concurrency quota (getPhoneList,
 *    getJobDetail's jobPhoneNumberList).
 * 5. robot_call_job:
 *    - `inactive_time_list`: up to three windows [{startTime, endTime}] (clock times) the job does
 *      not dial (the later API's inactiveTimeList); filled from the single 2018 window.
 *    - `redial_condition`: the call results that make a call task wait for a redial. Until now every
 *      result but ANSWERED did, so existing jobs get exactly those nine.
 *    - `transfer_phone_number`, `wechat_condition_alert_level` (lists), `concurrency_quota`,
 *      `cs_staff_group_id`: stored as sent and answered back by getJobDetail.
 * Frozen in time: later changes are new migrations.
 */
const BUILT_IN_INTENT_LEVEL_TAG = '内置意向分类标签';
const BUILT_IN_LEVEL_NAMES = ['A类', 'B类', 'C类', 'D类', 'E类', 'F类'];
/** Every result that redialled before this migration: all but ANSWERED. */
const REDIAL_ON_ALL_FAILURES = JSON.stringify([
  'NO_ANSWER',
  'BUSY',
  'POWER_OFF',
  'OUT_OF_SERVICE',
  'REFUSED',
  'VACANT_NUMBER',
  'CAN_NOT_CONNECT',
  'FROM_PHONE_ERROR',
  'SYSTEM_ERROR',
]);

export async function up(db: Kysely<any>, dialect: Dialect): Promise<void> {
  const pg = dialect === 'postgres';
  const id = pg ? 'bigserial' : 'integer';
  const json = pg ? 'jsonb' : 'text';
  const idColumn = (c: any) => (pg ? c.primaryKey() : c.primaryKey().autoIncrement());
  const add = (table: string, column: string, type: string, build: (c: any) => any = (c) => c) =>
    db.schema
      .alterTable(table)
      .addColumn(column, type as any, build)
      .execute();

  await add('tenant', 'callback_url', 'text');
  await add('tenant', 'sms_callback_url', 'text');

  await db.schema
    .createTable('intent_level_tag')
    .addColumn('id', id, idColumn)
    .addColumn('tenant_id', 'bigint', (c) => c.notNull().references('tenant.id'))
    .addColumn('name', 'text', (c) => c.notNull())
    .addColumn('created_at', 'bigint', (c) => c.notNull())
    .execute();
  await db.schema.createIndex('intent_level_tag_tenant').on('intent_level_tag').columns(['tenant_id', 'id']).execute();
  await db.schema
    .createTable('intent_level_tag_detail')
    .addColumn('id', id, idColumn)
    .addColumn('tenant_id', 'bigint', (c) => c.notNull().references('tenant.id'))
    .addColumn('intent_level_tag_id', 'bigint', (c) => c.notNull().references('intent_level_tag.id'))
    .addColumn('code', 'integer', (c) => c.notNull())
    .addColumn('name', 'text', (c) => c.notNull())
    .addUniqueConstraint('intent_level_tag_detail_code', ['intent_level_tag_id', 'code'])
    .execute();

  await add('dialog_flow', 'industry', 'text', (c) => c.notNull().defaultTo('OTHER'));
  await add('dialog_flow', 'sub_industry', 'text', (c) => c.notNull().defaultTo('OTHER'));
  await add('dialog_flow', 'status', 'text', (c) => c.notNull().defaultTo('APPROVED'));
  await add('dialog_flow', 'intent_level_tag_id', 'bigint', (c) => c.references('intent_level_tag.id'));

  await add('phone_line', 'local_bill_rate', 'integer', (c) => c.notNull().defaultTo(60));
  await add('phone_line', 'other_bill_rate', 'integer', (c) => c.notNull().defaultTo(60));
  await add('phone_line', 'call_out_industry', 'text', (c) => c.notNull().defaultTo('OTHER'));
  await add('phone_line', 'area_code', 'text');
  await add('phone_line', 'province', 'text');
  await add('phone_line', 'city', 'text');
  await add('phone_line', 'enabled_status', 'integer', (c) => c.notNull().defaultTo(1));
  await add('phone_line', 'concurrency_quota', 'integer');

  await add('robot_call_job', 'inactive_time_list', json, (c) => c.notNull().defaultTo(sql`'[]'`));
  await add('robot_call_job', 'redial_condition', json, (c) => c.notNull().defaultTo(sql`'[]'`));
  await add('robot_call_job', 'transfer_phone_number', json, (c) => c.notNull().defaultTo(sql`'[]'`));
  await add('robot_call_job', 'wechat_condition_alert_level', json, (c) => c.notNull().defaultTo(sql`'[]'`));
  await add('robot_call_job', 'concurrency_quota', 'integer');
  await add('robot_call_job', 'cs_staff_group_id', 'bigint');

  // The 2018 single window becomes the list's only entry, its times as stored (HH:mm:ss);
  // equal times (00:00:00–00:00:00) meant "none".
  const window = pg
    ? sql`jsonb_build_array(jsonb_build_object('startTime', inactive_start_time, 'endTime', inactive_end_time))`
    : sql`json_array(json_object('startTime', inactive_start_time, 'endTime', inactive_end_time))`;
  await sql`update robot_call_job set inactive_time_list = ${window}
    where inactive_start_time <> inactive_end_time`.execute(db);
  await sql`update robot_call_job set redial_condition = ${pg ? sql`cast(${REDIAL_ON_ALL_FAILURES} as jsonb)` : sql`${REDIAL_ON_ALL_FAILURES}`}`.execute(
    db,
  );

  // A built-in tag group for every tenant, and every dialog flow on it.
  const now = Date.now();
  await sql`insert into intent_level_tag (tenant_id, name, created_at)
    select id, ${BUILT_IN_INTENT_LEVEL_TAG}, ${now} from tenant order by id`.execute(db);
  for (const [code, name] of BUILT_IN_LEVEL_NAMES.entries()) {
    await sql`insert into intent_level_tag_detail (tenant_id, intent_level_tag_id, code, name)
      select tenant_id, id, ${code}, ${name} from intent_level_tag order by id`.execute(db);
  }
  await sql`update dialog_flow set intent_level_tag_id =
    (select min(t.id) from intent_level_tag t where t.tenant_id = dialog_flow.tenant_id)`.execute(db);
}
