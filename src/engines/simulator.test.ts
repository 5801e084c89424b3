import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { T0, TenantFixture } from '../../test/fixtures.js';
import { createTestDatabase, type TestDatabase, testDialect } from '../../test/harness.js';
import { createDatabase } from '../db/database.js';
import type { ResultStatus } from '../domain/enums.js';
import { Scheduler } from '../scheduler/scheduler.js';
import { reapLeases } from '../services/callLeases.js';
import { type SimulatedCall, simulateCall } from '../simulator/conversation.js';
import { seededRandom } from '../simulator/random.js';
import { Simulator } from './simulator.js';
import { type DialRequest, SimulatedTelephony, type Telephony } from './telephony.js';

const MINUTE = 60_000;
const HOUR = 60 * MINUTE;

/** A telephony whose calls stay up until the test hangs them up, with the result it chooses. */
class HeldTelephony implements Telephony {
  readonly up: { call: DialRequest; hangUp: (outcome: SimulatedCall) => void }[] = [];
  readonly dialled: DialRequest[] = [];
  most = 0;
  private readonly random = seededRandom(1);

  dial(call: DialRequest): Promise<SimulatedCall> {
    this.dialled.push(call);
    return new Promise((hangUp, fail) => {
      const held = { call, hangUp };
      this.up.push(held);
      this.most = Math.max(this.most, this.up.length);
      // Hung up by the engine (cancel, shutdown): the call ends without an outcome.
      call.signal?.addEventListener('abort', () => {
        this.up.splice(this.up.indexOf(held), 1);
        fail(call.signal?.reason);
      });
    });
  }

  /** Ends the oldest `n` calls with `result`. */
  hangUp(n: number, result: ResultStatus = 'ANSWERED'): void {
    for (const { call, hangUp } of this.up.splice(0, n)) hangUp(simulateCall(this.random, call.script, result));
  }
}

class ManualClock {
  constructor(public t: number) {}
  now = () => this.t;
  sleep = async () => undefined;
}

let testDb: TestDatabase;
let tenant: TenantFixture;

beforeAll(async () => {
  testDb = await createTestDatabase();
  tenant = await TenantFixture.create(testDb.database);
});
afterAll(() => testDb.drop());

async function jobWith(
  customers: number,
  options: {
    robotCount?: number;
    redialTimes?: number;
    redialIntervalMinutes?: number;
    status?: 'IN_PROCESS' | 'IN_QUEUE';
    startTime?: number;
  } = {},
) {
  const ids: number[] = [];
  for (let i = 0; i < customers; i++) ids.push((await tenant.customer()).id);
  const { jobId } = await tenant.job({
    status: options.status ?? 'IN_PROCESS',
    redialTimes: options.redialTimes ?? 0,
    customers: ids,
  });
  await testDb.database.db
    .updateTable('robot_call_job')
    .set({
      robot_count: options.robotCount ?? 5,
      redial_interval_minutes: options.redialIntervalMinutes ?? 60,
      start_time: options.startTime ?? null,
    })
    .where('id', '=', jobId)
    .execute();
  return jobId;
}

const jobRow = (jobId: number) =>
  testDb.database.db.selectFrom('robot_call_job').selectAll().where('id', '=', jobId).executeTakeFirstOrThrow();
const records = async (jobId: number) =>
  testDb.database.db
    .selectFrom('call_record')
    .select(['call_task_id', 'idempotency_key', 'result_status'])
    .where('job_id', '=', jobId)
    // In recording order: without it PostgreSQL gives the rows as stored, where an update moves one.
    .orderBy('id')
    .execute();

/** Waits (at most five seconds) until `done` holds. */
async function until(done: () => Promise<boolean>): Promise<void> {
  for (let i = 0; i < 500 && !(await done()); i++) await new Promise((r) => setTimeout(r, 10));
}

/** Runs only this job: others in the shared database are paused around it. */
async function only(jobId: number) {
  await testDb.database.db
    .updateTable('robot_call_job')
    .set({ status: 'USER_PAUSE' })
    .where('id', '<>', jobId)
    .where('status', 'in', ['IN_PROCESS', 'IN_QUEUE', 'SYSTEM_SUSPENDED'])
    .execute();
}

describe('the simulator, an engine in process', () => {
  it('never has more than robotCount calls of a job up at once, and completes the job when every task is finished', async () => {
    const jobId = await jobWith(10, { robotCount: 3 });
    await only(jobId);
    const telephony = new HeldTelephony();
    const clock = new ManualClock(T0);
    const dialer = new Simulator({ database: testDb.database, telephony, clock });
    const scheduler = new Scheduler({ database: testDb.database, clock, holder: 'test' });
    expect((await dialer.tick()).claimed).toBe(3);
    expect((await dialer.tick()).claimed).toBe(0);
    telephony.hangUp(1);
    await until(async () => (await records(jobId)).length === 1);
    expect((await dialer.tick()).claimed).toBe(1);
    while (telephony.up.length > 0 || (await jobRow(jobId)).completed_task < 10) {
      telephony.hangUp(telephony.up.length);
      await dialer.idle();
      await dialer.tick();
    }
    expect(telephony.most).toBe(3);
    expect(new Set(telephony.dialled.map((c) => c.callTaskId)).size).toBe(10);
    expect((await scheduler.tick()).transitions).toEqual([
      { robotCallJobId: jobId, from: 'IN_PROCESS', to: 'COMPLETED' },
    ]);
    expect((await dialer.tick()).claimed).toBe(0);
    expect((await jobRow(jobId)).status).toBe('COMPLETED');
    expect(await records(jobId)).toHaveLength(10);
  });

  it('redials an unanswered call task after the job’s interval, up to its redial limit', async () => {
    const jobId = await jobWith(1, { redialTimes: 1, redialIntervalMinutes: 30 });
    await only(jobId);
    const clock = new ManualClock(T0);
    const telephony = new HeldTelephony();
    const dialer = new Simulator({ database: testDb.database, telephony, clock });
    expect((await dialer.tick()).claimed).toBe(1);
    telephony.hangUp(1, 'NO_ANSWER');
    await dialer.idle();
    clock.t = T0 + 20 * MINUTE;
    expect((await dialer.tick()).claimed).toBe(0);
    clock.t = T0 + 31 * MINUTE;
    expect((await dialer.tick()).claimed).toBe(1);
    telephony.hangUp(1, 'BUSY');
    await dialer.idle();
    clock.t = T0 + 2 * HOUR;
    expect((await dialer.tick()).claimed).toBe(0);
    const scheduler = new Scheduler({ database: testDb.database, clock, holder: 'test' });
    expect((await scheduler.tick()).transitions).toEqual([
      { robotCallJobId: jobId, from: 'IN_PROCESS', to: 'COMPLETED' },
    ]);
    // Each attempt its own lease, and its lease its idempotency key.
    const keys = (await records(jobId)).map((r) => r.idempotency_key);
    expect(keys).toEqual([expect.stringMatching(/^lease-/), expect.stringMatching(/^lease-/)]);
    expect(new Set(keys).size).toBe(2);
    expect((await records(jobId)).map((r) => r.result_status)).toEqual(['NO_ANSWER', 'BUSY']);
  });

  it('leaves a call whose simulator died to the reaper: recorded SYSTEM_ERROR (engine lost) after its deadline, never dialled twice before', async () => {
    const jobId = await jobWith(1);
    await only(jobId);
    const clock = new ManualClock(T0);
    const settings = { leaseTtlMs: 30_000, leaseGraceMs: 60_000 };
    const dead = new Simulator({ database: testDb.database, telephony: new HeldTelephony(), clock, settings });
    expect((await dead.tick()).claimed).toBe(1); // its call never ends, and it never reports
    const alive = new Simulator({ database: testDb.database, telephony: new HeldTelephony(), clock, settings });
    const scheduler = new Scheduler({
      database: testDb.database,
      clock,
      holder: 'test',
      reap: (db, now) => reapLeases(db, now),
    });
    // A lineless job's call may last 60 s ringing + 600 s talking + 60 s grace: 12 minutes.
    clock.t = T0 + 11 * MINUTE;
    await scheduler.tick();
    expect((await alive.tick()).claimed).toBe(0);
    expect(await records(jobId)).toEqual([]);
    clock.t = T0 + 12 * MINUTE + 1;
    await scheduler.tick();
    expect(await records(jobId)).toEqual([
      {
        call_task_id: expect.any(Number),
        idempotency_key: expect.stringMatching(/^lease-/),
        result_status: 'SYSTEM_ERROR',
      },
    ]);
    expect((await alive.tick()).claimed).toBe(0); // no redial left: the task is finished
    await dead.stop({ abandonAfterMs: 0 }); // its late report is refused (409, logged)
    expect(await records(jobId)).toHaveLength(1);
  });

  it('never lets two dialers dial the same call task', async () => {
    const jobId = await jobWith(40, { robotCount: 40 });
    await only(jobId);
    // On PostgreSQL the second dialer has its own connections, as in another process. (Two
    // better-sqlite3 connections in one process would block each other's event loop; SQLite
    // deployments run one dialer, so there both share the one connection.)
    const second = testDialect === 'postgres' ? createDatabase(testDb.databaseUrl, { poolSize: 5 }) : testDb.database;
    const clock = new ManualClock(T0);
    const a = new HeldTelephony();
    const b = new HeldTelephony();
    const dialers = [
      new Simulator({ database: testDb.database, telephony: a, clock }),
      new Simulator({ database: second, telephony: b, clock }),
    ];
    const claimed = await Promise.all(dialers.map((d) => d.tick()));
    expect(claimed[0]!.claimed + claimed[1]!.claimed).toBe(40);
    const tasks = [...a.dialled, ...b.dialled].map((c) => c.callTaskId);
    expect(new Set(tasks).size).toBe(tasks.length);
    a.hangUp(a.up.length);
    b.hangUp(b.up.length);
    await Promise.all(dialers.map((d) => d.idle()));
    if (second !== testDb.database) await second.destroy();
    expect(await records(jobId)).toHaveLength(40);
  });

  it('runs on its own with the simulated engine, recording walked conversations', async () => {
    const jobId = await jobWith(4, { robotCount: 2 });
    await only(jobId);
    const clock = new ManualClock(T0);
    const dialer = new Simulator({
      database: testDb.database,
      telephony: new SimulatedTelephony({ speed: 100_000, seed: 3 }),
      clock,
      tickMs: 5,
    });
    const scheduler = new Scheduler({ database: testDb.database, clock, holder: 'test', tickMs: 5 });
    dialer.run();
    scheduler.run();
    for (let i = 0; i < 200 && (await jobRow(jobId)).status !== 'COMPLETED'; i++)
      await new Promise((r) => setTimeout(r, 10));
    await Promise.all([dialer.stop(), scheduler.stop()]);
    expect((await jobRow(jobId)).status).toBe('COMPLETED');
    const turns = await testDb.database.db
      .selectFrom('call_detail')
      .innerJoin('call_record', 'call_record.id', 'call_detail.call_record_id')
      .select('call_detail.type')
      .where('call_record.job_id', '=', jobId)
      .execute();
    const answered = (await records(jobId)).filter((r) => r.result_status === 'ANSWERED').length;
    expect(turns.length > 0).toBe(answered > 0);
  });

  it('dials only simulated lines and jobs with no line; a job on external lines is left to engines', async () => {
    const external = await tenant.phoneLine('05711110001', 'external');
    const simulated = await tenant.phoneLine('05711110002', 'simulated');
    const ids = async (n: number) => {
      const out: number[] = [];
      for (let i = 0; i < n; i++) out.push((await tenant.customer()).id);
      return out;
    };
    const onExternal = (await tenant.job({ status: 'IN_PROCESS', customers: await ids(2), phoneLineIds: [external] }))
      .jobId;
    const onSimulated = (await tenant.job({ status: 'IN_PROCESS', customers: await ids(2), phoneLineIds: [simulated] }))
      .jobId;
    const lineless = (await tenant.job({ status: 'IN_PROCESS', customers: await ids(2) })).jobId;
    await testDb.database.db
      .updateTable('robot_call_job')
      .set({ status: 'USER_PAUSE' })
      .where('id', 'not in', [onExternal, onSimulated, lineless])
      .where('status', 'in', ['IN_PROCESS', 'IN_QUEUE', 'SYSTEM_SUSPENDED'])
      .execute();
    const telephony = new HeldTelephony();
    const dialer = new Simulator({ database: testDb.database, telephony, clock: new ManualClock(T0) });
    expect((await dialer.tick()).claimed).toBe(4);
    expect(new Set(telephony.dialled.map((c) => c.robotCallJobId))).toEqual(new Set([onSimulated, lineless]));
    telephony.hangUp(4);
    await dialer.idle();
    const lines = await testDb.database.db
      .selectFrom('call_record')
      .select(['job_id', 'phone_line_id'])
      .where('job_id', 'in', [onSimulated, lineless])
      .execute();
    expect(lines.filter((r) => r.job_id === onSimulated).map((r) => Number(r.phone_line_id))).toEqual([
      simulated,
      simulated,
    ]);
    expect(lines.filter((r) => r.job_id === lineless).map((r) => r.phone_line_id)).toEqual([null, null]);
  });

  it('heartbeats its leases while a call lasts, and hangs up a call whose job was paused: no record, the task back', async () => {
    const jobId = await jobWith(1);
    await only(jobId);
    const clock = new ManualClock(T0);
    const telephony = new HeldTelephony();
    // A TTL of 600 ms: heartbeats every 100 ms.
    const settings = { leaseTtlMs: 600, leaseGraceMs: 60_000 };
    const dialer = new Simulator({ database: testDb.database, telephony, clock, settings });
    expect((await dialer.tick()).claimed).toBe(1);
    const lease = () =>
      testDb.database.db.selectFrom('call_lease').selectAll().where('job_id', '=', jobId).executeTakeFirstOrThrow();
    expect(Number((await lease()).expires_at)).toBe(T0 + 600);
    clock.t = T0 + 5_000; // far past the first TTL: renewed by the heartbeats
    await until(async () => Number((await lease()).expires_at) === T0 + 5_600);
    expect(await lease()).toMatchObject({ state: 'dialing', ended_at: null });

    await testDb.database.db
      .updateTable('robot_call_job')
      .set({ status: 'USER_PAUSE' })
      .where('id', '=', jobId)
      .execute();
    await until(async () => telephony.up.length === 0);
    await dialer.idle();
    expect(telephony.up).toEqual([]);
    expect(await records(jobId)).toEqual([]);
    const task = await testDb.database.db
      .selectFrom('call_task')
      .select(['status', 'attempts'])
      .where('job_id', '=', jobId)
      .executeTakeFirstOrThrow();
    expect(task).toMatchObject({ status: 'NOT_STARTED', attempts: 0 });
    await dialer.stop();
  });

  it('at shutdown, gives back what it has not dialled and reports calls still up at the deadline as ended by shutdown', async () => {
    const jobId = await jobWith(3, { robotCount: 3 });
    await only(jobId);
    const clock = new ManualClock(T0);
    const telephony = new HeldTelephony();
    const dialer = new Simulator({ database: testDb.database, telephony, clock });
    expect((await dialer.tick()).claimed).toBe(3);
    telephony.hangUp(1); // one call ends before the shutdown: recorded
    const started = Date.now();
    await dialer.stop({ abandonAfterMs: 200 });
    expect(Date.now() - started).toBeGreaterThanOrEqual(150);
    expect(dialer.stats()).toMatchObject({ callsAbandoned: 2, callsInFlight: 0 });
    expect(await records(jobId)).toHaveLength(1);
    const tasks = await testDb.database.db
      .selectFrom('call_task')
      .select(['status', 'attempts'])
      .where('job_id', '=', jobId)
      .orderBy('id')
      .execute();
    // The two calls cut off: due again at once, no redial spent.
    expect(tasks.filter((t) => t.status === 'NOT_STARTED' && Number(t.attempts) === 0)).toHaveLength(2);
    const live = await testDb.database.db
      .selectFrom('call_lease')
      .select('id')
      .where('job_id', '=', jobId)
      .where('ended_at', 'is', null)
      .execute();
    expect(live).toEqual([]);
    expect((await dialer.tick()).claimed).toBe(0); // stopped: claims nothing more
  });
});
