import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { T0, TenantFixture } from '../../../test/fixtures.js';
import { allCallRecords, call, getTaskDetail, startTestServer, type TestServer } from '../../../test/harness.js';
import { recomputeStats } from '../../../test/recompute.js';
import { OutcallClient } from '../../client/index.js';
import type { ResultStatus } from '../../domain/enums.js';
import { Simulator } from '../../engines/simulator.js';
import type { DialRequest, Telephony } from '../../engines/telephony.js';
import { claimDueCallTasks, listCallTasks } from '../../repositories/callTasks.js';
import { insertDoNotCallNumbers } from '../../repositories/doNotCall.js';
import { Scheduler } from '../../scheduler/scheduler.js';
import { type SimulatedCall, simulateCall } from '../../simulator/conversation.js';
import { seededRandom } from '../../simulator/random.js';

/*
 * The do-not-call list: managed through the API, never dialled, refused by importTaskCustomer,
 * and a number listed after its import has its pending call tasks finished without a call, so its
 * job still completes with statistics equal to a recomputation from its call records.
 */

let server: TestServer;
let tenant: TenantFixture;
let other: TenantFixture;

const dnc = (action: 'add' | 'remove', body: unknown, who: TenantFixture = tenant) =>
  call(server, who.credentials, 'POST', `/apiOpen/v1/doNotCall/${action}`, body);
const list = (query = '', who: TenantFixture = tenant) =>
  call(server, who.credentials, 'GET', `/apiOpen/v1/doNotCall/list${query}`);
const task = (path: string, body: unknown, who: TenantFixture = tenant) =>
  call(server, who.credentials, 'POST', `/apiOpen/v1/task/${path}`, body);

beforeAll(async () => {
  server = await startTestServer();
  tenant = await TenantFixture.create(server.database);
  other = await TenantFixture.create(server.database);
});
afterAll(() => server.close());

describe('doNotCall/add, list, remove', () => {
  it('lists numbers normalised as imports are, reporting each row', async () => {
    const r = await dnc('add', {
      phoneNumbers: ['138 1234 5678', '+86 13812345679', 'abc', '13812345678', '010-12345678'],
      reason: ' 客户要求不再来电 ',
    });
    expect(r.code, r.resultMsg).toBe(200);
    expect(r.resultMsg).toBe('执行成功');
    expect(r.data).toEqual({
      accepted: [
        { index: 0, phoneNumber: '13812345678', finishedCallTasks: 0 },
        { index: 1, phoneNumber: '13812345679', finishedCallTasks: 0 },
        { index: 4, phoneNumber: '01012345678', finishedCallTasks: 0 },
      ],
      rejected: [
        { index: 2, phoneNumber: 'abc', reason: 'not a mainland mobile or landline number' },
        { index: 3, phoneNumber: '13812345678', reason: 'duplicate of row 0 in this request' },
      ],
      finishedCallTasks: 0,
    });
    const again = await dnc('add', { phoneNumbers: ['13812345678'] });
    expect(again.data.rejected).toEqual([
      { index: 0, phoneNumber: '13812345678', reason: 'already on the do-not-call list' },
    ]);
  });

  it('lists the tenant’s numbers newest first, a page at a time, filtered by the digits they contain', async () => {
    const all = await list();
    expect(all.code).toBe(200);
    expect(all.data).toMatchObject({ number: 1, pageSize: 20, totalElements: 3, pages: 1 });
    expect(all.data.content.map((e: any) => e.phoneNumber).sort()).toEqual([
      '01012345678',
      '13812345678',
      '13812345679',
    ]);
    expect(all.data.content[0]).toEqual({
      phoneNumber: expect.any(String),
      reason: '客户要求不再来电',
      addedBy: tenant.credentials.appKey,
      creationTime: expect.stringMatching(/^\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}$/),
    });
    await dnc('add', { phoneNumbers: ['13900001111'] });
    expect((await list('?pageSize=1')).data.content[0].phoneNumber).toBe('13900001111');
    expect((await list('?pageSize=2&pageNum=2')).data).toMatchObject({ number: 2, totalElements: 4, pages: 2 });
    expect((await list('?phoneNumber=5679')).data.content.map((e: any) => e.phoneNumber)).toEqual(['13812345679']);
    const full = await list(`?phoneNumber=${encodeURIComponent('+86 138-1234-5678')}`);
    expect(full.data.content.map((e: any) => e.phoneNumber)).toEqual(['13812345678']);
    const bad = await list('?phoneNumber=12ab');
    expect([bad.code, bad.resultMsg]).toEqual([412, expect.stringMatching(/^参数错误: phoneNumber /)]);
  });

  it('keeps each tenant’s list its own', async () => {
    expect((await list('', other)).data.totalElements).toBe(0);
    expect((await dnc('add', { phoneNumbers: ['13812345678'] }, other)).data.accepted).toHaveLength(1);
    expect((await list('', other)).data.totalElements).toBe(1);
    expect((await list()).data.totalElements).toBe(4);
    expect((await dnc('remove', { phoneNumbers: ['13812345678'] }, other)).data.removed).toHaveLength(1);
    expect((await list('?phoneNumber=13812345678')).data.totalElements).toBe(1);
  });

  it('takes numbers off the list, reporting those that were not on it', async () => {
    const r = await dnc('remove', { phoneNumbers: ['+8613812345679', '13700000000', 'x', '13812345679'] });
    expect(r.data).toEqual({
      removed: [{ index: 0, phoneNumber: '13812345679' }],
      rejected: [
        { index: 1, phoneNumber: '13700000000', reason: 'not on the do-not-call list' },
        { index: 2, phoneNumber: 'x', reason: 'not a mainland mobile or landline number' },
        { index: 3, phoneNumber: '13812345679', reason: 'duplicate of row 0 in this request' },
      ],
    });
    expect((await list('?phoneNumber=5679')).data.totalElements).toBe(0);
  });

  it.each([
    [{}, 'phoneNumbers'],
    [{ phoneNumbers: [] }, 'phoneNumbers'],
    [{ phoneNumbers: Array.from({ length: 1001 }, (_, i) => `138${String(i).padStart(8, '0')}`) }, 'phoneNumbers'],
    [{ phoneNumbers: [''] }, 'phoneNumbers[0]'],
    [{ phoneNumbers: ['13812345678'], reason: 'x'.repeat(201) }, 'reason'],
  ])('refuses %# with 412 naming %s', async (body, parameter) => {
    const r = await dnc('add', body);
    expect(r.code).toBe(412);
    expect(r.resultMsg.startsWith(`参数错误: ${parameter} `), r.resultMsg).toBe(true);
  });
});

describe('the SDK', () => {
  it('lists, reads and takes numbers off the list, and reads the audit log', async () => {
    const client = new OutcallClient({ baseUrl: server.url, ...tenant.credentials });
    const added = await client.addDoNotCall(['139 6666 0001'], 'SDK');
    expect(added.accepted).toEqual([{ index: 0, phoneNumber: '13966660001', finishedCallTasks: 0 }]);
    const page = await client.getDoNotCallList({ phoneNumber: '66660001' });
    expect(page.content).toEqual([expect.objectContaining({ phoneNumber: '13966660001', reason: 'SDK' })]);
    expect((await client.removeDoNotCall(['13966660001'])).removed).toHaveLength(1);
    const log = await client.getAuditLog({ action: 'doNotCall/remove', pageSize: 1 });
    expect(log.content[0]).toMatchObject({ action: 'doNotCall/remove', code: 200, appKey: tenant.credentials.appKey });
  });
});

describe('importTaskCustomer', () => {
  it('rejects numbers on the do-not-call list and imports the rest', async () => {
    const flows = await call(server, tenant.credentials, 'GET', '/apiOpen/v1/task/getDialogFlows');
    const created = await task('create', { name: '免打扰导入', dialogFlowId: flows.data[0].dialogFlowId });
    const jobId = created.data.robotCallJobId;
    await dnc('add', { phoneNumbers: ['13655550001'] });
    const r = await task('importTaskCustomer', {
      robotCallJobId: jobId,
      customers: [{ phoneNumber: '136-5555-0001' }, { phoneNumber: '13655550002' }, { phoneNumber: 'nope' }],
    });
    expect(r.code, r.resultMsg).toBe(200);
    expect(r.data.accepted.map((a: any) => a.phoneNumber)).toEqual(['13655550002']);
    expect(r.data.rejected).toEqual([
      { index: 0, phoneNumber: '13655550001', reason: 'on the do-not-call list' },
      { index: 2, phoneNumber: 'nope', reason: 'not a mainland mobile or landline number' },
    ]);
    expect(r.data.taskCallTotal).toBe(1);
    // Off the list, it can be imported.
    await dnc('remove', { phoneNumbers: ['13655550001'] });
    const again = await task('importTaskCustomer', {
      robotCallJobId: jobId,
      customers: [{ phoneNumber: '13655550001' }],
    });
    expect(again.data.accepted).toHaveLength(1);
  });
});

/** A telephony whose calls stay up until the test hangs them up. */
class HeldTelephony implements Telephony {
  readonly up: { call: DialRequest; hangUp: (outcome: SimulatedCall) => void }[] = [];
  readonly dialled: DialRequest[] = [];
  private readonly random = seededRandom(7);

  dial(call: DialRequest): Promise<SimulatedCall> {
    this.dialled.push(call);
    return new Promise((hangUp) => this.up.push({ call, hangUp }));
  }

  /** Ends the call to `number` with `result`. */
  hangUp(number: string, result: ResultStatus): void {
    const i = this.up.findIndex((u) => u.call.calledPhoneNumber === number);
    if (i < 0) throw new Error(`no call up to ${number}`);
    const [{ call, hangUp }] = this.up.splice(i, 1) as [(typeof this.up)[number]];
    hangUp(simulateCall(this.random, call.script, result));
  }
}

/** Runs only these jobs: the tenant's other running jobs are paused. */
async function only(...jobIds: number[]) {
  await server.database.db
    .updateTable('robot_call_job')
    .set({ status: 'USER_PAUSE' })
    .where('id', 'not in', jobIds)
    .where('status', 'in', ['IN_PROCESS', 'IN_QUEUE', 'SYSTEM_SUSPENDED'])
    .execute();
}

const tasksOf = async (jobId: number) =>
  new Map((await listCallTasks(server.database, tenant.tenantId, jobId)).map((t) => [t.called_phone_number, t]));
const jobRow = (jobId: number) =>
  server.database.db.selectFrom('robot_call_job').selectAll().where('id', '=', jobId).executeTakeFirstOrThrow();
const recordCount = async (jobId: number) =>
  (await server.database.db.selectFrom('call_record').select('id').where('job_id', '=', jobId).execute()).length;

describe('a number listed after it was imported', () => {
  it('has its waiting, redial-waiting and in-progress call tasks finished without a call; the job still completes', async () => {
    const customers = [];
    for (let i = 0; i < 5; i++) customers.push(await tenant.customer({ phone: `1350000000${i}` }));
    const [a, b, c, d, e] = customers.map((x) => x.phone) as [string, string, string, string, string];
    const { jobId } = await tenant.job({ status: 'IN_PROCESS', redialTimes: 1, customers: customers.map((x) => x.id) });
    await server.database.db.updateTable('robot_call_job').set({ robot_count: 2 }).where('id', '=', jobId).execute();
    // The same number in another tenant's job, and in a stopped job of this tenant: not touched.
    const elsewhere = await other.customer({ phone: c });
    const otherJob = await other.job({ status: 'IN_PROCESS', customers: [elsewhere.id] });
    const stopped = await tenant.job({ status: 'TERMINATE', customers: [customers[2]!.id] });
    await only(jobId);

    const clock = { t: T0, now: () => clock.t, sleep: async () => undefined };
    const telephony = new HeldTelephony();
    const dialer = new Simulator({ database: server.database, telephony, clock });
    expect((await dialer.tick()).claimed).toBe(2); // a and b
    telephony.hangUp(a, 'NO_ANSWER'); // a waits for its redial; b's call is still up
    await waitFor(async () => (await tasksOf(jobId)).get(a)?.status === 'REDIAL_WAITING');
    expect((await tasksOf(jobId)).get(b)?.status).toBe('CALLING');
    expect(await recordCount(jobId)).toBe(1);

    const r = await dnc('add', { phoneNumbers: [a, b, c] });
    expect(r.data).toMatchObject({
      accepted: [
        { phoneNumber: a, finishedCallTasks: 1 },
        { phoneNumber: b, finishedCallTasks: 1 },
        { phoneNumber: c, finishedCallTasks: 1 },
      ],
      finishedCallTasks: 3,
    });
    const tasks = await tasksOf(jobId);
    for (const n of [a, b, c])
      expect(tasks.get(n)).toMatchObject({
        status: 'FINISHED',
        next_attempt_at: null,
        finished_at: expect.any(Number),
      });
    for (const n of [d, e]) expect(tasks.get(n)?.status).toBe('NOT_STARTED');
    expect((await jobRow(jobId)).completed_task).toBe(3);
    expect(await recordCount(jobId)).toBe(1); // finished without a call: no call record
    expect((await listCallTasks(server.database, other.tenantId, otherJob.jobId))[0]?.status).toBe('NOT_STARTED');
    expect((await listCallTasks(server.database, tenant.tenantId, stopped.jobId))[0]?.status).toBe('NOT_STARTED');

    // The call in progress ends: it is recorded (it happened), its task stays finished, counted once.
    telephony.hangUp(b, 'ANSWERED');
    await dialer.idle();
    expect(await recordCount(jobId)).toBe(2);
    expect((await tasksOf(jobId)).get(b)?.status).toBe('FINISHED');
    expect((await jobRow(jobId)).completed_task).toBe(3);

    // The rest is dialled — never a, b or c again, even when a's redial is due — and the job completes.
    clock.t = T0 + 2 * 3_600_000;
    const scheduler = new Scheduler({ database: server.database, clock });
    for (let round = 0; round < 10 && (await jobRow(jobId)).status !== 'COMPLETED'; round++) {
      await dialer.tick();
      for (const { call } of [...telephony.up]) telephony.hangUp(call.calledPhoneNumber, 'ANSWERED');
      await dialer.idle();
      await scheduler.tick();
    }
    await scheduler.stop();
    expect(telephony.dialled.map((x) => x.calledPhoneNumber).sort()).toEqual([a, b, d, e].sort());
    const job = await jobRow(jobId);
    expect(job).toMatchObject({ status: 'COMPLETED', completed_task: 5, task_call_total: 5 });
    const detail = (await getTaskDetail(server, tenant.credentials, jobId)).data;
    expect(detail).toMatchObject({ completedTask: 5, taskCallTotal: 5 });
    const records = await allCallRecords(server, tenant.credentials, { robotCallJobId: jobId });
    expect(records).toHaveLength(4);
    expect(detail.callJobStatsInfo).toEqual(recomputeStats(records, detail));
  });

  it('is never claimed by the dialer, even when its tasks were left unfinished', async () => {
    const x = await tenant.customer({ phone: '13500000010' });
    const y = await tenant.customer({ phone: '13500000011' });
    const { jobId } = await tenant.job({ status: 'IN_PROCESS', customers: [x.id, y.id] });
    // Listed behind the service's back: only the claim's own exclusion stands between it and a call.
    await insertDoNotCallNumbers(server.database, tenant.tenantId, [x.phone], {
      reason: null,
      addedBy: 'test',
      now: T0,
    });
    const claimed = await server.database.transaction((trx) =>
      claimDueCallTasks(trx, tenant.tenantId, jobId, 10, T0, T0 + 60_000),
    );
    expect(claimed.map((t) => t.called_phone_number)).toEqual([y.phone]);
  });

  it('still accepts calls reported by an external engine for it: they happened', async () => {
    const x = await tenant.customer({ phone: '13500000020' });
    const { jobId, taskOf } = await tenant.job({ status: 'IN_PROCESS', customers: [x.id] });
    await dnc('add', { phoneNumbers: [x.phone] });
    const r = await task('addCallRecord', {
      idempotencyKey: `dnc-engine-${jobId}`,
      robotCallJobId: jobId,
      robotCallTaskId: taskOf.get(x.id)!.id,
      calledPhoneNumber: x.phone,
      resultStatus: 'ANSWERED',
      intentLevel: 'C',
      startTime: T0,
      endTime: T0 + 70_000,
      chatDuration: 60,
      chatRound: 3,
      callDetailList: [{ type: 'ROBOT', text: '您好' }],
    });
    expect(r.code, r.resultMsg).toBe(200);
    expect(r.data.accepted).toBe(1);
    const detail = (await getTaskDetail(server, tenant.credentials, jobId)).data;
    expect(detail).toMatchObject({ completedTask: 1, taskCallTotal: 1 });
    const records = await allCallRecords(server, tenant.credentials, { robotCallJobId: jobId });
    expect(records).toHaveLength(1);
    expect(detail.callJobStatsInfo).toEqual(recomputeStats(records, detail));
  });
});

describe('listing and importing at the same time', () => {
  it('never leaves a listed number with a call task waiting to be dialled', async () => {
    const flows = await call(server, tenant.credentials, 'GET', '/apiOpen/v1/task/getDialogFlows');
    for (let round = 0; round < 12; round++) {
      const created = await task('create', { name: `并发${round}`, dialogFlowId: flows.data[0].dialogFlowId });
      const jobId = created.data.robotCallJobId;
      const numbers = Array.from(
        { length: 20 },
        (_, i) => `137${String(round).padStart(2, '0')}${String(i).padStart(6, '0')}`,
      );
      const [imported, listed] = await Promise.all([
        task('importTaskCustomer', {
          robotCallJobId: jobId,
          customers: numbers.map((phoneNumber) => ({ phoneNumber })),
        }),
        dnc('add', { phoneNumbers: numbers }),
      ]);
      expect([imported.code, listed.code]).toEqual([200, 200]);
      const tasks = await listCallTasks(server.database, tenant.tenantId, jobId);
      // Either the import saw the listing (rejected), or the listing saw the import's tasks (finished).
      expect(tasks.filter((t) => t.status !== 'FINISHED')).toEqual([]);
      expect(imported.data.accepted.length + imported.data.rejected.length).toBe(20);
      expect((await jobRow(jobId)).completed_task).toBe(tasks.length);
      expect(listed.data.finishedCallTasks).toBe(tasks.length);
    }
  });
});

/** Waits (at most five seconds) until `done` holds. */
async function waitFor(done: () => Promise<boolean>): Promise<void> {
  for (let i = 0; i < 500 && !(await done()); i++) await new Promise((r) => setTimeout(r, 10));
}
