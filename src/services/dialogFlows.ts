import type { Database } from '../db/database.js';
import type { FlowVersionLike } from '../domain/dialogEngine.js';
import {
  checkDialogFlow,
  type DialogFlowDefinition,
  flowVariables,
  inFormatOrder,
  scriptOf,
} from '../domain/dialogFlow.js';
import { type DialogFlowStatus, Industry, SubIndustry } from '../domain/enums.js';
import { invalidParameter, notFound } from '../domain/errors.js';
import { formatDateTime } from '../domain/time.js';
import {
  findDialogFlowVersion,
  insertDialogFlowVersion,
  listDialogFlowVersions,
  moveDialogFlowVersion,
  renameDialogFlow,
  setDialogFlowEnabled,
} from '../repositories/dialogFlows.js';
import { findIntentLevelTag } from '../repositories/intentLevelTags.js';
import { findDialogFlow, insertDialogFlow } from '../repositories/referenceData.js';
import type {
  CopyDialogFlowBody,
  CreateDialogFlowBody,
  DialogFlowDetail,
  DialogFlowVersionList,
  DialogFlowVersionRef,
  UpdateDialogFlowBody,
} from '../schemas/later/dialogFlows.js';

/*
 * Dialog flows as tenant data (docs/dialog-flows.md): written through the API's dialogFlow/
 * extensions, `outcall flow import` and (later) the console, each write checked against the format
 * (412 naming the path inside the flow). A flow's definition is versioned: every edit adds a
 * version, a job keeps the version it was made with, engines receive flow id and version.
 */

/** Whose flows: the tenant, and its time zone for the times shown. */
export interface FlowOwner {
  tenantId: number;
  timeZone: string;
}

const nameOf = (name: string, parameter = 'name') => {
  const trimmed = name.trim();
  if (!trimmed) throw invalidParameter(parameter, 'must not be empty');
  return trimmed;
};

async function ownedFlow(db: Database, owner: FlowOwner, dialogFlowId: number) {
  const flow = await findDialogFlow(db, owner.tenantId, dialogFlowId);
  if (!flow) throw notFound('dialogFlowId', dialogFlowId);
  return flow;
}

/** dialogFlow/createDialogFlow: a new flow at version 1. */
export async function createDialogFlow(
  db: Database,
  owner: FlowOwner,
  body: CreateDialogFlowBody,
  now = Date.now(),
): Promise<DialogFlowVersionRef> {
  const definition = checkDialogFlow(body.flow);
  const name = nameOf(body.name);
  const industry = body.industry === undefined ? 'OTHER' : Industry.parameter(body.industry, 'industry');
  const subIndustry = body.subIndustry === undefined ? 'OTHER' : SubIndustry.parameter(body.subIndustry, 'subIndustry');
  return db.transaction(async (trx) => {
    if (body.intentLevelTagId !== undefined && !(await findIntentLevelTag(trx, owner.tenantId, body.intentLevelTagId)))
      throw notFound('intentLevelTagId', body.intentLevelTagId);
    const dialogFlowId = await insertDialogFlow(trx, {
      tenant_id: owner.tenantId,
      name,
      definition,
      created_at: now,
      industry,
      sub_industry: subIndustry,
      ...(body.intentLevelTagId === undefined ? {} : { intent_level_tag_id: body.intentLevelTagId }),
    });
    return { dialogFlowId, version: 1 };
  });
}

/**
 * dialogFlow/updateDialogFlow: a new definition makes a new version (jobs made before keep theirs);
 * a new name renames the flow (names are not versioned). With `baseVersion`, refused if the flow has
 * moved on since that version; without, two concurrent edits still never both take one number.
 */
export async function updateDialogFlow(
  db: Database,
  owner: FlowOwner,
  body: UpdateDialogFlowBody,
  now = Date.now(),
): Promise<DialogFlowVersionRef> {
  const definition = body.flow === undefined ? undefined : checkDialogFlow(body.flow);
  const name = body.name === undefined ? undefined : nameOf(body.name);
  return db.transaction(async (trx) => {
    const flow = await ownedFlow(trx, owner, body.dialogFlowId);
    if (body.baseVersion !== undefined && body.baseVersion !== flow.version)
      throw invalidParameter(
        'baseVersion',
        `${body.baseVersion} is not the flow's current version ${flow.version}: it was edited since; start from version ${flow.version}`,
      );
    if (name !== undefined) await renameDialogFlow(trx, owner.tenantId, flow.id, name);
    if (definition === undefined) return { dialogFlowId: flow.id, version: flow.version };
    const version = flow.version + 1;
    if (!(await moveDialogFlowVersion(trx, owner.tenantId, flow.id, flow.version, { version, definition })))
      throw invalidParameter('dialogFlowId', `${flow.id} was edited at the same time: try again`);
    await insertDialogFlowVersion(trx, {
      tenant_id: owner.tenantId,
      dialog_flow_id: flow.id,
      version,
      definition,
      created_at: now,
    });
    return { dialogFlowId: flow.id, version };
  });
}

/** dialogFlow/copyDialogFlow: a new flow whose version 1 is a version of another (default its current one). */
export async function copyDialogFlow(
  db: Database,
  owner: FlowOwner,
  body: CopyDialogFlowBody,
  now = Date.now(),
): Promise<DialogFlowVersionRef> {
  return db.transaction(async (trx) => {
    const flow = await ownedFlow(trx, owner, body.dialogFlowId);
    const version = await versionOf(trx, owner, flow.id, body.version ?? flow.version);
    const dialogFlowId = await insertDialogFlow(trx, {
      tenant_id: owner.tenantId,
      name: body.name === undefined ? `${flow.name} 副本` : nameOf(body.name),
      definition: version.definition,
      created_at: now,
      industry: flow.industry as Industry,
      sub_industry: flow.sub_industry as SubIndustry,
      ...(flow.intent_level_tag_id === null ? {} : { intent_level_tag_id: flow.intent_level_tag_id }),
    });
    return { dialogFlowId, version: 1 };
  });
}

/**
 * dialogFlow/disableDialogFlow and enableDialogFlow: a disabled flow is given to no new job (412);
 * jobs that speak it go on, and it is still listed and readable.
 */
export async function setDialogFlowEnabledFor(
  db: Database,
  owner: FlowOwner,
  dialogFlowId: number,
  enabled: boolean,
): Promise<void> {
  if (!(await setDialogFlowEnabled(db, owner.tenantId, dialogFlowId, enabled)))
    throw notFound('dialogFlowId', dialogFlowId);
}

async function versionOf(db: Database, owner: FlowOwner, dialogFlowId: number, version: number) {
  const found = await findDialogFlowVersion(db, owner.tenantId, dialogFlowId, version);
  if (!found) throw notFound('version', version);
  return found;
}

/** dialogFlow/getDialogFlowDetail: a flow with one of its versions (default its current one). */
export async function getDialogFlowDetail(
  db: Database,
  owner: FlowOwner,
  query: { dialogFlowId: number; version?: number },
): Promise<DialogFlowDetail> {
  const flow = await ownedFlow(db, owner, query.dialogFlowId);
  const shown = await versionOf(db, owner, flow.id, query.version ?? flow.version);
  const definition = inFormatOrder(scriptOf(shown.definition));
  return {
    dialogFlowId: flow.id,
    name: flow.name,
    industry: flow.industry as DialogFlowDetail['industry'],
    subIndustry: flow.sub_industry as DialogFlowDetail['subIndustry'],
    intentLevelTagId: flow.intent_level_tag_id,
    status: flow.status as DialogFlowStatus,
    enabled: flow.enabled === 1,
    currentVersion: flow.version,
    version: shown.version,
    versionCreateTime: formatDateTime(shown.created_at, owner.timeZone),
    createTime: formatDateTime(flow.created_at, owner.timeZone),
    variables: flowVariables(definition),
    flow: definition,
  };
}

/** dialogFlow/getDialogFlowVersionList: a flow's versions, newest first. */
export async function getDialogFlowVersionList(
  db: Database,
  owner: FlowOwner,
  dialogFlowId: number,
): Promise<DialogFlowVersionList> {
  const flow = await ownedFlow(db, owner, dialogFlowId);
  return (await listDialogFlowVersions(db, owner.tenantId, flow.id)).map((v) => ({
    version: v.version,
    createTime: formatDateTime(v.created_at, owner.timeZone),
    current: v.version === flow.version,
  }));
}

/**
 * A flow version as an engine executes it (dialogEngine.ts nextTurn): for the engine protocol,
 * which hands engines a claimed task's flow id and version. Undefined when the tenant has no such
 * version.
 */
export async function loadDialogFlowVersion(
  db: Database,
  tenantId: number,
  dialogFlowId: number,
  version: number,
): Promise<(FlowVersionLike & { dialogFlowId: number; version: number }) | undefined> {
  const found = await findDialogFlowVersion(db, tenantId, dialogFlowId, version);
  return found && { dialogFlowId, version, definition: scriptOf(found.definition) as DialogFlowDefinition };
}
