import { Writable } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TenantFixture } from '../../test/fixtures.js';
import { startTestServer, type TestServer } from '../../test/harness.js';
import { signedHeaders } from '../client/signing.js';
import { createApiKey, setKeyEnabled } from '../services/tenants.js';

const PATH = '/apiOpen/v1/task/getTasks';
let server: TestServer;
let tenant: TenantFixture;
const logLines: string[] = [];

async function send(headers: Record<string, string>, path = PATH) {
  const response = await fetch(server.url + path, { headers });
  expect(response.status).toBe(200);
  return response.json() as Promise<{ code: number; resultMsg: string; data: unknown; requestId: string }>;
}

beforeAll(async () => {
  const stream = new Writable({
    write(chunk, _enc, done) {
      logLines.push(String(chunk));
      done();
    },
  });
  server = await startTestServer({ logger: { level: 'trace', stream } });
  tenant = await TenantFixture.create(server.database);
});
afterAll(() => server.close());

describe('a signed request', () => {
  it('is served when every header is right', async () => {
    const r = await send(await signedHeaders(tenant.credentials));
    expect(r.code).toBe(200);
    expect(r.requestId).toMatch(/^[A-Z]{8}$/);
  });

  it('is refused with 401 without an appKey, signature, version or timestamp', async () => {
    const good = await signedHeaders(tenant.credentials);
    for (const missing of ['appKey', 'signature', 'version', 'timestamp']) {
      const headers = { ...good };
      delete headers[missing];
      const r = await send(headers);
      expect(r.code, missing).toBe(401);
      expect(r.resultMsg, missing).toContain(missing);
      expect(r.data).toBeNull();
    }
  });

  it('is refused with 401 for an unknown appKey or a wrong signature', async () => {
    const good = await signedHeaders(tenant.credentials);
    expect((await send({ ...good, appKey: 'NoSuchKey0000000' })).code).toBe(401);
    const wrongSecret = await signedHeaders({ ...tenant.credentials, appSecret: 'not-the-secret' });
    const r = await send(wrongSecret);
    expect(r.code).toBe(401);
    expect(r.resultMsg).toBe('校验数据错误: signature does not match');
  });

  it('is refused with 401 when signed for another tenantSign', async () => {
    const r = await send(await signedHeaders({ ...tenant.credentials, tenantSign: 'someoneelse' }));
    expect(r.code).toBe(401);
  });

  it('is refused with 401 when its timestamp is more than 300 s from the server clock, either way', async () => {
    for (const skew of [-301_000, 301_000]) {
      const r = await send(await signedHeaders(tenant.credentials, Date.now() + skew));
      expect(r.code, String(skew)).toBe(401);
      expect(r.resultMsg).toContain('300 s');
    }
    expect((await send(await signedHeaders(tenant.credentials, Date.now() - 290_000))).code).toBe(200);
  });

  it('is refused with 401 for a timestamp that is not milliseconds, or an unsupported version', async () => {
    const good = await signedHeaders(tenant.credentials);
    expect((await send({ ...good, timestamp: '2018-10-01' })).code).toBe(401);
    const r = await send({ ...good, version: 'v3' });
    expect(r.code).toBe(401);
    expect(r.resultMsg).toContain('unsupported version');
  });

  it('is refused with 403 when its key is disabled, and served again once re-enabled', async () => {
    const key = await createApiKey(server.database, tenant.tenantId);
    const creds = { ...tenant.credentials, ...key };
    expect((await send(await signedHeaders(creds))).code).toBe(200);
    await setKeyEnabled(server.database, key.appKey, false);
    const r = await send(await signedHeaders(creds));
    expect(r.code).toBe(403);
    expect(r.resultMsg).toContain('权限不足');
    await setKeyEnabled(server.database, key.appKey, true);
    expect((await send(await signedHeaders(creds))).code).toBe(200);
  });

  it('accepts the legacy appSecret and tenantSign headers and never logs them', async () => {
    const headers = {
      ...(await signedHeaders(tenant.credentials)),
      appSecret: tenant.credentials.appSecret,
      tenantSign: tenant.credentials.tenantSign,
    };
    expect((await send(headers)).code).toBe(200);
    const log = logLines.join('');
    expect(log.length).toBeGreaterThan(0);
    expect(log).not.toContain(tenant.credentials.appSecret);
  });

  it('is checked before the parameters are', async () => {
    const r = await send({}, '/apiOpen/v1/task/getTaskDetail?robotCallJobId=abc');
    expect(r.code).toBe(401);
  });
});
