import type { Database } from '../../db/database.js';
import type { JobDayStats } from '../../db/schema.js';
import { DAY_COUNTERS, emptyCounters } from '../../services/jobStats.js';
import * as announcementClips from '../announcementClips.js';
import * as auditLog from '../auditLog.js';
import * as callbacks from '../callbacks.js';
import * as calledCustomers from '../calledCustomers.js';
import * as callLeases from '../callLeases.js';
import * as callRecords from '../callRecords.js';
import * as callTasks from '../callTasks.js';
import * as consoleJobs from '../consoleJobs.js';
import * as consoleSessions from '../consoleSessions.js';
import * as consoleSettings from '../consoleSettings.js';
import * as consoleUsers from '../consoleUsers.js';
import * as customers from '../customers.js';
import * as dialogFlows from '../dialogFlows.js';
import * as doNotCall from '../doNotCall.js';
import * as engineKeys from '../engineKeys.js';
import * as intentLevelTags from '../intentLevelTags.js';
import * as jobStats from '../jobStats.js';
import * as jobs from '../jobs.js';
import * as phoneLines from '../phoneLines.js';
import * as rateLimits from '../rateLimits.js';
import * as referenceData from '../referenceData.js';
import * as schedulerLease from '../schedulerLease.js';
import * as searchGrams from '../searchGrams.js';
import * as tenants from '../tenants.js';

/*
 * The example calls behind the SQL snapshots (src/repositories/queries/*.sql, written by
 * `npm run sql`, checked by queries.test.ts): every exported function of every repository module,
 * once per branch that runs different SQL. Each case runs in a transaction that is rolled back,
 * after `seed` has put one row of each kind in the empty database (so inserts meet their foreign
 * keys, and functions that read first find something); only the case's own statements are kept.
 * Arguments are fixed: the same code gives the same SQL.
 */

/** The repository modules, by file name (src/repositories/NAME.ts). */
export const REPOSITORY_MODULES = {
  auditLog,
  callLeases,
  calledCustomers,
  callbacks,
  callRecords,
  callTasks,
  consoleJobs,
  consoleSessions,
  consoleSettings,
  consoleUsers,
  customers,
  dialogFlows,
  doNotCall,
  engineKeys,
  announcementClips,
  intentLevelTags,
  jobStats,
  jobs,
  phoneLines,
  rateLimits,
  referenceData,
  schedulerLease,
  searchGrams,
  tenants,
};

export type ModuleName = keyof typeof REPOSITORY_MODULES;

/** The names of a module's exported functions. */
type FunctionName<M extends ModuleName> = {
  [K in keyof (typeof REPOSITORY_MODULES)[M]]: (typeof REPOSITORY_MODULES)[M][K] extends (...args: never[]) => unknown
    ? K
    : never;
}[keyof (typeof REPOSITORY_MODULES)[M]] &
  string;

/** The ids of the rows `seed` made. They differ between runs on PostgreSQL (sequences do not roll back): they are parameters, never part of the SQL. */
export interface Seed {
  tenantId: number;
  tenantSign: string;
  appKey: string;
  orgId: number;
  userId: number;
  flowId: number;
  intentLevelTagId: number;
  smsTemplateId: number;
  phoneLineId: number;
  groupId: number;
  customerId: number;
  customerPhone: string;
  jobId: number;
  taskId: number;
  callRecordId: number;
}

export interface QueryCase {
  module: ModuleName;
  fn: string;
  /** One line: what this case calls the function with. */
  description: string;
  run: (db: Database, seed: Seed) => Promise<unknown>;
}

type Run = QueryCase['run'];

/** 2024-05-01 10:00 in Asia/Shanghai. */
const T0 = Date.UTC(2024, 4, 1, 2, 0, 0);
const DAY = 86_400_000;
const HOUR = 3_600_000;

/** One row of each kind a query can point at, made through the repositories themselves. */
export async function seed(db: Database): Promise<Seed> {
  const tenantSign = 'snapshot';
  const appKey = 'snapshot-key';
  const tenantId = await tenants.insertTenant(db, { name: '快照公司', tenantSign, timeZone: 'Asia/Shanghai', now: T0 });
  await tenants.insertApiKey(db, tenantId, appKey, 'secret', T0);
  const base = { tenant_id: tenantId, created_at: T0 };
  const orgId = await referenceData.insertReference(db, 'organization', { ...base, name: '销售部' });
  const userId = await referenceData.insertReference(db, 'app_user', {
    ...base,
    name: '王经理',
    organization_id: orgId,
  });
  const intentLevelTagId = await intentLevelTags.insertIntentLevelTag(db, { ...base, name: '内置意向分类标签' }, [
    { code: 0, name: 'A类' },
  ]);
  const flowId = await referenceData.insertDialogFlow(db, { ...base, name: '默认话术', definition: {} });
  const smsTemplateId = await referenceData.insertReference(db, 'sms_template', {
    ...base,
    name: '短信',
    content: '您好',
  });
  const phoneLineId = await referenceData.insertReference(db, 'phone_line', {
    ...base,
    phone_number: '02100000000',
    phone_type: 'LANDLINE',
    name: '线路',
  });
  const groupId = await referenceData.insertReference(db, 'customer_group', { ...base, name: '一组' });
  const customerPhone = '13900000001';
  const customerId = await customers.insertCustomer(db, newCustomer(tenantId, groupId, userId, customerPhone));
  const jobId = await jobs.insertJob(db, newJob(tenantId, flowId, userId, orgId), [phoneLineId]);
  const [task] = await callTasks.insertCallTasks(
    db,
    tenantId,
    jobId,
    [{ customerPersonId: customerId, phoneNumber: customerPhone }],
    T0,
  );
  const record = newCallRecord(tenantId, jobId, flowId, 'seed-call', {
    taskId: task!.id,
    customerId,
    groupId,
    phone: customerPhone,
  });
  const ids = await callRecords.insertNewCallRecords(db, [record]);
  return {
    tenantId,
    tenantSign,
    appKey,
    orgId,
    userId,
    flowId,
    intentLevelTagId,
    smsTemplateId,
    phoneLineId,
    groupId,
    customerId,
    customerPhone,
    jobId,
    taskId: task!.id,
    callRecordId: ids.get('seed-call')!,
  };
}

function newCustomer(tenantId: number, groupId: number | null, userId: number, phone: string): customers.NewCustomer {
  return {
    tenant_id: tenantId,
    customer_group_id: groupId,
    name: '张伟',
    phone_number: phone,
    wechat_number: null,
    source: 'UPLOADED_BY_YOURSELF',
    last_emotion: 'UNKNOWN',
    customer_level: 'UNKNOWN',
    gender: 'UNKNOWN',
    follow_user_id: userId,
    follow_status: 'AI_INITIAL_VISIT',
    properties: { 来源: '快照' },
    attributes: [],
    last_follow_time: null,
    assign_time: T0,
    created_at: T0,
  };
}

function newJob(tenantId: number, flowId: number, userId: number, orgId: number): jobs.NewJob {
  return {
    tenant_id: tenantId,
    dialog_flow_id: flowId,
    name: '快照任务',
    mode: 'MANUAL',
    robot_count: 5,
    sms_template_id: null,
    phone_type: 'LANDLINE',
    daily_start_time: '09:00:00',
    daily_end_time: '20:00:00',
    inactive_time_list: [{ startTime: '12:00:00', endTime: '13:00:00' }],
    redial_condition: ['NO_ANSWER', 'BUSY'],
    description: null,
    wechat_alert_level: [],
    sms_alert_level: [],
    alert_users: [],
    early_warning_alert_users: [],
    wechat_send_method: 'SENDTOALL',
    status: 'IN_PROCESS',
    start_time: null,
    next_start_time: null,
    system_pause_next_start: null,
    redial_times: 2,
    created_by_user_id: userId,
    organization_id: orgId,
    created_at: T0,
    last_modified_at: T0,
  };
}

function newCallRecord(
  tenantId: number,
  jobId: number,
  flowId: number,
  key: string,
  of: { taskId: number | null; customerId: number | null; groupId: number | null; phone: string },
): callRecords.NewCallRecord {
  return {
    tenant_id: tenantId,
    job_id: jobId,
    call_task_id: of.taskId,
    customer_person_id: of.customerId,
    customer_group_id: of.groupId,
    dialog_flow_id: flowId,
    called_phone_number: of.phone,
    phone_line_id: null,
    result_status: 'ANSWERED',
    intent_level: 'B',
    real_intent_level: null,
    customer_concern: ['价格'],
    full_audio_url: null,
    customer_audio_url: null,
    analysis_basis: '',
    start_time: T0,
    end_time: T0 + 70_000,
    chat_duration: 60,
    chat_round: 4,
    manual_marked: false,
    read_status: 'NOT_READ',
    attributes: [],
    is_training: false,
    idempotency_key: key,
    created_at: T0,
  };
}

/** A call record filter with every condition but the search and the start bounds. */
const everyFilter = (s: Seed): callRecords.CallRecordFilter => ({
  jobId: s.jobId,
  training: false,
  customerGroupId: s.groupId,
  dialogFlowId: s.flowId,
  followStatus: 'FOLLOW_UP',
  resultStatuses: ['ANSWERED', 'BUSY'],
  intentLevels: ['A', 'B'],
});

/** The later API's list filters (callRecord/getCallRecordInfoList), but lastCallRecord. */
const laterFilter = (s: Seed): callRecords.CallRecordFilter => ({
  jobId: s.jobId,
  training: false,
  calledPhoneNumber: s.customerPhone,
  customerName: '张伟',
  callRecordId: s.callRecordId,
  hangupBy: 'REMOTE_HANGUP',
  manualMarked: false,
  readStatus: 'NOT_READ',
  chatDurationMin: 10,
  chatDurationMax: 120,
  customerConcerns: ['价格', '位置'],
});

const lastCallFilter = (s: Seed): callRecords.CallRecordFilter => ({
  jobId: s.jobId,
  training: false,
  lastCallRecord: true,
  resultStatuses: ['ANSWERED'],
  intentLevels: ['A', 'B'],
  chatDurationMin: 10,
  redialTimes: 0,
});

/**
 * Cases of one module, by function: the type refuses a name the module does not export. A function
 * left out is reported by queries.test.ts, not here: this file is compiled with the sources, and a
 * new query without a case must fail its test, not the build.
 */
function casesOf<M extends ModuleName>(
  module: M,
  byFunction: Partial<Record<FunctionName<M>, [description: string, run: Run][]>>,
): QueryCase[] {
  return Object.entries(byFunction as Record<string, [string, Run][]>).flatMap(([fn, list]) =>
    list.map(([description, run]) => ({ module, fn, description, run })),
  );
}

export const QUERY_CASES: QueryCase[] = [
  ...casesOf('calledCustomers', {
    findCalledCustomers: [
      ['no filter', (db, s) => calledCustomers.findCalledCustomers(db, s.tenantId, [s.customerId], {})],
      [
        'every filter, latest record only',
        (db, s) =>
          calledCustomers.findCalledCustomers(db, s.tenantId, [s.customerId], {
            lastCallRecord: true,
            searchWords: '139',
            customerGroupId: s.groupId,
            resultStatuses: ['ANSWERED', 'BUSY'],
            intentLevels: ['A', 'B'],
            followStatus: 'AI_INITIAL_VISIT',
            dialogFlowId: s.flowId,
            startFrom: T0,
            startBefore: T0 + 86_400_000,
          }),
      ],
    ],
  }),
  ...casesOf('callRecords', {
    countCallRecords: [
      [
        'the later API’s filters: counted row by row in the job’s index range',
        (db, s) => callRecords.countCallRecords(db, s.tenantId, laterFilter(s)),
      ],
      [
        'the later API’s hangupBy, readStatus and realIntent with the 2018 filters: a sum over the rollup (migration 0016)',
        (db, s) =>
          callRecords.countCallRecords(db, s.tenantId, {
            ...everyFilter(s),
            hangupBy: 'REMOTE_HANGUP',
            readStatus: 'NOT_READ',
            manualMarked: false,
          }),
      ],
      [
        'the later API’s chatDuration bounds with the rollups’ record columns: a sum over a range of call_record_duration_count (migration 0020)',
        (db, s) =>
          callRecords.countCallRecords(db, s.tenantId, {
            jobId: s.jobId,
            training: false,
            customerGroupId: s.groupId,
            dialogFlowId: s.flowId,
            resultStatuses: ['ANSWERED'],
            intentLevels: ['A', 'B'],
            hangupBy: 'REMOTE_HANGUP',
            readStatus: 'NOT_READ',
            manualMarked: false,
            chatDurationMin: 10,
            chatDurationMax: 120,
          }),
      ],
      [
        'the later API’s customerConcern with a record column: a sum over the concern sets that meet it (migration 0020)',
        (db, s) =>
          callRecords.countCallRecords(db, s.tenantId, {
            jobId: s.jobId,
            training: false,
            readStatus: 'NOT_READ',
            customerConcerns: ['价格', '位置'],
          }),
      ],
      [
        'the later API’s lastCallRecord with its filters: a sum over call_record_last_count (migration 0022)',
        (db, s) => callRecords.countCallRecords(db, s.tenantId, lastCallFilter(s)),
      ],
      [
        'lastCallRecord with start bounds: counted in call_record_job_last',
        (db, s) =>
          callRecords.countCallRecords(db, s.tenantId, {
            ...lastCallFilter(s),
            startFrom: T0,
            startBefore: T0 + 86_400_000,
          }),
      ],
      [
        'no search, no start bounds: a sum over the rollup',
        (db, s) => callRecords.countCallRecords(db, s.tenantId, { jobId: s.jobId, training: false }),
      ],
      [
        'every filter, start bounds mid-day: the rollup over whole days plus a count of each partial day',
        (db, s) =>
          callRecords.countCallRecords(db, s.tenantId, {
            ...everyFilter(s),
            startFrom: T0,
            startBefore: T0 + 3 * DAY + HOUR,
          }),
      ],
      [
        'start bounds within one UTC day: a count of the records',
        (db, s) =>
          callRecords.countCallRecords(db, s.tenantId, {
            jobId: s.jobId,
            training: false,
            startFrom: T0,
            startBefore: T0 + HOUR,
          }),
      ],
      [
        'a search of two characters alone: the numbers’ gram count plus the name matches whose number lacks it',
        (db, s) =>
          callRecords.countCallRecords(db, s.tenantId, { jobId: s.jobId, training: false, searchWords: '张伟' }),
      ],
      [
        'a search of two characters with another filter: a count testing the job’s records',
        (db, s) =>
          callRecords.countCallRecords(db, s.tenantId, {
            jobId: s.jobId,
            training: false,
            searchWords: '13',
            resultStatuses: ['ANSWERED'],
          }),
      ],
      [
        'a search of three characters or more: a count through the trigram indexes',
        (db, s) =>
          callRecords.countCallRecords(db, s.tenantId, { jobId: s.jobId, training: false, searchWords: '1390' }),
      ],
    ],
    listCallRecords: [
      [
        'no filter but the job, first page',
        (db, s) => callRecords.listCallRecords(db, s.tenantId, { jobId: s.jobId, training: false }, 20, 0),
      ],
      [
        'the later API’s filters (a number, a name, hang-up side, mark, read status, duration, concerns)',
        (db, s) => callRecords.listCallRecords(db, s.tenantId, laterFilter(s), 20, 0),
      ],
      [
        'the later API’s lastCallRecord, with results, intents, duration and redial',
        (db, s) => callRecords.listCallRecords(db, s.tenantId, lastCallFilter(s), 20, 0),
      ],
      [
        'every filter and start bounds, third page',
        (db, s) =>
          callRecords.listCallRecords(
            db,
            s.tenantId,
            { ...everyFilter(s), startFrom: T0, startBefore: T0 + DAY },
            20,
            40,
          ),
      ],
      [
        'a search of two characters',
        (db, s) =>
          callRecords.listCallRecords(db, s.tenantId, { jobId: s.jobId, training: false, searchWords: '张伟' }, 20, 0),
      ],
      [
        'a search of two characters no number contains, with its total: the name matches read',
        (db, s) =>
          callRecords.listCallRecords(
            db,
            s.tenantId,
            { jobId: s.jobId, training: false, searchWords: '张伟' },
            20,
            0,
            30,
          ),
      ],
      [
        'a search of one digit with its total: the gram count says numbers match, so the list index is walked',
        (db, s) =>
          callRecords.listCallRecords(
            db,
            s.tenantId,
            { jobId: s.jobId, training: false, searchWords: '3' },
            20,
            0,
            5000,
          ),
      ],
      [
        'a search of three characters or more, without the total: the matches read through the trigram indexes',
        (db, s) =>
          callRecords.listCallRecords(db, s.tenantId, { jobId: s.jobId, training: false, searchWords: '1390' }, 20, 0),
      ],
      [
        'a search with a total of 5000 matches: the rollup weighs walking the list index, which wins',
        (db, s) =>
          callRecords.listCallRecords(
            db,
            s.tenantId,
            { jobId: s.jobId, training: false, searchWords: '1390' },
            20,
            0,
            5000,
          ),
      ],
    ],
    listTurns: [
      ['two records', (db, s) => callRecords.listTurns(db, s.tenantId, [s.callRecordId, s.callRecordId + 1])],
    ],
    listTurnsOfRecord: [['one record', (db, s) => callRecords.listTurnsOfRecord(db, s.tenantId, s.callRecordId)]],
    findCallRecord: [['by id', (db, s) => callRecords.findCallRecord(db, s.tenantId, s.callRecordId)]],
    insertNewCallRecords: [
      [
        'two records',
        (db, s) =>
          callRecords.insertNewCallRecords(db, [
            newCallRecord(s.tenantId, s.jobId, s.flowId, 'case-1', {
              taskId: s.taskId,
              customerId: s.customerId,
              groupId: s.groupId,
              phone: s.customerPhone,
            }),
            newCallRecord(s.tenantId, s.jobId, s.flowId, 'case-2', {
              taskId: null,
              customerId: null,
              groupId: null,
              phone: '17700000000',
            }),
          ]),
      ],
    ],
    findCallRecordIdsByIdempotencyKey: [
      ['two keys', (db, s) => callRecords.findCallRecordIdsByIdempotencyKey(db, s.tenantId, ['seed-call', 'other'])],
    ],
    insertTurns: [
      [
        'two turns of one record',
        (db, s) =>
          callRecords.insertTurns(db, [
            { tenant_id: s.tenantId, call_record_id: s.callRecordId, seq: 1, type: 'ROBOT', text: '您好' },
            { tenant_id: s.tenantId, call_record_id: s.callRecordId, seq: 2, type: 'PERSON', text: '嗯' },
          ]),
      ],
    ],
    callHistoryOfTasks: [
      ['two call tasks', (db, s) => callRecords.callHistoryOfTasks(db, s.tenantId, [s.taskId, s.taskId + 1])],
    ],
    markLastCalls: [
      [
        'a new call of a task',
        (db, s) =>
          callRecords.markLastCalls(db, s.tenantId, [
            { id: s.callRecordId, callTaskId: s.taskId, startTime: T0, isLast: false },
          ]),
      ],
    ],
    addRecordCounts: [
      [
        'two records under two count keys',
        (db, s) =>
          callRecords.addRecordCounts(
            db,
            s.tenantId,
            [
              newCallRecord(s.tenantId, s.jobId, s.flowId, 'case-1', {
                taskId: s.taskId,
                customerId: s.customerId,
                groupId: s.groupId,
                phone: s.customerPhone,
              }),
              newCallRecord(s.tenantId, s.jobId, s.flowId, 'case-2', {
                taskId: null,
                customerId: null,
                groupId: null,
                phone: '17700000000',
              }),
            ],
            new Map([[s.customerId, 'AI_INITIAL_VISIT']]),
          ),
      ],
    ],
    addLastCallCounts: [
      [
        'a latest call of a task and a call of no task',
        (db, s) =>
          callRecords.addLastCallCounts(
            db,
            s.tenantId,
            [
              {
                ...newCallRecord(s.tenantId, s.jobId, s.flowId, 'case-1', {
                  taskId: s.taskId,
                  customerId: s.customerId,
                  groupId: s.groupId,
                  phone: s.customerPhone,
                }),
                is_last: 1,
                redial_times: 1,
              },
              {
                ...newCallRecord(s.tenantId, s.jobId, s.flowId, 'case-2', {
                  taskId: null,
                  customerId: null,
                  groupId: null,
                  phone: '17700000000',
                }),
                is_last: 1,
              },
            ],
            [s.taskId],
          ),
      ],
    ],
  }),
  ...casesOf('searchGrams', {
    addPhoneGramCounts: [
      [
        'two records of one job',
        (db, s) =>
          searchGrams.addPhoneGramCounts(db, s.tenantId, [
            { job_id: s.jobId, is_training: false, called_phone_number: '13900000001' },
            { job_id: s.jobId, is_training: true, called_phone_number: '17700000000' },
          ]),
      ],
    ],
    countPhoneGram: [
      ['a gram of two digits', (db, s) => searchGrams.countPhoneGram(db, s.tenantId, s.jobId, false, '39')],
    ],
  }),
  ...casesOf('callTasks', {
    insertCallTasks: [
      [
        'two customers',
        (db, s) =>
          callTasks.insertCallTasks(
            db,
            s.tenantId,
            s.jobId,
            [
              { customerPersonId: s.customerId, phoneNumber: '13900000002' },
              { customerPersonId: s.customerId, phoneNumber: '13900000003' },
            ],
            T0,
          ),
      ],
    ],
    findNumbersInJob: [
      ['two numbers', (db, s) => callTasks.findNumbersInJob(db, s.tenantId, s.jobId, [s.customerPhone, '13900000002'])],
    ],
    listCallTasks: [['a job’s tasks', (db, s) => callTasks.listCallTasks(db, s.tenantId, s.jobId)]],
    findCallTasksOfCalls: [
      [
        'one task id, and two numbers of one job',
        (db, s) =>
          callTasks.findCallTasksOfCalls(
            db,
            s.tenantId,
            [s.taskId],
            new Map([[s.jobId, [s.customerPhone, '13900000002']]]),
          ),
      ],
    ],
    lockCallTasksProgress: [
      [
        'two tasks (locked in id order on PostgreSQL)',
        (db, s) => callTasks.lockCallTasksProgress(db, s.tenantId, [s.taskId, s.taskId + 1]),
      ],
    ],
    updateCallTasksProgress: [
      [
        'one task finished, one waiting for a redial',
        (db, s) =>
          callTasks.updateCallTasksProgress(db, s.tenantId, [
            {
              id: s.taskId,
              status: 'FINISHED',
              attempts: 1,
              last_result_status: 'ANSWERED',
              next_attempt_at: null,
              finished_at: T0,
            },
            {
              id: s.taskId + 1,
              status: 'REDIAL_WAITING',
              attempts: 1,
              last_result_status: 'NO_ANSWER',
              next_attempt_at: T0 + 1_800_000,
              finished_at: null,
            },
          ]),
      ],
    ],
    findCallTasksInJob: [
      [
        'by customers and numbers',
        (db, s) => callTasks.findCallTasksInJob(db, s.tenantId, s.jobId, [s.customerId], [s.customerPhone]),
      ],
    ],
    reopenFinishedCallTasks: [
      ['a finished task', (db, s) => callTasks.reopenFinishedCallTasks(db, s.tenantId, s.jobId, [s.taskId])],
    ],
    countCallsInFlight: [['a job', (db, s) => callTasks.countCallsInFlight(db, s.tenantId, s.jobId, T0)]],
    hasUnfinishedCallTasks: [['a job', (db, s) => callTasks.hasUnfinishedCallTasks(db, s.tenantId, s.jobId)]],
    claimDueCallTasks: [
      [
        'up to 5 tasks (PostgreSQL skips rows other dialers hold)',
        (db, s) => callTasks.claimDueCallTasks(db, s.tenantId, s.jobId, 5, T0, T0 + 120_000),
      ],
    ],
    finishCallTasksOfNumbers: [
      [
        'two numbers listed for do-not-call: found, then locked and finished in id order',
        (db, s) => callTasks.finishCallTasksOfNumbers(db, s.tenantId, [s.customerPhone, '13900000002'], T0),
      ],
    ],
    releaseCallTask: [['a claimed task', (db, s) => callTasks.releaseCallTask(db, s.tenantId, s.taskId, T0 + 60_000)]],
    countCallTasks: [
      [
        'unfinished, of a number',
        (db, s) =>
          callTasks.countCallTasks(db, s.tenantId, {
            jobId: s.jobId,
            calledPhoneNumber: s.customerPhone,
            statuses: ['NOT_STARTED', 'CALLING', 'REDIAL_WAITING'],
          }),
      ],
    ],
    listCallTasksPage: [
      [
        'not started, second page',
        (db, s) => callTasks.listCallTasksPage(db, s.tenantId, { jobId: s.jobId, statuses: ['NOT_STARTED'] }, 20, 20),
      ],
    ],
    findCallTask: [['by id', (db, s) => callTasks.findCallTask(db, s.tenantId, s.taskId)]],
    deleteUncalledCallTasks: [
      ['two ids', (db, s) => callTasks.deleteUncalledCallTasks(db, s.tenantId, s.jobId, [s.taskId, s.taskId + 1])],
    ],
    deleteUncalledCallTasksOfJob: [
      ['every one of the job', (db, s) => callTasks.deleteUncalledCallTasksOfJob(db, s.tenantId, s.jobId)],
      ['of a number', (db, s) => callTasks.deleteUncalledCallTasksOfJob(db, s.tenantId, s.jobId, s.customerPhone)],
    ],
  }),
  ...casesOf('customers', {
    findCustomerWithGroup: [['by id', (db, s) => customers.findCustomerWithGroup(db, s.tenantId, s.customerId)]],
    insertCustomer: [
      ['one customer', (db, s) => customers.insertCustomer(db, newCustomer(s.tenantId, null, s.userId, '13900000009'))],
    ],
    insertCustomers: [
      [
        'two customers',
        (db, s) =>
          customers.insertCustomers(db, [
            newCustomer(s.tenantId, null, s.userId, '13900000010'),
            newCustomer(s.tenantId, s.groupId, s.userId, '13900000011'),
          ]),
      ],
    ],
    updateCustomersLastCall: [
      [
        'two customers (locked in id order on PostgreSQL)',
        (db, s) =>
          customers.updateCustomersLastCall(db, s.tenantId, [
            {
              customerPersonId: s.customerId,
              startTime: T0,
              chatDuration: 60,
              intentLevel: 'B',
              resultStatus: 'ANSWERED',
            },
            {
              customerPersonId: s.customerId + 1,
              startTime: T0,
              chatDuration: 0,
              intentLevel: 'F',
              resultStatus: 'BUSY',
            },
          ]),
      ],
    ],
    findCustomersByPhone: [
      ['two numbers', (db, s) => customers.findCustomersByPhone(db, s.tenantId, [s.customerPhone, '13900000002'])],
    ],
    findFollowStatusesForShare: [
      [
        'two customers (share-locked on PostgreSQL)',
        (db, s) => customers.findFollowStatusesForShare(db, s.tenantId, [s.customerId, s.customerId + 1]),
      ],
    ],
  }),
  ...casesOf('jobStats', {
    listJobDayStats: [['a job', (db, s) => jobStats.listJobDayStats(db, s.tenantId, s.jobId)]],
    sumJobDayStats: [['a job', (db, s) => jobStats.sumJobDayStats(db, s.tenantId, s.jobId, DAY_COUNTERS)]],
    listJobDaySeries: [['a job', (db, s) => jobStats.listJobDaySeries(db, s.tenantId, s.jobId)]],
    listTopConcerns: [['a job’s top 10', (db, s) => jobStats.listTopConcerns(db, s.tenantId, s.jobId, 10)]],
    listJobIntentLevelTagDetails: [
      [
        'the job’s flow’s group, else the tenant’s first',
        (db, s) => jobStats.listJobIntentLevelTagDetails(db, s.tenantId, s.jobId),
      ],
    ],
    addDayStats: [
      [
        'one day, every counter',
        (db, s) => {
          const row: JobDayStats = {
            tenant_id: s.tenantId,
            job_id: s.jobId,
            day: '2024-05-01',
            ...emptyCounters(),
            records: 1,
          };
          return jobStats.addDayStats(db, [row], DAY_COUNTERS);
        },
      ],
    ],
    addConcernHits: [
      [
        'one concern',
        (db, s) => jobStats.addConcernHits(db, [{ tenant_id: s.tenantId, job_id: s.jobId, concern: '价格', hits: 1 }]),
      ],
    ],
  }),
  ...casesOf('jobs', {
    countJobs: [
      ['no filter', (db, s) => jobs.countJobs(db, s.tenantId, {})],
      ['by name and status', (db, s) => jobs.countJobs(db, s.tenantId, { name: '快照', status: 'IN_PROCESS' })],
    ],
    findJobPage: [
      ['no filter, first page', (db, s) => jobs.findJobPage(db, s.tenantId, {}, 20, 0)],
      [
        'by name and status, a page past the end (counted on its own)',
        (db, s) => jobs.findJobPage(db, s.tenantId, { name: '快照', status: 'IN_PROCESS' }, 20, 20),
      ],
    ],
    findJobDetail: [['by id', (db, s) => jobs.findJobDetail(db, s.tenantId, s.jobId)]],
    findJobDetailWithStats: [
      ['by id, with its statistics', (db, s) => jobs.findJobDetailWithStats(db, s.tenantId, s.jobId, DAY_COUNTERS, 10)],
    ],
    findJob: [['by id', (db, s) => jobs.findJob(db, s.tenantId, s.jobId)]],
    existsJob: [['by id', (db, s) => jobs.existsJob(db, s.tenantId, s.jobId)]],
    findTrainingJob: [
      ['a flow', (db, s) => jobs.findTrainingJob(db, s.tenantId, s.flowId)],
      ['a flow, locked', (db, s) => jobs.findTrainingJob(db, s.tenantId, s.flowId, true)],
    ],
    listJobsForRecording: [['two jobs', (db, s) => jobs.listJobsForRecording(db, s.tenantId, [s.jobId, s.jobId + 1])]],
    listJobPhoneLines: [['a job', (db, s) => jobs.listJobPhoneLines(db, s.tenantId, s.jobId)]],
    listJobCounters: [['two jobs', (db, s) => jobs.listJobCounters(db, s.tenantId, [s.jobId, s.jobId + 1])]],
    findJobTexts: [['by id', (db, s) => jobs.findJobTexts(db, s.tenantId, s.jobId)]],
    insertJob: [
      [
        'a job with one caller line',
        (db, s) => jobs.insertJob(db, newJob(s.tenantId, s.flowId, s.userId, s.orgId), [s.phoneLineId]),
      ],
    ],
    updateJobSettings: [
      [
        'some settings, if still in the status read',
        (db, s) =>
          jobs.updateJobSettings(
            db,
            s.tenantId,
            s.jobId,
            'IN_PROCESS',
            { name: '改名', robot_count: 3, inactive_time_list: [{ startTime: '12:00:00', endTime: '13:00:00' }] },
            T0,
          ),
      ],
    ],
    replaceJobPhoneLines: [
      ['one line', (db, s) => jobs.replaceJobPhoneLines(db, s.tenantId, s.jobId, [s.phoneLineId])],
    ],
    listJobsByIds: [
      ['by ids', (db, s) => jobs.listJobsByIds(db, s.tenantId, { ids: [s.jobId, s.jobId + 1] })],
      [
        'by ids, statuses, name and creation time',
        (db, s) =>
          jobs.listJobsByIds(db, s.tenantId, {
            ids: [s.jobId, s.jobId + 1],
            statuses: ['IN_PROCESS', 'USER_PAUSE'],
            name: '快照',
            createdFrom: T0,
            createdBefore: T0 + 86_400_000,
          }),
      ],
    ],
    sumJobAnswers: [['two jobs', (db, s) => jobs.sumJobAnswers(db, s.tenantId, [s.jobId, s.jobId + 1])]],
    moveJobStatus: [
      ['a status change', (db, s) => jobs.moveJobStatus(db, s.tenantId, s.jobId, 'IN_PROCESS', 'USER_PAUSE', T0)],
      [
        'a status change that also sets the start times',
        (db, s) =>
          jobs.moveJobStatus(db, s.tenantId, s.jobId, 'NOT_STARTED', 'IN_PROCESS', T0, {
            start_time: T0,
            system_pause_next_start: null,
          }),
      ],
    ],
    addToTaskCallTotal: [['three tasks', (db, s) => jobs.addToTaskCallTotal(db, s.tenantId, s.jobId, 3)]],
    addToCompletedTask: [['one task', (db, s) => jobs.addToCompletedTask(db, s.tenantId, s.jobId, 1)]],
    deleteJob: [['a job and everything under it', (db, s) => jobs.deleteJob(db, s.tenantId, s.jobId)]],
    listJobsToDial: [['every tenant’s jobs in a dialler status', (db) => jobs.listJobsToDial(db)]],
    lockJob: [['a job', (db, s) => jobs.lockJob(db, s.tenantId, s.jobId)]],
    lockJobForDelete: [['a job', (db, s) => jobs.lockJobForDelete(db, s.tenantId, s.jobId)]],
  }),
  ...casesOf('schedulerLease', {
    takeSchedulerLease: [
      [
        'taken when lapsed, or renewed',
        (db) => schedulerLease.takeSchedulerLease(db, 'scheduler', 'a', T0, T0 + 15_000),
      ],
    ],
    releaseSchedulerLease: [
      ['given up by its holder', (db) => schedulerLease.releaseSchedulerLease(db, 'scheduler', 'a')],
    ],
  }),
  ...casesOf('dialogFlows', {
    insertDialogFlowVersion: [
      [
        'version 2',
        (db, s) =>
          dialogFlows.insertDialogFlowVersion(db, {
            tenant_id: s.tenantId,
            dialog_flow_id: s.flowId,
            version: 2,
            definition: { maxTurns: 3 },
            created_at: T0,
          }),
      ],
    ],
    moveDialogFlowVersion: [
      [
        'from 1 to 2',
        (db, s) => dialogFlows.moveDialogFlowVersion(db, s.tenantId, s.flowId, 1, { version: 2, definition: {} }),
      ],
    ],
    renameDialogFlow: [['a flow', (db, s) => dialogFlows.renameDialogFlow(db, s.tenantId, s.flowId, '新名字')]],
    setDialogFlowEnabled: [['disabled', (db, s) => dialogFlows.setDialogFlowEnabled(db, s.tenantId, s.flowId, false)]],
    findDialogFlowVersion: [['version 1', (db, s) => dialogFlows.findDialogFlowVersion(db, s.tenantId, s.flowId, 1)]],
    listDialogFlowVersions: [['a flow', (db, s) => dialogFlows.listDialogFlowVersions(db, s.tenantId, s.flowId)]],
    findDisabledDialogFlows: [
      ['two flows', (db, s) => dialogFlows.findDisabledDialogFlows(db, s.tenantId, [s.flowId, s.flowId + 1])],
    ],
  }),
  ...casesOf('referenceData', {
    insertReference: [
      [
        'an organization',
        (db, s) =>
          referenceData.insertReference(db, 'organization', { tenant_id: s.tenantId, created_at: T0, name: '市场部' }),
      ],
      [
        'a user',
        (db, s) =>
          referenceData.insertReference(db, 'app_user', {
            tenant_id: s.tenantId,
            created_at: T0,
            name: '李',
            organization_id: s.orgId,
          }),
      ],
      [
        'an SMS template',
        (db, s) =>
          referenceData.insertReference(db, 'sms_template', {
            tenant_id: s.tenantId,
            created_at: T0,
            name: '通知',
            content: '您好',
          }),
      ],
      [
        'a caller line',
        (db, s) =>
          referenceData.insertReference(db, 'phone_line', {
            tenant_id: s.tenantId,
            created_at: T0,
            phone_number: '02100000001',
            phone_type: 'MOBILE',
            name: null,
          }),
      ],
      [
        'a customer group',
        (db, s) =>
          referenceData.insertReference(db, 'customer_group', { tenant_id: s.tenantId, created_at: T0, name: '二组' }),
      ],
    ],
    insertDialogFlow: [
      [
        'one flow',
        (db, s) =>
          referenceData.insertDialogFlow(db, {
            tenant_id: s.tenantId,
            name: '二号话术',
            definition: { nodes: [] },
            created_at: T0,
          }),
      ],
      [
        'one flow with its industry, status and tag group',
        (db, s) =>
          referenceData.insertDialogFlow(db, {
            tenant_id: s.tenantId,
            name: '三号话术',
            definition: { nodes: [] },
            created_at: T0,
            industry: 'REALTY',
            sub_industry: 'COMPLEX',
            status: 'APPROVED',
            intent_level_tag_id: s.intentLevelTagId,
          }),
      ],
    ],
    findDialogFlow: [['by id', (db, s) => referenceData.findDialogFlow(db, s.tenantId, s.flowId)]],
    listDialogFlows: [['a tenant’s flows', (db, s) => referenceData.listDialogFlows(db, s.tenantId)]],
    listPhoneLines: [['a tenant’s caller lines', (db, s) => referenceData.listPhoneLines(db, s.tenantId)]],
    findOwnedIds: [
      [
        'two dialog flows',
        (db, s) => referenceData.findOwnedIds(db, 'dialog_flow', s.tenantId, [s.flowId, s.flowId + 1]),
      ],
      [
        'two SMS templates',
        (db, s) => referenceData.findOwnedIds(db, 'sms_template', s.tenantId, [s.smsTemplateId, s.smsTemplateId + 1]),
      ],
      [
        'two caller lines',
        (db, s) => referenceData.findOwnedIds(db, 'phone_line', s.tenantId, [s.phoneLineId, s.phoneLineId + 1]),
      ],
      [
        'two customer groups',
        (db, s) => referenceData.findOwnedIds(db, 'customer_group', s.tenantId, [s.groupId, s.groupId + 1]),
      ],
    ],
  }),
  ...casesOf('tenants', {
    insertTenant: [
      [
        'one tenant',
        (db) => tenants.insertTenant(db, { name: '二号公司', tenantSign: 'snapshot-2', timeZone: 'UTC', now: T0 }),
      ],
    ],
    findTenantBySign: [['by sign', (db, s) => tenants.findTenantBySign(db, s.tenantSign)]],
    findTenant: [['by id', (db, s) => tenants.findTenant(db, s.tenantId)]],
    countTenants: [['all tenants', (db) => tenants.countTenants(db)]],
    insertApiKey: [['one key', (db, s) => tenants.insertApiKey(db, s.tenantId, 'snapshot-key-2', 'secret', T0)]],
    listApiKeys: [
      ['every tenant’s keys', (db) => tenants.listApiKeys(db)],
      ['one tenant’s keys', (db, s) => tenants.listApiKeys(db, s.tenantId)],
    ],
    findEnabledApiKey: [['a tenant’s first enabled key', (db, s) => tenants.findEnabledApiKey(db, s.tenantId)]],
    updateApiKeyEnabled: [['disable a key', (db, s) => tenants.updateApiKeyEnabled(db, s.appKey, false, T0)]],
    findKeyCredentials: [['by appKey', (db, s) => tenants.findKeyCredentials(db, s.appKey)]],
    updateApiKeySignatureVersion: [
      ['require signature v2', (db, s) => tenants.updateApiKeySignatureVersion(db, s.appKey, 'v2')],
    ],
    listAppSecrets: [
      ['every stored secret', (db) => tenants.listAppSecrets(db, false)],
      ['every stored secret, rows locked (PostgreSQL)', (db) => tenants.listAppSecrets(db, true)],
    ],
    updateAppSecret: [
      ['replace a secret if unchanged', (db) => tenants.updateAppSecret(db, 1, 'secret', 'v1:encrypted')],
    ],
    insertSignatureNonce: [
      [
        'a nonce, taking over an expired one',
        (db, s) => tenants.insertSignatureNonce(db, s.appKey, 'Xk3_9fQ2-LmZ7pA0', T0 + 300_000, T0),
      ],
    ],
    deleteExpiredSignatureNonces: [['nonces past expiry', (db) => tenants.deleteExpiredSignatureNonces(db, T0)]],
    updateTenantTimeZone: [['a new zone', (db, s) => tenants.updateTenantTimeZone(db, s.tenantId, 'America/New_York')]],
    updateTenantIsvInfo: [
      ['the sign only', (db, s) => tenants.updateTenantIsvInfo(db, s.tenantId, { tenant_sign: 'snapshot-new' })],
      [
        'the sign and both callback URLs',
        (db, s) =>
          tenants.updateTenantIsvInfo(db, s.tenantId, {
            tenant_sign: 'snapshot-new',
            callback_url: 'https://crm.example.com/callback',
            sms_callback_url: null,
          }),
      ],
    ],
  }),
  ...casesOf('intentLevelTags', {
    insertIntentLevelTag: [
      [
        'a group with two levels',
        (db, s) =>
          intentLevelTags.insertIntentLevelTag(db, { tenant_id: s.tenantId, name: '自定义标签分组', created_at: T0 }, [
            { code: 0, name: '高意向' },
            { code: 1, name: '一般' },
          ]),
      ],
    ],
    listUsedIntentLevelTags: [
      ['a tenant’s groups in use', (db, s) => intentLevelTags.listUsedIntentLevelTags(db, s.tenantId)],
    ],
    findIntentLevelTag: [['by id', (db, s) => intentLevelTags.findIntentLevelTag(db, s.tenantId, s.intentLevelTagId)]],
    listIntentLevelTagDetails: [
      ['a group’s levels', (db, s) => intentLevelTags.listIntentLevelTagDetails(db, s.tenantId, s.intentLevelTagId)],
    ],
  }),
  ...casesOf('auditLog', {
    insertAuditEntry: [
      [
        'one entry',
        (db, s) =>
          auditLog.insertAuditEntry(db, {
            tenant_id: s.tenantId,
            app_key: s.appKey,
            user_name: null,
            method: 'POST',
            action: 'task/start',
            robot_call_job_id: s.jobId,
            code: 200,
            result_msg: '执行成功',
            summary: 'answered status: IN_PROCESS',
            client_ip: '127.0.0.1',
            request_id: 'ABCDEFGH',
            created_at: T0,
          }),
      ],
    ],
    countAuditEntries: [
      ['no filter', (db, s) => auditLog.countAuditEntries(db, s.tenantId, {})],
      [
        'every filter',
        (db, s) =>
          auditLog.countAuditEntries(db, s.tenantId, {
            action: 'task/start',
            jobId: s.jobId,
            code: 412,
            from: T0,
            before: T0 + DAY,
          }),
      ],
    ],
    listAuditEntries: [
      ['no filter, first page', (db, s) => auditLog.listAuditEntries(db, s.tenantId, {}, 20, 0)],
      [
        'by action and time, second page',
        (db, s) => auditLog.listAuditEntries(db, s.tenantId, { action: 'task/start', from: T0 }, 20, 20),
      ],
      ['by job', (db, s) => auditLog.listAuditEntries(db, s.tenantId, { jobId: s.jobId }, 20, 0)],
    ],
    deleteAuditEntriesBefore: [
      ['a tenant’s entries older than a day', (db, s) => auditLog.deleteAuditEntriesBefore(db, s.tenantId, T0 - DAY)],
    ],
    listTenantTimeZones: [['every tenant', (db) => auditLog.listTenantTimeZones(db)]],
  }),
  ...casesOf('callLeases', {
    listJobsToClaim: [
      [
        'an engine of one tenant, named lines',
        (db, s) => callLeases.listJobsToClaim(db, { tenantId: s.tenantId, kind: 'external', lineIds: [s.phoneLineId] }),
      ],
      ['the simulator, every tenant', (db) => callLeases.listJobsToClaim(db, { tenantId: null, kind: 'simulated' })],
    ],
    lockJobForClaim: [
      ['a job and its line', (db, s) => callLeases.lockJobForClaim(db, s.tenantId, s.jobId, [s.phoneLineId])],
    ],
    claimsOnLinesSince: [['one line', (db, s) => callLeases.claimsOnLinesSince(db, [s.phoneLineId], T0 - 1000)]],
    callsToNumbersOnLines: [
      [
        'one number on one line',
        (db, s) => callLeases.callsToNumbersOnLines(db, [s.phoneLineId], [s.customerPhone], T0 - HOUR),
      ],
    ],
    findDueCallTasks: [['a job', (db, s) => callLeases.findDueCallTasks(db, s.tenantId, s.jobId, 10, T0)]],
    insertLeases: [
      [
        'one lease',
        (db, s) =>
          callLeases.insertLeases(db, [
            {
              id: 'snapshotLease000000000',
              tenant_id: s.tenantId,
              job_id: s.jobId,
              call_task_id: s.taskId,
              phone_line_id: s.phoneLineId,
              engine_key_id: null,
              called_phone_number: s.customerPhone,
              attempt: 1,
              state: 'claimed',
              phase: null,
              claimed_at: T0,
              dialled_at: null,
              expires_at: T0 + 30_000,
              deadline_at: null,
              ended_at: null,
              ended_reason: null,
              result_status: null,
            },
          ]),
      ],
    ],
    raiseHighWaterMarks: [['one line', (db, s) => callLeases.raiseHighWaterMarks(db, [s.phoneLineId])]],
    findClaimDetails: [['one task', (db, s) => callLeases.findClaimDetails(db, s.tenantId, [s.taskId])]],
    lockLease: [['one lease', (db) => callLeases.lockLease(db, 'snapshotLease000000000')]],
    lockLeases: [
      ['a group’s leases', (db) => callLeases.lockLeases(db, ['snapshotLease000000001', 'snapshotLease000000000'])],
    ],
    endLeasesWithResults: [
      [
        'a group’s results',
        (db) =>
          callLeases.endLeasesWithResults(db, [
            { id: 'snapshotLease000000000', resultStatus: 'ANSWERED', at: T0 },
            { id: 'snapshotLease000000001', resultStatus: 'BUSY', at: T0 + 1 },
          ]),
      ],
    ],
    findLeases: [['one lease', (db) => callLeases.findLeases(db, ['snapshotLease000000000'])]],
    updateLease: [
      ['dialled', (db) => callLeases.updateLease(db, 'snapshotLease000000000', { state: 'dialing', dialled_at: T0 })],
    ],
    endLeases: [
      [
        'an engine’s claimed leases',
        (db) =>
          callLeases.endLeases(db, ['snapshotLease000000000'], 'released', T0, { state: 'claimed', engineKeyId: 7 }),
      ],
    ],
    renewLeases: [
      [
        'a heartbeat’s leases, one with its phase',
        (db) =>
          callLeases.renewLeases(db, [
            { id: 'snapshotLease000000000', expiresAt: T0 + 30_000, phase: 'ringing' },
            { id: 'snapshotLease000000001', expiresAt: T0 + 30_000 },
          ]),
      ],
    ],
    findLapsedLeases: [['up to 500', (db) => callLeases.findLapsedLeases(db, T0, 500)]],
    countLapsesBeforeDial: [['one attempt', (db, s) => callLeases.countLapsesBeforeDial(db, s.taskId, 1)]],
    findJobStatuses: [['jobs', (db, s) => callLeases.findJobStatuses(db, [s.jobId])]],
    listedNumbers: [['one number', (db, s) => callLeases.listedNumbers(db, s.tenantId, [s.customerPhone])]],
    moveTasksToCalling: [
      [
        'a group’s tasks',
        (db, s) => callLeases.moveTasksToCalling(db, [{ tenantId: s.tenantId, taskId: s.taskId, until: T0 + HOUR }]),
      ],
    ],
    markLeasesDialled: [
      [
        'a group’s leases',
        (db) =>
          callLeases.markLeasesDialled(db, [
            { id: 'snapshotLease000000000', at: T0, deadlineAt: T0 + HOUR, expiresAt: T0 + 30_000 },
          ]),
      ],
    ],
    findLineLimits: [['lines', (db, s) => callLeases.findLineLimits(db, [s.phoneLineId])]],
    putTaskBack: [['a task', (db, s) => callLeases.putTaskBack(db, s.tenantId, s.taskId, T0)]],
    countLiveLeases: [['all', (db) => callLeases.countLiveLeases(db)]],
  }),
  ...casesOf('phoneLines', {
    insertPhoneLine: [
      [
        'an external line with its limits',
        (db, s) =>
          phoneLines.insertPhoneLine(db, {
            tenant_id: s.tenantId,
            created_at: T0,
            phone_number: '02100000009',
            phone_type: 'LANDLINE',
            name: '外部线路',
            engine: 'external',
            concurrency_quota: 2,
            calls_per_second: 0.5,
          }),
      ],
    ],
    listPhoneLineRows: [['a tenant’s lines', (db, s) => phoneLines.listPhoneLineRows(db, s.tenantId)]],
    findPhoneLine: [['by id', (db, s) => phoneLines.findPhoneLine(db, s.tenantId, s.phoneLineId)]],
    findPhoneLineByNumber: [['by number', (db, s) => phoneLines.findPhoneLineByNumber(db, s.tenantId, '02100000000')]],
    updatePhoneLine: [
      [
        'channels and a limit',
        (db, s) =>
          phoneLines.updatePhoneLine(db, s.tenantId, s.phoneLineId, { concurrency_quota: 3, daily_cap_per_number: 1 }),
      ],
    ],
    countJobsOfLine: [['one line', (db, s) => phoneLines.countJobsOfLine(db, s.tenantId, s.phoneLineId)]],
    addLineFailure: [['one more', (db, s) => phoneLines.addLineFailure(db, s.tenantId, s.phoneLineId)]],
    resetLineFailures: [['back to 0', (db, s) => phoneLines.resetLineFailures(db, s.tenantId, s.phoneLineId)]],
    disableLineWithReason: [
      [
        'after failures',
        (db, s) => phoneLines.disableLineWithReason(db, s.tenantId, s.phoneLineId, '20 failures in a row'),
      ],
    ],
    listUsableLinesOfJob: [['a job’s lines', (db, s) => phoneLines.listUsableLinesOfJob(db, s.tenantId, s.jobId)]],
    listSipPasswords: [
      ['to read', (db) => phoneLines.listSipPasswords(db, false)],
      ['to re-encrypt (locked)', (db) => phoneLines.listSipPasswords(db, true)],
    ],
    updateSipPassword: [
      ['if unchanged', (db, s) => phoneLines.updateSipPassword(db, s.tenantId, s.phoneLineId, 'v1:old', 'v1:new')],
    ],
  }),
  ...casesOf('doNotCall', {
    lockDoNotCallList: [
      ['for an import (shared)', (db, s) => doNotCall.lockDoNotCallList(db, s.tenantId, 'shared')],
      ['for a change of the list (exclusive)', (db, s) => doNotCall.lockDoNotCallList(db, s.tenantId, 'exclusive')],
    ],
    insertDoNotCallNumbers: [
      [
        'two numbers',
        (db, s) =>
          doNotCall.insertDoNotCallNumbers(db, s.tenantId, [s.customerPhone, '13900000002'], {
            reason: '客户要求',
            addedBy: s.appKey,
            now: T0,
          }),
      ],
    ],
    deleteDoNotCallNumbers: [
      ['two numbers', (db, s) => doNotCall.deleteDoNotCallNumbers(db, s.tenantId, [s.customerPhone, '13900000002'])],
    ],
    findListedNumbers: [
      ['two numbers', (db, s) => doNotCall.findListedNumbers(db, s.tenantId, [s.customerPhone, '13900000002'])],
    ],
    countDoNotCall: [
      ['no filter', (db, s) => doNotCall.countDoNotCall(db, s.tenantId, {})],
      ['digits the number contains', (db, s) => doNotCall.countDoNotCall(db, s.tenantId, { phoneNumber: '0001' })],
    ],
    listDoNotCall: [
      ['no filter, first page', (db, s) => doNotCall.listDoNotCall(db, s.tenantId, {}, 20, 0)],
      [
        'digits the number contains, second page',
        (db, s) => doNotCall.listDoNotCall(db, s.tenantId, { phoneNumber: '0001' }, 20, 20),
      ],
    ],
  }),
  ...casesOf('callbacks', {
    insertCallbackEvents: [
      [
        'one event',
        (db, s) =>
          callbacks.insertCallbackEvents(db, [
            {
              tenant_id: s.tenantId,
              event_id: '00000000-0000-4000-8000-000000000001',
              data_type: 'ROBOT_CALL_JOB',
              job_id: s.jobId,
              call_record_id: null,
              payload: '{}',
              state: 'PENDING',
              cycle_started_at: T0,
              next_attempt_at: T0,
              created_at: T0,
            },
          ]),
      ],
    ],
    insertCallbackBatch: [
      [
        'one recording transaction’s events',
        (db, s) =>
          callbacks.insertCallbackBatch(db, {
            tenant_id: s.tenantId,
            event_count: 1,
            events: '[]',
            created_at: T0,
          }),
      ],
    ],
    takeCallbackBatches: [
      ['a dispatcher (skipping locked batches)', (db) => callbacks.takeCallbackBatches(db, 10, { skipLocked: true })],
      [
        'the delivery log (one tenant’s, waiting for locked batches)',
        (db, s) => callbacks.takeCallbackBatches(db, 10, { tenantId: s.tenantId, skipLocked: false }),
      ],
    ],
    deleteCallbackBatches: [['two batches', (db) => callbacks.deleteCallbackBatches(db, [1, 2])]],
    listCustomerProperties: [
      ['a customer', (db, s) => callbacks.listCustomerProperties(db, s.tenantId, [s.customerId])],
    ],
    findDueCallbackEventsOfTenant: [
      ['a tenant, ten at most', (db, s) => callbacks.findDueCallbackEventsOfTenant(db, s.tenantId, T0, 10)],
    ],
    findTenantCallback: [['a tenant', (db, s) => callbacks.findTenantCallback(db, s.tenantId)]],
    updateTenantCallbackUrl: [
      ['set', (db, s) => callbacks.updateTenantCallbackUrl(db, s.tenantId, 'https://example.com/cb')],
    ],
    updateCallbackSecret: [
      ['the first', (db, s) => callbacks.updateCallbackSecret(db, s.tenantId, null, 'v1:new')],
      ['a rotation', (db, s) => callbacks.updateCallbackSecret(db, s.tenantId, 'v1:old', 'v1:new')],
    ],
    listCallbackSecrets: [
      ['to read', (db) => callbacks.listCallbackSecrets(db, false)],
      ['to re-encrypt (locked)', (db) => callbacks.listCallbackSecrets(db, true)],
    ],
    findDueCallbackEvents: [
      ['due events', (db) => callbacks.findDueCallbackEvents(db, T0, 100, [])],
      ['skipping tenants at their cap', (db, s) => callbacks.findDueCallbackEvents(db, T0, 100, [s.tenantId])],
    ],
    claimCallbackEvents: [['two events', (db) => callbacks.claimCallbackEvents(db, [1, 2], 'dispatcher-a', T0 + HOUR)]],
    insertCallbackAttempts: [
      [
        'one attempt (of an event inserted first)',
        async (db, s) => {
          await callbacks.insertCallbackEvents(db, [
            {
              tenant_id: s.tenantId,
              event_id: '00000000-0000-4000-8000-000000000002',
              data_type: 'ROBOT_CALL_JOB',
              job_id: s.jobId,
              call_record_id: null,
              payload: '{}',
              state: 'PENDING',
              cycle_started_at: T0,
              next_attempt_at: T0,
              created_at: T0,
            },
          ]);
          const [event] = await callbacks.listCallbackEvents(db, s.tenantId, {}, 1, 0);
          return callbacks.insertCallbackAttempts(db, [
            {
              callback_event_id: event!.id,
              tenant_id: s.tenantId,
              attempt: 1,
              started_at: T0,
              duration_ms: 3,
              http_status: 200,
              error: null,
            },
          ]);
        },
      ],
    ],
    markCallbacksDelivered: [
      ['two events', (db) => callbacks.markCallbacksDelivered(db, 'dispatcher-a', [1, 2], 200, T0)],
    ],
    markCallbackFailedAttempt: [
      [
        'a retry',
        (db) =>
          callbacks.markCallbackFailedAttempt(db, 'dispatcher-a', {
            id: 1,
            state: 'PENDING',
            nextAttemptAt: T0 + 60_000,
            at: T0,
            status: 500,
            error: 'HTTP 500',
          }),
      ],
    ],
    releaseCallbackClaims: [['two events', (db) => callbacks.releaseCallbackClaims(db, 'dispatcher-a', [1, 2])]],
    countCallbackEvents: [
      ['no filter', (db, s) => callbacks.countCallbackEvents(db, s.tenantId, {})],
      [
        'every filter',
        (db, s) =>
          callbacks.countCallbackEvents(db, s.tenantId, {
            state: 'PENDING',
            retrying: true,
            dataType: 'ROBOT_CALL_RECORD',
            jobId: s.jobId,
            eventId: '00000000-0000-4000-8000-000000000001',
            from: T0,
            before: T0 + DAY,
          }),
      ],
    ],
    listCallbackEvents: [
      ['no filter, first page', (db, s) => callbacks.listCallbackEvents(db, s.tenantId, {}, 20, 0)],
      [
        'failed, of a job',
        (db, s) => callbacks.listCallbackEvents(db, s.tenantId, { state: 'FAILED', jobId: s.jobId }, 20, 20),
      ],
    ],
    listCallbackAttempts: [['two events', (db, s) => callbacks.listCallbackAttempts(db, s.tenantId, [1, 2])]],
    redeliverCallbackEvents: [
      [
        'one event',
        (db, s) =>
          callbacks.redeliverCallbackEvents(
            db,
            s.tenantId,
            { eventId: '00000000-0000-4000-8000-000000000001', states: ['PENDING', 'DELIVERED', 'FAILED'] },
            T0,
          ),
      ],
      [
        'a time range',
        (db, s) =>
          callbacks.redeliverCallbackEvents(
            db,
            s.tenantId,
            { from: T0, before: T0 + DAY, states: ['PENDING', 'FAILED'] },
            T0,
          ),
      ],
    ],
    countPendingCallbacks: [['the queue', (db) => callbacks.countPendingCallbacks(db, T0)]],
    deleteFinishedCallbackEvents: [
      ['delivered a week ago', (db) => callbacks.deleteFinishedCallbackEvents(db, 'DELIVERED', T0 - 7 * DAY, 1000)],
    ],
  }),
  ...casesOf('rateLimits', {
    takeRateLimitSlot: [
      [
        '50 per second, bursts of 100: one upsert that moves the key’s time only within the tolerance',
        (db, s) => rateLimits.takeRateLimitSlot(db, s.appKey, T0 * 1000, 20_000, 2_000_000),
      ],
    ],
    takeRateLimitSlotAndNonce: [
      [
        'the slot, then the nonce only if the slot was taken (one statement on PostgreSQL)',
        (db, s) =>
          rateLimits.takeRateLimitSlotAndNonce(
            db,
            { appKey: s.appKey, nowUs: T0 * 1000, intervalUs: 20_000, toleranceUs: 2_000_000 },
            { nonce: 'Zq8_3fQ2-LmZ7pA1', expiresAt: T0 + 300_000, now: T0 },
          ),
      ],
      [
        'an engine key’s request: nothing taken unless the key is still enabled, read in the same statement on PostgreSQL',
        (db, s) =>
          rateLimits.takeRateLimitSlotAndNonce(
            db,
            { appKey: `engine:${s.appKey}`, nowUs: T0 * 1000, intervalUs: 20_000, toleranceUs: 2_000_000 },
            { nonce: 'Zq8_3fQ2-LmZ7pA2', expiresAt: T0 + 300_000, now: T0 },
            'EKsnapshot00000',
          ),
      ],
    ],
    findRateLimitTat: [['a key', (db, s) => rateLimits.findRateLimitTat(db, s.appKey)]],
  }),
  ...casesOf('consoleUsers', {
    insertConsoleUser: [['an admin', (db, s) => consoleUser(db, s.tenantId)]],
    findConsoleUserByName: [['by name, with the tenant', (db) => consoleUsers.findConsoleUserByName(db, 'alice')]],
    listConsoleUsers: [
      ['every tenant’s', (db) => consoleUsers.listConsoleUsers(db)],
      ['one tenant’s', (db, s) => consoleUsers.listConsoleUsers(db, s.tenantId)],
    ],
    updateConsoleUserEnabled: [['disable', (db) => consoleUsers.updateConsoleUserEnabled(db, 'alice', false)]],
    updateConsoleUserPassword: [
      [
        'a new hash',
        async (db, s) => consoleUsers.updateConsoleUserPassword(db, await consoleUser(db, s.tenantId), 'scrypt$h', T0),
      ],
    ],
    insertLoginFailures: [
      [
        'under the user and the address',
        (db) => consoleUsers.insertLoginFailures(db, ['user:alice', 'ip:127.0.0.1'], T0),
      ],
    ],
    countLoginFailures: [
      ['all of a subject', (db) => consoleUsers.countLoginFailures(db, 'user:alice', [])],
      ['but the attempt’s own', (db) => consoleUsers.countLoginFailures(db, 'user:alice', [1, 2])],
    ],
    deleteLoginFailures: [['a user’s', (db) => consoleUsers.deleteLoginFailures(db, 'user:alice')]],
    deleteLoginFailuresBefore: [
      ['forgotten', (db) => consoleUsers.deleteLoginFailuresBefore(db, 'user:alice', T0 - 15 * 60_000)],
    ],
    deleteLoginAttempts: [['by id', (db) => consoleUsers.deleteLoginAttempts(db, [1, 2])]],
    deleteQuietLoginSubjects: [['none since the window began', (db) => consoleUsers.deleteQuietLoginSubjects(db, T0)]],
  }),
  ...casesOf('consoleSessions', {
    insertConsoleSession: [
      [
        'a new session',
        async (db, s) =>
          consoleSessions.insertConsoleSession(db, {
            id: 'ab'.repeat(32),
            userId: await consoleUser(db, s.tenantId),
            csrfToken: 'csrf',
            now: T0,
            expiresAt: T0 + 12 * HOUR,
          }),
      ],
    ],
    findConsoleSession: [
      ['by id, with user and tenant', (db) => consoleSessions.findConsoleSession(db, 'ab'.repeat(32))],
    ],
    touchConsoleSession: [['seen now', (db) => consoleSessions.touchConsoleSession(db, 'ab'.repeat(32), T0)]],
    deleteConsoleSession: [['sign-out', (db) => consoleSessions.deleteConsoleSession(db, 'ab'.repeat(32))]],
    deleteConsoleSessionsOfUser: [
      ['every session of a user', (db) => consoleSessions.deleteConsoleSessionsOfUser(db, 1)],
      ['all but the current one', (db) => consoleSessions.deleteConsoleSessionsOfUser(db, 1, 'ab'.repeat(32))],
    ],
    deleteExpiredConsoleSessions: [
      ['past either expiry', (db) => consoleSessions.deleteExpiredConsoleSessions(db, T0, T0 - 30 * 60_000)],
    ],
  }),
  ...casesOf('consoleJobs', {
    sumJobCalls: [['a page of jobs', (db, s) => consoleJobs.sumJobCalls(db, s.tenantId, [s.jobId, s.jobId + 1])]],
  }),
  ...casesOf('consoleSettings', {
    findCallbackUrl: [['the tenant’s', (db, s) => consoleSettings.findCallbackUrl(db, s.tenantId)]],
  }),
  ...casesOf('announcementClips', {
    insertAnnouncementClip: [
      [
        'a clip, unless the tenant has one of that name',
        (db, s) =>
          announcementClips.insertAnnouncementClip(db, {
            tenantId: s.tenantId,
            class: 'power_off',
            name: 'power_off',
            audio: 'AAAA',
            audioBytes: 3,
            now: T0,
          }),
      ],
    ],
    listAnnouncementClips: [
      ['the tenant’s, without audio', (db, s) => announcementClips.listAnnouncementClips(db, s.tenantId)],
    ],
    deleteAnnouncementClip: [
      ['by name', (db, s) => announcementClips.deleteAnnouncementClip(db, s.tenantId, 'power_off')],
    ],
    listAnnouncementAudio: [
      ['an engine key of one tenant', (db, s) => announcementClips.listAnnouncementAudio(db, s.tenantId)],
      ['an engine key of every tenant', (db) => announcementClips.listAnnouncementAudio(db, null)],
    ],
  }),
  ...casesOf('engineKeys', {
    insertEngineKey: [['a key of every tenant', (db) => engineKey(db, null)]],
    findEngineKey: [['by appKey', (db) => engineKeys.findEngineKey(db, 'EKsnapshot00000')]],
    findEngineKeyState: [
      ['whether a known key is still enabled', (db) => engineKeys.findEngineKeyState(db, 'EKsnapshot00000')],
    ],
    listEngineKeys: [['every key, with its tenant', (db) => engineKeys.listEngineKeys(db)]],
    updateEngineKeyEnabled: [
      ['disable a key', (db) => engineKeys.updateEngineKeyEnabled(db, 'EKsnapshot00000', false, T0)],
      ['enable a key', (db) => engineKeys.updateEngineKeyEnabled(db, 'EKsnapshot00000', true, T0)],
    ],
    deleteEngineKey: [['by appKey', (db) => engineKeys.deleteEngineKey(db, 'EKsnapshot00000')]],
    updateEngineKeyLastSeen: [['seen now', (db) => engineKeys.updateEngineKeyLastSeen(db, 1, T0)]],
    listEngineKeySecrets: [
      ['every stored secret', (db) => engineKeys.listEngineKeySecrets(db, false)],
      ['every stored secret, rows locked (PostgreSQL)', (db) => engineKeys.listEngineKeySecrets(db, true)],
    ],
    updateEngineKeySecret: [
      ['replace a secret if unchanged', (db) => engineKeys.updateEngineKeySecret(db, 1, 'secret', 'v1:encrypted')],
    ],
    insertEngineKeyAuditEntries: [
      [
        'a key of one tenant: its log',
        (db, s) => engineKeys.insertEngineKeyAuditEntries(db, s.tenantId, engineKeyAudit),
      ],
      [
        'a key of every tenant: every tenant’s log',
        (db) => engineKeys.insertEngineKeyAuditEntries(db, null, engineKeyAudit),
      ],
    ],
  }),
];

/** An engine key (the cases that read or change one find it under this appKey). */
function engineKey(db: Database, tenantId: number | null): Promise<number> {
  return engineKeys.insertEngineKey(db, {
    appKey: 'EKsnapshot00000',
    appSecret: 'secret',
    name: '引擎',
    tenantId,
    now: T0,
  });
}

const engineKeyAudit = {
  app_key: 'EKsnapshot00000',
  user_name: null,
  method: 'CLI',
  action: 'engine/key/create',
  robot_call_job_id: null,
  code: 200,
  result_msg: 'engine key EKsnapshot00000 created',
  summary: 'scope: all tenants',
  client_ip: 'local',
  request_id: 'engine-key-ABCDEFGH',
  created_at: T0,
};

/** A console user `alice` of the tenant (the cases that need one make it first). */
function consoleUser(db: Database, tenantId: number): Promise<number> {
  return consoleUsers.insertConsoleUser(db, {
    tenantId,
    username: 'alice',
    passwordHash: 'scrypt$x',
    role: 'admin',
    now: T0,
  });
}
