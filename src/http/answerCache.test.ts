import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { finishedCall, T0, TenantFixture } from '../../test/fixtures.js';
import {
  call,
  getCallRecords,
  getTaskDetail,
  getTasks,
  startTestServer,
  type TestServer,
  testDialect,
} from '../../test/harness.js';
import { OutcallClient } from '../client/client.js';
import { createDatabase, type Database, sqliteDataVersion } from '../db/database.js';
import { VERSIONLESS_TABLES as VERSIONLESS_0026 } from '../db/migrations/0026_answer_data_version.js';
import { VERSIONLESS_TABLES_0028 } from '../db/migrations/0028_call_leases.js';
import { VERSIONLESS_TABLES as VERSIONLESS_0029 } from '../db/migrations/0029_engine_keys.js';
import { VERSIONLESS_TABLES as VERSIONLESS_0032 } from '../db/migrations/0032_announcement_clips.js';

import { deleteExpiredSignatureNonces, insertSignatureNonce } from '../repositories/tenants.js';
import { knownPart } from './answerCache.js';

/** Tables without data version triggers, by the migrations that made them. */
const VERSIONLESS_TABLES = [...VERSIONLESS_0026, ...VERSIONLESS_TABLES_0028];

/*
 * Kept answers and keys (http/answerCache.ts, services/auth.ts) are served only while nothing was
 * written: a write through another connection — another process — shows in the very next answer,
 * and a key disabled or a sign changed there holds at once.
 */

let server: TestServer;
let tenant: TenantFixture;
/** Another connection to the same database, as another server process would have. */
let elsewhere: Database;
let jobId: number;

beforeAll(async () => {
  server = await startTestServer();
  tenant = await TenantFixture.create(server.database);
  const customer = await tenant.customer();
  const job = await tenant.job({ name: '缓存任务', customers: [customer!.id] });
  jobId = job.jobId;
  await tenant.calls([finishedCall({ jobId, task: job.taskOf.get(customer!.id)!, result: 'ANSWERED', at: T0 })]);
  elsewhere = createDatabase(server.databaseUrl);
});

afterAll(async () => {
  await elsewhere?.destroy();
  await server?.close();
});

describe('a kept answer', () => {
  it('is the same answer again, with the request’s own requestId', async () => {
    const first = await getTaskDetail(server, tenant.credentials, jobId);
    const again = await getTaskDetail(server, tenant.credentials, jobId);
    expect(first.code).toBe(200);
    expect(again.requestId).not.toBe(first.requestId);
    expect({ ...again, requestId: '' }).toEqual({ ...first, requestId: '' });
  });

  it('is not served once another process changed the data', async () => {
    await getTaskDetail(server, tenant.credentials, jobId);
    await getTasks(server, tenant.credentials);
    await elsewhere.db.updateTable('robot_call_job').set({ name: '改名任务' }).where('id', '=', jobId).execute();
    expect((await getTaskDetail(server, tenant.credentials, jobId)).data.robotCallJob.name).toBe('改名任务');
    expect((await getTasks(server, tenant.credentials)).data.content[0].name).toBe('改名任务');
  });

  it('is not served once this process recorded calls', async () => {
    const before = await getCallRecords(server, tenant.credentials, { robotCallJobId: jobId });
    const customer = await tenant.customer();
    const job = await tenant.job({ name: '另一个任务', customers: [customer!.id] });
    await tenant.calls([
      finishedCall({ jobId: job.jobId, task: job.taskOf.get(customer!.id)!, result: 'BUSY', at: T0 + 60_000 }),
    ]);
    const detail = await getTaskDetail(server, tenant.credentials, job.jobId);
    expect(detail.data.callJobStatsInfo.taskCallTotal).toBe(1);
    const after = await getCallRecords(server, tenant.credentials, { robotCallJobId: jobId });
    expect(after.data.totalElements).toBe(before.data.totalElements);
  });
});

describe('a kept key', () => {
  it('is refused at once when another process changes its tenant’s sign, and when it disables it', async () => {
    const own = await TenantFixture.create(server.database);
    expect((await getTasks(server, own.credentials)).code).toBe(200);
    await elsewhere.db
      .updateTable('tenant')
      .set({ tenant_sign: `${own.credentials.tenantSign}x` })
      .where('id', '=', own.tenantId)
      .execute();
    expect((await getTasks(server, own.credentials)).code).toBe(401);
    const moved = { ...own.credentials, tenantSign: `${own.credentials.tenantSign}x` };
    expect((await getTasks(server, moved)).code).toBe(200);
    await elsewhere.db
      .updateTable('api_key')
      .set({ enabled: 0 })
      .where('app_key', '=', own.credentials.appKey)
      .execute();
    expect((await getTasks(server, moved)).code).toBe(403);
  });
});

describe.runIf(testDialect === 'sqlite')('the SQLite data version', () => {
  it('changes with every write an answer could show, and not with rate-limit slots or nonces', async () => {
    const db = server.database;
    const v0 = sqliteDataVersion(db);
    expect(v0).toBeDefined();
    await insertSignatureNonce(db, tenant.credentials.appKey, 'n'.repeat(16), T0 + 1000, T0);
    await deleteExpiredSignatureNonces(db, T0 + 2000);
    expect(sqliteDataVersion(db)).toBe(v0);
    await db.db.updateTable('robot_call_job').set({ description: 'x' }).where('id', '=', jobId).execute();
    const v1 = sqliteDataVersion(db);
    expect(v1).not.toBe(v0);
    await elsewhere.db.updateTable('robot_call_job').set({ description: 'y' }).where('id', '=', jobId).execute();
    expect(sqliteDataVersion(db)).not.toBe(v1);
  });

  it('does not change with a transaction that only reads (the callback dispatcher claims in one four times a second)', async () => {
    const db = server.database;
    const v0 = sqliteDataVersion(db);
    await db.transaction((trx) => trx.db.selectFrom('robot_call_job').select('id').where('id', '=', jobId).execute());
    expect(sqliteDataVersion(db)).toBe(v0);
    await db.transaction((trx) =>
      trx.db.updateTable('robot_call_job').set({ description: 'z' }).where('id', '=', jobId).execute(),
    );
    expect(sqliteDataVersion(db)).not.toBe(v0);
  });
});

describe('with the default rate limit, signed with v2', () => {
  let limited: TestServer;
  let theirs: TenantFixture;
  let theirJob: number;
  let other: Database;
  beforeAll(async () => {
    // The default rate limit (the harness switches it off): every request takes a slot, and with v2 a nonce.
    limited = await startTestServer({ env: { RATE_LIMIT_PER_SECOND: '50' } });
    expect(limited.config.rateLimitPerSecond).toBe(50);
    theirs = await TenantFixture.create(limited.database);
    theirJob = (await theirs.job({ name: '限流缓存' })).jobId;
    other = createDatabase(limited.databaseUrl);
  });
  afterAll(async () => {
    await other?.destroy();
    await limited?.close();
  });

  it('serves kept answers again: slots and nonces written meanwhile do not set them aside, a write does', async () => {
    const client = new OutcallClient({
      baseUrl: limited.url,
      ...theirs.credentials,
      signatureVersion: 'v2',
      retries: 0,
    });
    const detail = () => client.send<any>('GET', `/apiOpen/v1/task/getTaskDetail?robotCallJobId=${theirJob}`);
    // Whether a request ran the answer's queries (a miss) or was served a kept answer (a hit).
    const ranQueries = async (send: () => Promise<unknown>) => {
      const before = limited.queries.filter((q) => q.includes('job_day_stats')).length;
      await send();
      return limited.queries.filter((q) => q.includes('job_day_stats')).length > before;
    };
    expect(await ranQueries(detail)).toBe(true);
    const hits: boolean[] = [];
    for (let i = 0; i < 10; i++) {
      hits.push(!(await ranQueries(detail)));
      expect((await client.send('GET', `/apiOpen/v1/task/getTasks?pageNum=${i + 1}`)).code).toBe(200);
    }
    expect(hits).toEqual(new Array(10).fill(true));
    const slots = await other.db.selectFrom('rate_limit').select('app_key').execute();
    expect(slots.length).toBeGreaterThan(0);
    const nonces = await other.db.selectFrom('signature_nonce').select('nonce').execute();
    expect(nonces.length).toBeGreaterThanOrEqual(21);

    // A write an answer shows, from another process, sets the kept answer aside at once.
    await other.db.updateTable('robot_call_job').set({ name: '限流改名' }).where('id', '=', theirJob).execute();
    expect(await ranQueries(async () => expect((await detail()).data.robotCallJob.name).toBe('限流改名'))).toBe(true);
    expect(await ranQueries(detail)).toBe(false);
  });
});

describe.runIf(testDialect === 'postgres')('the PostgreSQL data version', () => {
  it('is moved by every table with a tenant_id but the bookkeeping ones', async () => {
    const { rows } = await sql<{ table_name: string; triggers: number }>`
      select c.table_name, count(distinct t.event_manipulation)::int as triggers
      from information_schema.columns c
      left join information_schema.triggers t
        on t.event_object_table = c.table_name and t.trigger_name like '%_data_version_%'
      where c.column_name = 'tenant_id' and c.table_schema = current_schema() and c.table_name <> 'tenant_data_version'
      group by c.table_name`.execute(server.database.db);
    expect(rows.length).toBeGreaterThan(20);
    for (const { table_name, triggers } of rows)
      expect(triggers, table_name).toBe(
        [...VERSIONLESS_TABLES, ...VERSIONLESS_0029, ...VERSIONLESS_0032].includes(table_name) ? 0 : 3,
      );
  });
});

describe('ANSWER_CACHE_MB=0', () => {
  let uncached: TestServer;
  let theirs: TenantFixture;
  let theirJob: number;
  beforeAll(async () => {
    uncached = await startTestServer({ env: { ANSWER_CACHE_MB: '0' } });
    theirs = await TenantFixture.create(uncached.database);
    theirJob = (await theirs.job({ name: '不缓存' })).jobId;
  });
  afterAll(() => uncached?.close());

  it('keeps nothing: each read runs its queries', async () => {
    const statisticsReads = () => uncached.queries.filter((q) => q.includes('job_day_stats')).length;
    const before = statisticsReads();
    for (let i = 0; i < 3; i++) expect((await getTaskDetail(uncached, theirs.credentials, theirJob)).code).toBe(200);
    expect(statisticsReads() - before).toBeGreaterThanOrEqual(3);
  });
});

describe('the key of a kept answer', () => {
  it('holds only the fields the schema declares', () => {
    const schema = { properties: { a: { type: 'integer' }, b: { items: { properties: { c: {} } } } } };
    expect(knownPart({ a: 1, x: [[[]]], b: [{ c: 2, y: {} }] }, schema)).toEqual({ a: 1, b: [{ c: 2 }] });
  });

  it('is not split, nor its building overflowed, by unknown fields, however deep', async () => {
    const plain = await getCallRecords(server, tenant.credentials, { robotCallJobId: jobId });
    expect(plain.code).toBe(200);
    const nested = (depth: number) => JSON.parse(`${'['.repeat(depth)}${']'.repeat(depth)}`);
    const shallow = await getCallRecords(server, tenant.credentials, { robotCallJobId: jobId, customers: nested(20) });
    expect({ ...shallow, requestId: '' }).toEqual({ ...plain, requestId: '' });
    // Deeper than any body an endpoint takes: refused before any work, naming the body.
    const deep = await call(
      server,
      tenant.credentials,
      'POST',
      '/apiOpen/v1/task/getCallRecordInfoList',
      `{"robotCallJobId":${jobId},"customers":${'['.repeat(10_000)}${']'.repeat(10_000)}}`,
    );
    expect(deep.code).toBe(412);
    expect(deep.resultMsg).toContain('body');
  });
});
