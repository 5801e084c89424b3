import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { finishedCall, T0, TenantFixture } from '../../../test/fixtures.js';
import { allCallRecords, getTaskDetail, startTestServer, type TestServer } from '../../../test/harness.js';
import { recomputeStats } from '../../../test/recompute.js';
import { IntentLevel, ResultStatus } from '../../domain/enums.js';

let server: TestServer;
let tenant: TenantFixture;
let other: TenantFixture;
let jobId: number;
const HOUR = 3_600_000;
const DAY1 = T0; // 2024-05-01 10:00 Shanghai
const DAY2 = T0 + 24 * HOUR; // 2024-05-02 10:00

beforeAll(async () => {
  server = await startTestServer();
  tenant = await TenantFixture.create(server.database);
  other = await TenantFixture.create(server.database);
  const [c1, c2, c3, c4] = [
    await tenant.customer(),
    await tenant.customer(),
    await tenant.customer(),
    await tenant.customer(),
  ];
  const line = await tenant.phoneLine('02566660001');
  const job = await tenant.job({
    name: '统计任务',
    redialTimes: 1,
    phoneLineIds: [line],
    customers: [c1!.id, c2!.id, c3!.id, c4!.id],
  });
  jobId = job.jobId;
  const task = (c: { id: number }) => job.taskOf.get(c.id)!;
  await tenant.calls([
    finishedCall({ jobId, task: task(c1!), result: 'BUSY', intent: 'E', at: DAY1 }),
    finishedCall({
      jobId,
      task: task(c2!),
      result: 'ANSWERED',
      intent: 'B',
      at: DAY1 + HOUR,
      duration: 5,
      rounds: 2,
      concerns: ['价格'],
    }),
    finishedCall({ jobId, task: task(c3!), result: 'NO_ANSWER', intent: 'E', at: DAY1 + 2 * HOUR }),
    // 00:10 on 2024-05-02 in Shanghai is still 2024-05-01 in UTC: it belongs to the tenant's 05-02.
    finishedCall({ jobId, task: task(c3!), result: 'VACANT_NUMBER', intent: 'F', at: DAY2 - 9 * HOUR - 50 * 60_000 }),
    finishedCall({
      jobId,
      task: task(c1!),
      result: 'ANSWERED',
      intent: 'A',
      at: DAY2,
      duration: 200,
      rounds: 12,
      concerns: ['价格', '交通', '价格'],
    }),
    // A script-training call is not a customer call: it stays out of the statistics.
    finishedCall({
      jobId,
      result: 'ANSWERED',
      intent: 'A',
      at: DAY1,
      duration: 30,
      training: true,
      concerns: ['安全'],
    }),
  ]);
});
afterAll(() => server.close());

describe('getTaskDetail', () => {
  it('shows the job with every field of docs/api.md', async () => {
    const r = await getTaskDetail(server, tenant.credentials, jobId);
    expect(r.code).toBe(200);
    expect(r.resultMsg).toBe('获取成功');
    expect(r.data.robotCallJob).toEqual({
      robotCallJobId: jobId,
      tenantId: tenant.tenantId,
      dialogFlowId: tenant.flowId,
      name: '统计任务',
      mode: 'MANUAL',
      robotCount: 5,
      smsTemplateId: null,
      phoneType: 'LANDLINE',
      dailyStartTime: '09:00:00',
      dailyEndTime: '20:00:00',
      inactiveStartTime: '00:00:00',
      inactiveEndTime: '00:00:00',
      description: null,
      wechatAlertLevel: [],
      smsAlertLevel: [],
      alertUsers: [],
      wechatSendMethod: 'SENDTOALL',
      status: 'IN_PROCESS',
      startTime: null,
      nextStartTime: null,
      creationTime: '2024-05-01 10:00:00',
      lastModifiedTime: '2024-05-01 10:00:00',
      earlyWarningAlertUsers: [],
    });
    expect(r.data).toMatchObject({
      jobPhoneNumberList: [
        { phoneNumberId: expect.any(Number), phoneNumber: '02566660001', phoneType: 'LANDLINE', phoneName: '线路0001' },
      ],
      completedTask: 3,
      taskCallTotal: 4,
      createdByUserName: '王经理',
      organizationName: '销售部',
      dialogFlowName: '默认话术',
      smsTemplateName: null,
      systemPauseNextStart: null,
    });
  });

  it('computes the statistics of docs/statistics.md to the digit', async () => {
    const r = await getTaskDetail(server, tenant.credentials, jobId);
    expect(r.data.callJobStatsInfo).toEqual({
      taskProgress: 75, // 3 of 4 call tasks finished
      answeredRate: 40, // 2 of 5 records
      intentLevel: { A: 1, B: 1, C: 0, D: 0, E: 2, F: 1 },
      taskCallTotal: 5,
      answeredTask: 2,
      chatDurationTotal: 205,
      completedTask: 3,
      customerConcern: ['价格', '交通'],
      dialResult: {
        ANSWERED: 2,
        NO_ANSWER: 1,
        BUSY: 1,
        POWER_OFF: 0,
        OUT_OF_SERVICE: 0,
        REFUSED: 0,
        VACANT_NUMBER: 1,
        CAN_NOT_CONNECT: 0,
        FROM_PHONE_ERROR: 0,
        SYSTEM_ERROR: 0,
      },
      chatRound: { LESS_3: 1, F3_T6: 0, F6_T10: 0, F10_MORE: 1 },
      chatDuration: { LESS_10S: 1, F10S_T1MIN: 0, F1MIN_T2MIN: 0, F2MIN_T3MIN: 0, F3MIN_TMORE: 1 },
      callJobStatsBrokenLine: {
        taskCallCompletedList: [
          { date: '2024-05-01', val: 3 },
          { date: '2024-05-02', val: 2 },
        ],
        answeredTaskList: [
          { date: '2024-05-01', val: 1 },
          { date: '2024-05-02', val: 1 },
        ],
        answeredTaskRateList: [
          { date: '2024-05-01', val: 33.33 },
          { date: '2024-05-02', val: 50 },
        ],
        chatDurationTotalList: [
          { date: '2024-05-01', val: 5 },
          { date: '2024-05-02', val: 200 },
        ],
        averageDurationList: [
          { date: '2024-05-01', val: 500 },
          { date: '2024-05-02', val: 20000 },
        ],
      },
    });
  });

  it('shows a job without calls with every key present and zero', async () => {
    const { jobId: empty } = await tenant.job({ name: '空任务' });
    const s = (await getTaskDetail(server, tenant.credentials, empty)).data.callJobStatsInfo;
    expect(s.taskProgress).toBe(0);
    expect(s.answeredRate).toBe(0);
    expect(Object.values(s.intentLevel)).toEqual([0, 0, 0, 0, 0, 0]);
    expect(Object.keys(s.dialResult)).toEqual(ResultStatus.names);
    expect(s.callJobStatsBrokenLine.taskCallCompletedList).toEqual([]);
    expect((await getTaskDetail(server, tenant.credentials, empty)).data.jobPhoneNumberList).toBeNull();
  });

  it('does not find a job that is missing or belongs to another tenant, in the same words', async () => {
    const missing = await getTaskDetail(server, tenant.credentials, 999_999);
    const foreign = await getTaskDetail(server, other.credentials, jobId);
    expect(missing.code).toBe(404);
    expect(foreign.code).toBe(404);
    expect(foreign.resultMsg).toBe(`资源未找到: robotCallJobId ${jobId}`);
    expect(missing.resultMsg).toBe('资源未找到: robotCallJobId 999999');
    expect(foreign.data).toBeNull();
  });

  it.each([[''], ['abc'], ['0'], ['-3'], ['1.5'], ['99999999999999999999']])(
    'refuses robotCallJobId=%s with 412',
    async (value) => {
      const r = await getTaskDetail(server, tenant.credentials, value);
      expect(r.code).toBe(412);
      expect(r.resultMsg).toMatch(/^参数错误: robotCallJobId /);
    },
  );
});

const CONCERNS = ['价格', '地理位置', '交通', '安全', '学区', '健身', '停车', '装修', '物业', '户型', '配套', '优惠'];
const callArbitrary = fc.record({
  customer: fc.nat(7),
  result: fc.constantFrom(...ResultStatus.names),
  intent: fc.constantFrom(...IntentLevel.names),
  // Up to 4 days, any minute: calls land on both sides of local midnight.
  minute: fc.integer({ min: 0, max: 4 * 24 * 60 }),
  duration: fc.integer({ min: 0, max: 400 }),
  rounds: fc.integer({ min: 0, max: 20 }),
  concerns: fc.subarray(CONCERNS, { maxLength: 4 }),
  training: fc.integer({ min: 0, max: 9 }).map((n) => n < 2),
});

describe('getTaskDetail statistics, for any set of calls', () => {
  it('equal a recomputation from the job’s call records', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(callArbitrary, { maxLength: 40 }),
        fc.integer({ min: 0, max: 3 }),
        async (calls, redialTimes) => {
          const customers: { id: number }[] = [];
          for (let i = 0; i < 8; i++) customers.push(await tenant.customer());
          const job = await tenant.job({ redialTimes, customers: customers.map((c) => c.id) });
          await tenant.calls(
            calls.map((c) =>
              finishedCall({
                jobId: job.jobId,
                task: c.training ? undefined : job.taskOf.get(customers[c.customer]!.id),
                result: c.result,
                intent: c.intent,
                at: T0 - 10 * HOUR + c.minute * 60_000,
                duration: c.result === 'ANSWERED' ? c.duration : 0,
                rounds: c.result === 'ANSWERED' ? c.rounds : 0,
                concerns: c.concerns,
                training: c.training,
              }),
            ),
          );
          const detail = (await getTaskDetail(server, tenant.credentials, job.jobId)).data;
          const records = await allCallRecords(server, tenant.credentials, { robotCallJobId: job.jobId });
          expect(records).toHaveLength(calls.filter((c) => !c.training).length);
          expect(detail.callJobStatsInfo).toEqual(recomputeStats(records, detail));
          const dialled = Object.values(detail.callJobStatsInfo.dialResult as Record<string, number>).reduce(
            (a, b) => a + b,
            0,
          );
          expect(dialled).toBe(detail.callJobStatsInfo.taskCallTotal);
          expect(detail.completedTask).toBeLessThanOrEqual(detail.taskCallTotal);
        },
      ),
      { numRuns: 30 },
    );
  });
});
