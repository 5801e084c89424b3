import { type Kysely, type Migration, Migrator, sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { type ScratchDatabase, scratchDatabase } from '../../../test/databases.js';
import { T0 } from '../../../test/fixtures.js';
import { allCallRecords, call, callDetail, getTaskDetail, testDialect } from '../../../test/harness.js';
import { recomputeStats } from '../../../test/recompute.js';
import { loadConfig } from '../../config.js';
import { type App, buildApp } from '../../http/app.js';
import { createApiKey } from '../../services/tenants.js';
import { createDatabase, type Database } from '../database.js';
import { migrateToLatest } from '../migrate.js';
import * as m0001 from './0001_initial.js';
import * as m0002 from './0002_concern_binary_order.js';
import * as m0003 from './0003_query_performance.js';
import * as m0004 from './0004_dialer.js';
import * as m0005 from './0005_trigram_pending_list.js';
import { countCall0006, emptyCounters0006, localDate0006 } from './0006_repair_unreadable_rows.js';

/*
 * Migration 0006 on a database holding what the code before the input limits wrote and could not
 * read: the bad rows are written here as that code left them (by `storedUpTo0005`, what the write
 * path stored up to migration 0005, then changed by raw SQL into the values it stored, or inserted
 * raw where it wrote them raw), then the database is migrated, and every read must answer with
 * statistics that equal a recomputation from the list. Today's write path is not used: it writes
 * columns of later migrations that the 0005 schema does not have.
 */

const sqlite = testDialect === 'sqlite';
let scratch: ScratchDatabase;
let database: Database;
let db: Kysely<any>;
let app: App;
let url: string;
let credentials: { appKey: string; appSecret: string; tenantSign: string };
const ids = {} as Record<string, number>;
const logged: string[] = [];

/** Applies the migrations up to 0005 only: the schema the old code wrote to. */
async function migrateTo0005(d: Database): Promise<void> {
  const before = {
    '0001_initial': m0001,
    '0002_concern_binary_order': m0002,
    '0003_query_performance': m0003,
    '0004_dialer': m0004,
    '0005_trigram_pending_list': m0005,
  };
  const migrations: Record<string, Migration> = {};
  for (const [name, m] of Object.entries(before)) migrations[name] = { up: (k) => m.up(k, d.dialect) };
  const result = await new Migrator({
    db: d.db,
    provider: { getMigrations: async () => migrations },
  }).migrateToLatest();
  if (result.error) throw result.error;
}

const insert = async (table: string, row: Record<string, unknown>) =>
  Number((await db.insertInto(table).values(row).returning('id').executeTakeFirstOrThrow()).id);

/** A finished call as the write path took it up to migration 0005 (defaults as the test fixtures had them). */
interface OldCall {
  jobId: number;
  /** The call task dialled; none for a call whose number is no task of the job. */
  task?: { id: number; phone: string };
  result?: 'ANSWERED' | 'NO_ANSWER';
  intent?: 'A' | 'B' | 'E';
  at: number;
  /** Seconds talked. */
  duration?: number;
  concerns?: string[];
  training?: boolean;
}

let oldKeys = 0;

/**
 * What the write path stored up to migration 0005 (services/callResults.ts `recordFinishedCalls` as
 * of commit 5c73edd) for one finished call, in one transaction, against the 0005 schema:
 *   1. the call record and its turns;
 *   2. unless it is a training call, its call task moved on (answered, or the last attempt the job
 *      allows: FINISHED; else REDIAL_WAITING until end + redial interval; a finished task stays) and
 *   3. its customer's last-call fields (when this call is not older than the last one);
 *   4. the list's exact totals: call_record_count, added by the app, not by a trigger (migration
 *      0003's triggers only move counts when a record or a customer's follow status changes), under
 *      the customer's follow status ('' without a customer, group 0 without a group); the job's
 *      completed_task when the task finished; and, unless a training call, the tenant-local day's
 *      job_day_stats and the job_concern_stats hits (each concern once per call), by the statistics
 *      rules of the time over 0001's counter columns (services/jobStats.ts countCall then, which
 *      migration 0006 keeps a copy of: `countCall0006`; this test's own check is test/recompute.ts).
 * Returns the call record's id.
 */
async function storedUpTo0005(tenantId: number, c: OldCall): Promise<number> {
  const result = c.result ?? 'ANSWERED';
  const answered = result === 'ANSWERED';
  const duration = c.duration ?? (answered ? 60 : 0);
  const call = {
    resultStatus: result,
    intentLevel: c.intent ?? (answered ? 'B' : 'E'),
    chatDuration: duration,
    chatRound: answered ? 4 : 0,
  } as const;
  const endTime = c.at + (duration + 10) * 1000;
  const concerns = c.concerns ?? [];
  const training = c.training ?? false;
  const turns = answered
    ? [
        { type: 'ROBOT', text: '您好' },
        { type: 'PERSON', text: '嗯' },
      ]
    : [];
  return db.transaction().execute(async (trx) => {
    const { time_zone: timeZone } = await trx
      .selectFrom('tenant')
      .select('time_zone')
      .where('id', '=', tenantId)
      .executeTakeFirstOrThrow();
    const job = await trx
      .selectFrom('robot_call_job')
      .select(['dialog_flow_id', 'redial_times', 'redial_interval_minutes'])
      .where('id', '=', c.jobId)
      .executeTakeFirstOrThrow();
    const task = c.task
      ? await trx
          .selectFrom('call_task as t')
          .innerJoin('customer_person as p', 'p.id', 't.customer_person_id')
          .select(['t.id', 't.customer_person_id', 'p.customer_group_id', 'p.follow_status', 't.status', 't.attempts'])
          .where('t.id', '=', c.task.id)
          .executeTakeFirstOrThrow()
      : undefined;

    // 1. The record and its turns.
    const id = Number(
      (
        await trx
          .insertInto('call_record')
          .values({
            tenant_id: tenantId,
            job_id: c.jobId,
            call_task_id: task?.id ?? null,
            customer_person_id: task?.customer_person_id ?? null,
            customer_group_id: task?.customer_group_id ?? null,
            dialog_flow_id: job.dialog_flow_id,
            called_phone_number: c.task?.phone ?? '13800000000',
            phone_line_id: null,
            result_status: call.resultStatus,
            intent_level: call.intentLevel,
            real_intent_level: null,
            customer_concern: JSON.stringify(concerns),
            full_audio_url: null,
            customer_audio_url: null,
            analysis_basis: '',
            start_time: c.at,
            end_time: endTime,
            chat_duration: call.chatDuration,
            chat_round: call.chatRound,
            manual_marked: 0,
            read_status: 'NOT_READ',
            attributes: '[]',
            is_training: training ? 1 : 0,
            idempotency_key: `old-${++oldKeys}`,
            created_at: Date.now(),
          })
          .returning('id')
          .executeTakeFirstOrThrow()
      ).id,
    );
    if (turns.length > 0)
      await trx
        .insertInto('call_detail')
        .values(turns.map((t, seq) => ({ tenant_id: tenantId, call_record_id: id, seq, ...t })))
        .execute();

    // 2. and 3. The call task and the customer.
    let finished = false;
    if (task && !training && task.status !== 'FINISHED') {
      finished = answered || Number(task.attempts) + 1 >= 1 + Number(job.redial_times);
      await trx
        .updateTable('call_task')
        .set({
          attempts: sql`attempts + 1`,
          last_result_status: call.resultStatus,
          status: finished ? 'FINISHED' : 'REDIAL_WAITING',
          next_attempt_at: finished ? null : endTime + Number(job.redial_interval_minutes) * 60_000,
          finished_at: finished ? endTime : null,
        })
        .where('id', '=', task.id)
        .execute();
    }
    if (task && !training)
      await trx
        .updateTable('customer_person')
        .set({
          last_start_time: c.at,
          last_chat_duration: call.chatDuration,
          last_intent_level: call.intentLevel,
          last_dial_status: call.resultStatus,
        })
        .where('id', '=', task.customer_person_id)
        .where((eb) => eb.or([eb('last_start_time', 'is', null), eb('last_start_time', '<=', c.at)]))
        .execute();

    // 4. List totals, completed tasks, statistics.
    const countKey = {
      tenant_id: tenantId,
      job_id: c.jobId,
      is_training: training ? 1 : 0,
      utc_day: Math.trunc(c.at / 86_400_000),
      result_status: call.resultStatus,
      intent_level: call.intentLevel,
      customer_group_id: task?.customer_group_id ?? 0,
      dialog_flow_id: job.dialog_flow_id,
      follow_status: task?.follow_status ?? '',
    };
    await trx
      .insertInto('call_record_count')
      .values({ ...countKey, records: 1 })
      .onConflict((oc) =>
        oc
          .columns(Object.keys(countKey))
          .doUpdateSet((eb) => ({ records: eb(eb.ref('call_record_count.records'), '+', eb.ref('excluded.records')) })),
      )
      .execute();
    if (finished)
      await trx
        .updateTable('robot_call_job')
        .set({ completed_task: sql`completed_task + 1` })
        .where('id', '=', c.jobId)
        .execute();
    if (!training) {
      const counters = emptyCounters0006();
      countCall0006(counters, call);
      await trx
        .insertInto('job_day_stats')
        .values({ tenant_id: tenantId, job_id: c.jobId, day: localDate0006(c.at, timeZone), ...counters })
        .onConflict((oc) =>
          oc
            .columns(['tenant_id', 'job_id', 'day'])
            .doUpdateSet((eb) =>
              Object.fromEntries(
                Object.keys(counters).map((k) => [k, eb(eb.ref(`job_day_stats.${k}`), '+', eb.ref(`excluded.${k}`))]),
              ),
            ),
        )
        .execute();
      for (const concern of new Set(concerns))
        await trx
          .insertInto('job_concern_stats')
          .values({ tenant_id: tenantId, job_id: c.jobId, concern, hits: 1 })
          .onConflict((oc) =>
            oc
              .columns(['tenant_id', 'job_id', 'concern'])
              .doUpdateSet((eb) => ({ hits: eb(eb.ref('job_concern_stats.hits'), '+', eb.ref('excluded.hits')) })),
          )
          .execute();
    }
    return id;
  });
}

beforeAll(async () => {
  scratch = await scratchDatabase(testDialect);
  database = createDatabase(scratch.url, { poolSize: 2 });
  db = database.db as unknown as Kysely<any>;
  await migrateTo0005(database);

  // A tenant with a job, two customers and their call tasks, as the old code stored them.
  const tenantId = await insert('tenant', {
    name: '旧数据公司',
    tenant_sign: `repair${Date.now().toString(36)}`,
    time_zone: 'Asia/Shanghai',
    created_at: T0,
  });
  // A script as the code of that time stored them (migration 0031 converts it to today's format).
  const script = {
    opening: '您好',
    pitch: ['介绍'],
    questions: [{ concern: '价格', customer: '多少钱？', robot: '不贵。' }],
    closing: { interested: '好的。', declined: '再见。', busy: '回头联系。' },
  };
  const flowId = await insert('dialog_flow', {
    tenant_id: tenantId,
    name: '话术',
    definition: JSON.stringify(script),
    created_at: T0,
  });
  const customer = (phone: string) =>
    insert('customer_person', {
      tenant_id: tenantId,
      name: `客户${phone.slice(-2)}`,
      phone_number: phone,
      source: 'API_IMPORT',
      last_emotion: 'UNKNOWN',
      customer_level: 'UNKNOWN',
      gender: 'UNKNOWN',
      follow_status: 'AI_INITIAL_VISIT',
      properties: '{}',
      attributes: '[]',
      created_at: T0,
    });
  const job = (name: string, robotCount: number | string) =>
    insert('robot_call_job', {
      tenant_id: tenantId,
      dialog_flow_id: flowId,
      name,
      mode: 'MANUAL',
      robot_count: sql.raw(String(robotCount)),
      phone_type: 'MOBILE',
      daily_start_time: '09:00:00',
      daily_end_time: '20:00:00',
      inactive_start_time: '00:00:00',
      inactive_end_time: '00:00:00',
      wechat_alert_level: '[]',
      sms_alert_level: '[]',
      alert_users: '[]',
      early_warning_alert_users: '[]',
      wechat_send_method: 'SENDTOALL',
      status: 'IN_PROCESS',
      redial_times: 1,
      redial_interval_minutes: 60,
      task_call_total: 2,
      created_at: T0,
      last_modified_at: T0,
    });
  ids.tenant = tenantId;
  ids.job = await job('有坏记录的任务', 5);
  // SQLite stored `"robotCount": "Infinity"` as infinity; PostgreSQL refused it: there, an absurd count.
  ids.infiniteJob = await job('线路数无穷的任务', sqlite ? '9e999' : '100000');
  const phones = ['13800000001', '13800000002'];
  const customers = [await customer(phones[0]!), await customer(phones[1]!)];
  ids.customer = customers[0]!;
  const tasks = [];
  for (const [i, c] of customers.entries())
    tasks.push({
      id: await insert('call_task', {
        tenant_id: tenantId,
        job_id: ids.job,
        customer_person_id: c,
        called_phone_number: phones[i],
        status: 'NOT_STARTED',
        created_at: T0,
      }),
      phone: phones[i]!,
    });

  // Calls recorded as the write path stored them: healthy ones, and the ones whose stored values go bad below.
  const recorded = (c: OldCall) => storedUpTo0005(tenantId, c);
  await recorded({ jobId: ids.job, task: tasks[1], result: 'NO_ANSWER', at: T0 });
  await recorded({
    jobId: ids.job,
    task: tasks[1],
    result: 'ANSWERED',
    intent: 'A',
    at: T0 + 86_400_000,
    concerns: ['价格'],
  });
  ids.badEnd = await recorded({ jobId: ids.job, task: tasks[0], result: 'ANSWERED', at: T0 + 3_600_000, duration: 42 });
  ids.badStart = await recorded({ jobId: ids.job, training: true, at: T0 });
  // An endTime of 8640000000000001 was stored as sent (both databases).
  await sql`update call_record set end_time = 8640000000000001 where id = ${ids.badEnd}`.execute(db);
  // A training call's startTime of 1e16 too (its count row moves with it, by migration 0003's trigger).
  await sql`update call_record set start_time = 10000000000000000, end_time = 10000000000000000 where id = ${ids.badStart}`.execute(
    db,
  );
  if (sqlite) {
    // SQLite took `"chatDuration": "Infinity"`: the record, its day's statistics and its customer held infinity.
    ids.infinite = await recorded({
      jobId: ids.job,
      task: tasks[0],
      result: 'ANSWERED',
      at: T0 + 7_200_000,
      concerns: ['价格', '交通'],
    });
    await sql`update call_record set chat_duration = 9e999 where id = ${ids.infinite}`.execute(db);
    await sql`update job_day_stats set chat_duration_total = 9e999 where job_id = ${ids.job}`.execute(db);
    await sql`update customer_person set last_chat_duration = 9e999 where id = ${ids.customer}`.execute(db);
  }
  // The idempotencyKey "\ud800x": the driver stored U+FFFD, the write path then counted nothing.
  ids.uncounted = await insert('call_record', {
    tenant_id: tenantId,
    job_id: ids.job,
    call_task_id: tasks[0]!.id,
    customer_person_id: customers[0],
    dialog_flow_id: flowId,
    called_phone_number: phones[0],
    result_status: 'ANSWERED',
    intent_level: 'B',
    customer_concern: '[]',
    analysis_basis: '',
    start_time: T0 + 60_000,
    end_time: T0 + 120_000,
    chat_duration: 30,
    chat_round: 2,
    read_status: 'NOT_READ',
    attributes: '[]',
    idempotency_key: sqlite ? '\uFFFD\uFFFD\uFFFDx' : '\uFFFDx',
    created_at: T0,
  });

  const write = process.stderr.write.bind(process.stderr);
  const spy = vi.spyOn(process.stderr, 'write').mockImplementation((chunk: any, ...rest: any[]) => {
    if (String(chunk).startsWith('outcall migration 0006')) {
      logged.push(String(chunk));
      return true;
    }
    return write(chunk, ...rest);
  });
  try {
    await migrateToLatest(database);
  } finally {
    spy.mockRestore();
  }

  const key = await createApiKey(database, tenantId);
  credentials = {
    ...key,
    tenantSign: (await db.selectFrom('tenant').select('tenant_sign').executeTakeFirstOrThrow()).tenant_sign,
  };
  app = await buildApp({ database, config: loadConfig({}), logger: false });
  await app.listen({ port: 0, host: '127.0.0.1' });
  const address = app.server.address();
  url = `http://127.0.0.1:${typeof address === 'object' && address ? address.port : 0}`;
});

afterAll(async () => {
  await app?.close();
  await database?.destroy();
  await scratch?.drop();
});

const server = () => ({ url });
const quarantined = async () =>
  (
    await sql<{
      row_id: number;
      reason: string;
      content: string;
    }>`select row_id, reason, content from quarantine order by row_id`.execute(db)
  ).rows;

describe(`migration 0006 on ${testDialect}`, () => {
  it('makes every read answer again: the jobs, their lists and every call listed', async () => {
    for (const jobId of [ids.job!, ids.infiniteJob!])
      expect((await getTaskDetail(server(), credentials, jobId)).code).toBe(200);
    for (const training of [false, true]) {
      const records = await allCallRecords(server(), credentials, {
        robotCallJobId: ids.job,
        getTrainTaskList: training,
      });
      for (const r of records) expect((await callDetail(server(), credentials, r.callRecordId)).code).toBe(200);
    }
    expect((await call(server(), credentials, 'GET', '/apiOpen/v1/task/getTasks')).code).toBe(200);
  });

  it('repairs an end time that is not a date from the start and the talk time, and keeps the call', async () => {
    const detail = await callDetail(server(), credentials, ids.badEnd!);
    expect(detail.data).toMatchObject({ startTime: '2024-05-01T11:00:00', endTime: '2024-05-01T11:00:42' });
  });

  it('quarantines the calls it cannot show or count, keeping them whole in the quarantine table', async () => {
    const expected = [ids.badStart!, ...(sqlite ? [ids.infinite!] : []), ids.uncounted!].sort((a, b) => a - b);
    const rows = await quarantined();
    expect(rows.map((r) => Number(r.row_id))).toEqual(expected);
    for (const id of expected) expect((await callDetail(server(), credentials, id)).code).toBe(404);
    const badStart = rows.find((r) => Number(r.row_id) === ids.badStart)!;
    expect(badStart.reason).toContain('start_time 10000000000000000 is not a date');
    expect(JSON.parse(badStart.content)).toMatchObject({
      id: ids.badStart,
      is_training: 1,
      turns: [{ text: '您好' }, { text: '嗯' }],
    });
    expect(rows.find((r) => Number(r.row_id) === ids.uncounted)!.reason).toContain('not counted');
    if (sqlite)
      expect(JSON.parse(rows.find((r) => Number(r.row_id) === ids.infinite)!.content).chat_duration).toBe('Infinity');
  });

  it('leaves statistics and list totals equal to a recomputation from what is listed', async () => {
    const detail = (await getTaskDetail(server(), credentials, ids.job!)).data;
    const records = await allCallRecords(server(), credentials, { robotCallJobId: ids.job });
    expect(records.map((r) => r.callRecordId).sort()).not.toContain(ids.uncounted);
    expect(records).toHaveLength(3);
    expect(detail.callJobStatsInfo).toEqual(recomputeStats(records, detail));
    const list = await call(server(), credentials, 'POST', '/apiOpen/v1/task/getCallRecordInfoList', {
      robotCallJobId: ids.job,
      pageSize: 1,
    });
    expect(list.data.totalElements).toBe(records.length);
    const training = await allCallRecords(server(), credentials, { robotCallJobId: ids.job, getTrainTaskList: true });
    expect(training).toEqual([]);
    // The call tasks keep what the calls did: the calls happened, only some records were unreadable.
    expect(detail.completedTask).toBe(2);
  });

  it('rebuilds the statistics rows with the counters of its day, row for row', async () => {
    // The three calls left (written by hand, not by any code under test): on 2024-05-01 a
    // NO_ANSWER (intent E) and an ANSWERED (intent B, 42 s, 4 rounds); on 2024-05-02 an ANSWERED
    // (intent A, 60 s, 4 rounds, concern 价格). Columns that stay 0 are left out.
    const days = await sql<Record<string, unknown>>`
      select * from job_day_stats where job_id = ${ids.job} order by day`.execute(db);
    const counted = days.rows.map(({ tenant_id: _t, job_id: _j, day, ...counters }) => ({
      day,
      ...Object.fromEntries(
        Object.entries(counters)
          .filter(([, n]) => Number(n) !== 0)
          .map(([k, n]) => [k, Number(n)]),
      ),
    }));
    expect(counted).toEqual([
      {
        day: '2024-05-01',
        records: 2,
        answered: 1,
        chat_duration_total: 42,
        intent_b: 1,
        intent_e: 1,
        result_answered: 1,
        result_no_answer: 1,
        chat_round_f3_t6: 1,
        chat_duration_f10s_t1min: 1,
      },
      {
        day: '2024-05-02',
        records: 1,
        answered: 1,
        chat_duration_total: 60,
        intent_a: 1,
        result_answered: 1,
        chat_round_f3_t6: 1,
        chat_duration_f1min_t2min: 1,
      },
    ]);
    const concerns = await sql<{ concern: string; hits: number }>`
      select concern, hits from job_concern_stats where job_id = ${ids.job}`.execute(db);
    expect(concerns.rows.map((r) => ({ ...r, hits: Number(r.hits) }))).toEqual([{ concern: '价格', hits: 1 }]);
  });

  it('clamps job settings into the API’s range', async () => {
    const job = (await getTaskDetail(server(), credentials, ids.infiniteJob!)).data.robotCallJob;
    expect(job.robotCount).toBe(200);
  });

  it.runIf(sqlite)('gives a customer whose last call held infinity the last call that remains', async () => {
    const customer = (await callDetail(server(), credentials, ids.badEnd!)).data.customerPerson;
    expect(customer).toMatchObject({ lastChatDuration: 42, lastStartTime: '2024-05-01 11:00:00' });
  });

  it('says what it did, one line per row', () => {
    const text = logged.join('');
    expect(text).toContain(`job ${ids.infiniteJob} (tenant ${ids.tenant}): robot_count`);
    expect(text).toContain(
      `call record ${ids.badEnd} (tenant ${ids.tenant}, job ${ids.job}): end_time 8640000000000001`,
    );
    expect(text).toContain(`call record ${ids.badStart} (tenant ${ids.tenant}, job ${ids.job}) quarantined`);
    expect(text).toContain(`call record ${ids.uncounted} (tenant ${ids.tenant}, job ${ids.job}) quarantined`);
    expect(text).toMatch(/repaired: .*quarantined rows are kept in the table quarantine/);
  });

  it('finds nothing to do on a healthy database', async () => {
    const healthy = await scratchDatabase(testDialect);
    const d = createDatabase(healthy.url, { poolSize: 2 });
    try {
      const write = vi.spyOn(process.stderr, 'write');
      await migrateToLatest(d);
      expect(write.mock.calls.filter(([c]) => String(c).startsWith('outcall migration 0006'))).toEqual([]);
      write.mockRestore();
    } finally {
      await d.destroy();
      await healthy.drop();
    }
  });
});

describe('migration 0006’s own copy of the statistics rules', () => {
  it('counts by the buckets and the tenant-local day of its time', () => {
    const counters = emptyCounters0006();
    countCall0006(counters, { resultStatus: 'ANSWERED', intentLevel: 'C', chatDuration: 10, chatRound: 3 });
    countCall0006(counters, { resultStatus: 'ANSWERED', intentLevel: 'A', chatDuration: 180, chatRound: 10 });
    countCall0006(counters, { resultStatus: 'BUSY', intentLevel: 'F', chatDuration: 0, chatRound: 0 });
    expect(Object.fromEntries(Object.entries(counters).filter(([, n]) => n !== 0))).toEqual({
      records: 3,
      answered: 2,
      chat_duration_total: 190,
      intent_a: 1,
      intent_c: 1,
      intent_f: 1,
      result_answered: 2,
      result_busy: 1,
      chat_round_f3_t6: 1,
      chat_round_f10_more: 1,
      chat_duration_f10s_t1min: 1,
      chat_duration_f3min_tmore: 1,
    });
    expect(localDate0006(Date.UTC(2024, 4, 1, 15, 59, 59), 'Asia/Shanghai')).toBe('2024-05-01');
    expect(localDate0006(Date.UTC(2024, 4, 1, 16, 0, 0), 'Asia/Shanghai')).toBe('2024-05-02');
    expect(localDate0006(Date.UTC(2024, 4, 1, 3, 0, 0), 'America/New_York')).toBe('2024-04-30');
    expect(localDate0006(1e16, 'UTC')).toBe('9999-12-30');
  });
});
