import type { Kysely } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { finishedCall, T0, TenantFixture } from '../../../test/fixtures.js';
import { call, startTestServer, type TestServer, testDialect } from '../../../test/harness.js';
import { HangupBy, type IntentLevel, ReadStatus, type ResultStatus } from '../../domain/enums.js';
import { concernSet, parseJson } from '../../repositories/rows.js';
import type { FinishedCall } from '../../services/callResults.js';
import { CONCERN_KEY, DURATION_KEY, fillRecordRollups } from './0020_count_duration_concerns.js';

/*
 * Migration 0020: call_record_duration_count and call_record_concern_count. Whatever writes records
 * (the write path in batches, every key column changed behind its back, records deleted one by one
 * and a job deleted whole), both must equal a recomputation from call_record, and so must what the
 * migration's fill makes; the later list's chatDuration and customerConcern totals come from them.
 */

const HOUR = 3_600_000;
const LIST = '/apiOpen/v1/callRecord/getCallRecordInfoList';
const HANGUPS = [null, ...HangupBy.names];
const RESULTS: ResultStatus[] = ['ANSWERED', 'NO_ANSWER', 'ANSWERED', 'BUSY', 'ANSWERED'];
const LEVELS: IntentLevel[] = ['A', 'B', 'C', 'D', 'E', 'F'];
// Text JSON escapes, CJK, and an order where code points and UTF-16 units disagree (U+E000 < U+1F600).
const CONCERNS = ['价格', '位置', 'a"b\\c', '换行\n', '😀', '\ue000', 'Z'];

let server: TestServer;
let db: Kysely<any>;
let tenant: TenantFixture;
let jobId: number;
let doomedJobId: number;
let otherFlow: number;
let group: number;

/** Calls of every mix of duration, concerns (none, one, several, repeated), side, read status and mark. */
function mixedCalls(job: { jobId: number; taskOf: Map<number, { id: number; phone: string }> }, n: number, offset = 0) {
  const tasks = [...job.taskOf.values()];
  return Array.from({ length: n }, (_, k): FinishedCall => {
    const i = k + offset;
    const result = RESULTS[i % RESULTS.length]!;
    const concerns =
      result !== 'ANSWERED'
        ? []
        : Array.from({ length: i % 4 }, (_, c) => CONCERNS[(i * 3 + c * 5) % CONCERNS.length]!).concat(
            i % 7 === 0 ? [CONCERNS[0]!] : [],
          );
    return {
      ...finishedCall({
        jobId: job.jobId,
        task: i % 9 === 4 ? undefined : tasks[i % tasks.length],
        phone: `1660000${String(i).padStart(4, '0')}`,
        result,
        intent: LEVELS[(i * 7) % LEVELS.length],
        at: T0 + i * 3 * HOUR,
        duration: result === 'ANSWERED' ? (i * 37) % 200 : 0,
        concerns,
        training: i % 11 === 5,
      }),
      hangupBy: HANGUPS[i % HANGUPS.length],
      readStatus: ReadStatus.names[Math.floor(i / 4) % 2],
      manualMarked: Math.floor(i / 3) % 3 === 0,
    };
  });
}

beforeAll(async () => {
  server = await startTestServer();
  db = server.database.db as unknown as Kysely<any>;
  tenant = await TenantFixture.create(server.database);
  const other = await TenantFixture.create(server.database);
  group = await tenant.group('VIP客户');
  otherFlow = await tenant.flow('二号话术');
  const customers = [];
  for (let i = 0; i < 6; i++) customers.push((await tenant.customer({ groupId: i % 2 ? group : null })).id);
  const job = await tenant.job({ customers, redialTimes: 30 });
  const doomed = await tenant.job({ customers, redialTimes: 30 });
  jobId = job.jobId;
  doomedJobId = doomed.jobId;
  // In batches, as a dialer sends them, interleaved with the job deleted below and another tenant.
  const theirCustomer = (await other.customer({})).id;
  const theirs = await other.job({ customers: [theirCustomer], redialTimes: 30 });
  for (let batch = 0; batch < 5; batch++) {
    await tenant.calls(mixedCalls(job, 16, batch * 16));
    await tenant.calls(mixedCalls(doomed, 5, batch * 5));
    await other.calls(mixedCalls(theirs, 3, batch * 3));
  }

  // Behind the write path's back: every key column of a record changes, records go one by one.
  const ids = (await db.selectFrom('call_record').select('id').where('job_id', '=', jobId).orderBy('id').execute()).map(
    (r) => Number(r.id),
  );
  const concerns = (list: string[]) => JSON.stringify(list);
  const changes: [number, Record<string, unknown>][] = [
    [ids[0]!, { chat_duration: 61 }],
    [ids[1]!, { customer_concern: concerns(['位置', '新的', '位置']) }],
    [ids[2]!, { customer_concern: concerns([]) }],
    [ids[3]!, { customer_concern: concerns(['😀', 'Z', '\ue000']), chat_duration: 5 }],
    [ids[4]!, { read_status: 'HAS_READ' }],
    [ids[5]!, { manual_marked: 1, real_intent_level: 'A' }],
    [ids[6]!, { intent_level: 'F' }],
    [ids[7]!, { hangup_by: null }],
    [ids[8]!, { hangup_by: 'ROBOT_HANGUP' }],
    [ids[9]!, { result_status: 'BUSY', chat_duration: 0 }],
    [ids[10]!, { customer_group_id: null }],
    [ids[11]!, { customer_group_id: group }],
    [ids[12]!, { dialog_flow_id: otherFlow }],
    [ids[13]!, { is_training: 1 }],
    [ids[14]!, { job_id: doomedJobId }],
    // Only columns outside both keys: nothing moves.
    [ids[15]!, { is_last: 0, analysis_basis: '改' }],
  ];
  for (const [id, set] of changes) await db.updateTable('call_record').set(set).where('id', '=', id).execute();
  // Many records at once, as a hand-made fix would.
  await db.updateTable('call_record').set({ read_status: 'HAS_READ' }).where('id', 'in', ids.slice(20, 40)).execute();
  for (const id of [ids[16]!, ids[17]!]) {
    await db.deleteFrom('call_detail').where('call_record_id', '=', id).execute();
    await db.deleteFrom('call_record').where('id', '=', id).execute();
  }
  // Several in one statement (on PostgreSQL one grouped update per rollup).
  await db.deleteFrom('call_detail').where('call_record_id', 'in', ids.slice(40, 52)).execute();
  await db.deleteFrom('call_record').where('id', 'in', ids.slice(40, 52)).execute();

  for (const path of ['/apiOpen/v1/task/pause', '/apiOpen/v1/task/delete']) {
    const r = await call(server, tenant.credentials, 'POST', path, { robotCallJobId: doomedJobId });
    expect(r.code, r.resultMsg).toBe(200);
  }
});
afterAll(() => server?.close());

/** Both rollups' rows that count something, as comparable text (a concern set as JSON text). */
async function stored(): Promise<{ durations: string[]; concerns: string[] }> {
  const line = (key: readonly string[], r: Record<string, unknown>) =>
    [...key.map((k) => (typeof r[k] === 'object' ? JSON.stringify(r[k]) : String(r[k]))), String(r.records)].join('|');
  const durations = await db.selectFrom('call_record_duration_count').selectAll().where('records', '<>', 0).execute();
  const concerns = await db.selectFrom('call_record_concern_count').selectAll().where('records', '<>', 0).execute();
  return {
    durations: durations.map((r) => line(DURATION_KEY, r)).sort(),
    concerns: concerns.map((r) => line(CONCERN_KEY, r)).sort(),
  };
}

/** The same rows, recomputed here from call_record. */
async function recomputed(): Promise<{ durations: string[]; concerns: string[] }> {
  const records = await db.selectFrom('call_record').selectAll().execute();
  const durations = new Map<string, number>();
  const concerns = new Map<string, number>();
  const add = (counts: Map<string, number>, key: string) => counts.set(key, (counts.get(key) ?? 0) + 1);
  for (const r of records) {
    const dimensions = [
      r.result_status,
      r.intent_level,
      r.customer_group_id ?? 0,
      r.dialog_flow_id,
      r.hangup_by ?? '',
      r.read_status,
      r.manual_marked,
    ];
    const head = [r.tenant_id, r.job_id, r.is_training];
    add(durations, [...head, r.chat_duration, ...dimensions].join('|'));
    const set = concernSet(parseJson<string[]>(r.customer_concern, []));
    if (set !== '') add(concerns, [...head, set, ...dimensions].join('|'));
  }
  const lines = (counts: Map<string, number>) => [...counts].map(([k, n]) => `${k}|${n}`).sort();
  return { durations: lines(durations), concerns: lines(concerns) };
}

describe(`migration 0020 on ${testDialect}`, () => {
  it('keeps the duration and concern rollups equal to a recomputation from the records', async () => {
    const now = await stored();
    expect(now).toEqual(await recomputed());
    // The sets are canonical: sorted by code point, each concern once, U+E000 before U+1F600.
    expect(now.concerns.some((r) => r.includes('["位置","新的"]'))).toBe(true);
    expect(now.concerns.some((r) => r.includes('"\ue000","😀"'))).toBe(true);
    // The deleted job is counted nowhere (deleteJob clears its rows, its records' triggers brought them to 0).
    for (const table of ['call_record_duration_count', 'call_record_concern_count'])
      expect(await db.selectFrom(table).select('records').where('job_id', '=', doomedJobId).execute()).toEqual([]);
  });

  it('answers the later list’s chatDuration and customerConcern totals from them, exactly', async () => {
    const filters: [Record<string, unknown>, (q: any) => any][] = [
      [
        { chatDurationMin: 60, chatDurationMax: 120 },
        (q) => q.where('chat_duration', '>=', 60).where('chat_duration', '<=', 120),
      ],
      [{ chatDurationMin: 61 }, (q) => q.where('chat_duration', '>=', 61)],
      [{ chatDurationMax: 0 }, (q) => q.where('chat_duration', '<=', 0)],
      [
        {
          chatDurationMin: 30,
          hangupBy: 'ROBOT_HANGUP',
          readStatus: 'NOT_READ',
          resultStatuses: ['ANSWERED'],
          customerGroupId: group,
        },
        (q) =>
          q
            .where('chat_duration', '>=', 30)
            .where('hangup_by', '=', 'ROBOT_HANGUP')
            .where('read_status', '=', 'NOT_READ')
            .where('result_status', '=', 'ANSWERED')
            .where('customer_group_id', '=', group),
      ],
      [
        { chatDurationMax: 100, realIntent: true, intentLevels: ['A', 'B'] },
        (q) =>
          q.where('chat_duration', '<=', 100).where('manual_marked', '=', 1).where('intent_level', 'in', ['A', 'B']),
      ],
    ];
    const rows = await db
      .selectFrom('call_record')
      .selectAll()
      .where('tenant_id', '=', tenant.tenantId)
      .where('job_id', '=', jobId)
      .where('is_training', '=', 0)
      .execute();
    for (const asked of [['价格'], ['😀', 'Z'], ['换行\n', '没有'], ['a"b\\c'], ['没有']]) {
      const mentioning = rows.filter((r) => parseJson<string[]>(r.customer_concern, []).some((c) => asked.includes(c)));
      filters.push([{ customerConcern: asked }, (q) => q.where('id', 'in', [0, ...mentioning.map((r) => r.id)])]);
      filters.push([
        { customerConcern: asked, dialogFlowId: otherFlow, readStatus: 'HAS_READ' },
        (q) =>
          q
            .where('id', 'in', [0, ...mentioning.map((r) => r.id)])
            .where('dialog_flow_id', '=', otherFlow)
            .where('read_status', '=', 'HAS_READ'),
      ]);
      filters.push([
        { customerConcern: asked, hangupBy: 'REMOTE_HANGUP', realIntent: false },
        (q) =>
          q
            .where('id', 'in', [0, ...mentioning.map((r) => r.id)])
            .where('hangup_by', '=', 'REMOTE_HANGUP')
            .where('manual_marked', '=', 0),
      ]);
    }
    let nonZero = 0;
    for (const [body, where] of filters) {
      const plain = await where(
        db
          .selectFrom('call_record')
          .select((eb: any) => eb.fn.countAll().as('n'))
          .where('tenant_id', '=', tenant.tenantId)
          .where('job_id', '=', jobId)
          .where('is_training', '=', 0),
      ).executeTakeFirstOrThrow();
      server.queries.length = 0;
      const r = await call(server, tenant.credentials, 'POST', LIST, { robotCallJobId: jobId, pageSize: 5, ...body });
      expect(r.code, r.resultMsg).toBe(200);
      expect(r.data.totalElements, JSON.stringify(body)).toBe(Number(plain.n));
      if (Number(plain.n) > 0) nonZero++;
      // The total is a sum over rollup rows: no statement counts the job's records.
      expect(server.queries.some((q) => /call_record_(duration|concern)_count/.test(q))).toBe(true);
      expect(server.queries.filter((q) => /count\(\*\)/i.test(q) && /from "call_record"/.test(q))).toEqual([]);
    }
    expect(nonZero).toBeGreaterThan(filters.length / 2);
  });

  it('fills both rollups from the records when the migration runs (or a rebuild), whatever they held', async () => {
    const before = await stored();
    await db.updateTable('call_record_duration_count').set({ records: 99 }).execute();
    await db.deleteFrom('call_record_concern_count').where('job_id', '=', jobId).execute();
    await fillRecordRollups(db, testDialect);
    expect(await stored()).toEqual(before);
    expect(before).toEqual(await recomputed());
  });
});
