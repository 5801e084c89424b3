import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { finishedCall, TenantFixture } from '../../../test/fixtures.js';
import { call, getTaskDetail, getTasks, startTestServer, type TestServer } from '../../../test/harness.js';
import { DEFAULT_DIALOG_FLOW } from '../../domain/dialogFlow.js';

let server: TestServer;
let tenant: TenantFixture;
let other: TenantFixture;
let flowId: number;

const post = (path: string, body: unknown, who: TenantFixture = tenant) =>
  call(server, who.credentials, 'POST', `/apiOpen/v1/task/${path}`, body);

async function createJob(body: Record<string, unknown> = {}): Promise<number> {
  const r = await post('create', { name: '新任务', dialogFlowId: flowId, ...body });
  expect(r.code, r.resultMsg).toBe(200);
  return r.data.robotCallJobId;
}

async function importNumbers(jobId: number, numbers: string[]) {
  return post('importTaskCustomer', {
    robotCallJobId: jobId,
    customers: numbers.map((phoneNumber, i) => ({ phoneNumber, name: `客户${i}` })),
  });
}

const statusOf = async (jobId: number) =>
  (await getTaskDetail(server, tenant.credentials, jobId)).data.robotCallJob.status;

beforeAll(async () => {
  server = await startTestServer();
  tenant = await TenantFixture.create(server.database);
  other = await TenantFixture.create(server.database);
  const flows = await call(server, tenant.credentials, 'GET', '/apiOpen/v1/task/getDialogFlows');
  flowId = flows.data[0].dialogFlowId;
});
afterAll(() => server.close());

describe('getDialogFlows', () => {
  it('lists a new tenant’s flows, starting with the default one', async () => {
    const r = await call(server, tenant.credentials, 'GET', '/apiOpen/v1/task/getDialogFlows');
    expect(r.data[0]).toEqual({ dialogFlowId: flowId, name: '通用邀约话术', creationTime: expect.any(String) });
  });

  it('leaves a disabled flow out (a new job may not use it), and lists it again once enabled', async () => {
    const post = (path: string, body: unknown) => call(server, tenant.credentials, 'POST', `/apiOpen/v1/${path}`, body);
    const made = await post('dialogFlow/createDialogFlow', { name: '停用的话术', flow: DEFAULT_DIALOG_FLOW.script });
    const id = made.data.dialogFlowId;
    const listed = async () =>
      (await call(server, tenant.credentials, 'GET', '/apiOpen/v1/task/getDialogFlows')).data.map(
        (f: { dialogFlowId: number }) => f.dialogFlowId,
      );
    expect(await listed()).toContain(id);
    await post('dialogFlow/disableDialogFlow', { dialogFlowId: id });
    expect(await listed()).not.toContain(id);
    expect(await listed()).toContain(flowId);
    await post('dialogFlow/enableDialogFlow', { dialogFlowId: id });
    expect(await listed()).toContain(id);
  });
});

describe('create', () => {
  it('creates a NOT_STARTED job with defaults, shown by getTaskDetail', async () => {
    const jobId = await createJob({ name: '  春季回访  ' });
    const detail = (await getTaskDetail(server, tenant.credentials, jobId)).data;
    expect(detail.robotCallJob).toMatchObject({
      name: '春季回访',
      mode: 'MANUAL',
      status: 'NOT_STARTED',
      robotCount: 1,
      phoneType: 'MOBILE',
      dailyStartTime: '09:00:00',
      dailyEndTime: '20:00:00',
      inactiveStartTime: '00:00:00',
      inactiveEndTime: '00:00:00',
      startTime: null,
      dialogFlowId: flowId,
    });
    expect(detail).toMatchObject({
      taskCallTotal: 0,
      completedTask: 0,
      dialogFlowName: '通用邀约话术',
      jobPhoneNumberList: null,
    });
  });

  it('keeps every field given, with enums by name or code and clock times normalised', async () => {
    const line = await tenant.phoneLine('02512345678');
    const jobId = await createJob({
      mode: 0,
      startTime: '2030-01-02 09:30:00',
      robotCount: 8,
      phoneType: 'LANDLINE',
      phoneNumberIds: [line],
      dailyStartTime: '08:30',
      dailyEndTime: '18:00:00',
      inactiveStartTime: '12:00',
      inactiveEndTime: '13:00',
      description: '测试说明',
      wechatAlertLevel: ['A', 1],
      redialTimes: 2,
      redialIntervalMinutes: 30,
    });
    const detail = (await getTaskDetail(server, tenant.credentials, jobId)).data;
    expect(detail.robotCallJob).toMatchObject({
      mode: 'AUTO',
      startTime: '2030-01-02 09:30:00',
      nextStartTime: '09:30:00',
      robotCount: 8,
      phoneType: 'LANDLINE',
      dailyStartTime: '08:30:00',
      inactiveStartTime: '12:00:00',
      inactiveEndTime: '13:00:00',
      description: '测试说明',
      wechatAlertLevel: ['A', 'B'],
    });
    expect(detail.jobPhoneNumberList).toEqual([
      { phoneNumberId: line, phoneNumber: '02512345678', phoneType: 'LANDLINE', phoneName: '线路5678' },
    ]);
  });

  it.each([
    [{ name: '' }, 'name'],
    [{ dialogFlowId: 'x' }, 'dialogFlowId'],
    [{ mode: 'SOMETIMES' }, 'mode'],
    [{ mode: 'AUTO' }, 'startTime'],
    [{ mode: 'AUTO', startTime: '2030-02-30 10:00:00' }, 'startTime'],
    [{ startTime: '2030-01-01 10:00:00' }, 'startTime'],
    [{ dailyStartTime: '25:00' }, 'dailyStartTime'],
    [{ dailyStartTime: '20:00', dailyEndTime: '09:00' }, 'dailyEndTime'],
    [{ inactiveStartTime: '13:00', inactiveEndTime: '12:00' }, 'inactiveEndTime'],
    [{ robotCount: 0 }, 'robotCount'],
    [{ redialTimes: 11 }, 'redialTimes'],
    [{ wechatAlertLevel: ['Z'] }, 'wechatAlertLevel[0]'],
  ])('refuses %j with 412 naming %s', async (body, parameter) => {
    const r = await post('create', { name: '坏任务', dialogFlowId: flowId, ...body });
    expect(r.code).toBe(412);
    expect(r.resultMsg.startsWith(`参数错误: ${parameter} `)).toBe(true);
  });

  it('does not find another tenant’s dialog flow or caller line', async () => {
    const theirs = await other.flow('别人的话术');
    expect((await post('create', { name: 'x', dialogFlowId: theirs })).code).toBe(404);
    const theirLine = await other.phoneLine('02100000000');
    const r = await post('create', { name: 'x', dialogFlowId: flowId, phoneNumberIds: [theirLine] });
    expect(r).toMatchObject({ code: 404, resultMsg: `资源未找到: phoneNumberIds ${theirLine}` });
  });
});

describe('importTaskCustomer', () => {
  it('adds valid numbers, normalised, and reports every rejected row with its reason', async () => {
    const jobId = await createJob();
    const r = await importNumbers(jobId, [
      '13800001111',
      '+86 139-0000-2222',
      '12345',
      '13800001111',
      '021-6666 7777',
      '0086 13700003333',
    ]);
    expect(r.code).toBe(200);
    expect(r.data.accepted.map((a: any) => [a.index, a.phoneNumber])).toEqual([
      [0, '13800001111'],
      [1, '13900002222'],
      [4, '02166667777'],
      [5, '13700003333'],
    ]);
    expect(r.data.rejected).toEqual([
      { index: 2, phoneNumber: '12345', reason: 'not a mainland mobile or landline number' },
      { index: 3, phoneNumber: '13800001111', reason: 'duplicate of row 0 in this request' },
    ]);
    expect(r.data).toMatchObject({ status: 'RUNNABLE', taskCallTotal: 4 });
    const again = await importNumbers(jobId, ['13900002222', '13600004444']);
    expect(again.data.rejected).toEqual([{ index: 0, phoneNumber: '13900002222', reason: 'already in this job' }]);
    expect(again.data.taskCallTotal).toBe(5);
    const listed = (await getTasks(server, tenant.credentials, '?pageSize=100')).data.content.find(
      (j: any) => j.robotCallJobId === jobId,
    );
    expect(listed).toMatchObject({ taskCallTotal: 5, completedTask: 0, status: 'RUNNABLE' });
  });

  it('reuses the tenant’s customer with the same number', async () => {
    const first = (await importNumbers(await createJob(), ['15011112222'])).data.accepted[0];
    const second = (await importNumbers(await createJob(), ['150 1111 2222'])).data.accepted[0];
    expect(second.customerPersonId).toBe(first.customerPersonId);
    expect(second.robotCallTaskId).not.toBe(first.robotCallTaskId);
  });

  it('queues an AUTO job once it has customers', async () => {
    const jobId = await createJob({ mode: 'AUTO', startTime: '2030-01-01 10:00:00' });
    expect((await importNumbers(jobId, ['13811112222'])).data.status).toBe('IN_QUEUE');
  });

  it('refuses more than 1000 customers, an empty list, and a job that is completed or terminated', async () => {
    const jobId = await createJob();
    const many = Array.from({ length: 1001 }, (_, i) => `138${String(i).padStart(8, '0')}`);
    expect((await importNumbers(jobId, many)).resultMsg).toMatch(/^参数错误: customers /);
    expect((await importNumbers(jobId, [])).code).toBe(412);
    await importNumbers(jobId, ['13811113333']);
    await post('stop', { robotCallJobId: jobId });
    const r = await importNumbers(jobId, ['13811114444']);
    expect(r).toMatchObject({
      code: 412,
      resultMsg:
        '参数错误: robotCallJobId cannot import a job in status TERMINATE: the job is terminated, which is final',
    });
    const { jobId: done } = await tenant.job({ status: 'COMPLETED' });
    expect((await importNumbers(done, ['13811115555'])).resultMsg).toContain('the job is completed');
  });

  it('does not find another tenant’s job', async () => {
    const jobId = await createJob();
    expect(
      (await post('importTaskCustomer', { robotCallJobId: jobId, customers: [{ phoneNumber: '13800000000' }] }, other))
        .code,
    ).toBe(404);
  });
});

describe('start, pause, resume, stop and delete', () => {
  it('walk a job through its statuses, refusing what its status does not allow', async () => {
    const jobId = await createJob();
    expect((await post('start', { robotCallJobId: jobId })).resultMsg).toContain('has no customers to call');
    await importNumbers(jobId, ['13822223333']);
    expect(await statusOf(jobId)).toBe('RUNNABLE');
    expect((await post('resume', { robotCallJobId: jobId })).resultMsg).toBe(
      '参数错误: robotCallJobId cannot resume a job in status RUNNABLE: the job is RUNNABLE',
    );
    expect((await post('start', { robotCallJobId: jobId })).data).toEqual({
      robotCallJobId: jobId,
      status: 'IN_PROCESS',
    });
    expect((await getTaskDetail(server, tenant.credentials, jobId)).data.robotCallJob.startTime).not.toBeNull();
    expect((await post('delete', { robotCallJobId: jobId })).resultMsg).toContain('the job is running');
    expect((await post('pause', { robotCallJobId: jobId })).data.status).toBe('USER_PAUSE');
    expect((await post('pause', { robotCallJobId: jobId })).code).toBe(412);
    expect((await post('resume', { robotCallJobId: jobId })).data.status).toBe('IN_PROCESS');
    expect((await post('stop', { robotCallJobId: jobId })).data.status).toBe('TERMINATE');
    expect((await post('start', { robotCallJobId: jobId })).resultMsg).toContain('terminated, which is final');
    expect((await post('stop', { robotCallJobId: jobId })).code).toBe(412);
    expect((await post('delete', { robotCallJobId: jobId })).data).toEqual({ robotCallJobId: jobId, deleted: true });
    expect((await getTaskDetail(server, tenant.credentials, jobId)).code).toBe(404);
  });

  it('delete a job with everything recorded under it', async () => {
    const c = await tenant.customer();
    const { jobId, taskOf } = await tenant.job({ status: 'USER_PAUSE', customers: [c.id] });
    await tenant.call(finishedCall({ jobId, task: taskOf.get(c.id), concerns: ['价格'] }));
    expect((await post('delete', { robotCallJobId: jobId })).code).toBe(200);
    for (const table of ['call_record', 'call_task', 'job_day_stats', 'job_concern_stats'] as const) {
      const left = await server.database.db.selectFrom(table).select('tenant_id').where('job_id', '=', jobId).execute();
      expect(left, table).toEqual([]);
    }
  });

  it.each(['start', 'pause', 'resume', 'stop', 'delete'])(
    '%s: another tenant’s job is not found, and stays as it was',
    async (action) => {
      const jobId = await createJob();
      await importNumbers(jobId, ['13833334444']);
      const r = await post(action, { robotCallJobId: jobId }, other);
      expect(r).toMatchObject({ code: 404, resultMsg: `资源未找到: robotCallJobId ${jobId}` });
      expect(await statusOf(jobId)).toBe('RUNNABLE');
    },
  );

  it('answer 412 saying a retry may succeed when the job keeps changing while the request runs', async () => {
    const jobId = await createJob();
    await importNumbers(jobId, ['13844445555']);
    await post('start', { robotCallJobId: jobId });
    // Every write of this job's status now finds it changed: a trigger skips the update, as a
    // concurrent move by the dialer or another request would make the compare-and-set miss.
    const db = server.database;
    const statements =
      db.dialect === 'sqlite'
        ? [
            `create trigger keep_status before update of status on robot_call_job when old.id = ${jobId} begin select raise(ignore); end`,
          ]
        : [
            'create function skip_update() returns trigger language plpgsql as $$ begin return null; end $$',
            `create trigger keep_status before update of status on robot_call_job for each row when (old.id = ${jobId}) execute function skip_update()`,
          ];
    for (const statement of statements) await sql.raw(statement).execute(db.db);
    try {
      const r = await post('pause', { robotCallJobId: jobId });
      expect(r).toMatchObject({
        code: 412,
        resultMsg: '参数错误: robotCallJobId changed status while this request ran (5 times); it may be retried',
      });
    } finally {
      await sql
        .raw(db.dialect === 'sqlite' ? 'drop trigger keep_status' : 'drop trigger keep_status on robot_call_job')
        .execute(db.db);
    }
    expect((await post('pause', { robotCallJobId: jobId })).data.status).toBe('USER_PAUSE');
  });

  it('refuse a missing or malformed robotCallJobId with 412', async () => {
    expect((await post('start', {})).resultMsg).toBe('参数错误: robotCallJobId is required');
    expect((await post('pause', { robotCallJobId: 'abc' })).code).toBe(412);
  });
});
