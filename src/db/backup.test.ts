import { execFile } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import SqliteDatabase from 'better-sqlite3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { finishedCall, T0, TenantFixture } from '../../test/fixtures.js';
import {
  allCallRecords,
  createTestDatabase,
  getTaskDetail,
  type TestDatabase,
  testDialect,
} from '../../test/harness.js';
import { recomputeStats } from '../../test/recompute.js';
import { loadConfig } from '../config.js';
import { buildApp } from '../http/app.js';
import { pgDumpCommand } from './backup.js';
import { createDatabase } from './database.js';

/* `outcall backup FILE` (the built CLI) while the database is being written to. */

const CLI = resolve('dist/cli.js');
const dir = mkdtempSync(join(tmpdir(), 'outcall-backup-'));
let testDb: TestDatabase;

function outcall(args: string[]): Promise<{ status: number | null; stdout: string; stderr: string; ms: number }> {
  const started = Date.now();
  return new Promise((done) => {
    execFile(
      process.execPath,
      [CLI, ...args],
      { env: { ...process.env, DATABASE_URL: testDb.databaseUrl }, timeout: 60_000 },
      (error, stdout, stderr) =>
        done({
          status: error ? (typeof error.code === 'number' ? error.code : null) : 0,
          stdout,
          stderr,
          ms: Date.now() - started,
        }),
    );
  });
}

beforeAll(async () => {
  testDb = await createTestDatabase();
});
afterAll(async () => {
  await testDb.drop();
  rmSync(dir, { recursive: true, force: true });
});

describe.runIf(testDialect === 'sqlite')('a backup of a SQLite database', () => {
  it('is consistent although calls are recorded all the while it is taken', async () => {
    const tenant = await TenantFixture.create(testDb.database);
    const { jobId } = await tenant.job({ name: '备份任务' });
    const results = ['ANSWERED', 'NO_ANSWER', 'BUSY', 'ANSWERED'] as const;
    let n = 0;
    const batch = (size: number) =>
      Array.from({ length: size }, () => {
        n++;
        return finishedCall({
          jobId,
          phone: `138${String(n).padStart(8, '0')}`,
          result: results[n % 4],
          intent: (['A', 'B', 'C', 'D'] as const)[n % 4],
          at: T0 + n * 7_000,
          duration: (n * 13) % 200,
          rounds: n % 12,
          concerns: n % 3 ? ['价格'] : ['价格', '售后'],
        });
      });
    // Enough to copy that the backup takes a while.
    for (let i = 0; i < 12; i++) await tenant.calls(batch(500));
    const before = n;

    let writing = true;
    let written = 0;
    const writer = (async () => {
      while (writing) {
        await tenant.calls(batch(10));
        written += 10;
        await new Promise((r) => setImmediate(r));
      }
    })();
    const file = join(dir, 'copy.db');
    const r = await outcall(['backup', file]);
    const writtenDuringBackup = written;
    writing = false;
    await writer;
    expect(r.status, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/backed up .* to .*copy\.db: [\d.]+ MB, \d+ pages, checked/);
    expect(r.stdout).toContain('keep the secret key');
    expect(writtenDuringBackup).toBeGreaterThan(0);

    const copy = new SqliteDatabase(file, { readonly: true });
    expect(copy.pragma('integrity_check', { simple: true })).toBe('ok');
    const copied = (copy.prepare('select count(*) as n from call_record').get() as { n: number }).n;
    copy.close();
    expect(copied).toBeGreaterThanOrEqual(before);
    expect(copied).toBeLessThanOrEqual(before + written);

    // The copy serves statistics that equal a recomputation from the records it lists.
    const database = createDatabase(`sqlite:${file}`);
    const app = await buildApp({ database, config: loadConfig({}), logger: false });
    await app.listen({ port: 0, host: '127.0.0.1' });
    try {
      const address = app.server.address();
      const served = { url: `http://127.0.0.1:${typeof address === 'object' && address ? address.port : 0}` };
      const detail = (await getTaskDetail(served, tenant.credentials, jobId)).data;
      const records = await allCallRecords(served, tenant.credentials, { robotCallJobId: jobId });
      expect(records.length).toBe(copied);
      expect(detail.callJobStatsInfo).toEqual(recomputeStats(records, detail));
    } finally {
      await app.close();
      await database.destroy();
    }
  });

  it('does not replace an existing file unless told to', async () => {
    const file = join(dir, 'exists.db');
    writeFileSync(file, 'keep me');
    const r = await outcall(['backup', file]);
    expect(r.status).toBe(1);
    expect(r.stderr).toContain('exists (use --force to replace it)');
    expect((await outcall(['backup', file, '--force'])).status).toBe(0);
    expect(existsSync(`${file}.partial-${process.pid}`)).toBe(false);
    const copy = new SqliteDatabase(file, { readonly: true });
    expect(copy.pragma('quick_check', { simple: true })).toBe('ok');
    copy.close();
    const nowhere = await outcall(['backup', join(dir, 'no', 'such', 'dir.db')]);
    expect(nowhere.stderr).toContain('does not exist');
  });
});

describe.runIf(testDialect === 'postgres')('a backup of a PostgreSQL database', () => {
  it('is refused, with the pg_dump command that takes one', async () => {
    const r = await outcall(['backup', join(dir, 'pg.dump')]);
    expect(r.status).toBe(1);
    expect(r.stderr).toContain('for PostgreSQL use pg_dump');
    expect(r.stderr).toContain(pgDumpCommand(testDb.databaseUrl, join(dir, 'pg.dump')));
    expect(r.stderr).toContain('pg_restore');
  });
});

it('pg_dump is given no password', () => {
  expect(pgDumpCommand('postgres://outcall:s3cret@db:5432/outcall', '/backups/outcall.dump')).toBe(
    'pg_dump --format=custom --file=/backups/outcall.dump postgres://outcall@db:5432/outcall',
  );
});
