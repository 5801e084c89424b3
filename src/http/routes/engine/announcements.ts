import type { Database } from '../../../db/database.js';
import { Envelope } from '../../../schemas/common.js';
import { AnnouncementsBody, AnnouncementsResult } from '../../../schemas/engine.js';
import { announcementsForEngine } from '../../../services/announcementClips.js';
import type { App } from '../../app.js';
import { success } from '../../envelope.js';
import { ENGINE_PREFIX, ENGINE_TAG } from './common.js';

/** POST /engine/v1/announcements: the carrier announcements of the tenants the key serves (the SIP engine's early-media library). */
export function registerAnnouncements(app: App, database: Database): void {
  app.post(
    `${ENGINE_PREFIX}/announcements`,
    {
      config: { engine: true },
      schema: {
        summary: 'the tenants’ carrier announcement clips, to classify early media',
        tags: [ENGINE_TAG],
        body: AnnouncementsBody,
        response: { 200: Envelope(AnnouncementsResult) },
      },
    },
    async (request) =>
      success(request, { announcements: await announcementsForEngine(database, request.engine.tenantId) }),
  );
}
