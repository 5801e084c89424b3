import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { T0, TenantFixture } from '../../../test/fixtures.js';
import {
  allCallRecords,
  call,
  callDetail,
  getTaskDetail,
  startTestServer,
  type TestServer,
} from '../../../test/harness.js';
import { recomputeStats } from '../../../test/recompute.js';

let server: TestServer;
let tenant: TenantFixture;
let other: TenantFixture;
let jobId: number;
let phones: string[];
let seq = 0;

const post = (path: string, body: unknown, who: TenantFixture = tenant) =>
  call(server, who.credentials, 'POST', `/apiOpen/v1/task/${path}`, body);

/** An answered call as an external engine reports it. */
function engineCall(over: Record<string, unknown> = {}) {
  seq += 1;
  return {
    idempotencyKey: `engine-${seq}`,
    robotCallJobId: jobId,
    calledPhoneNumber: phones[seq % phones.length],
    resultStatus: 'ANSWERED',
    intentLevel: 'B',
    customerConcern: ['价格'],
    startTime: T0 + seq * 1000,
    endTime: T0 + seq * 1000 + 70_000,
    chatDuration: 60,
    chatRound: 3,
    callDetailList: [
      { type: 'ROBOT', text: '您好' },
      { type: 'PERSON', text: '你好' },
    ],
    ...over,
  };
}

const stats = async () => (await getTaskDetail(server, tenant.credentials, jobId)).data;

beforeAll(async () => {
  server = await startTestServer();
  tenant = await TenantFixture.create(server.database);
  other = await TenantFixture.create(server.database);
  const customers = [];
  for (let i = 0; i < 20; i++) customers.push(await tenant.customer());
  phones = customers.map((c) => c.phone);
  ({ jobId } = await tenant.job({ customers: customers.map((c) => c.id), redialTimes: 5 }));
});
afterAll(() => server.close());

describe('addCallRecord', () => {
  it('records a finished call: its detail, its customer’s call task and the job’s statistics move at once', async () => {
    const sent = engineCall({
      startTime: '2024-05-01 11:00:00',
      endTime: '2024-05-01 11:01:10',
      analysisBasis: '客户有兴趣',
    });
    const r = await post('addCallRecord', sent);
    expect(r.code).toBe(200);
    expect(r.data).toEqual({
      accepted: 1,
      duplicates: 0,
      results: [{ idempotencyKey: sent.idempotencyKey, callRecordId: expect.any(Number), duplicate: false }],
    });
    const detail = await callDetail(server, tenant.credentials, r.data.results[0].callRecordId);
    expect(detail.data).toMatchObject({
      startTime: '2024-05-01T11:00:00',
      endTime: '2024-05-01T11:01:10',
      analysisBasis: '客户有兴趣',
      customerPerson: { phoneNumber: sent.calledPhoneNumber },
    });
    expect(detail.data.callDetailList.map((t: any) => t.text)).toEqual(['您好', '你好']);
    const after = await stats();
    expect(after.completedTask).toBe(1); // answered: its call task is finished
    expect(after.callJobStatsInfo).toMatchObject({ taskCallTotal: 1, answeredTask: 1, chatDurationTotal: 60 });
  });

  it('records a call sent twice only once', async () => {
    const sent = engineCall({ resultStatus: 'BUSY', intentLevel: 'E', chatDuration: 0, callDetailList: [] });
    const first = await post('addCallRecord', sent);
    const before = await stats();
    const again = await post('addCallRecord', sent);
    expect(again.data).toEqual({
      accepted: 0,
      duplicates: 1,
      results: [
        { idempotencyKey: sent.idempotencyKey, callRecordId: first.data.results[0].callRecordId, duplicate: true },
      ],
    });
    expect(await stats()).toEqual(before);
  });

  it.each([
    [{ resultStatus: 'HUNG_UP' }, 'resultStatus'],
    [{ intentLevel: 'Z' }, 'intentLevel'],
    [{ endTime: T0 - 1 }, 'endTime'],
    [{ startTime: '2024-05-01' }, 'startTime'],
    [{ resultStatus: 'NO_ANSWER', chatDuration: 30 }, 'chatDuration'],
    [{ chatDuration: -1 }, 'chatDuration'],
    [{ idempotencyKey: '' }, 'idempotencyKey'],
    [{ callDetailList: [{ type: 'BOT', text: 'x' }] }, 'callDetailList[0].type'],
  ])('refuses %j with 412 naming %s', async (over, parameter) => {
    const r = await post('addCallRecord', engineCall(over));
    expect(r.code).toBe(412);
    expect(r.resultMsg.startsWith(`参数错误: ${parameter} `), r.resultMsg).toBe(true);
  });

  it('does not find another tenant’s job, and stores nothing', async () => {
    const before = await stats();
    const r = await post('addCallRecord', engineCall(), other);
    expect(r).toMatchObject({ code: 404, resultMsg: `资源未找到: robotCallJobId ${jobId}` });
    expect(await stats()).toEqual(before);
  });

  it('refuses a call task of another job', async () => {
    const { jobId: otherJob, taskOf } = await tenant.job({ customers: [(await tenant.customer()).id] });
    const [task] = [...taskOf.values()];
    const r = await post('addCallRecord', engineCall({ robotCallTaskId: task!.id }));
    expect(r.code).toBe(412);
    expect(r.resultMsg).toContain(`is not a call task of job ${jobId}`);
    expect(otherJob).not.toBe(jobId);
  });

  it('lists a script-training call apart and keeps it out of the statistics', async () => {
    const before = await stats();
    await post('addCallRecord', engineCall({ training: true, calledPhoneNumber: '17700000000' }));
    expect(await stats()).toEqual(before);
    const training = await allCallRecords(server, tenant.credentials, {
      robotCallJobId: jobId,
      getTrainTaskList: true,
    });
    expect(training.map((r) => r.calledPhoneNumber)).toEqual(['17700000000']);
  });
});

describe('addCallRecords (bulk)', () => {
  it('records thousands of calls in one request, exactly once, with statistics that agree with the records', async () => {
    const results = ['ANSWERED', 'NO_ANSWER', 'BUSY', 'REFUSED', 'VACANT_NUMBER'];
    const batch = Array.from({ length: 3000 }, (_, i) => {
      const resultStatus = results[i % results.length]!;
      const answered = resultStatus === 'ANSWERED';
      return engineCall({
        resultStatus,
        intentLevel: 'ABCDEF'[i % 6],
        chatDuration: answered ? (i * 7) % 400 : 0,
        chatRound: answered ? i % 15 : 0,
        startTime: T0 + i * 97_000, // over several days
        endTime: T0 + i * 97_000 + 500_000,
        customerConcern: answered ? [['价格', '交通', '学区'][i % 3]!] : [],
        callDetailList: answered ? [{ type: 'ROBOT', text: `第${i}通` }] : [],
      });
    });
    const r = await post('addCallRecords', { callRecords: batch });
    expect(r.code, r.resultMsg).toBe(200);
    expect(r.data.accepted).toBe(3000);
    const detail = await stats();
    const records = await allCallRecords(server, tenant.credentials, { robotCallJobId: jobId });
    expect(detail.callJobStatsInfo).toEqual(recomputeStats(records, detail));

    const again = await post('addCallRecords', { callRecords: batch });
    expect(again.data).toMatchObject({ accepted: 0, duplicates: 3000 });
    expect((await stats()).callJobStatsInfo).toEqual(detail.callJobStatsInfo);
  });

  it('stores nothing when one call in the batch is bad, and names it', async () => {
    const before = await stats();
    const batch = [engineCall(), engineCall(), engineCall({ intentLevel: 'Q' }), engineCall()];
    const r = await post('addCallRecords', { callRecords: batch });
    expect(r.code).toBe(412);
    expect(r.resultMsg.startsWith('参数错误: callRecords[2].intentLevel ')).toBe(true);
    expect(await stats()).toEqual(before);
  });

  it('refuses an empty batch and one over 5000', async () => {
    expect((await post('addCallRecords', { callRecords: [] })).code).toBe(412);
    const tooMany = Array.from({ length: 5001 }, () => engineCall());
    const r = await post('addCallRecords', { callRecords: tooMany });
    expect(r.code).toBe(412);
    expect(r.resultMsg).toMatch(/^参数错误: callRecords /);
  });
});
