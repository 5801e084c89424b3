import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { T0, TenantFixture } from '../../test/fixtures.js';
import { allCallRecords, call, getTaskDetail, startTestServer, type TestServer } from '../../test/harness.js';
import { recomputeStats } from '../../test/recompute.js';
import { Scheduler } from '../scheduler/scheduler.js';
import { Simulator } from './simulator.js';
import { SimulatedTelephony } from './telephony.js';

/* A user's whole day with outcall: create a job, import customers, start it, watch it progress, pause, resume, read the calls. */

let server: TestServer;
let tenant: TenantFixture;

beforeAll(async () => {
  server = await startTestServer();
  tenant = await TenantFixture.create(server.database);
});
afterAll(() => server.close());

const post = (path: string, body: unknown) =>
  call(server, tenant.credentials, 'POST', `/apiOpen/v1/task/${path}`, body);

describe('a job, from creation to its last call', () => {
  it('progresses while the simulated dialer calls, pauses and resumes, and ends COMPLETED with transcripts', async () => {
    const flowId = (await call(server, tenant.credentials, 'GET', '/apiOpen/v1/task/getDialogFlows')).data[0]
      .dialogFlowId;
    const { robotCallJobId } = (
      await post('create', {
        name: '端到端任务',
        dialogFlowId: flowId,
        robotCount: 4,
        redialTimes: 1,
        redialIntervalMinutes: 1,
      })
    ).data;
    const customers = Array.from({ length: 30 }, (_, i) => ({
      phoneNumber: `1361234${String(i).padStart(4, '0')}`,
      name: `客户${i}`,
    }));
    expect((await post('importTaskCustomer', { robotCallJobId, customers })).data.accepted).toHaveLength(30);
    expect((await post('start', { robotCallJobId })).data.status).toBe('IN_PROCESS');

    let now = T0;
    const clock = { now: () => now, sleep: async () => undefined };
    const dialer = new Simulator({
      database: server.database,
      telephony: new SimulatedTelephony({ speed: 1_000_000, seed: 11, clock }),
      clock,
    });
    const scheduler = new Scheduler({ database: server.database, clock });
    const progress: number[] = [];
    const detail = async () => (await getTaskDetail(server, tenant.credentials, robotCallJobId)).data;

    for (let i = 0; i < 3; i++) {
      await dialer.tick();
      await dialer.idle();
      progress.push((await detail()).callJobStatsInfo.taskCallTotal);
    }
    expect(progress).toEqual([4, 8, 12]); // four lines, four calls a tick

    expect((await post('pause', { robotCallJobId })).data.status).toBe('USER_PAUSE');
    await dialer.tick();
    await dialer.idle();
    expect((await detail()).callJobStatsInfo.taskCallTotal).toBe(12); // a paused job is not dialled

    expect((await post('resume', { robotCallJobId })).data.status).toBe('IN_PROCESS');
    for (let i = 0; i < 40 && (await detail()).robotCallJob.status !== 'COMPLETED'; i++) {
      now += 2 * 60_000; // redials become due
      await dialer.tick();
      await dialer.idle();
      await scheduler.tick();
    }
    await scheduler.stop();
    const done = await detail();
    expect(done.robotCallJob.status).toBe('COMPLETED');
    expect(done.completedTask).toBe(30);
    expect(done.callJobStatsInfo.taskProgress).toBe(100);

    const records = await allCallRecords(server, tenant.credentials, { robotCallJobId });
    expect(done.callJobStatsInfo).toEqual(recomputeStats(records, done));
    const answered = records.filter((r) => r.resultStatus === 'ANSWERED');
    expect(answered.length).toBeGreaterThan(0);
    for (const r of answered) {
      expect(r.callDetailList[0]).toMatchObject({ type: 'ROBOT', text: expect.stringContaining('您好') });
      expect(r.customerPersonInfo.name).toMatch(/^客户\d+$/);
    }
  });
});
