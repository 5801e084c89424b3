import type { Database } from '../db/database.js';
import { type Industry, type JobStatus, REDIAL_ON_EVERY_FAILURE, type SubIndustry } from '../domain/enums.js';
import { localDate, localSecondOfDay, startOfLocalDate } from '../domain/time.js';
import { listCallTasks } from '../repositories/callTasks.js';
import { insertCustomer } from '../repositories/customers.js';
import { insertJob } from '../repositories/jobs.js';
import { insertDialogFlow, insertReference } from '../repositories/referenceData.js';
import { findTenant, findTenantBySign } from '../repositories/tenants.js';
import { type FinishedCall, recordFinishedCalls } from '../services/callResults.js';
import { addCallTasks } from '../services/jobOperations.js';
import { type Credentials, createTenant, firstEnabledKey } from '../services/tenants.js';
import { asFinishedCall, simulateCall } from '../simulator/conversation.js';
import { between, pick, type Random, seededRandom } from '../simulator/random.js';
import { madeUpCustomer, uniqueMobileNumber } from './customers.js';
import { DEMO_DIALOG_FLOWS } from './dialogFlows.js';

/*
 * A demo tenant that looks like a real company's account: customers, jobs in every common state,
 * and a few days of finished calls — all recorded through the same write path as real calls.
 */

export const DEMO_TENANT_SIGN = 'outcalldemo';
const DAY = 86_400_000;

interface DemoJob {
  name: string;
  status: JobStatus;
  flow: number;
  group: number;
  customers: number;
  /** Share of the job's call tasks dialled so far. */
  dialled: number;
  /** Days ago its calls started and ended. */
  fromDay: number;
  toDay: number;
  mode: 'AUTO' | 'MANUAL';
}

const DEMO_JOBS: DemoJob[] = [
  {
    name: '江北商业综合体 秋季推广',
    status: 'COMPLETED',
    flow: 0,
    group: 0,
    customers: 360,
    dialled: 1,
    fromDay: 9,
    toDay: 6,
    mode: 'MANUAL',
  },
  {
    name: '悦动健身 老会员续卡回访',
    status: 'IN_PROCESS',
    flow: 1,
    group: 1,
    customers: 320,
    dialled: 0.7,
    fromDay: 4,
    toDay: 1,
    mode: 'AUTO',
  },
  {
    name: '启航英语 周末体验课邀约',
    status: 'USER_PAUSE',
    flow: 2,
    group: 2,
    customers: 260,
    dialled: 0.5,
    fromDay: 3,
    toDay: 2,
    mode: 'MANUAL',
  },
  {
    name: '江北商业综合体 开放日二次邀约',
    status: 'TERMINATE',
    flow: 0,
    group: 0,
    customers: 300,
    dialled: 0.5,
    fromDay: 5,
    toDay: 5,
    mode: 'MANUAL',
  },
  {
    name: '悦动健身 私教课满意度回访',
    status: 'COMPLETED',
    flow: 1,
    group: 1,
    customers: 300,
    dialled: 1,
    fromDay: 8,
    toDay: 7,
    mode: 'AUTO',
  },
  {
    // Customers imported, queued to start tomorrow at 09:00 (an AUTO job with customers is IN_QUEUE).
    name: '启航英语 寒假班预热',
    status: 'IN_QUEUE',
    flow: 2,
    group: 2,
    customers: 150,
    dialled: 0,
    fromDay: 0,
    toDay: 0,
    mode: 'AUTO',
  },
];

/** A job just created, without customers yet: the one NOT_STARTED job (NOT_STARTED means no customers). */
const DRAFT_JOB = { name: '启航英语 春季班意向摸底', flow: 2, group: 2 };

/** Industry and sub-industry of each demo dialog flow (DEMO_DIALOG_FLOWS, same order), as getDialogFlowList shows them. */
const DEMO_FLOW_INDUSTRIES: { industry: Industry; sub_industry: SubIndustry }[] = [
  { industry: 'REALTY', sub_industry: 'COMPLEX' },
  { industry: 'HEALTH', sub_industry: 'FIT' },
  { industry: 'EDUCATION', sub_industry: 'ADMISSION' },
];

/** Where the demo's landlines are registered, and what a minute costs on them (厘: 0.001 yuan). */
const NANJING_LANDLINE = { local_bill_rate: 60, other_bill_rate: 80, area_code: '025', province: '江苏', city: '南京' };
/**
 * The demo's lines are dialled by the built-in simulator (docs/lines.md); a landline trunk has
 * room for every demo job that shares it, a mobile line is one SIM: one call at a time.
 */
const SIMULATED_LANDLINE = { engine: 'simulated', concurrency_quota: 30 } as const;
const SIMULATED_SIM = { engine: 'simulated', concurrency_quota: 1 } as const;

/** An instant within the demo jobs' calling hours (09:00–12:00, 13:30–19:30 local), `daysAgo` days before `now`. */
function callingMoment(random: Random, now: number, daysAgo: number, timeZone: string): number {
  const dayStart = startOfLocalDate(localDate(now - daysAgo * DAY, timeZone), timeZone);
  let second = 9 * 3600 + between(random, 0, 9 * 3600);
  if (second >= 12 * 3600) second += 1.5 * 3600;
  return dayStart + second * 1000;
}

/** Creates the demo tenant unless one exists; returns its credentials either way. */
export async function ensureDemoData(
  database: Database,
  options: { now?: number; seed?: number } = {},
): Promise<{ credentials: Credentials; created: boolean }> {
  const existing = await findTenantBySign(database, DEMO_TENANT_SIGN);
  if (existing) {
    const key = await firstEnabledKey(database, existing.id);
    if (!key)
      throw new Error(
        'the demo tenant has no enabled API key: create one with `outcall key create --tenant-sign outcalldemo`',
      );
    return {
      credentials: {
        tenantId: existing.id,
        appKey: key.appKey,
        appSecret: key.appSecret,
        tenantSign: DEMO_TENANT_SIGN,
      },
      created: false,
    };
  }
  const now = options.now ?? Date.now();
  const random = seededRandom(options.seed ?? now);
  const credentials = await createTenant(
    database,
    { name: '演示科技有限公司', tenantSign: DEMO_TENANT_SIGN },
    now - 30 * DAY,
  );
  await seedTenant(database, credentials.tenantId, random, now);
  return { credentials, created: true };
}

async function seedTenant(database: Database, tenantId: number, random: Random, now: number): Promise<void> {
  const timeZone = (await findTenant(database, tenantId))!.time_zone;
  const created_at = now - 30 * DAY;
  const base = { tenant_id: tenantId, created_at };

  const { jobIds, jobLines } = await database.transaction(async (trx) => {
    const sales = await insertReference(trx, 'organization', { ...base, name: '华东销售中心' });
    const service = await insertReference(trx, 'organization', { ...base, name: '客户成功部' });
    const users = [
      await insertReference(trx, 'app_user', { ...base, name: '超管', organization_id: sales }),
      await insertReference(trx, 'app_user', { ...base, name: '张经理', organization_id: sales }),
      await insertReference(trx, 'app_user', { ...base, name: '李主管', organization_id: service }),
    ];
    const flows: number[] = [];
    for (const [i, f] of DEMO_DIALOG_FLOWS.entries())
      flows.push(
        await insertDialogFlow(trx, { ...base, name: f.name, definition: f.script, ...DEMO_FLOW_INDUSTRIES[i] }),
      );
    const sms = await insertReference(trx, 'sms_template', {
      ...base,
      name: '到访邀约短信',
      content: '【悦动】您好，感谢接听，活动详情请点击链接查看。',
    });
    const lines = [
      await insertReference(trx, 'phone_line', {
        ...base,
        phone_number: '02568881234',
        phone_type: 'LANDLINE',
        name: '南京固话1',
        ...NANJING_LANDLINE,
        ...SIMULATED_LANDLINE,
      }),
      await insertReference(trx, 'phone_line', {
        ...base,
        phone_number: '02568885678',
        phone_type: 'LANDLINE',
        name: '南京固话2',
        ...NANJING_LANDLINE,
        ...SIMULATED_LANDLINE,
      }),
      await insertReference(trx, 'phone_line', {
        ...base,
        phone_number: '17712345678',
        phone_type: 'MOBILE',
        name: '手机线路',
        ...SIMULATED_SIM,
        local_bill_rate: 100,
        other_bill_rate: 120,
        area_code: '0571',
        province: '浙江',
        city: '杭州',
      }),
    ];
    const groups: number[] = [];
    for (const name of ['楼盘意向客户', '健身会员', '少儿家长'])
      groups.push(await insertReference(trx, 'customer_group', { ...base, name }));

    // Customers per group, with unique numbers across the tenant.
    const numbers = new Set<string>();
    const customersByGroup = new Map<number, { customerPersonId: number; phoneNumber: string }[]>();
    for (const [g, size] of [
      [0, 380],
      [1, 330],
      [2, 280],
    ] as const) {
      const list: { customerPersonId: number; phoneNumber: string }[] = [];
      for (let i = 0; i < size; i++) {
        const phone = uniqueMobileNumber(random, numbers);
        const joined = now - between(random, 15, 29) * DAY;
        const id = await insertCustomer(
          trx,
          madeUpCustomer(random, {
            tenantId,
            customerGroupId: groups[g]!,
            phoneNumber: phone,
            followUser: users,
            joinedAt: joined,
            lastFollowTime: joined,
          }),
        );
        list.push({ customerPersonId: id, phoneNumber: phone });
      }
      customersByGroup.set(g, list);
    }

    const jobIds: number[] = [];
    const jobLines: number[][] = [];
    for (const [i, j] of DEMO_JOBS.entries()) {
      const started = j.status !== 'NOT_STARTED' && j.status !== 'IN_QUEUE';
      // The job rules (services/laterJobOperations.ts checkJobRules): a MOBILE job dials from its
      // mobile lines, one robot per SIM; a LANDLINE job from exactly one line, with a concurrency quota.
      const mobile = i === 1;
      const own = mobile ? [lines[2]!] : [lines[i % 2]!];
      const robots = pick(random, [3, 5, 8, 10]);
      const queuedStart =
        j.status === 'IN_QUEUE' ? startOfLocalDate(localDate(now + DAY, timeZone), timeZone) + 9 * 3600_000 : null;
      const createdAt = now - (j.fromDay + 1) * DAY - between(random, 0, 8 * 3600) * 1000;
      const jobId = await insertJob(
        trx,
        {
          tenant_id: tenantId,
          dialog_flow_id: flows[j.flow]!,
          name: j.name,
          mode: j.mode,
          robot_count: mobile ? own.length : robots,
          concurrency_quota: mobile ? null : robots,
          sms_template_id: i === 1 ? sms : null,
          phone_type: mobile ? 'MOBILE' : 'LANDLINE',
          daily_start_time: '09:00:00',
          daily_end_time: '20:00:00',
          inactive_time_list: [{ startTime: '12:00:00', endTime: '13:30:00' }],
          redial_condition: [...REDIAL_ON_EVERY_FAILURE],
          description: i === 0 ? '秋季推广第一轮，覆盖全部意向客户' : null,
          wechat_alert_level: ['A', 'B'],
          sms_alert_level: i === 1 ? ['A'] : [],
          alert_users: [],
          early_warning_alert_users: [],
          wechat_send_method: 'SENDTOALL',
          status: j.status,
          start_time: started ? callingMoment(random, now, j.fromDay, timeZone) - 3600_000 : queuedStart,
          next_start_time: j.mode === 'AUTO' ? '09:00:00' : null,
          system_pause_next_start: null,
          redial_times: 2,
          redial_interval_minutes: 60,
          created_by_user_id: pick(random, users),
          organization_id: j.group === 1 ? service : sales,
          created_at: createdAt,
          last_modified_at: createdAt,
        },
        own,
      );
      jobLines.push(own);
      const pool = customersByGroup.get(j.group)!;
      const chosen = [...pool].sort(() => random() - 0.5).slice(0, j.customers);
      await addCallTasks(trx, tenantId, jobId, chosen, createdAt);
      jobIds.push(jobId);
    }
    // No random draws here: the calls below stay those of the same seed.
    const draftAt = now - DAY;
    await insertJob(
      trx,
      {
        tenant_id: tenantId,
        dialog_flow_id: flows[DRAFT_JOB.flow]!,
        name: DRAFT_JOB.name,
        mode: 'MANUAL',
        robot_count: 3,
        concurrency_quota: 3,
        sms_template_id: null,
        phone_type: 'LANDLINE',
        daily_start_time: '09:00:00',
        daily_end_time: '20:00:00',
        inactive_time_list: [{ startTime: '12:00:00', endTime: '13:30:00' }],
        redial_condition: [],
        description: '草稿：客户名单待导入',
        wechat_alert_level: ['A'],
        sms_alert_level: [],
        alert_users: [],
        early_warning_alert_users: [],
        wechat_send_method: 'SENDTOALL',
        status: 'NOT_STARTED',
        start_time: null,
        next_start_time: null,
        system_pause_next_start: null,
        redial_times: 0,
        redial_interval_minutes: 60,
        created_by_user_id: users[2]!,
        organization_id: service,
        created_at: draftAt,
        last_modified_at: draftAt,
      },
      [lines[0]!],
    );
    return { jobIds, jobLines };
  });

  // Dial: each call task gets its first attempt on a day of the job's run and, while unanswered,
  // redials an hour or more later, up to the job's redial limit.
  const calls: FinishedCall[] = [];
  for (const [i, j] of DEMO_JOBS.entries()) {
    if (j.dialled === 0) continue;
    const jobId = jobIds[i]!;
    const script = DEMO_DIALOG_FLOWS[j.flow]!.script;
    const tasks = await listCallTasks(database, tenantId, jobId);
    const lines = jobLines[i]!;
    for (const task of tasks.slice(0, Math.round(tasks.length * j.dialled))) {
      let daysAgo = between(random, j.toDay, j.fromDay);
      let at = callingMoment(random, now, daysAgo, timeZone);
      for (let attempt = 1; attempt <= 3; attempt++) {
        const call = simulateCall(random, script);
        calls.push(
          asFinishedCall(call, {
            idempotencyKey: `demo-${jobId}-${task.id}-${attempt}`,
            robotCallJobId: jobId,
            callTaskId: task.id,
            calledPhoneNumber: task.called_phone_number,
            phoneLineId: pick(random, lines),
            dialledAt: at,
          }),
        );
        if (call.resultStatus === 'ANSWERED') break;
        at += between(random, 60, 180) * 60_000;
        if (localSecondOfDay(at, timeZone) > 19.5 * 3600) {
          if (--daysAgo < 1) break; // the next attempt is still to come
          at = callingMoment(random, now, daysAgo, timeZone);
        }
      }
    }
    // A few script-training calls: tried by staff before the job went out, not customer calls.
    if (i === 0) {
      for (let t = 0; t < 6; t++) {
        const call = simulateCall(random, script, 'ANSWERED');
        calls.push(
          asFinishedCall(call, {
            idempotencyKey: `demo-training-${jobId}-${t}`,
            robotCallJobId: jobId,
            callTaskId: null,
            calledPhoneNumber: '17700000000',
            phoneLineId: null,
            dialledAt: callingMoment(random, now, j.fromDay + 1, timeZone),
            training: true,
          }),
        );
      }
    }
  }
  calls.sort((a, b) => a.startTime - b.startTime);
  for (let k = 0; k < calls.length; k += 500)
    await recordFinishedCalls(database, tenantId, calls.slice(k, k + 500), now);
}
