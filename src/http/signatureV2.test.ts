import { webcrypto } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TenantFixture } from '../../test/fixtures.js';
import { startTestServer, type TestServer } from '../../test/harness.js';
import { OutcallClient, type OutcallClientOptions } from '../client/index.js';
import { signedHeaders, signedHeadersV2 } from '../client/signing.js';
import { loadConfig } from '../config.js';
import { createDatabase, type Database } from '../db/database.js';
import { deleteExpiredSignatureNonces, insertSignatureNonce } from '../repositories/tenants.js';
import { createApiKey, setKeyEnabled, setKeySignatureVersion } from '../services/tenants.js';
import { type App, buildApp } from './app.js';

/* Signature v2 (docs/signature.md) against the real server, on each database. */

let server: TestServer;
let tenant: TenantFixture;
let jobId: number;
/** A second app on the same database, as a second process behind a load balancer would be. */
let second: { app: App; url: string; database: Database };

const TASKS = '/apiOpen/v1/task/getTasks';
const DETAIL = '/apiOpen/v1/task/getTaskDetail';
const RECORDS = '/apiOpen/v1/task/getCallRecordInfoList';

interface Sent {
  method: 'GET' | 'POST';
  /** Path and query, as sent. */
  target: string;
  body?: string;
}

/** v2 headers for a request, signed as the SDK signs it. */
async function sign(r: Sent, credentials = tenant.credentials, options: { nonce?: string; timestamp?: number } = {}) {
  const [path, query = ''] = r.target.split('?') as [string, string?];
  return signedHeadersV2(credentials, { method: r.method, path, query, body: r.body }, options);
}

/** Sends a request with exactly these headers; the answer must be the envelope, HTTP 200. */
async function send(r: Sent, headers: Record<string, string>, base = server.url) {
  const response = await fetch(base + r.target, {
    method: r.method,
    headers: { ...headers, ...(r.body === undefined ? {} : { 'content-type': 'application/json' }) },
    body: r.body,
  });
  expect(response.status).toBe(200);
  return (await response.json()) as { code: number; resultMsg: string; data: any };
}

beforeAll(async () => {
  server = await startTestServer();
  tenant = await TenantFixture.create(server.database);
  jobId = (await tenant.job({ name: '签名任务' })).jobId;
  const database = createDatabase(server.databaseUrl, { poolSize: 2 });
  const app = await buildApp({ database, config: loadConfig({}), logger: false });
  await app.listen({ port: 0, host: '127.0.0.1' });
  const address = app.server.address();
  second = { app, database, url: `http://127.0.0.1:${typeof address === 'object' && address ? address.port : 0}` };
});
afterAll(async () => {
  await second.app.close();
  await second.database.destroy();
  await server.close();
});

describe('a request signed with v2', () => {
  it('is served: a GET with a query and a POST with a body', async () => {
    const get: Sent = { method: 'GET', target: `${DETAIL}?robotCallJobId=${jobId}` };
    const r = await send(get, await sign(get));
    expect(r.code, r.resultMsg).toBe(200);
    expect(r.data.robotCallJob.name).toBe('签名任务');

    const post: Sent = {
      method: 'POST',
      target: RECORDS,
      body: JSON.stringify({ robotCallJobId: jobId, pageSize: 5 }),
    };
    const p = await send(post, await sign(post));
    expect(p.code, p.resultMsg).toBe(200);
    expect(p.data.totalElements).toBe(0);
  });

  it('is served through the SDK configured with signatureVersion v2, query encodings and all', async () => {
    const client = new OutcallClient({
      baseUrl: server.url,
      ...tenant.credentials,
      signatureVersion: 'v2',
      retries: 0,
    });
    const page = await client.getTasks({ name: '签名 任务*~', pageSize: 5 });
    expect(page.content).toEqual([]);
    expect((await client.getTasks({ name: '签名' })).content.map((j) => j.robotCallJobId)).toEqual([jobId]);
    expect((await client.getCallRecordInfoList({ robotCallJobId: jobId })).totalElements).toBe(0);
    // A baseUrl with a path, which a proxy strips: the path after it is what is signed.
    const prefixed = new OutcallClient({
      baseUrl: `${server.url}/outcall/`,
      ...tenant.credentials,
      signatureVersion: 'v2',
      retries: 0,
      fetch: (url, init) => fetch(url.replace(`${server.url}/outcall`, server.url), init),
    });
    expect((await prefixed.getTaskDetail(jobId)).robotCallJob.robotCallJobId).toBe(jobId);
  });

  it('is signed by the SDK where globalThis.crypto is missing (Node 18) when given WebCrypto', async () => {
    const descriptor = Object.getOwnPropertyDescriptor(globalThis, 'crypto')!;
    delete (globalThis as { crypto?: unknown }).crypto;
    try {
      const options = { baseUrl: server.url, ...tenant.credentials, signatureVersion: 'v2' as const, retries: 0 };
      const client = new OutcallClient({ ...options, crypto: webcrypto as unknown as OutcallClientOptions['crypto'] });
      expect((await client.getTaskDetail(jobId)).robotCallJob.robotCallJobId).toBe(jobId);
      await expect(new OutcallClient(options).getTasks()).rejects.toThrow(/WebCrypto/);
    } finally {
      Object.defineProperty(globalThis, 'crypto', descriptor);
    }
  });

  it('is refused with 401 when replayed: the nonce is accepted once', async () => {
    const get: Sent = { method: 'GET', target: `${TASKS}?pageSize=5` };
    const headers = await sign(get);
    expect((await send(get, headers)).code).toBe(200);
    const again = await send(get, headers);
    expect(again.code).toBe(401);
    expect(again.resultMsg).toBe('校验数据错误: nonce already used (a replayed request)');
    // The same nonce with a new timestamp and a correct signature is still a reuse.
    const resigned = await sign(get, tenant.credentials, { nonce: headers.nonce, timestamp: Date.now() + 1 });
    expect((await send(get, resigned)).code).toBe(401);
  });

  it('is refused with 401 when replayed to another process on the same database', async () => {
    const post: Sent = { method: 'POST', target: RECORDS, body: JSON.stringify({ robotCallJobId: jobId }) };
    const headers = await sign(post);
    expect((await send(post, headers, second.url)).code).toBe(200);
    const replay = await send(post, headers, server.url);
    expect(replay.code).toBe(401);
    expect(replay.resultMsg).toContain('nonce already used');
    // Sent to both at once, it is served once.
    const fresh = await sign(post);
    const both = await Promise.all([send(post, fresh, server.url), send(post, fresh, second.url)]);
    expect(both.map((r) => r.code).sort()).toEqual([200, 401]);
  });

  it('is refused with 401 when its headers are used for another method, path, query or body', async () => {
    const post: Sent = { method: 'POST', target: RECORDS, body: JSON.stringify({ robotCallJobId: jobId }) };
    const get: Sent = { method: 'GET', target: `${DETAIL}?robotCallJobId=${jobId}` };
    const changes: [Sent, Sent][] = [
      [get, { ...get, target: `${DETAIL}?robotCallJobId=${jobId + 1}` }],
      [get, { ...get, target: `${DETAIL}?robotCallJobId=${jobId}&pageSize=1` }],
      [get, { ...get, target: `/apiOpen/v1/task/callDetail?robotCallJobId=${jobId}` }],
      [post, { ...post, body: JSON.stringify({ robotCallJobId: jobId + 1 }) }],
      [post, { ...post, body: `${post.body} ` }],
      [post, { ...post, target: '/apiOpen/v1/task/pause' }],
      [post, { ...post, target: `${RECORDS}?x=1` }],
      [
        { ...post, target: '/apiOpen/v1/task/getPhoneNumbers', body: undefined },
        { method: 'GET', target: '/apiOpen/v1/task/getPhoneNumbers' },
      ],
    ];
    for (const [signed, sent] of changes) {
      const r = await send(sent, await sign(signed));
      expect(r.code, `${sent.method} ${sent.target} ${sent.body ?? ''}`).toBe(401);
      expect(r.resultMsg).toBe('校验数据错误: signature does not match');
    }
    // Such requests, signed for what is sent, are served (the refusals above were the signature's).
    for (const sent of [changes[1]![1], changes[4]![1]]) expect((await send(sent, await sign(sent))).code).toBe(200);
  });

  it('accepts the query in any equivalent percent-encoding and order', async () => {
    const signed: Sent = { method: 'GET', target: `${TASKS}?name=%E7%AD%BE%E5%90%8D&pageSize=5` };
    const sent: Sent = { method: 'GET', target: `${TASKS}?pageSize=%35&name=%e7%ad%be%e5%90%8d` };
    const r = await send(sent, await sign(signed));
    expect(r.code, r.resultMsg).toBe(200);
    expect(r.data.content.map((j: { robotCallJobId: number }) => j.robotCallJobId)).toEqual([jobId]);
  });

  it('is refused with 401 without a well-formed nonce, or with a wrong secret', async () => {
    const get: Sent = { method: 'GET', target: TASKS };
    const { nonce: _, ...noNonce } = await sign(get);
    expect((await send(get, noNonce)).resultMsg).toBe('校验数据错误: missing header nonce (signature version v2)');
    for (const nonce of ['short', 'x'.repeat(65), 'has space in it 123', 'ünïcödé-nonce-0001']) {
      const r = await send(get, await sign(get, tenant.credentials, { nonce }));
      expect(r.code, nonce).toBe(401);
      expect(r.resultMsg).toContain('header nonce must be');
    }
    const wrong = await send(get, await sign(get, { ...tenant.credentials, appSecret: 'not-the-secret' }));
    expect(wrong.resultMsg).toBe('校验数据错误: signature does not match');
    const late = await send(get, await sign(get, tenant.credentials, { timestamp: Date.now() - 301_000 }));
    expect(late.resultMsg).toContain('300 s');
  });

  it('is refused with 403 when the key is disabled', async () => {
    const key = await createApiKey(server.database, tenant.tenantId);
    const creds = { ...tenant.credentials, ...key };
    await setKeyEnabled(server.database, key.appKey, false);
    const get: Sent = { method: 'GET', target: TASKS };
    expect((await send(get, await sign(get, creds))).code).toBe(403);
  });
});

describe('the signature setting of a key', () => {
  it('accepts v1 and v2 by default, as before', async () => {
    const get: Sent = { method: 'GET', target: TASKS };
    expect((await send(get, await signedHeaders(tenant.credentials))).code).toBe(200);
    expect((await send(get, await sign(get))).code).toBe(200);
  });

  it('refuses v1 with 401 once set to v2, and accepts it again when set back', async () => {
    const key = await createApiKey(server.database, tenant.tenantId, Date.now(), { minSignatureVersion: 'v2' });
    const creds = { ...tenant.credentials, ...key };
    const get: Sent = { method: 'GET', target: TASKS };
    const v1 = await send(get, await signedHeaders(creds));
    expect(v1.code).toBe(401);
    expect(v1.resultMsg).toBe('校验数据错误: this appKey accepts only signature version v2 (docs/signature.md)');
    expect((await send(get, await sign(get, creds))).code).toBe(200);
    // Only a caller who knows the secret learns the setting: a wrong v1 signature is just wrong.
    const wrong = await send(get, await signedHeaders({ ...creds, appSecret: 'not-the-secret' }));
    expect(wrong.resultMsg).toBe('校验数据错误: signature does not match');

    expect(await setKeySignatureVersion(server.database, key.appKey, 'v1')).toBe(true);
    expect((await send(get, await signedHeaders(creds))).code).toBe(200);
    expect(await setKeySignatureVersion(server.database, key.appKey, 'v2')).toBe(true);
    expect((await send(get, await signedHeaders(creds))).code).toBe(401);
    expect(await setKeySignatureVersion(server.database, 'NoSuchKey0000000', 'v2')).toBe(false);
  });

  it('is checked before the parameters are, for v2 too', async () => {
    const get: Sent = { method: 'GET', target: `${DETAIL}?robotCallJobId=abc` };
    const r = await send(get, await sign({ ...get, target: DETAIL }));
    expect(r.code).toBe(401);
    expect((await send(get, await sign(get))).code).toBe(412);
  });
});

describe('the nonce store', () => {
  const T = Date.UTC(2001, 0, 1); // long before the live nonces' expiry: purging here leaves them

  it('accepts a nonce once until it expires, then once more, and purges what expired', async () => {
    const db = server.database;
    const n = `purge-${Math.random().toString(36).slice(2, 12)}`;
    expect(await insertSignatureNonce(db, 'StoreKey', n, T + 300_000, T)).toBe(true);
    expect(await insertSignatureNonce(db, 'StoreKey', n, T + 400_000, T + 100_000)).toBe(false);
    expect(await insertSignatureNonce(db, 'OtherKey', n, T + 300_000, T)).toBe(true);
    // At expiry it is still in use (the window is inclusive); after it, the row is taken over.
    expect(await insertSignatureNonce(db, 'StoreKey', n, T + 600_000, T + 300_000)).toBe(false);
    expect(await insertSignatureNonce(db, 'StoreKey', n, T + 600_000, T + 300_001)).toBe(true);
    expect(await insertSignatureNonce(db, 'StoreKey', n, T + 700_000, T + 400_000)).toBe(false);
    expect(await deleteExpiredSignatureNonces(db, T + 300_001)).toBeGreaterThanOrEqual(1); // OtherKey's
    expect(await insertSignatureNonce(db, 'StoreKey', n, T + 700_000, T + 400_000)).toBe(false);
    expect(await deleteExpiredSignatureNonces(db, T + 600_001)).toBeGreaterThanOrEqual(1);
    expect(await insertSignatureNonce(db, 'StoreKey', n, T + 900_000, T + 600_001)).toBe(true);
  });
});
