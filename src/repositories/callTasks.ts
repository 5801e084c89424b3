import { sql, type Kysely } from 'kysely';
import type { DB } from '../db/schema.js';
import { chunks } from './callRecords.js';

/** Call tasks: one customer to dial in one job. */

/** Adds customers to a job as new call tasks and counts them on the job. Call inside a transaction. */
export async function insertCallTasks(
  db: Kysely<DB>,
  tenantId: number,
  jobId: number,
  customers: { customerPersonId: number; phoneNumber: string }[],
  now: number,
): Promise<void> {
  for (const chunk of chunks(customers, 500)) {
    await db
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
      .execute();
  }
  await db
    .updateTable('robot_call_job')
    .set({ task_call_total: sql`task_call_total + ${customers.length}` })
    .where('tenant_id', '=', tenantId)
    .where('id', '=', jobId)
    .execute();
}

export async function callTasksOf(db: Kysely<DB>, tenantId: number, jobId: number) {
  return db.selectFrom('call_task').selectAll().where('tenant_id', '=', tenantId).where('job_id', '=', jobId).orderBy('id').execute();
}
