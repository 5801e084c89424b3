import { execFileSync } from 'node:child_process';
import { createHmac, randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { TestDnsServer } from '../../test/dnsServer.js';
import { finishedCall, TenantFixture } from '../../test/fixtures.js';
import { call, startTestServer, type TestServer } from '../../test/harness.js';
import { verifyCallback } from '../client/callbacks.js';
import { loadConfig } from '../config.js';
import { validateCallbackUrl } from '../domain/callbackUrl.js';
import { ServiceError } from '../domain/errors.js';
import { localDate } from '../domain/time.js';
import { countPendingCallbacks, takeCallbackBatches } from '../repositories/callbacks.js';
import { Scheduler } from '../scheduler/scheduler.js';
import {
  callbackSecretOf,
  completeJob,
  expandCallbackBatches,
  MAX_ATTEMPTS,
  nextAttemptAt,
  rotateCallbackSecret,
  setCallbackUrl,
} from '../services/callbacks.js';
import { callbackSignature, callbackSignatureV2 } from './delivery.js';
import { CallbackDispatcher, type DispatcherSettings, dispatcherSettings } from './dispatcher.js';
import { forbiddenAddress, RESOLUTIONS_PER_TENANT } from './ssrf.js';

/*
 * Callbacks end to end: events written by the one write path and by job completion, delivered by
 * the dispatcher to real HTTP receivers on loopback, signed, retried on the schedule (a fake clock
 * stands in for the minutes), listed and redelivered through the signed endpoints.
 */

const T0 = Date.UTC(2024, 4, 1, 2, 0, 0); // 2024-05-01 10:00 in Asia/Shanghai

interface Received {
  headers: IncomingMessage['headers'];
  body: string;
  at: number;
}

/** A callback receiver on loopback; `answer` decides each reply (default: 200 "success"). */
class Receiver {
  readonly received: Received[] = [];
  answer: (req: Received, res: ServerResponse) => void = (_r, res) => res.end('success');
  private server!: Server;
  private readonly hanging = new Set<ServerResponse>();
  url = '';

  async start(): Promise<this> {
    this.server = createServer((req, res) => {
      const parts: Buffer[] = [];
      req.on('data', (c) => parts.push(c));
      req.on('end', () => {
        const r = { headers: req.headers, body: Buffer.concat(parts).toString('utf8'), at: Date.now() };
        this.received.push(r);
        this.answer(r, res);
      });
    });
    await new Promise<void>((done) => this.server.listen(0, '127.0.0.1', done));
    const address = this.server.address();
    this.url = `http://127.0.0.1:${typeof address === 'object' && address ? address.port : 0}/hook`;
    return this;
  }

  /** Never answers (until closed). */
  hang(): void {
    this.answer = (_r, res) => this.hanging.add(res);
  }

  bodies(): any[] {
    return this.received.map((r) => JSON.parse(r.body));
  }

  async close(): Promise<void> {
    for (const res of this.hanging) res.destroy();
    this.server.closeAllConnections();
    await new Promise<void>((done) => this.server.close(() => done()));
  }
}

let server: TestServer;
let tenant: TenantFixture;
let receiver: Receiver;
/** The dispatchers' clock: a minute ahead of the wall clock, so events just recorded are due. */
let now = Date.now() + 60_000;
const dispatchers: CallbackDispatcher[] = [];

function settings(extra: Partial<DispatcherSettings> = {}): DispatcherSettings {
  return {
    ...dispatcherSettings(
      loadConfig({
        CALLBACK_ALLOW_PRIVATE_NETWORKS: 'true',
        CALLBACK_RETRY_UNIT_MS: '60000',
        CALLBACK_TIMEOUT_MS: '1000',
        CALLBACK_CONNECT_TIMEOUT_MS: '500',
      }),
    ),
    pollMs: 20,
    ...extra,
  };
}

/** A dispatcher on the test database whose clock is `now`; driven by hand (claim/idle) unless started. */
function dispatcher(extra: Partial<DispatcherSettings> = {}): CallbackDispatcher {
  const d = new CallbackDispatcher({ database: server.database, settings: settings(extra), now: () => now });
  dispatchers.push(d);
  return d;
}

/** Claims and delivers what is due now, and writes the outcomes. */
async function round(d: CallbackDispatcher): Promise<number> {
  const n = await d.claim();
  await d.idle();
  return n;
}

async function newTenant(url: string | null = receiver.url): Promise<TenantFixture> {
  const t = await TenantFixture.create(server.database);
  if (url) await setCallbackUrl(server.database, t.tenantId, url);
  return t;
}

const list = (t: TenantFixture, query = '') => call(server, t.credentials, 'GET', `/apiOpen/v1/callback/list${query}`);

beforeAll(async () => {
  server = await startTestServer();
  receiver = await new Receiver().start();
  tenant = await newTenant();
});
beforeEach(() => {
  now = Date.now() + 60_000;
});
afterEach(async () => {
  for (const d of dispatchers.splice(0)) await d.stop({ abandonAfterMs: 0 });
  // Every test starts with nothing due: what a test left undelivered is delivered now.
  receiver.answer = (_r, res) => res.end('success');
  now = Date.now() + 60_000;
  const drain = dispatcher();
  while ((await round(drain)) > 0);
  dispatchers.length = 0;
  receiver.received.length = 0;
});
afterAll(async () => {
  await receiver.close();
  await server.close();
});

describe('ROBOT_CALL_RECORD', () => {
  it('pushes every finished call with the documented fields, its transcript and its customer’s properties', async () => {
    const c = await tenant.customer({ name: '张三' });
    const { jobId, taskOf } = await tenant.job({ customers: [c.id] });
    const callRecordId = await tenant.call(
      finishedCall({
        jobId,
        task: taskOf.get(c.id),
        at: T0,
        duration: 37,
        rounds: 2,
        concerns: ['价格'],
        turns: [
          { type: 'ROBOT', text: '您好' },
          { type: 'PERSON', text: '嗯' },
        ],
      }),
    );
    expect(await round(dispatcher())).toBe(1);
    expect(receiver.received).toHaveLength(1);
    const [got] = receiver.received;
    expect(got!.headers['content-type']).toBe('application/json; charset=utf-8');
    const body = JSON.parse(got!.body);
    const detail = (
      await call(server, tenant.credentials, 'GET', `/apiOpen/v1/task/callDetail?callRecordId=${callRecordId}`)
    ).data;
    const turnIds = detail.callDetailList.map((t: { callDetailId: number }) => t.callDetailId);
    expect(body).toEqual({
      dataType: 'ROBOT_CALL_RECORD',
      data: {
        callRecordId,
        tenantId: tenant.tenantId,
        robotCallJobId: jobId,
        dialogFlowId: tenant.flowId,
        calledPhoneNumber: c.phone,
        resultStatus: 'ANSWERED',
        intentLevel: 'B',
        customerConcern: ['价格'],
        fullAudioUrl: null,
        customerAudioUrl: null,
        analysisBasis: '',
        startTime: '2024-05-01 10:00:00',
        endTime: '2024-05-01 10:00:47',
        chatDuration: 37,
        chatRound: 2,
        attributes: [],
        properties: { 来源: '测试' },
        callDetailList: [
          { text: '您好', type: 'ROBOT', callDetailId: turnIds[0] },
          { text: '嗯', type: 'PERSON', callDetailId: turnIds[1] },
        ],
      },
    });
    expect(turnIds.every((id: unknown) => typeof id === 'number')).toBe(true);
  });

  it('pushes nothing for script-training calls, calls sent again, or tenants without a callback URL', async () => {
    const { jobId } = await tenant.job();
    const once = finishedCall({ jobId });
    await tenant.calls([once, finishedCall({ jobId, training: true })]);
    await tenant.calls([once]); // a duplicate: recorded once, pushed once
    const silent = await newTenant(null);
    const silentJob = (await silent.job()).jobId;
    await silent.call(finishedCall({ jobId: silentJob }));
    const d = dispatcher();
    while ((await round(d)) > 0);
    expect(receiver.bodies().map((b) => b.data.robotCallJobId)).toEqual([jobId]);
  });

  it('pushes only calls recorded after the URL was set', async () => {
    const t = await newTenant(null);
    const { jobId } = await t.job();
    await t.call(finishedCall({ jobId }));
    await setCallbackUrl(server.database, t.tenantId, receiver.url);
    const after = await t.call(finishedCall({ jobId }));
    await round(dispatcher());
    expect(receiver.bodies().map((b) => b.data.callRecordId)).toEqual([after]);
  });
});

describe('batches: one outbox row per recording transaction', () => {
  const batchesOf = (t: TenantFixture) =>
    takeCallbackBatches(server.database, 100, { tenantId: t.tenantId, skipLocked: false });

  it('holds a transaction’s events until a dispatcher expands them, once, with the ids and bodies recorded', async () => {
    const t = await newTenant();
    const { jobId } = await t.job();
    const ids = await t.calls(Array.from({ length: 3 }, () => finishedCall({ jobId })));
    const [batch, ...others] = await batchesOf(t);
    expect(others).toHaveLength(0);
    // Each event: its id, then its body's values (callRecordId first).
    const recorded: [string, number][] = JSON.parse(batch!.events);
    expect(recorded.map((e) => e[1])).toEqual(ids);
    // Counted in the queue before it is expanded.
    expect((await countPendingCallbacks(server.database, now)).pending).toBeGreaterThanOrEqual(3);
    expect(await round(dispatcher())).toBe(3);
    expect(await batchesOf(t)).toHaveLength(0);
    expect(await expandCallbackBatches(server.database, { tenantId: t.tenantId })).toEqual({ events: 0, more: false });
    // Each event with the id drawn at recording, and its own call's body.
    const byId = new Map(receiver.received.map((r) => [r.headers['x-outcall-event-id'], JSON.parse(r.body)]));
    expect([...byId.keys()].sort()).toEqual(recorded.map((e) => e[0]).sort());
    for (const [eventId, callRecordId] of recorded)
      expect(byId.get(eventId)).toMatchObject({ dataType: 'ROBOT_CALL_RECORD', data: { callRecordId } });
  });

  it('lists events recorded a moment ago, and redelivers one by the id it was recorded with', async () => {
    const t = await newTenant();
    const { jobId } = await t.job();
    const [callRecordId] = await t.calls([finishedCall({ jobId })]);
    const [batch] = await batchesOf(t);
    const [[eventId]] = JSON.parse(batch!.events);
    // Redelivery finds the event still in its batch.
    const r = await call(server, t.credentials, 'POST', '/apiOpen/v1/callback/redeliver', { eventId });
    expect(r.data).toEqual({ redelivered: 1 });
    await t.calls([finishedCall({ jobId })]);
    const listed = (await list(t)).data;
    expect(listed.totalElements).toBe(2);
    expect(listed.content.map((e: { state: string }) => e.state)).toEqual(['PENDING', 'PENDING']);
    expect(listed.content.find((e: { eventId: string }) => e.eventId === eventId)).toMatchObject({
      callRecordId,
      payload: { dataType: 'ROBOT_CALL_RECORD', data: { callRecordId } },
    });
    expect(await batchesOf(t)).toHaveLength(0);
  });
});

describe('transcripts read when a batch is expanded', () => {
  it('keeps the transcript of an event still in its batch when its job is deleted', async () => {
    const t = await newTenant();
    const { jobId } = await t.job();
    const turns = [
      { type: 'ROBOT' as const, text: '您好' },
      { type: 'PERSON' as const, text: '不需要' },
    ];
    await t.calls([finishedCall({ jobId, turns })]);
    const pending = await takeCallbackBatches(server.database, 100, { tenantId: t.tenantId, skipLocked: false });
    expect(pending).toHaveLength(1);
    expect((await call(server, t.credentials, 'POST', '/apiOpen/v1/task/stop', { robotCallJobId: jobId })).code).toBe(
      200,
    );
    expect((await call(server, t.credentials, 'POST', '/apiOpen/v1/task/delete', { robotCallJobId: jobId })).code).toBe(
      200,
    );
    await round(dispatcher());
    expect(receiver.bodies().map((b) => b.data.callDetailList.map((d: { text: string }) => d.text))).toEqual([
      ['您好', '不需要'],
    ]);
  });
});

describe('ROBOT_CALL_JOB', () => {
  it('pushes {robotCallJobId, tenantId, status: COMPLETED} once when the scheduler completes a job', async () => {
    const c = await tenant.customer();
    const { jobId, taskOf } = await tenant.job({ customers: [c.id], status: 'IN_PROCESS' });
    await tenant.call(finishedCall({ jobId, task: taskOf.get(c.id) }));
    const scheduler = new Scheduler({ database: server.database, clock: { now: () => T0 } });
    const report = await scheduler.tick();
    expect(report.transitions).toContainEqual({ robotCallJobId: jobId, from: 'IN_PROCESS', to: 'COMPLETED' });
    await scheduler.tick();
    await scheduler.stop();
    const d = dispatcher();
    while ((await round(d)) > 0);
    const jobEvents = receiver
      .bodies()
      .filter((b) => b.dataType === 'ROBOT_CALL_JOB' && b.data.robotCallJobId === jobId);
    expect(jobEvents).toEqual([
      { dataType: 'ROBOT_CALL_JOB', data: { robotCallJobId: jobId, tenantId: tenant.tenantId, status: 'COMPLETED' } },
    ]);
  });

  it('writes no event when the job did not move (compare-and-set)', async () => {
    const { jobId } = await tenant.job({ status: 'USER_PAUSE' });
    expect(await completeJob(server.database, tenant.tenantId, jobId, 'IN_PROCESS', T0)).toBe(false);
    expect((await list(tenant, `?robotCallJobId=${jobId}`)).data.totalElements).toBe(0);
  });
});

describe('signature', () => {
  it('verifies with the SDK’s verifyCallback and the tenant’s secret, and fails on one changed byte', async () => {
    const { jobId } = await tenant.job();
    await tenant.call(finishedCall({ jobId }));
    await round(dispatcher());
    const [got] = receiver.received;
    const secret = await callbackSecretOf(server.database, tenant.tenantId);
    const check = await verifyCallback(got!.headers, got!.body, secret, { toleranceSeconds: 300 });
    expect(check).toMatchObject({ valid: true, eventId: got!.headers['x-outcall-event-id'] });
    expect(got!.headers['x-outcall-timestamp']).toMatch(/^\d{10}$/);
    const changed = got!.body.replace('"dataType"', '"dataTypf"');
    expect((await verifyCallback(got!.headers, changed, secret)).valid).toBe(false);
    expect((await verifyCallback(got!.headers, got!.body, `${secret}x`)).valid).toBe(false);
    // Too old a timestamp is refused.
    expect((await verifyCallback(got!.headers, got!.body, secret, { now: Date.now() + 3_600_000 })).valid).toBe(false);
  });

  it('signs the event id too (X-Outcall-Signature-V2): a delivery replayed under a new id is refused', async () => {
    const { jobId } = await tenant.job();
    await tenant.call(finishedCall({ jobId }));
    await round(dispatcher());
    const [got] = receiver.received;
    const secret = await callbackSecretOf(server.database, tenant.tenantId);
    const h = got!.headers;
    expect(h['x-outcall-signature-v2']).toMatch(/^[0-9a-f]{64}$/);
    // The first signature is unchanged: HMAC over timestamp "." body, as receivers deployed check it.
    expect(h['x-outcall-signature']).toBe(
      createHmac('sha256', secret).update(`${h['x-outcall-timestamp']}.${got!.body}`).digest('hex'),
    );
    expect(h['x-outcall-signature-v2']).toBe(
      createHmac('sha256', secret)
        .update(`${h['x-outcall-event-id']}.${h['x-outcall-timestamp']}.${got!.body}`)
        .digest('hex'),
    );
    expect(await verifyCallback(h, got!.body, secret)).toMatchObject({ valid: true, signatureVersion: 'v2' });

    const replayed: Record<string, string | string[] | undefined> = { ...h, 'x-outcall-event-id': randomUUID() };
    expect(await verifyCallback(replayed, got!.body, secret)).toMatchObject({
      valid: false,
      reason: expect.stringMatching(/^the signature does not match/),
    });
    // Without the second signature (a delivery from an older server, or one stripped of it) the first
    // is checked, as before — unless the receiver requires the second.
    const { 'x-outcall-signature-v2': _, ...v1Only } = replayed;
    expect(await verifyCallback(v1Only, got!.body, secret)).toMatchObject({ valid: true, signatureVersion: 'v1' });
    expect(await verifyCallback(v1Only, got!.body, secret, { requireSignatureV2: true })).toMatchObject({
      valid: false,
      reason: expect.stringMatching(/^no X-Outcall-Signature-V2 header/),
    });
    expect((await verifyCallback({ ...h, 'x-outcall-signature-v2': 'x' }, got!.body, secret)).valid).toBe(false);
  });

  it('verifies the documented test vectors (docs/callbacks.md)', async () => {
    const doc = readFileSync(new URL('../../docs/callbacks.md', import.meta.url), 'utf8');
    const vector = /<!-- test vector -->\n```\n([\s\S]*?)```/.exec(doc)![1]!;
    const field = (name: string) => new RegExp(`^${name}: (.*)$`, 'm').exec(vector)![1]!;
    const headers = {
      'x-outcall-event-id': field('X-Outcall-Event-Id'),
      'x-outcall-timestamp': field('X-Outcall-Timestamp'),
      'x-outcall-signature': field('X-Outcall-Signature'),
      'x-outcall-signature-v2': field('X-Outcall-Signature-V2'),
    };
    const secret = field('secret');
    const body = field('body');
    const at = Number(headers['x-outcall-timestamp']) * 1000;
    expect(await verifyCallback(headers, body, secret, { now: at })).toMatchObject({
      valid: true,
      signatureVersion: 'v2',
    });
    const { 'x-outcall-signature-v2': _, ...v1 } = headers;
    expect(await verifyCallback(v1, body, secret, { now: at })).toMatchObject({ valid: true, signatureVersion: 'v1' });
    // What the server computes, and what the documented openssl commands print.
    expect(callbackSignature(secret, headers['x-outcall-timestamp'], body)).toBe(headers['x-outcall-signature']);
    expect(callbackSignatureV2(secret, headers['x-outcall-event-id'], headers['x-outcall-timestamp'], body)).toBe(
      headers['x-outcall-signature-v2'],
    );
    // The openssl commands shown print what they are shown to print.
    const commands = [...doc.matchAll(/^\$ (printf .*openssl dgst.*)\n(.*)$/gm)];
    expect(commands.map((c) => c[2]!.split(' ')[0])).toEqual([
      headers['x-outcall-signature'],
      headers['x-outcall-signature-v2'],
    ]);
    for (const [, command, output] of commands)
      expect(execFileSync('sh', ['-c', command!], { encoding: 'utf8' }).trim()).toBe(output);
  });

  it('uses the rotated secret from the next delivery on', async () => {
    const t = await newTenant();
    const old = await callbackSecretOf(server.database, t.tenantId);
    const fresh = await rotateCallbackSecret(server.database, t.tenantId);
    expect(fresh).not.toBe(old);
    const { jobId } = await t.job();
    await t.call(finishedCall({ jobId }));
    await round(dispatcher());
    const [got] = receiver.received;
    expect((await verifyCallback(got!.headers, got!.body, fresh)).valid).toBe(true);
    expect((await verifyCallback(got!.headers, got!.body, old)).valid).toBe(false);
    expect((await verifyCallback(got!.headers, got!.body, [old, fresh])).valid).toBe(true);
  });
});

describe('retries', () => {
  for (const [name, answer] of [
    ['HTTP 500', (_r: Received, res: ServerResponse) => res.writeHead(500).end('success')],
    ['a body that is not "success"', (_r: Received, res: ServerResponse) => res.end('{"success":false}')],
    ['a redirect', (_r: Received, res: ServerResponse) => res.writeHead(302, { location: '/x' }).end()],
    ['no answer within the timeout', () => undefined],
  ] as const) {
    it(`retries after ${name} at 1, 2, 4 … minutes, then gives up after 10 attempts`, async () => {
      const t = await newTenant();
      const { jobId } = await t.job();
      await t.call(finishedCall({ jobId }));
      receiver.answer = answer;
      const d = dispatcher({ timeoutMs: 200 });
      const minute = 60_000;
      let due = now;
      for (let attempt = 1; attempt <= MAX_ATTEMPTS; attempt++) {
        now = due - 1;
        if (attempt > 1) expect(await round(d), `attempt ${attempt} is not due before its time`).toBe(0);
        now = due;
        expect(await round(d), `attempt ${attempt} is made when due`).toBe(1);
        due += minute * 2 ** (attempt - 1);
      }
      now = due + 365 * 86_400_000;
      expect(await round(d)).toBe(0);
      expect(receiver.received).toHaveLength(MAX_ATTEMPTS);
      expect(new Set(receiver.received.map((r) => r.headers['x-outcall-event-id'])).size).toBe(1);
      const [event] = (await list(t, '?state=FAILED')).data.content;
      expect(event).toMatchObject({ state: 'FAILED', attempts: 10 });
      expect(event.attemptList).toHaveLength(10);
      expect(event.attemptList.map((a: { attempt: number }) => a.attempt)).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9, 10]);
      expect(event.lastError).toBeTruthy();
    });
  }

  it('schedules 1, 2, 4 … units after each failure, at most 10 attempts and 24 hours', () => {
    const unit = 60_000;
    expect([1, 2, 3, 4].map((a) => nextAttemptAt(a, 0, 0, unit))).toEqual([unit, 2 * unit, 4 * unit, 8 * unit]);
    expect(nextAttemptAt(10, 0, 0, unit)).toBeUndefined();
    // A schedule that would run past 24 hours (e.g. after slow attempts) ends there.
    expect(nextAttemptAt(9, 23 * 3_600_000, 0, unit)).toBeUndefined();
  });

  it('delivers after a failure once the receiver answers success', async () => {
    const t = await newTenant();
    const { jobId } = await t.job();
    await t.call(finishedCall({ jobId }));
    receiver.answer = (_r, res) => res.writeHead(503).end();
    const d = dispatcher();
    await round(d);
    receiver.answer = (_r, res) => res.end('  SUCCESS\n');
    now += 60_000;
    await round(d);
    const [event] = (await list(t)).data.content;
    expect(event).toMatchObject({ state: 'DELIVERED', attempts: 2, lastHttpStatus: 200, lastError: null });
    expect(event.attemptList.map((a: { httpStatus: number }) => a.httpStatus)).toEqual([503, 200]);
  });
});

describe('the delivery log and redelivery', () => {
  it('redelivers one event by id at once, whatever its state, and every failed event of a range', async () => {
    const t = await newTenant();
    const { jobId } = await t.job();
    await t.calls([finishedCall({ jobId }), finishedCall({ jobId })]);
    receiver.answer = (_r, res) => res.writeHead(500).end();
    const d = dispatcher();
    await round(d);
    expect((await list(t, '?state=WAITING')).data.totalElements).toBe(2);
    receiver.answer = (_r, res) => res.end('success');
    const [first] = (await list(t)).data.content;
    const one = await call(server, t.credentials, 'POST', '/apiOpen/v1/callback/redeliver', { eventId: first.eventId });
    expect(one.data).toEqual({ redelivered: 1 });
    await round(d); // due now, not in a minute
    expect((await list(t, '?state=DELIVERED')).data.content.map((e: { eventId: string }) => e.eventId)).toEqual([
      first.eventId,
    ]);
    const range = await call(server, t.credentials, 'POST', '/apiOpen/v1/callback/redeliver', {
      earliestTime: localDate(Date.now(), 'Asia/Shanghai'),
      latestTime: localDate(Date.now(), 'Asia/Shanghai'),
    });
    expect(range.data).toEqual({ redelivered: 1 });
    await round(d);
    expect((await list(t, '?state=DELIVERED')).data.totalElements).toBe(2);
    // A delivered event may be replayed by id; the receiver sees the same event id again.
    await call(server, t.credentials, 'POST', '/apiOpen/v1/callback/redeliver', { eventId: first.eventId });
    await round(d);
    const ids = receiver.received.map((r) => r.headers['x-outcall-event-id']);
    expect(ids.filter((id) => id === first.eventId).length).toBe(3);
  });

  it('filters the log, and refuses bad parameters with 412 naming them; another tenant’s event is a 404', async () => {
    const t = await newTenant();
    const { jobId } = await t.job();
    await t.call(finishedCall({ jobId }));
    await completeJob(server.database, t.tenantId, jobId, 'IN_PROCESS', T0);
    expect((await list(t, '?dataType=ROBOT_CALL_JOB')).data.totalElements).toBe(1);
    expect((await list(t, `?robotCallJobId=${jobId}&state=PENDING`)).data.totalElements).toBe(2);
    expect((await list(t, '?state=DELIVERED')).data.totalElements).toBe(0);
    const bad = await list(t, '?state=LOST');
    expect(bad.code).toBe(412);
    expect(bad.resultMsg).toContain('state');
    expect((await list(t, '?dataType=ROBOT_CALL_SMS')).code).toBe(412);
    expect((await list(t, '?earliestTime=2024-13-01')).code).toBe(412);
    const [event] = (await list(t)).data.content;
    const other = await newTenant();
    const r = await call(server, other.credentials, 'POST', '/apiOpen/v1/callback/redeliver', {
      eventId: event.eventId,
    });
    expect(r.code).toBe(404);
    expect((await call(server, t.credentials, 'POST', '/apiOpen/v1/callback/redeliver', {})).code).toBe(412);
  });
});

describe('safety', () => {
  it('refuses private addresses by default, checked on the resolved address, without telling the address', async () => {
    const dns = await new TestDnsServer({ 'db.internal.test': ['10.0.3.7'], 'hook.test': ['127.0.0.1'] }).start();
    try {
      const port = new URL(receiver.url).port;
      const t = await newTenant(`http://db.internal.test:${port}/hook`);
      const { jobId } = await t.job();
      await t.call(finishedCall({ jobId }));
      await round(dispatcher({ allowPrivateNetworks: false, dnsServers: [dns.server] }));
      expect(receiver.received).toHaveLength(0);
      const [event] = (await list(t)).data.content;
      expect(event.lastError).toMatch(/^refused: db\.internal\.test resolves to a private or reserved address \(/);
      expect(event.lastError).not.toContain('10.0.3.7');
      // localhost is loopback without asking DNS (RFC 6761), refused the same way.
      const l = await newTenant(`http://localhost:${port}/hook`);
      await l.call(finishedCall({ jobId: (await l.job()).jobId }));
      await round(dispatcher({ allowPrivateNetworks: false, dnsServers: [dns.server] }));
      expect((await list(l)).data.content[0].lastError).toMatch(
        /^refused: localhost resolves to a private or reserved/,
      );
      expect(dns.queries).not.toContain('localhost');
      // Allowed, the name is resolved with the servers set and the answer's address dialled.
      const u = await newTenant(`http://hook.test:${port}/hook`);
      await u.call(finishedCall({ jobId: (await u.job()).jobId }));
      await round(dispatcher({ dnsServers: [dns.server] }));
      expect(receiver.bodies().map((b) => b.data.tenantId)).toEqual([u.tenantId]);
      expect(dns.queries).toContain('hook.test');
    } finally {
      await dns.close();
    }
    for (const a of [
      '127.0.0.1',
      '10.1.2.3',
      '169.254.169.254',
      '100.100.100.200',
      '192.168.1.1',
      '::1',
      'fd00:ec2::254',
      '::ffff:127.0.0.1',
      'fe80::1',
      '224.0.0.1',
    ])
      expect(forbiddenAddress(a), a).toBeDefined();
    for (const a of ['8.8.8.8', '2606:4700:4700::1111']) expect(forbiddenAddress(a), a).toBeUndefined();
  });

  it('a receiver that hangs does not hold up another tenant’s deliveries', async () => {
    const slow = await new Receiver().start();
    slow.hang();
    try {
      const a = await newTenant(slow.url);
      const b = await newTenant();
      const jobA = (await a.job()).jobId;
      const jobB = (await b.job()).jobId;
      await a.calls(Array.from({ length: 6 }, () => finishedCall({ jobId: jobA })));
      await b.calls(Array.from({ length: 3 }, () => finishedCall({ jobId: jobB })));
      const d = dispatcher({ concurrency: 4, perTenant: 2, timeoutMs: 20_000 });
      d.start();
      const started = Date.now();
      const ofB = () => receiver.bodies().filter((x) => x.data.tenantId === b.tenantId);
      // Until B's three are delivered as the dispatcher counts them: the receiver has a body before
      // the dispatcher has its answer and has recorded it, when the delivery is still in flight.
      while ((ofB().length < 3 || d.stats().delivered < 3) && Date.now() - started < 5000)
        await new Promise((r) => setTimeout(r, 20));
      expect(ofB()).toHaveLength(3);
      expect(d.stats().delivered).toBe(3);
      expect(slow.received.length).toBe(2); // its cap: the rest wait, holding no one else up
      expect(d.stats().inFlight).toBe(2);
    } finally {
      for (const d of dispatchers.splice(0)) await d.stop({ abandonAfterMs: 0 });
      await slow.close();
    }
  });

  it('a callback domain whose DNS never answers fails within the deadline and holds up no other tenant', async () => {
    const blackHole = await new TestDnsServer().start();
    try {
      const port = new URL(receiver.url).port;
      const a = await newTenant(`http://hook.dropped.test:${port}/hook`);
      const b = await newTenant(); // an IP literal: no DNS
      const jobA = (await a.job()).jobId;
      await a.calls(Array.from({ length: 8 }, () => finishedCall({ jobId: jobA })));
      await b.call(finishedCall({ jobId: (await b.job()).jobId }));
      const d = dispatcher({ concurrency: 16, perTenant: 8, connectTimeoutMs: 400, dnsServers: [blackHole.server] });
      const started = Date.now();
      d.start();
      const ofB = () => receiver.bodies().filter((x) => x.data.tenantId === b.tenantId);
      while (ofB().length < 1 && Date.now() - started < 5000) await new Promise((r) => setTimeout(r, 10));
      expect(ofB()).toHaveLength(1);
      expect(Date.now() - started).toBeLessThan(300); // not after the black hole's deadline
      await d.stop({ abandonAfterMs: 2000 });
      expect(Date.now() - started).toBeLessThan(1500);
      const events = (await list(a)).data.content;
      expect(events).toHaveLength(8);
      for (const e of events) {
        expect(e.attempts).toBe(1);
        expect(e.lastError).toBe('could not resolve hook.dropped.test within 400 ms');
        expect(e.attemptList[0].durationMs).toBeLessThan(1000);
      }
      expect(blackHole.queries.length).toBeGreaterThan(0);
    } finally {
      await blackHole.close();
    }
  });

  it('bounds one tenant’s name resolutions in progress, and a stopping dispatcher cancels them', async () => {
    const blackHole = await new TestDnsServer().start();
    try {
      const port = new URL(receiver.url).port;
      const a = await newTenant(`http://hook.dropped.test:${port}/hook`);
      const { jobId } = await a.job();
      await a.calls(Array.from({ length: 8 }, () => finishedCall({ jobId })));
      const d = dispatcher({
        concurrency: 16,
        perTenant: 8,
        connectTimeoutMs: 60_000,
        timeoutMs: 60_000,
        dnsServers: [blackHole.server],
      });
      d.start();
      const started = Date.now();
      while (d.stats().inFlight < 8 && Date.now() - started < 5000) await new Promise((r) => setTimeout(r, 10));
      await new Promise((r) => setTimeout(r, 100));
      // Two queries (A and AAAA) per resolution, four resolutions at once.
      expect(new Set(blackHole.queries).size).toBe(1);
      expect(blackHole.queries.length).toBe(2 * RESOLUTIONS_PER_TENANT);
      const stopping = Date.now();
      await d.stop({ abandonAfterMs: 0 });
      expect(Date.now() - stopping).toBeLessThan(1000);
      // Abandoned at shutdown: not attempts, due again at once.
      const events = (await list(a)).data.content;
      expect(events.map((e: any) => e.attempts)).toEqual(new Array(8).fill(0));
    } finally {
      await blackHole.close();
    }
  });

  it('reads CALLBACK_DNS_SERVERS: IP addresses with an optional port; anything else stops start-up', () => {
    expect(loadConfig({}).callbackDnsServers).toEqual([]);
    expect(
      loadConfig({ CALLBACK_DNS_SERVERS: ' 10.0.0.2, 127.0.0.1:5353,2001:db8::1,[2001:db8::2]:53 ' })
        .callbackDnsServers,
    ).toEqual(['10.0.0.2', '127.0.0.1:5353', '2001:db8::1', '[2001:db8::2]:53']);
    for (const bad of ['dns.example.com', '10.0.0.2:0', '10.0.0.2:70000', '10.0.0.2,', '[::1', '1.2.3'])
      expect(() => loadConfig({ CALLBACK_DNS_SERVERS: bad }), bad).toThrow(/^CALLBACK_DNS_SERVERS must be/);
  });

  it('validates callback URLs: http or https only', () => {
    expect(validateCallbackUrl(' https://example.com/cb?x=1 ')).toBe('https://example.com/cb?x=1');
    for (const bad of [
      '',
      'ftp://example.com',
      'javascript:alert(1)',
      'example.com/cb',
      'http://exa mple.com',
      'http:999999999', // the platform's own example, which URL parsing would read as an address
      `https://e.com/${'a'.repeat(2000)}`,
    ]) {
      expect(() => validateCallbackUrl(bad), bad).toThrow(ServiceError);
    }
  });
});
