import type { Database } from '../db/database.js';
import type { SignatureVersion } from '../db/schema.js';
import { forbidden, unauthenticated } from '../domain/errors.js';
import { deleteExpiredSignatureNonces, findKeyCredentials, insertSignatureNonce } from '../repositories/tenants.js';
import { appSecretContext, decryptSecret } from './secrets.js';
import {
  computeSignature,
  computeSignatureV2,
  NONCE_PATTERN,
  type SignedRequestParts,
  signatureMatches,
} from './signature.js';

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
  /** v2 only. */
  nonce?: string;
}

export const SUPPORTED_VERSIONS: readonly SignatureVersion[] = ['v1', 'v2'];

/**
 * The outcome of the checks that need only the headers: v1 is then decided (`caller`); v2 signs
 * the body too, so its signature is checked by `verify` once the body has been read.
 */
export type HeaderCheck = { caller: Caller } | { verify: (request: SignedRequestParts) => Promise<Caller> };

/** Expired nonces are purged at most this often per database handle (a cheap indexed delete). */
const NONCE_PURGE_INTERVAL_MS = 60_000;
const lastNoncePurge = new WeakMap<Database, number>();

/**
 * Checks a signed request's headers (docs/signature.md, "What is checked, in order"). For v1 this
 * is the whole check, as early as the headers arrive. For v2 everything that needs no body is
 * checked here — headers, window, nonce form, the appKey — so that a request from a stranger is
 * refused before its body is read.
 */
export async function authenticate(
  db: Database,
  headers: SignedHeaders,
  now: number,
  windowMs: number,
): Promise<HeaderCheck> {
  const { appKey, version, timestamp, signature, nonce } = headers;
  if (!appKey) throw unauthenticated('missing header appKey');
  if (!signature) throw unauthenticated('missing header signature');
  if (!version) throw unauthenticated('missing header version');
  if (!(SUPPORTED_VERSIONS as readonly string[]).includes(version))
    throw unauthenticated(`unsupported version "${version}" (supported: ${SUPPORTED_VERSIONS.join(', ')})`);
  if (!timestamp || !/^\d{1,16}$/.test(timestamp))
    throw unauthenticated('header timestamp must be milliseconds since the epoch');
  if (Math.abs(now - Number(timestamp)) > windowMs) {
    throw unauthenticated(`timestamp is more than ${windowMs / 1000} s away from the server clock`);
  }
  if (version === 'v2') {
    if (!nonce) throw unauthenticated('missing header nonce (signature version v2)');
    if (!NONCE_PATTERN.test(nonce)) throw unauthenticated('header nonce must be 16–64 of A–Z a–z 0–9 _ -');
  }
  // Read on every request, never cached: isv/updateIsvInfo changes the tenant's sign, and the
  // change must hold at once in every process (as must disabling a key).
  const key = await findKeyCredentials(db, appKey);
  if (!key) throw unauthenticated('unknown appKey');
  const caller = { tenantId: key.tenant_id, timeZone: key.time_zone, appKey };

  if (version === 'v1') {
    const expected = computeSignature({
      appKey,
      appSecret: decryptSecret(key.app_secret, appSecretContext(appKey)),
      tenantSign: key.tenant_sign,
      version,
      timestamp,
    });
    if (!signatureMatches(signature, expected)) throw unauthenticated('signature does not match');
    if (key.min_signature_version === 'v2')
      throw unauthenticated('this appKey accepts only signature version v2 (docs/signature.md)');
    if (!key.enabled) throw forbidden('this appKey is disabled');
    return { caller };
  }

  return {
    verify: async (request) => {
      const expected = computeSignatureV2({
        ...request,
        url: request.url.replace(/^[A-Za-z][A-Za-z0-9+.-]*:\/\/[^/?#]*/, ''), // absolute-form request-target
        appKey,
        appSecret: decryptSecret(key.app_secret, appSecretContext(appKey)),
        timestamp,
        nonce: nonce!,
      });
      if (!signatureMatches(signature, expected)) throw unauthenticated('signature does not match');
      if (!key.enabled) throw forbidden('this appKey is disabled');
      // Remembered until the request's own timestamp leaves the window: until then it could be replayed.
      // The clock the window was checked against (the headers arrived a moment ago).
      if (!(await insertSignatureNonce(db, appKey, nonce!, Number(timestamp) + windowMs, now)))
        throw unauthenticated('nonce already used (a replayed request)');
      if (now - (lastNoncePurge.get(db) ?? Number.NEGATIVE_INFINITY) >= NONCE_PURGE_INTERVAL_MS) {
        lastNoncePurge.set(db, now);
        await deleteExpiredSignatureNonces(db, now);
      }
      return caller;
    },
  };
}
