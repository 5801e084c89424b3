import type { Kysely } from 'kysely';
import type { DB } from '../db/schema.js';

/** Tenants (companies) and their API keys. */

export interface NewTenant {
  name: string;
  tenantSign: string;
  timeZone: string;
  now: number;
}

export async function insertTenant(db: Kysely<DB>, t: NewTenant): Promise<number> {
  const row = await db
    .insertInto('tenant')
    .values({ name: t.name, tenant_sign: t.tenantSign, time_zone: t.timeZone, created_at: t.now })
    .returning('id')
    .executeTakeFirstOrThrow();
  return row.id;
}

export async function findTenantBySign(db: Kysely<DB>, tenantSign: string) {
  return db.selectFrom('tenant').selectAll().where('tenant_sign', '=', tenantSign).executeTakeFirst();
}

export async function findTenant(db: Kysely<DB>, tenantId: number) {
  return db.selectFrom('tenant').selectAll().where('id', '=', tenantId).executeTakeFirst();
}

export async function countTenants(db: Kysely<DB>): Promise<number> {
  const row = await db.selectFrom('tenant').select((eb) => eb.fn.countAll<number>().as('n')).executeTakeFirstOrThrow();
  return Number(row.n);
}

export async function insertApiKey(db: Kysely<DB>, tenantId: number, appKey: string, appSecret: string, now: number): Promise<void> {
  await db.insertInto('api_key').values({ tenant_id: tenantId, app_key: appKey, app_secret: appSecret, enabled: 1, created_at: now }).execute();
}

export async function listApiKeys(db: Kysely<DB>, tenantId?: number) {
  let q = db
    .selectFrom('api_key')
    .innerJoin('tenant', 'tenant.id', 'api_key.tenant_id')
    .select(['api_key.app_key', 'api_key.enabled', 'api_key.created_at', 'api_key.disabled_at', 'tenant.id as tenant_id', 'tenant.tenant_sign', 'tenant.name as tenant_name'])
    .orderBy('api_key.tenant_id')
    .orderBy('api_key.id');
  if (tenantId !== undefined) q = q.where('api_key.tenant_id', '=', tenantId);
  return q.execute();
}

/** Returns whether a key with that appKey exists. */
export async function setApiKeyEnabled(db: Kysely<DB>, appKey: string, enabled: boolean, now: number): Promise<boolean> {
  const result = await db
    .updateTable('api_key')
    .set({ enabled: enabled ? 1 : 0, disabled_at: enabled ? null : now })
    .where('app_key', '=', appKey)
    .executeTakeFirst();
  return Number(result.numUpdatedRows) > 0;
}

/** What the signature check needs to know about an appKey. */
export async function findKeyCredentials(db: Kysely<DB>, appKey: string) {
  return db
    .selectFrom('api_key')
    .innerJoin('tenant', 'tenant.id', 'api_key.tenant_id')
    .select(['api_key.app_secret', 'api_key.enabled', 'tenant.id as tenant_id', 'tenant.tenant_sign', 'tenant.time_zone'])
    .where('api_key.app_key', '=', appKey)
    .executeTakeFirst();
}
