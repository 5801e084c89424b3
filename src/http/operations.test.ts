import { connect, type Socket } from 'node:net';
import { Type } from '@sinclair/typebox';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TenantFixture } from '../../test/fixtures.js';
import { call, startTestServer, type TestServer } from '../../test/harness.js';
import { signedHeaders } from '../client/signing.js';
import { loadConfig } from '../config.js';
import { IncomingCallRecord } from '../schemas/ingestion.js';
import { CreateJobBody, ImportTaskCustomerBody } from '../schemas/jobOperations.js';
import { buildApp } from './app.js';
import { ByteBudget, FULL_SIZE, maxJsonBytes, SMALL_BODY_LIMIT } from './bodyLimits.js';
import { effectiveMaxConnections } from './connections.js';
import { ADD_CALL_RECORDS_BODY_LIMIT } from './routes/addCallRecords.js';

/*
 * The HTTP server under hostile clients: Node's and the router's refusals are envelopes under
 * /apiOpen/, bodies are limited before they are read, and idle or slow connections cannot keep
 * legitimate clients out.
 */

let server: TestServer;
let tenant: TenantFixture;

beforeAll(async () => {
  server = await startTestServer({
    env: { MAX_CONNECTIONS: '40', HEADERS_TIMEOUT_SECONDS: '1', REQUEST_TIMEOUT_SECONDS: '2' },
  });
  tenant = await TenantFixture.create(server.database);
});
afterAll(() => server.close());

const port = () => Number(new URL(server.url).port);

/** Sends raw bytes and collects what comes back until the server closes the connection (or `waitMs`). */
function raw(text: string, waitMs = 3000): Promise<{ answer: string; closed: boolean; ms: number }> {
  return new Promise((resolve) => {
    const started = Date.now();
    const socket = connect(port(), '127.0.0.1');
    let answer = '';
    let closed = false;
    socket.on('data', (d) => (answer += d));
    socket.on('error', () => undefined);
    socket.on('close', () => {
      closed = true;
      clearTimeout(timer);
      resolve({ answer, closed, ms: Date.now() - started });
    });
    const timer = setTimeout(() => {
      socket.destroy();
      resolve({ answer, closed, ms: Date.now() - started });
    }, waitMs);
    if (text) socket.write(text);
  });
}

/** The first answer on the connection (on a slow machine, a timeout's answer may follow it). */
function envelopeOf(answer: string) {
  const end = answer.indexOf('\r\n\r\n');
  const head = end < 0 ? answer : answer.slice(0, end);
  const length = Number(/^content-length: *(\d+)/im.exec(head)?.[1] ?? -1);
  const rest = end < 0 ? '' : answer.slice(end + 4);
  const body = length < 0 ? rest : Buffer.from(rest).subarray(0, length).toString();
  return { status: Number(head.split(' ')[1]), head, body: JSON.parse(body || 'null') };
}

const envelope412 = {
  code: 412,
  data: null,
  requestId: expect.stringMatching(/^[A-Z]{8}$/),
  resultMsg: expect.stringMatching(/^参数错误: /),
  errorStackTrace: null,
};

describe("Node's and the router's refusals under /apiOpen/ are the envelope", () => {
  it('a path that is not valid percent-encoding: 412, HTTP 200', async () => {
    const response = await fetch(`${server.url}/apiOpen/v1/task/getTasks%ff`);
    expect(response.status).toBe(200);
    expect(await response.json()).toEqual({
      ...envelope412,
      resultMsg: '参数错误: the path is not valid percent-encoding',
    });
  });

  it('a URL over 16 KB: 412, HTTP 200, and the connection closes', async () => {
    const url = `/apiOpen/v1/task/getTasks?name=${'a'.repeat(17_000)}`;
    const r = await raw(`GET ${url} HTTP/1.1\r\nHost: x\r\n\r\n`);
    const { status, head, body } = envelopeOf(r.answer);
    expect(status).toBe(200);
    expect(head).toMatch(/Connection: close/i);
    expect(body).toEqual({ ...envelope412, resultMsg: expect.stringContaining('larger than 16 KB') });
    expect(r.closed).toBe(true);
  });

  it('other oversized headers: the same', async () => {
    const r = await raw(`GET /apiOpen/v1/task/getTasks HTTP/1.1\r\nHost: x\r\nX-Big: ${'b'.repeat(20_000)}\r\n\r\n`);
    expect(envelopeOf(r.answer)).toMatchObject({ status: 200, body: { code: 412 } });
  });

  it('an unknown method: 412 when Node cannot parse it, 404 naming the right method when it can', async () => {
    const r = await raw('BREW /apiOpen/v1/task/getTasks HTTP/1.1\r\nHost: x\r\n\r\n');
    expect(envelopeOf(r.answer)).toMatchObject({ status: 200, body: { ...envelope412 } });
    const known = await raw('PROPFIND /apiOpen/v1/task/getTasks HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n');
    expect(envelopeOf(known.answer)).toMatchObject({
      status: 200,
      body: { code: 404, resultMsg: expect.stringContaining('GET') },
    });
  });

  it('not well-formed HTTP: 412', async () => {
    const r = await raw('GET /apiOpen/v1/task/getTasks HTTP/1.1\r\nHost x\r\n\r\n');
    expect(envelopeOf(r.answer)).toMatchObject({ status: 200, body: envelope412 });
  });

  it('outside the API, the plain HTTP status', async () => {
    const r = await raw(`GET /docs?${'a'.repeat(17_000)} HTTP/1.1\r\nHost: x\r\n\r\n`);
    expect(r.answer).toMatch(/^HTTP\/1\.1 431 /);
    const bad = await fetch(`${server.url}/docs%ff`);
    expect(bad.status).toBe(400);
  });
});

describe('timeouts', () => {
  it('headers that trickle are cut off after HEADERS_TIMEOUT_SECONDS, with the envelope', async () => {
    const r = await raw('GET /apiOpen/v1/task/getTasks HTTP/1.1\r\nHost: x\r\n', 5000);
    expect(r.closed).toBe(true);
    expect(r.ms).toBeLessThan(3500);
    expect(envelopeOf(r.answer)).toMatchObject({ status: 200, body: { code: 412 } });
  });

  it('a connection that sends nothing is closed without an answer', async () => {
    const r = await raw('', 5000);
    expect(r.closed).toBe(true);
    expect(r.answer).toBe('');
  });

  it('a body that trickles is cut off after REQUEST_TIMEOUT_SECONDS', async () => {
    const headers = await signedHeaders(tenant.credentials);
    const lines = Object.entries(headers).map(([k, v]) => `${k}: ${v}`);
    const head = [
      'POST /apiOpen/v1/task/getCallRecordInfoList HTTP/1.1',
      'Host: x',
      'Content-Type: application/json',
      'Content-Length: 100',
      ...lines,
    ];
    const r = await raw(`${head.join('\r\n')}\r\n\r\n{"robotCallJobId":`, 6000);
    expect(r.closed).toBe(true);
    expect(r.ms).toBeLessThan(4500);
    expect(envelopeOf(r.answer)).toMatchObject({ status: 200, body: { code: 412 } });
  });
});

describe('bodies are limited before they are read', () => {
  it("a body larger than the endpoint's limit is refused from its Content-Length, before it is sent", async () => {
    const headers = await signedHeaders(tenant.credentials);
    const head = [
      'POST /apiOpen/v1/task/addCallRecords HTTP/1.1',
      'Host: x',
      'Content-Type: application/json',
      `Content-Length: ${60 * 1024 * 1024}`,
      ...Object.entries(headers).map(([k, v]) => `${k}: ${v}`),
    ];
    // Only the headers are sent: the answer comes without a byte of the 60 MB body.
    const r = await raw(`${head.join('\r\n')}\r\n\r\n`, 3000);
    const { status, body } = envelopeOf(r.answer);
    expect(status).toBe(200);
    expect(body).toMatchObject({
      code: 412,
      resultMsg: `参数错误: body is larger than ${ADD_CALL_RECORDS_BODY_LIMIT} bytes, the most this endpoint reads`,
    });
    expect(r.closed).toBe(true);
  });

  it('each endpoint reads at most the largest body its schema admits', async () => {
    const headers = await signedHeaders(tenant.credentials);
    const limits: Record<string, number> = {};
    for (const path of ['create', 'importTaskCustomer', 'addCallRecord', 'getCallRecordInfoList', 'start']) {
      const head = [
        `POST /apiOpen/v1/task/${path} HTTP/1.1`,
        'Host: x',
        'Content-Type: application/json',
        'Content-Length: 100000000',
        ...Object.entries(headers).map(([k, v]) => `${k}: ${v}`),
      ];
      const r = await raw(`${head.join('\r\n')}\r\n\r\n`, 3000);
      limits[path] = Number(/larger than (\d+) bytes/.exec(envelopeOf(r.answer).body.resultMsg)?.[1]);
    }
    expect(limits).toEqual({
      create: maxJsonBytes(CreateJobBody, FULL_SIZE),
      importTaskCustomer: maxJsonBytes(ImportTaskCustomerBody, FULL_SIZE),
      addCallRecord: maxJsonBytes(IncomingCallRecord, FULL_SIZE),
      getCallRecordInfoList: SMALL_BODY_LIMIT,
      start: SMALL_BODY_LIMIT,
    });
    expect(limits.addCallRecord).toBeGreaterThan(SMALL_BODY_LIMIT);
  });

  it('a chunked body is cut off as soon as it passes the limit', async () => {
    const headers = await signedHeaders(tenant.credentials);
    let sent = 0;
    const chunk = Buffer.alloc(64 * 1024, ' ');
    const answer = await new Promise<string>((resolve) => {
      const socket: Socket = connect(port(), '127.0.0.1');
      let text = '';
      socket.on('data', (d) => {
        text += d;
        if (text.includes('\r\n\r\n{')) resolve(text);
      });
      socket.on('error', () => resolve(text));
      socket.write(
        `${[
          'POST /apiOpen/v1/task/importTaskCustomer HTTP/1.1',
          'Host: x',
          'Content-Type: application/json',
          'Transfer-Encoding: chunked',
          ...Object.entries(headers).map(([k, v]) => `${k}: ${v}`),
        ].join('\r\n')}\r\n\r\n`,
      );
      const pump = () => {
        while (!socket.destroyed && sent < 64 * 1024 * 1024) {
          sent += chunk.length;
          if (!socket.write(`${chunk.length.toString(16)}\r\n${chunk}\r\n`)) return void socket.once('drain', pump);
        }
      };
      pump();
    });
    expect(envelopeOf(answer).body).toMatchObject({ code: 412, resultMsg: expect.stringContaining('body is larger') });
    // Cut off near its limit (importTaskCustomer: about 4.4 MB), not after the 64 MB sent.
    expect(sent).toBeLessThan(16 * 1024 * 1024);
  });

  it('an endpoint of small bodies refuses one above 64 KiB', async () => {
    const r = await call(server, tenant.credentials, 'POST', '/apiOpen/v1/task/getCallRecordInfoList', {
      robotCallJobId: 1,
      searchWords: 'x'.repeat(SMALL_BODY_LIMIT),
    });
    expect(r).toMatchObject({ code: 412, resultMsg: expect.stringContaining(`larger than ${SMALL_BODY_LIMIT}`) });
  });

  it('a valid batch near its size is read', async () => {
    const r = await call(server, tenant.credentials, 'POST', '/apiOpen/v1/task/addCallRecords', {
      callRecords: [],
    });
    expect(r.code).toBe(412); // minItems, not size
  });
});

describe('the size of the largest body a schema admits', () => {
  it('is exact for a closed schema', () => {
    const schema = Type.Object({ a: Type.String({ maxLength: 3 }), n: Type.Integer({ minimum: -5, maximum: 100 }) });
    const largest = JSON.stringify({ a: '一二三', n: 100 });
    expect(maxJsonBytes(schema, FULL_SIZE)).toBeGreaterThanOrEqual(Buffer.byteLength(largest) + 1);
    expect(maxJsonBytes(schema, FULL_SIZE)).toBeLessThanOrEqual(Buffer.byteLength(largest) + 2);
  });

  it('is never below the size of a valid call record', () => {
    const bound = maxJsonBytes(IncomingCallRecord, FULL_SIZE);
    const text = (max: number) => fc.string({ unit: 'grapheme', maxLength: max }).map((s) => s.slice(0, max));
    fc.assert(
      fc.property(
        fc.record({
          idempotencyKey: text(128),
          robotCallJobId: fc.integer({ min: 1, max: Number.MAX_SAFE_INTEGER }),
          calledPhoneNumber: text(30),
          resultStatus: fc.constantFrom('ANSWERED', '0'),
          intentLevel: fc.constantFrom('A', 'F'),
          analysisBasis: text(2000),
          startTime: fc.integer({ min: 0, max: Number.MAX_SAFE_INTEGER }),
          endTime: text(30),
          chatDuration: fc.integer({ min: 0, max: 86400 }),
          chatRound: fc.integer({ min: 0, max: 10000 }),
          customerConcern: fc.array(text(50), { maxLength: 20 }),
          callDetailList: fc.array(fc.record({ type: fc.constantFrom('ROBOT', 'PERSON'), text: text(4000) }), {
            maxLength: 30,
          }),
        }),
        (record) => Buffer.byteLength(JSON.stringify(record)) <= bound,
      ),
      { seed: 10, numRuns: 200 },
    );
  });

  it('gives addCallRecords about 39 MB: a 60 MB body is refused', () => {
    expect(ADD_CALL_RECORDS_BODY_LIMIT).toBeGreaterThan(30 * 1024 * 1024);
    expect(ADD_CALL_RECORDS_BODY_LIMIT).toBeLessThan(60 * 1024 * 1024);
  });
});

describe('the budget of large bodies in progress', () => {
  it('lets bodies in while they fit, queues the next, and refuses it after the wait', async () => {
    const budget = new ByteBudget(100, 1, 50);
    const first = await budget.acquire(60);
    const second = budget.acquire(60); // waits
    await expect(budget.acquire(10)).rejects.toMatchObject({ resultCode: 429 }); // queue full
    first();
    first(); // giving back twice gives back once
    const release = await second;
    expect(budget.inUse).toBe(60);
    await expect(budget.acquire(60)).rejects.toMatchObject({ resultCode: 429 }); // waited 50 ms
    release();
    expect(budget.inUse).toBe(0);
  });
});

describe('connections', () => {
  it('the cap stays below the file-descriptor limit', () => {
    expect(effectiveMaxConnections(10_000, 20_000)).toBe(10_000);
    expect(effectiveMaxConnections(30_000, 20_000)).toBe(20_000 - 256);
    expect(effectiveMaxConnections(10_000, undefined)).toBe(10_000);
  });

  it('idle and slow connections up to the cap do not keep a legitimate client out', async () => {
    const held: Socket[] = [];
    const open = (text: string) =>
      new Promise<void>((resolve) => {
        const s = connect(port(), '127.0.0.1', () => {
          if (text) s.write(text);
          resolve();
        });
        s.on('error', () => resolve());
        held.push(s);
      });
    const headers = await signedHeaders(tenant.credentials);
    const slowBody = `${[
      'POST /apiOpen/v1/task/getCallRecordInfoList HTTP/1.1',
      'Host: x',
      'Content-Type: application/json',
      'Content-Length: 100',
      ...Object.entries(headers).map(([k, v]) => `${k}: ${v}`),
    ].join('\r\n')}\r\n\r\n{`;
    try {
      // 20 slow bodies, then idle connections up to the cap of 40.
      for (let i = 0; i < 20; i++) await open(slowBody);
      for (let i = 0; i < 30; i++) await open('');
      await new Promise((r) => setTimeout(r, 100));
      const started = Date.now();
      for (let i = 0; i < 5; i++) {
        const r = await call(server, tenant.credentials, 'GET', '/apiOpen/v1/task/getTasks');
        expect(r.code).toBe(200);
      }
      expect(Date.now() - started).toBeLessThan(1000);
      const stats = server.app.connections.stats();
      expect(stats.max).toBe(40);
      expect(stats.evicted).toBeGreaterThan(0);
      expect(stats.open).toBeLessThanOrEqual(40);
    } finally {
      for (const s of held) s.destroy();
    }
  });
});

describe('TRUST_PROXY', () => {
  it('the client address comes from X-Forwarded-For only from a trusted proxy', async () => {
    const seen: string[] = [];
    for (const env of [{}, { TRUST_PROXY: '127.0.0.1' }, { TRUST_PROXY: '10.0.0.0/8' }]) {
      const app = await buildApp({
        database: server.database,
        config: loadConfig(env),
        logger: false,
        plugins: [async (a) => void a.get('/ip', async (request) => request.ip)],
      });
      await app.listen({ port: 0, host: '127.0.0.1' });
      const address = app.server.address();
      const url = `http://127.0.0.1:${typeof address === 'object' && address ? address.port : 0}`;
      seen.push(await (await fetch(`${url}/ip`, { headers: { 'x-forwarded-for': '203.0.113.7' } })).text());
      await app.close();
    }
    expect(seen).toEqual(['127.0.0.1', '203.0.113.7', '127.0.0.1']);
  });
});
