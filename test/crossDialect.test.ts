import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../src/config.js';
import { createDatabase, type Database, type Dialect } from '../src/db/database.js';
import { migrateToLatest } from '../src/db/migrate.js';
import { ensureDemoData } from '../src/demo/seed.js';
import { type App, buildApp } from '../src/http/app.js';
import type { Credentials } from '../src/services/tenants.js';
import { type ScratchDatabase, scratchDatabase } from './databases.js';
import { allCallRecords, call, testDialect } from './harness.js';

/*
 * The same demo data, seeded identically into SQLite and PostgreSQL and served by both, answers
 * every endpoint the same way — byte for byte apart from requestId. Runs once, in the postgres
 * project (it needs TEST_DATABASE_URL). The PostgreSQL database gets a Chinese ICU collation, as an
 * operator's might, so an answer that leant on the database's text order would differ here.
 */

const NOW = Date.UTC(2024, 9, 15, 4, 0, 0); // 2024-10-15 12:00 in Asia/Shanghai
const SEED = 20241015;

interface Side {
  dialect: Dialect;
  scratch: ScratchDatabase;
  database: Database;
  app: App;
  url: string;
  credentials: Credentials;
}
const sides: Side[] = [];

async function serve(dialect: Dialect): Promise<Side> {
  const scratch = await scratchDatabase(dialect, dialect === 'postgres' ? { icuLocale: 'zh-Hans-CN' } : {});
  const database = createDatabase(scratch.url, { poolSize: 4 });
  await migrateToLatest(database);
  const { credentials } = await ensureDemoData(database, { now: NOW, seed: SEED });
  const app = await buildApp({ database, config: loadConfig({ RATE_LIMIT_PER_SECOND: '0' }), logger: false });
  await app.listen({ port: 0, host: '127.0.0.1' });
  const address = app.server.address();
  return {
    dialect,
    scratch,
    database,
    app,
    url: `http://127.0.0.1:${typeof address === 'object' && address ? address.port : 0}`,
    credentials,
  };
}

describe.runIf(testDialect === 'postgres')('SQLite and PostgreSQL with the same data', () => {
  beforeAll(async () => {
    sides.push(await serve('sqlite'), await serve('postgres'));
  }, 120_000);
  afterAll(async () => {
    for (const s of sides) {
      await s.app.close();
      await s.database.destroy();
      await s.scratch.drop();
    }
  });

  let compared = 0;
  /** Sends one request to both servers; the envelopes must be equal apart from requestId. */
  async function same(method: 'GET' | 'POST', path: string, body?: unknown): Promise<any> {
    const [a, b] = await Promise.all(sides.map((s) => call(s, s.credentials, method, path, body)));
    const strip = ({ requestId, ...rest }: any) => {
      expect(requestId).toMatch(/\S/);
      return rest;
    };
    expect(strip(b), `${method} ${path} ${body ? JSON.stringify(body) : ''}`).toEqual(strip(a));
    compared++;
    return a;
  }

  it('seed the same tenant, ids and row counts', async () => {
    const [sqlite, postgres] = sides as [Side, Side];
    expect(postgres.credentials.tenantId).toBe(sqlite.credentials.tenantId);
    for (const table of [
      'customer_person',
      'robot_call_job',
      'call_task',
      'call_record',
      'call_detail',
      'job_day_stats',
      'job_concern_stats',
    ] as const) {
      const [a, b] = await Promise.all(
        sides.map(async (s) => {
          const row = await s.database.db
            .selectFrom(table)
            .select((eb) => [eb.fn.countAll<number>().as('n')])
            .executeTakeFirstOrThrow();
          return Number(row.n);
        }),
      );
      expect(b, table).toBe(a);
    }
    const [maxA, maxB] = await Promise.all(
      sides.map(
        async (s) =>
          (
            await s.database.db
              .selectFrom('call_record')
              .select((eb) => eb.fn.max('id').as('m'))
              .executeTakeFirstOrThrow()
          ).m,
      ),
    );
    expect(Number(maxB)).toBe(Number(maxA));
  });

  it('answer getTasks alike, with and without filters and pages', async () => {
    const all = await same('GET', '/apiOpen/v1/task/getTasks?pageSize=100');
    expect(all.data.content.length).toBeGreaterThanOrEqual(5);
    for (let pageNum = 1; pageNum <= 4; pageNum++)
      await same('GET', `/apiOpen/v1/task/getTasks?pageSize=2&pageNum=${pageNum}`);
    for (const status of new Set<string>(all.data.content.map((j: any) => j.status)))
      await same('GET', `/apiOpen/v1/task/getTasks?status=${status}`);
    for (const status of [0, 1, 2, 3, 4, 5, 6, 7]) await same('GET', `/apiOpen/v1/task/getTasks?status=${status}`);
    for (const name of ['悦动', '英语', '江北商业综合体', '不存在的任务', '%', '_'])
      await same('GET', `/apiOpen/v1/task/getTasks?name=${encodeURIComponent(name)}`);
    await same('GET', `/apiOpen/v1/task/getTasks?name=${encodeURIComponent('悦动')}&status=COMPLETED`);
    await same('GET', '/apiOpen/v1/task/getTasks?pageSize=101');
    await same('GET', '/apiOpen/v1/task/getTasks?status=NOPE');
  });

  it('answer getTaskDetail alike for every job', async () => {
    const jobs = (await same('GET', '/apiOpen/v1/task/getTasks?pageSize=100')).data.content;
    for (const job of jobs) {
      const detail = await same('GET', `/apiOpen/v1/task/getTaskDetail?robotCallJobId=${job.robotCallJobId}`);
      expect(detail.code).toBe(200);
    }
    await same('GET', '/apiOpen/v1/task/getTaskDetail?robotCallJobId=999999');
    await same('GET', '/apiOpen/v1/task/getTaskDetail?robotCallJobId=abc');
  });

  it('answer getCallRecordInfoList alike for many filter combinations and pages', async () => {
    const jobs = (await same('GET', '/apiOpen/v1/task/getTasks?pageSize=100')).data.content;
    const list = (body: Record<string, unknown>) => same('POST', '/apiOpen/v1/task/getCallRecordInfoList', body);
    for (const job of jobs) {
      const id = job.robotCallJobId;
      const first = await list({ robotCallJobId: id, pageSize: 20 });
      for (let pageNum = 2; pageNum <= Math.min(first.data.pages, 3); pageNum++)
        await list({ robotCallJobId: id, pageSize: 20, pageNum });
      if (first.data.pages > 1) await list({ robotCallJobId: id, pageSize: 20, pageNum: first.data.pages });
      const sample = first.data.content as any[];
      if (sample.length === 0) continue;
      const day = sample[0].startTime.slice(0, 10);
      await list({ robotCallJobId: id, resultStatuses: ['ANSWERED'], pageSize: 50 });
      await list({ robotCallJobId: id, resultStatuses: ['NO_ANSWER', 'BUSY', 3], intentLevels: ['E', 'F'] });
      await list({ robotCallJobId: id, intentLevels: ['A', 'B'], pageSize: 100 });
      await list({ robotCallJobId: id, earliestCreationTime: day, latestCreationTime: day, pageSize: 30, pageNum: 2 });
      await list({ robotCallJobId: id, earliestCreationTime: day });
      await list({ robotCallJobId: id, latestCreationTime: day, resultStatuses: ['ANSWERED'] });
      await list({ robotCallJobId: id, customerGroupId: sample[0].customerGroupId ?? 0 });
      await list({ robotCallJobId: id, dialogFlowId: sample[0].dialogFlowId });
      for (const followStatus of ['AI_INITIAL_VISIT', 'FOLLOW_UP']) await list({ robotCallJobId: id, followStatus });
      await list({ robotCallJobId: id, searchWords: sample[0].customerPersonInfo?.name?.slice(0, 1) ?? '王' });
      await list({ robotCallJobId: id, searchWords: sample[0].calledPhoneNumber.slice(3, 7) });
      await list({ robotCallJobId: id, getTrainTaskList: true });
    }
    await list({ robotCallJobId: jobs[0].robotCallJobId, earliestCreationTime: '2024-13-01' });
    await list({ robotCallJobId: jobs[0].robotCallJobId, resultStatuses: ['NOPE'] });
    await list({ robotCallJobId: 999999 });
    await list({});
  });

  it('answer callDetail alike for a sample of call records', async () => {
    const jobs = (await same('GET', '/apiOpen/v1/task/getTasks?pageSize=100')).data.content;
    const ids: number[] = [];
    for (const job of jobs) {
      for (const getTrainTaskList of [false, true]) {
        const records = await allCallRecords(sides[0]!, sides[0]!.credentials, {
          robotCallJobId: job.robotCallJobId,
          getTrainTaskList,
        });
        ids.push(...records.filter((_, i) => i % 41 === 0).map((r) => r.callRecordId));
      }
    }
    expect(ids.length).toBeGreaterThanOrEqual(40);
    for (const id of ids) expect((await same('GET', `/apiOpen/v1/task/callDetail?callRecordId=${id}`)).code).toBe(200);
    await same('GET', '/apiOpen/v1/task/callDetail?callRecordId=99999999');
    console.info(
      `[cross-dialect] ${compared} request pairs answered identically by SQLite and PostgreSQL (ICU zh-Hans-CN collation); ${ids.length} call details sampled`,
    );
  });
});
