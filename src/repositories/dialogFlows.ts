import type { Database } from '../db/database.js';
import { parseJson } from './rows.js';

/*
 * Dialog flows' versions (migration 0031): dialog_flow holds each flow's current version and its
 * definition, dialog_flow_version every version. The flow's own row is made by
 * referenceData.insertDialogFlow (with its version 1).
 */

/** Adds a version of a flow. Call inside the transaction that moves the flow to it (`moveDialogFlowVersion`). */
export async function insertDialogFlowVersion(
  db: Database,
  row: { tenant_id: number; dialog_flow_id: number; version: number; definition: unknown; created_at: number },
): Promise<void> {
  await db.db
    .insertInto('dialog_flow_version')
    .values({ ...row, definition: JSON.stringify(row.definition) })
    .execute();
}

/**
 * Makes `version` the flow's current one, with its definition, if the flow is still at `from`
 * (compare-and-set: of two concurrent edits, one wins and the other is told). Returns whether it moved.
 */
export async function moveDialogFlowVersion(
  db: Database,
  tenantId: number,
  dialogFlowId: number,
  from: number,
  to: { version: number; definition: unknown },
): Promise<boolean> {
  const result = await db.db
    .updateTable('dialog_flow')
    .set({ version: to.version, definition: JSON.stringify(to.definition) })
    .where('tenant_id', '=', tenantId)
    .where('id', '=', dialogFlowId)
    .where('version', '=', from)
    .executeTakeFirst();
  return Number(result.numUpdatedRows) === 1;
}

/** Renames a flow (its name is not versioned). */
export async function renameDialogFlow(db: Database, tenantId: number, dialogFlowId: number, name: string) {
  await db.db
    .updateTable('dialog_flow')
    .set({ name })
    .where('tenant_id', '=', tenantId)
    .where('id', '=', dialogFlowId)
    .execute();
}

export async function setDialogFlowEnabled(
  db: Database,
  tenantId: number,
  dialogFlowId: number,
  enabled: boolean,
): Promise<boolean> {
  const result = await db.db
    .updateTable('dialog_flow')
    .set({ enabled: enabled ? 1 : 0 })
    .where('tenant_id', '=', tenantId)
    .where('id', '=', dialogFlowId)
    .executeTakeFirst();
  return Number(result.numUpdatedRows) === 1;
}

/** One version of a flow, with its definition. */
export async function findDialogFlowVersion(db: Database, tenantId: number, dialogFlowId: number, version: number) {
  const row = await db.db
    .selectFrom('dialog_flow_version')
    .select(['dialog_flow_id', 'version', 'definition', 'created_at'])
    .where('tenant_id', '=', tenantId)
    .where('dialog_flow_id', '=', dialogFlowId)
    .where('version', '=', version)
    .executeTakeFirst();
  return row && { ...row, definition: parseJson<unknown>(row.definition, null) };
}

/** A flow's versions, newest first, without their definitions. */
export async function listDialogFlowVersions(db: Database, tenantId: number, dialogFlowId: number) {
  return db.db
    .selectFrom('dialog_flow_version')
    .select(['version', 'created_at'])
    .where('tenant_id', '=', tenantId)
    .where('dialog_flow_id', '=', dialogFlowId)
    .orderBy('version', 'desc')
    .execute();
}

/** The ids among `ids` of the tenant's flows that are disabled. */
export async function findDisabledDialogFlows(db: Database, tenantId: number, ids: number[]): Promise<number[]> {
  if (ids.length === 0) return [];
  const rows = await db.db
    .selectFrom('dialog_flow')
    .select('id')
    .where('tenant_id', '=', tenantId)
    .where('id', 'in', ids)
    .where('enabled', '=', 0)
    .execute();
  return rows.map((r) => r.id);
}
