import type { Insertable, Kysely } from 'kysely';
import type { CustomerPersonTable, DB } from '../db/schema.js';
import { chunks } from './callRecords.js';

/** Customer persons and their groups. */

export async function findCustomerWithGroup(db: Kysely<DB>, tenantId: number, customerPersonId: number) {
  return db
    .selectFrom('customer_person as c')
    .leftJoin('customer_group as g', 'g.id', 'c.customer_group_id')
    .selectAll('c')
    .select('g.name as customer_group_name')
    .where('c.tenant_id', '=', tenantId)
    .where('c.id', '=', customerPersonId)
    .executeTakeFirst();
}

export async function insertCustomer(db: Kysely<DB>, row: Insertable<CustomerPersonTable>): Promise<number> {
  const { id } = await db.insertInto('customer_person').values(row).returning('id').executeTakeFirstOrThrow();
  return id;
}

/** What a finished call tells about its customer; an older call never overwrites a newer one's. */
export async function recordCustomerLastCall(
  db: Kysely<DB>,
  tenantId: number,
  customerPersonId: number,
  call: { startTime: number; chatDuration: number; intentLevel: string; resultStatus: string },
): Promise<void> {
  await db
    .updateTable('customer_person')
    .set({
      last_start_time: call.startTime,
      last_chat_duration: call.chatDuration,
      last_intent_level: call.intentLevel,
      last_dial_status: call.resultStatus,
    })
    .where('tenant_id', '=', tenantId)
    .where('id', '=', customerPersonId)
    .where((eb) => eb.or([eb('last_start_time', 'is', null), eb('last_start_time', '<=', call.startTime)]))
    .execute();
}

/** The tenant's customers with these numbers (the first one of each number). */
export async function customersByPhone(db: Kysely<DB>, tenantId: number, numbers: string[]): Promise<Map<string, number>> {
  const found = new Map<string, number>();
  for (const chunk of chunks(numbers, 500)) {
    const rows = await db
      .selectFrom('customer_person')
      .select(['id', 'phone_number'])
      .where('tenant_id', '=', tenantId)
      .where('phone_number', 'in', chunk)
      .orderBy('id')
      .execute();
    for (const r of rows) if (!found.has(r.phone_number)) found.set(r.phone_number, r.id);
  }
  return found;
}
