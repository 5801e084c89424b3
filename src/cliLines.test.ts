import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestDatabase, type TestDatabase } from '../test/harness.js';
import { listAuditEntries } from './repositories/auditLog.js';

/* `outcall line` and `outcall tenant set`: the built CLI (dist/), run as an operator would, on a real database. */

let testDb: TestDatabase;
const dir = mkdtempSync(join(tmpdir(), 'outcall-lines-'));
// The CLI's own secret key, so that it neither looks for nor writes a key file.
const secretKey = randomBytes(32).toString('hex');

function outcall(args: string[], stdin?: string): Promise<{ status: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const child = execFile(
      process.execPath,
      ['dist/cli.js', ...args],
      {
        env: { ...process.env, DATABASE_URL: testDb.databaseUrl, OUTCALL_SECRET_KEY: secretKey },
        timeout: 30_000,
      },
      (error, stdout, stderr) =>
        resolve({ status: error ? (typeof error.code === 'number' ? error.code : null) : 0, stdout, stderr }),
    );
    child.stdin?.end(stdin ?? '');
  });
}

let tenantId: number;
const T = ['--tenant-sign', 'linecli'];

beforeAll(async () => {
  testDb = await createTestDatabase();
  const r = await outcall(['tenant', 'create', '--name', '线路公司', '--sign', 'linecli', '--json']);
  expect(r.status, r.stderr).toBe(0);
  tenantId = JSON.parse(r.stdout.trim().split('\n').at(-1)!).tenantId;
});
afterAll(() => testDb.drop());

describe('outcall line', () => {
  let id: number;

  it('add: an external line with 2 channels and a trunk, its password read from standard input', async () => {
    const r = await outcall(
      [
        'line',
        'add',
        ...T,
        '--phone-number',
        '0571-8888-0001',
        '--name',
        '杭州中继',
        '--channels',
        '2',
        '--sip-uri',
        'sip:trunk.example.com',
        '--sip-username',
        'acct',
        '--sip-password-stdin',
        '--sip-codecs',
        'PCMA',
        '--json',
      ],
      'trunk-secret\n',
    );
    expect(r.status, r.stderr).toBe(0);
    const out = JSON.parse(r.stdout);
    id = out.phoneLine.phoneNumberId;
    expect(out.phoneLine).toMatchObject({
      phoneNumber: '057188880001',
      engine: 'external',
      channels: 2,
      hasSipPassword: true,
      sipCodecs: ['PCMA'],
    });
    expect(r.stdout).not.toContain('trunk-secret');
  });

  it('refuses a password on the command line, and bad values naming the field', async () => {
    const argv = await outcall(['line', 'add', ...T, '--phone-number', '057188880002', '--sip-password', 'x']);
    expect(argv.status).toBe(1);
    expect(argv.stderr).toContain('--sip-password is refused');
    const bad = await outcall(['line', 'add', ...T, '--phone-number', '057188880002', '--ring-timeout', '4']);
    expect(bad.status).toBe(1);
    expect(bad.stderr).toContain('ringTimeoutSeconds must be a whole number from 5 to 300');
    const dup = await outcall(['line', 'add', ...T, '--phone-number', '+86 057188880001']);
    expect(dup.stderr).toContain('phoneNumber is already the number of the tenant');
  });

  it('set: only what is given; the same value again is no change; a password from a file', async () => {
    const file = join(dir, 'pw');
    writeFileSync(file, 'another-secret\n');
    const r = await outcall([
      'line',
      'set',
      String(id),
      ...T,
      '--channels',
      '2',
      '--daily-cap',
      '1',
      '--sip-password-file',
      file,
    ]);
    expect(r.status, r.stderr).toBe(0);
    expect(r.stdout).toContain('changed: dailyCapPerNumber, sipPassword');
    const again = await outcall(['line', 'set', String(id), ...T, '--daily-cap', '1', '--json']);
    expect(JSON.parse(again.stdout).changed).toEqual([]);
    const none = await outcall(['line', 'set', String(id), ...T, '--daily-cap', 'none', '--json']);
    expect(JSON.parse(none.stdout).phoneLine.dailyCapPerNumber).toBeNull();
  });

  it('disable, enable and list', async () => {
    expect((await outcall(['line', 'disable', String(id), ...T])).stdout).toContain('DISABLED');
    const list = await outcall(['line', 'list', ...T]);
    expect(list.stdout).toMatch(
      new RegExp(`^line ${id} {2}057188880001 {2}LANDLINE {2}杭州中继 {2}external {2}DISABLED`, 'm'),
    );
    expect(list.stdout).not.toContain('secret');
    await outcall(['line', 'enable', String(id), ...T]);
    const json = JSON.parse((await outcall(['line', 'list', ...T, '--json'])).stdout);
    expect(json).toMatchObject([{ phoneNumberId: id, enabled: true }]);
    const other = await outcall(['line', 'disable', '999999', ...T]);
    expect(other.stderr).toContain('phoneNumberId 999999');
  });

  it('enters each change in the tenant’s audit log as the CLI’s, a no-change not at all', async () => {
    const entries = await listAuditEntries(testDb.database, tenantId, {}, 100, 0);
    const actions = entries.filter((e) => e.method === 'CLI').map((e) => e.action);
    expect(actions.sort()).toEqual(['line/add', 'line/disable', 'line/enable', 'line/set', 'line/set'].sort());
    expect(JSON.stringify(entries)).not.toContain('secret');
  });
});

describe('outcall tenant set --time-zone', () => {
  it('changes the zone (audited), and refuses what is not an IANA zone', async () => {
    const r = await outcall(['tenant', 'set', ...T, '--time-zone', 'Europe/Berlin']);
    expect(r.status, r.stderr).toBe(0);
    expect(r.stdout).toContain('time zone Europe/Berlin from now on');
    const same = await outcall(['tenant', 'set', ...T, '--time-zone', 'Europe/Berlin', '--json']);
    expect(JSON.parse(same.stdout)).toEqual({ tenantId, timeZone: 'Europe/Berlin', changed: false });
    const bad = await outcall(['tenant', 'set', ...T, '--time-zone', 'Moon/Base']);
    expect(bad.status).toBe(1);
    expect(bad.stderr).toContain('timeZone "Moon/Base" is not an IANA time zone');
    const entries = await listAuditEntries(testDb.database, tenantId, { action: 'tenant/setTimeZone' }, 10, 0);
    expect(entries).toHaveLength(1);
  });
});
