import type { Database } from '../db/database.js';
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

export async function countTenants(db: Database): Promise<number> {
  const row = await db.db
    .selectFrom('tenant')
    .select((eb) => eb.fn.countAll<number>().as('n'))
    .executeTakeFirstOrThrow();
  return Number(row.n);
}

export async function insertApiKey(
  db: Database,
  tenantId: number,
  appKey: string,
  appSecret: string,
  now: number,
): Promise<void> {
  await db.db
    .insertInto('api_key')
    .values({ tenant_id: tenantId, app_key: appKey, app_secret: appSecret, enabled: 1, created_at: now })
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
      'tenant.id as tenant_id',
      'tenant.tenant_sign',
      'tenant.name as tenant_name',
    ])
    .orderBy('api_key.tenant_id')
    .orderBy('api_key.id');
  if (tenantId !== undefined) q = q.where('api_key.tenant_id', '=', tenantId);
  return (await q.execute()).map((k) => ({ ...k, enabled: isSet(k.enabled) }));
}

/** The tenant's first enabled key, secret included (for the demo's credentials file). */
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

/** What the signature check needs to know about an appKey. */
export async function findKeyCredentials(db: Database, appKey: string) {
  const key = await db.db
    .selectFrom('api_key')
    .innerJoin('tenant', 'tenant.id', 'api_key.tenant_id')
    .select([
      'api_key.app_secret',
      'api_key.enabled',
      'tenant.id as tenant_id',
      'tenant.tenant_sign',
      'tenant.time_zone',
    ])
    .where('api_key.app_key', '=', appKey)
    .executeTakeFirst();
  return key && { ...key, enabled: isSet(key.enabled) };
}
