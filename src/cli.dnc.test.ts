import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestDatabase, type TestDatabase } from '../test/harness.js';

/* `outcall dnc` and `outcall audit prune`: the built CLI (dist/), run as an operator would, on a real database. */

let testDb: TestDatabase;
const dir = mkdtempSync(join(tmpdir(), 'outcall-dnc-'));
// The CLI's own secret key, so that it neither looks for nor writes a key file.
const secretKey = randomBytes(32).toString('hex');

function outcall(...args: string[]): Promise<{ status: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(
      process.execPath,
      ['dist/cli.js', ...args],
      {
        env: { ...process.env, DATABASE_URL: testDb.databaseUrl, OUTCALL_SECRET_KEY: secretKey },
        timeout: 30_000,
      },
      (error, stdout, stderr) =>
        resolve({ status: error ? (typeof error.code === 'number' ? error.code : null) : 0, stdout, stderr }),
    );
  });
}

let tenantId: number;

beforeAll(async () => {
  testDb = await createTestDatabase();
  const r = await outcall('tenant', 'create', '--name', '名单公司', '--sign', 'dnccli', '--json');
  expect(r.status, r.stderr).toBe(0);
  tenantId = JSON.parse(r.stdout.trim().split('\n').at(-1)!).tenantId;
});
afterAll(() => testDb.drop());

const listed = async () =>
  (
    await testDb.database.db
      .selectFrom('do_not_call')
      .select(['phone_number', 'reason', 'added_by'])
      .where('tenant_id', '=', tenantId)
      .orderBy('phone_number')
      .execute()
  ).map((r) => `${r.phone_number} ${r.reason} ${r.added_by}`);

describe('outcall dnc', () => {
  it('add: numbers as arguments and from a file, with a reason, reporting rows it did not list', async () => {
    const file = join(dir, 'numbers.txt');
    writeFileSync(file, '13900000001\n\n+86 139-0000-0002\nnot-a-number\n');
    const r = await outcall('dnc', 'add', '--tenant-sign', 'dnccli', '--reason', '投诉', '13900000003', '-f', file);
    expect(r.status, r.stderr).toBe(0);
    expect(r.stdout).toContain('listed 3; 0 call task(s) finished without a call');
    expect(r.stdout).toContain(
      `not listed: not-a-number (line 4 of ${file}): not a mainland mobile or landline number`,
    );
    expect(await listed()).toEqual(['13900000001 投诉 cli', '13900000002 投诉 cli', '13900000003 投诉 cli']);
  });

  it('list: the page, filtered, and as JSON', async () => {
    const r = await outcall('dnc', 'list', '--tenant-id', String(tenantId), '--phone-number', '0002');
    expect(r.status, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/^13900000002 {2}listed \d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2} by cli {2}投诉$/m);
    expect(r.stdout).toContain('page 1 of 1, 1 number(s) in all');
    const json = await outcall('dnc', 'list', '--tenant-sign', 'dnccli', '--page-size', '2', '--json');
    expect(JSON.parse(json.stdout)).toMatchObject({ number: 1, pageSize: 2, totalElements: 3, pages: 2 });
  });

  it('remove: reports numbers that were not on the list', async () => {
    const r = await outcall('dnc', 'remove', '--tenant-sign', 'dnccli', '13900000001', '13900000009', '--json');
    expect(r.status, r.stderr).toBe(0);
    expect(JSON.parse(r.stdout)).toEqual({
      removed: [{ index: 0, phoneNumber: '13900000001' }],
      rejected: [{ index: 1, phoneNumber: '13900000009', reason: 'not on the do-not-call list' }],
    });
    expect(await listed()).toEqual(['13900000002 投诉 cli', '13900000003 投诉 cli']);
  });

  it('says what is wrong: no tenant, no numbers, an unknown tenant, a bad page', async () => {
    const [noTenant, noNumbers, unknown, missingFile, badPage] = await Promise.all([
      outcall('dnc', 'add', '13900000001'),
      outcall('dnc', 'add', '--tenant-sign', 'dnccli'),
      outcall('dnc', 'list', '--tenant-sign', 'nobody'),
      outcall('dnc', 'add', '--tenant-sign', 'dnccli', '-f', join(dir, 'missing')),
      outcall('dnc', 'list', '--tenant-sign', 'dnccli', '--page', '0'),
    ]);
    expect(noTenant.stderr).toContain('--tenant-sign or --tenant-id');
    expect(noNumbers.stderr).toContain('give the numbers');
    expect(unknown.stderr).toContain('no tenant with tenantSign');
    expect(missingFile.stderr).toContain('cannot read numbers from');
    for (const r of [noTenant, noNumbers, unknown, missingFile, badPage]) expect(r.status).toBe(1);
  });
});

describe('outcall audit prune', () => {
  it('removes the entries made before a day, in the tenant’s time zone', async () => {
    const entry = (createdAt: number, requestId: string) => ({
      tenant_id: tenantId,
      app_key: 'k',
      user_name: null,
      method: 'POST',
      action: 'task/start',
      robot_call_job_id: null,
      code: 200,
      result_msg: '执行成功',
      summary: null,
      client_ip: '127.0.0.1',
      request_id: requestId,
      created_at: createdAt,
    });
    // 2024-05-01 in Asia/Shanghai begins at 2024-04-30T16:00Z.
    await testDb.database.db
      .insertInto('audit_log')
      .values([
        entry(Date.UTC(2024, 3, 30, 15, 59, 59), 'OLDENTRY'),
        entry(Date.UTC(2024, 3, 30, 16, 0, 0), 'NEWENTRY'),
      ])
      .execute();
    const r = await outcall('audit', 'prune', '--before', '2024-05-01');
    expect(r.status, r.stderr).toBe(0);
    expect(r.stdout).toContain('removed 1 audit log entry made before 2024-05-01');
    const left = await testDb.database.db.selectFrom('audit_log').select('request_id').execute();
    expect(left.map((e) => e.request_id)).toEqual(['NEWENTRY']);
    const bad = await outcall('audit', 'prune', '--before', '2024-13-01');
    expect([bad.status, bad.stderr]).toEqual([1, expect.stringContaining('before must be a date')]);
  });
});
