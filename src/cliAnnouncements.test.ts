import { execFile } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TenantFixture } from '../test/fixtures.js';
import { startTestServer, type TestServer, testDialect } from '../test/harness.js';
import { toALaw } from './cliAnnouncements.js';
import { EngineClient } from './client/engine.js';
import { sqliteDataVersion } from './db/database.js';
import { SipEngine } from './engines/sip/engine.js';
import { run } from './engines/sip/tts.js';
import { addAnnouncementClip, removeAnnouncementClip } from './services/announcementClips.js';
import { createEngineKey } from './services/engineKeys.js';

/*
 * A tenant's announcement library: `outcall announcement add | list | remove` (the built CLI, as an
 * operator runs it) on the server's database, the size cap (ANNOUNCEMENT_MAX_BYTES), what
 * /engine/v1/announcements gives an engine key (its tenant's clips only), that none of it moves the
 * tenant's data version, and the SIP engine's library per tenant (its own clips, else the built-in).
 */

let server: TestServer;
let tenant: TenantFixture;
let other: TenantFixture;
const dir = mkdtempSync(join(tmpdir(), 'outcall-announcements-'));
const wav = join(dir, 'power-off.wav');
const longWav = join(dir, 'long.wav');

function outcall(args: string[]): Promise<{ status: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(
      process.execPath,
      ['dist/cli.js', ...args],
      {
        env: { ...process.env, DATABASE_URL: server.databaseUrl, ANNOUNCEMENT_MAX_BYTES: '20000' },
        timeout: 30_000,
      },
      (error, stdout, stderr) =>
        resolve({ status: error ? (typeof error.code === 'number' ? error.code : null) : 0, stdout, stderr }),
    );
  });
}

async function dataVersion(): Promise<string> {
  if (testDialect === 'postgres') {
    const { rows } = await sql<{
      v: string;
    }>`select coalesce(sum(version), 0)::text as v from tenant_data_version`.execute(server.database.db);
    return rows[0]!.v;
  }
  return sqliteDataVersion(server.database) ?? '';
}

beforeAll(async () => {
  server = await startTestServer();
  tenant = await TenantFixture.create(server.database);
  other = await TenantFixture.create(server.database);
  // A 1.5 s announcement at 44.1 kHz (the CLI resamples), and 4 s of one: 32,000 bytes of A-law, over a 20,000 cap.
  const speech = await run('espeak-ng', ['-v', 'cmn', '--stdout', '--', '您拨打的电话已关机。']);
  await run('sox', ['-t', 'wav', '-', '-r', '44100', wav, 'trim', '0', '1.5'], speech);
  await run('sox', ['-n', '-r', '8000', '-c', '1', longWav, 'synth', '4', 'sine', '440']);
});
afterAll(() => server?.close());

describe('outcall announcement', () => {
  it('add stores the clip as 8 kHz A-law; list shows it; the same name twice is refused', async () => {
    const before = await dataVersion();
    const T = ['--tenant-id', String(tenant.tenantId)];
    const added = await outcall(['announcement', 'add', ...T, '--class', 'power_off', wav]);
    expect(added.stderr).toBe('');
    // SQLite's version moves with any other process's write (the CLI's): PostgreSQL's counts tables.
    expect(added.stdout).toMatch(/^announcement power_off \(power_off\): 12000 bytes, 1\.5 s/);
    const listed = await outcall(['announcement', 'list', ...T, '--json']);
    expect(JSON.parse(listed.stdout)).toMatchObject([{ name: 'power_off', class: 'power_off', audio_bytes: 12000 }]);
    await expect(
      addAnnouncementClip(
        server.database,
        { tenantId: tenant.tenantId, class: 'power_off', audio: Buffer.alloc(8000) },
        20_000,
      ),
    ).rejects.toThrow(/named power_off/);
    if (testDialect === 'postgres') expect(await dataVersion()).toBe(before);
  });

  it('refuses a clip over ANNOUNCEMENT_MAX_BYTES, naming the setting; a bad class or name; a file sox cannot read', async () => {
    const T = ['--tenant-id', String(tenant.tenantId)];
    const long = await outcall(['announcement', 'add', ...T, '--class', 'busy', longWav]);
    expect(long.status).not.toBe(0);
    expect(long.stderr).toMatch(/32000 bytes .*ANNOUNCEMENT_MAX_BYTES \(20000\)/);
    const add = (input: { class: string; name?: string; audio?: Buffer }) =>
      addAnnouncementClip(server.database, { tenantId: tenant.tenantId, audio: Buffer.alloc(8000), ...input }, 20_000);
    await expect(add({ class: 'Power Off' })).rejects.toThrow(/class/);
    await expect(add({ class: 'busy', name: ' ' })).rejects.toThrow(/name/);
    await expect(add({ class: 'busy', audio: Buffer.alloc(100) })).rejects.toThrow(/half a second/);
    await expect(toALaw(join(dir, 'none.wav'))).rejects.toThrow(/sox could not read/);
  });

  it('an engine key gets its tenant’s clips only; the SIP engine uses them for that tenant, the built-in library for others', async () => {
    const key = await createEngineKey(server.database, { name: 'sip', tenantId: tenant.tenantId });
    const client = new EngineClient({ baseUrl: server.url, ...key, retries: 0 });
    const otherKey = await createEngineKey(server.database, { name: 'sip-other', tenantId: other.tenantId });
    const before = await dataVersion();
    const { announcements } = await client.announcements();
    expect(announcements).toMatchObject([
      { tenantId: tenant.tenantId, class: 'power_off', name: 'power_off', codec: 'PCMA' },
    ]);
    expect(Buffer.from(announcements[0]!.audio, 'base64').length).toBe(12000);
    expect(
      (await new EngineClient({ baseUrl: server.url, ...otherKey, retries: 0 }).announcements()).announcements,
    ).toEqual([]);
    expect(await dataVersion()).toBe(before);

    const builtIn = [{ class: 'busy', name: 'busy', fingerprint: { words: new Uint32Array(0), frames: 0 } as never }];
    const engine = new SipEngine({
      api: client,
      agent: undefined as never,
      dataDir: dir,
      channels: 1,
      callsPerSecond: 1,
      library: builtIn,
    });
    await engine.loadAnnouncements();
    expect(engine.libraryOf(tenant.tenantId)?.map((a) => a.class)).toEqual(['power_off']);
    expect(engine.libraryOf(other.tenantId)).toBe(builtIn);
  });

  it('remove deletes it; the tenant is back to the built-in library', async () => {
    const T = ['--tenant-id', String(tenant.tenantId)];
    expect((await outcall(['announcement', 'remove', ...T, 'power_off'])).stdout).toMatch(/removed/);
    expect((await outcall(['announcement', 'list', ...T])).stdout).toMatch(/built-in library/);
    await expect(removeAnnouncementClip(server.database, tenant.tenantId, 'power_off')).rejects.toThrow(/power_off/);
  });
});
