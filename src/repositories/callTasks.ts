import { sql, type Kysely } from 'kysely';
import type { DB } from '../db/schema.js';
import { chunks } from './callRecords.js';

/** Call tasks: one customer to dial in one job. */

/** Adds customers to a job as new call tasks and counts them on the job; returns the tasks. Call inside a transaction. */
export async function insertCallTasks(
  db: Kysely<DB>,
  tenantId: number,
  jobId: number,
  customers: { customerPersonId: number; phoneNumber: string }[],
  now: number,
): Promise<{ id: number; customer_person_id: number; called_phone_number: string }[]> {
  const inserted: { id: number; customer_person_id: number; called_phone_number: string }[] = [];
  for (const chunk of chunks(customers, 500)) {
    const rows = await db
      .insertInto('call_task')
      .values(
        chunk.map((c) => ({
          tenant_id: tenantId,
          job_id: jobId,
          customer_person_id: c.customerPersonId,
          called_phone_number: c.phoneNumber,
          status: 'NOT_STARTED',
          created_at: now,
        })),
      )
      .returning(['id', 'customer_person_id', 'called_phone_number'])
      .execute();
    inserted.push(...rows);
  }
  await db
    .updateTable('robot_call_job')
    .set({ task_call_total: sql`task_call_total + ${customers.length}` })
    .where('tenant_id', '=', tenantId)
    .where('id', '=', jobId)
    .execute();
  return inserted;
}

/** Which of these numbers already have a call task in the job. */
export async function numbersInJob(db: Kysely<DB>, tenantId: number, jobId: number, numbers: string[]): Promise<Set<string>> {
  const found = new Set<string>();
  for (const chunk of chunks(numbers, 500)) {
    const rows = await db
      .selectFrom('call_task')
      .select('called_phone_number')
      .where('tenant_id', '=', tenantId)
      .where('job_id', '=', jobId)
      .where('called_phone_number', 'in', chunk)
      .execute();
    for (const r of rows) found.add(r.called_phone_number);
  }
  return found;
}

export async function callTasksOf(db: Kysely<DB>, tenantId: number, jobId: number) {
  return db.selectFrom('call_task').selectAll().where('tenant_id', '=', tenantId).where('job_id', '=', jobId).orderBy('id').execute();
}
