import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { finishedCall, T0, TenantFixture } from '../../../test/fixtures.js';
import { callDetail, startTestServer, type TestServer } from '../../../test/harness.js';

let server: TestServer;
let tenant: TenantFixture;
let other: TenantFixture;
let recordId: number;
let unansweredId: number;
let trainingId: number;
let customerId: number;

beforeAll(async () => {
  server = await startTestServer();
  tenant = await TenantFixture.create(server.database);
  other = await TenantFixture.create(server.database);
  const group = await tenant.group('研发');
  const customer = await tenant.customer({
    name: '空号',
    phone: '18673125007',
    groupId: group,
    followStatus: 'FOLLOW_UP',
  });
  customerId = customer.id;
  const job = await tenant.job({ redialTimes: 1, customers: [customer.id] });
  const task = job.taskOf.get(customer.id)!;
  unansweredId = await tenant.call(
    finishedCall({ jobId: job.jobId, task, result: 'VACANT_NUMBER', intent: 'F', at: T0 }),
  );
  recordId = await tenant.call(
    finishedCall({
      jobId: job.jobId,
      task,
      result: 'ANSWERED',
      intent: 'A',
      at: T0 + 3_600_000,
      duration: 93,
      rounds: 16,
      concerns: ['价格'],
      turns: [
        { type: 'ROBOT', text: '喂，您好' },
        { type: 'PERSON', text: '嗯' },
      ],
    }),
  );
  trainingId = await tenant.call(finishedCall({ jobId: job.jobId, training: true, at: T0 }));
});
afterAll(() => server.close());

describe('callDetail', () => {
  it('shows one call with the fields and formats of docs/api.md', async () => {
    const r = await callDetail(server, tenant.credentials, recordId);
    expect(r.code).toBe(200);
    expect(r.resultMsg).toBe('执行成功');
    expect(r.data).toEqual({
      callRecordId: recordId,
      customerAudioUrl: null,
      startTime: '2024-05-01T11:00:00',
      endTime: '2024-05-01T11:01:43',
      chatRound: 16,
      chatDuration: 93,
      customerPerson: {
        customerPersonId: customerId,
        creationTime: '2024-05-01 10:00',
        tenantId: tenant.tenantId,
        customerGroupId: expect.any(Number),
        name: '空号',
        phoneNumber: '18673125007',
        wechatNumber: null,
        source: 'UPLOADED_BY_YOURSELF',
        lastEmotion: 'UNKNOWN',
        customerLevel: 'UNKNOWN',
        gender: 'UNKNOWN',
        followUserId: tenant.userId,
        followStatus: 'FOLLOW_UP',
        properties: { 来源: '测试' },
        lastFollowTime: null,
        // The customer carries what its latest call found.
        lastChatDuration: 93,
        lastStartTime: '2024-05-01 11:00:00',
        attributes: [],
        lastIntentLevel: 'A',
        lastDialStatus: 'ANSWERED',
        assignTime: '2024-05-01 10:00:00',
        customerGroupName: '研发',
      },
      resultStatus: 'ANSWERED',
      intentLevel: 'A',
      realIntentLevel: null,
      customerConcern: ['价格'],
      fullAudioUrl: null,
      analysisBasis: '',
      callDetailList: [
        { text: '喂，您好', type: 'ROBOT', callDetailId: expect.any(Number) },
        { text: '嗯', type: 'PERSON', callDetailId: expect.any(Number) },
      ],
      manualMarked: false,
      robotCallJobId: expect.any(Number),
      attributes: [],
    });
  });

  it('shows an unanswered call with no turns', async () => {
    const r = await callDetail(server, tenant.credentials, unansweredId);
    expect(r.data).toMatchObject({
      resultStatus: 'VACANT_NUMBER',
      intentLevel: 'F',
      chatDuration: 0,
      chatRound: 0,
      callDetailList: [],
    });
  });

  it('shows a script-training call, which has no customer', async () => {
    const r = await callDetail(server, tenant.credentials, trainingId);
    expect(r.code).toBe(200);
    expect(r.data.customerPerson).toBeNull();
  });

  it('changes nothing by being read', async () => {
    const before = await callDetail(server, tenant.credentials, recordId);
    const again = await callDetail(server, tenant.credentials, recordId);
    expect({ ...again.data }).toEqual({ ...before.data });
    const row = await server.database.db
      .selectFrom('call_record')
      .select('read_status')
      .where('id', '=', recordId)
      .executeTakeFirstOrThrow();
    expect(row.read_status).toBe('NOT_READ');
  });

  it('does not find a call that is missing or belongs to another tenant, in the same words', async () => {
    const foreign = await callDetail(server, other.credentials, recordId);
    const missing = await callDetail(server, other.credentials, 987_654);
    expect(foreign).toMatchObject({ code: 404, data: null, resultMsg: `资源未找到: callRecordId ${recordId}` });
    expect(missing).toMatchObject({ code: 404, data: null, resultMsg: '资源未找到: callRecordId 987654' });
  });

  it.each([[''], ['x'], ['0'], ['1.5'], ['-1']])('refuses callRecordId=%s with 412', async (value) => {
    const r = await callDetail(server, tenant.credentials, value);
    expect(r.code).toBe(412);
    expect(r.resultMsg).toMatch(/^参数错误: callRecordId /);
  });
});
