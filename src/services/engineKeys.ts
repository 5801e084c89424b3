import type { Database } from '../db/database.js';
import { forbidden, invalidParameter, unauthenticated } from '../domain/errors.js';
import {
  deleteEngineKey as deleteEngineKeyRow,
  findEngineKey,
  insertEngineKey,
  insertEngineKeyAuditEntries,
  listEngineKeys as listEngineKeyRows,
  updateEngineKeyEnabled,
  updateEngineKeyLastSeen,
} from '../repositories/engineKeys.js';
import type { SignedHeaders } from './auth.js';
import type { RateLimitDecision, RateLimiter } from './rateLimits.js';
import { decryptSecret, encryptSecret } from './secrets.js';
import { computeSignatureV2, NONCE_PATTERN, type SignedRequestParts, signatureMatches } from './signature.js';
import { randomText } from './tenants.js';

/*
 * Engine keys (docs/engine-keys.md): the credentials of the call engines that work through
 * /engine/v1/, apart from the tenants' API keys. A key works for every tenant (`tenantId` null) or
 * for one. Engines sign with signature v2 only (docs/signature.md), with the key's appKey and
 * appSecret; there is no tenantSign. Creating, disabling, enabling and deleting a key is entered in
 * the audit log of the tenant it works for — for a key of every tenant, in every tenant's log: each
 * of them is a tenant whose calls, customers and trunk credentials the key can take.
 */

/** Every engine appKey starts with this (a tenant's appKey may too, by chance: the two are never looked up in each other's table). */
export const ENGINE_APP_KEY_PREFIX = 'EK';

/** The context (additional authenticated data) of an engine key's app secret (services/secrets.ts). */
export const engineAppSecretContext = (appKey: string) => `engine_key.app_secret:${appKey}`;

/**
 * The name an engine key's rate-limit slot and v2 nonces are kept under (tables rate_limit and
 * signature_nonce, shared with the tenants' keys): apart from any tenant appKey, whatever its letters.
 */
export const engineLimitKey = (appKey: string) => `engine:${appKey}`;

/** Who a request on an engine route speaks for (`request.engine`). */
export interface EngineCaller {
  engineKeyId: number;
  appKey: string;
  name: string;
  /** The one tenant the key works for; null: every tenant. */
  tenantId: number | null;
}

export interface CreatedEngineKey {
  appKey: string;
  /** Shown once: stored encrypted only. */
  appSecret: string;
  name: string;
  tenantId: number | null;
}

/** Longest key name. */
export const MAX_ENGINE_KEY_NAME = 100;

/** Who made a change to a key, for the audit entry. */
export interface EngineKeyActor {
  /** e.g. `CLI`. */
  method: string;
  clientIp: string;
  requestId: string;
}

const CLI_ACTOR: EngineKeyActor = { method: 'CLI', clientIp: 'local', requestId: '' };

function checkName(name: string): string {
  const n = name.trim();
  if (n === '' || n.length > MAX_ENGINE_KEY_NAME)
    throw invalidParameter('name', `must be 1–${MAX_ENGINE_KEY_NAME} characters, got ${n.length}`);
  // biome-ignore lint/suspicious/noControlCharactersInRegex: control characters are what is refused
  if (/[\u0000-\u001f\u007f]/.test(n)) throw invalidParameter('name', 'must not hold control characters');
  return n;
}

const requestId = (actor: EngineKeyActor) => actor.requestId || `engine-key-${randomText(8)}`;

async function audit(
  db: Database,
  action: 'create' | 'disable' | 'enable' | 'delete',
  key: { appKey: string; name: string; tenantId: number | null },
  now: number,
  actor: EngineKeyActor,
): Promise<void> {
  await insertEngineKeyAuditEntries(db, key.tenantId, {
    app_key: key.appKey,
    user_name: null,
    method: actor.method,
    action: `engine/key/${action}`,
    robot_call_job_id: null,
    code: 200,
    result_msg: `engine key ${key.appKey} ${action === 'create' ? 'created' : `${action}d`}`,
    summary: `scope: ${key.tenantId === null ? 'all tenants' : `tenant ${key.tenantId}`}`,
    client_ip: actor.clientIp,
    request_id: requestId(actor),
    created_at: now,
  });
}

/** A new key; its secret is returned in clear this once and stored encrypted. */
export async function createEngineKey(
  db: Database,
  input: { name: string; tenantId: number | null },
  now = Date.now(),
  actor: EngineKeyActor = CLI_ACTOR,
): Promise<CreatedEngineKey> {
  const name = checkName(input.name);
  const appKey = ENGINE_APP_KEY_PREFIX + randomText(14);
  const appSecret = randomText(32);
  await db.transaction(async (trx) => {
    await insertEngineKey(trx, {
      appKey,
      appSecret: encryptSecret(appSecret, engineAppSecretContext(appKey)),
      name,
      tenantId: input.tenantId,
      now,
    });
    await audit(trx, 'create', { appKey, name, tenantId: input.tenantId }, now, actor);
  });
  return { appKey, appSecret, name, tenantId: input.tenantId };
}

export interface EngineKeyInfo {
  appKey: string;
  name: string;
  tenantId: number | null;
  tenantSign: string | null;
  tenantName: string | null;
  enabled: boolean;
  createdAt: number;
  lastSeenAt: number | null;
  disabledAt: number | null;
}

/** Every key, oldest first; never a secret. */
export async function listEngineKeys(db: Database): Promise<EngineKeyInfo[]> {
  return (await listEngineKeyRows(db)).map((k) => ({
    appKey: k.app_key,
    name: k.name,
    tenantId: k.tenant_id,
    tenantSign: k.tenant_sign ?? null,
    tenantName: k.tenant_name ?? null,
    enabled: k.enabled,
    createdAt: k.created_at,
    lastSeenAt: k.last_seen_at,
    disabledAt: k.disabled_at,
  }));
}

/** Disables (every request signed with it is refused from now on, 403) or enables a key; false when there is no such key. */
export async function setEngineKeyEnabled(
  db: Database,
  appKey: string,
  enabled: boolean,
  now = Date.now(),
  actor: EngineKeyActor = CLI_ACTOR,
): Promise<boolean> {
  return db.transaction(async (trx) => {
    const key = await updateEngineKeyEnabled(trx, appKey, enabled, now);
    if (!key) return false;
    // Refused by this process unread from now on (any other process refuses it at admission).
    if (!enabled) knownKeysOf(db).delete(appKey);
    await audit(trx, enabled ? 'enable' : 'disable', { appKey, name: key.name, tenantId: key.tenant_id }, now, actor);
    return true;
  });
}

/** Deletes a key (requests signed with it are refused from now on, 401); false when there is no such key. */
export async function deleteEngineKey(
  db: Database,
  appKey: string,
  now = Date.now(),
  actor: EngineKeyActor = CLI_ACTOR,
): Promise<boolean> {
  return db.transaction(async (trx) => {
    const key = await deleteEngineKeyRow(trx, appKey);
    if (!key) return false;
    knownKeysOf(db).delete(appKey);
    await audit(trx, 'delete', { appKey, name: key.name, tenantId: key.tenant_id }, now, actor);
    return true;
  });
}

// ---- the signature of engine routes -----------------------------------------------------------

/** An engine request whose signature matched, waiting to be admitted: its rate-limit slot, then its nonce. */
export interface SignedEngineRequest {
  engine: EngineCaller;
  /**
   * Takes the request's slot under its engine key's rate limit and, if it got one, its nonce (as
   * for tenant keys; one statement on PostgreSQL). Answers the limiter's decision; a nonce already
   * used is refused (401), and so is a key this process knew that is gone since (403 if disabled).
   */
  admit(limiter: RateLimiter, now: number): Promise<RateLimitDecision>;
}

/**
 * Enabled keys this process has accepted a request of, per database, with their secret decrypted:
 * a known key's request reads nothing before its admission, whose statement (the rate-limit slot
 * and nonce) reads the key again and takes nothing unless it is still enabled — a key disabled or
 * deleted in any process is refused at its next request, as when every request read the key.
 * Secrets never change (re-encrypting them keeps their text), so what is kept cannot go stale.
 */
const knownKeys = new WeakMap<Database, Map<string, { engine: EngineCaller; appSecret: string }>>();
/** Past this many, the longest-known key is forgotten (read again at its next request). */
const KNOWN_KEYS_KEPT = 10_000;

function knownKeysOf(db: Database) {
  const kept = knownKeys.get(db) ?? new Map<string, { engine: EngineCaller; appSecret: string }>();
  knownKeys.set(db, kept);
  return kept;
}

/**
 * Checks an engine request's headers — everything that needs no body: the headers, signature v2,
 * the window, the nonce's form, the appKey (read unless this process knows it) — and returns the
 * check of the signature, which covers the body. A disabled key is told so only to a request
 * signed with its secret (403).
 */
export async function authenticateEngine(
  db: Database,
  headers: SignedHeaders,
  now: number,
  windowMs: number,
  /** Told of an appKey that is no engine key (any more). */
  onUnknownKey?: (appKey: string) => void,
): Promise<(request: SignedRequestParts) => Promise<SignedEngineRequest>> {
  const { appKey, version, timestamp, signature, nonce } = headers;
  if (!appKey) throw unauthenticated('missing header appKey');
  if (!signature) throw unauthenticated('missing header signature');
  if (!version) throw unauthenticated('missing header version');
  if (version !== 'v2')
    throw unauthenticated(`engine routes take signature version v2 only, got "${version}" (docs/engine-keys.md)`);
  if (!timestamp || !/^\d{1,16}$/.test(timestamp))
    throw unauthenticated('header timestamp must be milliseconds since the epoch');
  if (Math.abs(now - Number(timestamp)) > windowMs)
    throw unauthenticated(`timestamp is more than ${windowMs / 1000} s away from the server clock`);
  if (!nonce) throw unauthenticated('missing header nonce (signature version v2)');
  if (!NONCE_PATTERN.test(nonce)) throw unauthenticated('header nonce must be 16–64 of A–Z a–z 0–9 _ -');
  const kept = knownKeysOf(db);
  const known = kept.get(appKey);
  const key = known ? undefined : await findEngineKey(db, appKey);
  const unknownKey = () => {
    onUnknownKey?.(appKey);
    return unauthenticated(
      'unknown engine appKey (engine routes take an engine key, not a tenant’s API key: docs/engine-keys.md)',
    );
  };
  if (!known && !key) throw unknownKey();

  return async (request) => {
    const appSecret = known?.appSecret ?? decryptSecret(key!.app_secret, engineAppSecretContext(appKey));
    const expected = computeSignatureV2({
      ...request,
      url: request.url.replace(/^[A-Za-z][A-Za-z0-9+.-]*:\/\/[^/?#]*/, ''), // absolute-form request-target
      appKey,
      appSecret,
      timestamp,
      nonce,
    });
    if (!signatureMatches(signature, expected)) throw unauthenticated('signature does not match');
    if (key && !key.enabled) throw forbidden('this engine key is disabled');
    const engine = known?.engine ?? { engineKeyId: key!.id, appKey, name: key!.name, tenantId: key!.tenant_id };
    return {
      engine,
      admit: async (limiter, at) => {
        // The nonce is remembered until the request's own timestamp leaves the window; purged by services/housekeeping.ts.
        const decision = await limiter.checkWithNonce(
          engineLimitKey(appKey),
          at,
          { nonce, expiresAt: Number(timestamp) + windowMs },
          // A known key is read here, in the admission's own statement.
          known ? appKey : undefined,
        );
        if (decision.engineKey === 'gone' || decision.engineKey === 'disabled') {
          kept.delete(appKey);
          throw decision.engineKey === 'gone' ? unknownKey() : forbidden('this engine key is disabled');
        }
        if (decision.allowed && !decision.fresh) throw unauthenticated('nonce already used (a replayed request)');
        if (decision.allowed && !known) {
          if (kept.size >= KNOWN_KEYS_KEPT) kept.delete(kept.keys().next().value!);
          kept.set(appKey, { engine, appSecret });
        }
        return decision;
      },
    };
  };
}

// ---- last seen --------------------------------------------------------------------------------

/**
 * When each engine key last signed a request: kept in the process for /metrics, and written to
 * `engine_key.last_seen_at` at most once per `writeEveryMs` per key (not one write per request).
 */
export class EngineLastSeen {
  /** appKey → when it was last seen (ms), by this process. */
  private readonly seen = new Map<string, number>();
  /** engine key id → when its last_seen_at was last written (ms), by this process. */
  private readonly written = new Map<number, number>();

  constructor(
    private readonly db: Database,
    private readonly writeEveryMs = 5000,
  ) {}

  /** A request of `engine` was accepted at `now`; the write, when one is due, is done before this resolves. */
  async seenAt(engine: EngineCaller, now: number): Promise<void> {
    this.seen.set(engine.appKey, now);
    const last = this.written.get(engine.engineKeyId);
    if (last !== undefined && now - last < this.writeEveryMs) return;
    this.written.set(engine.engineKeyId, now);
    await updateEngineKeyLastSeen(this.db, engine.engineKeyId, now);
  }

  /** A key found deleted: no longer reported. */
  forget(appKey: string): void {
    this.seen.delete(appKey);
  }

  /** appKey → seconds since the epoch when this process last accepted a request signed with it. */
  read(): Map<string, number> {
    return new Map([...this.seen].map(([appKey, at]) => [appKey, at / 1000]));
  }
}
