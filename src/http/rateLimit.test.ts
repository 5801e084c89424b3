import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { TenantFixture } from '../../test/fixtures.js';
import { call, getTasks, startTestServer, type TestServer } from '../../test/harness.js';
import { OutcallClient } from '../client/index.js';
import { ConfigError, loadConfig } from '../config.js';
import { createDatabase, type Database } from '../db/database.js';
import { type App, buildApp } from './app.js';

/*
 * Rate limits per appKey (services/rateLimits.ts): a rate with bursts, held in the database so
 * that every process on it shares one budget per key, answered with envelope 429 and Retry-After.
 * The server's clock is the test's (it also checks signature timestamps), so time is exact.
 */

/** A clock the test moves: starts at the real time, so signatures are within their window. */
class TestClock {
  t = Date.now();
  now = () => this.t;
  advance(ms: number) {
    this.t += ms;
  }
}

const servers: { close(): Promise<void> }[] = [];
afterEach(async () => {
  for (const s of servers.splice(0).reverse()) await s.close();
});

async function limited(perSecond: number, burst: number, clock?: TestClock): Promise<TestServer> {
  const server = await startTestServer({
    env: { RATE_LIMIT_PER_SECOND: String(perSecond), RATE_LIMIT_BURST: String(burst) },
    now: clock?.now,
  });
  servers.push(server);
  return server;
}

/** A second app (as another process would be) on the same database, with its own connections. */
async function secondApp(server: TestServer, clock: TestClock): Promise<{ url: string }> {
  const database: Database = createDatabase(server.databaseUrl, { poolSize: 3 });
  const app: App = await buildApp({ database, config: server.config, now: clock.now, logger: false });
  await app.listen({ port: 0, host: '127.0.0.1' });
  const address = app.server.address();
  servers.push({
    close: async () => {
      await app.close();
      await database.destroy();
    },
  });
  return { url: `http://127.0.0.1:${typeof address === 'object' && address ? address.port : 0}` };
}

/** Sends `n` requests one after another; returns the envelope codes. */
async function codes(server: { url: string }, tenant: TenantFixture, n: number): Promise<number[]> {
  const out: number[] = [];
  for (let i = 0; i < n; i++) out.push((await getTasks(server, tenant.credentials)).code);
  return out;
}

const count = (list: number[], code: number) => list.filter((c) => c === code).length;

describe('rate limits per appKey', () => {
  it('allows a burst, then the configured rate: 10/s with bursts of 5 over 3 simulated seconds', async () => {
    const clock = new TestClock();
    const server = await limited(10, 5, clock);
    const tenant = await TenantFixture.create(server.database);
    // At one instant: the burst, then refusals.
    expect(await codes(server, tenant, 8)).toEqual([200, 200, 200, 200, 200, 429, 429, 429]);
    // Then every 10 ms for 3 s, a request: one in ten (every 100 ms) passes.
    const seen: number[] = [];
    for (let i = 0; i < 300; i++) {
      clock.advance(10);
      seen.push((await getTasks(server, tenant.credentials)).code);
    }
    expect(count(seen, 200)).toBe(30);
    expect(count(seen, 429)).toBe(270);
  });

  it('answers 429 as the platform does, with a Retry-After that is enough to wait', async () => {
    const clock = new TestClock();
    const server = await limited(1, 2, clock);
    const tenant = await TenantFixture.create(server.database);
    await codes(server, tenant, 2);
    const response = await fetchSigned(server, tenant);
    expect(response.status).toBe(200);
    const retryAfter = Number(response.headers.get('retry-after'));
    expect(retryAfter).toBe(1);
    expect(response.body).toMatchObject({
      code: 429,
      data: null,
      requestId: expect.stringMatching(/^[A-Z]{8}$/),
      errorStackTrace: null,
    });
    expect(response.body.resultMsg).toMatch(
      new RegExp(`^请求过于频繁: appKey ${tenant.credentials.appKey} is limited to 1 requests per second`),
    );
    // (At 1/s or more a slot opens within a second, so Retry-After is 1.) Waiting less is
    // still refused; waiting what it said is served.
    clock.advance(retryAfter * 1000 - 100);
    expect((await getTasks(server, tenant.credentials)).code).toBe(429);
    clock.advance(100);
    expect((await getTasks(server, tenant.credentials)).code).toBe(200);
  });

  it('another key, of the same tenant or another, has its own budget', async () => {
    const clock = new TestClock();
    const server = await limited(5, 3, clock);
    const a = await TenantFixture.create(server.database);
    const b = await TenantFixture.create(server.database);
    expect(await codes(server, a, 5)).toEqual([200, 200, 200, 429, 429]);
    expect(await codes(server, b, 3)).toEqual([200, 200, 200]);
    const { createApiKey } = await import('../services/tenants.js');
    const second = await createApiKey(server.database, a.tenantId);
    const r = await call(server, { ...a.credentials, ...second }, 'GET', '/apiOpen/v1/task/getTasks');
    expect(r.code).toBe(200);
  });

  it('two apps on one database share each key’s budget', async () => {
    const clock = new TestClock();
    const one = await limited(10, 6, clock);
    const two = await secondApp(one, clock);
    const tenant = await TenantFixture.create(one.database);
    const seen: number[] = [];
    for (let i = 0; i < 12; i++) seen.push((await getTasks(i % 2 ? two : one, tenant.credentials)).code);
    expect(count(seen, 200)).toBe(6);
    // Concurrently, over the 20 s that follow: at 10/s the two together allow 200, not 400.
    const both: Promise<number>[] = [];
    for (let step = 0; step < 100; step++) {
      clock.advance(200);
      for (const server of [one, two, one, two, one, two])
        both.push(getTasks(server, tenant.credentials).then((r) => r.code));
      await Promise.all(both.slice(-6));
    }
    expect(count(await Promise.all(both), 200)).toBe(200);
  });

  it('counts only authenticated requests: bad signatures do not use a key’s budget', async () => {
    const clock = new TestClock();
    const server = await limited(1, 2, clock);
    const tenant = await TenantFixture.create(server.database);
    for (let i = 0; i < 5; i++) {
      const r = await call(
        server,
        { ...tenant.credentials, appSecret: 'wrong-secret-wrong-secret' },
        'GET',
        '/apiOpen/v1/task/getTasks',
      );
      expect(r.code).toBe(401);
    }
    expect(await codes(server, tenant, 3)).toEqual([200, 200, 429]);
  });

  it('RATE_LIMIT_PER_SECOND=0 switches it off', async () => {
    const server = await limited(0, 1);
    const tenant = await TenantFixture.create(server.database);
    const seen = await Promise.all(Array.from({ length: 60 }, () => getTasks(server, tenant.credentials)));
    expect(seen.every((r) => r.code === 200)).toBe(true);
    const rows = await server.database.db.selectFrom('rate_limit').selectAll().execute();
    expect(rows).toEqual([]);
  });

  it('the SDK waits as Retry-After says and gets through (real time)', async () => {
    const server = await limited(1, 1);
    const tenant = await TenantFixture.create(server.database);
    const client = new OutcallClient({ baseUrl: server.url, ...tenant.credentials, retries: 2 });
    await client.getTasks();
    const started = Date.now();
    await expect(client.getTasks()).resolves.toMatchObject({ number: 1 });
    // Refused once, then retried after Retry-After: 1 (the slot opened within that second).
    expect(Date.now() - started).toBeGreaterThanOrEqual(900);
    // Without retries the SDK reports the 429 as an OutcallError with the envelope's code.
    const impatient = new OutcallClient({ baseUrl: server.url, ...tenant.credentials, retries: 0 });
    await expect(impatient.getTasks()).rejects.toMatchObject({ kind: 'envelope', code: 429 });
  });

  it('refuses a v2 request over the limit before taking its nonce: a refused flood writes no nonce', async () => {
    const clock = new TestClock();
    const server = await limited(1, 3, clock);
    const tenant = await TenantFixture.create(server.database);
    const client = new OutcallClient({
      baseUrl: server.url,
      ...tenant.credentials,
      retries: 0,
      signatureVersion: 'v2',
    });
    const seen: number[] = [];
    for (let i = 0; i < 20; i++) seen.push((await client.send('GET', '/apiOpen/v1/task/getTasks')).code);
    expect(count(seen, 200)).toBe(3);
    expect(count(seen, 429)).toBe(17);
    const nonces = await server.database.db
      .selectFrom('signature_nonce')
      .select((eb) => eb.fn.countAll<number>().as('n'))
      .where('app_key', '=', tenant.credentials.appKey)
      .executeTakeFirstOrThrow();
    expect(Number(nonces.n)).toBe(3);
  });
});

describe('rate limit settings', () => {
  it('default to 50 per second with bursts of twice that; the burst follows the rate', () => {
    expect(loadConfig({})).toMatchObject({ rateLimitPerSecond: 50, rateLimitBurst: 100 });
    expect(loadConfig({ RATE_LIMIT_PER_SECOND: '7' })).toMatchObject({ rateLimitPerSecond: 7, rateLimitBurst: 14 });
    expect(loadConfig({ RATE_LIMIT_PER_SECOND: '0' })).toMatchObject({ rateLimitPerSecond: 0, rateLimitBurst: 1 });
    expect(loadConfig({ RATE_LIMIT_BURST: '3' })).toMatchObject({ rateLimitPerSecond: 50, rateLimitBurst: 3 });
  });

  it.each([
    ['RATE_LIMIT_PER_SECOND', '-1'],
    ['RATE_LIMIT_PER_SECOND', '2.5'],
    ['RATE_LIMIT_PER_SECOND', 'lots'],
    ['RATE_LIMIT_BURST', '0'],
  ])('refuse %s=%s at start', (name, value) => {
    expect(() => loadConfig({ [name]: value })).toThrow(ConfigError);
  });
});

afterAll(async () => {
  for (const s of servers.splice(0)) await s.close();
});

/** A signed GET whose HTTP answer (status, headers, body) the test reads itself. */
async function fetchSigned(server: { url: string }, tenant: TenantFixture) {
  let seen: Response | undefined;
  const client = new OutcallClient({
    baseUrl: server.url,
    ...tenant.credentials,
    retries: 0,
    fetch: async (url, init) => {
      seen = await fetch(url, init);
      return seen.clone();
    },
  });
  const body = await client.send('GET', '/apiOpen/v1/task/getTasks');
  return { status: seen!.status, headers: seen!.headers, body };
}
