import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { T0, TenantFixture } from '../../test/fixtures.js';
import { createTestDatabase, type TestDatabase } from '../../test/harness.js';
import { openZone } from '../../test/openHours.js';
import { type Database, sqliteDataVersion } from '../db/database.js';
import { ServiceError } from '../domain/errors.js';
import { insertDoNotCallNumbers } from '../repositories/doNotCall.js';
import { deleteJob } from '../repositories/jobs.js';
import {
  type ClaimRequest,
  claimCallTasks,
  claimWithWait,
  dialCallTask,
  type Engine,
  engineCounters,
  heartbeatLeases,
  type LeaseSettings,
  reapLeases,
  releaseLeases,
  reportCallResult,
} from './callLeases.js';

/*
 * The call-engine protocol's rules (services/callLeases.ts), each with a case that fails without
 * it, on the test's database. Instants are the test's own (T0 is 10:00 in Asia/Shanghai, inside
 * the fixture jobs' 09:00–20:00 window), so the tests pass at any hour.
 */

const SETTINGS: LeaseSettings = { leaseTtlMs: 1000, leaseGraceMs: 1000 };
const NOW = T0 + 60_000;
let t: TestDatabase;
let db: Database;
beforeAll(async () => {
  t = await createTestDatabase();
  db = t.database;
});
afterAll(() => t?.drop());

let nextKey = 100;
const externalEngine = (tenantId: number | null = null): Engine => ({
  engineKeyId: nextKey++,
  name: 'sip farm',
  tenantId,
  kind: 'external',
});
const simulator: Engine = { engineKeyId: null, name: 'simulator', tenantId: null, kind: 'simulated' };

let lineCounter = 0;
/** A tenant with one line (set as given) and a job on it with `customers` call tasks. */
async function setUp(
  options: {
    customers?: number;
    line?: Record<string, unknown> | null;
    job?: Record<string, unknown>;
    timeZone?: string;
  } = {},
) {
  const tenant = await TenantFixture.create(db, { timeZone: options.timeZone });
  let lineId: number | undefined;
  if (options.line !== null) {
    lineId = await tenant.phoneLine(`0571${String(++lineCounter).padStart(8, '0')}`);
    await setLine(lineId, { engine: 'external', ...options.line } as never);
  }
  const customers = [];
  for (let i = 0; i < (options.customers ?? 3); i++) customers.push((await tenant.customer()).id);
  const job = await tenant.job({ phoneLineIds: lineId === undefined ? [] : [lineId], customers });
  if (options.job) await setJob(job.jobId, options.job);
  return { tenant, lineId: lineId!, ...job };
}

const setLine = (id: number, set: Record<string, unknown>) =>
  db.db
    .updateTable('phone_line')
    .set(set as never)
    .where('id', '=', id)
    .execute();
const setJob = (id: number, set: Record<string, unknown>) =>
  db.db
    .updateTable('robot_call_job')
    .set(set as never)
    .where('id', '=', id)
    .execute();
const task = (id: number) => db.db.selectFrom('call_task').selectAll().where('id', '=', id).executeTakeFirstOrThrow();
const lease = (id: string) => db.db.selectFrom('call_lease').selectAll().where('id', '=', id).executeTakeFirstOrThrow();
const recordsOf = (jobId: number) =>
  db.db.selectFrom('call_record').selectAll().where('job_id', '=', jobId).orderBy('id').execute();

const claim = async (engine: Engine, request: Partial<ClaimRequest> = {}, now = NOW) =>
  (await claimCallTasks(db, engine, { max: 100, ...request }, SETTINGS, now)).tasks;

async function refusal(work: Promise<unknown>): Promise<string> {
  try {
    await work;
  } catch (error) {
    if (error instanceof ServiceError) return `${error.resultCode} ${error.reason}`;
    throw error;
  }
  throw new Error('not refused');
}

describe('a claim', () => {
  it('hands out each due task once, with its line, dialog flow and customer', async () => {
    const { tenant, jobId, lineId } = await setUp({ customers: 2 });
    const engine = externalEngine(tenant.tenantId);
    const tasks = await claim(engine);
    expect(tasks).toHaveLength(2);
    expect(tasks[0]).toMatchObject({
      leaseTtlMs: 1000,
      robotCallJobId: jobId,
      tenantId: tenant.tenantId,
      attempt: 1,
      line: { phoneLineId: lineId, ringTimeoutSeconds: 60, maxCallSeconds: 600 },
      dialogFlow: { dialogFlowId: tenant.flowId, version: 1, name: '默认话术' },
      customer: { properties: { 来源: '测试' } },
    });
    expect(tasks[0]!.line).not.toHaveProperty('trunk');
    expect(tasks[0]!.leaseId).toMatch(/^[A-Za-z0-9_-]{22}$/);
    expect(await claim(engine)).toEqual([]);
  });

  it('only from IN_PROCESS jobs', async () => {
    const { tenant } = await setUp({ job: { status: 'USER_PAUSE' } });
    expect(await claim(externalEngine(tenant.tenantId))).toEqual([]);
  });

  it('only inside the daily window, in the tenant’s time zone', async () => {
    // T0 is 10:00 in Shanghai but 22:00 the evening before in New York: outside 09:00–20:00.
    const { tenant } = await setUp({ timeZone: 'America/New_York' });
    expect(await claim(externalEngine(tenant.tenantId))).toEqual([]);
    expect(await claim(externalEngine(tenant.tenantId), {}, NOW + 12 * 3_600_000)).toHaveLength(3);
  });

  it('never inside an inactive window', async () => {
    const { tenant } = await setUp({
      job: { inactive_time_list: JSON.stringify([{ startTime: '09:30', endTime: '10:30' }]) } as never,
    });
    expect(await claim(externalEngine(tenant.tenantId))).toEqual([]);
  });

  it('a redial only once it is due', async () => {
    const { tenant, taskOf } = await setUp({ customers: 1 });
    const [only] = [...taskOf.values()];
    await db.db
      .updateTable('call_task')
      .set({ status: 'REDIAL_WAITING', attempts: 1, next_attempt_at: NOW + 5000 })
      .where('id', '=', only!.id)
      .execute();
    const engine = externalEngine(tenant.tenantId);
    expect(await claim(engine)).toEqual([]);
    expect(await claim(engine, {}, NOW + 5000)).toMatchObject([{ callTaskId: only!.id, attempt: 2 }]);
  });

  it('never a number on the tenant’s do-not-call list', async () => {
    const { tenant, taskOf } = await setUp({ customers: 2 });
    const [first, second] = [...taskOf.values()];
    await insertDoNotCallNumbers(db, tenant.tenantId, [first!.phone], { reason: null, addedBy: 'test', now: NOW });
    expect((await claim(externalEngine(tenant.tenantId))).map((c) => c.callTaskId)).toEqual([second!.id]);
  });

  it('up to the job’s concurrency: concurrencyQuota, else robotCount', async () => {
    const a = await setUp({ customers: 5, job: { robot_count: 2 } });
    expect(await claim(externalEngine(a.tenant.tenantId))).toHaveLength(2);
    const b = await setUp({ customers: 5, job: { robot_count: 2, concurrency_quota: 3 } });
    expect(await claim(externalEngine(b.tenant.tenantId))).toHaveLength(3);
  });

  it('up to the line’s channels, counted across the tenant’s jobs on it', async () => {
    const { tenant, lineId } = await setUp({ customers: 3, line: { concurrency_quota: 2 } });
    const other = await tenant.job({ phoneLineIds: [lineId], customers: [(await tenant.customer()).id] });
    const engine = externalEngine(tenant.tenantId);
    expect(await claim(engine)).toHaveLength(2);
    expect(await claim(engine)).toEqual([]);
    expect(other.jobId).toBeGreaterThan(0);
    const mark = await db.db
      .selectFrom('phone_line')
      .select('high_water_mark')
      .where('id', '=', lineId)
      .executeTakeFirstOrThrow();
    expect(mark.high_water_mark).toBe(2);
  });

  it('within the line’s calls per second', async () => {
    const { tenant } = await setUp({ customers: 5, line: { calls_per_second: 2 } });
    const engine = externalEngine(tenant.tenantId);
    expect(await claim(engine)).toHaveLength(2);
    expect(await claim(engine, {}, NOW + 500)).toEqual([]);
    expect(await claim(engine, {}, NOW + 1001)).toHaveLength(2);
  });

  it('within the line’s daily cap per called number, from the tenant-local midnight', async () => {
    const { tenant, lineId, taskOf } = await setUp({ customers: 1, line: { daily_cap_per_number: 1 } });
    const [only] = [...taskOf.values()];
    // The same customer in a second job on the same line.
    const customerId = [...taskOf.keys()][0]!;
    await tenant.job({ phoneLineIds: [lineId], customers: [customerId] });
    const engine = externalEngine(tenant.tenantId);
    const first = await claim(engine);
    expect(first).toHaveLength(1);
    await dialCallTask(db, engine, first[0]!.leaseId, SETTINGS, NOW);
    await reportCallResult(db, engine, first[0]!.leaseId, { sipCode: 486, endedBy: 'remote' }, NOW + 1000);
    expect(await claim(engine, {}, NOW + 2000)).toEqual([]);
    // The next local day, inside the window again.
    expect(await claim(engine, {}, NOW + 24 * 3_600_000)).toHaveLength(1);
    expect(only!.phone).toBeTruthy();
  });

  it('never on a disabled line', async () => {
    const { tenant } = await setUp({ line: { enabled_status: 0 } });
    expect(await claim(externalEngine(tenant.tenantId))).toEqual([]);
  });

  it('engines over HTTP get external lines only; the simulator simulated lines and lineless jobs', async () => {
    const simulated = await setUp({ customers: 1, line: { engine: 'simulated' } });
    expect(await claim(externalEngine(simulated.tenant.tenantId))).toEqual([]);
    const lineless = await setUp({ customers: 1, line: null });
    expect(await claim(externalEngine(lineless.tenant.tenantId))).toEqual([]);
    const external = await setUp({ customers: 1 });
    const mine = (await claim(simulator)).filter((c) =>
      [simulated.tenant.tenantId, lineless.tenant.tenantId, external.tenant.tenantId].includes(c.tenantId),
    );
    expect(mine.map((c) => [c.tenantId, c.line?.phoneLineId ?? null]).sort()).toEqual(
      [
        [simulated.tenant.tenantId, simulated.lineId],
        [lineless.tenant.tenantId, null],
      ].sort(),
    );
  });

  it('within the key’s scope, and the lines the engine named', async () => {
    const a = await setUp({ customers: 1 });
    const b = await setUp({ customers: 1 });
    expect(await claim(externalEngine(b.tenant.tenantId), { lines: [a.lineId] })).toEqual([]);
    expect(await claim(externalEngine(a.tenant.tenantId), { lines: [b.lineId] })).toEqual([]);
    expect(await claim(externalEngine(a.tenant.tenantId), { lines: [a.lineId] })).toHaveLength(1);
    // A key for all tenants, naming b's line, gets b's task.
    expect(await claim(externalEngine(null), { lines: [b.lineId] })).toMatchObject([{ tenantId: b.tenant.tenantId }]);
  });

  it('spreads a job’s calls over its lines, the line with the most free channels first', async () => {
    const { tenant, jobId, lineId } = await setUp({
      customers: 8,
      line: { concurrency_quota: 4 },
      job: { robot_count: 10 },
    });
    const second = await tenant.phoneLine('057199999999', 'external');
    await setLine(second, { concurrency_quota: 4 });
    await db.db
      .insertInto('job_phone_line')
      .values({ tenant_id: tenant.tenantId, job_id: jobId, phone_line_id: second })
      .execute();
    const engine = externalEngine(tenant.tenantId);
    const per = (tasks: { line: { phoneLineId: number } | null }[], id: number) =>
      tasks.filter((c) => c.line?.phoneLineId === id).length;
    const even = await claim(engine, { max: 4 });
    expect([per(even, lineId), per(even, second)]).toEqual([2, 2]);
    // 2 and 2 free; with the first line's channels raised to 5 it has 3 free and takes two of the next three.
    await setLine(lineId, { concurrency_quota: 5 });
    const uneven = await claim(engine, { max: 3 });
    expect([per(uneven, lineId), per(uneven, second)]).toEqual([2, 1]);
  });

  it('answers the trunk when the line has one', async () => {
    const { tenant } = await setUp({ customers: 1, line: { sip_uri: 'sip:gw.example.com', sip_username: 'u1' } });
    const [claimed] = await claim(externalEngine(tenant.tenantId));
    expect(claimed!.line!.trunk).toEqual({
      sipUri: 'sip:gw.example.com',
      username: 'u1',
      password: null,
      transport: 'udp',
      codecs: ['PCMA', 'PCMU'],
    });
  });
});

describe('dial', () => {
  it('moves the lease to dialing and the task to CALLING', async () => {
    const { tenant } = await setUp({ customers: 1 });
    const engine = externalEngine(tenant.tenantId);
    const [c] = await claim(engine);
    expect(await dialCallTask(db, engine, c!.leaseId, SETTINGS, NOW)).toEqual({ leaseTtlMs: 1000 });
    expect(await lease(c!.leaseId)).toMatchObject({ state: 'dialing', dialled_at: NOW, deadline_at: NOW + 661_000 });
    expect((await task(c!.callTaskId)).status).toBe('CALLING');
  });

  it('is refused once the lease ended, when the job is not IN_PROCESS, or the number was listed — and the task is claimable again', async () => {
    const { tenant, jobId } = await setUp({ customers: 3 });
    const engine = externalEngine(tenant.tenantId);
    const [a, b, c] = await claim(engine);
    await releaseLeases(db, engine, [a!.leaseId], NOW);
    expect(await refusal(dialCallTask(db, engine, a!.leaseId, SETTINGS, NOW))).toBe('409 lease ended');
    await insertDoNotCallNumbers(db, tenant.tenantId, [b!.calledPhoneNumber], { reason: null, addedBy: 't', now: NOW });
    expect(await refusal(dialCallTask(db, engine, b!.leaseId, SETTINGS, NOW))).toBe(
      '409 number is on the do-not-call list',
    );
    await setJob(jobId, { status: 'USER_PAUSE' });
    expect(await refusal(dialCallTask(db, engine, c!.leaseId, SETTINGS, NOW))).toBe('409 job is USER_PAUSE');
    expect((await lease(c!.leaseId)).ended_reason).toBe('cancelled');
    expect((await task(c!.callTaskId)).status).toBe('NOT_STARTED');
    await setJob(jobId, { status: 'IN_PROCESS' });
    expect((await claim(engine)).map((x) => x.callTaskId).sort()).toEqual([a!.callTaskId, c!.callTaskId].sort());
  });

  it('another engine’s lease is unknown (404)', async () => {
    const { tenant } = await setUp({ customers: 1 });
    const [c] = await claim(externalEngine(tenant.tenantId));
    expect(await refusal(dialCallTask(db, externalEngine(tenant.tenantId), c!.leaseId, SETTINGS, NOW))).toMatch(
      /^404 leaseId/,
    );
  });
});

describe('heartbeat', () => {
  it('renews the TTL (never past a dialled call’s deadline) and records the phase', async () => {
    const { tenant } = await setUp({ customers: 1 });
    const engine = externalEngine(tenant.tenantId);
    const [c] = await claim(engine);
    await dialCallTask(db, engine, c!.leaseId, SETTINGS, NOW);
    const beat = await heartbeatLeases(db, engine, [{ leaseId: c!.leaseId, phase: 'ringing' }], SETTINGS, NOW + 500);
    expect(beat.leases).toEqual([{ leaseId: c!.leaseId, leaseTtlMs: 1000, cancel: false }]);
    expect(await lease(c!.leaseId)).toMatchObject({ expires_at: NOW + 1500, phase: 'ringing' });
    const late = await heartbeatLeases(db, engine, [{ leaseId: c!.leaseId }], SETTINGS, NOW + 660_500);
    expect(late.leases[0]!.leaseTtlMs).toBe(500);
  });

  it('renews every lease of one heartbeat together, each with its own phase; an ended lease stays as it ended', async () => {
    const { tenant } = await setUp({ customers: 3 });
    const engine = externalEngine(tenant.tenantId);
    const [a, b, c] = await claim(engine);
    await dialCallTask(db, engine, a!.leaseId, SETTINGS, NOW);
    await heartbeatLeases(db, engine, [{ leaseId: a!.leaseId, phase: 'ringing' }], SETTINGS, NOW);
    await releaseLeases(db, engine, [c!.leaseId], NOW);
    const ended = await lease(c!.leaseId);
    const beat = await heartbeatLeases(
      db,
      engine,
      [{ leaseId: a!.leaseId, phase: 'answered' }, { leaseId: b!.leaseId }, { leaseId: c!.leaseId, phase: 'ringing' }],
      SETTINGS,
      NOW + 200,
    );
    expect(beat.leases.map((l) => [l.leaseId, l.leaseTtlMs])).toEqual([
      [a!.leaseId, 1000],
      [b!.leaseId, 1000],
      [c!.leaseId, 0],
    ]);
    expect(await lease(a!.leaseId)).toMatchObject({ expires_at: NOW + 1200, phase: 'answered' });
    expect(await lease(b!.leaseId)).toMatchObject({ expires_at: NOW + 1200, phase: null });
    expect(await lease(c!.leaseId)).toEqual(ended);
  });

  it('says cancel when the job is paused, stopped or deleted, or the lease ended', async () => {
    for (const change of ['USER_PAUSE', 'TERMINATE', 'deleted'] as const) {
      const { tenant, jobId } = await setUp({ customers: 1 });
      const engine = externalEngine(tenant.tenantId);
      const [c] = await claim(engine);
      await dialCallTask(db, engine, c!.leaseId, SETTINGS, NOW);
      if (change === 'deleted') await db.transaction((trx) => deleteJob(trx, tenant.tenantId, jobId));
      else await setJob(jobId, { status: change });
      const beat = await heartbeatLeases(db, engine, [{ leaseId: c!.leaseId }], SETTINGS, NOW + 100);
      expect(beat.leases[0], change).toMatchObject({
        cancel: true,
        reason: change === 'deleted' ? 'job deleted' : `job is ${change}`,
      });
    }
    const { tenant } = await setUp({ customers: 1 });
    const engine = externalEngine(tenant.tenantId);
    const [c] = await claim(engine);
    await releaseLeases(db, engine, [c!.leaseId], NOW);
    expect((await heartbeatLeases(db, engine, [{ leaseId: c!.leaseId }], SETTINGS, NOW)).leases[0]).toEqual({
      leaseId: c!.leaseId,
      leaseTtlMs: 0,
      cancel: true,
      reason: 'lease ended',
    });
  });

  it('says cancel before answer when the number went on the do-not-call list, not after', async () => {
    const { tenant } = await setUp({ customers: 1 });
    const engine = externalEngine(tenant.tenantId);
    const [c] = await claim(engine);
    await dialCallTask(db, engine, c!.leaseId, SETTINGS, NOW);
    await insertDoNotCallNumbers(db, tenant.tenantId, [c!.calledPhoneNumber], { reason: null, addedBy: 't', now: NOW });
    const ringing = await heartbeatLeases(db, engine, [{ leaseId: c!.leaseId, phase: 'ringing' }], SETTINGS, NOW);
    expect(ringing.leases[0]).toMatchObject({ cancel: true, reason: 'number is on the do-not-call list' });
    const talking = await heartbeatLeases(db, engine, [{ leaseId: c!.leaseId, phase: 'answered' }], SETTINGS, NOW);
    expect(talking.leases[0]!.cancel).toBe(false);
  });
});

describe('release', () => {
  it('gives back only this engine’s leases not yet dialled; the tasks are claimable at once', async () => {
    const { tenant } = await setUp({ customers: 2 });
    const engine = externalEngine(tenant.tenantId);
    const [a, b] = await claim(engine);
    await dialCallTask(db, engine, b!.leaseId, SETTINGS, NOW);
    expect(await releaseLeases(db, externalEngine(tenant.tenantId), [a!.leaseId], NOW)).toEqual({ released: 0 });
    expect(await releaseLeases(db, engine, [a!.leaseId, b!.leaseId], NOW)).toEqual({ released: 1 });
    expect((await claim(engine)).map((c) => c.callTaskId)).toEqual([a!.callTaskId]);
    // A release is not a lapse: the attempt is still the first.
    expect((await lease(a!.leaseId)).ended_reason).toBe('released');
  });
});

describe('result', () => {
  it('records through the write path with the lease as idempotency key; a replay answers the same', async () => {
    const { tenant, jobId } = await setUp({ customers: 1 });
    const engine = externalEngine(tenant.tenantId);
    const [c] = await claim(engine);
    await dialCallTask(db, engine, c!.leaseId, SETTINGS, NOW);
    const report = {
      sipCode: 200,
      answeredBy: 'machine' as const,
      answerAt: NOW + 5000,
      endAt: NOW + 35_000,
      endedBy: 'remote' as const,
      turns: [
        { type: 'ROBOT' as const, text: '您好' },
        { type: 'PERSON' as const, text: '嗯' },
      ],
    };
    const first = await reportCallResult(db, engine, c!.leaseId, report, NOW + 36_000);
    expect(first).toMatchObject({ resultStatus: 'ANSWERED' });
    expect(await reportCallResult(db, engine, c!.leaseId, { ...report, sipCode: 486 }, NOW + 40_000)).toEqual(first);
    const records = await recordsOf(jobId);
    expect(records).toHaveLength(1);
    expect(records[0]).toMatchObject({
      id: first.callRecordId,
      idempotency_key: `lease-${c!.leaseId}`,
      result_status: 'ANSWERED',
      intent_level: 'D',
      chat_duration: 30,
      start_time: NOW,
      end_time: NOW + 35_000,
    });
    const attributes = records[0]!.attributes;
    expect((typeof attributes === 'string' ? JSON.parse(attributes) : attributes)[0]).toMatchObject({
      answeredBy: 'machine',
      sipCode: 200,
      decidedBy: 'sip',
    });
    expect((await task(c!.callTaskId)).status).toBe('FINISHED');
  });

  it('replaces instants outside the claim and the server clock by the server’s', async () => {
    const { tenant, jobId } = await setUp({ customers: 1 });
    const engine = externalEngine(tenant.tenantId);
    const [c] = await claim(engine);
    await dialCallTask(db, engine, c!.leaseId, SETTINGS, NOW);
    await reportCallResult(
      db,
      engine,
      c!.leaseId,
      { sipCode: 480, endAt: NOW + 3_600_000, endedBy: 'remote' },
      NOW + 9000,
    );
    expect((await recordsOf(jobId))[0]!.end_time).toBe(NOW + 9000);
  });

  it('before dial: 409', async () => {
    const { tenant } = await setUp({ customers: 1 });
    const engine = externalEngine(tenant.tenantId);
    const [c] = await claim(engine);
    expect(await refusal(reportCallResult(db, engine, c!.leaseId, { endedBy: 'remote' }, NOW))).toMatch(
      /^409 lease not dialled/,
    );
  });

  it('cancelled or shut down before answer: no record, the task back without spending a redial', async () => {
    const { tenant, jobId } = await setUp({ customers: 1 });
    const engine = externalEngine(tenant.tenantId);
    const [c] = await claim(engine);
    await dialCallTask(db, engine, c!.leaseId, SETTINGS, NOW);
    expect(await reportCallResult(db, engine, c!.leaseId, { endedBy: 'shutdown' }, NOW + 2000)).toEqual({
      callRecordId: null,
      resultStatus: 'SYSTEM_ERROR',
    });
    expect(await recordsOf(jobId)).toEqual([]);
    expect(await task(c!.callTaskId)).toMatchObject({ status: 'NOT_STARTED', attempts: 0 });
    expect(await claim(engine, {}, NOW + 2000)).toMatchObject([{ callTaskId: c!.callTaskId, attempt: 1 }]);
  });

  it('a failed call follows the job’s redial rule', async () => {
    const { tenant } = await setUp({ customers: 1, job: { redial_times: 1, redial_interval_minutes: 1 } });
    const engine = externalEngine(tenant.tenantId);
    const [c] = await claim(engine);
    await dialCallTask(db, engine, c!.leaseId, SETTINGS, NOW);
    await reportCallResult(db, engine, c!.leaseId, { q850Cause: 17, endedBy: 'remote', endAt: NOW + 5000 }, NOW + 5000);
    expect(await task(c!.callTaskId)).toMatchObject({ status: 'REDIAL_WAITING', next_attempt_at: NOW + 65_000 });
    expect(await claim(engine, {}, NOW + 64_000)).toEqual([]);
    expect(await claim(engine, {}, NOW + 65_000)).toMatchObject([{ attempt: 2 }]);
  });
});

describe('results and dials sent at once', () => {
  it('are written together, each answered alone: its own record, or its own refusal', async () => {
    const { tenant, jobId } = await setUp({ customers: 5 });
    const engine = externalEngine(tenant.tenantId);
    const claimed = await claim(engine);
    const dialled = claimed.slice(0, 4);
    // The fifth number goes on the do-not-call list: its dial is refused, in the same group.
    await insertDoNotCallNumbers(db, tenant.tenantId, [claimed[4]!.calledPhoneNumber], {
      reason: null,
      addedBy: 't',
      now: NOW,
    });
    const dials = await Promise.allSettled(claimed.map((c) => dialCallTask(db, engine, c.leaseId, SETTINGS, NOW)));
    expect(
      dials.slice(0, 4).map((d) => (d as PromiseFulfilledResult<{ leaseTtlMs: number }>).value.leaseTtlMs),
    ).toEqual([1000, 1000, 1000, 1000]);
    expect(((dials[4] as PromiseRejectedResult).reason as ServiceError).reason).toBe(
      'number is on the do-not-call list',
    );
    expect(await lease(claimed[4]!.leaseId)).toMatchObject({ ended_reason: 'cancelled' });
    expect((await task(claimed[0]!.callTaskId)).status).toBe('CALLING');
    const before = engineCounters.outcomes.get(`${claimed[0]!.line!.phoneLineId}|BUSY`) ?? 0;
    const answers = await Promise.allSettled([
      ...dialled.map((c) => reportCallResult(db, engine, c.leaseId, { sipCode: 486, endedBy: 'remote' }, NOW + 1000)),
      // Its dial refused: the result is refused, alone.
      reportCallResult(db, engine, claimed[4]!.leaseId, { endedBy: 'remote' }, NOW + 1000),
      // Another engine's: unknown, alone.
      reportCallResult(db, externalEngine(tenant.tenantId), dialled[0]!.leaseId, { endedBy: 'remote' }, NOW + 1000),
      // A replay sent at once with its first: the same answer.
      reportCallResult(db, engine, dialled[1]!.leaseId, { sipCode: 486, endedBy: 'remote' }, NOW + 1000),
    ]);
    const recorded = answers.slice(0, 4).map((a) => (a as PromiseFulfilledResult<{ callRecordId: number }>).value);
    const records = await recordsOf(jobId);
    expect(recorded.map((r) => r.callRecordId).sort()).toEqual(records.map((r) => r.id).sort());
    expect(new Set(records.map((r) => r.idempotency_key))).toEqual(new Set(dialled.map((c) => `lease-${c.leaseId}`)));
    expect(records.every((r) => r.result_status === 'BUSY')).toBe(true);
    expect(answers.slice(4, 6).map((a) => ((a as PromiseRejectedResult).reason as ServiceError).resultCode)).toEqual([
      409, 404,
    ]);
    expect((answers[6] as PromiseFulfilledResult<unknown>).value).toEqual(recorded[1]);
    expect(engineCounters.outcomes.get(`${claimed[0]!.line!.phoneLineId}|BUSY`)).toBe(before + 4);
    expect((await lease(dialled[0]!.leaseId)).ended_reason).toBe('result');
  });

  it('claims of one job sent at once (taken together): each gets at most its max, none a task twice, all within the job’s concurrency', async () => {
    const { tenant, jobId } = await setUp({ customers: 10, job: { robot_count: 7 } });
    const engines = [1, 2, 3, 4].map(() => externalEngine(tenant.tenantId));
    const maxes = [2, 3, 4, 1];
    const answers = await Promise.all(engines.map((e, i) => claim(e, { max: maxes[i]! })));
    // 7 of the 10 (the job's concurrency), first come, first served.
    for (const [i, a] of answers.entries()) expect(a.length).toBeLessThanOrEqual(maxes[i]!);
    const taskIds = answers.flat().map((t) => t.callTaskId);
    expect(new Set(taskIds).size).toBe(7);
    // Each lease is the engine's own: another engine's dial of it is refused as unknown.
    const [ofFirst] = answers[0]!;
    expect(await refusal(dialCallTask(db, engines[1]!, ofFirst!.leaseId, SETTINGS, NOW))).toMatch(/^404 /);
    await dialCallTask(db, engines[0]!, ofFirst!.leaseId, SETTINGS, NOW);
    const leases = await db.db.selectFrom('call_lease').select(['engine_key_id']).where('job_id', '=', jobId).execute();
    expect(leases.map((l) => l.engine_key_id).sort()).toEqual(
      answers.flatMap((a, i) => a.map(() => engines[i]!.engineKeyId)).sort(),
    );
  });

  it('a result that cannot be recorded (its job deleted) fails alone; the others in its group are recorded', async () => {
    const kept = await setUp({ customers: 2 });
    const gone = await setUp({ customers: 1 });
    const engineOf = (tenantId: number) => externalEngine(tenantId);
    const keptEngine = engineOf(kept.tenant.tenantId);
    const goneEngine = engineOf(gone.tenant.tenantId);
    const keptCalls = await claim(keptEngine);
    const [goneCall] = await claim(goneEngine);
    for (const c of keptCalls) await dialCallTask(db, keptEngine, c.leaseId, SETTINGS, NOW);
    await dialCallTask(db, goneEngine, goneCall!.leaseId, SETTINGS, NOW);
    await deleteJob(db, gone.tenant.tenantId, gone.jobId);
    const answers = await Promise.allSettled([
      reportCallResult(db, keptEngine, keptCalls[0]!.leaseId, { sipCode: 486, endedBy: 'remote' }, NOW + 1000),
      reportCallResult(db, goneEngine, goneCall!.leaseId, { sipCode: 486, endedBy: 'remote' }, NOW + 1000),
      reportCallResult(db, keptEngine, keptCalls[1]!.leaseId, { sipCode: 486, endedBy: 'remote' }, NOW + 1000),
    ]);
    expect(answers.map((a) => a.status)).toEqual(['fulfilled', 'rejected', 'fulfilled']);
    expect(((answers[1] as PromiseRejectedResult).reason as ServiceError).resultCode).toBe(404);
    expect(await recordsOf(kept.jobId)).toHaveLength(2);
  });
});

describe('a caller line’s health', () => {
  it('is disabled after K failures of the line in a row (FROM_PHONE_ERROR, CAN_NOT_CONNECT); another result resets the count', async () => {
    const { tenant, lineId } = await setUp({ customers: 4, job: { redial_times: 0 } });
    const engine = externalEngine(tenant.tenantId);
    const settings = { ...SETTINGS, lineFailureLimit: 2 };
    const warned: string[] = [];
    const log = { warn: (_: object, msg: string) => void warned.push(msg) };
    const [a, b, c] = await claim(engine, { max: 3 });
    for (const [lease, sipCode] of [
      [a!, 503],
      [b!, 486],
      [c!, 403],
    ] as const) {
      await dialCallTask(db, engine, lease.leaseId, settings, NOW);
      await reportCallResult(db, engine, lease.leaseId, { sipCode, endedBy: 'remote' }, NOW + 1000, { settings, log });
    }
    const line = () =>
      db.db
        .selectFrom('phone_line')
        .select(['enabled_status', 'consecutive_failures'])
        .where('id', '=', lineId)
        .executeTakeFirstOrThrow();
    // 503 (1), then 486 resets, then 403 (1): still enabled.
    expect(await line()).toMatchObject({ enabled_status: 1, consecutive_failures: 1 });
    const [d] = await claim(engine, {}, NOW + 2000);
    await dialCallTask(db, engine, d!.leaseId, settings, NOW + 2000);
    await reportCallResult(db, engine, d!.leaseId, { q850Cause: 38, endedBy: 'remote' }, NOW + 3000, { settings, log });
    expect(await line()).toMatchObject({ enabled_status: 0, consecutive_failures: 2 });
    expect(warned).toEqual(['caller line disabled: it kept failing']);
  });
});

describe('the reaper', () => {
  it('puts a lapsed claim’s task back at once; the 4th lapse of one attempt records SYSTEM_ERROR (poison)', async () => {
    const { tenant, jobId } = await setUp({ customers: 1 });
    const engine = externalEngine(tenant.tenantId);
    let now = NOW;
    for (let lapse = 1; lapse <= 3; lapse++) {
      const [c] = await claim(engine, {}, now);
      expect(c, `lapse ${lapse}`).toMatchObject({ attempt: 1 });
      now += 1000;
      await reapLeases(db, now);
      expect((await lease(c!.leaseId)).ended_at, 'not before its TTL has passed').toBeNull();
      now += 1;
      await reapLeases(db, now);
      expect((await lease(c!.leaseId)).ended_reason).toBe('expired_before_dial');
      expect(await recordsOf(jobId)).toEqual([]);
    }
    const [c] = await claim(engine, {}, now);
    now += 1001;
    expect((await reapLeases(db, now)).poisoned).toBeGreaterThanOrEqual(1);
    expect((await lease(c!.leaseId)).ended_reason).toBe('poisoned');
    expect(await recordsOf(jobId)).toMatchObject([
      { result_status: 'SYSTEM_ERROR', idempotency_key: `lease-${c!.leaseId}` },
    ]);
    expect((await task(c!.callTaskId)).status).toBe('FINISHED');
  });

  it('records a dialled call past its deadline as SYSTEM_ERROR "engine lost"; a late result then answers 409', async () => {
    const { tenant, jobId } = await setUp({ customers: 1, line: { ring_timeout_seconds: 1, max_call_seconds: 1 } });
    const engine = externalEngine(tenant.tenantId);
    const [c] = await claim(engine);
    await dialCallTask(db, engine, c!.leaseId, SETTINGS, NOW);
    // Deadline: dialled + 1 s ring + 1 s call + 1 s grace.
    await reapLeases(db, NOW + 3000);
    expect((await lease(c!.leaseId)).state).toBe('dialing');
    await reapLeases(db, NOW + 3001);
    expect(await lease(c!.leaseId)).toMatchObject({ ended_reason: 'lost', result_status: 'SYSTEM_ERROR' });
    expect(await recordsOf(jobId)).toMatchObject([
      { result_status: 'SYSTEM_ERROR', analysis_basis: expect.stringMatching(/^engine lost/) },
    ]);
    expect(
      await refusal(reportCallResult(db, engine, c!.leaseId, { sipCode: 200, endedBy: 'remote' }, NOW + 4000)),
    ).toMatch(/^409 lease was reaped as lost/);
    expect(engineCounters.endedAfterDial.get('lost')).toBeGreaterThan(0);
  });
});

describe('what the answer cache sees', () => {
  /** The tenant's data version: what kept answers are checked against. */
  const version = async (tenantId: number) =>
    db.dialect === 'sqlite'
      ? sqliteDataVersion(db)
      : (
          await sql<{
            v: string;
          }>`select coalesce(sum(version), 0)::text as v from tenant_data_version where tenant_id = ${tenantId}`.execute(
            db.db,
          )
        ).rows[0]!.v;

  it('claims, heartbeats, releases and reaping before dial do not move the data version; dial does', async () => {
    const { tenant, lineId } = await setUp({ customers: 2, line: { high_water_mark: 10 } });
    const engine = externalEngine(tenant.tenantId);
    const before = await version(tenant.tenantId);
    const [a, b] = await claim(engine);
    await heartbeatLeases(db, engine, [{ leaseId: a!.leaseId, phase: 'ringing' }], SETTINGS, NOW);
    await releaseLeases(db, engine, [a!.leaseId], NOW);
    await reapLeases(db, NOW + 5000);
    expect(await version(tenant.tenantId)).toBe(before);
    expect((await lease(b!.leaseId)).ended_reason).toBe('expired_before_dial');
    const [c] = await claim(engine, {}, NOW + 5000);
    await dialCallTask(db, engine, c!.leaseId, SETTINGS, NOW + 5000);
    expect(await version(tenant.tenantId)).not.toBe(before);
    expect(lineId).toBeGreaterThan(0);
  });
});

describe('a waiting claim', () => {
  it('answers empty at the end of its wait, and at once when work is released in this process', async () => {
    // On the real clock: a zone where it is now about 14:00, inside the job's window.
    const { tenant } = await setUp({ customers: 1, timeZone: openZone() });
    const engine = externalEngine(tenant.tenantId);
    const other = externalEngine(tenant.tenantId);
    const [c] = await claim(engine, {}, Date.now());
    const started = Date.now();
    expect((await claimWithWait(db, other, { max: 1, waitMs: 150 }, SETTINGS)).tasks).toEqual([]);
    expect(Date.now() - started).toBeGreaterThanOrEqual(140);
    const waiting = claimWithWait(db, other, { max: 1, waitMs: 10_000 }, SETTINGS, { recheckMs: 10_000 });
    await new Promise((r) => setTimeout(r, 50));
    await releaseLeases(db, engine, [c!.leaseId]);
    const woken = Date.now();
    expect((await waiting).tasks).toHaveLength(1);
    expect(Date.now() - woken).toBeLessThan(2000);
  });
});
