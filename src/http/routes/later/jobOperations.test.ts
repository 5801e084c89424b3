import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { finishedCall, T0, TenantFixture } from '../../../../test/fixtures.js';
import { call, getTaskDetail, startTestServer, type TestServer } from '../../../../test/harness.js';
import { OutcallClient, OutcallError } from '../../../client/index.js';
import { isWithinCallingHours } from '../../../domain/callingHours.js';
import { listCallTasks } from '../../../repositories/callTasks.js';
import { findJob } from '../../../repositories/jobs.js';
import { addToDoNotCallList } from '../../../services/doNotCall.js';

let server: TestServer;
let tenant: TenantFixture;
let other: TenantFixture;
let lineId: number;
let mobileLines: number[];

const post = (path: string, body: unknown, who: TenantFixture = tenant) =>
  call(server, who.credentials, 'POST', `/apiOpen/v1/job/${path}`, body);
const client = (who: TenantFixture = tenant) =>
  new OutcallClient({ baseUrl: server.url, ...who.credentials, retries: 0 });
const patch = (body: unknown, who: TenantFixture = tenant) =>
  client(who).send('PATCH', '/apiOpen/v1/job/modify', { body });

const baseJob = () => ({
  name: '后续接口任务',
  mode: 'MANUAL',
  dailyStartTime: '09:00',
  dailyEndTime: '20:00',
  dialogFlowId: tenant.flowId,
  phoneType: 'LANDLINE',
  robotCount: 3,
});

async function create(job: Record<string, unknown> = {}, top: Record<string, unknown> = {}): Promise<number> {
  const r = await post('create', {
    concurrencyQuota: 2,
    jobPhoneNumberIdList: [lineId],
    robotCallJob: { ...baseJob(), ...job },
    ...top,
  });
  expect(r.code, r.resultMsg).toBe(200);
  return r.data.robotCallJobId;
}

const stored = async (jobId: number, who: TenantFixture = tenant) =>
  (await findJob(server.database, who.tenantId, jobId))!;

async function importNumbers(jobId: number, numbers: string[]) {
  const r = await post('importCustomer', {
    robotCallJobId: jobId,
    customerPersons: numbers.map((phoneNumber, i) => ({ phoneNumber, name: `客户${i}` })),
  });
  expect(r.code, r.resultMsg).toBe(200);
  return r.data;
}

let phoneCounter = 0;
const phones = (n: number) => Array.from({ length: n }, () => `137${String(++phoneCounter).padStart(8, '0')}`);

beforeAll(async () => {
  server = await startTestServer();
  tenant = await TenantFixture.create(server.database);
  other = await TenantFixture.create(server.database);
  lineId = await tenant.phoneLine('02588880001');
  mobileLines = [];
});
afterAll(() => server.close());

describe('job/create', () => {
  it('creates a NOT_STARTED job from the nested body, storing every field', async () => {
    const group = await post('create', {
      concurrencyQuota: 2,
      jobPhoneNumberIdList: [String(lineId)],
      transferPhoneNumber: ['1523654789'],
      robotCallJob: {
        ...baseJob(),
        mode: 'AUTO',
        startTime: '2030-01-02 09:30:00',
        inactiveTimeList: [
          { startTime: '12:00', endTime: '13:00' },
          { startTime: '15:00', endTime: '15:30' },
          { startTime: '18:00', endTime: '18:30' },
        ],
        smsAlertLevel: ['A'],
        smsAlertLevelCode: [1],
        wechatConditionAlertLevelCode: [0],
        redialCondition: ['CALL_LOSS', 'NO_ANSWER', 'BUSY'],
        redialInterval: 6,
        redialTimes: 2,
        description: '备注',
        tenantId: 1,
      },
    });
    expect(group.code, group.resultMsg).toBe(200);
    const job = await stored(group.data.robotCallJobId);
    expect(job).toMatchObject({
      status: 'NOT_STARTED',
      mode: 'AUTO',
      robot_count: 3,
      concurrency_quota: 2,
      phone_type: 'LANDLINE',
      daily_start_time: '09:00:00',
      daily_end_time: '20:00:00',
      inactive_time_list: [
        { startTime: '12:00:00', endTime: '13:00:00' },
        { startTime: '15:00:00', endTime: '15:30:00' },
        { startTime: '18:00:00', endTime: '18:30:00' },
      ],
      sms_alert_level: ['A', 'B'],
      wechat_condition_alert_level: ['A'],
      redial_condition: ['CALL_LOSS', 'NO_ANSWER', 'BUSY'],
      redial_times: 2,
      redial_interval_minutes: 6,
      transfer_phone_number: ['1523654789'],
      description: '备注',
      tenant_id: tenant.tenantId,
    });
  });

  it('accepts the fields flat too (as the field table lists them), but not both ways at once', async () => {
    const r = await post('create', { concurrencyQuota: 1, jobPhoneNumberIdList: [lineId], ...baseJob(), name: '平铺' });
    expect(r.code, r.resultMsg).toBe(200);
    expect((await stored(r.data.robotCallJobId)).name).toBe('平铺');
    const both = await post('create', {
      concurrencyQuota: 1,
      jobPhoneNumberIdList: [lineId],
      name: 'x',
      robotCallJob: baseJob(),
    });
    expect(both.code).toBe(412);
    expect(both.resultMsg).toContain('name');
  });

  it('without redial fields, a failed call is not redialled', async () => {
    const job = await stored(await create());
    expect(job).toMatchObject({ redial_condition: [], redial_times: 0 });
  });

  it.each([
    [{ dailyStartTime: '08:59' }, {}, 'robotCallJob.dailyStartTime'],
    [{ dailyEndTime: '20:01' }, {}, 'robotCallJob.dailyEndTime'],
    [{ dailyStartTime: '9点' }, {}, 'robotCallJob.dailyStartTime'],
    [{ dailyStartTime: '14:00', dailyEndTime: '10:00' }, {}, 'robotCallJob.dailyEndTime'],
    [
      {
        inactiveTimeList: [
          { startTime: '10:00', endTime: '10:10' },
          { startTime: '11:00', endTime: '11:10' },
          { startTime: '12:00', endTime: '12:10' },
          { startTime: '13:00', endTime: '13:10' },
        ],
      },
      {},
      'inactiveTimeList',
    ],
    [{ inactiveTimeList: [{ startTime: '13:00', endTime: '12:00' }] }, {}, 'robotCallJob.inactiveTimeList[0].endTime'],
    [{ phoneType: 'CALL_POLICY_GROUP' }, {}, 'robotCallJob.phoneType'],
    [{ phoneType: 'FAX' }, {}, 'robotCallJob.phoneType'],
    [{ mode: 'AUTO' }, {}, 'robotCallJob.startTime'],
    [{ startTime: '2030-01-02 09:00:00' }, {}, 'robotCallJob.startTime'],
    [{ redialTimes: 2 }, {}, 'robotCallJob.redialCondition'],
    [{ redialCondition: ['NO_ANSWER'], redialTimes: 2 }, {}, 'robotCallJob.redialInterval'],
    [{ redialCondition: ['NO_ANSWER'], redialTimes: 2, redialInterval: 5 }, {}, 'redialInterval'],
    [{ redialCondition: ['ANSWERED'], redialTimes: 2, redialInterval: 6 }, {}, 'robotCallJob.redialCondition'],
    [{ redialCondition: ['NO_ANSWER'], redialTimes: 11, redialInterval: 6 }, {}, 'redialTimes'],
    [{ robotCount: 201 }, {}, 'robotCount'],
    [{ name: undefined }, {}, 'robotCallJob.name'],
    [{ wechatSendMethod: 'SOMETIMES' }, {}, 'robotCallJob.wechatSendMethod'],
    [{}, { jobPhoneNumberIdList: [] }, 'jobPhoneNumberIdList'],
    [{}, { jobPhoneNumberIdList: [1, 2] }, 'jobPhoneNumberIdList'],
    [{}, { concurrencyQuota: undefined }, 'concurrencyQuota'],
  ])('refuses %j %j naming %s', async (job, top, parameter) => {
    const r = await post('create', {
      concurrencyQuota: 2,
      jobPhoneNumberIdList: [lineId],
      ...top,
      robotCallJob: { ...baseJob(), ...job },
    });
    expect(r.code, r.resultMsg).toBe(412);
    expect(r.resultMsg).toContain(parameter);
  });

  it('MOBILE: the lines are the robots; no concurrencyQuota needed', async () => {
    for (let i = 0; i < 3; i++) mobileLines.push(await tenant.phoneLine(`1380000${String(1000 + i)}`));
    const r = await post('create', {
      jobPhoneNumberIdList: mobileLines,
      robotCallJob: { ...baseJob(), phoneType: 'MOBILE', robotCount: undefined },
    });
    expect(r.code, r.resultMsg).toBe(200);
    expect((await stored(r.data.robotCallJobId)).robot_count).toBe(3);
    const tooMany = await post('create', {
      jobPhoneNumberIdList: mobileLines,
      robotCallJob: { ...baseJob(), phoneType: 'MOBILE', robotCount: 4 },
    });
    expect(tooMany.code).toBe(412);
    expect(tooMany.resultMsg).toContain('robotCallJob.robotCount');
  });

  it('another tenant’s dialog flow or line is a 404', async () => {
    const flow = await post('create', {
      concurrencyQuota: 2,
      jobPhoneNumberIdList: [lineId],
      robotCallJob: { ...baseJob(), dialogFlowId: other.flowId },
    });
    expect(flow.code).toBe(404);
    const line = await post(
      'create',
      { concurrencyQuota: 2, jobPhoneNumberIdList: [lineId], robotCallJob: baseJob() },
      other,
    );
    expect([404, 412]).toContain(line.code);
    expect(line.code).toBe(404);
  });
});

describe('job/modify (PATCH)', () => {
  it('changes only the fields sent; the others stay', async () => {
    const jobId = await create({
      description: '原备注',
      inactiveTimeList: [{ startTime: '12:00', endTime: '13:00' }],
      redialCondition: ['NO_ANSWER'],
      redialTimes: 1,
      redialInterval: 30,
    });
    const before = await stored(jobId);
    const r = await patch({ robotCallJob: { robotCallJobId: jobId, name: '新名字', robotCount: 7 } });
    expect(r.code, r.resultMsg).toBe(200);
    expect(r.data).toEqual({ robotCallJobId: jobId });
    const after = await stored(jobId);
    expect(after).toEqual({ ...before, name: '新名字', robot_count: 7, last_modified_at: after.last_modified_at });
  });

  it('takes robotCallJobId at the top too, and changes lines, windows and redial', async () => {
    const line2 = await tenant.phoneLine('02588880002');
    const jobId = await create();
    const r = await patch({
      robotCallJobId: jobId,
      jobPhoneNumberIdList: [line2],
      robotCallJob: {
        inactiveTimeList: [
          { startTime: '10:00', endTime: '10:30' },
          { startTime: '14:00', endTime: '14:30' },
        ],
        redialCondition: ['BUSY'],
        dailyEndTime: '19:00',
      },
    });
    expect(r.code, r.resultMsg).toBe(200);
    const job = await stored(jobId);
    expect(job.inactive_time_list).toEqual([
      { startTime: '10:00:00', endTime: '10:30:00' },
      { startTime: '14:00:00', endTime: '14:30:00' },
    ]);
    expect(job.redial_condition).toEqual(['BUSY']);
    expect(job.daily_end_time).toBe('19:00:00');
    const detail = await client().job.getJobDetail(jobId);
    expect(detail.jobPhoneNumberList.map((l: { tenantPhoneNumberId: number }) => l.tenantPhoneNumberId)).toEqual([
      line2,
    ]);
  });

  it('refuses, per status, the fields it cannot change — naming the field — and changes nothing', async () => {
    const running = await create();
    await importNumbers(running, phones(1));
    expect((await post('start', { robotCallJobId: running })).code).toBe(200);
    const before = await stored(running);
    const otherFlow = await tenant.flow('另一个话术');
    const otherLine = await tenant.phoneLine('02588880009');
    for (const field of ['dialogFlowId', 'phoneType'] as const) {
      const value = field === 'dialogFlowId' ? otherFlow : 'UNFIXED_CALL';
      const r = await patch({ robotCallJob: { robotCallJobId: running, name: '不会改', [field]: value } });
      expect(r.code).toBe(412);
      expect(r.resultMsg).toContain(`robotCallJob.${field}`);
    }
    const lines = await patch({ robotCallJobId: running, jobPhoneNumberIdList: [otherLine] });
    expect(lines.resultMsg).toContain('jobPhoneNumberIdList');
    expect(await stored(running)).toEqual(before);
    // A running job changes its name, robots, alerts and calling hours.
    const ok = await patch({
      robotCallJob: {
        robotCallJobId: running,
        name: '运行中改名',
        robotCount: 9,
        dailyStartTime: '10:00',
        smsAlertLevel: ['A'],
      },
    });
    expect(ok.code, ok.resultMsg).toBe(200);
    expect(await stored(running)).toMatchObject({ name: '运行中改名', robot_count: 9, daily_start_time: '10:00:00' });

    // A stopped job changes nothing but its name and description.
    expect((await post('stop', { robotCallJobId: running })).code).toBe(200);
    const stopped = await patch({ robotCallJob: { robotCallJobId: running, robotCount: 2 } });
    expect(stopped.code).toBe(412);
    expect(stopped.resultMsg).toContain('robotCallJob.robotCount');
    const renamed = await patch({ robotCallJob: { robotCallJobId: running, name: '终止后改名', description: 'd' } });
    expect(renamed.code, renamed.resultMsg).toBe(200);

    // Mode and start time only before the job has customers.
    const runnable = await create();
    await importNumbers(runnable, phones(1));
    const mode = await patch({ robotCallJob: { robotCallJobId: runnable, mode: 'AUTO', startTime: '2030-01-01' } });
    expect(mode.code).toBe(412);
    expect(mode.resultMsg).toContain('robotCallJob.mode');
  });

  it('takes a field sent with its stored value as no change: a client sends back the object it read', async () => {
    const jobId = await create({ mode: 'AUTO', startTime: '2030-01-02 09:00:00' });
    await importNumbers(jobId, phones(1));
    expect((await post('start', { robotCallJobId: jobId })).code).toBe(200);
    const read = await client().job.getJobDetail(jobId);
    const before = await stored(jobId);
    // What getJobDetail answered, sent back with a new name: mode, start time, flow, type, lines unchanged.
    const r = await patch({
      jobPhoneNumberIdList: read.jobPhoneNumberList.map((l: { tenantPhoneNumberId: number }) => l.tenantPhoneNumberId),
      concurrencyQuota: 2,
      robotCallJob: { ...read.robotCallJob, name: '改名而已', robotCallJobId: jobId },
    });
    expect(r.code, r.resultMsg).toBe(200);
    const after = await stored(jobId);
    expect(after).toEqual({ ...before, name: '改名而已', last_modified_at: after.last_modified_at });
    // The same object with a mode that does differ is refused, naming it.
    const changed = await patch({ robotCallJob: { robotCallJobId: jobId, name: 'x', mode: 'MANUAL' } });
    expect(changed.code).toBe(412);
    expect(changed.resultMsg).toContain('robotCallJob.mode');
  });

  it('judges a PATCH by what it changes, and a null leaves its field as it is', async () => {
    const jobId = await create({ description: '原备注', smsAlertLevel: ['A'] });
    // A stored job the current rules would refuse (an AUTO job without a start time, as older data may hold).
    await server.database.db.updateTable('robot_call_job').set({ mode: 'AUTO' }).where('id', '=', jobId).execute();
    const r = await patch({ robotCallJob: { robotCallJobId: jobId, name: '只改名字', description: '新备注' } });
    expect(r.code, r.resultMsg).toBe(200);
    const before = await stored(jobId);
    const nulls = await patch({
      robotCallJobId: jobId,
      concurrencyQuota: null,
      jobPhoneNumberIdList: null,
      robotCallJob: { name: null, description: null, robotCount: null, smsAlertLevel: null, startTime: null },
    });
    expect(nulls.code, nulls.resultMsg).toBe(200);
    const after = await stored(jobId);
    expect(after).toEqual({ ...before, last_modified_at: after.last_modified_at });
    // Clearing is done with an empty string or list.
    const cleared = await patch({ robotCallJob: { robotCallJobId: jobId, description: '', smsAlertLevel: [] } });
    expect(cleared.code, cleared.resultMsg).toBe(200);
    expect(await stored(jobId)).toMatchObject({ description: '', sms_alert_level: [] });
  });

  it('keeps the merged job coherent and the later limits on what is sent', async () => {
    const jobId = await create();
    for (const [job, parameter] of [
      [{ dailyStartTime: '21:00' }, 'robotCallJob.dailyStartTime'],
      [{ dailyStartTime: '08:00' }, 'robotCallJob.dailyStartTime'],
      [{ mode: 'AUTO' }, 'robotCallJob.startTime'],
    ] as const) {
      const r = await patch({ robotCallJob: { robotCallJobId: jobId, ...job } });
      expect(r.code, JSON.stringify(job)).toBe(412);
      expect(r.resultMsg).toContain(parameter);
    }
    const noId = await patch({ robotCallJob: { name: 'x' } });
    expect(noId.code).toBe(412);
    expect(noId.resultMsg).toContain('robotCallJobId');
  });
});

describe('job/start, pause, stop, delete', () => {
  it('runs the lifecycle; start resumes a paused job; digit strings are accepted', async () => {
    const jobId = await create();
    const empty = await post('start', { robotCallJobId: String(jobId) });
    expect(empty.code).toBe(412);
    await importNumbers(jobId, phones(2));
    expect((await post('start', { robotCallJobId: String(jobId) })).data.status).toBe('IN_PROCESS');
    expect((await post('pause', { robotCallJobId: jobId })).data.status).toBe('USER_PAUSE');
    expect((await post('start', { robotCallJobId: jobId })).data.status).toBe('IN_PROCESS');
    const deleteRunning = await post('delete', { robotCallJobId: String(jobId) });
    expect(deleteRunning.code).toBe(412);
    expect((await post('stop', { robotCallJobId: jobId })).data.status).toBe('TERMINATE');
    expect((await post('start', { robotCallJobId: jobId })).code).toBe(412);
    const deleted = await post('delete', { robotCallJobId: String(jobId) });
    expect(deleted.data).toEqual({ robotCallJobId: jobId, deleted: true });
    expect((await post('start', { robotCallJobId: jobId })).code).toBe(404);
  });
});

describe('job/importCustomer', () => {
  it('adds customers with per-row results', async () => {
    const jobId = await create();
    const [a, b] = phones(2);
    const r = await post('importCustomer', {
      robotCallJobId: jobId,
      customerPersons: [
        { name: '甲', phoneNumber: a, properties: { 欠款金额: '10.13' } },
        { name: '乙', phoneNumber: 'not a number' },
        { name: '丙', phoneNumber: b },
        { name: '丁', phoneNumber: a },
      ],
    });
    expect(r.code, r.resultMsg).toBe(200);
    expect(r.data).toMatchObject({ robotCallJobId: jobId, status: 'RUNNABLE', taskCallTotal: 2 });
    expect(r.data.accepted.map((x: { index: number }) => x.index)).toEqual([0, 2]);
    expect(r.data.rejected.map((x: { index: number }) => x.index)).toEqual([1, 3]);
  });

  it('takes at most 100 per call, where the 2018 importTaskCustomer takes 1,000', async () => {
    const jobId = await create();
    const many = (n: number) => phones(n).map((phoneNumber) => ({ phoneNumber }));
    const later = await post('importCustomer', { robotCallJobId: jobId, customerPersons: many(101) });
    expect(later.code).toBe(412);
    expect(later.resultMsg).toContain('customerPersons');
    expect((await post('importCustomer', { robotCallJobId: jobId, customerPersons: many(100) })).code).toBe(200);
    const t2018 = (body: unknown) =>
      call(server, tenant.credentials, 'POST', '/apiOpen/v1/task/importTaskCustomer', body);
    expect((await t2018({ robotCallJobId: jobId, customers: many(1000) })).code).toBe(200);
    const over = await t2018({ robotCallJobId: jobId, customers: many(1001) });
    expect(over.code).toBe(412);
    expect(over.resultMsg).toContain('customers');
  });
});

describe('job/updateAiCount', () => {
  it('sets the robots the dialer uses, 1–200, unless the job is finished', async () => {
    const jobId = await create();
    const r = await post('updateAiCount', { robotCallJobId: jobId, robotCount: 12 });
    expect(r.code, r.resultMsg).toBe(200);
    expect((await stored(jobId)).robot_count).toBe(12);
    for (const robotCount of [0, 201]) {
      const bad = await post('updateAiCount', { robotCallJobId: jobId, robotCount });
      expect(bad.code).toBe(412);
      expect(bad.resultMsg).toContain('robotCount');
    }
    await post('stop', { robotCallJobId: jobId });
    const stopped = await post('updateAiCount', { robotCallJobId: jobId, robotCount: 3 });
    expect(stopped.code).toBe(412);
    expect(stopped.resultMsg).toContain('robotCount');
  });
});

describe('job/reAddCustomerToJob', () => {
  it('re-adds called customers matching the filters; skips waiting, unmatched and do-not-call ones', async () => {
    const source = await tenant.job({ name: '来源任务' });
    const called = await Promise.all([0, 1, 2, 3].map(() => tenant.customer()));
    const neverCalled = await tenant.customer();
    const { jobId: sourceJob, taskOf } = await tenant.job({ customers: called.map((c) => c.id) });
    expect(source.jobId).toBeGreaterThan(0);
    await tenant.call(finishedCall({ jobId: sourceJob, task: taskOf.get(called[0]!.id)!, result: 'NO_ANSWER' }));
    await tenant.call(
      finishedCall({ jobId: sourceJob, task: taskOf.get(called[1]!.id)!, result: 'ANSWERED', intent: 'A' }),
    );
    await tenant.call(finishedCall({ jobId: sourceJob, task: taskOf.get(called[2]!.id)!, result: 'BUSY' }));
    await tenant.call(finishedCall({ jobId: sourceJob, task: taskOf.get(called[3]!.id)!, result: 'NO_ANSWER' }));
    await addToDoNotCallList(server.database, tenant.tenantId, { phoneNumbers: [called[3]!.phone] }, 'test');

    const target = await create();
    await importNumbers(target, [called[2]!.phone]); // already waiting in the target job
    const r = await post('reAddCustomerToJob', {
      robotCallJobId: target,
      customerPersonIds: [...called.map((c) => c.id), neverCalled.id],
      resultStatuses: ['NO_ANSWER', 'BUSY', 'CALL_LOSS'],
    });
    expect(r.code, r.resultMsg).toBe(200);
    expect(r.data.added.map((a: { customerPersonId: number }) => a.customerPersonId)).toEqual([called[0]!.id]);
    expect(r.data.addedCount).toBe(1);
    expect(r.data.taskCallTotal).toBe(2);
    expect(r.data.skipped).toEqual(
      [
        { customerPersonId: called[1]!.id, reason: 'no call record matching the filters' },
        { customerPersonId: called[2]!.id, reason: 'already waiting to be dialled in this job' },
        { customerPersonId: called[3]!.id, reason: 'on the do-not-call list' },
        { customerPersonId: neverCalled.id, reason: 'no call record matching the filters' },
      ].sort((a, b) => a.customerPersonId - b.customerPersonId),
    );
    expect((await stored(target)).task_call_total).toBe(2);

    // Sent again: now waiting, not added twice.
    const again = await post('reAddCustomerToJob', { robotCallJobId: target, customerPersonIds: [called[0]!.id] });
    expect(again.data.addedCount).toBe(0);
    expect(again.data.skipped[0].reason).toBe('already waiting to be dialled in this job');

    // Filters on values outcall never stores match nothing; intent levels and lastCallRecord filter.
    const none = await post('reAddCustomerToJob', {
      robotCallJobId: target,
      customerPersonIds: [called[1]!.id],
      followStatus: 'CLUE',
    });
    expect(none.data.addedCount).toBe(0);
    const byLevel = await post('reAddCustomerToJob', {
      robotCallJobId: target,
      customerPersonIds: [called[1]!.id],
      intentLevels: ['A'],
      lastCallRecord: true,
      followStatus: 'AI_INITIAL_VISIT',
      dialogFlowId: tenant.flowId,
      earliestCreationTime: '2024-05-01',
      latestCreationTime: '2024-05-01',
      searchWords: called[1]!.phone.slice(3),
    });
    expect(byLevel.data.addedCount).toBe(1);
  });

  it('dials a customer finished in this very job again: the task is due again and counted as unfinished', async () => {
    const c = await tenant.customer();
    const { jobId, taskOf } = await tenant.job({ customers: [c.id], status: 'USER_PAUSE' });
    await tenant.call(finishedCall({ jobId, task: taskOf.get(c.id)!, result: 'ANSWERED' }));
    expect((await stored(jobId)).completed_task).toBe(1);
    const r = await post('reAddCustomerToJob', { robotCallJobId: jobId, customerPersonIds: [c.id] });
    expect(r.data.added).toEqual([
      { customerPersonId: c.id, phoneNumber: c.phone, robotCallTaskId: taskOf.get(c.id)!.id, reopened: true },
    ]);
    expect(await stored(jobId)).toMatchObject({ completed_task: 0, task_call_total: 1 });
    const [task] = await listCallTasks(server.database, tenant.tenantId, jobId);
    expect(task).toMatchObject({ status: 'NOT_STARTED', next_attempt_at: null });
  });

  it('a re-added customer’s task starts a new round: the job’s redials count again from there', async () => {
    const c = await tenant.customer();
    const { jobId, taskOf } = await tenant.job({ customers: [c.id], status: 'USER_PAUSE', redialTimes: 1 });
    const task = taskOf.get(c.id)!;
    const noAnswer = (minute: number) =>
      tenant.call(finishedCall({ jobId, task, result: 'NO_ANSWER', at: T0 + minute * 60_000 }));
    const state = async () => (await listCallTasks(server.database, tenant.tenantId, jobId))[0]!;
    // First round: the first dial and its one redial, then the task is finished.
    await noAnswer(0);
    expect((await state()).status).toBe('REDIAL_WAITING');
    await noAnswer(10);
    expect(await state()).toMatchObject({ status: 'FINISHED', attempts: 2 });

    const r = await post('reAddCustomerToJob', { robotCallJobId: jobId, customerPersonIds: [c.id] });
    expect(r.data.added).toEqual([expect.objectContaining({ robotCallTaskId: task.id, reopened: true })]);
    // Second round: the re-added dial fails and waits for its redial, as a first dial would…
    await noAnswer(60);
    expect(await state()).toMatchObject({ status: 'REDIAL_WAITING', attempts: 3 });
    // …and the round's one redial finishes it.
    await noAnswer(70);
    expect(await state()).toMatchObject({ status: 'FINISHED', attempts: 4 });
    expect((await stored(jobId)).completed_task).toBe(1);
  });

  it.each([
    [{ customerPersonIds: [] }, 'customerPersonIds'],
    [{ customerPersonIds: Array.from({ length: 1001 }, (_, i) => i + 1) }, 'customerPersonIds'],
    [{ resultStatuses: ['MAYBE'] }, 'resultStatuses[0]'],
    [{ followStatus: 'SOMETIMES' }, 'followStatus'],
    [{ earliestCreationTime: '2024-13-01' }, 'earliestCreationTime'],
    [{ earliestCreationTime: '2024-05-02', latestCreationTime: '2024-05-01' }, 'latestCreationTime'],
  ])('refuses %j naming %s', async (body, parameter) => {
    const jobId = await create();
    const r = await post('reAddCustomerToJob', { robotCallJobId: jobId, customerPersonIds: [1], ...body });
    expect(r.code, r.resultMsg).toBe(412);
    expect(r.resultMsg).toContain(parameter);
  });
});

describe('job/checkAll and job/executeJobs', () => {
  it('sorts the jobs selected into executable and not, with incremental stats, then applies the operation', async () => {
    const customers = await Promise.all([0, 1, 2].map(() => tenant.customer()));
    const running = await tenant.job({ name: '批量甲', customers: customers.map((c) => c.id) });
    await tenant.call(finishedCall({ jobId: running.jobId, task: running.taskOf.get(customers[0]!.id)!, intent: 'A' }));
    await tenant.call(finishedCall({ jobId: running.jobId, task: running.taskOf.get(customers[1]!.id)!, intent: 'C' }));
    await tenant.call(
      finishedCall({ jobId: running.jobId, task: running.taskOf.get(customers[2]!.id)!, result: 'NO_ANSWER' }),
    );
    const paused = await tenant.job({
      name: '批量乙',
      status: 'USER_PAUSE',
      customers: [(await tenant.customer()).id],
    });
    const done = await tenant.job({ name: '批量丙', status: 'COMPLETED' });
    const foreign = await other.job({ name: '批量外' });
    const ids = [running.jobId, paused.jobId, done.jobId, foreign.jobId];

    const pause = await post('checkAll', { operation: 'PAUSE', robotCallJobIdSet: ids });
    expect(pause.code, pause.resultMsg).toBe(200);
    expect(pause.data.executable.map((j: { robotCallJobId: number }) => j.robotCallJobId)).toEqual([running.jobId]);
    expect(pause.data.executable[0]).toMatchObject({
      robotCallJobName: '批量甲',
      status: 'IN_PROCESS',
      createTime: '2024-05-01 10:00:00',
      createUserName: '王经理',
      hangUpType: null,
      statsInfo: { robotCallJobId: running.jobId, completedTask: 3, totalTask: 3, answeredTask: 2, ablevelCustomer: 1 },
    });
    expect(pause.data.unexecutable.map((j: { robotCallJobId: number }) => j.robotCallJobId)).toEqual([
      paused.jobId,
      done.jobId,
    ]);
    expect(pause.data.unexecutable[0].msg).toContain('USER_PAUSE');

    const start = await post('checkAll', {
      operation: 'START',
      robotCallJobIdSet: ids,
      statusSet: ['USER_PAUSE', 'COMPLETED', 'SYSTEM_HANG_UP'],
      name: '批量',
      beginCreateDate: '2024-05-01',
      endCreateDate: '2024-05-01',
    });
    expect(start.data.executable.map((j: { robotCallJobId: number }) => j.robotCallJobId)).toEqual([paused.jobId]);
    expect(start.data.unexecutable.map((j: { robotCallJobId: number }) => j.robotCallJobId)).toEqual([done.jobId]);
    const later = await post('checkAll', { operation: 'STOP', robotCallJobIdSet: ids, beginCreateDate: '2024-05-02' });
    expect(later.data).toEqual({ executable: [], unexecutable: [] });

    const run = await post('executeJobs', {
      operation: 'START',
      executable: [...start.data.executable, { robotCallJobId: done.jobId, robotCallJobName: '批量丙' }],
    });
    expect(run.code, run.resultMsg).toBe(200);
    expect(run.data).toEqual([
      { robotCallJobId: paused.jobId, robotCallJobName: '批量乙', done: true, status: 'IN_PROCESS', msg: '' },
      {
        robotCallJobId: done.jobId,
        robotCallJobName: '批量丙',
        done: false,
        status: 'COMPLETED',
        msg: expect.stringContaining('COMPLETED'),
      },
    ]);
    const stop = await post('executeJobs', { operation: 'STOP', executable: [{ robotCallJobId: running.jobId }] });
    expect(stop.data[0]).toMatchObject({ done: true, status: 'TERMINATE' });
  });

  it.each([
    ['checkAll', { operation: 'RESUME', robotCallJobIdSet: [1] }, 'operation'],
    ['checkAll', { operation: 'PAUSE', robotCallJobIdSet: [] }, 'robotCallJobIdSet'],
    ['checkAll', { operation: 'PAUSE', robotCallJobIdSet: [1], statusSet: ['NAPPING'] }, 'statusSet[0]'],
    ['checkAll', { operation: 'PAUSE', robotCallJobIdSet: [1], beginCreateDate: '2024-5-1' }, 'beginCreateDate'],
    ['executeJobs', { operation: 'PAUSE', executable: [] }, 'executable'],
    [
      'executeJobs',
      { operation: 'PAUSE', executable: Array.from({ length: 1001 }, (_, i) => ({ robotCallJobId: i + 1 })) },
      'executable',
    ],
  ])('%s refuses %j naming %s', async (path, body, parameter) => {
    const r = await post(path, body);
    expect(r.code, r.resultMsg).toBe(412);
    expect(r.resultMsg).toContain(parameter);
  });
});

describe('isolation: another tenant’s job', () => {
  it('is a 404 for every operation, and stays unchanged', async () => {
    const c = await other.customer();
    const { jobId } = await other.job({ status: 'USER_PAUSE', customers: [c.id] });
    const before = await stored(jobId, other);
    const attempts: [string, unknown][] = [
      ['start', { robotCallJobId: jobId }],
      ['pause', { robotCallJobId: jobId }],
      ['stop', { robotCallJobId: jobId }],
      ['delete', { robotCallJobId: jobId }],
      ['importCustomer', { robotCallJobId: jobId, customerPersons: [{ phoneNumber: phones(1)[0] }] }],
      ['updateAiCount', { robotCallJobId: jobId, robotCount: 9 }],
      ['reAddCustomerToJob', { robotCallJobId: jobId, customerPersonIds: [c.id] }],
      ['executeJobs', { operation: 'START', executable: [{ robotCallJobId: jobId }] }],
    ];
    for (const [path, body] of attempts) {
      const r = await post(path, body);
      expect(r.code, path).toBe(404);
    }
    const modify = await patch({ robotCallJob: { robotCallJobId: jobId, name: '偷改' } });
    expect(modify.code).toBe(404);
    const check = await post('checkAll', { operation: 'START', robotCallJobIdSet: [jobId] });
    expect(check.data).toEqual({ executable: [], unexecutable: [] });
    expect(await stored(jobId, other)).toEqual(before);
  });
});

describe('stored meaning', () => {
  it('the write path honours the job’s redial condition', async () => {
    const jobId = await create({ redialCondition: ['BUSY'], redialTimes: 2, redialInterval: 10 });
    const [busy, noAnswer] = phones(2);
    await importNumbers(jobId, [busy!, noAnswer!]);
    const tasks = await listCallTasks(server.database, tenant.tenantId, jobId);
    const taskOf = (p: string) => tasks.find((t) => t.called_phone_number === p)!;
    await tenant.call(finishedCall({ jobId, task: { id: taskOf(busy!).id, phone: busy! }, result: 'BUSY' }));
    await tenant.call(
      finishedCall({ jobId, task: { id: taskOf(noAnswer!).id, phone: noAnswer! }, result: 'NO_ANSWER' }),
    );
    const after = await listCallTasks(server.database, tenant.tenantId, jobId);
    expect(after.find((t) => t.called_phone_number === busy)!.status).toBe('REDIAL_WAITING');
    expect(after.find((t) => t.called_phone_number === noAnswer)!.status).toBe('FINISHED');
  });

  it('a 2018 job redials every failed result, as before', async () => {
    const r = await call(server, tenant.credentials, 'POST', '/apiOpen/v1/task/create', {
      name: '2018任务',
      dialogFlowId: tenant.flowId,
      redialTimes: 1,
      inactiveStartTime: '12:00',
      inactiveEndTime: '13:30',
    });
    const job = await stored(r.data.robotCallJobId);
    expect(job.redial_condition).toHaveLength(9);
    expect(job.inactive_time_list).toEqual([{ startTime: '12:00:00', endTime: '13:30:00' }]);
    const detail = (await getTaskDetail(server, tenant.credentials, job.id)).data.robotCallJob;
    expect(detail).toMatchObject({ inactiveStartTime: '12:00:00', inactiveEndTime: '13:30:00' });
  });

  it('the 2018 getTaskDetail answers a later job’s first window', async () => {
    const jobId = await create({
      inactiveTimeList: [
        { startTime: '12:00', endTime: '13:00' },
        { startTime: '17:00', endTime: '17:30' },
      ],
    });
    const detail = (await getTaskDetail(server, tenant.credentials, jobId)).data.robotCallJob;
    expect(detail).toMatchObject({ inactiveStartTime: '12:00:00', inactiveEndTime: '13:00:00' });
  });

  it('the calling hours honour all three stored windows', async () => {
    const jobId = await create({
      inactiveTimeList: [
        { startTime: '12:00', endTime: '13:00' },
        { startTime: '15:00', endTime: '15:30' },
        { startTime: '18:00', endTime: '18:30' },
      ],
    });
    const job = await stored(jobId);
    const hours = {
      dailyStartTime: job.daily_start_time,
      dailyEndTime: job.daily_end_time,
      inactiveTimeList: job.inactive_time_list,
    };
    const at = (hhmm: string) => Date.UTC(2024, 4, 1, Number(hhmm.slice(0, 2)) - 8, Number(hhmm.slice(3)));
    expect(
      ['11:00', '12:30', '14:00', '15:10', '16:00', '18:10', '19:00'].map((t) =>
        isWithinCallingHours(hours, at(t), 'Asia/Shanghai'),
      ),
    ).toEqual([true, false, true, false, true, false, true]);
  });
});

describe('SDK: client.job operations', () => {
  it('creates, modifies, imports and starts through the typed methods', async () => {
    const job = client().job;
    const { robotCallJobId } = await job.create({
      concurrencyQuota: 1,
      jobPhoneNumberIdList: [lineId],
      robotCallJob: { ...baseJob(), name: 'SDK任务' },
    });
    await job.modify({ robotCallJob: { robotCallJobId, description: 'SDK改' } });
    const imported = await job.importCustomer({ robotCallJobId, customerPersons: [{ phoneNumber: phones(1)[0]! }] });
    expect(imported.accepted).toHaveLength(1);
    expect((await job.start(robotCallJobId)).status).toBe('IN_PROCESS');
    expect((await job.updateAiCount(robotCallJobId, 4)).robotCallJobId).toBe(robotCallJobId);
    const checked = await job.checkAll({ operation: 'PAUSE', robotCallJobIdSet: [robotCallJobId] });
    expect(checked.executable).toHaveLength(1);
    const results = await job.executeJobs({ operation: 'PAUSE', executable: checked.executable });
    expect(results[0]!.done).toBe(true);
    expect((await stored(robotCallJobId)).description).toBe('SDK改');
    await expect(job.stop(robotCallJobId + 100_000)).rejects.toBeInstanceOf(OutcallError);
  });
});
