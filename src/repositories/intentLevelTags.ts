import type { Database } from '../db/database.js';

/**
 * Intent-level tag groups (意向标签分组): a tenant's named sets of names for the six intent levels
 * (code 0–5 = A–F). Every tenant has its built-in group, its first (lowest id).
 */

/** A group with its level names, in one go (call it inside the caller's transaction). */
export async function insertIntentLevelTag(
  db: Database,
  tag: { tenant_id: number; name: string; created_at: number },
  details: readonly { code: number; name: string }[],
): Promise<number> {
  const { id } = await db.db.insertInto('intent_level_tag').values(tag).returning('id').executeTakeFirstOrThrow();
  if (details.length > 0)
    await db.db
      .insertInto('intent_level_tag_detail')
      .values(details.map((d) => ({ tenant_id: tag.tenant_id, intent_level_tag_id: id, code: d.code, name: d.name })))
      .execute();
  return id;
}

/** The tenant's groups that at least one of its dialog flows uses, by id. */
export async function listUsedIntentLevelTags(db: Database, tenantId: number) {
  return db.db
    .selectFrom('intent_level_tag as t')
    .select(['t.id', 't.name'])
    .where('t.tenant_id', '=', tenantId)
    .where(({ exists, selectFrom }) =>
      exists(
        selectFrom('dialog_flow as f')
          .select('f.id')
          .where('f.tenant_id', '=', tenantId)
          .whereRef('f.intent_level_tag_id', '=', 't.id'),
      ),
    )
    .orderBy('t.id')
    .execute();
}

/** One of the tenant's groups; undefined when there is none (or it is another tenant's). */
export async function findIntentLevelTag(db: Database, tenantId: number, intentLevelTagId: number) {
  return db.db
    .selectFrom('intent_level_tag')
    .select(['id', 'name'])
    .where('tenant_id', '=', tenantId)
    .where('id', '=', intentLevelTagId)
    .executeTakeFirst();
}

/** A group's level names, by code. */
export async function listIntentLevelTagDetails(db: Database, tenantId: number, intentLevelTagId: number) {
  return db.db
    .selectFrom('intent_level_tag_detail')
    .select(['code', 'name'])
    .where('tenant_id', '=', tenantId)
    .where('intent_level_tag_id', '=', intentLevelTagId)
    .orderBy('code')
    .execute();
}
