import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { T0, TenantFixture } from '../../test/fixtures.js';
import { createTestDatabase, type TestDatabase, testDialect } from '../../test/harness.js';
import { createDatabase, type Database, sqliteDataVersion } from '../db/database.js';
import { recordFinishedCalls } from '../services/callResults.js';
import { checkAll } from '../services/laterJobOperations.js';
import { NO_USABLE_LINE, Scheduler, type SchedulerOptions } from './scheduler.js';

/*
 * The scheduler moves jobs with no engine running at all: these tests run no dialer and no
 * simulator. Calls are recorded as an engine reports them (the write path), when a rule needs
 * finished call tasks.
 */

const MINUTE = 60_000;
const HOUR = 60 * MINUTE;

class ManualClock {
  constructor(public t: number) {}
  now = () => this.t;
}

let testDb: TestDatabase;
let tenant: TenantFixture;

beforeAll(async () => {
  testDb = await createTestDatabase();
  tenant = await TenantFixture.create(testDb.database);
});
afterAll(() => testDb.drop());

/** A scheduler of its own lease holder; `clock` is shared by those that must agree on time. */
const scheduler = (clock: ManualClock, options: Partial<SchedulerOptions> = {}) =>
  new Scheduler({ database: testDb.database, clock, ...options });

async function jobWith(
  customers: number,
  options: { status?: 'IN_PROCESS' | 'IN_QUEUE'; startTime?: number; phoneLineIds?: number[]; of?: TenantFixture } = {},
) {
  const owner = options.of ?? tenant;
  const ids: number[] = [];
  for (let i = 0; i < customers; i++) ids.push((await owner.customer()).id);
  const { jobId, taskOf } = await owner.job({
    status: options.status ?? 'IN_PROCESS',
    redialTimes: 0,
    customers: ids,
    phoneLineIds: options.phoneLineIds,
  });
  await testDb.database.db
    .updateTable('robot_call_job')
    .set({ start_time: options.startTime ?? null })
    .where('id', '=', jobId)
    .execute();
  return { jobId, tasks: [...taskOf.values()] };
}

const jobRow = (jobId: number) =>
  testDb.database.db.selectFrom('robot_call_job').selectAll().where('id', '=', jobId).executeTakeFirstOrThrow();

/** Only this job is looked after: others in the shared database are paused around it. */
async function only(...jobIds: number[]) {
  await testDb.database.db
    .updateTable('robot_call_job')
    .set({ status: 'USER_PAUSE' })
    .where('id', 'not in', jobIds)
    .where('status', 'in', ['IN_PROCESS', 'IN_QUEUE', 'SYSTEM_SUSPENDED'])
    .execute();
}

/** Records a call of each task as an engine would report it: answered, so no redial is due. */
async function callEach(jobId: number, tasks: { id: number; phone: string }[], at: number, owner = tenant) {
  await recordFinishedCalls(
    testDb.database,
    owner.tenantId,
    tasks.map((t) => ({
      idempotencyKey: `engine-${t.id}`,
      robotCallJobId: jobId,
      callTaskId: t.id,
      calledPhoneNumber: t.phone,
      resultStatus: 'ANSWERED' as const,
      intentLevel: 'B' as const,
      startTime: at - MINUTE,
      endTime: at,
      chatDuration: 50,
      chatRound: 3,
      turns: [],
    })),
    at,
  );
}

const setLines = (ids: number[], enabled: 0 | 1) =>
  testDb.database.db.updateTable('phone_line').set({ enabled_status: enabled }).where('id', 'in', ids).execute();

describe('the scheduler, with no engine running', () => {
  it('suspends a job outside its daily window and resumes it by itself, in the tenant’s time zone', async () => {
    const { jobId } = await jobWith(2);
    await only(jobId);
    const clock = new ManualClock(T0 - 2 * HOUR); // 08:00 in Shanghai
    const s = scheduler(clock);
    expect(await s.tick()).toEqual({
      held: true,
      transitions: [{ robotCallJobId: jobId, from: 'IN_PROCESS', to: 'SYSTEM_SUSPENDED' }],
    });
    expect((await jobRow(jobId)).system_pause_next_start).toBe(T0 - HOUR); // 09:00
    clock.t = T0 - HOUR - MINUTE;
    expect((await s.tick()).transitions).toEqual([]);
    clock.t = T0 - HOUR;
    expect((await s.tick()).transitions).toEqual([
      { robotCallJobId: jobId, from: 'SYSTEM_SUSPENDED', to: 'IN_PROCESS' },
    ]);
    expect((await jobRow(jobId)).system_pause_next_start).toBeNull();
    await s.stop();
  });

  it('keeps out of the inactive window', async () => {
    const { jobId } = await jobWith(1);
    await only(jobId);
    await testDb.database.db
      .updateTable('robot_call_job')
      .set({ inactive_time_list: JSON.stringify([{ startTime: '12:00:00', endTime: '13:30:00' }]) })
      .where('id', '=', jobId)
      .execute();
    const s = scheduler(new ManualClock(T0 + 2.5 * HOUR)); // 12:30
    expect((await s.tick()).transitions[0]?.to).toBe('SYSTEM_SUSPENDED');
    expect((await jobRow(jobId)).system_pause_next_start).toBe(T0 + 3.5 * HOUR); // 13:30
    await s.stop();
  });

  it('follows the tenant’s own time zone', async () => {
    const ny = await TenantFixture.create(testDb.database, { timeZone: 'America/New_York' });
    const { jobId } = await jobWith(1, { of: ny });
    await only(jobId);
    // 10:00 in Shanghai is 22:00 in New York: outside 09:00–20:00 there.
    const s = scheduler(new ManualClock(T0));
    expect((await s.tick()).transitions).toEqual([
      { robotCallJobId: jobId, from: 'IN_PROCESS', to: 'SYSTEM_SUSPENDED' },
    ]);
    await s.stop();
  });

  it('starts a queued AUTO job at its start time', async () => {
    const { jobId } = await jobWith(1, { status: 'IN_QUEUE', startTime: T0 + HOUR });
    await only(jobId);
    const clock = new ManualClock(T0);
    const s = scheduler(clock);
    expect((await s.tick()).transitions).toEqual([]);
    clock.t = T0 + HOUR;
    expect((await s.tick()).transitions).toEqual([{ robotCallJobId: jobId, from: 'IN_QUEUE', to: 'IN_PROCESS' }]);
    expect((await jobRow(jobId)).status).toBe('IN_PROCESS');
    await s.stop();
  });

  it('completes a job once every call task is finished, and not before', async () => {
    const { jobId, tasks } = await jobWith(3);
    await only(jobId);
    const clock = new ManualClock(T0);
    const s = scheduler(clock);
    await callEach(jobId, tasks.slice(0, 2), T0);
    expect((await s.tick()).transitions).toEqual([]);
    await callEach(jobId, tasks.slice(2), T0 + MINUTE);
    clock.t = T0 + 2 * MINUTE;
    expect((await s.tick()).transitions).toEqual([{ robotCallJobId: jobId, from: 'IN_PROCESS', to: 'COMPLETED' }]);
    expect((await s.tick()).transitions).toEqual([]);
    await s.stop();
  });
});

describe('a job whose caller lines are all disabled', () => {
  it('is suspended with the reason "no usable caller line", and resumed when a line is enabled again', async () => {
    const lines = [await tenant.phoneLine('05710000001'), await tenant.phoneLine('05710000002')];
    const { jobId } = await jobWith(2, { phoneLineIds: lines });
    await only(jobId);
    const clock = new ManualClock(T0);
    const s = scheduler(clock);
    await setLines([lines[0]!], 0);
    expect((await s.tick()).transitions).toEqual([]); // one line left is enough
    await setLines(lines, 0);
    expect((await s.tick()).transitions).toEqual([
      { robotCallJobId: jobId, from: 'IN_PROCESS', to: 'SYSTEM_SUSPENDED' },
    ]);
    expect(await jobRow(jobId)).toMatchObject({ system_pause_reason: NO_USABLE_LINE, system_pause_next_start: null });
    expect((await s.tick()).transitions).toEqual([]); // stays suspended; nothing written again
    // The later API shows why (job/checkAll): the platform's 线路故障 type, with the reason.
    const checked = await checkAll(
      testDb.database,
      { tenantId: tenant.tenantId, timeZone: 'Asia/Shanghai', appKey: tenant.credentials.appKey },
      { operation: 'START', robotCallJobIdSet: [jobId] },
    );
    expect([...checked.executable, ...checked.unexecutable][0]).toMatchObject({
      status: 'SYSTEM_SUSPENDED',
      hangUpType: 'LINE_BREAKDOWN',
      hangUpReason: NO_USABLE_LINE,
    });

    // Out of hours meanwhile: suspended for the hours (the next opening known), then for the lines again.
    clock.t = T0 + 11 * HOUR; // 21:00
    await s.tick();
    expect(await jobRow(jobId)).toMatchObject({
      status: 'SYSTEM_SUSPENDED',
      system_pause_reason: null,
      system_pause_next_start: T0 + 23 * HOUR, // 09:00 the next day
    });
    clock.t = T0 + 23 * HOUR;
    expect((await s.tick()).transitions).toEqual([]);
    expect(await jobRow(jobId)).toMatchObject({ status: 'SYSTEM_SUSPENDED', system_pause_reason: NO_USABLE_LINE });

    await setLines([lines[1]!], 1);
    expect((await s.tick()).transitions).toEqual([
      { robotCallJobId: jobId, from: 'SYSTEM_SUSPENDED', to: 'IN_PROCESS' },
    ]);
    expect(await jobRow(jobId)).toMatchObject({ system_pause_reason: null, system_pause_next_start: null });
    await s.stop();
  });

  it('is not resumed by an enabled line while its calling hours do not allow it', async () => {
    const line = await tenant.phoneLine('05710000003');
    const { jobId } = await jobWith(1, { phoneLineIds: [line] });
    await only(jobId);
    await setLines([line], 0);
    const clock = new ManualClock(T0);
    const s = scheduler(clock);
    expect((await s.tick()).transitions[0]?.to).toBe('SYSTEM_SUSPENDED');
    clock.t = T0 + 11 * HOUR; // 21:00
    await setLines([line], 1);
    await s.tick();
    expect((await jobRow(jobId)).status).toBe('SYSTEM_SUSPENDED');
    clock.t = T0 + 23 * HOUR;
    expect((await s.tick()).transitions).toEqual([
      { robotCallJobId: jobId, from: 'SYSTEM_SUSPENDED', to: 'IN_PROCESS' },
    ]);
    await s.stop();
  });

  it('completes all the same when every call task was finished', async () => {
    const line = await tenant.phoneLine('05710000004');
    const { jobId, tasks } = await jobWith(1, { phoneLineIds: [line] });
    await only(jobId);
    await callEach(jobId, tasks, T0);
    await setLines([line], 0);
    const s = scheduler(new ManualClock(T0 + MINUTE));
    expect((await s.tick()).transitions).toEqual([{ robotCallJobId: jobId, from: 'IN_PROCESS', to: 'COMPLETED' }]);
    await s.stop();
  });

  it('is not what a job without any caller line is: that one runs (the simulator dials it)', async () => {
    const { jobId } = await jobWith(1, { phoneLineIds: [] });
    await only(jobId);
    const s = scheduler(new ManualClock(T0));
    expect((await s.tick()).transitions).toEqual([]);
    expect((await jobRow(jobId)).status).toBe('IN_PROCESS');
    await s.stop();
  });
});

describe('several schedulers on one database', () => {
  /** On PostgreSQL the second scheduler has its own connections, as in another process. */
  async function otherProcess(): Promise<Database> {
    return testDialect === 'postgres' ? createDatabase(testDb.databaseUrl, { poolSize: 2 }) : testDb.database;
  }

  it('let one hold the work; another takes it over once the holder stops renewing its lease', async () => {
    const { jobId } = await jobWith(1, { status: 'IN_QUEUE', startTime: T0 + 5_000 });
    await only(jobId);
    const second = await otherProcess();
    const clock = new ManualClock(T0);
    const a = scheduler(clock, { leaseMs: 10_000, holder: 'a' });
    const b = new Scheduler({ database: second, clock, leaseMs: 10_000, holder: 'b' });
    try {
      expect((await a.tick()).held).toBe(true);
      expect(await b.tick()).toEqual({ held: false, transitions: [] });
      expect(a.stats().holder).toBe(true);
      expect(b.stats().holder).toBe(false);

      // The job's time comes; a is gone (no more ticks): b waits for a's lease to lapse, then works.
      clock.t = T0 + 5_000;
      expect((await b.tick()).held).toBe(false);
      expect((await jobRow(jobId)).status).toBe('IN_QUEUE');
      clock.t = T0 + 10_001;
      expect(await b.tick()).toEqual({
        held: true,
        transitions: [{ robotCallJobId: jobId, from: 'IN_QUEUE', to: 'IN_PROCESS' }],
      });
      // a comes back: the work is b's now.
      expect((await a.tick()).held).toBe(false);
      expect(a.stats().holder).toBe(false);

      // b stops and gives the lease up: a takes over at its next tick, without waiting for a lapse.
      await b.stop();
      expect((await a.tick()).held).toBe(true);
    } finally {
      await a.stop();
      if (second !== testDb.database) await second.destroy();
    }
  });

  it('renew the lease only once half of it has run (an idle installation writes it every few seconds)', async () => {
    const clock = new ManualClock(T0);
    const a = scheduler(clock, { leaseMs: 10_000, holder: 'a' });
    const lease = () =>
      testDb.database.db.selectFrom('scheduler_lease').selectAll().where('name', '=', 'scheduler').executeTakeFirst();
    await a.tick();
    expect(await lease()).toMatchObject({ holder: 'a', expires_at: T0 + 10_000 });
    clock.t = T0 + 4_000;
    await a.tick();
    expect(Number((await lease())?.expires_at)).toBe(T0 + 10_000);
    clock.t = T0 + 6_000;
    await a.tick();
    expect(Number((await lease())?.expires_at)).toBe(T0 + 16_000);
    await a.stop();
    expect(await lease()).toMatchObject({ holder: null });
  });
});

describe('the scheduler’s own writes', () => {
  it('move no tenant’s data version (the answer cache): only the jobs’ moves do', async () => {
    const { jobId } = await jobWith(1);
    await only(jobId);
    const version = async () =>
      testDialect === 'sqlite'
        ? sqliteDataVersion(testDb.database)
        : String(
            (
              await sql<{
                v: string;
              }>`select coalesce(sum(version), 0)::text as v from tenant_data_version where tenant_id = ${tenant.tenantId}`.execute(
                testDb.database.db,
              )
            ).rows[0]?.v,
          );
    const clock = new ManualClock(T0);
    const s = scheduler(clock, { leaseMs: 2_000 });
    await s.tick();
    const before = await version();
    for (let i = 1; i <= 5; i++) {
      clock.t = T0 + i * 1_500; // the lease renewed on most of these ticks
      expect((await s.tick()).transitions).toEqual([]);
    }
    expect(await version()).toBe(before);
    clock.t = T0 + 11 * HOUR; // out of hours: a move an answer shows
    expect((await s.tick()).transitions).toHaveLength(1);
    expect(await version()).not.toBe(before);
    await s.stop();
  });
});

describe('a job whose data makes scheduling fail', () => {
  it('is skipped and logged once, while the other jobs move in the same ticks', async () => {
    const errors: { obj: Record<string, unknown>; msg: string }[] = [];
    const log = { info: () => undefined, error: (obj: object, msg: string) => errors.push({ obj: obj as any, msg }) };
    const mars = await TenantFixture.create(testDb.database);
    const { jobId: bad } = await jobWith(1, { of: mars });
    await sql`update tenant set time_zone = 'Mars/Olympus_Mons' where id = ${mars.tenantId}`.execute(
      testDb.database.db,
    );
    const { jobId: good } = await jobWith(1, { status: 'IN_QUEUE', startTime: T0 });
    await only(bad, good);
    const s = scheduler(new ManualClock(T0), { log });
    const first = await s.tick();
    expect(first.skipped).toEqual([{ robotCallJobId: bad, tenantId: mars.tenantId }]);
    expect(first.transitions).toEqual([{ robotCallJobId: good, from: 'IN_QUEUE', to: 'IN_PROCESS' }]);
    await s.tick();
    const skipped = errors.filter((e) => e.msg.startsWith('job skipped'));
    expect(skipped).toHaveLength(1);
    expect(skipped[0]!.obj).toMatchObject({ robotCallJobId: bad, tenantId: mars.tenantId });
    expect(String((skipped[0]!.obj.err as Error).message)).toMatch(/time zone|timeZone/i);
    await testDb.database.db
      .updateTable('robot_call_job')
      .set({ status: 'USER_PAUSE' })
      .where('id', '=', bad)
      .execute();
    await s.stop();
  });
});

describe('run', () => {
  it('ticks until stopped, counting its ticks and moves', async () => {
    const { jobId } = await jobWith(1, { status: 'IN_QUEUE', startTime: T0 });
    await only(jobId);
    const s = scheduler(new ManualClock(T0), { tickMs: 5 });
    s.run();
    for (let i = 0; i < 200 && (await jobRow(jobId)).status !== 'IN_PROCESS'; i++)
      await new Promise((r) => setTimeout(r, 10));
    await s.stop();
    expect((await jobRow(jobId)).status).toBe('IN_PROCESS');
    const stats = s.stats();
    expect(stats).toMatchObject({ holder: false, tickFailures: 0, transitions: 1 });
    expect(stats.ticks).toBeGreaterThan(0);
  });
});
