import { randomBytes } from 'node:crypto';
import type { Kysely } from 'kysely';
import type { DB } from '../db/schema.js';
import { DEFAULT_DIALOG_FLOW } from '../domain/dialogFlow.js';
import { DEFAULT_TIME_ZONE, isValidTimeZone } from '../domain/time.js';
import { insertReference } from '../repositories/reference.js';
import { findTenantBySign, insertApiKey, insertTenant } from '../repositories/tenants.js';
import { invalidParameter } from './errors.js';

/** Tenants (companies) and their API keys. */


export interface Credentials {
  tenantId: number;
  appKey: string;
  appSecret: string;
  tenantSign: string;
}

const ALPHANUMERIC = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789';

function randomText(length: number): string {
  // 248 = 62 × 4: bytes at or above it are dropped so every character is equally likely.
  let text = '';
  while (text.length < length) for (const b of randomBytes(length * 2)) if (b < 248 && text.length < length) text += ALPHANUMERIC[b % 62];
  return text;
}

export async function createApiKey(db: Kysely<DB>, tenantId: number, now = Date.now()): Promise<{ appKey: string; appSecret: string }> {
  const appKey = randomText(16);
  const appSecret = randomText(32);
  await insertApiKey(db, tenantId, appKey, appSecret, now);
  return { appKey, appSecret };
}

export async function createTenant(
  db: Kysely<DB>,
  input: { name: string; tenantSign: string; timeZone?: string },
  now = Date.now(),
): Promise<Credentials> {
  const name = input.name.trim();
  const timeZone = input.timeZone ?? DEFAULT_TIME_ZONE;
  if (!name) throw invalidParameter('name', 'must not be empty');
  if (!/^[A-Za-z0-9_-]{2,64}$/.test(input.tenantSign)) throw invalidParameter('tenantSign', 'must be 2–64 letters, digits, _ or -');
  if (!isValidTimeZone(timeZone)) throw invalidParameter('timeZone', `"${timeZone}" is not an IANA time zone`);
  return db.transaction().execute(async (trx) => {
    if (await findTenantBySign(trx, input.tenantSign)) throw invalidParameter('tenantSign', `"${input.tenantSign}" is taken`);
    const tenantId = await insertTenant(trx, { name, tenantSign: input.tenantSign, timeZone, now });
    const key = await createApiKey(trx, tenantId, now);
    // A dialog flow to start with, so the new tenant can create a job at once.
    await insertReference(trx, 'dialog_flow', { tenant_id: tenantId, name: DEFAULT_DIALOG_FLOW.name, definition: JSON.stringify(DEFAULT_DIALOG_FLOW.script), created_at: now });
    return { tenantId, tenantSign: input.tenantSign, ...key };
  });
}
