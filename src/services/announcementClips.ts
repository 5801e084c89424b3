import type { Database } from '../db/database.js';
import { conflict, invalidParameter, notFound } from '../domain/errors.js';
import {
  deleteAnnouncementClip,
  insertAnnouncementClip,
  listAnnouncementAudio,
  listAnnouncementClips,
} from '../repositories/announcementClips.js';

/*
 * A tenant's library of carrier announcements (docs/sip-engine.md): clips the SIP engine compares
 * early media with. The audio is 8 kHz A-law (the CLI converts a WAV with sox), at most
 * ANNOUNCEMENT_MAX_BYTES; a tenant with no clips is served the engine's built-in library.
 * Managed by the CLI only (`outcall announcement …`); engines read them through
 * /engine/v1/announcements.
 */

/** A class: lower-case words joined by `_` (the early-media classes of docs/engines.md, or the tenant's own). */
const CLASS = /^[a-z][a-z0-9_]{0,39}$/;
/** The shortest clip worth a fingerprint: half a second (the fingerprint's window). */
export const MIN_ANNOUNCEMENT_BYTES = 4_000;

export interface AnnouncementClipInput {
  tenantId: number;
  class: string;
  /** Unique per tenant; defaults to the class. */
  name?: string;
  /** 8 kHz A-law. */
  audio: Buffer;
}

export async function addAnnouncementClip(
  db: Database,
  input: AnnouncementClipInput,
  maxBytes: number,
  now = Date.now(),
): Promise<{ id: number; name: string; audioBytes: number }> {
  if (!CLASS.test(input.class))
    throw invalidParameter('class', 'must be lower-case letters, digits and _, e.g. power_off');
  const name = (input.name ?? input.class).trim();
  if (name === '' || name.length > 100) throw invalidParameter('name', 'must be 1 to 100 characters');
  const size = input.audio.length;
  if (size > maxBytes)
    throw invalidParameter('audio', `is ${size} bytes of 8 kHz A-law, more than ANNOUNCEMENT_MAX_BYTES (${maxBytes})`);
  if (size < MIN_ANNOUNCEMENT_BYTES) throw invalidParameter('audio', 'is shorter than half a second');
  const id = await insertAnnouncementClip(db, {
    tenantId: input.tenantId,
    class: input.class,
    name,
    audio: input.audio.toString('base64'),
    audioBytes: size,
    now,
  });
  if (id === 0) throw conflict(`the tenant has an announcement named ${name} (remove it first)`);
  return { id, name, audioBytes: size };
}

export function listAnnouncements(db: Database, tenantId: number) {
  return listAnnouncementClips(db, tenantId);
}

export async function removeAnnouncementClip(db: Database, tenantId: number, name: string): Promise<void> {
  if ((await deleteAnnouncementClip(db, tenantId, name)) === 0) throw notFound('announcement', name);
}

/** What an engine loads: the clips of the tenants its key serves (one, or every tenant). */
export async function announcementsForEngine(db: Database, tenantId: number | null) {
  return (await listAnnouncementAudio(db, tenantId)).map((r) => ({
    tenantId: r.tenant_id,
    class: r.class,
    name: r.name,
    codec: 'PCMA' as const,
    audio: r.audio,
  }));
}
