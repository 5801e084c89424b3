import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { finishedCall, T0, TenantFixture } from '../../../../test/fixtures.js';
import { call, getCallRecords, startTestServer, type TestServer } from '../../../../test/harness.js';
import type { HangupBy, IntentLevel, ReadStatus, ResultStatus } from '../../../domain/enums.js';
import { claimDueCallTasks } from '../../../repositories/callTasks.js';
import { insertDoNotCallNumbers } from '../../../repositories/doNotCall.js';
import type { FinishedCall } from '../../../services/callResults.js';

const HOUR = 3_600_000;
const LIST = '/apiOpen/v1/callRecord/getCallRecordInfoList';

let server: TestServer;
let tenant: TenantFixture;
let other: TenantFixture;
let jobId: number;
let otherJobId: number;
let vipGroup: number;
let secondFlow: number;

/** What the fixture recorded, to recompute every filter by hand. */
interface Model {
  key: string;
  id: number;
  at: number;
  group: number | null;
  flow: 'first' | 'second';
  name: string | null;
  phone: string;
  result: ResultStatus;
  intent: IntentLevel;
  hangupBy: HangupBy | null;
  manual: boolean;
  read: ReadStatus;
  duration: number;
  concerns: string[];
  redial: number;
  last: boolean;
}
const model: Model[] = [];

/*
 * One job (redialTimes 3), nine real calls and a training call (Asia/Shanghai, from 05-01 10:00):
 *   a1 +0h 张伟 VIP    NO_ANSWER E  SYSTEM   redial 0
 *   a2 +1h 张伟 VIP    BUSY      E  (none)   redial 1
 *   a3 +2h 张伟 VIP    ANSWERED  A  ROBOT    redial 2  last; marked (real B), read, 120 s, [价格, 位置]
 *   b1 +3h 李娜 VIP    ANSWERED  C  REMOTE   redial 0  last; 30 s, [位置]
 *   c1 +4h 王芳        REFUSED   F  REMOTE   redial 0
 *   c2 +5h 王芳        ANSWERED  B  ROBOT    redial 1  last; read, 75 s, [交通]
 *   d1 +6h 赵强        ANSWERED  D  REMOTE   redial 0  last; marked (real C), 10 s, second flow
 *   x  +7h (no task)   ANSWERED  B  ROBOT    redial 0  last; sent through addCallRecords, 45 s
 *   s  +8h 欧阳娜娜 VIP NO_ANSWER E SYSTEM   redial 0  last
 *   t  training call (never listed)
 */
beforeAll(async () => {
  server = await startTestServer();
  tenant = await TenantFixture.create(server.database);
  other = await TenantFixture.create(server.database);
  vipGroup = await tenant.group('VIP客户');
  secondFlow = await tenant.flow('二号话术');
  const zhang = await tenant.customer({ name: '张伟', phone: '13912345678', groupId: vipGroup });
  const li = await tenant.customer({ name: '李娜', phone: '13800001111', groupId: vipGroup });
  const wang = await tenant.customer({ name: '王芳', phone: '18612340000' });
  const zhao = await tenant.customer({ name: '赵强', phone: '15000002222' });
  const ouyang = await tenant.customer({ name: '欧阳娜娜', phone: '17711110000', groupId: vipGroup });
  const job = await tenant.job({
    name: '列表任务',
    redialTimes: 3,
    customers: [zhang.id, li.id, wang.id, zhao.id, ouyang.id],
  });
  jobId = job.jobId;
  const specs: [
    string,
    { id: number; phone: string; name: string; group: number | null },
    Partial<FinishedCall> & {
      result: ResultStatus;
      intent: IntentLevel;
      h: number;
      duration?: number;
      concerns?: string[];
    },
    number,
  ][] = [
    [
      'a1',
      { ...zhang, name: '张伟', group: vipGroup },
      { result: 'NO_ANSWER', intent: 'E', h: 0, hangupBy: 'SYSTEM_HANGUP' },
      0,
    ],
    ['a2', { ...zhang, name: '张伟', group: vipGroup }, { result: 'BUSY', intent: 'E', h: 1 }, 1],
    [
      'a3',
      { ...zhang, name: '张伟', group: vipGroup },
      {
        result: 'ANSWERED',
        intent: 'A',
        h: 2,
        hangupBy: 'ROBOT_HANGUP',
        manualMarked: true,
        realIntentLevel: 'B',
        readStatus: 'HAS_READ',
        duration: 120,
        concerns: ['价格', '位置'],
      },
      2,
    ],
    [
      'b1',
      { ...li, name: '李娜', group: vipGroup },
      { result: 'ANSWERED', intent: 'C', h: 3, hangupBy: 'REMOTE_HANGUP', duration: 30, concerns: ['位置'] },
      0,
    ],
    [
      'c1',
      { ...wang, name: '王芳', group: null },
      { result: 'REFUSED', intent: 'F', h: 4, hangupBy: 'REMOTE_HANGUP' },
      0,
    ],
    [
      'c2',
      { ...wang, name: '王芳', group: null },
      {
        result: 'ANSWERED',
        intent: 'B',
        h: 5,
        hangupBy: 'ROBOT_HANGUP',
        readStatus: 'HAS_READ',
        duration: 75,
        concerns: ['交通'],
      },
      1,
    ],
    [
      'd1',
      { ...zhao, name: '赵强', group: null },
      {
        result: 'ANSWERED',
        intent: 'D',
        h: 6,
        hangupBy: 'REMOTE_HANGUP',
        manualMarked: true,
        realIntentLevel: 'C',
        duration: 10,
      },
      0,
    ],
    [
      's',
      { ...ouyang, name: '欧阳娜娜', group: vipGroup },
      { result: 'NO_ANSWER', intent: 'E', h: 8, hangupBy: 'SYSTEM_HANGUP' },
      0,
    ],
  ];
  // Recorded out of order, one by one and in a batch, as engines report them.
  const calls = specs.map(([key, c, s, redial]) => {
    const { result, intent, h, duration, concerns, ...rest } = s;
    const fc = {
      ...finishedCall({
        jobId,
        task: job.taskOf.get(c.id)!,
        result,
        intent,
        at: T0 + h * HOUR,
        duration,
        concerns,
      }),
      ...rest,
    };
    model.push({
      key,
      id: 0,
      at: T0 + h * HOUR,
      group: c.group,
      flow: key === 'd1' ? 'second' : 'first',
      name: c.name,
      phone: c.phone,
      result,
      intent,
      hangupBy: s.hangupBy ?? null,
      manual: s.manualMarked ?? false,
      read: s.readStatus ?? 'NOT_READ',
      duration: duration ?? (result === 'ANSWERED' ? 60 : 0),
      concerns: concerns ?? [],
      redial,
      last: ['a3', 'b1', 'c2', 'd1', 's'].includes(key),
    });
    return fc;
  });
  const firstBatch = await tenant.calls([calls[0]!, calls[3]!]);
  const rest = await tenant.calls(calls.filter((_, i) => i !== 0 && i !== 3));
  const recorded = [firstBatch[0]!, ...rest.slice(0, 2), firstBatch[1]!, ...rest.slice(2)];
  for (const [i, m] of model.entries()) m.id = recorded[i]!;
  await tenant.call(
    finishedCall({ jobId, result: 'ANSWERED', intent: 'A', at: T0, training: true, phone: '17700000000' }),
  );
  // The second flow's call: a record keeps the flow its job had when it was recorded.
  await server.database.db
    .updateTable('call_record')
    .set({ dialog_flow_id: secondFlow })
    .where('id', '=', model.find((m) => m.key === 'd1')!.id)
    .execute();
  // A call of no call task, through the ingestion endpoint, hangupBy by code.
  const x = await call(server, tenant.credentials, 'POST', '/apiOpen/v1/task/addCallRecords', {
    callRecords: [
      {
        idempotencyKey: 'later-x',
        robotCallJobId: jobId,
        calledPhoneNumber: '16600001234',
        resultStatus: 'ANSWERED',
        intentLevel: 'B',
        startTime: T0 + 7 * HOUR,
        endTime: T0 + 7 * HOUR + 60_000,
        chatDuration: 45,
        chatRound: 3,
        hangupBy: 1,
      },
    ],
  });
  expect(x.code, x.resultMsg).toBe(200);
  model.push({
    key: 'x',
    id: x.data.results[0].callRecordId,
    at: T0 + 7 * HOUR,
    group: null,
    flow: 'first',
    name: null,
    phone: '16600001234',
    result: 'ANSWERED',
    intent: 'B',
    hangupBy: 'ROBOT_HANGUP',
    manual: false,
    read: 'NOT_READ',
    duration: 45,
    concerns: [],
    redial: 0,
    last: true,
  });
  const otherJob = await other.job({ customers: [(await other.customer({ name: '张伟', phone: '13912345678' })).id] });
  otherJobId = otherJob.jobId;
  await other.calls([finishedCall({ jobId: otherJobId, phone: '13912345678', at: T0 })]);
});
afterAll(() => server.close());

const list = async (body: Record<string, unknown>, credentials = tenant.credentials) =>
  call(server, credentials, 'POST', LIST, { robotCallJobId: jobId, ...body });

/** The keys of every record the filter lists, walking the pages (pageSize 2, to cross pages). */
async function keysOf(body: Record<string, unknown>): Promise<{ keys: string[]; total: number }> {
  const byId = new Map(model.map((m) => [m.id, m.key]));
  const keys: string[] = [];
  let total = -1;
  for (let pageNum = 1; ; pageNum++) {
    const r = await list({ ...body, pageNum, pageSize: 2 });
    expect(r.code, r.resultMsg).toBe(200);
    total = r.data.totalElements;
    keys.push(...r.data.content.map((i: any) => byId.get(i.callRecordId) ?? `?${i.callRecordId}`));
    if (pageNum >= r.data.pages) return { keys, total };
  }
}

/** The plain recomputation: the model's records passing every condition, newest first. */
function expected(body: Record<string, any>): string[] {
  const ok = (m: Model) =>
    (body.lastCallRecord !== true || m.last) &&
    (body.hangupBy == null || m.hangupBy === body.hangupBy) &&
    (body.customerGroupId == null || m.group === body.customerGroupId) &&
    (body.dialogFlowId == null || (m.flow === 'second' ? secondFlow : tenant.flowId) === body.dialogFlowId) &&
    (!body.resultStatuses?.length || body.resultStatuses.includes(m.result)) &&
    (!body.intentLevels?.length || body.intentLevels.includes(m.intent)) &&
    (body.calledPhoneNumber == null || m.phone === body.calledPhoneNumber) &&
    (body.callRecordId == null || m.id === body.callRecordId) &&
    (body.customerPersonName == null || (m.name ?? '').includes(body.customerPersonName)) &&
    (body.realIntent == null || m.manual === body.realIntent) &&
    (!body.customerConcern?.length || m.concerns.some((c) => body.customerConcern.includes(c))) &&
    (body.readStatus == null || m.read === body.readStatus) &&
    (body.chatDurationMin == null || m.duration >= body.chatDurationMin) &&
    (body.chatDurationMax == null || m.duration <= body.chatDurationMax) &&
    (body.redialTimes == null || m.redial === body.redialTimes) &&
    (body.customerPersonName == null || m.name !== null);
  return model
    .filter(ok)
    .sort((a, b) => b.at - a.at || b.id - a.id)
    .map((m) => m.key);
}

const idOf = (key: string) => model.find((m) => m.key === key)!.id;

describe('callRecord/getCallRecordInfoList', () => {
  it('lists the job’s real calls newest first, with the exact total', async () => {
    const r = await list({});
    expect(r.data).toMatchObject({ number: 1, pageSize: 20, totalElements: 9, pages: 1 });
    expect((await keysOf({})).keys.join(' ')).toBe('s x d1 c2 c1 b1 a3 a2 a1');
  });

  it('shows each call with every documented field, names from the job’s intent-level tag group', async () => {
    const item = (await list({ callRecordId: idOf('a3') })).data.content[0];
    expect(item).toEqual({
      hangupBy: 'ROBOT_HANGUP',
      callRecordId: idOf('a3'),
      tenantId: tenant.tenantId,
      robotCallJobId: jobId,
      dialogFlowId: tenant.flowId,
      robotCallTaskId: expect.any(Number),
      customerPersonId: expect.any(Number),
      calledPhoneNumber: '13912345678',
      phoneNumberId: 0,
      resultStatus: 'ANSWERED',
      intentLevel: 'A',
      intentLevelName: 'A类',
      realIntentLevel: 'B',
      realIntentLevelName: 'B类',
      intentLevelTagId: expect.any(Number),
      customerConcern: ['价格', '位置'],
      fullAudioUrl: null,
      customerAudioUrl: null,
      analysisBasis: '',
      startTime: '2024-05-01 12:00:00',
      chatDuration: 120,
      chatRound: 4,
      readStatus: 'HAS_READ',
      redialTimes: 2,
      callDetailList: [
        { text: '您好', type: 'ROBOT', callDetailId: expect.any(Number) },
        { text: '嗯', type: 'PERSON', callDetailId: expect.any(Number) },
      ],
    });
    const tag = await server.database.db
      .selectFrom('intent_level_tag')
      .select('id')
      .where('tenant_id', '=', tenant.tenantId)
      .executeTakeFirstOrThrow();
    expect(item.intentLevelTagId).toBe(Number(tag.id));
  });

  it('names levels from the group the job’s dialog flow points at', async () => {
    const db = server.database.db;
    const tagId = Number(
      (
        await db
          .insertInto('intent_level_tag')
          .values({ tenant_id: tenant.tenantId, name: '地产', created_at: T0 })
          .returning('id')
          .executeTakeFirstOrThrow()
      ).id,
    );
    await db
      .insertInto('intent_level_tag_detail')
      .values(
        ['很好', '较好', '一般', '较差', '再跟进', '无意向'].map((name, code) => ({
          tenant_id: tenant.tenantId,
          intent_level_tag_id: tagId,
          code,
          name,
        })),
      )
      .execute();
    const flow = await tenant.flow('地产话术');
    await db.updateTable('dialog_flow').set({ intent_level_tag_id: tagId }).where('id', '=', flow).execute();
    const job = await tenant.job({ flowId: flow });
    const [id] = await tenant.calls([finishedCall({ jobId: job.jobId, intent: 'A', phone: '13000000001' })]);
    const r = await list({ robotCallJobId: job.jobId });
    expect(r.data.content[0]).toMatchObject({
      callRecordId: id,
      intentLevelName: '很好',
      intentLevelTagId: tagId,
      hangupBy: null,
    });
    const detail = await call(
      server,
      tenant.credentials,
      'GET',
      `/apiOpen/v1/callRecord/callDetail?callRecordId=${id}`,
    );
    expect(detail.data).toMatchObject({ intentLevelName: '很好', intentLevelTagId: tagId, realIntentLevelName: null });
  });

  describe('filters, each alone, against a plain recomputation', () => {
    const cases: [string, Record<string, unknown>][] = [
      ['hangupBy REMOTE_HANGUP', { hangupBy: 'REMOTE_HANGUP' }],
      ['hangupBy ROBOT_HANGUP', { hangupBy: 'ROBOT_HANGUP' }],
      ['hangupBy by code 2', { hangupBy: 2 }],
      ['customerGroupId', { customerGroupId: 'VIP' }],
      ['dialogFlowId', { dialogFlowId: 'second' }],
      ['resultStatuses', { resultStatuses: ['ANSWERED', 'REFUSED'] }],
      ['resultStatuses, a later-only value alone: nothing', { resultStatuses: ['CALL_LOSS'] }],
      ['resultStatuses, a later-only value among others', { resultStatuses: ['TRANSFER_ARTIFICIAL', 'BUSY'] }],
      ['intentLevels', { intentLevels: ['A', 'E'] }],
      ['calledPhoneNumber (exact)', { calledPhoneNumber: '13912345678' }],
      ['calledPhoneNumber, a part: nothing', { calledPhoneNumber: '1391234' }],
      ['callRecordId', { callRecordId: 'c2' }],
      ['customerPersonName, a substring', { customerPersonName: '娜' }],
      ['customerPersonName, three CJK characters (indexed)', { customerPersonName: '阳娜娜' }],
      ['realIntent true', { realIntent: true }],
      ['realIntent false', { realIntent: false }],
      ['customerConcern, any of', { customerConcern: ['位置', '交通'] }],
      ['customerConcern, one', { customerConcern: ['价格'] }],
      ['readStatus HAS_READ', { readStatus: 'HAS_READ' }],
      ['readStatus NOT_READ', { readStatus: 'NOT_READ' }],
      ['chatDurationMin', { chatDurationMin: 45 }],
      ['chatDurationMax', { chatDurationMax: 30 }],
      ['chatDuration range', { chatDurationMin: 30, chatDurationMax: 75 }],
      ['lastCallRecord', { lastCallRecord: true }],
      ['lastCallRecord false', { lastCallRecord: false }],
      ['redialTimes 0 (with lastCallRecord)', { lastCallRecord: true, redialTimes: 0 }],
      ['redialTimes 2 (with lastCallRecord)', { lastCallRecord: true, redialTimes: 2 }],
    ];
    it.each(cases)('%s', async (_, filter) => {
      const body: Record<string, any> = { ...filter };
      if (body.customerGroupId === 'VIP') body.customerGroupId = vipGroup;
      if (body.dialogFlowId === 'second') body.dialogFlowId = secondFlow;
      if (body.callRecordId === 'c2') body.callRecordId = idOf('c2');
      const want = expected({
        ...body,
        hangupBy: body.hangupBy === 2 ? 'SYSTEM_HANGUP' : body.hangupBy,
        resultStatuses: body.resultStatuses?.filter((s: string) => !['CALL_LOSS', 'TRANSFER_ARTIFICIAL'].includes(s)),
      });
      if (body.resultStatuses?.every((s: string) => ['CALL_LOSS', 'TRANSFER_ARTIFICIAL'].includes(s))) want.length = 0;
      const got = await keysOf(body);
      expect(got.keys).toEqual(want);
      expect(got.total).toBe(want.length);
    });

    it('every filter narrows something: the cases above are not all everything or nothing', () => {
      expect(expected({ hangupBy: 'REMOTE_HANGUP' }).join(' ')).toBe('d1 c1 b1');
      expect(expected({ lastCallRecord: true }).join(' ')).toBe('s x d1 c2 b1 a3');
      expect(expected({ customerPersonName: '娜' }).join(' ')).toBe('s b1');
    });
  });

  describe('filters, combined with AND, against a plain recomputation', () => {
    it.each([
      [{ customerGroupId: 'VIP', hangupBy: 'SYSTEM_HANGUP' }],
      [{ resultStatuses: ['ANSWERED'], readStatus: 'NOT_READ', chatDurationMin: 20 }],
      [{ customerConcern: ['位置'], realIntent: false }],
      [{ customerPersonName: '张', intentLevels: ['E'], hangupBy: 'SYSTEM_HANGUP' }],
      [{ calledPhoneNumber: '18612340000', resultStatuses: ['ANSWERED'], dialogFlowId: 'first' }],
      [{ lastCallRecord: true, resultStatuses: ['ANSWERED'], intentLevels: ['A', 'B'], chatDurationMax: 100 }],
      [{ lastCallRecord: true, redialTimes: 1, chatDurationMin: 60 }],
    ])('%j', async (filter) => {
      const body: Record<string, any> = { ...filter };
      if (body.customerGroupId === 'VIP') body.customerGroupId = vipGroup;
      if (body.dialogFlowId === 'first') body.dialogFlowId = tenant.flowId;
      const want = expected(body);
      const got = await keysOf(body);
      expect(got.keys).toEqual(want);
      expect(got.total).toBe(want.length);
    });

    it('random combinations agree with the recomputation', async () => {
      const plain = fc.record(
        {
          hangupBy: fc.constantFrom('REMOTE_HANGUP', 'ROBOT_HANGUP', 'SYSTEM_HANGUP', null),
          customerGroupId: fc.constantFrom(vipGroup, null),
          resultStatuses: fc.subarray(['ANSWERED', 'NO_ANSWER', 'BUSY', 'REFUSED'] as ResultStatus[]),
          intentLevels: fc.subarray(['A', 'B', 'C', 'D', 'E', 'F'] as IntentLevel[]),
          customerPersonName: fc.constantFrom('张', '娜', '欧阳娜娜', null),
          realIntent: fc.constantFrom(true, false, null),
          customerConcern: fc.subarray(['价格', '位置', '交通']),
          readStatus: fc.constantFrom('HAS_READ', 'NOT_READ', null),
          chatDurationMin: fc.constantFrom(0, 30, 60, null),
          chatDurationMax: fc.constantFrom(30, 100, null),
        },
        { requiredKeys: [] },
      );
      const last = fc.record(
        {
          lastCallRecord: fc.constant(true),
          resultStatuses: fc.subarray(['ANSWERED', 'NO_ANSWER', 'BUSY'] as ResultStatus[]),
          intentLevels: fc.subarray(['A', 'B', 'E'] as IntentLevel[]),
          chatDurationMin: fc.constantFrom(0, 30, null),
          chatDurationMax: fc.constantFrom(100, null),
          redialTimes: fc.constantFrom(0, 1, 2, null),
        },
        { requiredKeys: ['lastCallRecord'] },
      );
      await fc.assert(
        fc.asyncProperty(fc.oneof(plain, last), async (body) => {
          const b = body as Record<string, any>;
          if (b.chatDurationMin != null && b.chatDurationMax != null && b.chatDurationMin > b.chatDurationMax) return;
          const got = await keysOf(b);
          expect(got.keys).toEqual(expected(b));
          expect(got.total).toBe(got.keys.length);
        }),
        { numRuns: 25 },
      );
    });
  });

  it('returns the same records as task/getCallRecordInfoList for the filters both have', async () => {
    const shared = fc.record(
      {
        customerGroupId: fc.constantFrom(vipGroup, undefined),
        dialogFlowId: fc.constantFrom(tenant.flowId, secondFlow, undefined),
        resultStatuses: fc.subarray(['ANSWERED', 'NO_ANSWER', 'BUSY', 'REFUSED'] as ResultStatus[]),
        intentLevels: fc.subarray(['A', 'B', 'C', 'D', 'E', 'F'] as IntentLevel[]),
        pageNum: fc.integer({ min: 1, max: 4 }),
        pageSize: fc.integer({ min: 1, max: 4 }),
      },
      { requiredKeys: ['pageNum', 'pageSize'] },
    );
    await fc.assert(
      fc.asyncProperty(shared, async (filter) => {
        const body = { robotCallJobId: jobId, ...filter };
        const [later, old] = await Promise.all([
          call(server, tenant.credentials, 'POST', LIST, body),
          getCallRecords(server, tenant.credentials, body),
        ]);
        expect(later.code, later.resultMsg).toBe(200);
        expect(old.code, old.resultMsg).toBe(200);
        const { content: laterItems, ...laterPage } = later.data;
        const { content: oldItems, ...oldPage } = old.data;
        expect(laterPage).toEqual(oldPage);
        expect(laterItems.map((i: any) => i.callRecordId)).toEqual(oldItems.map((i: any) => i.callRecordId));
        for (const [i, item] of laterItems.entries()) {
          const o = oldItems[i];
          for (const k of [
            'robotCallTaskId',
            'calledPhoneNumber',
            'resultStatus',
            'intentLevel',
            'startTime',
            'chatDuration',
          ])
            expect(item[k]).toEqual(o[k]);
        }
      }),
      { numRuns: 30 },
    );
  });

  it('treats null, "" and [] as no filter', async () => {
    const got = await keysOf({
      hangupBy: null,
      customerGroupId: null,
      resultStatuses: [],
      calledPhoneNumber: '',
      customerPersonName: ' ',
      customerConcern: [],
      readStatus: null,
      realIntent: null,
      redialTimes: null,
    });
    expect(got.total).toBe(9);
  });

  it('ignores, not refuses, the filters that take no effect: the others with lastCallRecord, redialTimes without it', async () => {
    const last = await keysOf({ lastCallRecord: true });
    const lastRedial = await keysOf({ lastCallRecord: true, redialTimes: 1 });
    expect(lastRedial.keys).not.toEqual(last.keys);
    // The platform's own request example sends all of them together.
    const ignored = {
      hangupBy: 'ROBOT_HANGUP',
      customerGroupId: vipGroup,
      dialogFlowId: secondFlow,
      calledPhoneNumber: '13900000000',
      callRecordId: 1,
      customerPersonName: '没有这个人',
      realIntent: true,
      customerConcern: ['没有'],
      readStatus: 'HAS_READ',
    };
    expect(await keysOf({ lastCallRecord: true, ...ignored })).toEqual(last);
    expect(await keysOf({ lastCallRecord: true, redialTimes: 1, ...ignored })).toEqual(lastRedial);
    expect(await keysOf({ redialTimes: 1 })).toEqual(await keysOf({}));
    expect(await keysOf({ lastCallRecord: false, redialTimes: 0 })).toEqual(await keysOf({}));
    // Still read, so a malformed value is still a 412.
    expect((await list({ lastCallRecord: true, hangupBy: 'NOBODY' })).code).toBe(412);
  });

  it('pages at most 100 records, 20 by default', async () => {
    expect((await list({ pageSize: 500 })).data.pageSize).toBe(100);
    expect((await list({ pageNum: 3, pageSize: 4 })).data).toMatchObject({ number: 3, totalElements: 9, pages: 3 });
  });

  describe('refuses with 412 naming the parameter', () => {
    it.each([
      [{ robotCallJobId: undefined }, 'robotCallJobId'],
      [{ hangupBy: 'NOBODY' }, 'hangupBy'],
      [{ resultStatuses: ['ANSWERED', 'WRONG'] }, 'resultStatuses[1]'],
      [{ intentLevels: ['Z'] }, 'intentLevels[0]'],
      [{ readStatus: 'SEEN' }, 'readStatus'],
      [{ chatDurationMin: -1 }, 'chatDurationMin'],
      [{ chatDurationMin: 60, chatDurationMax: 30 }, 'chatDurationMax'],
      [{ callRecordId: 0 }, 'callRecordId'],
      [{ customerConcern: 'x'.repeat(51) }, 'customerConcern'],
      [{ pageSize: 0 }, 'pageSize'],
    ])('%j → %s', async (body, parameter) => {
      const r = await list(body);
      expect(r.code).toBe(412);
      expect(r.resultMsg).toContain(parameter);
    });
  });

  it('answers another tenant’s job as a 404, and never lists its records', async () => {
    expect((await list({ robotCallJobId: otherJobId })).code).toBe(404);
    expect((await list({ robotCallJobId: jobId }, other.credentials)).code).toBe(404);
    expect((await list({ robotCallJobId: 999_999_999 })).code).toBe(404);
  });
});

describe('callRecord/callDetail', () => {
  const detail = (id: number | string, credentials = tenant.credentials) =>
    call(server, credentials, 'GET', `/apiOpen/v1/callRecord/callDetail?callRecordId=${id}`);

  it('answers the later shape: customer, names, redial, ISO local times', async () => {
    const r = await detail(idOf('a3'));
    expect(r.code, r.resultMsg).toBe(200);
    expect(r.data).toEqual({
      callRecordId: idOf('a3'),
      robotCallJobId: jobId,
      customerPerson: {
        customerPersonId: expect.any(Number),
        creationTime: '2024-05-01 10:00',
        tenantId: tenant.tenantId,
        customerGroupId: vipGroup,
        name: '张伟',
        phoneNumber: '13912345678',
        wechatNumber: null,
        source: 'UPLOADED_BY_YOURSELF',
        gender: 'UNKNOWN',
        properties: { 来源: '测试' },
        lastFollowTime: null,
        lastChatDuration: 120,
        lastStartTime: '2024-05-01 12:00:00',
        lastIntentLevel: 'A',
        lastDialStatus: 'ANSWERED',
        assignTime: '2024-05-01 10:00:00',
        customerGroupName: 'VIP客户',
      },
      resultStatus: 'ANSWERED',
      intentLevel: 'A',
      intentLevelName: 'A类',
      realIntentLevel: 'B',
      realIntentLevelName: 'B类',
      intentLevelTagId: expect.any(Number),
      customerConcern: ['价格', '位置'],
      fullAudioUrl: null,
      customerAudioUrl: null,
      analysisBasis: '',
      callDetailList: [
        { text: '您好', type: 'ROBOT', callDetailId: expect.any(Number) },
        { text: '嗯', type: 'PERSON', callDetailId: expect.any(Number) },
      ],
      startTime: '2024-05-01T12:00:00',
      endTime: '2024-05-01T12:02:10',
      chatRound: 4,
      chatDuration: 120,
      attributes: [],
      redialTimes: 2,
    });
  });

  it('answers a call of no call task with a null customer', async () => {
    const r = await detail(idOf('x'));
    expect(r.data).toMatchObject({ customerPerson: null, redialTimes: 0, realIntentLevel: null });
  });

  it('refuses a missing or malformed id with 412, another tenant’s record with 404', async () => {
    expect((await call(server, tenant.credentials, 'GET', '/apiOpen/v1/callRecord/callDetail')).code).toBe(412);
    expect((await detail('abc')).code).toBe(412);
    expect((await detail(idOf('a3'), other.credentials)).code).toBe(404);
    expect((await detail(999_999_999)).code).toBe(404);
  });
});

describe('callRecord/toBeCalledList, deleteRobotCallTask, deleteRobotCallTaskList', () => {
  const get = (path: string, credentials = tenant.credentials) =>
    call(server, credentials, 'GET', `/apiOpen/v1/callRecord/${path}`);
  const taskTotal = async (id: number) =>
    Number(
      (
        await server.database.db
          .selectFrom('robot_call_job')
          .select('task_call_total')
          .where('id', '=', id)
          .executeTakeFirstOrThrow()
      ).task_call_total,
    );

  /** A job of five call tasks: p1 not started, p2 waiting for a redial, p3 finished, p4 being called, p5 on the do-not-call list. */
  async function pendingJob(t = tenant) {
    const group = await t.group('待呼组');
    const people: { id: number; phone: string }[] = [];
    for (let i = 1; i <= 5; i++) people.push(await t.customer({ name: `待呼${i}`, groupId: i === 1 ? group : null }));
    const job = await t.job({ redialTimes: 2, customers: people.map((p) => p.id) });
    const task = (i: number) => job.taskOf.get(people[i - 1]!.id)!;
    await t.calls([
      finishedCall({ jobId: job.jobId, task: task(2), result: 'NO_ANSWER', at: T0 }),
      finishedCall({ jobId: job.jobId, task: task(3), result: 'ANSWERED', at: T0 }),
    ]);
    await server.database.db.updateTable('call_task').set({ status: 'CALLING' }).where('id', '=', task(4).id).execute();
    await insertDoNotCallNumbers(server.database, t.tenantId, [task(5).phone], {
      reason: null,
      addedBy: 'test',
      now: T0,
    });
    return { jobId: job.jobId, task, people };
  }

  it('lists the call tasks not finished, in import order, in the later codes', async () => {
    const { jobId: id, task, people } = await pendingJob();
    const r = await get(`toBeCalledList?robotCallJobId=${id}`);
    expect(r.code, r.resultMsg).toBe(200);
    expect(r.data).toMatchObject({ number: 1, pageSize: 20, totalElements: 4, pages: 1 });
    expect(r.data.content).toEqual([
      {
        robotCallTaskId: task(1).id,
        customerPersonId: people[0]!.id,
        customerPersonName: '待呼1',
        calledPhoneNumber: task(1).phone,
        customerPersonGroupName: '待呼组',
        status: 'NOT_STARTED',
        inWhiteList: false,
        inShareWhiteList: null,
        properties: { 来源: '测试' },
      },
      expect.objectContaining({ robotCallTaskId: task(2).id, status: 'AUTO_RETRY', customerPersonGroupName: '' }),
      expect.objectContaining({ robotCallTaskId: task(4).id, status: 'IN_PROCESS' }),
      expect.objectContaining({ robotCallTaskId: task(5).id, status: 'NOT_STARTED', inWhiteList: true }),
    ]);
    const ids = async (q: string) =>
      (await get(`toBeCalledList?robotCallJobId=${id}&${q}`)).data.content.map((i: any) => i.robotCallTaskId);
    expect(await ids('taskStatus=NOT_STARTED')).toEqual([task(1).id, task(5).id]);
    expect(await ids('taskStatus=4')).toEqual([task(2).id]);
    expect(await ids('taskStatus=IN_PROCESS')).toEqual([task(4).id]);
    expect(await ids('taskStatus=RETRY')).toEqual([]);
    expect(await ids('taskStatus=IN_CACHE')).toEqual([]);
    expect(await ids(`calledPhoneNumber=${task(2).phone}`)).toEqual([task(2).id]);
    expect(await ids(`calledPhoneNumber=${task(3).phone}`)).toEqual([]);
    expect(await ids('pageNum=2&pageSize=3')).toEqual([task(5).id]);
  });

  it('toBeCalledList refuses COMPLETED, bad input (412) and another tenant’s job (404)', async () => {
    const { jobId: id } = await pendingJob();
    expect((await get(`toBeCalledList?robotCallJobId=${id}&taskStatus=COMPLETED`)).resultMsg).toContain('taskStatus');
    expect((await get(`toBeCalledList?robotCallJobId=${id}&taskStatus=DONE`)).code).toBe(412);
    expect((await get('toBeCalledList')).code).toBe(412);
    expect((await get(`toBeCalledList?robotCallJobId=${id}`, other.credentials)).code).toBe(404);
  });

  it('deleteRobotCallTask removes a call task not yet called and keeps the job’s total exact', async () => {
    const { jobId: id, task } = await pendingJob();
    const before = await taskTotal(id);
    const del = (taskId: number, credentials = tenant.credentials) =>
      call(server, credentials, 'POST', '/apiOpen/v1/callRecord/deleteRobotCallTask', { robotCallTaskId: taskId });
    // Another tenant's key: 404, and nothing changes.
    expect((await del(task(1).id, other.credentials)).code).toBe(404);
    expect(await taskTotal(id)).toBe(before);
    const r = await del(task(1).id);
    expect(r).toMatchObject({ code: 200, data: task(1).id });
    expect(await taskTotal(id)).toBe(before - 1);
    expect((await del(task(1).id)).code).toBe(404);
    for (const i of [2, 3, 4]) {
      const refused = await del(task(i).id);
      expect(refused.code).toBe(412);
      expect(refused.resultMsg).toContain('robotCallTaskId');
    }
    expect(await taskTotal(id)).toBe(before - 1);
    expect(
      (await call(server, tenant.credentials, 'POST', '/apiOpen/v1/callRecord/deleteRobotCallTask', {})).code,
    ).toBe(412);
  });

  it('deleteRobotCallTask and a dialer claiming the same task: exactly one wins', async () => {
    for (let round = 0; round < 3; round++) {
      const c = await tenant.customer();
      const job = await tenant.job({ customers: [c.id] });
      const taskId = job.taskOf.get(c.id)!.id;
      const [deleted, claimed] = await Promise.all([
        call(server, tenant.credentials, 'POST', '/apiOpen/v1/callRecord/deleteRobotCallTask', {
          robotCallTaskId: taskId,
        }),
        claimDueCallTasks(server.database, tenant.tenantId, job.jobId, 10, T0, T0 + 60_000),
      ]);
      const gone = deleted.code === 200;
      expect(gone ? 0 : 1).toBe(claimed.length);
      if (!gone) expect(deleted.code).toBe(412);
      expect(await taskTotal(job.jobId)).toBe(gone ? 0 : 1);
    }
  });

  it('deleteRobotCallTaskList removes the listed ids (comma-separated or repeated), ignoring the filters', async () => {
    const { jobId: id, task } = await pendingJob();
    const before = await taskTotal(id);
    const ids = [1, 2, 3, 4, 5].map((i) => task(i).id);
    // p2–p4 were called or are being called; the phone filter is ignored when ids are given.
    const r = await get(
      `deleteRobotCallTaskList?robotCallJobId=${id}&robotCallTaskIds=${ids.slice(0, 4).join(',')}&calledPhoneNumber=1`,
    );
    expect(r).toMatchObject({ code: 200, data: 1 });
    const again = await get(
      `deleteRobotCallTaskList?robotCallJobId=${id}&robotCallTaskIds=${ids[4]}&robotCallTaskIds=${ids[0]}`,
    );
    expect(again).toMatchObject({ code: 200, data: 1 });
    expect(await taskTotal(id)).toBe(before - 2);
  });

  it('deleteRobotCallTaskList by filters removes only the matching tasks not yet called', async () => {
    const { jobId: id, task } = await pendingJob();
    const before = await taskTotal(id);
    expect((await get(`deleteRobotCallTaskList?robotCallJobId=${id}&taskStatus=IN_PROCESS`)).data).toBe(0);
    expect((await get(`deleteRobotCallTaskList?robotCallJobId=${id}&taskStatus=AUTO_RETRY`)).data).toBe(0);
    expect((await get(`deleteRobotCallTaskList?robotCallJobId=${id}&calledPhoneNumber=${task(1).phone}`)).data).toBe(1);
    expect(await taskTotal(id)).toBe(before - 1);
    expect((await get(`deleteRobotCallTaskList?robotCallJobId=${id}&taskStatus=NOT_STARTED`)).data).toBe(1);
    expect(await taskTotal(id)).toBe(before - 2);
    const left = await get(`toBeCalledList?robotCallJobId=${id}`);
    expect(left.data.content.map((i: any) => i.robotCallTaskId)).toEqual([task(2).id, task(4).id]);
  });

  it('deleteRobotCallTaskList: 412 for bad ids or COMPLETED, 404 for another tenant’s job; other tenants’ tasks stay', async () => {
    const { jobId: id } = await pendingJob();
    const theirs = await pendingJob(other);
    expect((await get(`deleteRobotCallTaskList?robotCallJobId=${id}&robotCallTaskIds=1,x`)).resultMsg).toContain(
      'robotCallTaskIds',
    );
    const many = Array.from({ length: 1001 }, (_, i) => i + 1).join(',');
    expect((await get(`deleteRobotCallTaskList?robotCallJobId=${id}&robotCallTaskIds=${many}`)).code).toBe(412);
    expect((await get(`deleteRobotCallTaskList?robotCallJobId=${id}&taskStatus=COMPLETED`)).code).toBe(412);
    expect((await get('deleteRobotCallTaskList')).code).toBe(412);
    expect((await get(`deleteRobotCallTaskList?robotCallJobId=${theirs.jobId}`)).code).toBe(404);
    // Their task's id under our job: not ours, nothing removed.
    expect((await get(`deleteRobotCallTaskList?robotCallJobId=${id}&robotCallTaskIds=${theirs.task(1).id}`)).data).toBe(
      0,
    );
    expect(await taskTotal(theirs.jobId)).toBe(5);
  });
});
