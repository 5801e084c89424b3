import { type Insertable, sql } from 'kysely';
import { compiledOnce, type Database, tenantOfRowsById, tenantParam } from '../db/database.js';
import type { CustomerPersonTable } from '../db/schema.js';
import type { FollowStatus, IntentLevel, ResultStatus } from '../domain/enums.js';
import { chunks, parseJson } from './rows.js';

/** Customer persons (the people called) and their groups. */

export type NewCustomer = Omit<Insertable<CustomerPersonTable>, 'properties' | 'attributes'> & {
  properties: Record<string, unknown>;
  attributes: unknown[];
};

/** A customer of the tenant with its group's name, or undefined. */
export async function findCustomerWithGroup(db: Database, tenantId: number, customerPersonId: number) {
  const [row] = await customerWithGroupQuery(db, tenantId, customerPersonId);
  return (
    row && {
      ...row,
      properties: parseJson<Record<string, unknown>>(row.properties, {}),
      attributes: parseJson<unknown[]>(row.attributes, []),
    }
  );
}

// callDetail's reads are compiled once (db/database.ts).
const customerWithGroupQuery = compiledOnce((db: Database, tenantId: number, customerPersonId: number) =>
  db.db
    .selectFrom('customer_person as c')
    .leftJoin('customer_group as g', (join) =>
      join.onRef('g.id', '=', 'c.customer_group_id').onRef('g.tenant_id', '=', 'c.tenant_id'),
    )
    .selectAll('c')
    .select('g.name as customer_group_name')
    .where('c.tenant_id', '=', tenantParam(db, tenantId))
    .where('c.id', '=', customerPersonId),
);

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

/** What a customer's latest finished call tells about them. */
export interface CustomerLastCall {
  customerPersonId: number;
  startTime: number;
  chatDuration: number;
  intentLevel: IntentLevel;
  resultStatus: ResultStatus;
}

/**
 * Moves customers' last-call fields on to these calls (one per customer), never over a newer call
 * already stored: one statement per 1,000 customers, the calls given as one JSON parameter. On
 * PostgreSQL the customers are first locked in id order, as every writer locks them (an update
 * joined to its values would lock them in whatever order the plan meets them).
 */
export async function updateCustomersLastCall(
  db: Database,
  tenantId: number,
  calls: CustomerLastCall[],
): Promise<void> {
  for (const chunk of chunks(
    [...calls].sort((a, b) => a.customerPersonId - b.customerPersonId),
    1000,
  )) {
    const rows = JSON.stringify(
      chunk.map((c) => ({
        id: c.customerPersonId,
        start_time: c.startTime,
        chat_duration: c.chatDuration,
        intent_level: c.intentLevel,
        dial_status: c.resultStatus,
      })),
    );
    if (db.dialect === 'postgres') {
      await db.db
        .selectFrom('customer_person')
        .select('id')
        .where('tenant_id', '=', tenantId)
        .where(
          'id',
          'in',
          chunk.map((c) => c.customerPersonId),
        )
        .orderBy('id')
        // As the update takes them: FOR UPDATE would also block other batches' foreign-key checks.
        .forNoKeyUpdate()
        .execute();
      await sql`update customer_person as c
        set last_start_time = v.start_time, last_chat_duration = v.chat_duration,
          last_intent_level = v.intent_level, last_dial_status = v.dial_status
        from jsonb_to_recordset(${rows}::jsonb) as v (id bigint, start_time bigint, chat_duration integer,
          intent_level text, dial_status text)
        where c.tenant_id = ${tenantId} and c.id = v.id
          and (c.last_start_time is null or c.last_start_time <= v.start_time)`.execute(db.db);
    } else {
      // The unary plus keeps SQLite from reading the tenant's rows through a tenant index and
      // testing every row given against each (without statistics it takes a tenant for ~10 rows):
      // each row given is found by its id, whatever the statistics say.
      await sql`update customer_person
        set last_start_time = v.start_time, last_chat_duration = v.chat_duration,
          last_intent_level = v.intent_level, last_dial_status = v.dial_status
        from (select value ->> 'id' as id, value ->> 'start_time' as start_time,
          value ->> 'chat_duration' as chat_duration, value ->> 'intent_level' as intent_level,
          value ->> 'dial_status' as dial_status from json_each(${rows})) as v
        where +customer_person.tenant_id = ${tenantId} and customer_person.id = v.id
          and (customer_person.last_start_time is null or customer_person.last_start_time <= v.start_time)`.execute(
        db.db,
      );
    }
  }
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
      .where(tenantOfRowsById(db, 'tenant_id'), '=', tenantId)
      .where('id', 'in', chunk)
      .orderBy('id');
    if (db.dialect === 'postgres') q = q.forShare();
    for (const c of await q.execute()) found.set(c.id, c.follow_status);
  }
  return found;
}
