import type { Kysely } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { finishedCall, T0, TenantFixture } from '../../../test/fixtures.js';
import { call, startTestServer, type TestServer, testDialect } from '../../../test/harness.js';
import { HangupBy, type IntentLevel, ReadStatus, type ResultStatus } from '../../domain/enums.js';
import type { FinishedCall } from '../../services/callResults.js';
import { fillLastCallCounts, LAST_KEY } from './0022_count_last_calls.js';

/*
 * Migration 0022: call_record_last_count. Whatever writes records — the write path in batches,
 * with redials of a call task across batches and out of start order (so is_last moves back and
 * forth), every key column and the flag changed behind its back, records deleted one by one and a
 * job deleted whole — it must equal a recomputation from the latest calls of call_record, and so
 * must what the migration's fill makes; the later list's lastCallRecord totals come from it.
 */

const HOUR = 3_600_000;
const LIST = '/apiOpen/v1/callRecord/getCallRecordInfoList';
const HANGUPS = [null, ...HangupBy.names];
const RESULTS: ResultStatus[] = ['NO_ANSWER', 'ANSWERED', 'BUSY', 'NO_ANSWER', 'ANSWERED'];
const LEVELS: IntentLevel[] = ['A', 'B', 'C', 'D', 'E', 'F'];

let server: TestServer;
let db: Kysely<any>;
let tenant: TenantFixture;
let jobId: number;
let doomedJobId: number;
let otherFlow: number;
let group: number;
/** Calls still latest after their batch whose flag a later batch cleared. */
let superseded = 0;
/** Batches' call tasks whose latest call stayed an earlier batch's (the new ones started before it). */
let keptOlder = 0;

/**
 * Batch `batch` of a job's calls: each call task called twice, the pair given latest first, at
 * hours that go back and forth between batches (a batch's calls are often earlier than the task's
 * latest call so far), a few calls without a task and a training call.
 */
function batchOfCalls(job: { jobId: number; taskOf: Map<number, { id: number; phone: string }> }, batch: number) {
  const tasks = [...job.taskOf.values()];
  const calls: FinishedCall[] = [];
  for (const [t, task] of tasks.entries()) {
    for (const k of [1, 0]) {
      const i = batch * 31 + t * 7 + k;
      const result = RESULTS[i % RESULTS.length]!;
      calls.push({
        ...finishedCall({
          jobId: job.jobId,
          task,
          result,
          intent: LEVELS[(i * 5) % LEVELS.length],
          // Hours 0–12 in an order that is not the batches' (two calls of a batch may start together).
          at: T0 + ((batch * 5 + t * 3) % 13) * HOUR + k * ((t % 3) * HOUR),
          duration: result === 'ANSWERED' ? (i * 37) % 200 : 0,
        }),
        hangupBy: HANGUPS[i % HANGUPS.length],
        readStatus: ReadStatus.names[Math.floor(i / 4) % 2],
        manualMarked: i % 5 === 0,
      });
    }
  }
  calls.push(finishedCall({ jobId: job.jobId, phone: `1770000${batch}`, result: 'BUSY', at: T0 + batch * HOUR }));
  calls.push(finishedCall({ jobId: job.jobId, phone: '17700009999', training: true, at: T0 + batch * HOUR }));
  return calls;
}

beforeAll(async () => {
  server = await startTestServer();
  db = server.database.db as unknown as Kysely<any>;
  tenant = await TenantFixture.create(server.database);
  const other = await TenantFixture.create(server.database);
  group = await tenant.group('VIP客户');
  otherFlow = await tenant.flow('二号话术');
  const customers = [];
  for (let i = 0; i < 40; i++) customers.push((await tenant.customer({ groupId: i % 2 ? group : null })).id);
  const job = await tenant.job({ customers, redialTimes: 30 });
  const doomed = await tenant.job({ customers, redialTimes: 30 });
  jobId = job.jobId;
  doomedJobId = doomed.jobId;
  const theirCustomer = (await other.customer({})).id;
  const theirs = await other.job({ customers: [theirCustomer], redialTimes: 30 });
  // In batches, as a dialer sends them, interleaved with the job deleted below and another tenant.
  const storedAsLatest = new Set<number>();
  for (let batch = 0; batch < 6; batch++) {
    const calls = batchOfCalls(job, batch);
    const ids = await tenant.calls(calls);
    const latest = await db
      .selectFrom('call_record')
      .select(['id', 'call_task_id'])
      .where('id', 'in', ids)
      .where('is_last', '=', 1)
      .execute();
    for (const r of latest) storedAsLatest.add(Number(r.id));
    keptOlder += job.taskOf.size - latest.filter((r) => r.call_task_id !== null).length;
    await tenant.calls(batchOfCalls(doomed, batch).slice(0, 5));
    await other.calls(batchOfCalls(theirs, batch));
  }
  const stillLatest = await db.selectFrom('call_record').select('id').where('is_last', '=', 1).execute();
  const now = new Set(stillLatest.map((r) => Number(r.id)));
  superseded = [...storedAsLatest].filter((id) => !now.has(id)).length;

  // Behind the write path's back: every key column and the flag, of latest calls and others.
  const records = await db
    .selectFrom('call_record')
    .select(['id', 'is_last'])
    .where('job_id', '=', jobId)
    .where('is_training', '=', 0)
    .orderBy('id')
    .execute();
  const latest = records.filter((r) => Number(r.is_last) === 1).map((r) => Number(r.id));
  const others = records.filter((r) => Number(r.is_last) === 0).map((r) => Number(r.id));
  expect(Math.min(latest.length, others.length)).toBeGreaterThanOrEqual(36);
  const changes: [number, Record<string, unknown>][] = [
    [latest[0]!, { chat_duration: 61 }],
    [latest[1]!, { redial_times: 9 }],
    [latest[2]!, { result_status: 'BUSY', chat_duration: 0 }],
    [latest[3]!, { intent_level: 'F' }],
    [latest[4]!, { customer_group_id: null }],
    [latest[5]!, { customer_group_id: group }],
    [latest[6]!, { dialog_flow_id: otherFlow }],
    [latest[7]!, { hangup_by: null }],
    [latest[8]!, { hangup_by: 'ROBOT_HANGUP' }],
    [latest[9]!, { read_status: 'HAS_READ' }],
    [latest[10]!, { manual_marked: 1, real_intent_level: 'A' }],
    [latest[11]!, { job_id: doomedJobId }],
    [latest[12]!, { is_last: 0 }],
    [latest[13]!, { is_last: 0, chat_duration: 7 }],
    // Columns outside the key: nothing moves.
    [latest[14]!, { analysis_basis: '改', is_training: 1, start_time: T0 - HOUR }],
    [others[0]!, { is_last: 1 }],
    [others[1]!, { is_last: 1, redial_times: 0, intent_level: 'A' }],
    // Not a latest call, before or after: nothing moves either.
    [others[2]!, { chat_duration: 3, read_status: 'HAS_READ' }],
  ];
  for (const [id, set] of changes) await db.updateTable('call_record').set(set).where('id', '=', id).execute();
  // Many records at once, as a hand-made fix would.
  await db
    .updateTable('call_record')
    .set({ read_status: 'HAS_READ', manual_marked: 1 })
    .where('id', 'in', [...latest.slice(20, 30), ...others.slice(10, 20)])
    .execute();
  for (const id of [latest[15]!, others[3]!]) {
    await db.deleteFrom('call_detail').where('call_record_id', '=', id).execute();
    await db.deleteFrom('call_record').where('id', '=', id).execute();
  }
  // Several in one statement (on PostgreSQL one grouped update).
  const several = [...latest.slice(30, 36), ...others.slice(30, 36)];
  await db.deleteFrom('call_detail').where('call_record_id', 'in', several).execute();
  await db.deleteFrom('call_record').where('id', 'in', several).execute();

  for (const path of ['/apiOpen/v1/task/pause', '/apiOpen/v1/task/delete']) {
    const r = await call(server, tenant.credentials, 'POST', path, { robotCallJobId: doomedJobId });
    expect(r.code, r.resultMsg).toBe(200);
  }
});
afterAll(() => server?.close());

/** The rollup's rows that count something, as comparable text. */
async function stored(): Promise<string[]> {
  const rows = await db.selectFrom('call_record_last_count').selectAll().where('records', '<>', 0).execute();
  return rows.map((r) => [...LAST_KEY.map((k) => String(r[k])), String(r.records)].join('|')).sort();
}

/** The same rows, recomputed here from the latest calls of call_record. */
async function recomputed(): Promise<string[]> {
  const records = await db.selectFrom('call_record').selectAll().where('is_last', '=', 1).execute();
  const counts = new Map<string, number>();
  for (const r of records) {
    const key = [
      r.tenant_id,
      r.job_id,
      r.redial_times,
      r.chat_duration,
      r.result_status,
      r.intent_level,
      r.customer_group_id ?? 0,
      r.dialog_flow_id,
      r.hangup_by ?? '',
      r.read_status,
      r.manual_marked,
    ].join('|');
    counts.set(key, (counts.get(key) ?? 0) + 1);
  }
  return [...counts].map(([k, n]) => `${k}|${n}`).sort();
}

describe(`migration 0022 on ${testDialect}`, () => {
  it('keeps the latest calls’ rollup equal to a recomputation from the records', async () => {
    // The write path moved flags both ways: onto a later batch's call, and back off a batch's calls
    // that started before the task's latest one.
    expect(superseded).toBeGreaterThan(5);
    expect(keptOlder).toBeGreaterThan(5);
    const now = await stored();
    expect(now.length).toBeGreaterThan(20);
    expect(now).toEqual(await recomputed());
    // The deleted job is counted nowhere (deleteJob clears its rows, its records' triggers brought them to 0).
    expect(
      await db.selectFrom('call_record_last_count').select('records').where('job_id', '=', doomedJobId).execute(),
    ).toEqual([]);
  });

  it('answers the later list’s lastCallRecord totals from it, exactly', async () => {
    const filters: [Record<string, unknown>, (q: any) => any][] = [
      [{}, (q) => q],
      [{ redialTimes: 0 }, (q) => q.where('redial_times', '=', 0)],
      [{ redialTimes: 3 }, (q) => q.where('redial_times', '=', 3)],
      [{ redialTimes: 9 }, (q) => q.where('redial_times', '=', 9)],
      [
        { chatDurationMin: 30, chatDurationMax: 150 },
        (q) => q.where('chat_duration', '>=', 30).where('chat_duration', '<=', 150),
      ],
      [
        { chatDurationMax: 0, resultStatuses: ['NO_ANSWER'] },
        (q) => q.where('chat_duration', '<=', 0).where('result_status', '=', 'NO_ANSWER'),
      ],
      [
        { resultStatuses: ['ANSWERED'], intentLevels: ['A', 'B'], chatDurationMin: 30, redialTimes: 1 },
        (q) =>
          q
            .where('result_status', '=', 'ANSWERED')
            .where('intent_level', 'in', ['A', 'B'])
            .where('chat_duration', '>=', 30)
            .where('redial_times', '=', 1),
      ],
      [{ intentLevels: ['E', 'F'] }, (q) => q.where('intent_level', 'in', ['E', 'F'])],
    ];
    let nonZero = 0;
    for (const [body, where] of filters) {
      const plain = await where(
        db
          .selectFrom('call_record')
          .select((eb: any) => eb.fn.countAll().as('n'))
          .where('tenant_id', '=', tenant.tenantId)
          .where('job_id', '=', jobId)
          .where('is_last', '=', 1),
      ).executeTakeFirstOrThrow();
      server.queries.length = 0;
      const r = await call(server, tenant.credentials, 'POST', LIST, {
        robotCallJobId: jobId,
        pageSize: 5,
        lastCallRecord: true,
        ...body,
      });
      expect(r.code, r.resultMsg).toBe(200);
      expect(r.data.totalElements, JSON.stringify(body)).toBe(Number(plain.n));
      if (Number(plain.n) > 0) nonZero++;
      // The total is a sum over rollup rows: no statement counts the job's records.
      expect(server.queries.some((q) => /call_record_last_count/.test(q))).toBe(true);
      expect(server.queries.filter((q) => /count\(\*\)/i.test(q) && /from "call_record"/.test(q))).toEqual([]);
    }
    expect(nonZero).toBeGreaterThan(filters.length / 2);
  });

  it('fills the rollup from the records when the migration runs (or a rebuild), whatever it held', async () => {
    const before = await stored();
    await db.updateTable('call_record_last_count').set({ records: 99 }).where('job_id', '=', jobId).execute();
    await db
      .insertInto('call_record_last_count')
      .values({
        tenant_id: tenant.tenantId,
        job_id: jobId,
        redial_times: 77,
        chat_duration: 1,
        result_status: 'ANSWERED',
        intent_level: 'A',
        customer_group_id: 0,
        dialog_flow_id: otherFlow,
        hangup_by: '',
        read_status: 'NOT_READ',
        manual_marked: 0,
        records: 5,
      })
      .execute();
    await fillLastCallCounts(db);
    expect(await stored()).toEqual(before);
    expect(before).toEqual(await recomputed());
  });
});
