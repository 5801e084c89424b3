import type { Database } from '../db/database.js';
import { validateCallbackUrl } from '../domain/callbackUrl.js';
import { robotTexts, variablesIn } from '../domain/dialogFlow.js';
import { invalidParameter, notFound } from '../domain/errors.js';
import { checkTenantSign } from '../domain/tenant.js';
import { formatDateTime } from '../domain/time.js';
import {
  findIntentLevelTag,
  listIntentLevelTagDetails,
  listUsedIntentLevelTags,
} from '../repositories/intentLevelTags.js';
import { findDialogFlow, listDialogFlows, listPhoneLines } from '../repositories/referenceData.js';
import { findTenant, findTenantBySign, updateTenantIsvInfo } from '../repositories/tenants.js';
import type {
  DialogFlowCallJobRelatedInfo,
  IntentLevelTag,
  IntentLevelTagItem,
  LaterDialogFlow,
  LaterPhoneLine,
  TenantInfo,
  UpdateIsvInfoBody,
} from '../schemas/later/tenant.js';
import type { Caller } from './auth.js';

/*
 * The later API's look-ups of the caller's tenant and what it owns (docs/later/tenant.md), and the
 * one setting it changes itself: isv/updateIsvInfo.
 */

/** tenant/getTenant. */
export async function getTenant(db: Database, caller: Caller): Promise<TenantInfo> {
  const tenant = await findTenant(db, caller.tenantId);
  // The key was just proven against this tenant: it exists unless it vanished since.
  if (!tenant) throw notFound('tenant', caller.tenantId);
  return { tenantId: tenant.id, tenantName: tenant.name };
}

/** phone/getPhoneList: every caller line of the tenant, by id. */
export async function getPhoneList(db: Database, caller: Caller): Promise<LaterPhoneLine[]> {
  return (await listPhoneLines(db, caller.tenantId)).map((l) => ({
    tenantPhoneNumberId: l.id,
    phoneNumber: l.phone_number,
    phoneName: l.name,
    phoneType: l.phone_type,
    // The platform documents the rates as strings (its field table); the examples show numbers.
    localBillRate: String(l.local_bill_rate),
    otherBillRate: String(l.other_bill_rate),
    callOutIndustry: l.call_out_industry as LaterPhoneLine['callOutIndustry'],
    areaCode: l.area_code,
    province: l.province,
    city: l.city,
  }));
}

/** dialogFlow/getDialogFlowList: every dialog flow of the tenant, by id. */
export async function getDialogFlowList(db: Database, caller: Caller): Promise<LaterDialogFlow[]> {
  return (await listDialogFlows(db, caller.tenantId)).map((f) => ({
    dialogFlowId: f.id,
    name: f.name,
    industry: f.industry as LaterDialogFlow['industry'],
    subIndustry: f.sub_industry as LaterDialogFlow['subIndustry'],
    intentLevelTagId: f.intent_level_tag_id,
    status: f.status as LaterDialogFlow['status'],
    createTime: formatDateTime(f.created_at, caller.timeZone),
    version: f.version,
    enabled: f.enabled === 1,
  }));
}

/**
 * dialogFlow/getDialogFlowCallJobRelatedInfo. A flow has placeholders when the robot's texts use a
 * `${name}` variable (filled from each customer's properties). outcall's dialog flows have no
 * transfer to a human agent and no human intervention: those two are false for every flow.
 */
export async function getDialogFlowCallJobRelatedInfo(
  db: Database,
  caller: Caller,
  dialogFlowId: number,
): Promise<DialogFlowCallJobRelatedInfo> {
  const flow = await findDialogFlow(db, caller.tenantId, dialogFlowId);
  if (!flow) throw notFound('dialogFlowId', dialogFlowId);
  return {
    dialogFlowId: flow.id,
    placeholderExist: robotTexts(flow.definition).some((t) => variablesIn(t).length > 0),
    jumpToHumanServiceExist: false,
    humanInterventionExist: false,
  };
}

/** intentLevelTag/getUsedIntentLevelTagList: the tenant's groups that at least one of its dialog flows uses. */
export async function getUsedIntentLevelTagList(db: Database, caller: Caller): Promise<IntentLevelTagItem[]> {
  return (await listUsedIntentLevelTags(db, caller.tenantId)).map((t) => ({ intentLevelTagId: t.id, name: t.name }));
}

/** intentLevelTag/getIntentLevelTag: one of the tenant's groups with its level names. */
export async function getIntentLevelTag(
  db: Database,
  caller: Caller,
  intentLevelTagId: number,
): Promise<IntentLevelTag> {
  const [tag, details] = await Promise.all([
    findIntentLevelTag(db, caller.tenantId, intentLevelTagId),
    listIntentLevelTagDetails(db, caller.tenantId, intentLevelTagId),
  ]);
  if (!tag) throw notFound('intentLevelTagId', intentLevelTagId);
  return { intentLevelTagId: tag.id, name: tag.name, details };
}

/** A callback URL of the request: undefined (absent or null) keeps it, "" clears it (null). */
function callbackUrlChange(value: string | null | undefined, parameter: string): string | null | undefined {
  if (value === undefined || value === null) return undefined;
  const url = value.trim();
  return url === '' ? null : validateCallbackUrl(url, parameter);
}

/**
 * isv/updateIsvInfo: the tenant's sign and callback URLs. The signature check reads the sign from
 * the database on every request (services/auth.ts keeps no copy), so from the answer on, in every
 * process, requests must be signed with the new sign and the old one's signatures are refused.
 */
export async function updateIsvInfo(db: Database, caller: Caller, body: UpdateIsvInfoBody): Promise<void> {
  const tenantSign = checkTenantSign(body.tenantSign);
  const callbackUrl = callbackUrlChange(body.callbackUrl, 'callbackUrl');
  const smsCallbackUrl = callbackUrlChange(body.smsCallbackUrl, 'smsCallbackUrl');
  const taken = async () => {
    const holder = await findTenantBySign(db, tenantSign);
    return holder !== undefined && holder.id !== caller.tenantId;
  };
  const refuse = () => invalidParameter('tenantSign', `"${tenantSign}" is taken by another tenant`);
  if (await taken()) throw refuse();
  try {
    // One statement: the sign and the URLs change together or not at all.
    await updateTenantIsvInfo(db, caller.tenantId, {
      tenant_sign: tenantSign,
      ...(callbackUrl === undefined ? {} : { callback_url: callbackUrl }),
      ...(smsCallbackUrl === undefined ? {} : { sms_callback_url: smsCallbackUrl }),
    });
  } catch (error) {
    // Another tenant took the sign between the check and the update: the unique index refused it.
    if (await taken()) throw refuse();
    throw error;
  }
}
