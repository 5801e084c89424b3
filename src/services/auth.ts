import { type Database, sqliteDataVersion } from '../db/database.js';
import type { SignatureVersion } from '../db/schema.js';
import { forbidden, unauthenticated } from '../domain/errors.js';
import { findKeyCredentials, insertSignatureNonce } from '../repositories/tenants.js';
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
  /**
   * The database's data version as the request was authenticated (a SQLite data version, or the
   * tenant's data version on PostgreSQL, migration 0026): an answer cached under the same version is
   * current (http/answerCache.ts).
   * Absent when unknown.
   */
  dataVersion?: string;
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
export type HeaderCheck = { caller: Caller } | { verify: (request: SignedRequestParts) => Promise<SignedV2> };

/**
 * A v2 request whose signature matched. Its nonce is not yet taken: the caller takes it with
 * `takeNonce` after the checks that may still refuse the request without a write (the rate limit).
 */
export interface SignedV2 {
  caller: Caller;
  /** Remembers the nonce; refuses a nonce already used (a replayed request). */
  takeNonce(): Promise<void>;
}

type KeyCredentials = NonNullable<Awaited<ReturnType<typeof findKeyCredentials>>>;

/** Keys read on SQLite, with the data version they were read at; at most this many. */
const KEYS_KEPT = 10_000;
const keptKeys = new WeakMap<Database, Map<string, KeyCredentials>>();

/**
 * An appKey's credentials and its tenant's, with the data version they are current at. On SQLite
 * the version costs no query (db/database.ts), so a key read at the current version is not read
 * again; any write in any process (a key disabled, a sign changed) changes the version. On
 * PostgreSQL the version comes with the key, in the same query.
 */
async function keyCredentials(db: Database, appKey: string): Promise<KeyCredentials | undefined> {
  const version = sqliteDataVersion(db);
  if (version === undefined) return findKeyCredentials(db, appKey);
  let kept = keptKeys.get(db);
  if (!kept) {
    kept = new Map();
    keptKeys.set(db, kept);
  }
  const known = kept.get(appKey);
  if (known?.data_version === version) return known;
  const key = await findKeyCredentials(db, appKey);
  if (!key) return undefined;
  if (kept.size >= KEYS_KEPT) kept.delete(kept.keys().next().value!);
  // Stamped with the version read before the query: a write in between leaves it behind.
  const stamped = { ...key, data_version: version };
  kept.set(appKey, stamped);
  return stamped;
}

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
  // isv/updateIsvInfo changes the tenant's sign, and the change must hold at once in every process
  // (as must disabling a key): the key is read again unless the data version says nothing changed.
  const key = await keyCredentials(db, appKey);
  if (!key) throw unauthenticated('unknown appKey');
  const caller: Caller = { tenantId: key.tenant_id, timeZone: key.time_zone, appKey };
  if (key.data_version !== null) caller.dataVersion = key.data_version;

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
      return {
        caller,
        takeNonce: async () => {
          // Remembered until the request's own timestamp leaves the window: until then it could be replayed.
          // The clock the window was checked against (the headers arrived a moment ago).
          if (!(await insertSignatureNonce(db, appKey, nonce!, Number(timestamp) + windowMs, now)))
            throw unauthenticated('nonce already used (a replayed request)');
          // Expired nonces are purged by services/housekeeping.ts.
        },
      };
    },
  };
}
