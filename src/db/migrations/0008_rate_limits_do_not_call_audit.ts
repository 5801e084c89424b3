import { type Kysely, sql } from 'kysely';
import type { Dialect } from '../database.js';

/*
 * Rate limits per appKey, the do-not-call list and the audit log. Frozen in time: later changes
 * are new migrations.
 *
 * 1. `rate_limit`: one row per appKey holding its GCRA "theoretical arrival time" in microseconds
 *    (services/rateLimits.ts). One upsert per signed request; the table never grows past the
 *    number of keys, so nothing needs purging. On PostgreSQL it is UNLOGGED: its writes skip the
 *    WAL, so a request's upsert costs no WAL flush, and after a crash the table starts empty,
 *    which only forgives the requests of the last second.
 * 2. `do_not_call`: the tenant's numbers never to dial, keyed by (tenant, number) so the dialer's
 *    claim and importTaskCustomer probe it by key. `call_task_tenant_phone` finds a number's call
 *    tasks across the tenant's jobs when it is listed.
 * 3. `audit_log`: one row per changing request, listed newest first per tenant, optionally by
 *    action or job.
 */
export async function up(db: Kysely<any>, dialect: Dialect): Promise<void> {
  const pg = dialect === 'postgres';
  const id = pg ? 'bigserial' : 'integer';
  const idColumn = (c: any) => (pg ? c.primaryKey() : c.primaryKey().autoIncrement());

  let rateLimit = db.schema.createTable('rate_limit');
  if (pg) rateLimit = rateLimit.modifyFront(sql`unlogged`);
  await rateLimit
    .addColumn('app_key', 'text', (c) => c.primaryKey())
    .addColumn('tat', 'bigint', (c) => c.notNull())
    .execute();

  await db.schema
    .createTable('do_not_call')
    .addColumn('tenant_id', 'bigint', (c) => c.notNull().references('tenant.id'))
    .addColumn('phone_number', 'text', (c) => c.notNull())
    .addColumn('reason', 'text')
    .addColumn('added_by', 'text', (c) => c.notNull())
    .addColumn('created_at', 'bigint', (c) => c.notNull())
    .addPrimaryKeyConstraint('do_not_call_pk', ['tenant_id', 'phone_number'])
    .execute();
  await db.schema
    .createIndex('do_not_call_tenant_created')
    .on('do_not_call')
    .columns(['tenant_id', 'created_at', 'phone_number'])
    .execute();
  await db.schema
    .createIndex('call_task_tenant_phone')
    .on('call_task')
    .columns(['tenant_id', 'called_phone_number'])
    .execute();

  await db.schema
    .createTable('audit_log')
    .addColumn('id', id, idColumn)
    .addColumn('tenant_id', 'bigint', (c) => c.notNull().references('tenant.id'))
    .addColumn('app_key', 'text', (c) => c.notNull())
    // The console's user, once there is a console; null for requests signed with an appKey.
    .addColumn('user_name', 'text')
    .addColumn('method', 'text', (c) => c.notNull())
    .addColumn('action', 'text', (c) => c.notNull())
    // No foreign key: the entry outlives a deleted job.
    .addColumn('robot_call_job_id', 'bigint')
    .addColumn('code', 'integer', (c) => c.notNull())
    .addColumn('result_msg', 'text', (c) => c.notNull())
    .addColumn('summary', 'text')
    .addColumn('client_ip', 'text', (c) => c.notNull())
    .addColumn('request_id', 'text', (c) => c.notNull())
    .addColumn('created_at', 'bigint', (c) => c.notNull())
    .execute();
  await db.schema
    .createIndex('audit_log_tenant_time')
    .on('audit_log')
    .columns(['tenant_id', 'created_at', 'id'])
    .execute();
  await db.schema
    .createIndex('audit_log_tenant_action')
    .on('audit_log')
    .columns(['tenant_id', 'action', 'created_at', 'id'])
    .execute();
  await db.schema
    .createIndex('audit_log_tenant_job')
    .on('audit_log')
    .columns(['tenant_id', 'robot_call_job_id', 'created_at', 'id'])
    .execute();
}
