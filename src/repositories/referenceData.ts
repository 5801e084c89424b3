import type { Insertable, Kysely } from 'kysely';
import type { Database } from '../db/database.js';
import type { DB } from '../db/schema.js';
import type { DialogFlowStatus, Industry, SubIndustry } from '../domain/enums.js';
import { parseJson } from './rows.js';

/**
 * Reference data a job points at: organizations, users, dialog flows, SMS templates, caller lines
 * and customer groups. Each row belongs to one tenant.
 */

type ReferenceTable = 'organization' | 'app_user' | 'sms_template' | 'phone_line' | 'customer_group';

export async function insertReference<T extends ReferenceTable>(
  db: Database,
  table: T,
  row: Insertable<DB[T]>,
): Promise<number> {
  // Every reference table has an `id`; Kysely cannot see that through the generic table name.
  // biome-ignore lint/suspicious/noExplicitAny: the table is one of ReferenceTable, checked by the signature
  const inserted: unknown = await (db.db as Kysely<any>)
    .insertInto(table)
    .values(row)
    .returning('id')
    .executeTakeFirstOrThrow();
  return (inserted as { id: number }).id;
}

/**
 * A dialog flow at its version 1 (both rows: the flow, and the version); without an intent-level
 * tag group it gets the tenant's built-in one (its first). The definition is stored as given: the
 * services check it (domain/dialogFlow.ts checkDialogFlow) before.
 */
export async function insertDialogFlow(
  db: Database,
  flow: {
    tenant_id: number;
    name: string;
    definition: unknown;
    created_at: number;
    industry?: Industry;
    sub_industry?: SubIndustry;
    status?: DialogFlowStatus;
    intent_level_tag_id?: number;
  },
): Promise<number> {
  const row = await db.db
    .insertInto('dialog_flow')
    .values({
      ...flow,
      definition: JSON.stringify(flow.definition),
      intent_level_tag_id:
        flow.intent_level_tag_id ??
        db.db
          .selectFrom('intent_level_tag')
          .select((eb) => eb.fn.min('id').as('id'))
          .where('tenant_id', '=', flow.tenant_id),
    })
    .returning('id')
    .executeTakeFirstOrThrow();
  await db.db
    .insertInto('dialog_flow_version')
    .values({
      tenant_id: flow.tenant_id,
      dialog_flow_id: row.id,
      version: 1,
      definition: JSON.stringify(flow.definition),
      created_at: flow.created_at,
    })
    .execute();
  return row.id;
}

export async function findDialogFlow(db: Database, tenantId: number, dialogFlowId: number) {
  const flow = await db.db
    .selectFrom('dialog_flow')
    .selectAll()
    .where('tenant_id', '=', tenantId)
    .where('id', '=', dialogFlowId)
    .executeTakeFirst();
  return flow && { ...flow, definition: parseJson<unknown>(flow.definition, null) };
}

export async function listDialogFlows(db: Database, tenantId: number) {
  return db.db
    .selectFrom('dialog_flow')
    .select([
      'id',
      'name',
      'created_at',
      'industry',
      'sub_industry',
      'status',
      'intent_level_tag_id',
      'version',
      'enabled',
    ])
    .where('tenant_id', '=', tenantId)
    .orderBy('id')
    .execute();
}

export async function listPhoneLines(db: Database, tenantId: number) {
  return db.db
    .selectFrom('phone_line')
    .select([
      'id',
      'phone_number',
      'phone_type',
      'name',
      'local_bill_rate',
      'other_bill_rate',
      'call_out_industry',
      'area_code',
      'province',
      'city',
    ])
    .where('tenant_id', '=', tenantId)
    .orderBy('id')
    .execute();
}

/** The ids among `ids` that are the tenant's own rows of a reference table. */
export async function findOwnedIds(
  db: Database,
  table: 'dialog_flow' | 'sms_template' | 'phone_line' | 'customer_group',
  tenantId: number,
  ids: number[],
): Promise<Set<number>> {
  if (ids.length === 0) return new Set();
  const rows = await db.db
    .selectFrom(table)
    .select('id')
    .where('tenant_id', '=', tenantId)
    .where('id', 'in', ids)
    .execute();
  return new Set(rows.map((r) => r.id));
}
