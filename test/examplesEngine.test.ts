import { spawn } from 'node:child_process';
import { resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createEngineKey } from '../src/services/engineKeys.js';
import { addLine, getLine } from '../src/services/phoneLines.js';
import { TenantFixture } from './fixtures.js';
import { allCallRecords, call, createTestDatabase, getTaskDetail, type TestDatabase } from './harness.js';
import { recomputeStats } from './recompute.js';
import { type ServeProcess, serveProcess } from './serveProcess.js';
import { zoneAtNoon } from './zones.js';

/*
 * examples/engine.py — the Python engine integrators read to learn the protocol — run as they
 * would run it: real python3 against `outcall serve` in a process of its own on loopback, for a
 * 50-customer job on an `external` line of 5 channels. The job must complete with every call
 * task recorded once, getTaskDetail's statistics must be those of the call list, and the line's
 * high-water mark of concurrent calls must stay within its channels.
 */

const CUSTOMERS = 50;
const CHANNELS = 5;

let testDb: TestDatabase;
let tenant: TenantFixture;
let server: ServeProcess;

beforeAll(async () => {
  testDb = await createTestDatabase();
  tenant = await TenantFixture.create(testDb.database, { timeZone: zoneAtNoon() });
  // TODO: the simulator (helper-sched) only claims simulated lines: drop --no-dialer then.
  server = await serveProcess(['--no-dialer'], { DATABASE_URL: testDb.databaseUrl });
});
afterAll(async () => {
  server?.child.kill('SIGTERM');
  await server?.exited;
  await testDb.drop();
});

/** Runs examples/engine.py to its end; resolves with its exit code and output. */
function runEngine(env: Record<string, string>, args: string[]): Promise<{ code: number | null; output: string }> {
  const child = spawn('python3', [resolve('examples/engine.py'), ...args], {
    env: { PATH: process.env.PATH ?? '', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout.on('data', (d) => (output += d));
  child.stderr.on('data', (d) => (output += d));
  return new Promise((done) => child.once('exit', (code) => done({ code, output })));
}

describe('examples/engine.py', () => {
  it('dials a 50-customer job to the end: every task recorded once, the statistics those of the list', async () => {
    const c = tenant.credentials;
    const caller = { tenantId: tenant.tenantId, timeZone: zoneAtNoon() };
    const { phoneLine } = await addLine(testDb.database, caller, {
      phoneNumber: '057188880001',
      engine: 'external',
      channels: CHANNELS,
    });
    const post = (path: string, body: unknown) => call(server, c, 'POST', `/apiOpen/v1/job/${path}`, body);
    const created = await post('create', {
      jobPhoneNumberIdList: [phoneLine.phoneNumberId],
      concurrencyQuota: 20, // more than the line's channels: the line's limit holds
      robotCallJob: {
        name: 'Python 引擎',
        mode: 'MANUAL',
        dailyStartTime: '09:00',
        dailyEndTime: '20:00',
        dialogFlowId: tenant.flowId,
        phoneType: 'LANDLINE',
        robotCount: 20,
      },
    });
    expect(created.code, created.resultMsg).toBe(200);
    const jobId: number = created.data.robotCallJobId;
    const customers = Array.from({ length: CUSTOMERS }, (_, i) => ({
      name: `客户${i}`,
      phoneNumber: `1380013${String(i).padStart(4, '0')}`,
    }));
    const imported = await post('importCustomer', { robotCallJobId: jobId, customerPersons: customers });
    expect(imported.data.accepted).toHaveLength(CUSTOMERS);
    expect((await post('start', { robotCallJobId: jobId })).code).toBe(200);

    const key = await createEngineKey(testDb.database, { name: 'python example', tenantId: tenant.tenantId });
    const engine = await runEngine({ OUTCALL_ENGINE_KEY: key.appKey, OUTCALL_ENGINE_SECRET: key.appSecret }, [
      '--url',
      server.url,
      '--channels',
      String(CHANNELS + 3), // more than the line has: outcall gives it no more than 5 at once
      '--talk-seconds',
      '0.05-0.2',
      '--claim-wait-ms',
      '1000',
      '--exit-when-idle',
      '1.5',
      '--seed',
      '22',
    ]);
    expect(engine.code, engine.output).toBe(0);
    expect(engine.output).toMatch(new RegExp(`claimed ${CUSTOMERS}, dialled ${CUSTOMERS}, refused 0`));

    // The scheduler completes the job on its next tick once no task is left.
    let detail = (await getTaskDetail(server, c, jobId)).data;
    for (let i = 0; i < 50 && detail.robotCallJob.status !== 'COMPLETED'; i++) {
      await new Promise((r) => setTimeout(r, 100));
      detail = (await getTaskDetail(server, c, jobId)).data;
    }
    expect(detail.robotCallJob.status).toBe('COMPLETED');

    const records = await allCallRecords(server, c, { robotCallJobId: jobId });
    expect(records.map((r) => r.calledPhoneNumber).sort()).toEqual(customers.map((x) => x.phoneNumber).sort());
    expect(new Set(records.map((r) => r.robotCallTaskId ?? r.calledPhoneNumber)).size).toBe(CUSTOMERS);
    expect(detail.callJobStatsInfo).toEqual(recomputeStats(records, detail));
    // The random outcomes are of more than one kind, answered calls among them.
    expect(new Set(records.map((r) => r.resultStatus)).size).toBeGreaterThan(2);
    expect(records.some((r) => r.resultStatus === 'ANSWERED' && r.chatRound > 0)).toBe(true);

    const line = await getLine(testDb.database, caller, phoneLine.phoneNumberId);
    expect(line.highWaterMark).toBeGreaterThan(0);
    expect(line.highWaterMark).toBeLessThanOrEqual(CHANNELS);
  });
});
