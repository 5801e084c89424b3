import { randomBytes } from 'node:crypto';
import type { Database } from '../db/database.js';
import type { SignatureVersion } from '../db/schema.js';
import { DEFAULT_DIALOG_FLOW } from '../domain/dialogFlow.js';
import { invalidParameter, notFound } from '../domain/errors.js';
import { BUILT_IN_INTENT_LEVEL_TAG, checkTenantSign } from '../domain/tenant.js';
import { DEFAULT_TIME_ZONE, isValidTimeZone } from '../domain/time.js';
import { insertIntentLevelTag } from '../repositories/intentLevelTags.js';
import { insertDialogFlow } from '../repositories/referenceData.js';
import {
  findEnabledApiKey,
  findTenant,
  findTenantBySign,
  insertApiKey,
  insertTenant,
  listApiKeys,
  updateApiKeyEnabled,
  updateApiKeySignatureVersion,
  updateTenantTimeZone,
} from '../repositories/tenants.js';
import { auditChangeOutsideRequest } from './auditLog.js';
import { callbackSecretOf } from './callbacks.js';
import { appSecretContext, decryptSecret, encryptSecret } from './secrets.js';

/** Tenants (companies) and their API keys. */

export interface Credentials {
  tenantId: number;
  appKey: string;
  appSecret: string;
  tenantSign: string;
}

const ALPHANUMERIC = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789';

export function randomText(length: number): string {
  // 248 = 62 × 4: bytes at or above it are dropped so every character is equally likely.
  let text = '';
  while (text.length < length)
    for (const b of randomBytes(length * 2)) if (b < 248 && text.length < length) text += ALPHANUMERIC[b % 62];
  return text;
}

/** A new key; its secret is returned in clear (shown once) and stored encrypted. */
export async function createApiKey(
  db: Database,
  tenantId: number,
  now = Date.now(),
  options: { minSignatureVersion?: SignatureVersion } = {},
): Promise<{ appKey: string; appSecret: string; signatureVersion: SignatureVersion }> {
  const appKey = randomText(16);
  const appSecret = randomText(32);
  const signatureVersion = options.minSignatureVersion ?? 'v1';
  await insertApiKey(db, tenantId, appKey, encryptSecret(appSecret, appSecretContext(appKey)), now, signatureVersion);
  return { appKey, appSecret, signatureVersion };
}

export async function createTenant(
  db: Database,
  input: { name: string; tenantSign: string; timeZone?: string },
  now = Date.now(),
): Promise<Credentials> {
  const name = input.name.trim();
  const timeZone = input.timeZone ?? DEFAULT_TIME_ZONE;
  if (!name) throw invalidParameter('name', 'must not be empty');
  checkTenantSign(input.tenantSign);
  if (!isValidTimeZone(timeZone)) throw invalidParameter('timeZone', `"${timeZone}" is not an IANA time zone`);
  return db.transaction(async (trx) => {
    if (await findTenantBySign(trx, input.tenantSign))
      throw invalidParameter('tenantSign', `"${input.tenantSign}" is taken`);
    const tenantId = await insertTenant(trx, { name, tenantSign: input.tenantSign, timeZone, now });
    const { appKey, appSecret } = await createApiKey(trx, tenantId, now);
    // The key callbacks are signed with (docs/callbacks.md), shown by `outcall tenant callback-secret`.
    await callbackSecretOf(trx, tenantId);
    // The built-in intent-level tag group first: the dialog flows below (and later ones) use it.
    await insertIntentLevelTag(
      trx,
      { tenant_id: tenantId, name: BUILT_IN_INTENT_LEVEL_TAG.name, created_at: now },
      BUILT_IN_INTENT_LEVEL_TAG.details,
    );
    // A dialog flow to start with, so the new tenant can create a job at once.
    await insertDialogFlow(trx, {
      tenant_id: tenantId,
      name: DEFAULT_DIALOG_FLOW.name,
      definition: DEFAULT_DIALOG_FLOW.script,
      created_at: now,
    });
    return { tenantId, tenantSign: input.tenantSign, appKey, appSecret };
  });
}

/** A tenant named by id or by tenantSign (operators use either); undefined when there is none. */
export async function findTenantByIdOrSign(db: Database, ref: { tenantId?: number; tenantSign?: string }) {
  if (ref.tenantId !== undefined) return findTenant(db, ref.tenantId);
  if (ref.tenantSign !== undefined) return findTenantBySign(db, ref.tenantSign);
  return undefined;
}

/** API keys without their secrets: every tenant's, or one tenant's. */
export async function listKeys(db: Database, tenantId?: number) {
  return listApiKeys(db, tenantId);
}

/** Allows or refuses every request signed with the key; false when there is no such key. */
export async function setKeyEnabled(
  db: Database,
  appKey: string,
  enabled: boolean,
  now = Date.now(),
): Promise<boolean> {
  return updateApiKeyEnabled(db, appKey, enabled, now);
}

/** 'v2' refuses requests signed with v1; 'v1' (the default) accepts both. False when there is no such key. */
export async function setKeySignatureVersion(
  db: Database,
  appKey: string,
  minSignatureVersion: SignatureVersion,
): Promise<boolean> {
  return updateApiKeySignatureVersion(db, appKey, minSignatureVersion);
}

/**
 * The tenant's time zone from now on (an IANA name). Statistics already counted stay on the days
 * they were counted on (job_day_stats is keyed by the tenant-local day at write time); calls from
 * now on count on the new zone's days, calling hours are read in it, and times are shown in it
 * (docs/statistics.md). `audit` is given by callers outside an HTTP request (the CLI); a request's
 * own entry is written by the app's hook. Answers the zone and whether it changed.
 */
export async function setTenantTimeZone(
  db: Database,
  tenantId: number,
  timeZone: string,
  options: { audit?: 'cli'; now?: number } = {},
): Promise<{ timeZone: string; changed: boolean }> {
  if (!isValidTimeZone(timeZone.trim()))
    throw invalidParameter('timeZone', `"${timeZone}" is not an IANA time zone (e.g. Asia/Shanghai)`);
  // Its canonical spelling (asia/shanghai → Asia/Shanghai), as every other tenant's is stored.
  const zone = new Intl.DateTimeFormat('en-US', { timeZone: timeZone.trim() }).resolvedOptions().timeZone;
  return db.transaction(async (trx) => {
    const tenant = await findTenant(trx, tenantId);
    if (!tenant) throw notFound('tenantId', tenantId);
    if (tenant.time_zone === zone) return { timeZone: zone, changed: false };
    await updateTenantTimeZone(trx, tenantId, zone);
    if (options.audit)
      await auditChangeOutsideRequest(trx, {
        tenantId,
        actor: options.audit,
        action: 'tenant/setTimeZone',
        resultMsg: `time zone ${tenant.time_zone} → ${zone}`,
        summary: null,
        at: options.now ?? Date.now(),
      });
    return { timeZone: zone, changed: true };
  });
}

/** The tenant's first enabled key with its secret in clear (the demo prints it); undefined when it has none. */
export async function firstEnabledKey(
  db: Database,
  tenantId: number,
): Promise<{ appKey: string; appSecret: string } | undefined> {
  const key = await findEnabledApiKey(db, tenantId);
  return key && { appKey: key.app_key, appSecret: decryptSecret(key.app_secret, appSecretContext(key.app_key)) };
}
