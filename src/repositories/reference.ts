import type { Insertable, Kysely } from 'kysely';
import type { DB } from '../db/schema.js';

/** Reference data a job points at: organizations, users, dialog flows, SMS templates, caller lines, customer groups. */

type ReferenceTable = 'organization' | 'app_user' | 'dialog_flow' | 'sms_template' | 'phone_line' | 'customer_group';

export async function insertReference<T extends ReferenceTable>(db: Kysely<DB>, table: T, row: Insertable<DB[T]>): Promise<number> {
  // Every reference table has an `id`; Kysely cannot see that through the generic table name.
  const inserted: unknown = await (db as Kysely<any>).insertInto(table).values(row).returning('id').executeTakeFirstOrThrow();
  return (inserted as { id: number }).id;
}

export async function findDialogFlow(db: Kysely<DB>, tenantId: number, dialogFlowId: number) {
  return db.selectFrom('dialog_flow').selectAll().where('tenant_id', '=', tenantId).where('id', '=', dialogFlowId).executeTakeFirst();
}
