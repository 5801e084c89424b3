import { type SqlBool, sql } from 'kysely';
import type { Database } from '../db/database.js';
import type { FollowStatus, IntentLevel, ResultStatus } from '../domain/enums.js';
import { chunks } from './rows.js';
import { contains } from './text.js';

/** The tenant's called customers (customers with real call records), as job/reAddCustomerToJob selects them. */

export interface CalledCustomerFilter {
  /** Only each customer's latest real call record is tested (by start time, then id). */
  lastCallRecord?: boolean;
  /** Substring of the called number or the customer's name, or a call record id. */
  searchWords?: string;
  customerGroupId?: number;
  resultStatuses?: ResultStatus[];
  intentLevels?: IntentLevel[];
  followStatus?: FollowStatus;
  dialogFlowId?: number;
  /** Call start bounds in epoch ms: [startFrom, startBefore). */
  startFrom?: number;
  startBefore?: number;
}

/**
 * The customers among `customerIds` (a bounded list) with at least one real (not script-training)
 * call record of the tenant's, in any job, passing the filter; with their current phone numbers.
 */
export async function findCalledCustomers(
  db: Database,
  tenantId: number,
  customerIds: number[],
  f: CalledCustomerFilter,
): Promise<{ id: number; phone_number: string }[]> {
  const found: { id: number; phone_number: string }[] = [];
  for (const chunk of chunks(customerIds, 500)) {
    let q = db.db
      .selectFrom('customer_person as c')
      .select(['c.id', 'c.phone_number'])
      .where('c.tenant_id', '=', tenantId)
      .where('c.id', 'in', chunk);
    if (f.followStatus !== undefined) q = q.where('c.follow_status', '=', f.followStatus);
    q = q.where(({ exists, selectFrom }) => {
      let r = selectFrom('call_record as r')
        .select('r.id')
        .where('r.tenant_id', '=', tenantId)
        .whereRef('r.customer_person_id', '=', 'c.id')
        .where('r.is_training', '=', 0);
      if (f.lastCallRecord) {
        r = r.where(
          'r.id',
          '=',
          sql<number>`(select m.id from call_record m where m.tenant_id = ${tenantId} and m.customer_person_id = c.id
            and m.is_training = 0 order by m.start_time desc, m.id desc limit 1)`,
        );
      }
      if (f.customerGroupId !== undefined) r = r.where('r.customer_group_id', '=', f.customerGroupId);
      if (f.dialogFlowId !== undefined) r = r.where('r.dialog_flow_id', '=', f.dialogFlowId);
      if (f.resultStatuses) r = r.where('r.result_status', 'in', f.resultStatuses);
      if (f.intentLevels) r = r.where('r.intent_level', 'in', f.intentLevels);
      if (f.startFrom !== undefined) r = r.where('r.start_time', '>=', f.startFrom);
      if (f.startBefore !== undefined) r = r.where('r.start_time', '<', f.startBefore);
      if (f.searchWords !== undefined) {
        const words = f.searchWords;
        const byId = /^\d{1,15}$/.test(words) ? sql<SqlBool>` or r.id = ${Number(words)}` : sql``;
        r = r.where(
          sql<SqlBool>`(${contains(sql.ref('r.called_phone_number'), words)} or ${contains(sql.ref('c.name'), words)}${byId})`,
        );
      }
      return exists(r);
    });
    found.push(...(await q.orderBy('c.id').execute()));
  }
  return found;
}
