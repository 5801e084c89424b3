import type { Kysely } from 'kysely';
import type { DB } from '../db/schema.js';

/** Status changes and removal of jobs. */

/**
 * Moves a job from one status to another only if it is still in `from` (compare-and-set), so a user
 * action and the dialer never overwrite each other. Returns whether it moved.
 */
export async function moveJobStatus(
  db: Kysely<DB>,
  tenantId: number,
  jobId: number,
  from: string,
  to: string,
  now: number,
  extra: { start_time?: number | null; system_pause_next_start?: number | null } = {},
): Promise<boolean> {
  const result = await db
    .updateTable('robot_call_job')
    .set({ status: to, last_modified_at: now, ...extra })
    .where('tenant_id', '=', tenantId)
    .where('id', '=', jobId)
    .where('status', '=', from)
    .executeTakeFirst();
  return Number(result.numUpdatedRows) === 1;
}

/** Removes a job and everything recorded under it. Call inside a transaction. */
export async function deleteJobCascade(db: Kysely<DB>, tenantId: number, jobId: number): Promise<void> {
  const records = db.selectFrom('call_record').select('id').where('tenant_id', '=', tenantId).where('job_id', '=', jobId);
  await db.deleteFrom('call_detail').where('tenant_id', '=', tenantId).where('call_record_id', 'in', records).execute();
  for (const table of ['call_record', 'job_day_stats', 'job_concern_stats', 'call_task', 'job_phone_line'] as const) {
    await db.deleteFrom(table).where('tenant_id', '=', tenantId).where('job_id', '=', jobId).execute();
  }
  await db.deleteFrom('robot_call_job').where('tenant_id', '=', tenantId).where('id', '=', jobId).execute();
}

/** Ids of the tenant's rows of a reference table among `ids` (to check that references are the tenant's own). */
export async function ownedIds(
  db: Kysely<DB>,
  table: 'dialog_flow' | 'sms_template' | 'phone_line' | 'customer_group',
  tenantId: number,
  ids: number[],
): Promise<Set<number>> {
  if (ids.length === 0) return new Set();
  const rows = await db.selectFrom(table).select('id').where('tenant_id', '=', tenantId).where('id', 'in', ids).execute();
  return new Set(rows.map((r) => r.id));
}

export async function listDialogFlows(db: Kysely<DB>, tenantId: number) {
  return db.selectFrom('dialog_flow').select(['id', 'name', 'created_at']).where('tenant_id', '=', tenantId).orderBy('id').execute();
}

export async function listPhoneLines(db: Kysely<DB>, tenantId: number) {
  return db.selectFrom('phone_line').select(['id', 'phone_number', 'phone_type', 'name']).where('tenant_id', '=', tenantId).orderBy('id').execute();
}
