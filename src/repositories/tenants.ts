import { sql } from 'kysely';
import { compiledOnce, type Database, stableParam } from '../db/database.js';
import type { SignatureVersion } from '../db/schema.js';
import { isSet, toFlag } from './rows.js';

/** Tenants (companies) and their API keys. */

export interface NewTenant {
  name: string;
  tenantSign: string;
  timeZone: string;
  now: number;
}

export async function insertTenant(db: Database, t: NewTenant): Promise<number> {
  const row = await db.db
    .insertInto('tenant')
    .values({ name: t.name, tenant_sign: t.tenantSign, time_zone: t.timeZone, created_at: t.now })
    .returning('id')
    .executeTakeFirstOrThrow();
  return row.id;
}

export async function findTenantBySign(db: Database, tenantSign: string) {
  return db.db.selectFrom('tenant').selectAll().where('tenant_sign', '=', tenantSign).executeTakeFirst();
}

export async function findTenant(db: Database, tenantId: number) {
  return db.db.selectFrom('tenant').selectAll().where('id', '=', tenantId).executeTakeFirst();
}

/**
 * Sets what isv/updateIsvInfo changes: the sign, and each callback URL given (null clears it).
 * False when there is no such tenant. A sign another tenant has fails the unique index.
 */
export async function updateTenantIsvInfo(
  db: Database,
  tenantId: number,
  changes: { tenant_sign: string; callback_url?: string | null; sms_callback_url?: string | null },
): Promise<boolean> {
  const result = await db.db.updateTable('tenant').set(changes).where('id', '=', tenantId).executeTakeFirst();
  return Number(result.numUpdatedRows) > 0;
}

/** The tenant's time zone from now on; false when there is no such tenant. */
export async function updateTenantTimeZone(db: Database, tenantId: number, timeZone: string): Promise<boolean> {
  const result = await db.db
    .updateTable('tenant')
    .set({ time_zone: timeZone })
    .where('id', '=', tenantId)
    .executeTakeFirst();
  return Number(result.numUpdatedRows) > 0;
}

export async function countTenants(db: Database): Promise<number> {
  const row = await db.db
    .selectFrom('tenant')
    .select((eb) => eb.fn.countAll<number>().as('n'))
    .executeTakeFirstOrThrow();
  return Number(row.n);
}

/** `appSecret` is stored as given: the services pass it encrypted (services/secrets.ts). */
export async function insertApiKey(
  db: Database,
  tenantId: number,
  appKey: string,
  appSecret: string,
  now: number,
  minSignatureVersion: SignatureVersion = 'v1',
): Promise<void> {
  await db.db
    .insertInto('api_key')
    .values({
      tenant_id: tenantId,
      app_key: appKey,
      app_secret: appSecret,
      enabled: 1,
      created_at: now,
      min_signature_version: minSignatureVersion,
    })
    .execute();
}

/** API keys with their tenants (every tenant's, or one's), without secrets. */
export async function listApiKeys(db: Database, tenantId?: number) {
  let q = db.db
    .selectFrom('api_key')
    .innerJoin('tenant', 'tenant.id', 'api_key.tenant_id')
    .select([
      'api_key.app_key',
      'api_key.enabled',
      'api_key.created_at',
      'api_key.disabled_at',
      'api_key.min_signature_version',
      'tenant.id as tenant_id',
      'tenant.tenant_sign',
      'tenant.name as tenant_name',
    ])
    .orderBy('api_key.tenant_id')
    .orderBy('api_key.id');
  if (tenantId !== undefined) q = q.where('api_key.tenant_id', '=', tenantId);
  return (await q.execute()).map((k) => ({ ...k, enabled: isSet(k.enabled) }));
}

/** The tenant's first enabled key, its secret as stored (encrypted), for the demo's credentials file. */
export async function findEnabledApiKey(db: Database, tenantId: number) {
  return db.db
    .selectFrom('api_key')
    .select(['app_key', 'app_secret'])
    .where('tenant_id', '=', tenantId)
    .where('enabled', '=', 1)
    .orderBy('id')
    .limit(1)
    .executeTakeFirst();
}

/** Returns whether a key with that appKey exists. */
export async function updateApiKeyEnabled(
  db: Database,
  appKey: string,
  enabled: boolean,
  now: number,
): Promise<boolean> {
  const result = await db.db
    .updateTable('api_key')
    .set({ enabled: toFlag(enabled), disabled_at: enabled ? null : now })
    .where('app_key', '=', appKey)
    .executeTakeFirst();
  return Number(result.numUpdatedRows) > 0;
}

/** Sets which signature versions the key accepts; false when there is no such key. */
export async function updateApiKeySignatureVersion(
  db: Database,
  appKey: string,
  minSignatureVersion: SignatureVersion,
): Promise<boolean> {
  const result = await db.db
    .updateTable('api_key')
    .set({ min_signature_version: minSignatureVersion })
    .where('app_key', '=', appKey)
    .executeTakeFirst();
  return Number(result.numUpdatedRows) > 0;
}

/** Every key's stored app secret, for encrypting and re-encrypting them; `lock` holds the rows (PostgreSQL) until the transaction ends. */
export async function listAppSecrets(db: Database, lock: boolean) {
  let q = db.db.selectFrom('api_key').select(['id', 'app_key', 'app_secret']).orderBy('id');
  // SQLite has no row locks: its transactions already hold the whole file for writing.
  if (lock && db.dialect === 'postgres') q = q.forUpdate();
  return q.execute();
}

/** Replaces a stored app secret if it is still `from`; false when it is not (changed meanwhile). */
export async function updateAppSecret(db: Database, id: number, from: string, to: string): Promise<boolean> {
  const result = await db.db
    .updateTable('api_key')
    .set({ app_secret: to })
    .where('id', '=', id)
    .where('app_secret', '=', from)
    .executeTakeFirst();
  return Number(result.numUpdatedRows) > 0;
}

/**
 * Records a v2 nonce of an appKey, kept until `expiresAt`. True when it was not in use: new, or
 * seen before but expired (its row is taken over). False when it is in use: a replay. The primary
 * key decides, so two processes cannot both accept one nonce.
 */
export async function insertSignatureNonce(
  db: Database,
  appKey: string,
  nonce: string,
  expiresAt: number,
  now: number,
): Promise<boolean> {
  const rows = await nonceQuery(db, appKey, nonce, expiresAt, now);
  return rows.length > 0;
}

// Every v2 request runs it: compiled once (and prepared on PostgreSQL).
const nonceQuery = compiledOnce((db: Database, appKey: string, nonce: string, expiresAt: number, now: number) =>
  db.db
    .insertInto('signature_nonce')
    .values({ app_key: appKey, nonce, expires_at: expiresAt })
    .onConflict((oc) =>
      oc
        .columns(['app_key', 'nonce'])
        .doUpdateSet({ expires_at: expiresAt })
        .where('signature_nonce.expires_at', '<', now),
    )
    .returning('nonce'),
);

/** Forgets the nonces whose requests can no longer be replayed; returns how many. */
export async function deleteExpiredSignatureNonces(db: Database, now: number): Promise<number> {
  const result = await db.db.deleteFrom('signature_nonce').where('expires_at', '<', now).executeTakeFirst();
  return Number(result.numDeletedRows);
}

/** What the signature check needs to know about an appKey. */
export async function findKeyCredentials(db: Database, appKey: string) {
  const [key] = await keyCredentialsQuery(db, appKey);
  return key && { ...key, enabled: isSet(key.enabled) };
}

// Every signed request that no kept key answers runs it: compiled once.
const keyCredentialsQuery = compiledOnce((db: Database, appKey: string) =>
  db.db
    .selectFrom('api_key')
    .innerJoin('tenant', 'tenant.id', 'api_key.tenant_id')
    .select([
      'api_key.app_secret',
      'api_key.enabled',
      'api_key.min_signature_version',
      'tenant.id as tenant_id',
      'tenant.tenant_sign',
      'tenant.time_zone',
      // On PostgreSQL, the tenant's data version as this statement saw it, in the same round trip: it
      // tells whether an answer cached under it is still current (http/answerCache.ts). It moves
      // only with writes an answer can show, not with rate-limit slots or nonces (migration 0026).
      (db.dialect === 'postgres'
        ? sql<
            string | null
          >`(select coalesce(sum(v.version), 0)::text from tenant_data_version v where v.tenant_id = tenant.id)`
        : sql<null>`null`
      ).as('data_version'),
    ])
    .where('api_key.app_key', '=', stableParam(db, appKey, 'text')),
);
