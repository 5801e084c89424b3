import type { Database } from '../db/database.js';
import { forbidden, unauthenticated } from '../domain/errors.js';
import { findKeyCredentials } from '../repositories/tenants.js';
import { computeSignature, signatureMatches } from './signature.js';

/** Who a signed request speaks for: every query it makes is scoped to this tenant. */
export interface Caller {
  tenantId: number;
  timeZone: string;
  appKey: string;
}

export interface SignedHeaders {
  appKey?: string;
  version?: string;
  timestamp?: string;
  signature?: string;
}

export const SUPPORTED_VERSIONS = ['v1'];

export async function authenticate(
  db: Database,
  headers: SignedHeaders,
  now: number,
  windowMs: number,
): Promise<Caller> {
  const { appKey, version, timestamp, signature } = headers;
  if (!appKey) throw unauthenticated('missing header appKey');
  if (!signature) throw unauthenticated('missing header signature');
  if (!version) throw unauthenticated('missing header version');
  if (!SUPPORTED_VERSIONS.includes(version))
    throw unauthenticated(`unsupported version "${version}" (supported: ${SUPPORTED_VERSIONS.join(', ')})`);
  if (!timestamp || !/^\d{1,16}$/.test(timestamp))
    throw unauthenticated('header timestamp must be milliseconds since the epoch');
  if (Math.abs(now - Number(timestamp)) > windowMs) {
    throw unauthenticated(`timestamp is more than ${windowMs / 1000} s away from the server clock`);
  }
  const key = await findKeyCredentials(db, appKey);
  if (!key) throw unauthenticated('unknown appKey');
  const expected = computeSignature({
    appKey,
    appSecret: key.app_secret,
    tenantSign: key.tenant_sign,
    version,
    timestamp,
  });
  if (!signatureMatches(signature, expected)) throw unauthenticated('signature does not match');
  if (!key.enabled) throw forbidden('this appKey is disabled');
  return { tenantId: key.tenant_id, timeZone: key.time_zone, appKey };
}
