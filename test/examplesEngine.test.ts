import { execFile, spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createEngineKey } from '../src/services/engineKeys.js';
import { addLine, getLine } from '../src/services/phoneLines.js';
import { TenantFixture } from './fixtures.js';
import { allCallRecords, call, createTestDatabase, getTaskDetail, type TestDatabase } from './harness.js';
import { recomputeStats } from './recompute.js';
import { CLI, type ServeProcess, serveProcess } from './serveProcess.js';
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
  // With the simulator on: it dials simulated lines only, so the external line's calls are the engine's.
  server = await serveProcess([], { DATABASE_URL: testDb.databaseUrl });
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

describe("README's walkthrough: your own call engine", () => {
  it("runs as written: the job completes, the calls are listed, the line's high-water mark is 2", async () => {
    const dir = mkdtempSync(join(tmpdir(), 'outcall-walkthrough-'));
    const env = { ...process.env, DATABASE_URL: testDb.databaseUrl };
    /** One command of the README, through the built CLI; its standard output. */
    const outcall = async (...args: string[]) =>
      (await promisify(execFile)(process.execPath, [CLI, ...args], { env, cwd: dir })).stdout;
    const request = async (method: string, path: string, body?: unknown) =>
      JSON.parse(
        await outcall(
          'request',
          '-c',
          'acme.json',
          '--base-url',
          server.url,
          method,
          path,
          ...(body === undefined ? [] : ['-d', JSON.stringify(body)]),
        ),
      );
    try {
      writeFileSync(
        join(dir, 'acme.json'),
        await outcall(
          'tenant',
          'create',
          '--name',
          '示例公司',
          '--sign',
          'acme',
          '--time-zone',
          zoneAtNoon(),
          '--json',
        ),
      );
      const line = JSON.parse(
        await outcall(
          'line',
          'add',
          '--tenant-sign',
          'acme',
          '--phone-number',
          '057188880000',
          '--channels',
          '2',
          '--json',
        ),
      ).phoneLine.phoneNumberId;
      const flow = (await request('GET', '/apiOpen/v1/task/getDialogFlows')).data[0].dialogFlowId;
      const job = (
        await request('POST', '/apiOpen/v1/job/create', {
          jobPhoneNumberIdList: [line],
          concurrencyQuota: 5,
          robotCallJob: {
            name: '第一个任务',
            mode: 'MANUAL',
            phoneType: 'LANDLINE',
            dialogFlowId: flow,
            robotCount: 5,
            dailyStartTime: '09:00',
            dailyEndTime: '20:00',
          },
        })
      ).data.robotCallJobId;
      const customerPersons = Array.from({ length: 20 }, (_, i) => ({
        phoneNumber: `1380000${String(i + 1).padStart(4, '0')}`,
      }));
      expect(
        (await request('POST', '/apiOpen/v1/job/importCustomer', { robotCallJobId: job, customerPersons })).code,
      ).toBe(200);
      expect((await request('POST', '/apiOpen/v1/job/start', { robotCallJobId: job })).code).toBe(200);
      writeFileSync(
        join(dir, 'engine.json'),
        await outcall('engine', 'key', 'create', '--name', 'my-engine', '--tenant-sign', 'acme', '--json'),
      );
      const engine = await runEngine({}, [
        '--url',
        server.url,
        '--credentials',
        join(dir, 'engine.json'),
        '--channels',
        '4',
        '--talk-seconds',
        '0.05-0.2',
        '--claim-wait-ms',
        '1000',
        '--exit-when-idle',
        '1.5',
      ]);
      expect(engine.output).toContain('claimed 20, dialled 20');
      const list = await request('POST', '/apiOpen/v1/task/getCallRecordInfoList', { robotCallJobId: job });
      expect(list.data.content).toHaveLength(20);
      let status = '';
      for (let i = 0; i < 50 && status !== 'COMPLETED'; i++) {
        if (i > 0) await new Promise((r) => setTimeout(r, 100));
        status = (await request('GET', `/apiOpen/v1/task/getTaskDetail?robotCallJobId=${job}`)).data.robotCallJob
          .status;
      }
      expect(status).toBe('COMPLETED');
      const [acmeLine] = JSON.parse(await outcall('line', 'list', '--tenant-sign', 'acme', '--json'));
      expect(acmeLine.highWaterMark).toBe(2);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
