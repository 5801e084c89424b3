import type { Database } from '../db/database.js';

/** A tenant's carrier announcements (announcement_clip, migration 0032). The rules are in services/announcementClips.ts. */

export async function insertAnnouncementClip(
  db: Database,
  clip: { tenantId: number; class: string; name: string; audio: string; audioBytes: number; now: number },
): Promise<number> {
  const row = await db.db
    .insertInto('announcement_clip')
    .values({
      tenant_id: clip.tenantId,
      class: clip.class,
      name: clip.name,
      audio: clip.audio,
      audio_bytes: clip.audioBytes,
      created_at: clip.now,
    })
    .onConflict((c) => c.columns(['tenant_id', 'name']).doNothing())
    .returning('id')
    .executeTakeFirst();
  return row ? Number(row.id) : 0;
}

/** The tenant's clips, without their audio. */
export async function listAnnouncementClips(db: Database, tenantId: number) {
  const rows = await db.db
    .selectFrom('announcement_clip')
    .select(['id', 'class', 'name', 'audio_bytes', 'created_at'])
    .where('tenant_id', '=', tenantId)
    .orderBy('class')
    .orderBy('name')
    .execute();
  return rows.map((r) => ({
    ...r,
    id: Number(r.id),
    audio_bytes: Number(r.audio_bytes),
    created_at: Number(r.created_at),
  }));
}

/** Deletes the tenant's clip of that name; the number of rows deleted (0 or 1). */
export async function deleteAnnouncementClip(db: Database, tenantId: number, name: string): Promise<number> {
  const result = await db.db
    .deleteFrom('announcement_clip')
    .where('tenant_id', '=', tenantId)
    .where('name', '=', name)
    .executeTakeFirst();
  return Number(result.numDeletedRows);
}

/** The clips with their audio, of one tenant or (null) of every tenant: what an engine loads. */
export async function listAnnouncementAudio(db: Database, tenantId: number | null) {
  let query = db.db
    .selectFrom('announcement_clip')
    .select(['tenant_id', 'class', 'name', 'audio'])
    .orderBy('tenant_id')
    .orderBy('name');
  if (tenantId !== null) query = query.where('tenant_id', '=', tenantId);
  const rows = await query.execute();
  return rows.map((r) => ({ ...r, tenant_id: Number(r.tenant_id) }));
}
