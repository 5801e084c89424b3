import type { Kysely } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { finishedCall, T0, TenantFixture } from '../../../test/fixtures.js';
import { call, startTestServer, type TestServer, testDialect } from '../../../test/harness.js';
import { FollowStatus, HangupBy, type IntentLevel, ReadStatus, type ResultStatus } from '../../domain/enums.js';
import type { FinishedCall } from '../../services/callResults.js';
import { up } from './0016_count_later_filters.js';

/*
 * Migration 0016: call_record_count also counts by hangup side, read status and manual mark.
 * Whatever writes records (the write path, changes and deletions behind its back, a customer's
 * follow status changing, a job deleted), the table must equal a recomputation from call_record,
 * and the later list's totals for hangupBy, readStatus and realIntent, alone or with the filters
 * the table already served, must equal a plain count of the records — without counting them.
 */

const HOUR = 3_600_000;
const LIST = '/apiOpen/v1/callRecord/getCallRecordInfoList';
const HANGUPS = [null, ...HangupBy.names];
const RESULTS: ResultStatus[] = ['ANSWERED', 'NO_ANSWER', 'BUSY', 'REFUSED', 'ANSWERED'];
const LEVELS: IntentLevel[] = ['A', 'B', 'C', 'D', 'E', 'F'];

let server: TestServer;
let db: Kysely<any>;
let tenant: TenantFixture;
let jobId: number;
let doomedJobId: number;
let vipGroup: number;
let customers: number[];

/** Calls of every mix of hangup side (none too), read status and mark, over three days, some in training. */
function mixedCalls(job: { jobId: number; taskOf: Map<number, { id: number; phone: string }> }, n: number) {
  return Array.from({ length: n }, (_, i): FinishedCall => {
    const customer = customers[i % (customers.length + 1)];
    return {
      ...finishedCall({
        jobId: job.jobId,
        task: customer === undefined ? undefined : job.taskOf.get(customer),
        phone: `1660000${String(i).padStart(4, '0')}`,
        result: RESULTS[i % RESULTS.length],
        intent: LEVELS[(i * 7) % LEVELS.length],
        at: T0 + i * 3 * HOUR + 17 * 60_000,
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
  tenant = await TenantFixture.create(server.database, { timeZone: 'Asia/Shanghai' });
  vipGroup = await tenant.group('VIP客户');
  customers = [];
  for (const [i, followStatus] of [...FollowStatus.names, 'AI_INITIAL_VISIT' as const].entries())
    customers.push((await tenant.customer({ followStatus, groupId: i % 2 === 0 ? vipGroup : undefined })).id);
  const job = await tenant.job({ customers, redialTimes: 10 });
  const doomed = await tenant.job({ customers, redialTimes: 10 });
  jobId = job.jobId;
  doomedJobId = doomed.jobId;
  const calls = mixedCalls(job, 60);
  // In batches, as a dialer sends them, interleaved with the job that is deleted below.
  for (let i = 0; i < calls.length; i += 16) {
    await tenant.calls(calls.slice(i, i + 16));
    await tenant.calls(mixedCalls(doomed, 4));
  }

  // Behind the write path's back: a customer changes follow status, records change and one goes.
  await db.updateTable('customer_person').set({ follow_status: 'FOLLOW_UP' }).where('id', '=', customers[0]!).execute();
  const ids = (await db.selectFrom('call_record').select('id').where('job_id', '=', jobId).orderBy('id').execute()).map(
    (r) => Number(r.id),
  );
  await db.updateTable('call_record').set({ read_status: 'HAS_READ' }).where('id', 'in', ids.slice(0, 6)).execute();
  await db
    .updateTable('call_record')
    .set({ manual_marked: 1, real_intent_level: 'A' })
    .where('id', '=', ids[7])
    .execute();
  await db.updateTable('call_record').set({ hangup_by: null }).where('id', '=', ids[8]).execute();
  await db.updateTable('call_record').set({ hangup_by: 'ROBOT_HANGUP' }).where('id', '=', ids[9]).execute();
  await db.deleteFrom('call_detail').where('call_record_id', '=', ids[10]).execute();
  await db.deleteFrom('call_record').where('id', '=', ids[10]).execute();

  const r = await call(server, tenant.credentials, 'POST', '/apiOpen/v1/task/pause', { robotCallJobId: doomedJobId });
  expect(r.code, r.resultMsg).toBe(200);
  const d = await call(server, tenant.credentials, 'POST', '/apiOpen/v1/task/delete', { robotCallJobId: doomedJobId });
  expect(d.code, d.resultMsg).toBe(200);
});
afterAll(() => server?.close());

const KEY = [
  'tenant_id',
  'job_id',
  'is_training',
  'utc_day',
  'result_status',
  'intent_level',
  'customer_group_id',
  'dialog_flow_id',
  'follow_status',
  'hangup_by',
  'read_status',
  'manual_marked',
] as const;

/** call_record_count's rows that count something, as comparable text. */
async function countRows(): Promise<string[]> {
  const rows = await db.selectFrom('call_record_count').selectAll().where('records', '<>', 0).execute();
  return rows.map((r) => [...KEY.map((k) => String(r[k])), String(r.records)].join('|')).sort();
}

/** The same rows, recomputed here from call_record and each record's customer. */
async function recomputed(): Promise<string[]> {
  const records = await db
    .selectFrom('call_record as r')
    .leftJoin('customer_person as c', 'c.id', 'r.customer_person_id')
    .select([...KEY.filter((k) => k !== 'utc_day' && k !== 'follow_status').map((k) => `r.${k}`), 'r.start_time'])
    .select('c.follow_status')
    .execute();
  const counts = new Map<string, number>();
  for (const r of records) {
    const key = KEY.map((k) =>
      k === 'utc_day'
        ? String(Math.floor(Number(r.start_time) / 86_400_000))
        : k === 'customer_group_id' || k === 'follow_status' || k === 'hangup_by'
          ? String(r[k] ?? (k === 'customer_group_id' ? 0 : ''))
          : String(r[k]),
    ).join('|');
    counts.set(key, (counts.get(key) ?? 0) + 1);
  }
  return [...counts].map(([k, n]) => `${k}|${n}`).sort();
}

describe(`migration 0016 on ${testDialect}`, () => {
  it('keeps call_record_count equal to a recomputation from the records', async () => {
    const rows = await countRows();
    expect(rows).toEqual(await recomputed());
    // Records without a hangup side are counted under '' (and there are some), the deleted job nowhere.
    expect(rows.some((r) => r.split('|')[9] === '')).toBe(true);
    const left = await db
      .selectFrom('call_record_count')
      .select('records')
      .where('job_id', '=', doomedJobId)
      .where('records', '<>', 0)
      .execute();
    expect(left).toEqual([]);
  });

  it('answers the later list’s totals for hangupBy, readStatus and realIntent from the counts, exactly', async () => {
    const filters: [Record<string, unknown>, (q: any) => any][] = [];
    for (const hangupBy of HangupBy.names) filters.push([{ hangupBy }, (q) => q.where('hangup_by', '=', hangupBy)]);
    for (const readStatus of ReadStatus.names)
      filters.push([{ readStatus }, (q) => q.where('read_status', '=', readStatus)]);
    for (const realIntent of [true, false])
      filters.push([{ realIntent }, (q) => q.where('manual_marked', '=', realIntent ? 1 : 0)]);
    filters.push(
      [
        { hangupBy: 'REMOTE_HANGUP', readStatus: 'NOT_READ', realIntent: false },
        (q) =>
          q
            .where('hangup_by', '=', 'REMOTE_HANGUP')
            .where('read_status', '=', 'NOT_READ')
            .where('manual_marked', '=', 0),
      ],
      [
        { hangupBy: 'SYSTEM_HANGUP', resultStatuses: ['NO_ANSWER', 'BUSY'], customerGroupId: vipGroup },
        (q) =>
          q
            .where('hangup_by', '=', 'SYSTEM_HANGUP')
            .where('result_status', 'in', ['NO_ANSWER', 'BUSY'])
            .where('customer_group_id', '=', vipGroup),
      ],
      [
        { readStatus: 'HAS_READ', intentLevels: ['A', 'B', 'C'], dialogFlowId: tenant.flowId },
        (q) =>
          q
            .where('read_status', '=', 'HAS_READ')
            .where('intent_level', 'in', ['A', 'B', 'C'])
            .where('dialog_flow_id', '=', tenant.flowId),
      ],
      [
        { realIntent: true, resultStatuses: ['ANSWERED'], hangupBy: 'ROBOT_HANGUP' },
        (q) =>
          q
            .where('manual_marked', '=', 1)
            .where('result_status', '=', 'ANSWERED')
            .where('hangup_by', '=', 'ROBOT_HANGUP'),
      ],
    );
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
      // The total is a sum over count rows: no statement counts the job's records.
      expect(server.queries.some((q) => q.includes('call_record_count'))).toBe(true);
      expect(server.queries.filter((q) => /count\(\*\)/i.test(q) && /from "call_record"/.test(q))).toEqual([]);
    }
  });
  it('rebuilds the table from the records whatever it held', async () => {
    const before = await countRows();
    await db.deleteFrom('call_record_count').where('job_id', '=', jobId).where('manual_marked', '=', 1).execute();
    await db.updateTable('call_record_count').set({ records: 99 }).execute();
    await up(db, testDialect);
    expect(await countRows()).toEqual(before);
    // The triggers it made anew still move counts.
    await db
      .updateTable('call_record')
      .set({ read_status: 'HAS_READ', manual_marked: 1 })
      .where('job_id', '=', jobId)
      .execute();
    expect(await countRows()).toEqual(await recomputed());
  });
});
