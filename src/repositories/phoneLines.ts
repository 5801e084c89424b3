import type { Insertable, Updateable } from 'kysely';
import type { Database } from '../db/database.js';
import type { PhoneLineTable } from '../db/schema.js';

/** Caller lines (phone_line) as resources a tenant manages: their engine, limits, trunk and health (docs/lines.md). */

export type NewPhoneLine = Insertable<PhoneLineTable>;
export type PhoneLineChanges = Updateable<PhoneLineTable>;

export async function insertPhoneLine(db: Database, row: NewPhoneLine): Promise<number> {
  const inserted = await db.db.insertInto('phone_line').values(row).returning('id').executeTakeFirstOrThrow();
  return inserted.id;
}

/** Every column of the tenant's lines, oldest first. */
export async function listPhoneLineRows(db: Database, tenantId: number) {
  return db.db.selectFrom('phone_line').selectAll().where('tenant_id', '=', tenantId).orderBy('id').execute();
}

export async function findPhoneLine(db: Database, tenantId: number, phoneLineId: number) {
  return db.db
    .selectFrom('phone_line')
    .selectAll()
    .where('tenant_id', '=', tenantId)
    .where('id', '=', phoneLineId)
    .executeTakeFirst();
}

/** The tenant's line with this number, if any (a number is one line of a tenant). */
export async function findPhoneLineByNumber(db: Database, tenantId: number, phoneNumber: string) {
  return db.db
    .selectFrom('phone_line')
    .select('id')
    .where('tenant_id', '=', tenantId)
    .where('phone_number', '=', phoneNumber)
    .executeTakeFirst();
}

export async function updatePhoneLine(
  db: Database,
  tenantId: number,
  phoneLineId: number,
  changes: PhoneLineChanges,
): Promise<void> {
  await db.db
    .updateTable('phone_line')
    .set(changes)
    .where('tenant_id', '=', tenantId)
    .where('id', '=', phoneLineId)
    .execute();
}

/** How many of the tenant's jobs dial from the line. */
export async function countJobsOfLine(db: Database, tenantId: number, phoneLineId: number): Promise<number> {
  const row = await db.db
    .selectFrom('job_phone_line')
    .select((eb) => eb.fn.countAll<number>().as('n'))
    .where('tenant_id', '=', tenantId)
    .where('phone_line_id', '=', phoneLineId)
    .executeTakeFirstOrThrow();
  return Number(row.n);
}

/** One more failure in a row; the new count (undefined when there is no such line). */
export async function addLineFailure(
  db: Database,
  tenantId: number,
  phoneLineId: number,
): Promise<{ consecutive_failures: number; enabled_status: number } | undefined> {
  return db.db
    .updateTable('phone_line')
    .set((eb) => ({ consecutive_failures: eb('consecutive_failures', '+', 1) }))
    .where('tenant_id', '=', tenantId)
    .where('id', '=', phoneLineId)
    .returning(['consecutive_failures', 'enabled_status'])
    .executeTakeFirst();
}

/** The failures in a row back to 0; writes nothing (no data version moves) when the count is 0 already. */
export async function resetLineFailures(db: Database, tenantId: number, phoneLineId: number): Promise<void> {
  await db.db
    .updateTable('phone_line')
    .set({ consecutive_failures: 0 })
    .where('tenant_id', '=', tenantId)
    .where('id', '=', phoneLineId)
    .where('consecutive_failures', '<>', 0)
    .execute();
}

/** Disables an enabled line with a reason; false when it was disabled already (by someone else meanwhile). */
export async function disableLineWithReason(
  db: Database,
  tenantId: number,
  phoneLineId: number,
  reason: string,
): Promise<boolean> {
  const result = await db.db
    .updateTable('phone_line')
    .set({ enabled_status: 0, disabled_reason: reason })
    .where('tenant_id', '=', tenantId)
    .where('id', '=', phoneLineId)
    .where('enabled_status', '=', 1)
    .executeTakeFirst();
  return Number(result.numUpdatedRows) > 0;
}

/** The job's enabled lines with what dialling them needs: engine, channels and limits. */
export async function listUsableLinesOfJob(db: Database, tenantId: number, jobId: number) {
  return db.db
    .selectFrom('job_phone_line as jl')
    .innerJoin('phone_line as l', (join) =>
      join.onRef('l.id', '=', 'jl.phone_line_id').onRef('l.tenant_id', '=', 'jl.tenant_id'),
    )
    .select([
      'l.id',
      'l.phone_number',
      'l.phone_type',
      'l.engine',
      'l.concurrency_quota',
      'l.calls_per_second',
      'l.ring_timeout_seconds',
      'l.max_call_seconds',
      'l.daily_cap_per_number',
      'l.high_water_mark',
    ])
    .where('jl.tenant_id', '=', tenantId)
    .where('jl.job_id', '=', jobId)
    .where('l.enabled_status', '=', 1)
    .orderBy('jl.phone_line_id')
    .execute();
}

/** Every stored SIP password, for encrypting and re-encrypting them; `lock` holds the rows (PostgreSQL). */
export async function listSipPasswords(db: Database, lock: boolean) {
  let q = db.db
    .selectFrom('phone_line')
    .select(['id', 'tenant_id', 'sip_password'])
    .where('sip_password', 'is not', null)
    .orderBy('id');
  if (lock && db.dialect === 'postgres') q = q.forUpdate();
  return (await q.execute()) as { id: number; tenant_id: number; sip_password: string }[];
}

/** Replaces a line's SIP password if it is still `from`; false when it changed meanwhile. */
export async function updateSipPassword(
  db: Database,
  tenantId: number,
  phoneLineId: number,
  from: string,
  to: string,
): Promise<boolean> {
  const result = await db.db
    .updateTable('phone_line')
    .set({ sip_password: to })
    .where('tenant_id', '=', tenantId)
    .where('id', '=', phoneLineId)
    .where('sip_password', '=', from)
    .executeTakeFirst();
  return Number(result.numUpdatedRows) > 0;
}
