import { sql } from 'kysely';
import { compiledOnce, type Database } from '../db/database.js';
import type { NewAuditEntry } from './auditLog.js';
import { isSet } from './rows.js';

/** Engine keys (engine_key, migration 0029): the credentials of call engines. The rules are in services/engineKeys.ts. */

export async function insertEngineKey(
  db: Database,
  key: { appKey: string; appSecret: string; name: string; tenantId: number | null; now: number },
): Promise<number> {
  const row = await db.db
    .insertInto('engine_key')
    .values({
      app_key: key.appKey,
      app_secret: key.appSecret,
      name: key.name,
      tenant_id: key.tenantId,
      enabled: 1,
      created_at: key.now,
    })
    .returning('id')
    .executeTakeFirstOrThrow();
  return Number(row.id);
}

/** What the signature check of an engine route needs: read on every request, so a disabled or deleted key stops at once. */
export async function findEngineKey(db: Database, appKey: string) {
  const [row] = await engineKeyQuery(db, appKey);
  return (
    row && {
      ...row,
      id: Number(row.id),
      tenant_id: row.tenant_id === null ? null : Number(row.tenant_id),
      enabled: isSet(row.enabled),
    }
  );
}

// Every engine request runs it: compiled once (and prepared on PostgreSQL).
const engineKeyQuery = compiledOnce((db: Database, appKey: string) =>
  db.db
    .selectFrom('engine_key')
    .select(['id', 'app_key', 'app_secret', 'name', 'tenant_id', 'enabled'])
    .where('app_key', '=', appKey),
);

/** Whether a key is there and enabled: what a process that knows the key already reads of it (services/engineKeys.ts). */
export type EngineKeyState = 'enabled' | 'disabled' | 'gone';

export async function findEngineKeyState(db: Database, appKey: string): Promise<EngineKeyState> {
  const [row] = await engineKeyStateQuery(db, appKey);
  return row?.state ?? 'gone';
}

const engineKeyStateQuery = compiledOnce((db: Database, appKey: string) =>
  db.db
    .selectFrom('engine_key')
    .select(sql<EngineKeyState>`case when enabled = 1 then 'enabled' else 'disabled' end`.as('state'))
    .where('app_key', '=', appKey),
);

/** Every key with its tenant's sign and name (none for a key of every tenant), oldest first; no secrets. */
export async function listEngineKeys(db: Database) {
  const rows = await db.db
    .selectFrom('engine_key')
    .leftJoin('tenant', 'tenant.id', 'engine_key.tenant_id')
    .select([
      'engine_key.id',
      'engine_key.app_key',
      'engine_key.name',
      'engine_key.tenant_id',
      'tenant.tenant_sign',
      'tenant.name as tenant_name',
      'engine_key.enabled',
      'engine_key.created_at',
      'engine_key.last_seen_at',
      'engine_key.disabled_at',
    ])
    .orderBy('engine_key.id')
    .execute();
  return rows.map((r) => ({
    ...r,
    id: Number(r.id),
    tenant_id: r.tenant_id === null ? null : Number(r.tenant_id),
    enabled: isSet(r.enabled),
    created_at: Number(r.created_at),
    last_seen_at: r.last_seen_at === null ? null : Number(r.last_seen_at),
    disabled_at: r.disabled_at === null ? null : Number(r.disabled_at),
  }));
}

/** Enables or disables a key; returns the key (its id, name and tenant) or undefined when there is none. */
export async function updateEngineKeyEnabled(db: Database, appKey: string, enabled: boolean, now: number) {
  const row = await db.db
    .updateTable('engine_key')
    .set({ enabled: enabled ? 1 : 0, disabled_at: enabled ? null : now })
    .where('app_key', '=', appKey)
    .returning(['id', 'name', 'tenant_id'])
    .executeTakeFirst();
  return (
    row && { id: Number(row.id), name: row.name, tenant_id: row.tenant_id === null ? null : Number(row.tenant_id) }
  );
}

/** Removes a key; returns what it was, or undefined when there is none. */
export async function deleteEngineKey(db: Database, appKey: string) {
  const row = await db.db
    .deleteFrom('engine_key')
    .where('app_key', '=', appKey)
    .returning(['id', 'name', 'tenant_id'])
    .executeTakeFirst();
  return (
    row && { id: Number(row.id), name: row.name, tenant_id: row.tenant_id === null ? null : Number(row.tenant_id) }
  );
}

/** When the key last signed a request (written at most every few seconds per key: services/engineKeys.ts). */
export async function updateEngineKeyLastSeen(db: Database, id: number, at: number): Promise<void> {
  await db.db.updateTable('engine_key').set({ last_seen_at: at }).where('id', '=', id).execute();
}

/** Every stored engine app secret, for encrypting and re-encrypting them; `lock` holds the rows (PostgreSQL). */
export async function listEngineKeySecrets(db: Database, lock: boolean) {
  let q = db.db.selectFrom('engine_key').select(['id', 'app_key', 'app_secret']).orderBy('id');
  // SQLite has no row locks: its transactions already hold the whole file for writing.
  if (lock && db.dialect === 'postgres') q = q.forUpdate();
  return (await q.execute()).map((r) => ({ ...r, id: Number(r.id) }));
}

/** Replaces a stored engine app secret if it is still `from`; false when it is not (changed meanwhile). */
export async function updateEngineKeySecret(db: Database, id: number, from: string, to: string): Promise<boolean> {
  const result = await db.db
    .updateTable('engine_key')
    .set({ app_secret: to })
    .where('id', '=', id)
    .where('app_secret', '=', from)
    .executeTakeFirst();
  return Number(result.numUpdatedRows) > 0;
}

/**
 * One audit entry about an engine key in the log of its tenant or, for a key of every tenant
 * (`tenantId` null), in the log of every tenant there is.
 */
export async function insertEngineKeyAuditEntries(
  db: Database,
  tenantId: number | null,
  entry: Omit<NewAuditEntry, 'tenant_id'>,
): Promise<void> {
  const tenants =
    tenantId !== null
      ? [tenantId]
      : (await db.db.selectFrom('tenant').select('id').orderBy('id').execute()).map((t) => Number(t.id));
  // 500 rows of 12 values a statement: within SQLite's limit on bound values.
  for (let start = 0; start < tenants.length; start += 500)
    await db.db
      .insertInto('audit_log')
      .values(tenants.slice(start, start + 500).map((id) => ({ ...entry, tenant_id: id })))
      .execute();
}
