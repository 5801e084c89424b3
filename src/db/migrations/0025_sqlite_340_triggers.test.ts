import { execFileSync } from 'node:child_process';
import type { Kysely } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { finishedCall, TenantFixture } from '../../../test/fixtures.js';
import { createTestDatabase, type TestDatabase, testDialect } from '../../../test/harness.js';
import { fillRecordRollups } from './0020_count_duration_concerns.js';

/*
 * Users inspect and repair their embedded database with the system's own `sqlite3`; Debian 12's is
 * 3.40. After every migration, that tool opens the file, reads every table and fires the rollup
 * triggers with its own SQLite, and the rollups it keeps are the ones the service recomputes.
 * CI installs the tool; elsewhere the file is skipped without it.
 */

const sqlite3 = (() => {
  try {
    return execFileSync('sqlite3', ['--version'], { encoding: 'utf8' }).trim();
  } catch {
    return undefined;
  }
})();
const wanted = testDialect === 'sqlite' && (sqlite3 !== undefined || process.env.CI === 'true');

let testDb: TestDatabase;
let file: string;
const shell = (statements: string) => execFileSync('sqlite3', ['-bail', file, statements], { encoding: 'utf8' }).trim();

describe.skipIf(!wanted)(`the database file opened by the system's sqlite3 (${sqlite3 ?? 'not installed'})`, () => {
  beforeAll(async () => {
    testDb = await createTestDatabase();
    file = testDb.databaseUrl.slice('sqlite:'.length);
    const tenant = await TenantFixture.create(testDb.database);
    const customer = (await tenant.customer({})).id;
    const job = await tenant.job({ customers: [customer], redialTimes: 30 });
    const concerns = [['价格'], ['位置', '价格', '位置'], [], ['😀', 'Z', '\ue000']];
    await tenant.calls(
      concerns.map((c, i) =>
        finishedCall({ jobId: job.jobId, phone: `1380000000${i}`, concerns: c, duration: 30 + i }),
      ),
    );
  });
  afterAll(() => testDb?.drop());

  it('finds the schema well formed and reads every table', () => {
    expect(shell('pragma integrity_check')).toBe('ok');
    const tables = shell("select name from sqlite_master where type = 'table' and name not like 'sqlite_%'").split(
      '\n',
    );
    expect(tables).toContain('call_record_concern_count');
    for (const table of tables) expect(shell(`select count(*) >= 0 from "${table}"`)).toBe('1');
  });

  it('keeps the concern rollup exact when it changes and deletes records itself', async () => {
    shell(`update call_record set customer_concern = '["新的","价格","新的"]' where customer_concern = '["价格"]';
      update call_record set customer_concern = '[]' where customer_concern like '%😀%';
      delete from call_record where customer_concern like '%位置%';`);
    const db = testDb.database.db as unknown as Kysely<any>;
    const rollup = () =>
      db
        .selectFrom('call_record_concern_count')
        .selectAll()
        .where('records', '<>', 0)
        .orderBy(['job_id', 'concerns', 'result_status', 'intent_level'])
        .execute();
    const kept = await rollup();
    expect(kept.map((r) => [r.concerns, Number(r.records)])).toEqual([['["价格","新的"]', 1]]);
    await fillRecordRollups(db, 'sqlite');
    expect(await rollup()).toEqual(kept);
  });
});
