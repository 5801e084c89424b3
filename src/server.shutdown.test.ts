import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TenantFixture } from '../test/fixtures.js';
import { call, createTestDatabase, type TestDatabase } from '../test/harness.js';
import { type ServeProcess, serveProcess } from '../test/serveProcess.js';
import { listCallTasks } from './repositories/callTasks.js';

/*
 * Graceful shutdown of the real process (`node dist/cli.js serve`, rebuilt before the tests):
 * while its dialer places calls that last longer than the deadline and a call engine sends
 * addCallRecords batches, SIGTERM. The process must exit within SHUTDOWN_TIMEOUT_SECONDS (not
 * after the calls end), every batch it acknowledged must be stored (sent again, each record is a
 * duplicate), and no call task may stay claimed (CALLING with a lease in the future).
 */

const DEADLINE_S = 3;

let testDb: TestDatabase;
let tenant: TenantFixture;

function serve(speed: number): Promise<ServeProcess> {
  // The working directory of the tests, as src/cli.test.ts: the same secret key file.
  return serveProcess(['--speed', String(speed)], {
    DATABASE_URL: testDb.databaseUrl,
    SHUTDOWN_TIMEOUT_SECONDS: String(DEADLINE_S),
  });
}

/** Batch `n` of 100 finished calls for addCallRecords: the same keys every time it is built. */
function batchOf(prefix: string, robotCallJobId: number, n: number) {
  return {
    callRecords: Array.from({ length: 100 }, (_, i) => ({
      idempotencyKey: `${prefix}-${n}-${i}`,
      robotCallJobId,
      calledPhoneNumber: `1381234${String(i).padStart(4, '0')}`,
      resultStatus: 'ANSWERED',
      intentLevel: 'B',
      startTime: Date.now() - 60_000,
      endTime: Date.now() - 30_000,
      chatDuration: 25,
      chatRound: 3,
    })),
  };
}

beforeAll(async () => {
  testDb = await createTestDatabase();
  tenant = await TenantFixture.create(testDb.database);
});
afterAll(async () => {
  await testDb.drop();
});

describe('SIGTERM while dialling and ingesting', () => {
  it('exits within the deadline, loses no acknowledged record and leaves no call task claimed', async () => {
    // Calls of 30–120 s at speed 5 last 6–24 s: longer than the 3 s deadline.
    const server = await serve(5);
    const c = tenant.credentials;
    const post = (path: string, body: unknown) => call(server, c, 'POST', `/apiOpen/v1/task/${path}`, body);
    const flowId =
      (await call(server, c, 'GET', '/apiOpen/v1/task/getDialogFlows')).data[0]?.dialogFlowId ?? tenant.flowId;
    const allDay = { dailyStartTime: '00:00:00', dailyEndTime: '23:59:59' };
    const dialled = (await post('create', { name: '停机拨打', dialogFlowId: flowId, robotCount: 20, ...allDay })).data
      .robotCallJobId;
    const customers = Array.from({ length: 60 }, (_, i) => ({ phoneNumber: `1371234${String(i).padStart(4, '0')}` }));
    expect((await post('importTaskCustomer', { robotCallJobId: dialled, customers })).code).toBe(200);
    expect((await post('start', { robotCallJobId: dialled })).code).toBe(200);
    const ingested = (await post('create', { name: '停机上报', dialogFlowId: flowId, ...allDay })).data.robotCallJobId;

    const batch = (n: number) => batchOf('shutdown', ingested, n);
    const acknowledged: number[] = [];
    let stopSending = false;
    const sender = (async () => {
      for (let n = 0; !stopSending; n++) {
        try {
          const r = await post('addCallRecords', batch(n));
          if (r.code === 200) acknowledged.push(n);
        } catch {
          // refused or cut off while shutting down: not acknowledged
          if (server.child.exitCode !== null) return;
          await new Promise((r) => setTimeout(r, 20));
        }
      }
    })();

    // Until the dialer has claimed calls and batches have been acknowledged (waited for, not a
    // fixed time: every batch acknowledged is sent again below).
    let before = await listCallTasks(testDb.database, tenant.tenantId, dialled);
    for (const started = Date.now(); Date.now() - started < 20_000; ) {
      if (acknowledged.length > 0 && before.some((t) => t.status === 'CALLING')) break;
      await new Promise((r) => setTimeout(r, 100));
      before = await listCallTasks(testDb.database, tenant.tenantId, dialled);
    }
    expect(before.filter((t) => t.status === 'CALLING').length).toBeGreaterThan(0);

    const signalled = Date.now();
    server.child.kill('SIGTERM');
    const code = await server.exited;
    const tookMs = Date.now() - signalled;
    stopSending = true;
    await sender;

    console.info(`shutdown: exited in ${tookMs} ms, ${acknowledged.length} batches acknowledged before it`);
    expect(code, server.output()).toBe(0);
    expect(tookMs).toBeLessThan(DEADLINE_S * 1000 + 1500);
    expect(acknowledged.length).toBeGreaterThan(0);
    const stopped = server
      .output()
      .split('\n')
      .filter((l) => l.includes('"msg":"stopped"'))
      .map((l) => JSON.parse(l));
    expect(stopped).toHaveLength(1);
    expect(stopped[0].callsAbandoned).toBeGreaterThan(0);

    // No call task stays claimed: the abandoned calls are due again at once.
    const after = await listCallTasks(testDb.database, tenant.tenantId, dialled);
    const now = Date.now();
    expect(after.filter((t) => t.status === 'CALLING' && (t.next_attempt_at ?? 0) > now)).toEqual([]);

    // Every acknowledged batch is stored: sent again, each of its records is a duplicate.
    const again = await serve(5);
    try {
      for (const n of acknowledged) {
        const r = await call(again, c, 'POST', '/apiOpen/v1/task/addCallRecords', batch(n));
        expect(r.code).toBe(200);
        expect(r.data).toMatchObject({ accepted: 0, duplicates: 100 });
      }
      // The released call tasks are claimed again by the next start.
      for (let i = 0; i < 50; i++) {
        const tasks = await listCallTasks(testDb.database, tenant.tenantId, dialled);
        if (tasks.some((t) => t.status === 'CALLING')) break;
        await new Promise((r) => setTimeout(r, 100));
      }
      const redialled = await listCallTasks(testDb.database, tenant.tenantId, dialled);
      expect(redialled.some((t) => t.status === 'CALLING')).toBe(true);
    } finally {
      again.child.kill('SIGTERM');
      expect(await again.exited).toBe(0);
    }
  }, 90_000);
});

describe('kill -9 during bulk ingestion', () => {
  it('keeps every acknowledged record after a restart, each batch whole or absent, and retries add nothing', async () => {
    const server = await serve(5);
    const c = tenant.credentials;
    const flowId =
      (await call(server, c, 'GET', '/apiOpen/v1/task/getDialogFlows')).data[0]?.dialogFlowId ?? tenant.flowId;
    const jobId = (await call(server, c, 'POST', '/apiOpen/v1/task/create', { name: '崩溃上报', dialogFlowId: flowId }))
      .data.robotCallJobId;
    const acknowledged: number[] = [];
    let sent = 0;
    let stopSending = false;
    // Two senders, as an engine with requests in flight: some are cut off by the kill.
    const senders = [0, 1].map(async () => {
      while (!stopSending) {
        const n = sent++;
        try {
          const r = await call(server, c, 'POST', '/apiOpen/v1/task/addCallRecords', batchOf('crash', jobId, n));
          if (r.code === 200) acknowledged.push(n);
        } catch {
          if (server.child.exitCode !== null || server.child.signalCode !== null) return;
        }
      }
    });
    // Until some batches are acknowledged, the senders still sending (every batch sent is sent
    // again below, so no more than that).
    for (const started = Date.now(); acknowledged.length < 10 && Date.now() - started < 20_000; )
      await new Promise((r) => setTimeout(r, 20));
    server.child.kill('SIGKILL');
    await server.exited;
    stopSending = true;
    await Promise.all(senders);
    expect(acknowledged.length).toBeGreaterThan(0);

    const again = await serve(5);
    try {
      // Every batch sent, acknowledged or cut off, sent again: acknowledged ones were stored whole,
      // the others whole or not at all (a request is one transaction).
      for (let n = 0; n < sent; n++) {
        const r = await call(again, c, 'POST', '/apiOpen/v1/task/addCallRecords', batchOf('crash', jobId, n));
        expect(r.code).toBe(200);
        if (acknowledged.includes(n)) expect(r.data).toMatchObject({ accepted: 0, duplicates: 100 });
        else expect([0, 100]).toContain(r.data.accepted);
      }
      // Sent a third time, nothing is added; the job's statistics and list count each call once.
      const retry = await call(again, c, 'POST', '/apiOpen/v1/task/addCallRecords', batchOf('crash', jobId, 0));
      expect(retry.data).toMatchObject({ accepted: 0, duplicates: 100 });
      const list = await call(again, c, 'POST', '/apiOpen/v1/task/getCallRecordInfoList', { robotCallJobId: jobId });
      const detail = await call(again, c, 'GET', `/apiOpen/v1/task/getTaskDetail?robotCallJobId=${jobId}`);
      expect(list.data.totalElements).toBe(100 * sent);
      expect(detail.data.callJobStatsInfo.taskCallTotal).toBe(100 * sent);
      console.info(
        `kill -9: ${acknowledged.length} of ${sent} batches acknowledged before it; all present after restart`,
      );
    } finally {
      again.child.kill('SIGTERM');
      await again.exited;
    }
  }, 90_000);
});
