import type { Insertable } from 'kysely';
import type { Database } from '../db/database.js';
import type { CustomerPersonTable } from '../db/schema.js';
import type { FollowStatus, IntentLevel, ResultStatus } from '../domain/enums.js';
import { chunks, parseJson } from './rows.js';

/** Customer persons (the people called) and their groups. */

export type NewCustomer = Omit<Insertable<CustomerPersonTable>, 'properties' | 'attributes'> & {
  properties: Record<string, unknown>;
  attributes: unknown[];
};

export async function findCustomerWithGroup(db: Database, tenantId: number, customerPersonId: number) {
  const row = await db.db
    .selectFrom('customer_person as c')
    .leftJoin('customer_group as g', 'g.id', 'c.customer_group_id')
    .selectAll('c')
    .select('g.name as customer_group_name')
    .where('c.tenant_id', '=', tenantId)
    .where('c.id', '=', customerPersonId)
    .executeTakeFirst();
  return (
    row && {
      ...row,
      properties: parseJson<Record<string, unknown>>(row.properties, {}),
      attributes: parseJson<unknown[]>(row.attributes, []),
    }
  );
}

export async function insertCustomer(db: Database, customer: NewCustomer): Promise<number> {
  return (await insertCustomers(db, [customer]))[0]!.id;
}

/** Inserts customers, several per statement; returns their ids and numbers in the order given. */
export async function insertCustomers(
  db: Database,
  customers: NewCustomer[],
): Promise<{ id: number; phone_number: string }[]> {
  const out: { id: number; phone_number: string }[] = [];
  for (const chunk of chunks(customers, 400)) {
    const rows = chunk.map((c) => ({
      ...c,
      properties: JSON.stringify(c.properties),
      attributes: JSON.stringify(c.attributes),
    }));
    // RETURNING gives no order on PostgreSQL: each id is matched to its row by id order.
    const ids = (await db.db.insertInto('customer_person').values(rows).returning('id').execute())
      .map((r) => r.id)
      .sort((a, b) => a - b);
    for (const [i, c] of chunk.entries()) out.push({ id: ids[i]!, phone_number: c.phone_number });
  }
  return out;
}

/** What a finished call tells about its customer; an older call never overwrites a newer one's. */
export async function updateCustomerLastCall(
  db: Database,
  tenantId: number,
  customerPersonId: number,
  call: { startTime: number; chatDuration: number; intentLevel: IntentLevel; resultStatus: ResultStatus },
): Promise<void> {
  await db.db
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
export async function findCustomersByPhone(
  db: Database,
  tenantId: number,
  numbers: string[],
): Promise<Map<string, number>> {
  const found = new Map<string, number>();
  for (const chunk of chunks(numbers, 500)) {
    const rows = await db.db
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

/**
 * The follow status of each of these customers, read in id order. On PostgreSQL the rows are
 * share-locked until the transaction ends: a change of status waits, and its trigger then moves
 * the counts of the calls recorded with the status read here (call_record_count).
 */
export async function findFollowStatusesForShare(
  db: Database,
  tenantId: number,
  customerIds: number[],
): Promise<Map<number, FollowStatus>> {
  const found = new Map<number, FollowStatus>();
  for (const chunk of chunks(
    [...customerIds].sort((a, b) => a - b),
    500,
  )) {
    let q = db.db
      .selectFrom('customer_person')
      .select(['id', 'follow_status'])
      .where('tenant_id', '=', tenantId)
      .where('id', 'in', chunk)
      .orderBy('id');
    if (db.dialect === 'postgres') q = q.forShare();
    for (const c of await q.execute()) found.set(c.id, c.follow_status);
  }
  return found;
}
