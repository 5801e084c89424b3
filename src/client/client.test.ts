import { createHash, webcrypto } from 'node:crypto';
import { readdirSync, readFileSync } from 'node:fs';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { finishedCall, T0, TenantFixture } from '../../test/fixtures.js';
import { startTestServer, type TestServer } from '../../test/harness.js';
import {
  type CallRecordListItem,
  type Fetch,
  type JobListItem,
  OutcallClient,
  type OutcallClientOptions,
  OutcallError,
} from './index.js';

/* The SDK against the real server, and its retries and timeouts against real local HTTP servers that misbehave. */

let server: TestServer;
let tenant: TenantFixture;
let jobId: number;
let jobIds: number[];
const answered: number[] = [];
const HOUR = 3_600_000;

/** Every URL the client sent, seen through the fetch it was given (the real one). */
function observed(): { fetch: Fetch; urls: string[] } {
  const urls: string[] = [];
  return {
    urls,
    fetch: (url, init) => {
      urls.push(url);
      return fetch(url, init);
    },
  };
}

function clientFor(options: Partial<OutcallClientOptions> = {}): OutcallClient {
  return new OutcallClient({ baseUrl: server.url, ...tenant.credentials, retryDelayMs: 1, ...options });
}

beforeAll(async () => {
  server = await startTestServer();
  tenant = await TenantFixture.create(server.database);
  // Five jobs (newest last); the first has ten calls: seven answered (with transcripts), three not.
  jobIds = [];
  for (let i = 0; i < 5; i++) {
    jobIds.push(
      (
        await tenant.job({
          name: `SDK任务${i}`,
          status: i === 4 ? 'COMPLETED' : 'IN_PROCESS',
          createdAt: T0 + i * HOUR,
        })
      ).jobId,
    );
  }
  jobId = jobIds[0]!;
  const results = [
    'ANSWERED',
    'BUSY',
    'ANSWERED',
    'ANSWERED',
    'NO_ANSWER',
    'ANSWERED',
    'ANSWERED',
    'REFUSED',
    'ANSWERED',
    'ANSWERED',
  ] as const;
  for (const [i, result] of results.entries()) {
    const turns =
      result === 'ANSWERED'
        ? [
            { type: 'ROBOT' as const, text: `您好，第${i}通` },
            { type: 'PERSON' as const, text: '嗯，你说' },
          ]
        : [];
    const id = await tenant.call(finishedCall({ jobId, result, at: T0 + i * 60_000, phone: `1390000000${i}`, turns }));
    if (result === 'ANSWERED') answered.push(id);
  }
});
afterAll(() => server.close());

describe('one typed method per endpoint, against the real server', () => {
  it('getTasks: one page of jobs, filtered by status', async () => {
    const page = await clientFor().getTasks({ status: 'IN_PROCESS', pageSize: 2 });
    expect(page).toMatchObject({ number: 1, pageSize: 2, totalElements: 4, pages: 2 });
    expect(page.content.map((j) => j.robotCallJobId)).toEqual([jobIds[3], jobIds[2]]);
  });

  it('getTaskDetail: the job with its live statistics', async () => {
    const detail = await clientFor().getTaskDetail(jobId);
    expect(detail.robotCallJob).toMatchObject({ robotCallJobId: jobId, name: 'SDK任务0', status: 'IN_PROCESS' });
    expect(detail.callJobStatsInfo.dialResult.ANSWERED).toBe(7);
    expect(detail.callJobStatsInfo.answeredTask).toBe(7);
  });

  it('getCallRecordInfoList: one page of a job’s calls, filtered', async () => {
    const page = await clientFor().getCallRecordInfoList({
      robotCallJobId: jobId,
      resultStatuses: ['BUSY', 'REFUSED'],
      pageSize: 1,
    });
    expect(page).toMatchObject({ number: 1, pageSize: 1, totalElements: 2, pages: 2 });
    expect(page.content[0]).toMatchObject({ robotCallJobId: jobId, resultStatus: 'REFUSED' });
  });

  it('callDetail: one call with its transcript', async () => {
    const detail = await clientFor().callDetail(answered[0]!);
    expect(detail).toMatchObject({ callRecordId: answered[0], robotCallJobId: jobId, resultStatus: 'ANSWERED' });
    expect(detail.callDetailList.map((t) => [t.type, t.text])).toEqual([
      ['ROBOT', '您好，第0通'],
      ['PERSON', '嗯，你说'],
    ]);
  });

  it('a misspelled filter does not compile, and the server refuses it with 412 naming it', async () => {
    // @ts-expect-error 'ANSWERD' is not a ResultStatus: the compiler catches it (tsc fails if it does not).
    const misspelled = clientFor().getCallRecordInfoList({ robotCallJobId: jobId, resultStatuses: ['ANSWERD'] });
    await expect(misspelled).rejects.toMatchObject({
      code: 412,
      resultMsg: expect.stringContaining('resultStatuses[0]'),
    });
  });
});

describe('job operations and call-engine methods, against the real server', () => {
  it('create a job, import customers, walk its statuses, report calls and delete it', async () => {
    const client = clientFor();
    const [flow] = await client.getDialogFlows();
    expect(flow).toMatchObject({ name: '通用邀约话术' });
    const line = await tenant.phoneLine('02587654321');
    expect((await client.getPhoneNumbers()).map((l) => l.phoneNumberId)).toContain(line);
    const { robotCallJobId } = await client.createJob({
      name: 'SDK新任务',
      dialogFlowId: flow!.dialogFlowId,
      mode: 'MANUAL',
      phoneNumberIds: [line],
      wechatAlertLevel: ['A'],
    });
    const imported = await client.importTaskCustomer({
      robotCallJobId,
      customers: [{ phoneNumber: '13912340001', name: '甲' }, { phoneNumber: 'x' }],
    });
    expect(imported).toMatchObject({
      status: 'RUNNABLE',
      taskCallTotal: 1,
      rejected: [{ index: 1, phoneNumber: 'x' }],
    });
    expect(await client.startJob(robotCallJobId)).toEqual({ robotCallJobId, status: 'IN_PROCESS' });
    expect((await client.pauseJob(robotCallJobId)).status).toBe('USER_PAUSE');
    expect((await client.resumeJob(robotCallJobId)).status).toBe('IN_PROCESS');
    const record = {
      idempotencyKey: `sdk-${robotCallJobId}`,
      robotCallJobId,
      calledPhoneNumber: '13912340001',
      resultStatus: 'ANSWERED' as const,
      intentLevel: 'A' as const,
      startTime: T0,
      endTime: T0 + 30_000,
      chatDuration: 25,
      chatRound: 2,
      callDetailList: [{ type: 'ROBOT' as const, text: '您好' }],
    };
    expect((await client.addCallRecord(record)).accepted).toBe(1);
    expect(
      await client.addCallRecords([record, { ...record, idempotencyKey: `${record.idempotencyKey}-2` }]),
    ).toMatchObject({ accepted: 1, duplicates: 1 });
    expect((await client.getTaskDetail(robotCallJobId)).callJobStatsInfo.taskCallTotal).toBe(2);
    expect((await client.stopJob(robotCallJobId)).status).toBe('TERMINATE');
    const refused = await client.startJob(robotCallJobId).catch((e: unknown) => e);
    expect(refused).toBeInstanceOf(OutcallError);
    expect((refused as OutcallError).code).toBe(412);
    expect(await client.deleteJob(robotCallJobId)).toEqual({ robotCallJobId, deleted: true });
  });
});

describe('the paging iterators walk every page', () => {
  it('tasks(): every job, newest first, page after page', async () => {
    const seen = observed();
    const jobs: JobListItem[] = [];
    for await (const job of clientFor({ fetch: seen.fetch }).tasks({ pageSize: 2 })) jobs.push(job);
    expect(jobs.map((j) => j.robotCallJobId)).toEqual([...jobIds].reverse());
    expect(seen.urls.map((u) => new URL(u).searchParams.get('pageNum'))).toEqual(['1', '2', '3']);
  });

  it('callRecords(): every answered call of a job with its transcript, across pages', async () => {
    const seen = observed();
    const calls: CallRecordListItem[] = [];
    for await (const record of clientFor({ fetch: seen.fetch }).callRecords({
      robotCallJobId: jobId,
      resultStatuses: ['ANSWERED'],
      pageSize: 3,
    }))
      calls.push(record);
    expect(calls.map((c) => c.callRecordId)).toEqual([...answered].reverse());
    expect(calls.every((c) => c.resultStatus === 'ANSWERED' && c.callDetailList.length === 2)).toBe(true);
    expect(seen.urls).toHaveLength(3); // 7 calls in pages of 3
  });

  it('an empty list yields nothing after one request', async () => {
    const seen = observed();
    const calls: CallRecordListItem[] = [];
    for await (const record of clientFor({ fetch: seen.fetch }).callRecords({ robotCallJobId: jobIds[1]! }))
      calls.push(record);
    expect(calls).toEqual([]);
    expect(seen.urls).toHaveLength(1);
  });

  it('stopping early sends no further request', async () => {
    const seen = observed();
    for await (const record of clientFor({ fetch: seen.fetch }).callRecords({ robotCallJobId: jobId, pageSize: 2 })) {
      expect(record.robotCallJobId).toBe(jobId);
      break;
    }
    expect(seen.urls).toHaveLength(1);
  });
});

describe('errors carry the envelope’s code, resultMsg and requestId, and are not retried', () => {
  it('404: an unknown job', async () => {
    const seen = observed();
    const error = await clientFor({ fetch: seen.fetch, retries: 3 })
      .getTaskDetail(999_999)
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(OutcallError);
    expect(error).toMatchObject({
      name: 'OutcallError',
      kind: 'envelope',
      code: 404,
      httpStatus: 200,
      attempts: 1,
      resultMsg: expect.stringContaining('资源未找到'),
    });
    expect((error as OutcallError).requestId).toMatch(/^[A-Z]{8}$/);
    expect((error as OutcallError).message).toContain((error as OutcallError).requestId);
    expect(seen.urls).toHaveLength(1);
  });

  it('412: a parameter out of range', async () => {
    const seen = observed();
    const error = await clientFor({ fetch: seen.fetch, retries: 3 })
      .getTaskDetail(0)
      .catch((e: unknown) => e);
    expect(error).toMatchObject({ code: 412, resultMsg: expect.stringContaining('robotCallJobId') });
    expect(seen.urls).toHaveLength(1);
  });

  it('401: a wrong appSecret', async () => {
    const seen = observed();
    const error = await clientFor({ fetch: seen.fetch, retries: 3, appSecret: 'not-the-secret' })
      .getTasks()
      .catch((e: unknown) => e);
    expect(error).toMatchObject({ code: 401, resultMsg: expect.stringContaining('校验数据错误') });
    expect(seen.urls).toHaveLength(1);
  });

  it('send() returns any envelope as it came, for endpoints the SDK has no method for', async () => {
    const envelope = await clientFor().send('GET', '/apiOpen/v1/task/noSuchEndpoint');
    expect(envelope).toMatchObject({ code: 404, data: null, requestId: expect.stringMatching(/^[A-Z]{8}$/) });
  });

  it('a connection refused is a network error, after the retries', async () => {
    const closed = await listen(() => {});
    const url = closed.url;
    await closed.close();
    const error = await new OutcallClient({ baseUrl: url, ...tenant.credentials, retries: 1, retryDelayMs: 1 })
      .getTasks()
      .catch((e: unknown) => e);
    expect(error).toMatchObject({ kind: 'network', code: 0, httpStatus: null, requestId: null, attempts: 2 });
  });
});

/* ---- retries and timeouts against a local server that misbehaves -------------------------------- */

interface Fake {
  url: string;
  requests: { at: number; headers: IncomingMessage['headers']; body: string }[];
  close(): Promise<void>;
}

/** A real HTTP server on 127.0.0.1 answering the n-th request with answers[n] (the last one repeats). */
async function listen(answer: (n: number, req: IncomingMessage, res: ServerResponse) => void): Promise<Fake> {
  const requests: Fake['requests'] = [];
  const sockets = new Set<Socket>();
  const http: Server = createServer((req, res) => {
    let body = '';
    req.on('data', (chunk) => (body += chunk));
    req.on('end', () => {
      requests.push({ at: Date.now(), headers: req.headers, body });
      answer(requests.length - 1, req, res);
    });
  });
  http.on('connection', (s) => {
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
  });
  await new Promise<void>((resolve) => http.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(http.address() as AddressInfo).port}`,
    requests,
    close: () =>
      new Promise((resolve) => {
        for (const s of sockets) s.destroy();
        http.close(() => resolve());
      }),
  };
}

const envelope = (code: number, data: unknown = null) =>
  JSON.stringify({
    code,
    data,
    requestId: 'ABCDEFGH',
    resultMsg: code === 200 ? '获取成功' : `失败${code}`,
    errorStackTrace: null,
  });
const PAGE = { number: 1, pageSize: 20, totalElements: 0, pages: 0, content: [] };

type Step = 'destroy' | 'hang' | { status?: number; body: string; headers?: Record<string, string> };
function scripted(steps: Step[]) {
  return (n: number, req: IncomingMessage, res: ServerResponse) => {
    const step = steps[Math.min(n, steps.length - 1)]!;
    if (step === 'destroy') return req.socket.destroy();
    if (step === 'hang') return;
    res.writeHead(step.status ?? 200, { 'content-type': 'application/json', ...step.headers }).end(step.body);
  };
}

describe('retries with backoff and jitter', () => {
  const fakes: Fake[] = [];
  afterAll(async () => {
    for (const f of fakes) await f.close();
  });
  async function fake(steps: Step[]): Promise<Fake> {
    const f = await listen(scripted(steps));
    fakes.push(f);
    return f;
  }
  const client = (f: Fake, options: Partial<OutcallClientOptions> = {}) =>
    new OutcallClient({ baseUrl: f.url, ...tenant.credentials, retries: 4, retryDelayMs: 20, ...options });

  it('a dropped connection, HTTP 503, envelope 500 and envelope 429 are retried until the answer comes', async () => {
    const f = await fake([
      'destroy',
      { status: 503, body: 'Service Unavailable' },
      { body: envelope(500) },
      { body: envelope(429) },
      { body: envelope(200, PAGE) },
    ]);
    const page = await client(f).getTasks({ name: '任务' });
    expect(page).toEqual(PAGE);
    expect(f.requests).toHaveLength(5);
    // Each attempt is signed afresh, and correctly.
    for (const r of f.requests) {
      const { appKey, appSecret, tenantSign } = tenant.credentials;
      const expected = createHash('sha256')
        .update(
          `${tenantSign}appKey=${appKey}&appSecret=${appSecret}&tenantSign=${tenantSign}&version=v1&timestamp=${r.headers.timestamp}`,
        )
        .digest('hex');
      expect(r.headers).toMatchObject({ appkey: appKey, version: 'v1', signature: expected });
    }
    // Exponential backoff: the n-th wait is at least half of 20 ms × 2^(n-1) (the other half is jitter).
    const gaps = f.requests.slice(1).map((r, i) => r.at - f.requests[i]!.at);
    for (const [i, gap] of gaps.entries()) expect(gap).toBeGreaterThanOrEqual(10 * 2 ** i - 2);
  });

  it('HTTP 429 waits as long as Retry-After says (capped by maxRetryDelayMs)', async () => {
    const f = await fake([
      { status: 429, body: 'slow down', headers: { 'retry-after': '1' } },
      { body: envelope(200, PAGE) },
    ]);
    await client(f, { maxRetryDelayMs: 300 }).getTasks();
    expect(f.requests).toHaveLength(2);
    expect(f.requests[1]!.at - f.requests[0]!.at).toBeGreaterThanOrEqual(295);
  });

  it('gives up after `retries` further attempts, with the last failure', async () => {
    const f = await fake([{ status: 502, body: '<html>Bad Gateway</html>' }]);
    const error = await client(f, { retries: 2 })
      .getTasks()
      .catch((e: unknown) => e);
    expect(error).toMatchObject({
      kind: 'http',
      code: 502,
      httpStatus: 502,
      attempts: 3,
      requestId: null,
      resultMsg: 'HTTP 502: <html>Bad Gateway</html>',
    });
    expect(f.requests).toHaveLength(3);
  });

  it('the last envelope 500 becomes an OutcallError with its requestId', async () => {
    const f = await fake([{ body: envelope(500) }]);
    const error = await client(f, { retries: 1 })
      .getTasks()
      .catch((e: unknown) => e);
    expect(error).toMatchObject({
      kind: 'envelope',
      code: 500,
      resultMsg: '失败500',
      requestId: 'ABCDEFGH',
      attempts: 2,
    });
  });

  for (const code of [401, 403, 404, 412]) {
    it(`envelope ${code} is never retried`, async () => {
      const f = await fake([{ body: envelope(code) }, { body: envelope(200, PAGE) }]);
      const error = await client(f)
        .getTasks()
        .catch((e: unknown) => e);
      expect(error).toMatchObject({ kind: 'envelope', code, attempts: 1 });
      expect(f.requests).toHaveLength(1);
    });
  }

  it('an answer that is not an envelope is not retried', async () => {
    const f = await fake([{ body: '<html>login</html>' }, { body: envelope(200, PAGE) }]);
    const error = await client(f)
      .getTasks()
      .catch((e: unknown) => e);
    expect(error).toMatchObject({ kind: 'http', code: 200, attempts: 1 });
    expect(f.requests).toHaveLength(1);
  });

  it('sends the body as JSON and the query in the URL', async () => {
    const f = await fake([{ body: envelope(200, PAGE) }]);
    await client(f).getCallRecordInfoList({
      robotCallJobId: 7,
      resultStatuses: ['ANSWERED', 'BUSY'],
      intentLevels: ['A'],
    });
    await client(f).callDetail(42);
    expect(JSON.parse(f.requests[0]!.body)).toEqual({
      robotCallJobId: 7,
      resultStatuses: ['ANSWERED', 'BUSY'],
      intentLevels: ['A'],
    });
    expect(f.requests[0]!.headers['content-type']).toBe('application/json');
    expect(f.requests[1]!.body).toBe('');
  });
});

describe('timeouts and cancellation via AbortSignal', () => {
  let hanging: Fake;
  beforeAll(async () => {
    hanging = await listen(scripted(['hang']));
  });
  afterAll(() => hanging.close());

  it('a server that never answers: OutcallError kind timeout after timeoutMs', async () => {
    const started = Date.now();
    const error = await new OutcallClient({ baseUrl: hanging.url, ...tenant.credentials, timeoutMs: 200, retries: 0 })
      .getTasks()
      .catch((e: unknown) => e);
    const took = Date.now() - started;
    expect(error).toBeInstanceOf(OutcallError);
    expect(error).toMatchObject({ kind: 'timeout', code: 0, attempts: 1, resultMsg: 'no answer within 200 ms' });
    expect(took).toBeGreaterThanOrEqual(195);
    expect(took).toBeLessThan(5_000);
  });

  it('a timed-out attempt is retried, and a per-call timeoutMs overrides the client’s', async () => {
    const before = hanging.requests.length;
    const error = await new OutcallClient({
      baseUrl: hanging.url,
      ...tenant.credentials,
      timeoutMs: 60_000,
      retries: 1,
      retryDelayMs: 1,
    })
      // Long enough for each attempt to reach the server on a loaded machine (at 100 ms an attempt
      // was once given up before its connection was made, and never arrived).
      .getTasks({}, { timeoutMs: 1000 })
      .catch((e: unknown) => e);
    expect(error).toMatchObject({ kind: 'timeout', attempts: 2 });
    // The second attempt may reach the server only after the client has given up on it.
    await vi.waitFor(() => expect(hanging.requests.length - before).toBe(2), { timeout: 5_000 });
  });

  it('the caller’s signal aborts the call with its reason, without retrying', async () => {
    const before = hanging.requests.length;
    const reason = new Error('user navigated away');
    const controller = new AbortController();
    // Aborted once the request has arrived, however slow the machine is that day.
    const arrived = setInterval(() => {
      if (hanging.requests.length === before) return;
      clearInterval(arrived);
      controller.abort(reason);
    }, 5);
    const error = await new OutcallClient({ baseUrl: hanging.url, ...tenant.credentials, retries: 3 })
      .getTasks({}, { signal: controller.signal })
      .catch((e: unknown) => e);
    expect(error).toBe(reason);
    expect(hanging.requests.length - before).toBe(1);
  });

  it('an already aborted signal sends nothing', async () => {
    const before = hanging.requests.length;
    const error = await new OutcallClient({ baseUrl: hanging.url, ...tenant.credentials })
      .getTasks({}, { signal: AbortSignal.abort() })
      .catch((e: unknown) => e);
    expect((error as Error).name).toBe('AbortError');
    expect(hanging.requests.length).toBe(before);
  });

  it('the signal also ends the wait between retries', async () => {
    const controller = new AbortController();
    // Aborted a moment after the 503 has gone out, so inside the 10-s wait however slow the machine is.
    const failing = await listen((_n, _req, res) => {
      res.on('finish', () => setTimeout(() => controller.abort(), 100));
      res.writeHead(503, { 'content-type': 'text/plain' }).end('down');
    });
    const started = Date.now();
    const error = await new OutcallClient({
      baseUrl: failing.url,
      ...tenant.credentials,
      retries: 5,
      retryDelayMs: 10_000,
      maxRetryDelayMs: 10_000,
    })
      .getTasks({}, { signal: controller.signal })
      .catch((e: unknown) => e);
    expect((error as Error).name).toBe('AbortError');
    expect(Date.now() - started).toBeLessThan(5_000);
    expect(failing.requests).toHaveLength(1);
    await failing.close();
  });
});

describe('what the SDK is made of', () => {
  it('runs where globalThis.crypto is missing (Node 18) when given WebCrypto, and says so when not', async () => {
    const descriptor = Object.getOwnPropertyDescriptor(globalThis, 'crypto')!;
    delete (globalThis as { crypto?: unknown }).crypto;
    try {
      await expect(clientFor().getTasks()).rejects.toThrow(/WebCrypto is not available/);
      const page = await clientFor({ crypto: webcrypto as unknown as OutcallClientOptions['crypto'] }).getTasks();
      expect(page.totalElements).toBe(5);
    } finally {
      Object.defineProperty(globalThis, 'crypto', descriptor);
    }
  });

  it('imports nothing of the server or of Node at run time', () => {
    const root = fileURLToPath(new URL('.', import.meta.url));
    const files = readdirSync(root, { recursive: true, encoding: 'utf8' }).filter(
      (f) => f.endsWith('.ts') && !f.endsWith('.test.ts'),
    );
    expect(files).toContain(join('later', 'job.ts'));
    for (const file of files) {
      const source = readFileSync(join(root, file), 'utf8');
      const runtimeImports = [...source.matchAll(/^(?:import|export)\s+(?!type\b)[^;]*?from\s+'([^']+)'/gms)].map(
        (m) => m[1]!,
      );
      // Only the SDK's own files: relative, and inside src/client/.
      for (const specifier of runtimeImports) {
        expect(specifier, `${file} imports ${specifier}`).toMatch(/^\.\.?\/[\w./]+\.js$/);
        const target = resolve(dirname(join(root, file)), specifier);
        expect(target.startsWith(root), `${file} imports ${specifier}, outside the SDK`).toBe(true);
      }
    }
  });

  it('refuses a bad configuration at construction', () => {
    expect(() => new OutcallClient({ ...tenant.credentials, baseUrl: 'localhost:8060' })).toThrow(/baseUrl/);
    expect(() => new OutcallClient({ ...tenant.credentials, baseUrl: server.url, appKey: '' })).toThrow(/appKey/);
    expect(() => new OutcallClient({ ...tenant.credentials, baseUrl: server.url, retries: -1 })).toThrow(/retries/);
    expect(() => new OutcallClient({ ...tenant.credentials, baseUrl: server.url, timeoutMs: 0 })).toThrow(/timeoutMs/);
  });
});
