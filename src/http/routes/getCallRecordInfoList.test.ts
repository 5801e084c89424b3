import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { finishedCall, T0, TenantFixture } from '../../../test/fixtures.js';
import { allCallRecords, getCallRecords, startTestServer, type TestServer } from '../../../test/harness.js';

let server: TestServer;
let tenant: TenantFixture;
let other: TenantFixture;
let jobId: number;
let otherJobId: number;
let vipGroup: number;
let secondFlow: number;
const HOUR = 3_600_000;
const ids: Record<string, number> = {};

/*
 * One job, eight calls (all times Asia/Shanghai):
 *   a 05-01 10:00 张伟 VIP AI_INITIAL_VISIT   ANSWERED A
 *   b 05-01 11:00 李娜 VIP FOLLOW_UP          BUSY     E
 *   c 05-02 00:30 王芳 --  FOLLOW_UP          ANSWERED C   (05-01 16:30 UTC)
 *   d 05-02 23:59 赵强 --  AI_INITIAL_VISIT   REFUSED  F
 *   e 05-03 09:00 张伟 VIP AI_INITIAL_VISIT   ANSWERED B   (second flow)
 *   f 05-03 10:00 孙丽 --  PEOPLE_INITIAL..   NO_ANSWER E
 *   t 05-02 12:00 training call (no customer) ANSWERED A
 *   o another tenant's job, same numbers
 */
beforeAll(async () => {
  server = await startTestServer();
  tenant = await TenantFixture.create(server.database);
  other = await TenantFixture.create(server.database);
  vipGroup = await tenant.group('VIP客户');
  secondFlow = await tenant.flow('二号话术');
  const zhang = await tenant.customer({ name: '张伟', phone: '13912345678', groupId: vipGroup });
  const li = await tenant.customer({
    name: '李娜',
    phone: '13800001111',
    groupId: vipGroup,
    followStatus: 'FOLLOW_UP',
  });
  const wang = await tenant.customer({ name: '王芳', phone: '18612340000', followStatus: 'FOLLOW_UP' });
  const zhao = await tenant.customer({ name: '赵强', phone: '15000002222' });
  const sun = await tenant.customer({ name: '孙丽', phone: '17711110000', followStatus: 'PEOPLE_INITIAL_VISIT' });
  const job = await tenant.job({
    name: '列表任务',
    redialTimes: 3,
    customers: [zhang.id, li.id, wang.id, zhao.id, sun.id],
  });
  jobId = job.jobId;
  const t = (c: { id: number }) => job.taskOf.get(c.id)!;
  const calls = {
    a: finishedCall({
      jobId,
      task: t(zhang),
      result: 'ANSWERED',
      intent: 'A',
      at: T0,
      turns: [
        { type: 'ROBOT', text: '您好，我是小悦' },
        { type: 'PERSON', text: '你好' },
        { type: 'ROBOT', text: '想介绍一下新楼盘' },
      ],
    }),
    b: finishedCall({ jobId, task: t(li), result: 'BUSY', intent: 'E', at: T0 + HOUR }),
    c: finishedCall({ jobId, task: t(wang), result: 'ANSWERED', intent: 'C', at: T0 + 14.5 * HOUR }),
    d: finishedCall({ jobId, task: t(zhao), result: 'REFUSED', intent: 'F', at: T0 + 37 * HOUR + 59 * 60_000 }),
    e: finishedCall({ jobId, task: t(zhang), result: 'ANSWERED', intent: 'B', at: T0 + 47 * HOUR }),
    f: finishedCall({ jobId, task: t(sun), result: 'NO_ANSWER', intent: 'E', at: T0 + 48 * HOUR }),
    t: finishedCall({
      jobId,
      result: 'ANSWERED',
      intent: 'A',
      at: T0 + 26 * HOUR,
      training: true,
      phone: '17700000000',
    }),
  };
  for (const [name, c] of Object.entries(calls)) ids[name] = await tenant.call(c);
  // The second flow's call: the record takes the job's flow at the time it was recorded.
  await server.database.db
    .updateTable('call_record')
    .set({ dialog_flow_id: secondFlow })
    .where('id', '=', ids.e!)
    .execute();
  const otherJob = await other.job({
    name: '别人的任务',
    customers: [(await other.customer({ name: '张伟', phone: '13912345678' })).id],
  });
  otherJobId = otherJob.jobId;
  await other.calls([finishedCall({ jobId: otherJobId, phone: '13912345678', at: T0 })]);
});
afterAll(() => server.close());

const list = async (body: Record<string, unknown>) => {
  const r = await getCallRecords(server, tenant.credentials, { robotCallJobId: jobId, ...body });
  expect(r.code, r.resultMsg).toBe(200);
  return r.data;
};
const names = async (body: Record<string, unknown>) => {
  const byId = Object.fromEntries(Object.entries(ids).map(([k, v]) => [v, k]));
  return (await list(body)).content.map((r: any) => byId[r.callRecordId]).join('');
};

describe('getCallRecordInfoList', () => {
  it('lists the job’s real calls newest first', async () => {
    const data = await list({});
    expect(data).toMatchObject({ number: 1, pageSize: 20, totalElements: 6, pages: 1 });
    expect(await names({})).toBe('fedcba');
  });

  it('shows each call with the fields of docs/api.md, its names resolved and its turns in order', async () => {
    const item = (await list({ searchWords: '张伟', intentLevels: ['A'] })).content[0];
    expect(item).toEqual({
      callRecordId: ids.a,
      tenantId: tenant.tenantId,
      robotCallJobId: jobId,
      dialogFlowId: tenant.flowId,
      robotCallTaskId: expect.any(Number),
      customerPersonId: expect.any(Number),
      calledPhoneNumber: '13912345678',
      phoneNumberId: 0,
      resultStatus: 'ANSWERED',
      intentLevel: 'A',
      realIntentLevel: null,
      customerConcern: [],
      fullAudioUrl: null,
      customerAudioUrl: null,
      analysisBasis: '',
      startTime: '2024-05-01 10:00:00',
      chatDuration: 60,
      chatRound: 4,
      manualMarked: false,
      readStatus: 'NOT_READ',
      customerGroupName: 'VIP客户',
      robotCallJobName: '列表任务',
      dialogFlowName: '默认话术',
      customerPersonInfo: {
        customerPersonId: expect.any(Number),
        name: '张伟',
        phoneNumber: '13912345678',
        gender: 'UNKNOWN',
        followStatus: 'AI_INITIAL_VISIT',
        properties: { 来源: '测试' },
      },
      callDetailList: [
        { text: '您好，我是小悦', type: 'ROBOT', callDetailId: expect.any(Number) },
        { text: '你好', type: 'PERSON', callDetailId: expect.any(Number) },
        { text: '想介绍一下新楼盘', type: 'ROBOT', callDetailId: expect.any(Number) },
      ],
    });
    const turnIds = item.callDetailList.map((t: any) => t.callDetailId);
    expect([...turnIds].sort((a, b) => a - b)).toEqual(turnIds);
  });

  describe('filters, each alone', () => {
    it.each([
      [{ customerGroupId: 'VIP' }, 'eba'],
      [{ dialogFlowId: 'second' }, 'e'],
      [{ followStatus: 'FOLLOW_UP' }, 'cb'],
      [{ followStatus: 2 }, 'cb'],
      [{ followStatus: 'PEOPLE_INITIAL_VISIT' }, 'f'],
      [{ resultStatuses: ['ANSWERED'] }, 'eca'],
      [{ resultStatuses: ['BUSY', 'REFUSED'] }, 'db'],
      [{ resultStatuses: [2, '5'] }, 'db'],
      [{ resultStatuses: 'NO_ANSWER' }, 'f'],
      [{ intentLevels: ['E'] }, 'fb'],
      [{ intentLevels: ['A', 'F'] }, 'da'],
      [{ intentLevels: [0] }, 'a'],
      [{ earliestCreationTime: '2024-05-02' }, 'fedc'],
      [{ latestCreationTime: '2024-05-01' }, 'ba'],
      [{ earliestCreationTime: '2024-05-02', latestCreationTime: '2024-05-02' }, 'dc'],
      [{ earliestCreationTime: '', latestCreationTime: null }, 'fedcba'],
      [{ searchWords: '张伟' }, 'ea'],
      [{ searchWords: '1234' }, 'eca'],
      [{ searchWords: 1111 }, 'fb'],
      [{ searchWords: '  ' }, 'fedcba'],
      [{ searchWords: '%' }, ''],
      [{ getTrainTaskList: true }, 't'],
      [{ getTrainTaskList: 'true' }, 't'],
      [{ getTrainTaskList: false }, 'fedcba'],
    ])('%j → %s', async (filter, expected) => {
      const body: Record<string, unknown> = { ...filter };
      if (body.customerGroupId === 'VIP') body.customerGroupId = vipGroup;
      if (body.dialogFlowId === 'second') body.dialogFlowId = secondFlow;
      expect(await names(body)).toBe(expected);
    });
  });

  describe('filters, combined with AND', () => {
    it.each([
      [{ customerGroupId: 'VIP', resultStatuses: ['ANSWERED'] }, 'ea'],
      [
        {
          customerGroupId: 'VIP',
          intentLevels: ['B', 'E'],
          earliestCreationTime: '2024-05-01',
          latestCreationTime: '2024-05-02',
        },
        'b',
      ],
      [{ followStatus: 'AI_INITIAL_VISIT', searchWords: '张', resultStatuses: ['ANSWERED'], intentLevels: ['B'] }, 'e'],
      [{ dialogFlowId: 'first', searchWords: '0000', earliestCreationTime: '2024-05-03' }, 'f'],
      [{ resultStatuses: ['ANSWERED'], getTrainTaskList: true, searchWords: '177' }, 't'],
      [{ customerGroupId: 'VIP', followStatus: 'FOLLOW_UP', resultStatuses: ['ANSWERED'] }, ''],
    ])('%j → %s', async (filter, expected) => {
      const body: Record<string, unknown> = { ...filter };
      if (body.customerGroupId === 'VIP') body.customerGroupId = vipGroup;
      if (body.dialogFlowId === 'first') body.dialogFlowId = tenant.flowId;
      expect(await names(body)).toBe(expected);
    });
  });

  it('pages through the calls, and serves a page past the end empty with correct totals', async () => {
    expect(await names({ pageSize: 4 })).toBe('fedc');
    expect(await names({ pageSize: 4, pageNum: 2 })).toBe('ba');
    expect(await list({ pageSize: 4, pageNum: 3 })).toEqual({
      number: 3,
      pageSize: 4,
      totalElements: 6,
      pages: 2,
      content: [],
    });
    expect((await list({ pageSize: 500 })).pageSize).toBe(100);
    expect(await names({ pageSize: '2', pageNum: '3' })).toBe('ba');
  });

  it('walks every record exactly once across pages', async () => {
    const all = await allCallRecords(server, tenant.credentials, { robotCallJobId: jobId });
    expect(new Set(all.map((r) => r.callRecordId)).size).toBe(6);
  });

  it('accepts numbers sent as strings', async () => {
    const r = await getCallRecords(server, tenant.credentials, {
      robotCallJobId: String(jobId),
      customerGroupId: String(vipGroup),
    });
    expect(r.data.totalElements).toBe(3);
  });

  it('loads the turns of a whole page in one query', async () => {
    server.queries.length = 0;
    await list({ pageSize: 2 });
    const small = server.queries.length;
    server.queries.length = 0;
    await list({ pageSize: 6 });
    expect(server.queries.length).toBe(small);
    expect(server.queries.filter((q) => q.includes('"call_detail"')).length).toBe(1);
  });

  it('does not find another tenant’s job, nor a missing one, in the same words', async () => {
    const foreign = await getCallRecords(server, tenant.credentials, { robotCallJobId: otherJobId });
    const missing = await getCallRecords(server, tenant.credentials, { robotCallJobId: 999_999 });
    expect(foreign.code).toBe(404);
    expect(foreign.resultMsg).toBe(`资源未找到: robotCallJobId ${otherJobId}`);
    expect(missing.code).toBe(404);
  });

  it.each([
    [{}, 'robotCallJobId', 'is required'],
    [{ robotCallJobId: 'abc' }, 'robotCallJobId', 'must be integer'],
    [{ robotCallJobId: 0 }, 'robotCallJobId', ''],
    [{ customerGroupId: 'x' }, 'customerGroupId', ''],
    [{ followStatus: 'LATER' }, 'followStatus', 'must be one of'],
    [{ resultStatuses: ['ANSWERED', 'HUNG_UP'] }, 'resultStatuses[1]', 'HUNG_UP'],
    [{ intentLevels: ['G'] }, 'intentLevels[0]', 'must be one of'],
    [{ earliestCreationTime: '2018-07-25 10:00:00' }, 'earliestCreationTime', 'without time'],
    [{ latestCreationTime: '2018-07-25T10:00' }, 'latestCreationTime', 'without time'],
    [{ latestCreationTime: '2018-02-30' }, 'latestCreationTime', 'yyyy-MM-dd'],
    [{ earliestCreationTime: '25/07/2018' }, 'earliestCreationTime', 'yyyy-MM-dd'],
    [{ pageNum: 0 }, 'pageNum', ''],
    [{ pageSize: -5 }, 'pageSize', ''],
    [{ getTrainTaskList: 'maybe' }, 'getTrainTaskList', 'must be boolean'],
  ])('refuses %j with 412 naming %s', async (body, parameter, reason) => {
    const sent = Object.keys(body).length === 0 ? {} : { robotCallJobId: jobId, ...body };
    const r = await getCallRecords(server, tenant.credentials, sent);
    expect(r.code).toBe(412);
    expect(r.resultMsg.startsWith(`参数错误: ${parameter} `)).toBe(true);
    expect(r.resultMsg).toContain(reason);
  });
});
