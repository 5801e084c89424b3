import type { Command } from 'commander';
import { loadConfig } from './config.js';
import type { Database } from './db/database.js';
import { run } from './engines/sip/tts.js';
import { addAnnouncementClip, listAnnouncements, removeAnnouncementClip } from './services/announcementClips.js';
import { auditChangeOutsideRequest } from './services/auditLog.js';

/*
 * `outcall announcement add | list | remove`: a tenant's carrier announcements, the library the SIP
 * engine compares early media with (docs/sip-engine.md). The CLI is their only way in: clips are
 * recorded from a tenant's carriers by its operator, rarely, and no API answer shows them.
 */

type Tenant = { id: number };
interface TenantOptions {
  tenantSign?: string;
  tenantId?: string;
}

export interface AnnouncementCommandDeps {
  withDatabase: <T>(work: (database: Database) => Promise<T>) => Promise<T>;
  tenantOf: (database: Database, opts: TenantOptions) => Promise<Tenant>;
  fail: (message: string) => Error;
}

/** Any audio file sox reads (WAV above all), as 8 kHz mono A-law. */
export async function toALaw(file: string): Promise<Buffer> {
  try {
    return await run('sox', [file, '-r', '8000', '-c', '1', '-t', 'al', '-']);
  } catch (error) {
    throw new Error(`sox could not read ${file}: ${(error as Error).message.trim()}`);
  }
}

export function registerAnnouncementCommands(program: Command, deps: AnnouncementCommandDeps): void {
  const { withDatabase, tenantOf, fail } = deps;
  const announcement = program
    .command('announcement')
    .description("a tenant's carrier announcements (空号, 关机, …) the SIP engine tells early media by");
  const tenantOptions = (c: Command) =>
    c.option('--tenant-sign <sign>', 'the tenant, by tenantSign').option('--tenant-id <id>', 'the tenant, by id');

  tenantOptions(announcement.command('add <file>'))
    .description(
      'store an announcement (any audio sox reads, e.g. WAV; kept as 8 kHz A-law within ANNOUNCEMENT_MAX_BYTES)',
    )
    .requiredOption(
      '--class <class>',
      'what early media matching it is: vacant_number, power_off, out_of_service, busy, …',
    )
    .option('--name <name>', 'a name unique in the tenant’s library (default: the class)')
    .action(async (file: string, opts: TenantOptions & { class: string; name?: string }) => {
      const audio = await toALaw(file).catch((error: Error) => {
        throw fail(error.message);
      });
      const maxBytes = loadConfig().announcementMaxBytes;
      const added = await withDatabase(async (d) => {
        const tenant = await tenantOf(d, opts);
        const clip = await addAnnouncementClip(
          d,
          { tenantId: tenant.id, class: opts.class, ...(opts.name === undefined ? {} : { name: opts.name }), audio },
          maxBytes,
        );
        await auditChangeOutsideRequest(d, {
          tenantId: tenant.id,
          actor: 'cli',
          action: 'announcement.add',
          resultMsg: `announcement ${clip.name} (${opts.class}) added`,
          summary: null,
          at: Date.now(),
        });
        return clip;
      });
      console.log(
        `announcement ${added.name} (${opts.class}): ${added.audioBytes} bytes, ${(added.audioBytes / 8000).toFixed(1)} s`,
      );
    });

  tenantOptions(announcement.command('list'))
    .description("the tenant's announcements (a tenant with none: the engine's built-in espeak-ng library)")
    .option('--json', 'print them as JSON')
    .action(async (opts: TenantOptions & { json?: boolean }) => {
      const clips = await withDatabase(async (d) => listAnnouncements(d, (await tenantOf(d, opts)).id));
      if (opts.json) return console.log(JSON.stringify(clips));
      for (const c of clips)
        console.log(`${c.name}\t${c.class}\t${c.audio_bytes} bytes\t${(c.audio_bytes / 8000).toFixed(1)} s`);
      if (clips.length === 0) console.log('no announcements: the engine uses its built-in library');
    });

  tenantOptions(announcement.command('remove <name>'))
    .description('remove an announcement')
    .action(async (name: string, opts: TenantOptions) => {
      await withDatabase(async (d) => {
        const tenant = await tenantOf(d, opts);
        await removeAnnouncementClip(d, tenant.id, name);
        await auditChangeOutsideRequest(d, {
          tenantId: tenant.id,
          actor: 'cli',
          action: 'announcement.remove',
          resultMsg: `announcement ${name} removed`,
          summary: null,
          at: Date.now(),
        });
      });
      console.log(`announcement ${name} removed`);
    });
}
