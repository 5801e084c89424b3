import { sql, type Insertable, type Kysely, type Transaction } from 'kysely';
import type { CallDetailTable, CallRecordTable, DB } from '../db/schema.js';
import { contains } from './text.js';

/** Call records (finished dial attempts) and their transcript turns. */

export interface CallRecordFilter {
  jobId: number;
  /** Script-training calls only (true) or real calls only (false). */
  training: boolean;
  customerGroupId?: number;
  dialogFlowId?: number;
  followStatus?: string;
  /** Start time bounds in epoch ms: [startFrom, startBefore). */
  startFrom?: number;
  startBefore?: number;
  resultStatuses?: string[];
  intentLevels?: string[];
  /** Substring of the called number or of the customer's name. */
  searchWords?: string;
}

// Conditions on the customer are subqueries, so the count needs no join.
function filteredRecords(db: Kysely<DB>, tenantId: number, f: CallRecordFilter) {
  const customers = () => db.selectFrom('customer_person as c').select('c.id').where('c.tenant_id', '=', tenantId);
  let q = db
    .selectFrom('call_record as r')
    .where('r.tenant_id', '=', tenantId)
    .where('r.job_id', '=', f.jobId)
    .where('r.is_training', '=', f.training ? 1 : 0);
  if (f.customerGroupId !== undefined) q = q.where('r.customer_group_id', '=', f.customerGroupId);
  if (f.dialogFlowId !== undefined) q = q.where('r.dialog_flow_id', '=', f.dialogFlowId);
  if (f.startFrom !== undefined) q = q.where('r.start_time', '>=', f.startFrom);
  if (f.startBefore !== undefined) q = q.where('r.start_time', '<', f.startBefore);
  if (f.resultStatuses?.length) q = q.where('r.result_status', 'in', f.resultStatuses);
  if (f.intentLevels?.length) q = q.where('r.intent_level', 'in', f.intentLevels);
  if (f.followStatus !== undefined) {
    q = q.where('r.customer_person_id', 'in', customers().where('c.follow_status', '=', f.followStatus!));
  }
  if (f.searchWords !== undefined) {
    const words = f.searchWords;
    q = q.where((eb) =>
      eb.or([
        contains(sql.ref('r.called_phone_number'), words),
        eb('r.customer_person_id', 'in', customers().where(contains(sql.ref('c.name'), words))),
      ]),
    );
  }
  return q;
}

export async function countCallRecords(db: Kysely<DB>, tenantId: number, filter: CallRecordFilter): Promise<number> {
  const row = await filteredRecords(db, tenantId, filter).select((eb) => eb.fn.countAll<number>().as('n')).executeTakeFirstOrThrow();
  return Number(row.n);
}

/** One page of call records, newest first, with the names each item shows. */
export async function listCallRecords(db: Kysely<DB>, tenantId: number, filter: CallRecordFilter, limit: number, offset: number) {
  return filteredRecords(db, tenantId, filter)
    .leftJoin('customer_person as cp', 'cp.id', 'r.customer_person_id')
    .leftJoin('customer_group as g', 'g.id', 'r.customer_group_id')
    .innerJoin('robot_call_job as j', 'j.id', 'r.job_id')
    .leftJoin('dialog_flow as f', 'f.id', 'r.dialog_flow_id')
    .selectAll('r')
    .select([
      'g.name as customer_group_name',
      'j.name as job_name',
      'f.name as dialog_flow_name',
      'cp.name as customer_name',
      'cp.phone_number as customer_phone_number',
      'cp.gender as customer_gender',
      'cp.follow_status as customer_follow_status',
      'cp.properties as customer_properties',
    ])
    .orderBy('r.start_time', 'desc')
    .orderBy('r.id', 'desc')
    .limit(limit)
    .offset(offset)
    .execute();
}

/** Transcript turns of several records in one query, in speaking order. */
export async function turnsOf(db: Kysely<DB>, tenantId: number, callRecordIds: number[]) {
  if (callRecordIds.length === 0) return [];
  return db
    .selectFrom('call_detail')
    .select(['id', 'call_record_id', 'type', 'text'])
    .where('tenant_id', '=', tenantId)
    .where('call_record_id', 'in', callRecordIds)
    .orderBy('call_record_id')
    .orderBy('seq')
    .execute();
}

/** One call record of the tenant with its customer, or undefined. */
export async function findCallRecord(db: Kysely<DB>, tenantId: number, callRecordId: number) {
  return db.selectFrom('call_record').selectAll().where('tenant_id', '=', tenantId).where('id', '=', callRecordId).executeTakeFirst();
}

/** Inserts records whose idempotency key is new; returns the ids given, by key. */
export async function insertNewCallRecords(trx: Transaction<DB>, rows: Insertable<CallRecordTable>[]): Promise<Map<string, number>> {
  const inserted = new Map<string, number>();
  for (const chunk of chunks(rows, 500)) {
    const out = await trx
      .insertInto('call_record')
      .values(chunk)
      .onConflict((oc) => oc.columns(['tenant_id', 'idempotency_key']).doNothing())
      .returning(['id', 'idempotency_key'])
      .execute();
    for (const r of out) inserted.set(r.idempotency_key, r.id);
  }
  return inserted;
}

export async function findIdsByIdempotencyKey(db: Kysely<DB>, tenantId: number, keys: string[]): Promise<Map<string, number>> {
  const found = new Map<string, number>();
  for (const chunk of chunks(keys, 500)) {
    const rows = await db
      .selectFrom('call_record')
      .select(['id', 'idempotency_key'])
      .where('tenant_id', '=', tenantId)
      .where('idempotency_key', 'in', chunk)
      .execute();
    for (const r of rows) found.set(r.idempotency_key, r.id);
  }
  return found;
}

export async function insertTurns(trx: Transaction<DB>, rows: Insertable<CallDetailTable>[]): Promise<void> {
  for (const chunk of chunks(rows, 1000)) await trx.insertInto('call_detail').values(chunk).execute();
}

export function chunks<T>(items: T[], size: number): T[][] {
  const out: T[][] = [];
  for (let i = 0; i < items.length; i += size) out.push(items.slice(i, i + size));
  return out;
}
