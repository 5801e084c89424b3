import type { Kysely } from 'kysely';
import type { Dialect } from '../database.js';

/*
 * `call_task.round_start_attempts`: the attempts a call task had made when its current round of
 * dialling began. A customer re-added to a job (job/reAddCustomerToJob) reopens their finished
 * task for a new round, and the job's redial limit counts the attempts of that round only
 * (`attempts - round_start_attempts`), as for a customer dialled for the first time; `attempts`
 * itself keeps growing, so the dialer's idempotency keys (task and attempt) stay unique. 0 for
 * every task so far: none has started a second round under this rule. Frozen in time: later
 * changes are new migrations.
 */
export async function up(db: Kysely<any>, _dialect: Dialect): Promise<void> {
  await db.schema
    .alterTable('call_task')
    .addColumn('round_start_attempts', 'integer', (c) => c.notNull().defaultTo(0))
    .execute();
}
