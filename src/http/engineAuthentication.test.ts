import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { TenantFixture } from '../../test/fixtures.js';
import { call, startTestServer, type TestServer, testDialect } from '../../test/harness.js';
import { EngineClient, type EngineCredentials, signEngineRequest } from '../client/engine.js';
import { signedHeaders } from '../client/signing.js';
import { createDatabase, sqliteDataVersion } from '../db/database.js';
import { createEngineKey, deleteEngineKey, setEngineKeyEnabled } from '../services/engineKeys.js';
import type { App } from './app.js';
import { success } from './envelope.js';

/*
 * The engine routes' signature (./engineAuthentication.ts, docs/engine-keys.md) against the real
 * server on loopback, on each database, through a route made for the test.
 */

const ECHO = '/engine/v1/test/echo';

/** A route marked as the engine protocol's are: it answers who signed it. */
const engineRoute = async (app: App) => {
  app.post(ECHO, { config: { engine: true } }, async (request) => success(request, request.engine));
};

let server: TestServer;
let tenant: TenantFixture;
let allTenants: EngineCredentials;
let oneTenant: EngineCredentials;

/** Sends exactly these headers and body; the answer is the envelope, HTTP 200. */
async function send(headers: Record<string, string>, body = '{"a":1}', target = ECHO, base = server.url) {
  const response = await fetch(base + target, {
    method: 'POST',
    headers: { ...headers, 'content-type': 'application/json' },
    body,
  });
  expect(response.status).toBe(200);
  return { ...((await response.json()) as { code: number; resultMsg: string; data: any }), response };
}

const signed = (c: EngineCredentials, body = '{"a":1}', options: { nonce?: string; timestamp?: number } = {}) =>
  signEngineRequest(c, { method: 'POST', path: ECHO, query: '', body }, options);

beforeAll(async () => {
  server = await startTestServer({
    plugins: () => [engineRoute],
    env: { ENGINE_RATE_LIMIT_PER_SECOND: '0' },
  });
  tenant = await TenantFixture.create(server.database);
  allTenants = await createEngineKey(server.database, { name: 'sip farm', tenantId: null });
  oneTenant = await createEngineKey(server.database, { name: 'agents', tenantId: tenant.tenantId });
});
afterAll(() => server?.close());

describe('an engine route', () => {
  it('accepts a request signed with an engine key and tells the route which key it is', async () => {
    const r = await send(await signed(allTenants));
    expect(r.code).toBe(200);
    expect(r.data).toEqual({
      engineKeyId: expect.any(Number),
      appKey: allTenants.appKey,
      name: 'sip farm',
      tenantId: null,
    });
    const mine = await send(await signed(oneTenant));
    expect(mine.data).toMatchObject({ appKey: oneTenant.appKey, tenantId: tenant.tenantId });
  });

  it('is reached through the SDK’s engine transport', async () => {
    const client = new EngineClient({ baseUrl: server.url, ...oneTenant, retries: 0 });
    const r = await client.send('POST', ECHO, { body: { a: 1 } });
    expect(r).toMatchObject({ code: 200, data: { appKey: oneTenant.appKey } });
  });

  it('refuses a signature made with another secret, and a body changed after signing', async () => {
    const wrong = await send(await signed({ ...allTenants, appSecret: oneTenant.appSecret }));
    expect([wrong.code, wrong.resultMsg]).toEqual([401, expect.stringContaining('signature does not match')]);
    const changed = await send(await signed(allTenants, '{"a":1}'), '{"a":2}');
    expect(changed.code).toBe(401);
  });

  it('accepts a nonce once', async () => {
    const headers = await signed(allTenants, '{"a":1}', { nonce: 'engine-nonce-0000001' });
    expect((await send(headers)).code).toBe(200);
    const replay = await send(headers);
    expect([replay.code, replay.resultMsg]).toEqual([401, expect.stringContaining('nonce already used')]);
  });

  it('keeps an engine key’s nonces apart from a tenant key’s of the same letters', async () => {
    // The tables are shared: the engine key's nonces are kept under `engine:<appKey>`.
    const nonce = 'shared-nonce-00000001';
    const r = await send(await signed(oneTenant, '{"a":1}', { nonce }));
    expect(r.code).toBe(200);
    const { insertSignatureNonce } = await import('../repositories/tenants.js');
    expect(await insertSignatureNonce(server.database, oneTenant.appKey, nonce, Date.now() + 60_000, Date.now())).toBe(
      true,
    );
  });

  it('refuses a timestamp outside the window', async () => {
    const r = await send(await signed(allTenants, '{"a":1}', { timestamp: Date.now() - 301_000 }));
    expect([r.code, r.resultMsg]).toEqual([401, expect.stringContaining('away from the server clock')]);
  });

  it('refuses signature v1, even with a good v1 signature', async () => {
    const headers = await signedHeaders({ ...allTenants, tenantSign: '' });
    const r = await send(headers);
    expect([r.code, r.resultMsg]).toEqual([401, expect.stringContaining('v2 only')]);
  });

  it('refuses missing headers without reading the key', async () => {
    const { signature: _, ...rest } = await signed(allTenants);
    expect((await send(rest)).code).toBe(401);
    expect((await send({})).code).toBe(401);
  });

  it('refuses a tenant’s API key', async () => {
    const headers = await signEngineRequest(
      { appKey: tenant.credentials.appKey, appSecret: tenant.credentials.appSecret },
      { method: 'POST', path: ECHO, query: '', body: '{"a":1}' },
    );
    const r = await send(headers);
    expect([r.code, r.resultMsg]).toEqual([401, expect.stringContaining('unknown engine appKey')]);
  });

  it('is not a tenant route: an engine key is refused there', async () => {
    const r = await call(
      server,
      { ...allTenants, tenantSign: tenant.credentials.tenantSign },
      'GET',
      '/apiOpen/v1/task/getTasks',
    );
    expect([r.code, r.resultMsg]).toEqual([401, expect.stringContaining('unknown appKey')]);
  });

  it('refuses a disabled key from its next request on, and a deleted one', async () => {
    const key = await createEngineKey(server.database, { name: 'soon gone', tenantId: tenant.tenantId });
    expect((await send(await signed(key))).code).toBe(200);
    await setEngineKeyEnabled(server.database, key.appKey, false);
    const disabled = await send(await signed(key));
    expect([disabled.code, disabled.resultMsg]).toEqual([403, expect.stringContaining('disabled')]);
    // Told only to a request signed with the key's secret.
    expect((await send(await signed({ ...key, appSecret: allTenants.appSecret }))).code).toBe(401);
    await setEngineKeyEnabled(server.database, key.appKey, true);
    expect((await send(await signed(key))).code).toBe(200);
    await deleteEngineKey(server.database, key.appKey);
    const deleted = await send(await signed(key));
    expect([deleted.code, deleted.resultMsg]).toEqual([401, expect.stringContaining('unknown engine appKey')]);
  });

  it('writes when a key was last seen at most every few seconds, not per request', async () => {
    const key = await createEngineKey(server.database, { name: 'counted', tenantId: null });
    server.queries.length = 0;
    for (let i = 0; i < 5; i++) expect((await send(await signed(key))).code).toBe(200);
    // Written beside the first request, which did not wait for it.
    const writes = () => server.queries.filter((q) => /update "engine_key" set "last_seen_at"/.test(q));
    await vi.waitFor(() => expect(writes()).toHaveLength(1));
    const row = await server.database.db
      .selectFrom('engine_key')
      .select('last_seen_at')
      .where('app_key', '=', key.appKey)
      .executeTakeFirstOrThrow();
    expect(Number(row.last_seen_at)).toBeGreaterThan(Date.now() - 60_000);
  });

  it('moves no tenant’s data version: kept answers stay served', async () => {
    const key = await createEngineKey(server.database, { name: 'versionless', tenantId: tenant.tenantId });
    const version = async () =>
      testDialect === 'sqlite'
        ? sqliteDataVersion(server.database)
        : (
            await sql<{ v: string }>`select coalesce(sum(version), 0)::text as v from tenant_data_version`.execute(
              server.database.db,
            )
          ).rows[0]?.v;
    const before = await version();
    server.queries.length = 0;
    // The key's first request: its nonce, its rate-limit slot and its last_seen_at are written.
    expect((await send(await signed(key))).code).toBe(200);
    await vi.waitFor(() =>
      expect(server.queries.some((q) => /update "engine_key" set "last_seen_at"/.test(q))).toBe(true),
    );
    expect(await version()).toBe(before);
  });

  it('reports when each key was last seen in /metrics', async () => {
    await send(await signed(oneTenant));
    const text = await (await fetch(`${server.url}/metrics`)).text();
    const line = text
      .split('\n')
      .find((l) => l.startsWith(`outcall_engine_last_seen_seconds{engine_key="${oneTenant.appKey}"}`));
    expect(Number(line?.split(' ')[1])).toBeGreaterThan(Date.now() / 1000 - 60);
  });
});

describe('a key the process knows', () => {
  // The limit off (the server above) and on (the default settings): the key is read by the
  // admission's own statement either way.
  let defaults: TestServer;
  beforeAll(async () => {
    defaults = await startTestServer({ plugins: () => [engineRoute] });
  });
  afterAll(() => defaults?.close());
  const servers = () =>
    [
      ['without a rate limit', server],
      ['with the default rate limit', defaults],
    ] as const;

  it('is refused at its next request once another process disables or deletes it', async () => {
    for (const [, on] of servers()) {
      // Another process: its own handle on the database, which the server is never told about.
      const other = createDatabase(on.databaseUrl, { poolSize: 1 });
      try {
        const key = await createEngineKey(other, { name: 'elsewhere', tenantId: null });
        for (let i = 0; i < 2; i++) expect((await send(await signed(key), '{"a":1}', ECHO, on.url)).code).toBe(200);
        await setEngineKeyEnabled(other, key.appKey, false);
        const disabled = await send(await signed(key), '{"a":1}', ECHO, on.url);
        expect([disabled.code, disabled.resultMsg]).toEqual([403, expect.stringContaining('disabled')]);
        await setEngineKeyEnabled(other, key.appKey, true);
        for (let i = 0; i < 2; i++) expect((await send(await signed(key), '{"a":1}', ECHO, on.url)).code).toBe(200);
        await deleteEngineKey(other, key.appKey);
        const deleted = await send(await signed(key), '{"a":1}', ECHO, on.url);
        expect([deleted.code, deleted.resultMsg]).toEqual([401, expect.stringContaining('unknown engine appKey')]);
      } finally {
        await other.destroy();
      }
    }
  });

  it('is read only for whether it is still enabled, on PostgreSQL in the statement that takes its slot and nonce', async () => {
    for (const [what, on] of servers()) {
      const key = await createEngineKey(on.database, { name: `known ${what}`, tenantId: null });
      expect((await send(await signed(key), '{"a":1}', ECHO, on.url)).code).toBe(200);
      on.queries.length = 0;
      expect((await send(await signed(key), '{"a":1}', ECHO, on.url)).code).toBe(200);
      const reads = on.queries.filter((q) => /from "engine_key"/.test(q));
      expect(reads, what).toHaveLength(1);
      expect(reads[0], what).toMatch(/then 'enabled' else 'disabled'/);
      if (testDialect === 'postgres' && on === defaults) expect(reads[0]).toMatch(/insert into "rate_limit"/);
    }
  });
});

describe('the engine keys’ rate limit', () => {
  let limited: TestServer;
  beforeAll(async () => {
    limited = await startTestServer({
      plugins: () => [engineRoute],
      env: { ENGINE_RATE_LIMIT_PER_SECOND: '1', ENGINE_RATE_LIMIT_BURST: '2', RATE_LIMIT_PER_SECOND: '1000' },
    });
  });
  afterAll(() => limited?.close());

  it('is per engine key, with its own settings, and answers 429 with Retry-After', async () => {
    const key = await createEngineKey(limited.database, { name: 'busy', tenantId: null });
    const other = await createEngineKey(limited.database, { name: 'quiet', tenantId: null });
    const codes: number[] = [];
    for (let i = 0; i < 3; i++) codes.push((await send(await signed(key), '{"a":1}', ECHO, limited.url)).code);
    expect(codes).toEqual([200, 200, 429]);
    const refused = await send(await signed(key), '{"a":1}', ECHO, limited.url);
    expect(refused.resultMsg).toContain(`engine key ${key.appKey} is limited to 1 requests per second`);
    expect(Number(refused.response.headers.get('retry-after'))).toBeGreaterThanOrEqual(1);
    expect((await send(await signed(other), '{"a":1}', ECHO, limited.url)).code).toBe(200);
  });

  it('takes a request’s nonce only with its slot: a limited request sent again once its slot opens is accepted, then refused as a replay', async () => {
    const key = await createEngineKey(limited.database, { name: 'patient', tenantId: null });
    for (let i = 0; i < 2; i++) expect((await send(await signed(key), '{"a":1}', ECHO, limited.url)).code).toBe(200);
    const headers = await signed(key, '{"a":1}', { nonce: 'patient-nonce-000001' });
    const refused = await send(headers, '{"a":1}', ECHO, limited.url);
    expect(refused.code).toBe(429);
    await new Promise((done) => setTimeout(done, Number(refused.response.headers.get('retry-after')) * 1000));
    expect((await send(headers, '{"a":1}', ECHO, limited.url)).code).toBe(200);
    // Taken with that slot: the same request once more, with a slot free again, is a replay.
    await new Promise((done) => setTimeout(done, 1000));
    const replay = await send(headers, '{"a":1}', ECHO, limited.url);
    expect([replay.code, replay.resultMsg]).toEqual([401, expect.stringContaining('nonce already used')]);
  });
});
