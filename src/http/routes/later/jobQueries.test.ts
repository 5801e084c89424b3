// biome-ignore-all lint/suspicious/noTemplateCurlyInString: ${name} is how the platform writes a variable, not a template slip
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { finishedCall, T0, TenantFixture } from '../../../../test/fixtures.js';
import { allCallRecords, call, getTasks, startTestServer, type TestServer } from '../../../../test/harness.js';
import { recomputeStats } from '../../../../test/recompute.js';
import type { ClientCredentials } from '../../../client/signing.js';
import { DEFAULT_DIALOG_FLOW } from '../../../domain/dialogFlow.js';
import { IntentLevel, JobStatus, LaterJobStatus, ResultStatus } from '../../../domain/enums.js';
import { insertDialogFlow } from '../../../repositories/referenceData.js';

/*
 * The later API's job queries (docs/later/jobs-queries.md): job/getJobs, getJobDetail, getJobStats,
 * getJobProperties and getJobStatsInfoList, over the same jobs and statistics as the 2018 paths.
 */

let server: TestServer;
let tenant: TenantFixture;
let other: TenantFixture;
const HOUR = 3_600_000;
const DAY2 = T0 + 24 * HOUR;

const get = (c: ClientCredentials, fn: string, query = '') => call(server, c, 'GET', `/apiOpen/v1/job/${fn}${query}`);
const getJobs = (c: ClientCredentials, query = '') => get(c, 'getJobs', query);
const byId = (fn: string, c: ClientCredentials, id: number | string) => get(c, fn, `?robotCallJobId=${id}`);
const statsInfo = (c: ClientCredentials, body: unknown) =>
  call(server, c, 'POST', '/apiOpen/v1/job/getJobStatsInfoList', body);

const STORED = JobStatus.names;
/** The listing's jobs: 20 an hour apart, job k in status k % 8, two names with wildcards. */
const listed: { id: number; name: string; status: string; createdAt: number }[] = [];
let statsJob: number;
let tagId: number;
let detailIds: number[];

async function tagGroup(t: TenantFixture, name: string, names: string[]): Promise<{ tagId: number; ids: number[] }> {
  const db = server.database.db;
  const { id } = await db
    .insertInto('intent_level_tag')
    .values({ tenant_id: t.tenantId, name, created_at: T0 })
    .returning('id')
    .executeTakeFirstOrThrow();
  const ids: number[] = [];
  for (const [code, n] of names.entries()) {
    const row = await db
      .insertInto('intent_level_tag_detail')
      .values({ tenant_id: t.tenantId, intent_level_tag_id: id, code, name: n })
      .returning('id')
      .executeTakeFirstOrThrow();
    ids.push(row.id);
  }
  return { tagId: id, ids };
}

beforeAll(async () => {
  server = await startTestServer();
  tenant = await TenantFixture.create(server.database);
  other = await TenantFixture.create(server.database);
  const customers = [await tenant.customer(), await tenant.customer()];
  for (let k = 0; k < 20; k++) {
    const name = k === 3 ? '100%_达标 推广' : `推广任务${k}`;
    const status = STORED[k % 8]!;
    const createdAt = T0 + Math.min(k, 18) * HOUR;
    const { jobId } = await tenant.job({
      name,
      status,
      createdAt,
      customers: k === 0 ? customers.map((c) => c.id) : [],
    });
    listed.push({ id: jobId, name, status, createdAt });
  }
  await other.job({ name: '推广任务 other tenant' });

  // The statistics job: 4 call tasks, 5 real calls over two days, one training call.
  const group = await tagGroup(tenant, '任务分级', ['A类', 'B类', 'C类', 'D类', 'E类', 'F类']);
  tagId = group.tagId;
  detailIds = group.ids;
  const cs = [await tenant.customer(), await tenant.customer(), await tenant.customer(), await tenant.customer()];
  const line = await tenant.phoneLine('02566660001');
  const job = await tenant.job({
    name: '统计任务',
    status: 'NOT_STARTED',
    createdAt: T0 - 48 * HOUR,
    redialTimes: 1,
    phoneLineIds: [line],
    customers: cs.map((c) => c.id),
  });
  statsJob = job.jobId;
  const task = (i: number) => job.taskOf.get(cs[i]!.id)!;
  await tenant.calls([
    finishedCall({ jobId: statsJob, task: task(0), result: 'BUSY', intent: 'E', at: T0 }),
    finishedCall({
      jobId: statsJob,
      task: task(1),
      intent: 'B',
      at: T0 + HOUR,
      duration: 5,
      rounds: 2,
      concerns: ['价格'],
    }),
    finishedCall({ jobId: statsJob, task: task(2), result: 'NO_ANSWER', intent: 'E', at: T0 + 2 * HOUR }),
    finishedCall({ jobId: statsJob, task: task(2), result: 'VACANT_NUMBER', intent: 'F', at: DAY2 - 10 * HOUR }),
    finishedCall({
      jobId: statsJob,
      task: task(0),
      intent: 'A',
      at: DAY2,
      duration: 200,
      rounds: 12,
      concerns: ['价格', '交通'],
    }),
    finishedCall({ jobId: statsJob, intent: 'A', at: T0, duration: 30, training: true, concerns: ['安全'] }),
  ]);
});
afterAll(() => server.close());

/** The listing as a plain recomputation: the tenant's jobs matching, newest first (ties: higher id). */
function expectedJobs(filter: { name?: string; status?: string }) {
  return listed
    .filter(
      (j) =>
        (filter.name === undefined || j.name.includes(filter.name)) && (!filter.status || j.status === filter.status),
    )
    .sort((a, b) => b.createdAt - a.createdAt || b.id - a.id)
    .map((j) => j.id);
}

describe('job/getJobs', () => {
  it('lists the tenant’s jobs newest first, 20 to a page, in the later field names', async () => {
    const r = await getJobs(tenant.credentials, '?pageSize=5');
    expect(r.code).toBe(200);
    expect(r.resultMsg).toBe('获取成功');
    expect(r.data).toMatchObject({ number: 1, pageSize: 5, totalElements: 21, pages: 5 });
    const first = (await getJobs(tenant.credentials)).data;
    expect(first).toMatchObject({ number: 1, pageSize: 20, totalElements: 21, pages: 2 });
    const oldest = (await getJobs(tenant.credentials, '?pageNum=2')).data.content;
    // The statistics job was made two days earlier than the rest.
    expect(oldest.at(-1).name).toBe('统计任务');
    const job0 = (await getJobs(tenant.credentials, `?name=${encodeURIComponent('推广任务0')}`)).data.content;
    expect(job0).toEqual([
      {
        robotCallJobId: listed[0]!.id,
        name: '推广任务0',
        status: 'NOT_STARTED',
        completedTask: 0,
        taskCallTotal: 2,
        createTime: '2024-05-01 10:00',
        createdByUserName: '王经理',
        organizationName: '销售部',
      },
    ]);
  });

  it('filters by a substring of the name (% and _ literal) and by status, alone and combined', async () => {
    const names = [undefined, '任务1', '100%_', '%', '推广', '没有'];
    const statuses = [undefined, ...STORED];
    for (const name of names)
      for (const status of statuses) {
        const q = new URLSearchParams({ pageSize: '100', ...(name && { name }), ...(status && { status }) });
        const r = await getJobs(tenant.credentials, `?${q}`);
        const ids = r.data.content.map((j: any) => j.robotCallJobId).filter((id: number) => id !== statsJob);
        expect(ids, `name=${name} status=${status}`).toEqual(expectedJobs({ name, status }));
      }
  });

  it('takes a status as its name (any case) or its code, and answers the same', async () => {
    const byName = await getJobs(tenant.credentials, '?status=USER_PAUSE');
    expect(byName.data.totalElements).toBe(2); // jobs 4 and 12
    expect((await getJobs(tenant.credentials, '?status=4')).data).toEqual(byName.data);
    expect((await getJobs(tenant.credentials, '?status=user_pause')).data).toEqual(byName.data);
  });

  it.each(['SYSTEM_HANG_UP', '10', 'WAITING_FOR_REDIAL', '11', 'ACCOUNT_DISABLE', '12', 'MAINTAIN', '13'])(
    'accepts the later-only status %s and finds no job (the dialer never enters it)',
    async (status) => {
      const r = await getJobs(tenant.credentials, `?status=${status}&pageSize=7&pageNum=2`);
      expect(r.code).toBe(200);
      expect(r.data).toEqual({ number: 2, pageSize: 7, totalElements: 0, pages: 0, content: [] });
    },
  );

  it('serves at most 100 to a page (as task/getTasks does), and a page past the end empty', async () => {
    expect((await getJobs(tenant.credentials, '?pageSize=1000')).data).toMatchObject({ pageSize: 100, pages: 1 });
    expect((await getJobs(tenant.credentials, '?pageNum=9&pageSize=10')).data).toEqual({
      number: 9,
      pageSize: 10,
      totalElements: 21,
      pages: 3,
      content: [],
    });
  });

  it('treats an empty parameter as absent', async () => {
    expect((await getJobs(tenant.credentials, '?status=&name=&pageNum=')).data.totalElements).toBe(21);
  });

  it('never shows another tenant’s jobs', async () => {
    const mine = await getJobs(tenant.credentials, `?name=${encodeURIComponent('other tenant')}`);
    expect(mine.data.totalElements).toBe(0);
    const theirs = await getJobs(other.credentials);
    expect(theirs.data.content.map((j: any) => j.name)).toEqual(['推广任务 other tenant']);
  });

  it.each([
    ['?pageNum=0', 'pageNum'],
    ['?pageNum=abc', 'pageNum'],
    ['?pageSize=0', 'pageSize'],
    ['?pageSize=1.5', 'pageSize'],
    ['?status=DONE', 'status'],
    ['?status=8', 'status'],
    ['?status=9', 'status'],
    ['?status=14', 'status'],
    [`?name=${'x'.repeat(201)}`, 'name'],
  ])('refuses %s with 412 naming %s', async (query, parameter) => {
    const r = await getJobs(tenant.credentials, query);
    expect(r.code).toBe(412);
    expect(r.resultMsg).toMatch(new RegExp(`^参数错误: ${parameter} `));
    expect(r.data).toBeNull();
  });
});

describe('job/getJobDetail', () => {
  let detailJob: number;
  let smsId: number;
  let lineIds: number[];
  beforeAll(async () => {
    const db = server.database.db;
    lineIds = [await tenant.phoneLine('02566660101'), await tenant.phoneLine('02566660102')];
    await db
      .updateTable('phone_line')
      .set({ enabled_status: 0, concurrency_quota: 5 })
      .where('id', '=', lineIds[1]!)
      .execute();
    const { id } = await db
      .insertInto('sms_template')
      .values({ tenant_id: tenant.tenantId, name: '到访短信', content: '${姓名}您好', created_at: T0 })
      .returning('id')
      .executeTakeFirstOrThrow();
    smsId = id;
    const c = await tenant.customer();
    const job = await tenant.job({
      name: '详情任务',
      status: 'USER_PAUSE',
      phoneLineIds: lineIds,
      customers: [c.id],
      redialTimes: 2,
    });
    detailJob = job.jobId;
    await db
      .updateTable('robot_call_job')
      .set({
        sms_template_id: smsId,
        description: '秋季推广',
        wechat_alert_level: JSON.stringify(['A', 'B']),
        sms_alert_level: JSON.stringify(['A']),
        wechat_condition_alert_level: JSON.stringify(['C']),
        alert_users: JSON.stringify([{ userId: 7 }]),
        inactive_time_list: JSON.stringify([
          { startTime: '12:00:00', endTime: '13:30:00' },
          { startTime: '18:00', endTime: '18:30:15' },
        ]),
        redial_condition: JSON.stringify(['BUSY', 'NO_ANSWER']),
        redial_interval_minutes: 15,
        transfer_phone_number: JSON.stringify(['1523654789', '1758426896']),
        start_time: T0 + HOUR,
        next_start_time: '09:00:00',
        last_modified_at: T0 + 2 * HOUR,
      })
      .where('id', '=', detailJob)
      .execute();
  });

  it('shows every documented field: the job, its caller lines, transfer numbers and counters', async () => {
    const r = await byId('getJobDetail', tenant.credentials, detailJob);
    expect(r.code).toBe(200);
    expect(r.resultMsg).toBe('获取成功');
    expect(r.data).toEqual({
      robotCallJob: {
        robotCallJobId: detailJob,
        tenantId: tenant.tenantId,
        dialogFlowId: tenant.flowId,
        dialogFlowName: '默认话术',
        name: '详情任务',
        mode: 'MANUAL',
        robotCount: 5,
        smsTemplateId: smsId,
        phoneType: 'LANDLINE',
        dailyStartTime: '09:00:00',
        dailyEndTime: '20:00:00',
        inactiveTimeList: [
          { startTime: '12:00', endTime: '13:30' },
          { startTime: '18:00', endTime: '18:30:15' },
        ],
        description: '秋季推广',
        wechatAlertLevel: ['A', 'B'],
        wechatAlertLevelCode: [0, 1],
        smsAlertLevel: ['A'],
        smsAlertLevelCode: [0],
        wechatConditionAlertLevel: ['C'],
        wechatConditionAlertLevelCode: [2],
        alertUsers: [{ userId: 7 }],
        earlyWarningAlertUsers: [],
        wechatSendMethod: 'SENDTOALL',
        status: 'USER_PAUSE',
        startTime: '2024-05-01 11:00:00',
        nextStartTime: '09:00:00',
        createTime: '2024-05-01 10:00:00',
        updateTime: '2024-05-01 12:00:00',
        redialCondition: ['BUSY', 'NO_ANSWER'],
        redialInterval: 15,
        redialTimes: 2,
      },
      jobPhoneNumberList: [
        {
          tenantPhoneNumberId: lineIds[0],
          phoneNumber: '02566660101',
          phoneName: '线路0101',
          enabledStatus: 1,
          phoneType: 'LANDLINE',
          concurrencyQuota: null,
        },
        {
          tenantPhoneNumberId: lineIds[1],
          phoneNumber: '02566660102',
          phoneName: '线路0102',
          enabledStatus: 0,
          phoneType: 'LANDLINE',
          concurrencyQuota: 5,
        },
      ],
      policyGroupPhoneNumberList: [],
      transferPhoneNumber: ['1523654789', '1758426896'],
      dialogFlowName: '默认话术',
      completedTask: 0,
      taskCallTotal: 1,
    });
  });

  it('shows a job without caller lines or windows with empty lists, and null startTime before its start', async () => {
    const r = await byId('getJobDetail', tenant.credentials, listed[1]!.id);
    expect(r.data.jobPhoneNumberList).toEqual([]);
    expect(r.data.robotCallJob).toMatchObject({ inactiveTimeList: [], startTime: null });
  });

  it('agrees with task/getTaskDetail on what both show', async () => {
    const later = (await byId('getJobDetail', tenant.credentials, statsJob)).data;
    const old = (
      await call(server, tenant.credentials, 'GET', `/apiOpen/v1/task/getTaskDetail?robotCallJobId=${statsJob}`)
    ).data;
    expect(later.robotCallJob.createTime).toBe(old.robotCallJob.creationTime);
    expect(later.robotCallJob.updateTime).toBe(old.robotCallJob.lastModifiedTime);
    expect([later.completedTask, later.taskCallTotal]).toEqual([old.completedTask, old.taskCallTotal]);
    expect(later.jobPhoneNumberList.map((l: any) => l.tenantPhoneNumberId)).toEqual(
      old.jobPhoneNumberList.map((l: any) => l.phoneNumberId),
    );
  });
});

describe.each(['getJobDetail', 'getJobStats', 'getJobProperties'])('job/%s', (fn) => {
  it('does not find a job that is missing or another tenant’s, in the same words', async () => {
    const missing = await byId(fn, tenant.credentials, 999_999);
    const foreign = await byId(fn, other.credentials, statsJob);
    expect(missing).toMatchObject({ code: 404, data: null, resultMsg: '资源未找到: robotCallJobId 999999' });
    expect(foreign).toMatchObject({ code: 404, data: null, resultMsg: `资源未找到: robotCallJobId ${statsJob}` });
  });

  it.each([[''], ['abc'], ['0'], ['-3'], ['1.5'], ['99999999999999999999']])(
    'refuses robotCallJobId=%s with 412',
    async (value) => {
      const r = await byId(fn, tenant.credentials, value);
      expect(r.code).toBe(412);
      expect(r.resultMsg).toMatch(/^参数错误: robotCallJobId /);
    },
  );
});

describe('job/getJobStats', () => {
  it('computes the statistics of docs/statistics.md, with the dialog flow’s intent-level names in both places', async () => {
    await server.database.db
      .updateTable('dialog_flow')
      .set({ intent_level_tag_id: tagId })
      .where('id', '=', tenant.flowId)
      .execute();
    const r = await byId('getJobStats', tenant.credentials, statsJob);
    expect(r.code).toBe(200);
    const names = ['A类', 'B类', 'C类', 'D类', 'E类', 'F类'];
    const details = names.map((name, code) => ({
      code,
      intentLevelTagDetailId: detailIds[code],
      intentLevelTagId: tagId,
      name,
    }));
    const days = (a: number, b: number) => [
      { date: '2024-05-01', val: a },
      { date: '2024-05-02', val: b },
    ];
    expect(r.data).toEqual({
      taskProgress: 75, // 3 of 4 call tasks finished; the fourth was never called
      answeredRate: 40,
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
        taskCallCompletedList: days(3, 2),
        answeredTaskList: days(1, 1),
        answeredTaskRateList: days(33.33, 50),
        chatDurationTotalList: days(5, 200),
        averageDurationList: days(500, 20000),
        intentLevelTagDetailList: details,
      },
      intentLevelTagDetailList: details,
    });
    // The same figures as task/getTaskDetail's callJobStatsInfo.
    const old = await call(
      server,
      tenant.credentials,
      'GET',
      `/apiOpen/v1/task/getTaskDetail?robotCallJobId=${statsJob}`,
    );
    const { intentLevelTagDetailList: _, callJobStatsBrokenLine, ...rest } = r.data;
    const { intentLevelTagDetailList: __, ...lines } = callJobStatsBrokenLine;
    expect({ ...rest, callJobStatsBrokenLine: lines }).toEqual(old.data.callJobStatsInfo);
  });

  it('reads the rollups only: no call record is read, whatever the job’s size', async () => {
    server.queries.length = 0;
    await byId('getJobStats', tenant.credentials, statsJob);
    expect(server.queries.length).toBeGreaterThan(0);
    expect(server.queries.filter((q) => /call_record|call_task/.test(q))).toEqual([]);
  });

  it('names the levels after the flow’s group, else the tenant’s first group, else none', async () => {
    const custom = await tagGroup(tenant, '客户分级', ['很好', '好', '一般', '较差', '再跟进', '不跟进']);
    const flow = await tenant.flow('分级话术');
    await server.database.db
      .updateTable('dialog_flow')
      .set({ intent_level_tag_id: custom.tagId })
      .where('id', '=', flow)
      .execute();
    const withGroup = await tenant.job({ flowId: flow });
    const s1 = (await byId('getJobStats', tenant.credentials, withGroup.jobId)).data;
    expect(s1.intentLevelTagDetailList.map((d: any) => d.name)).toEqual([
      '很好',
      '好',
      '一般',
      '较差',
      '再跟进',
      '不跟进',
    ]);
    expect(s1.intentLevelTagDetailList.every((d: any) => d.intentLevelTagId === custom.tagId)).toBe(true);

    const db = server.database.db;
    const ungrouped = await tenant.flow('无分组话术');
    await db.updateTable('dialog_flow').set({ intent_level_tag_id: null }).where('id', '=', ungrouped).execute();
    const first = await db
      .selectFrom('intent_level_tag')
      .select((eb) => eb.fn.min('id').as('id'))
      .where('tenant_id', '=', tenant.tenantId)
      .executeTakeFirstOrThrow();
    const plain = await tenant.job({ flowId: ungrouped });
    const s2 = (await byId('getJobStats', tenant.credentials, plain.jobId)).data;
    expect(s2.intentLevelTagDetailList.map((d: any) => d.intentLevelTagId)).toEqual(Array(6).fill(Number(first.id)));

    // A tenant without any group (none is made for it, or they were removed): no names.
    const bare = await TenantFixture.create(server.database);
    await db
      .updateTable('dialog_flow')
      .set({ intent_level_tag_id: null })
      .where('tenant_id', '=', bare.tenantId)
      .execute();
    await db.deleteFrom('intent_level_tag_detail').where('tenant_id', '=', bare.tenantId).execute();
    await db.deleteFrom('intent_level_tag').where('tenant_id', '=', bare.tenantId).execute();
    const s3 = (await byId('getJobStats', bare.credentials, (await bare.job()).jobId)).data;
    expect(s3.intentLevelTagDetailList).toEqual([]);
    expect(s3.callJobStatsBrokenLine.intentLevelTagDetailList).toEqual([]);
    expect(Object.keys(s3.dialResult)).toEqual(ResultStatus.names);
  });
});

describe('job/getJobProperties', () => {
  it('lists the variables of the dialog flow’s robot lines, then of the SMS template, each once', async () => {
    const db = server.database.db;
    const definition = {
      ...DEFAULT_DIALOG_FLOW.script,
      opening: '${姓名}您好，您的账单${欠款金额}元',
      pitch: ['最后还款日是${最后还款日期}', '请按时还款，${ 姓名 }'],
      // A customer's words are not the robot's: their variables are none of the job's.
      questions: [
        { concern: '金额', keywords: [], phrasings: ['我欠${客户说的}多少？'], answer: '${欠款金额}元，含${滞纳金}' },
      ],
      closings: { interested: '再见', neutral: '再见', declined: '再见', busy: '稍后联系' },
    };
    const flowId = await insertDialogFlow(server.database, {
      tenant_id: tenant.tenantId,
      name: '催收话术',
      definition,
      created_at: T0,
    });
    const { id: smsId } = await db
      .insertInto('sms_template')
      .values({ tenant_id: tenant.tenantId, name: '还款提醒', content: '${姓名}请于${还款链接}还款', created_at: T0 })
      .returning('id')
      .executeTakeFirstOrThrow();
    const { jobId } = await tenant.job({ flowId });
    await db.updateTable('robot_call_job').set({ sms_template_id: smsId }).where('id', '=', jobId).execute();
    const r = await byId('getJobProperties', tenant.credentials, jobId);
    expect(r.code).toBe(200);
    expect(r.resultMsg).toBe('获取自定义属性成功');
    expect(r.data).toEqual(['姓名', '欠款金额', '最后还款日期', '滞纳金', '还款链接']);
  });

  it('answers an empty list for a job whose flow and template use no variables', async () => {
    // The fixture's flow is the default one, which has none.
    const r = await byId('getJobProperties', tenant.credentials, statsJob);
    expect(r.data).toEqual([]);
  });
});

describe('job/getJobStatsInfoList', () => {
  const mine = () => [listed[0]!.id, statsJob];

  it('answers taskTotal and taskCompleted by job id, for a bare list of digit strings as the platform sends', async () => {
    const r = await statsInfo(tenant.credentials, mine().map(String));
    expect(r.code).toBe(200);
    expect(r.data).toEqual({
      [listed[0]!.id]: { taskTotal: 2, taskCompleted: 0 },
      [statsJob]: { taskTotal: 4, taskCompleted: 3 },
    });
  });

  it('takes numbers, {"robotCallJobId": [...]}, and a single id for the list, all alike', async () => {
    const expected = (await statsInfo(tenant.credentials, mine().map(String))).data;
    expect((await statsInfo(tenant.credentials, mine())).data).toEqual(expected);
    expect((await statsInfo(tenant.credentials, { robotCallJobId: mine() })).data).toEqual(expected);
    expect((await statsInfo(tenant.credentials, { robotCallJobId: String(statsJob) })).data).toEqual({
      [statsJob]: expected[statsJob],
    });
    expect((await statsInfo(tenant.credentials, [statsJob, statsJob, String(statsJob)])).data).toEqual({
      [statsJob]: expected[statsJob],
    });
  });

  it('leaves out ids that are not the caller’s jobs, another tenant’s exactly like a missing one', async () => {
    const foreign = (await other.job()).jobId;
    const r = await statsInfo(tenant.credentials, [statsJob, foreign, 999_999]);
    expect(r.code).toBe(200);
    expect(Object.keys(r.data)).toEqual([String(statsJob)]);
    expect((await statsInfo(tenant.credentials, [])).data).toEqual({});
  });

  it('matches the counters of job/getJobs for every job', async () => {
    const page = (await getJobs(tenant.credentials, '?pageSize=100')).data.content;
    const r = await statsInfo(
      tenant.credentials,
      page.map((j: any) => j.robotCallJobId),
    );
    for (const j of page)
      expect(r.data[j.robotCallJobId]).toEqual({ taskTotal: j.taskCallTotal, taskCompleted: j.completedTask });
  });

  it.each([
    ['101 ids', Array.from({ length: 101 }, (_, i) => i + 1), /^参数错误: robotCallJobId /],
    ['a word among the ids', [1, 'abc'], /^参数错误: robotCallJobId\[1\] /],
    ['id 0', [0], /^参数错误: robotCallJobId\[0\] /],
    ['an id past 2^53', ['99999999999999999999'], /^参数错误: robotCallJobId\[0\] /],
    ['a list inside the list', [[1]], /^参数错误: robotCallJobId\[0\] /],
    ['no list', {}, /^参数错误: robotCallJobId is required/],
    ['a bare number', '1017', /^参数错误: body /],
    ['a JSON string', '"1017"', /^参数错误: body /],
    ['null', 'null', /^参数错误: body /],
  ])('refuses %s with 412', async (_, body, message) => {
    const r = await statsInfo(tenant.credentials, body);
    expect(r.code).toBe(412);
    expect(r.resultMsg).toMatch(message);
    expect(r.data).toBeNull();
  });
});

const CONCERNS = ['价格', '地理位置', '交通', '安全', '学区', '健身'];
const callArbitrary = fc.record({
  customer: fc.nat(5),
  result: fc.constantFrom(...ResultStatus.names),
  intent: fc.constantFrom(...IntentLevel.names),
  minute: fc.integer({ min: 0, max: 3 * 24 * 60 }),
  duration: fc.integer({ min: 0, max: 400 }),
  rounds: fc.integer({ min: 0, max: 20 }),
  concerns: fc.subarray(CONCERNS, { maxLength: 3 }),
  training: fc.integer({ min: 0, max: 9 }).map((n) => n < 2),
});

describe('for any calls and filters', () => {
  it('job/getJobStats equals a recomputation from the job’s call records', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(callArbitrary, { maxLength: 30 }),
        fc.integer({ min: 0, max: 2 }),
        async (calls, redialTimes) => {
          const customers: { id: number }[] = [];
          for (let i = 0; i < 6; i++) customers.push(await tenant.customer());
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
          const stats = (await byId('getJobStats', tenant.credentials, job.jobId)).data;
          const detail = (await byId('getJobDetail', tenant.credentials, job.jobId)).data;
          const records = await allCallRecords(server, tenant.credentials, { robotCallJobId: job.jobId });
          const { intentLevelTagDetailList, callJobStatsBrokenLine, ...rest } = stats;
          const { intentLevelTagDetailList: inLine, ...lines } = callJobStatsBrokenLine;
          expect({ ...rest, callJobStatsBrokenLine: lines }).toEqual(recomputeStats(records, detail));
          expect(inLine).toEqual(intentLevelTagDetailList);
        },
      ),
      { numRuns: 20 },
    );
  });

  it('job/getJobs lists the same jobs as task/getTasks for the filters both take', async () => {
    const later = LaterJobStatus.names;
    await fc.assert(
      fc.asyncProperty(
        fc.record({
          name: fc.option(fc.constantFrom('任务', '任务1', '推广', '%', '_', '统计', 'x'), { nil: undefined }),
          status: fc.option(fc.constantFrom(...later, ...later.map((s) => String(LaterJobStatus.code(s)))), {
            nil: undefined,
          }),
          pageNum: fc.integer({ min: 1, max: 4 }),
          pageSize: fc.constantFrom(1, 5, 20, 150),
        }),
        async ({ name, status, pageNum, pageSize }) => {
          const q = new URLSearchParams({ pageNum: String(pageNum), pageSize: String(pageSize) });
          if (name) q.set('name', name);
          if (status) q.set('status', status);
          const jobs = await getJobs(tenant.credentials, `?${q}`);
          expect(jobs.code).toBe(200);
          const parsed = LaterJobStatus.parse(status);
          if (parsed !== undefined && !(JobStatus.names as readonly string[]).includes(parsed)) {
            expect(jobs.data.totalElements).toBe(0);
            return;
          }
          const tasks = await getTasks(server, tenant.credentials, `?${q}`);
          const { content, ...page } = jobs.data;
          const { content: taskContent, ...taskPage } = tasks.data;
          expect(page).toEqual(taskPage);
          expect(content).toEqual(
            taskContent.map(({ creationTime, ...j }: any) => ({ ...j, createTime: creationTime })),
          );
        },
      ),
      { numRuns: 30 },
    );
  });
});
