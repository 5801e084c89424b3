import { Writable } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { T0, TenantFixture } from '../../../test/fixtures.js';
import { call, startTestServer, type TestServer } from '../../../test/harness.js';
import { OutcallClient } from '../../client/index.js';

/*
 * The audit log: every authenticated changing request writes one entry — key, action, job, time,
 * outcome, client address, requestId, and counts instead of content — readable by its tenant only.
 */

let server: TestServer;
let tenant: TenantFixture;
let other: TenantFixture;
let flowId: number;

const post = (path: string, body: unknown, who: TenantFixture = tenant) =>
  call(server, who.credentials, 'POST', `/apiOpen/v1/${path}`, body);
const auditLog = (query = '', who: TenantFixture = tenant) =>
  call(server, who.credentials, 'GET', `/apiOpen/v1/auditLog/list${query}`);
const entries = async () => (await server.database.db.selectFrom('audit_log').select('id').execute()).length;

/** The newest entry of the tenant, as the API lists it. */
async function newest(who: TenantFixture = tenant) {
  const r = await auditLog('?pageSize=1', who);
  expect(r.code, r.resultMsg).toBe(200);
  return r.data.content[0];
}

beforeAll(async () => {
  server = await startTestServer();
  tenant = await TenantFixture.create(server.database);
  other = await TenantFixture.create(server.database);
  flowId = (await call(server, tenant.credentials, 'GET', '/apiOpen/v1/task/getDialogFlows')).data[0].dialogFlowId;
});
afterAll(() => server.close());

describe('every changing request writes one entry', () => {
  let jobId: number;

  it('create: the key, the action, the job it created, the outcome, the client and the requestId', async () => {
    const before = await entries();
    const r = await post('task/create', { name: '审计任务', dialogFlowId: flowId });
    expect(r.code).toBe(200);
    jobId = r.data.robotCallJobId;
    expect(await entries()).toBe(before + 1);
    expect(await newest()).toEqual({
      auditLogId: expect.any(Number),
      creationTime: expect.stringMatching(/^\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}$/),
      appKey: tenant.credentials.appKey,
      userName: null,
      method: 'POST',
      action: 'task/create',
      robotCallJobId: jobId,
      code: 200,
      resultMsg: '创建成功',
      summary: 'answered status: NOT_STARTED',
      clientIp: '127.0.0.1',
      requestId: r.requestId,
    });
  });

  it('importTaskCustomer: counts of what was sent and done, never the numbers or names', async () => {
    const r = await post('task/importTaskCustomer', {
      robotCallJobId: jobId,
      customers: [{ phoneNumber: '13811110001', name: '张三' }, { phoneNumber: '13811110002' }, { phoneNumber: 'bad' }],
    });
    expect(r.code).toBe(200);
    const e = await newest();
    expect(e).toMatchObject({ action: 'task/importTaskCustomer', robotCallJobId: jobId, code: 200 });
    expect(e.summary).toBe('sent customers: 3; answered status: RUNNABLE, taskCallTotal: 2, accepted: 2, rejected: 1');
    expect(JSON.stringify(e)).not.toMatch(/13811110001|张三/);
  });

  it.each(['start', 'pause', 'resume', 'stop'])('%s', async (action) => {
    const r = await post(`task/${action}`, { robotCallJobId: jobId });
    expect(r.code, r.resultMsg).toBe(200);
    expect(await newest()).toMatchObject({
      action: `task/${action}`,
      robotCallJobId: jobId,
      code: 200,
      resultMsg: '执行成功',
      summary: `answered status: ${r.data.status}`,
      requestId: r.requestId,
    });
  });

  it('addCallRecord and addCallRecords, with the count of records', async () => {
    const one = (key: string, over: Record<string, unknown> = {}) => ({
      idempotencyKey: key,
      robotCallJobId: jobId,
      calledPhoneNumber: '13811110001',
      resultStatus: 'ANSWERED',
      intentLevel: 'B',
      startTime: T0,
      endTime: T0 + 70_000,
      chatDuration: 60,
      chatRound: 3,
      callDetailList: [{ type: 'ROBOT', text: '机密对话内容' }],
      ...over,
    });
    expect((await post('task/addCallRecord', one('audit-1'))).code).toBe(200);
    expect(await newest()).toMatchObject({
      action: 'task/addCallRecord',
      robotCallJobId: jobId,
      summary: 'sent callDetailList: 1; answered accepted: 1, duplicates: 0, results: 1',
    });
    const batch = await post('task/addCallRecords', { callRecords: [one('audit-1'), one('audit-2'), one('audit-3')] });
    expect(batch.code).toBe(200);
    const e = await newest();
    expect(e).toMatchObject({
      action: 'task/addCallRecords',
      robotCallJobId: jobId,
      summary: 'sent callRecords: 3; answered accepted: 2, duplicates: 1, results: 3',
    });
    expect(JSON.stringify(e)).not.toContain('机密对话内容');
  });

  it('a batch over several jobs names none', async () => {
    const second = (await post('task/create', { name: '第二个', dialogFlowId: flowId })).data.robotCallJobId;
    const call = (key: string, job: number) => ({
      idempotencyKey: key,
      robotCallJobId: job,
      calledPhoneNumber: '13811110009',
      resultStatus: 'BUSY',
      intentLevel: 'F',
      startTime: T0,
      endTime: T0 + 10_000,
      chatDuration: 0,
      chatRound: 0,
    });
    await post('task/addCallRecords', { callRecords: [call('audit-x1', jobId), call('audit-x2', second)] });
    expect(await newest()).toMatchObject({ action: 'task/addCallRecords', robotCallJobId: null });
  });

  it('delete, and the do-not-call list’s changes', async () => {
    expect((await post('task/delete', { robotCallJobId: jobId })).code).toBe(200);
    expect(await newest()).toMatchObject({
      action: 'task/delete',
      robotCallJobId: jobId,
      summary: 'answered deleted: true',
    });
    // A field the schema does not declare is not counted, whatever its name.
    await post('doNotCall/add', { phoneNumbers: ['13822220001', 'x'], reason: '投诉', 'x\u0000y': [1, 2] });
    expect(await newest()).toMatchObject({
      action: 'doNotCall/add',
      robotCallJobId: null,
      summary: 'sent phoneNumbers: 2; answered accepted: 1, rejected: 1, finishedCallTasks: 0',
    });
    await post('doNotCall/remove', { phoneNumbers: ['13822220001'] });
    expect(await newest()).toMatchObject({
      action: 'doNotCall/remove',
      summary: 'sent phoneNumbers: 1; answered removed: 1, rejected: 0',
    });
  });

  it('deleteRobotCallTaskList, a GET that deletes: the job and how many were deleted', async () => {
    const customers = await Promise.all([0, 1, 2].map(() => tenant.customer()));
    const { jobId: pending, taskOf } = await tenant.job({
      customers: customers.map((c) => c.id),
      status: 'USER_PAUSE',
    });
    const ids = customers.slice(0, 2).map((c) => taskOf.get(c.id)!.id);
    const before = await entries();
    const r = await call(
      server,
      tenant.credentials,
      'GET',
      `/apiOpen/v1/callRecord/deleteRobotCallTaskList?robotCallJobId=${pending}&robotCallTaskIds=${ids.join(',')}`,
    );
    expect(r).toMatchObject({ code: 200, data: 2 });
    expect(await entries()).toBe(before + 1);
    expect(await newest()).toMatchObject({
      method: 'GET',
      action: 'callRecord/deleteRobotCallTaskList',
      robotCallJobId: pending,
      code: 200,
      resultMsg: '删除成功',
      summary: 'answered 2',
      requestId: r.requestId,
    });
  });

  it('a refused request is entered with its code and message', async () => {
    const missing = await post('task/start', { robotCallJobId: 987654 });
    expect(missing.code).toBe(404);
    expect(await newest()).toMatchObject({
      action: 'task/start',
      robotCallJobId: 987654,
      code: 404,
      resultMsg: missing.resultMsg,
      summary: null,
      requestId: missing.requestId,
    });
    const invalid = await post('task/create', { name: '', dialogFlowId: flowId });
    expect(invalid.code).toBe(412);
    expect(await newest()).toMatchObject({ action: 'task/create', code: 412, resultMsg: invalid.resultMsg });
    const notJson = await post('task/create', '{not json');
    expect(notJson.code).toBe(412);
    expect(await newest()).toMatchObject({ action: 'task/create', code: 412, resultMsg: notJson.resultMsg });
  });
});

describe('not entered', () => {
  it('reads, including the POST that only reads (getCallRecordInfoList)', async () => {
    const before = await entries();
    await call(server, tenant.credentials, 'GET', '/apiOpen/v1/task/getTasks');
    await call(server, tenant.credentials, 'GET', '/apiOpen/v1/task/getTaskDetail?robotCallJobId=1');
    await post('task/getCallRecordInfoList', { robotCallJobId: 1 });
    await call(server, tenant.credentials, 'GET', '/apiOpen/v1/doNotCall/list');
    await call(server, tenant.credentials, 'GET', '/apiOpen/v1/callRecord/toBeCalledList?robotCallJobId=1');
    await auditLog();
    expect(await entries()).toBe(before);
  });

  it('requests no key was proven for (401), and paths that are not routes', async () => {
    const before = await entries();
    const forged = await post('task/create', { name: '伪造', dialogFlowId: flowId }, {
      ...tenant,
      credentials: { ...tenant.credentials, appSecret: 'not-the-secret-not-the-secret!!' },
    } as TenantFixture);
    expect(forged.code).toBe(401);
    expect((await post('task/nothing', {})).code).toBe(404);
    expect(await entries()).toBe(before);
  });
});

describe('auditLog/list', () => {
  it('shows a tenant its own entries only', async () => {
    await post('doNotCall/add', { phoneNumbers: ['13833330001'] }, other);
    const mine = await auditLog('?pageSize=100');
    const theirs = await auditLog('?pageSize=100', other);
    expect(theirs.data.totalElements).toBe(1);
    expect(theirs.data.content[0]).toMatchObject({ appKey: other.credentials.appKey, action: 'doNotCall/add' });
    expect(mine.data.content.every((e: any) => e.appKey === tenant.credentials.appKey)).toBe(true);
    expect(mine.data.totalElements).toBe(mine.data.content.length);
  });

  it('lists newest first, a page at a time, filtered by action, job, outcome and time', async () => {
    const all = (await auditLog('?pageSize=100')).data;
    const ids = all.content.map((e: any) => e.auditLogId);
    expect(ids).toEqual([...ids].sort((a: number, b: number) => b - a));
    const page2 = (await auditLog('?pageSize=3&pageNum=2')).data;
    expect(page2).toMatchObject({ number: 2, pageSize: 3, totalElements: all.totalElements });
    expect(page2.content.map((e: any) => e.auditLogId)).toEqual(ids.slice(3, 6));

    const starts = (await auditLog('?action=task/start')).data;
    expect(starts.content.map((e: any) => e.code)).toEqual([404, 200]);
    const job = all.content.find((e: any) => e.action === 'task/importTaskCustomer').robotCallJobId;
    const ofJob = (await auditLog(`?robotCallJobId=${job}&pageSize=100`)).data.content;
    expect(new Set(ofJob.map((e: any) => e.robotCallJobId))).toEqual(new Set([job]));
    expect(ofJob.map((e: any) => e.action)).toContain('task/delete');
    const refused = (await auditLog('?code=412')).data.content;
    expect(refused.length).toBe(2);
    expect(refused.every((e: any) => e.code === 412)).toBe(true);

    // Time: the entries so far moved two days back; a new one is found by its day and its second.
    await server.database.db
      .updateTable('audit_log')
      .set((eb) => ({ created_at: eb('created_at', '-', 2 * 86_400_000) }))
      .where('tenant_id', '=', tenant.tenantId)
      .execute();
    const later = await post('doNotCall/remove', { phoneNumbers: ['13899990000'] });
    const entry = await newest();
    expect(entry.requestId).toBe(later.requestId);
    const [day] = entry.creationTime.split(' ');
    const byDay = (await auditLog(`?earliestTime=${day}`)).data.content;
    expect(byDay.map((e: any) => e.requestId)).toEqual([later.requestId]);
    const second = encodeURIComponent(entry.creationTime);
    const bySecond = (await auditLog(`?earliestTime=${second}&latestTime=${second}`)).data.content;
    expect(bySecond.map((e: any) => e.requestId)).toEqual([later.requestId]);
    const yesterday = new Date(Date.parse(`${day}T00:00:00Z`) - 86_400_000).toISOString().slice(0, 10);
    const earlier = (await auditLog(`?latestTime=${yesterday}&pageSize=100`)).data;
    expect(earlier.totalElements).toBe(all.totalElements);
    expect(earlier.content.map((e: any) => e.requestId)).not.toContain(later.requestId);
  });

  it.each([
    ['?earliestTime=yesterday', 'earliestTime'],
    ['?latestTime=2024-02-30', 'latestTime'],
    ['?earliestTime=1969-12-31', 'earliestTime'],
    ['?latestTime=9999-12-31', 'latestTime'],
    ['?robotCallJobId=0', 'robotCallJobId'],
    ['?code=abc', 'code'],
    ['?pageSize=0', 'pageSize'],
  ])('refuses %s with 412 naming %s', async (query, parameter) => {
    const r = await auditLog(query);
    expect(r.code).toBe(412);
    expect(r.resultMsg.startsWith(`参数错误: ${parameter} `), r.resultMsg).toBe(true);
  });
});

describe('an audit write that fails', () => {
  it('leaves the answer as it was and is logged at error level', async () => {
    const lines: string[] = [];
    const stream = new Writable({
      write(chunk, _enc, done) {
        lines.push(String(chunk));
        done();
      },
    });
    const broken = await startTestServer({ logger: { level: 'info', stream } });
    try {
      const t = await TenantFixture.create(broken.database);
      await broken.database.db.schema.dropTable('audit_log').execute();
      const r = await sendSigned(broken, t, 'POST', '/apiOpen/v1/doNotCall/add', { phoneNumbers: ['13844440001'] });
      expect(r.status).toBe(200);
      expect(r.body).toMatchObject({ code: 200, data: { accepted: [{ phoneNumber: '13844440001' }] } });
      const failure = lines.map((l) => JSON.parse(l)).find((l) => /AUDIT LOG WRITE FAILED/.test(l.msg));
      expect(failure).toMatchObject({
        level: 50,
        requestId: r.body.requestId,
        auditEntry: { action: 'doNotCall/add', code: 200, app_key: t.credentials.appKey },
      });
      // The listing itself was done.
      const listed = await broken.database.db.selectFrom('do_not_call').select('phone_number').execute();
      expect(listed.map((x) => x.phone_number)).toEqual(['13844440001']);
    } finally {
      await broken.close();
    }
  });
});

/** A signed request whose HTTP answer (status and body) the test reads itself. */
async function sendSigned(target: { url: string }, who: TenantFixture, method: 'POST', path: string, body: unknown) {
  let status = 0;
  const client = new OutcallClient({
    baseUrl: target.url,
    ...who.credentials,
    retries: 0,
    fetch: async (url, init) => {
      const response = await fetch(url, init);
      status = response.status;
      return response;
    },
  });
  const envelope = await client.send(method, path, { body });
  return { status, body: envelope as { code: number; data: any; requestId: string } };
}
