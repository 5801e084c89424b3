import { sql } from 'kysely';
import type { Database } from '../src/db/database.js';
import { madeUpCustomer, uniqueMobileNumber } from '../src/demo/customers.js';
import { DEMO_DIALOG_FLOWS } from '../src/demo/dialogFlows.js';
import { REDIAL_ON_EVERY_FAILURE } from '../src/domain/enums.js';
import { localDate, startOfLocalDate } from '../src/domain/time.js';
import { listCallTasks } from '../src/repositories/callTasks.js';
import { insertCustomers } from '../src/repositories/customers.js';
import { insertJob, moveJobStatus } from '../src/repositories/jobs.js';
import { insertDialogFlow, insertReference } from '../src/repositories/referenceData.js';
import { chunks } from '../src/repositories/rows.js';
import { type FinishedCall, recordFinishedCalls } from '../src/services/callResults.js';
import { addCallTasks } from '../src/services/jobOperations.js';
import { type Credentials, createTenant } from '../src/services/tenants.js';
import { asFinishedCall, simulateCall } from '../src/simulator/conversation.js';
import { between, pick, type Random, seededRandom, weighted } from '../src/simulator/random.js';

/*
 * The benchmark's data set, built through the service's own write path: tenants, reference data,
 * customers and call tasks through the repositories, every call through `recordFinishedCalls`
 * (so call records, turns, call tasks, customers and the statistics rollups are exactly what the
 * service would have written). One tenant holds jobs of 10k, 100k and `records` call records;
 * other tenants' jobs are recorded interleaved with them, so a job's rows are spread through the
 * tables as they are in a shared production database.
 */

type Script = Parameters<typeof simulateCall>[1];

const DAY = 86_400_000;
const TIME_ZONE = 'Asia/Shanghai';
/** Every job's last calling day ends before this instant (fixed, so builds are reproducible). */
const END = Date.UTC(2025, 5, 30, 16, 0, 0);
/** Calls recorded per write-path transaction while building. */
const BUILD_BATCH = 2000;
/** A call task is dialled up to 1 + REDIALS times while it is not answered. */
const REDIALS = 2;
/** Share of a job's calls that are script-training calls (no customer, kept out of statistics). */
const TRAINING_SHARE = 0.003;
/** Sizes of the main tenant's customer groups, as shares of its customers. */
const GROUP_SHARES = [40, 25, 15, 10, 6, 4];

/** 3: calls carry hangupBy and some a read status (the later API's filters, migration 0010). */
export const DATASET_VERSION = 3;

export interface BenchJob {
  /** Call records the job was built with (real and training). */
  records: number;
  jobId: number;
  dialogFlowId: number;
  /** Tenant-local days of its first and last call. */
  firstDay: string;
  lastDay: string;
  trainingRecords: number;
  /** Values taken from the job's own data, for the filters and searches the bench sends. */
  samples: {
    callRecordIds: number[];
    customerGroupId: number;
    /** A customer name of three characters, a full called number, its last four digits, a three-digit prefix. */
    name3: string;
    phoneFull: string;
    phone4: string;
    phone3: string;
    /** One and two characters: a surname, a two-character name, two digits. */
    name1: string;
    name2: string;
    phone2: string;
    /** A customer concern some answered calls mention. */
    concern: string;
  };
}

export interface DatasetManifest {
  version: number;
  dialect: 'sqlite' | 'postgres';
  records: number;
  seed: number;
  timeZone: string;
  builtAt: string;
  buildSeconds: number;
  main: { credentials: Credentials; jobs: BenchJob[]; ingestJob: { jobId: number; numbers: string[] } };
  others: { credentials: Credentials; jobId: number; records: number }[];
  totals: { tenants: number; customers: number; callRecords: number; turns: number };
}

/** The job sizes of a run whose largest job has `records` call records. */
export function jobSizes(records: number): number[] {
  const sizes = [10_000, 100_000, 1_000_000].filter((s) => s < records);
  return [...sizes, records];
}

/**
 * Days every job's calls are spread over. The same for all sizes, so the jobs' getTaskDetail
 * answers have the same shape (one point per day) and differ only in how many calls they count.
 */
const SPAN_DAYS = 30;
const spanDays = (_records: number) => SPAN_DAYS;
/** Jobs of the main tenant besides the measured ones, so getTasks pages through a real list. */
const OTHER_JOBS = 200;

interface JobPlan {
  tenantId: number;
  jobId: number;
  records: number;
  script: Script;
  lines: number[];
  tasks: { id: number; phone: string }[];
  firstDay: number;
  days: number;
  written: number;
  training: number;
  nextTask: number;
  random: Random;
}

/** Calls of the next few call tasks of the job (first attempt and redials), up to `limit`. */
function nextCalls(plan: JobPlan, limit: number): FinishedCall[] {
  const calls: FinishedCall[] = [];
  const { random } = plan;
  while (calls.length < limit && plan.written < plan.records) {
    const i = plan.nextTask++;
    // Tasks are dialled in order over the job's days, inside calling hours (09:00–20:00 local).
    const day = plan.firstDay + Math.floor(((i % plan.tasks.length) / plan.tasks.length) * plan.days) * DAY;
    let at = day + (9 * 3600 + between(random, 0, 11 * 3600 - 1)) * 1000;
    if (random() < TRAINING_SHARE) {
      const call = simulateCall(random, plan.script, 'ANSWERED');
      calls.push(
        asFinishedCall(call, {
          idempotencyKey: `bench-${plan.jobId}-train-${i}`,
          robotCallJobId: plan.jobId,
          callTaskId: null,
          calledPhoneNumber: '17700000000',
          phoneLineId: pick(random, plan.lines),
          dialledAt: at,
          training: true,
        }),
      );
      plan.written++;
      plan.training++;
      continue;
    }
    const task = plan.tasks[i % plan.tasks.length]!;
    const round = Math.floor(i / plan.tasks.length);
    for (let attempt = 0; attempt <= REDIALS && plan.written < plan.records; attempt++) {
      const call = simulateCall(random, plan.script);
      calls.push({
        ...asFinishedCall(call, {
          idempotencyKey: `bench-${plan.jobId}-${task.id}-${round}-${attempt}`,
          robotCallJobId: plan.jobId,
          callTaskId: task.id,
          calledPhoneNumber: task.phone,
          phoneLineId: pick(random, plan.lines),
          dialledAt: at,
        }),
        // One answered call in five has been read.
        readStatus: call.resultStatus === 'ANSWERED' && task.id % 5 === 0 ? 'HAS_READ' : 'NOT_READ',
      });
      plan.written++;
      if (call.resultStatus === 'ANSWERED') break;
      at += between(random, 60, 240) * 60_000;
    }
  }
  return calls;
}

interface TenantSetup {
  credentials: Credentials;
  flows: number[];
  groups: number[];
  lines: number[];
  userId: number;
  orgId: number;
}

async function setUpTenant(database: Database, name: string, sign: string, random: Random): Promise<TenantSetup> {
  const created_at = END - 200 * DAY;
  const credentials = await createTenant(database, { name, tenantSign: sign, timeZone: TIME_ZONE }, created_at);
  const base = { tenant_id: credentials.tenantId, created_at };
  return database.transaction(async (trx) => {
    const orgId = await insertReference(trx, 'organization', { ...base, name: '华东销售中心' });
    const userId = await insertReference(trx, 'app_user', { ...base, name: '张经理', organization_id: orgId });
    const flows: number[] = [];
    for (const f of DEMO_DIALOG_FLOWS)
      flows.push(await insertDialogFlow(trx, { ...base, name: f.name, definition: f.script }));
    const groups: number[] = [];
    for (let g = 0; g < GROUP_SHARES.length; g++)
      groups.push(await insertReference(trx, 'customer_group', { ...base, name: `客户分组${g + 1}` }));
    const lines: number[] = [];
    for (let l = 0; l < 3; l++) {
      const phone = `0256888${String(between(random, 0, 9999)).padStart(4, '0')}`;
      lines.push(
        await insertReference(trx, 'phone_line', {
          ...base,
          phone_number: phone,
          phone_type: 'LANDLINE',
          name: `线路${l + 1}`,
        }),
      );
    }
    return { credentials, flows, groups, lines, userId, orgId };
  });
}

/** Inserts `count` customers spread over the tenant's groups; returns their ids and numbers, in order. */
async function addCustomers(database: Database, t: TenantSetup, count: number, random: Random, numbers: Set<string>) {
  const out: { id: number; phone: string }[] = [];
  const created_at = END - 150 * DAY;
  for (const part of chunks(
    Array.from({ length: count }, (_, i) => i),
    5000,
  )) {
    const rows = part.map(() => {
      const phone = uniqueMobileNumber(random, numbers);
      const group = weighted(
        random,
        Object.fromEntries(GROUP_SHARES.map((w, g) => [String(g), w])) as Record<string, number>,
      );
      const customerGroupId = t.groups[Number(group)]!;
      return madeUpCustomer(random, {
        tenantId: t.credentials.tenantId,
        customerGroupId,
        phoneNumber: phone,
        followUser: t.userId,
        joinedAt: created_at,
        lastFollowTime: null,
      });
    });
    for (const r of await database.transaction((trx) => insertCustomers(trx, rows)))
      out.push({ id: r.id, phone: r.phone_number });
  }
  return out;
}

async function addJob(
  database: Database,
  t: TenantSetup,
  name: string,
  flow: number,
  createdAt: number,
  customers: { id: number; phone: string }[],
) {
  return database.transaction(async (trx) => {
    const jobId = await insertJob(
      trx,
      {
        tenant_id: t.credentials.tenantId,
        dialog_flow_id: flow,
        name,
        mode: 'AUTO',
        robot_count: 10,
        sms_template_id: null,
        phone_type: 'LANDLINE',
        daily_start_time: '09:00:00',
        daily_end_time: '20:00:00',
        inactive_time_list: [{ startTime: '12:00:00', endTime: '13:30:00' }],
        redial_condition: [...REDIAL_ON_EVERY_FAILURE],
        description: null,
        wechat_alert_level: ['A', 'B'],
        sms_alert_level: [],
        alert_users: [],
        early_warning_alert_users: [],
        wechat_send_method: 'SENDTOALL',
        status: 'IN_PROCESS',
        start_time: createdAt + 3600_000,
        next_start_time: '09:00:00',
        system_pause_next_start: null,
        redial_times: REDIALS,
        redial_interval_minutes: 60,
        created_by_user_id: t.userId,
        organization_id: t.orgId,
        created_at: createdAt,
        last_modified_at: createdAt,
      },
      t.lines,
    );
    await addCallTasks(
      trx,
      t.credentials.tenantId,
      jobId,
      customers.map((c) => ({ customerPersonId: c.id, phoneNumber: c.phone })),
      createdAt,
    );
    const tasks = await listCallTasks(trx, t.credentials.tenantId, jobId);
    return { jobId, tasks: tasks.map((r) => ({ id: r.id, phone: r.called_phone_number })) };
  });
}

/** Call tasks a job of `records` calls needs: with two redials at a 40% answer rate a task takes about 1.96 calls. */
const tasksFor = (records: number) => Math.ceil(records / 1.9);

export async function buildDataset(
  database: Database,
  options: { records: number; seed?: number; log?: (message: string) => void },
): Promise<DatasetManifest> {
  const started = Date.now();
  const log = options.log ?? (() => {});
  const seed = options.seed ?? 20250630;
  const random = seededRandom(seed);
  const sizes = jobSizes(options.records);
  const runId = Math.floor(random() * 1e9).toString(36);

  const main = await setUpTenant(database, '基准测试科技有限公司', `bench${runId}`, random);
  const numbers = new Set<string>();
  const customerCount = tasksFor(Math.max(...sizes)) + 2000;
  log(`customers: ${customerCount} for the main tenant`);
  const customers = await addCustomers(database, main, customerCount, random, numbers);

  const plans: JobPlan[] = [];
  for (const [i, size] of sizes.entries()) {
    const days = spanDays(size);
    const firstDay = startOfLocalDate(localDate(END - days * DAY, TIME_ZONE), TIME_ZONE);
    const taskCount = Math.min(customers.length, tasksFor(size));
    const offset = (i * 7919) % Math.max(1, customers.length - taskCount);
    const { jobId, tasks } = await addJob(
      database,
      main,
      `基准任务 ${size} 通`,
      main.flows[i % main.flows.length]!,
      firstDay - DAY,
      customers.slice(offset, offset + taskCount),
    );
    plans.push({
      tenantId: main.credentials.tenantId,
      jobId,
      records: size,
      script: DEMO_DIALOG_FLOWS[i % DEMO_DIALOG_FLOWS.length]!.script as Script,
      lines: main.lines,
      tasks,
      firstDay,
      days,
      written: 0,
      training: 0,
      nextTask: 0,
      random: seededRandom(seed + i + 1),
    });
  }
  const statuses = ['COMPLETED', 'COMPLETED', 'TERMINATE', 'USER_PAUSE', 'NOT_STARTED', 'IN_PROCESS'] as const;
  for (let i = 0; i < OTHER_JOBS; i++) {
    const createdAt = END - (400 - i * 2) * DAY;
    const jobId = await addJob(
      database,
      main,
      `${pick(random, ['秋季推广', '老客户回访', '活动邀约', '满意度调查'])} 第${i + 1}期`,
      main.flows[i % main.flows.length]!,
      createdAt,
      [],
    );
    await moveJobStatus(
      database,
      main.credentials.tenantId,
      jobId.jobId,
      'IN_PROCESS',
      statuses[i % statuses.length]!,
      createdAt,
    );
  }
  // A job whose call tasks the ingestion measurement records calls for (through the HTTP endpoint).
  const ingestCustomers = await addCustomers(database, main, 20_000, random, numbers);
  const ingest = await addJob(database, main, '基准任务 批量写入', main.flows[0]!, END - 2 * DAY, ingestCustomers);

  const others: DatasetManifest['others'] = [];
  const otherPlans: JobPlan[] = [];
  for (let o = 0; o < 3; o++) {
    const size = Math.max(500, Math.round(options.records / 20));
    const t = await setUpTenant(database, `其他公司${o + 1}`, `benchother${o + 1}${runId}`, random);
    const own = await addCustomers(database, t, tasksFor(size) + 100, random, new Set());
    const days = spanDays(size);
    const firstDay = startOfLocalDate(localDate(END - days * DAY, TIME_ZONE), TIME_ZONE);
    const { jobId, tasks } = await addJob(
      database,
      t,
      `其他任务${o + 1}`,
      t.flows[o % t.flows.length]!,
      firstDay - DAY,
      own,
    );
    otherPlans.push({
      tenantId: t.credentials.tenantId,
      jobId,
      records: size,
      script: DEMO_DIALOG_FLOWS[o % DEMO_DIALOG_FLOWS.length]!.script as Script,
      lines: t.lines,
      tasks,
      firstDay,
      days,
      written: 0,
      training: 0,
      nextTask: 0,
      random: seededRandom(seed + 100 + o),
    });
    others.push({ credentials: t.credentials, jobId, records: size });
  }

  // Round-robin over every job, batch by batch, weighted by size so all finish together.
  const all = [...plans, ...otherPlans];
  const total = all.reduce((s, p) => s + p.records, 0);
  let written = 0;
  let lastLog = Date.now();
  while (all.some((p) => p.written < p.records)) {
    for (const p of all) {
      if (p.written >= p.records) continue;
      const share = Math.max(50, Math.round((BUILD_BATCH * p.records) / Math.max(...all.map((q) => q.records))));
      const calls = nextCalls(p, share);
      if (calls.length === 0) continue;
      await recordFinishedCalls(database, p.tenantId, calls, END);
      written += calls.length;
    }
    if (Date.now() - lastLog > 10_000) {
      lastLog = Date.now();
      const rate = written / ((Date.now() - started) / 1000);
      log(`recorded ${written} / ${total} calls (${Math.round(rate)}/s overall)`);
    }
  }

  const jobs: BenchJob[] = [];
  for (const [i, p] of plans.entries()) jobs.push(await describeJob(database, p, main.groups[1]!, sizes[i]!));
  const totals = await countTotals(database);
  return {
    version: DATASET_VERSION,
    dialect: database.dialect,
    records: options.records,
    seed,
    timeZone: TIME_ZONE,
    builtAt: new Date().toISOString(),
    buildSeconds: Math.round((Date.now() - started) / 1000),
    main: {
      credentials: main.credentials,
      jobs,
      ingestJob: { jobId: ingest.jobId, numbers: ingest.tasks.map((t) => t.phone) },
    },
    others,
    totals,
  };
}

/** Picks the values the bench filters and searches by from the job's own records. */
async function describeJob(database: Database, p: JobPlan, groupId: number, records: number): Promise<BenchJob> {
  const { db } = database;
  const ids = await db
    .selectFrom('call_record')
    .select('id')
    .where('tenant_id', '=', p.tenantId)
    .where('job_id', '=', p.jobId)
    .where('is_training', '=', 0)
    .orderBy('id')
    .offset(Math.floor(records / 3))
    .limit(200)
    .execute();
  const rows = await db
    .selectFrom('call_record as r')
    .innerJoin('customer_person as c', 'c.id', 'r.customer_person_id')
    .select(['r.called_phone_number', 'c.name', 'r.customer_concern'])
    .where(
      'r.id',
      'in',
      ids.map((r) => r.id),
    )
    .execute();
  const name3 = rows.find((r) => [...r.name].length === 3)?.name ?? rows[0]!.name;
  const name2 = rows.find((r) => [...r.name].length === 2)?.name ?? [...name3].slice(0, 2).join('');
  const phoneFull = rows[1]!.called_phone_number;
  const concerns = rows.flatMap((r) =>
    typeof r.customer_concern === 'string'
      ? (JSON.parse(r.customer_concern) as string[])
      : (r.customer_concern as string[]),
  );
  const span = await db
    .selectFrom('call_record')
    .select((eb) => [eb.fn.min('start_time').as('first'), eb.fn.max('start_time').as('last')])
    .where('tenant_id', '=', p.tenantId)
    .where('job_id', '=', p.jobId)
    .executeTakeFirstOrThrow();
  return {
    records,
    jobId: p.jobId,
    dialogFlowId: (
      await db.selectFrom('robot_call_job').select('dialog_flow_id').where('id', '=', p.jobId).executeTakeFirstOrThrow()
    ).dialog_flow_id,
    firstDay: localDate(Number(span.first), TIME_ZONE),
    lastDay: localDate(Number(span.last), TIME_ZONE),
    trainingRecords: p.training,
    samples: {
      callRecordIds: ids.map((r) => r.id).slice(0, 100),
      customerGroupId: groupId,
      name3,
      phoneFull,
      phone4: phoneFull.slice(-4),
      phone3: phoneFull.slice(0, 3),
      name1: [...name3][0]!,
      name2,
      phone2: phoneFull.slice(-2),
      concern: concerns[0] ?? '价格',
    },
  };
}

async function countTotals(database: Database): Promise<DatasetManifest['totals']> {
  const { db } = database;
  const n = async (table: 'tenant' | 'customer_person' | 'call_record' | 'call_detail') =>
    Number((await db.selectFrom(table).select(sql<number>`count(*)`.as('n')).executeTakeFirstOrThrow()).n);
  return {
    tenants: await n('tenant'),
    customers: await n('customer_person'),
    callRecords: await n('call_record'),
    turns: await n('call_detail'),
  };
}
