import type { Insertable } from 'kysely';
import type { Database } from '../db/database.js';
import type { AuditLogTable } from '../db/schema.js';

/** The audit log (audit_log): one row per changing request. */

export type NewAuditEntry = Insertable<AuditLogTable>;

/** One entry: a single-row insert, the whole cost of auditing a request. */
export async function insertAuditEntry(db: Database, entry: NewAuditEntry): Promise<void> {
  await db.db.insertInto('audit_log').values(entry).execute();
}

export interface AuditLogFilter {
  action?: string;
  jobId?: number;
  code?: number;
  /** Epoch ms, inclusive. */
  from?: number;
  /** Epoch ms, exclusive. */
  before?: number;
}

function filtered(db: Database, tenantId: number, filter: AuditLogFilter) {
  let q = db.db.selectFrom('audit_log').where('tenant_id', '=', tenantId);
  if (filter.action !== undefined) q = q.where('action', '=', filter.action);
  if (filter.jobId !== undefined) q = q.where('robot_call_job_id', '=', filter.jobId);
  if (filter.code !== undefined) q = q.where('code', '=', filter.code);
  if (filter.from !== undefined) q = q.where('created_at', '>=', filter.from);
  if (filter.before !== undefined) q = q.where('created_at', '<', filter.before);
  return q;
}

export async function countAuditEntries(db: Database, tenantId: number, filter: AuditLogFilter): Promise<number> {
  const row = await filtered(db, tenantId, filter)
    .select((eb) => eb.fn.countAll<number>().as('n'))
    .executeTakeFirstOrThrow();
  return Number(row.n);
}

/** One page of the tenant's entries, newest first. */
export async function listAuditEntries(
  db: Database,
  tenantId: number,
  filter: AuditLogFilter,
  limit: number,
  offset: number,
) {
  return filtered(db, tenantId, filter)
    .select([
      'id',
      'app_key',
      'user_name',
      'method',
      'action',
      'robot_call_job_id',
      'code',
      'result_msg',
      'summary',
      'client_ip',
      'request_id',
      'created_at',
    ])
    .orderBy('created_at', 'desc')
    .orderBy('id', 'desc')
    .limit(limit)
    .offset(offset)
    .execute();
}

/** Removes the tenant's entries older than `before` (epoch ms), through its time index; returns how many. */
export async function deleteAuditEntriesBefore(db: Database, tenantId: number, before: number): Promise<number> {
  const result = await db.db
    .deleteFrom('audit_log')
    .where('tenant_id', '=', tenantId)
    .where('created_at', '<', before)
    .executeTakeFirst();
  return Number(result.numDeletedRows);
}

/** Every tenant with its time zone (the day an entry is pruned by is the tenant's). */
export async function listTenantTimeZones(db: Database) {
  return db.db.selectFrom('tenant').select(['id', 'time_zone']).orderBy('id').execute();
}
