import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { finishedCall, T0, TenantFixture } from '../../test/fixtures.js';
import { createTestDatabase, type TestDatabase } from '../../test/harness.js';
import { FollowStatus, HangupBy, IntentLevel, ReadStatus, ResultStatus } from '../domain/enums.js';
import { type CallRecordFilter, countCallRecords, listCallRecords } from './callRecords.js';
import { parseJson } from './rows.js';

/*
 * The list's totals come from call_record_count plus partial-day counts, from the duration and
 * concern rollups (migration 0020) for the later API's chatDuration and customerConcern filters,
 * from the latest calls' rollup (migration 0022) for lastCallRecord, and searchWords goes through
 * trigram indexes; whatever the filter, both must answer exactly what
 * a plain reading of the records answers — also after customers change follow status and records
 * are changed or deleted behind the write path's back (the triggers keep the counts).
 */

const HOUR = 3_600_000;
const NAMES = ['张伟', '王芳', '李娜', '张伟明', 'Tom张', '王', '欧阳娜娜', 'tom'];
const PHONES = [
  '13912345678',
  '13800001111',
  '18612340000',
  '15000002222',
  '17711110000',
  '13912340000',
  '1391234',
  '010-5555',
];
const SEARCHES = [
  '张伟',
  '张',
  '伟明',
  '欧阳娜',
  'Tom',
  'tom',
  '1234',
  '139',
  '12345678',
  '0000',
  '1',
  '00',
  '-55',
  '%',
  '_',
  '"',
  'x',
];
const CONCERNS = ['价格', '位置', '售后', '太贵了', 'a"b'];

let t: TestDatabase;
let tenant: TenantFixture;
let jobId: number;
let groups: number[];
let flows: number[];

interface Row {
  id: number;
  is_training: number;
  start_time: number;
  customer_group_id: number | null;
  dialog_flow_id: number;
  result_status: ResultStatus;
  intent_level: IntentLevel;
  called_phone_number: string;
  customer_person_id: number | null;
  hangup_by: HangupBy | null;
  read_status: ReadStatus;
  manual_marked: number;
  chat_duration: number;
  customer_concern: string | string[];
  is_last: number;
  redial_times: number;
}

async function truth(f: CallRecordFilter): Promise<number[]> {
  const db = t.database.db;
  const rows = (await db
    .selectFrom('call_record')
    .selectAll()
    .where('tenant_id', '=', tenant.tenantId)
    .where('job_id', '=', f.jobId)
    .execute()) as Row[];
  const customers = new Map(
    (await db.selectFrom('customer_person').selectAll().where('tenant_id', '=', tenant.tenantId).execute()).map((c) => [
      c.id,
      c,
    ]),
  );
  return (
    rows
      // Only the latest calls, whatever the training flag asked (none of them is a training call).
      .filter((r) => (f.lastCallRecord ? r.is_last === 1 : r.is_training === (f.training ? 1 : 0)))
      .filter((r) => f.redialTimes === undefined || r.redial_times === f.redialTimes)
      .filter((r) => f.customerGroupId === undefined || r.customer_group_id === f.customerGroupId)
      .filter((r) => f.dialogFlowId === undefined || r.dialog_flow_id === f.dialogFlowId)
      .filter((r) => f.startFrom === undefined || r.start_time >= f.startFrom)
      .filter((r) => f.startBefore === undefined || r.start_time < f.startBefore)
      .filter((r) => !f.resultStatuses?.length || f.resultStatuses.includes(r.result_status))
      .filter((r) => !f.intentLevels?.length || f.intentLevels.includes(r.intent_level))
      .filter(
        (r) =>
          f.followStatus === undefined ||
          (r.customer_person_id !== null && customers.get(r.customer_person_id)?.follow_status === f.followStatus),
      )
      .filter(
        (r) =>
          f.searchWords === undefined ||
          r.called_phone_number.includes(f.searchWords) ||
          (r.customer_person_id !== null && (customers.get(r.customer_person_id)?.name ?? '').includes(f.searchWords)),
      )
      .filter((r) => f.hangupBy === undefined || r.hangup_by === f.hangupBy)
      .filter((r) => f.readStatus === undefined || r.read_status === f.readStatus)
      .filter((r) => f.manualMarked === undefined || r.manual_marked === (f.manualMarked ? 1 : 0))
      .filter((r) => f.chatDurationMin === undefined || r.chat_duration >= f.chatDurationMin)
      .filter((r) => f.chatDurationMax === undefined || r.chat_duration <= f.chatDurationMax)
      .filter(
        (r) =>
          !f.customerConcerns?.length ||
          parseJson<string[]>(r.customer_concern, []).some((c) => f.customerConcerns!.includes(c)),
      )
      .sort((a, b) => b.start_time - a.start_time || b.id - a.id)
      .map((r) => r.id)
  );
}

const DAY = 24 * HOUR;
const filterArb = () =>
  fc.record(
    {
      training: fc.boolean(),
      group: fc.option(fc.integer({ min: 0, max: 2 }), { nil: undefined }),
      flow: fc.option(fc.integer({ min: 0, max: 1 }), { nil: undefined }),
      follow: fc.option(fc.constantFrom(...FollowStatus.names), { nil: undefined }),
      // Bounds anywhere in the calls' four days, on the hour, on a UTC or local midnight, or mid-way.
      from: fc.option(
        fc.integer({ min: -2 * DAY, max: 5 * DAY }).map((ms) => T0 + ms - (ms % (15 * 60_000))),
        { nil: undefined },
      ),
      span: fc.option(fc.integer({ min: 0, max: 5 * DAY }), { nil: undefined }),
      results: fc.option(fc.subarray([...ResultStatus.names], { minLength: 1 }), { nil: undefined }),
      intents: fc.option(fc.subarray([...IntentLevel.names], { minLength: 1 }), { nil: undefined }),
      search: fc.option(fc.constantFrom(...SEARCHES), { nil: undefined }),
      page: fc.integer({ min: 0, max: 4 }),
      size: fc.integer({ min: 1, max: 7 }),
    },
    { requiredKeys: ['training', 'page', 'size'] },
  );

function toFilter(v: ReturnType<typeof filterArb> extends fc.Arbitrary<infer T> ? T : never): CallRecordFilter {
  const before = v.span === undefined ? undefined : (v.from ?? T0) + v.span;
  return {
    jobId,
    training: v.training,
    customerGroupId: v.group === undefined ? undefined : groups[v.group],
    dialogFlowId: v.flow === undefined ? undefined : flows[v.flow],
    followStatus: v.follow,
    startFrom: v.from,
    startBefore: before,
    resultStatuses: v.results,
    intentLevels: v.intents,
    searchWords: v.search,
  };
}

/** Half the time absent (the later filters are tried alone and in small groups). */
const sometimes = <T>(arb: fc.Arbitrary<T>) => fc.option(arb, { nil: undefined, freq: 2 });
/** Mostly absent (one time in eight given): start bounds, follow status or a search send a total back to counting rows. */
const rarely = <T>(arb: fc.Arbitrary<T>) =>
  fc.oneof({ arbitrary: fc.constant(undefined), weight: 7 }, { arbitrary: arb, weight: 1 });

/** The later API's filters (no lastCallRecord), with the 2018 ones the rollups also hold. */
const laterArb = () =>
  fc.record(
    {
      training: fc.boolean(),
      group: sometimes(fc.integer({ min: 0, max: 2 })),
      flow: sometimes(fc.integer({ min: 0, max: 1 })),
      results: sometimes(fc.subarray([...ResultStatus.names], { minLength: 1 })),
      intents: sometimes(fc.subarray([...IntentLevel.names], { minLength: 1 })),
      hangup: sometimes(fc.constantFrom(...HangupBy.names)),
      read: sometimes(fc.constantFrom(...ReadStatus.names)),
      marked: sometimes(fc.boolean()),
      durationMin: sometimes(fc.integer({ min: 0, max: 200 })),
      durationSpan: sometimes(fc.integer({ min: 0, max: 120 })),
      concerns: sometimes(fc.subarray([...CONCERNS, '没人提'], { minLength: 1 })),
      follow: rarely(fc.constantFrom(...FollowStatus.names)),
      from: rarely(fc.integer({ min: -1 * DAY, max: 4 * DAY }).map((ms) => T0 + ms - (ms % HOUR))),
      search: rarely(fc.constantFrom(...SEARCHES)),
      page: fc.integer({ min: 0, max: 4 }),
      size: fc.integer({ min: 1, max: 7 }),
    },
    { requiredKeys: ['training', 'page', 'size'] },
  );

function toLaterFilter(v: ReturnType<typeof laterArb> extends fc.Arbitrary<infer T> ? T : never): CallRecordFilter {
  const min = v.durationMin;
  return {
    jobId,
    training: v.training,
    customerGroupId: v.group === undefined ? undefined : groups[v.group],
    dialogFlowId: v.flow === undefined ? undefined : flows[v.flow],
    resultStatuses: v.results,
    intentLevels: v.intents,
    hangupBy: v.hangup,
    readStatus: v.read,
    manualMarked: v.marked,
    // A span alone is an upper bound; with a lower one, the range [min, min + span].
    chatDurationMin: min,
    chatDurationMax: v.durationSpan === undefined ? undefined : (min ?? 0) + v.durationSpan,
    customerConcerns: v.concerns,
    followStatus: v.follow,
    startFrom: v.from,
    searchWords: v.search,
  };
}

/** Checks the total and a page of `filter` against a plain reading; returns whether a 0020 or 0022 rollup counted it. */
async function expectFilterExact(f: CallRecordFilter, size: number, page: number): Promise<boolean> {
  const expected = await truth(f);
  t.queries.length = 0;
  const total = await countCallRecords(t.database, tenant.tenantId, f);
  const fromRollup = t.queries.some((q) => /call_record_(duration|concern|last)_count/.test(q));
  expect(total, JSON.stringify(f)).toBe(expected.length);
  // Without the total, and with it (a search may then walk the list index instead).
  for (const hint of [undefined, total]) {
    const rows = await listCallRecords(t.database, tenant.tenantId, f, size, page * size, hint);
    expect(rows.map((r) => r.id)).toEqual(expected.slice(page * size, (page + 1) * size));
  }
  return fromRollup;
}

async function expectExact(runs: number): Promise<void> {
  await fc.assert(
    fc.asyncProperty(filterArb(), async (v) => {
      await expectFilterExact(toFilter(v), v.size, v.page);
    }),
    { numRuns: runs },
  );
}

/**
 * lastCallRecord with the later filters and a redial number; now and then concerns or the training
 * flag, which send it back to counting rows.
 */
const lastArb = () =>
  fc
    .tuple(laterArb(), sometimes(fc.integer({ min: 0, max: 6 })), rarely(fc.constant(true)), rarely(fc.constant(true)))
    .map(([v, redialTimes, concerns, training]) => ({
      filter: {
        ...toLaterFilter({ ...v, training: training === true, concerns: concerns ? v.concerns : undefined }),
        lastCallRecord: true,
        redialTimes,
      },
      size: v.size,
      page: v.page,
    }));

/** The later filters' property (with lastCallRecord or without); most runs' totals are the rollups', some count rows. */
async function expectLaterExact(runs: number, last = false): Promise<void> {
  let fromRollups = 0;
  let matched = 0;
  const arb = last ? lastArb() : laterArb().map((v) => ({ filter: toLaterFilter(v), size: v.size, page: v.page }));
  await fc.assert(
    fc.asyncProperty(arb, async ({ filter, size, page }) => {
      if (await expectFilterExact(filter, size, page)) {
        fromRollups++;
        if ((await truth(filter)).length > 0) matched++;
      }
    }),
    { numRuns: runs },
  );
  expect(fromRollups).toBeGreaterThan(runs / 5);
  expect(matched).toBeGreaterThan(runs / 20);
}

beforeAll(async () => {
  t = await createTestDatabase();
  tenant = await TenantFixture.create(t.database);
  const other = await TenantFixture.create(t.database);
  groups = [await tenant.group('一组'), await tenant.group('二组'), await tenant.group('三组')];
  flows = [tenant.flowId, await tenant.flow('二号话术')];
  const customers: { id: number; phone: string }[] = [];
  for (let i = 0; i < 24; i++) {
    customers.push(
      await tenant.customer({
        name: NAMES[i % NAMES.length],
        phone: `${PHONES[i % PHONES.length]}${i >= PHONES.length ? `-${i}` : ''}`,
        groupId: i % 4 === 3 ? null : groups[i % 3]!,
        followStatus: FollowStatus.names[i % 3]!,
      }),
    );
  }
  const job = await tenant.job({ name: '计数任务', redialTimes: 5, customers: customers.map((c) => c.id) });
  jobId = job.jobId;
  // Calls every 97 minutes over four days (crossing UTC and local midnights), some training ones;
  // answered ones last up to three minutes and mention up to three concerns (one repeated).
  const random = fc.sample(
    fc.tuple(
      fc.constantFrom(...ResultStatus.names, 'ANSWERED', 'ANSWERED'),
      fc.constantFrom(...IntentLevel.names),
      fc.integer({ min: 0, max: 180 }),
      fc.array(fc.constantFrom(...CONCERNS), { maxLength: 3 }),
      fc.constantFrom(null, ...HangupBy.names),
      fc.constantFrom(...ReadStatus.names),
      fc.boolean(),
    ),
    { numRuns: 140, seed: 7 },
  );
  const calls = random.map(([result, intent, duration, concerns, hangupBy, readStatus, marked], i) => {
    const c = customers[(i * 7) % customers.length]!;
    const answered = result === 'ANSWERED';
    const spec = {
      jobId,
      result,
      intent,
      at: T0 - 10 * HOUR + i * 97 * 60_000,
      duration: answered ? duration : 0,
      concerns: answered ? concerns : [],
    };
    return {
      ...(i % 17 === 5
        ? finishedCall({ ...spec, phone: '17700000000', training: true })
        : finishedCall({ ...spec, task: job.taskOf.get(c.id)! })),
      hangupBy,
      readStatus,
      manualMarked: marked && i % 3 === 0,
    };
  });
  for (let i = 0; i < calls.length; i += 25) await tenant.calls(calls.slice(i, i + 25));
  // Another tenant's calls with the same numbers and names: never counted here.
  const theirs = await other.customer({ name: '张伟', phone: '13912345678' });
  const theirJob = await other.job({ customers: [theirs.id] });
  await other.calls([finishedCall({ jobId: theirJob.jobId, task: theirJob.taskOf.get(theirs.id)!, at: T0 })]);
});
afterAll(() => t.drop());

describe('call record totals and search', () => {
  it('count and page exactly what a plain reading of the records finds', async () => {
    await expectExact(120);
  });

  it('count and page the later filters (chatDuration, customerConcern, hangupBy, readStatus, realIntent) exactly', async () => {
    await expectLaterExact(150);
  });

  it('count and page lastCallRecord with the later filters and redialTimes exactly', async () => {
    await expectLaterExact(150, true);
  });

  it('find the same page when a search with many matches walks the list index', async () => {
    // A job of 4,000 calls, 2,100 of them to numbers containing "5550".
    const people = [];
    for (let i = 0; i < 40; i++)
      people.push(
        await tenant.customer({
          name: `客户${i}`,
          phone: i < 21 ? `1375550${String(i).padStart(4, '0')}` : `1860000${String(i).padStart(4, '0')}`,
        }),
      );
    const big = await tenant.job({ name: '大任务', redialTimes: 200, customers: people.map((p) => p.id) });
    const calls = people.flatMap((p, i) =>
      Array.from({ length: 100 }, (_, k) =>
        finishedCall({ jobId: big.jobId, task: big.taskOf.get(p.id)!, at: T0 + (k * 40 + i) * 60_000 }),
      ),
    );
    for (let i = 0; i < calls.length; i += 500) await tenant.calls(calls.slice(i, i + 500));
    const f: CallRecordFilter = { jobId: big.jobId, training: false, searchWords: '5550' };
    const expected = await truth(f);
    const total = await countCallRecords(t.database, tenant.tenantId, f);
    expect(total).toBe(2100);
    expect(expected.length).toBe(2100);
    for (const [size, page] of [
      [20, 0],
      [7, 3],
      [100, 9],
    ] as const) {
      t.queries.length = 0;
      const rows = await listCallRecords(t.database, tenant.tenantId, f, size, page * size, total);
      expect(rows.map((r) => r.id)).toEqual(expected.slice(page * size, (page + 1) * size));
      const walked = t.database.dialect === 'sqlite' ? '+r.id in' : '"r"."called_phone_number" like';
      expect(t.queries.some((q) => q.includes(walked))).toBe(true);
    }
  });

  it('stay exact after follow statuses, names, records and deletions change outside the write path', async () => {
    const db = t.database.db;
    const some = await db
      .selectFrom('customer_person')
      .select('id')
      .where('tenant_id', '=', tenant.tenantId)
      .orderBy('id')
      .limit(9)
      .execute();
    for (const [i, c] of some.entries()) {
      await db
        .updateTable('customer_person')
        .set({ follow_status: FollowStatus.names[(i + 1) % 3]! })
        .where('id', '=', c.id)
        .execute();
    }
    await db.updateTable('customer_person').set({ name: '新名字张伟' }).where('id', '=', some[0]!.id).execute();
    const records = await db.selectFrom('call_record').select('id').where('job_id', '=', jobId).orderBy('id').execute();
    await db
      .updateTable('call_record')
      .set({ dialog_flow_id: flows[1]!, result_status: 'BUSY' })
      .where('id', '=', records[3]!.id)
      .execute();
    await db
      .updateTable('call_record')
      .set({ start_time: T0 + 3 * DAY + 5 * HOUR })
      .where('id', '=', records[4]!.id)
      .execute();
    await db
      .updateTable('call_record')
      .set({ called_phone_number: '12345678999' })
      .where('id', '=', records[5]!.id)
      .execute();
    for (const id of [records[6]!.id, records[7]!.id]) {
      await db.deleteFrom('call_detail').where('call_record_id', '=', id).execute();
      await db.deleteFrom('call_record').where('id', '=', id).execute();
    }
    // The later filters' columns, each on a few records.
    const later: Record<string, unknown>[] = [
      { chat_duration: 77 },
      { customer_concern: JSON.stringify(['售后', '价格', '售后']) },
      { customer_concern: '[]' },
      { read_status: 'HAS_READ', hangup_by: null },
      { manual_marked: 1, intent_level: 'A' },
      { hangup_by: 'REMOTE_HANGUP', chat_duration: 0, customer_concern: JSON.stringify(['位置']) },
      // Which calls are latest, and their redial numbers.
      { is_last: 1 },
      { is_last: 0, redial_times: 4 },
      { redial_times: 1 },
    ];
    for (const [i, set] of later.entries())
      await db
        .updateTable('call_record')
        .set(set)
        .where('id', 'in', [records[10 + i]!.id, records[20 + i]!.id, records[30 + i]!.id])
        .execute();
    await expectExact(120);
    await expectLaterExact(150);
    await expectLaterExact(150, true);
  });
});
