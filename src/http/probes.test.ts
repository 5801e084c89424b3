import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TenantFixture } from '../../test/fixtures.js';
import { call, createTestDatabase, startTestServer, type TestServer } from '../../test/harness.js';
import { loadConfig } from '../config.js';
import { buildApp } from './app.js';
import { dialerMetrics, schedulerMetrics } from './probes.js';

/* /healthz, /readyz and /metrics: outside the signed API, in their own conventions. */

let server: TestServer;
let tenant: TenantFixture;

beforeAll(async () => {
  server = await startTestServer();
  tenant = await TenantFixture.create(server.database);
});
afterAll(() => server.close());

const get = (path: string, base = server.url) => fetch(base + path);

describe('probes', () => {
  it('/healthz: alive, 200, no signature', async () => {
    const r = await get('/healthz');
    expect(r.status).toBe(200);
    expect(await r.json()).toEqual({ status: 'ok' });
  });

  it('/readyz: 200 when the database answers and its migrations are applied', async () => {
    const r = await get('/readyz');
    expect(r.status).toBe(200);
    expect(await r.json()).toEqual({ status: 'ready' });
  });

  it('/readyz: 503 with the reason when a migration is not applied', async () => {
    const testDb = await createTestDatabase();
    const app = await buildApp({ database: testDb.database, config: loadConfig({}), logger: false });
    try {
      const last = await sql<{ name: string }>`select name from kysely_migration order by name desc limit 1`.execute(
        testDb.database.db,
      );
      const name = last.rows[0]!.name;
      await sql`delete from kysely_migration where name = ${name}`.execute(testDb.database.db);
      const r = await app.inject({ method: 'GET', url: '/readyz' });
      expect(r.statusCode).toBe(503);
      expect(r.json()).toEqual({ status: 'not ready', reason: expect.stringContaining(name) });
    } finally {
      await app.close();
      await testDb.drop();
    }
  });

  it('/readyz: 503 when the database cannot be reached, and while shutting down; the error is logged, not answered', async () => {
    const testDb = await createTestDatabase();
    const lines: string[] = [];
    const logger = { level: 'warn', stream: { write: (line: string) => lines.push(line) } };
    const app = await buildApp({ database: testDb.database, config: loadConfig({}), logger });
    try {
      app.lifecycle.shuttingDown = true;
      expect((await app.inject({ method: 'GET', url: '/readyz' })).json()).toEqual({
        status: 'not ready',
        reason: 'shutting down',
      });
      app.lifecycle.shuttingDown = false;
      await testDb.database.destroy();
      const r = await app.inject({ method: 'GET', url: '/readyz' });
      expect(r.statusCode).toBe(503);
      // The driver's own words (a closed pool, a host name, a user) stay in the log.
      expect(r.json()).toEqual({ status: 'not ready', reason: 'database unavailable' });
      const logged = lines.map((l) => JSON.parse(l)).find((l) => l.msg.startsWith('readiness check'));
      expect(logged?.err?.message).toBeTruthy();
      expect(r.body).not.toContain(logged.err.message);
    } finally {
      await app.close();
      await testDb.drop().catch(() => undefined);
    }
  });

  it('are left out with PROBES_ENABLED=false and METRICS_ENABLED=false', async () => {
    const app = await buildApp({
      database: server.database,
      config: loadConfig({ PROBES_ENABLED: 'false', METRICS_ENABLED: 'false' }),
      logger: false,
    });
    try {
      for (const url of ['/healthz', '/readyz', '/metrics']) {
        expect((await app.inject({ method: 'GET', url })).json()).toMatchObject({ code: 404 });
      }
    } finally {
      await app.close();
    }
  });

  it('are not in the OpenAPI document', async () => {
    const doc = await (await get('/openapi.json')).json();
    expect(Object.keys(doc.paths).filter((p) => /healthz|readyz|metrics/.test(p))).toEqual([]);
  });
});

describe('/metrics', () => {
  it('counts requests by route pattern and envelope code, with latencies, in Prometheus text', async () => {
    await call(server, tenant.credentials, 'GET', '/apiOpen/v1/task/getTaskDetail?robotCallJobId=999999');
    await call(server, tenant.credentials, 'GET', '/apiOpen/v1/task/getTasks?pageSize=3');
    await fetch(`${server.url}/apiOpen/v1/task/nothing/here/${Math.random()}`);
    const r = await get('/metrics');
    expect(r.status).toBe(200);
    expect(r.headers.get('content-type')).toMatch(/^text\/plain/);
    const text = await r.text();
    expect(text).toContain(
      'outcall_http_requests_total{method="GET",route="/apiOpen/v1/task/getTaskDetail",code="404"} 1',
    );
    expect(text).toContain('outcall_http_requests_total{method="GET",route="/apiOpen/v1/task/getTasks",code="200"} 1');
    // Unmatched paths share one label: a scanner cannot grow the series.
    expect(text).toContain('outcall_http_requests_total{method="GET",route="(no route)",code="404"} 1');
    expect(text).not.toContain('nothing/here');
    expect(text).toMatch(
      /outcall_http_request_duration_seconds_bucket\{le="1",method="GET",route="\/apiOpen\/v1\/task\/getTasks",code="200"\} 1/,
    );
    expect(text).toContain('process_resident_memory_bytes');
    expect(text).toContain('outcall_http_connections_max');
    expect(text).toMatch(/outcall_database_(file_bytes|pool_connections)/);
  });

  it('each app has its own registry; a worker adds its figures with one call', async () => {
    const other = await buildApp({ database: server.database, config: loadConfig({}), logger: false });
    try {
      other.metrics!.addSource(
        dialerMetrics({ stats: () => ({ jobs: 3, callsInFlight: 2, ticks: 41, tickFailures: 1, callsAbandoned: 0 }) }),
      );
      other.metrics!.addSource(
        schedulerMetrics({
          stats: () => ({ holder: true, jobs: 4, ticks: 12, tickFailures: 0, transitions: 5 }),
        }),
      );
      const text = (await other.inject({ method: 'GET', url: '/metrics' })).body;
      expect(text).toContain('outcall_dialer_jobs 3');
      expect(text).toContain('outcall_dialer_calls_in_flight 2');
      expect(text).toContain('outcall_dialer_ticks_total 41');
      expect(text).toContain('# TYPE outcall_dialer_ticks_total counter');
      expect(text).toContain('outcall_scheduler_holder 1');
      expect(text).toContain('outcall_scheduler_transitions_total 5');
      expect(text).not.toContain('route="/apiOpen/v1/task/getTasks"'); // the other app's requests
      expect((await get('/metrics')).ok).toBe(true);
    } finally {
      await other.close();
    }
  });
});

describe('the request log', () => {
  it('writes one line per request with route, status, code, ms, requestId and appKey, and no secret', async () => {
    const lines: string[] = [];
    const logged = await startTestServer({
      logger: { level: 'info', stream: { write: (line: string) => lines.push(line) } },
    });
    try {
      const t = await TenantFixture.create(logged.database);
      const r = await call(logged, t.credentials, 'GET', '/apiOpen/v1/task/getTaskDetail?robotCallJobId=424242');
      expect(r.code).toBe(404);
      await get('/healthz', logged.url); // probes are logged at debug only
      const entries = lines.map((l) => JSON.parse(l)).filter((e) => e.msg === 'request');
      expect(entries).toEqual([
        {
          level: 30,
          time: expect.any(Number),
          requestId: r.requestId,
          method: 'GET',
          route: '/apiOpen/v1/task/getTaskDetail',
          status: 200,
          code: 404,
          ms: expect.any(Number),
          appKey: t.credentials.appKey,
          msg: 'request',
        },
      ]);
      expect(JSON.stringify(entries[0]).length).toBeLessThan(250);
      expect(lines.join('')).not.toContain(t.credentials.appSecret);
    } finally {
      await logged.close();
    }
  });
});
