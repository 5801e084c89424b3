import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { T0, TenantFixture } from '../../test/fixtures.js';
import { createTestDatabase, type TestDatabase, testDialect } from '../../test/harness.js';
import { simulateCall } from '../simulator/conversation.js';
import { seededRandom } from '../simulator/random.js';
import { Simulator } from './simulator.js';
import type { DialRequest, Telephony } from './telephony.js';

/*
 * One tenant's fault stays in that tenant: a job whose data makes dialling fail is skipped and
 * logged, and every other tenant's jobs are dialled in the same ticks. The bad data is written
 * directly, as earlier code could leave it: a tenant time zone Intl refuses (both databases). A job's
 * robot_count of infinity (SQLite took `"robotCount": "Infinity"` before input was range-checked) is
 * dialled: the claim is bounded by the engine's `max`.
 */

/** Answers every call at once. */
class InstantTelephony implements Telephony {
  readonly dialled: DialRequest[] = [];
  private readonly random = seededRandom(7);
  async dial(call: DialRequest) {
    this.dialled.push(call);
    return simulateCall(this.random, call.script, 'ANSWERED');
  }
}

const errors: { obj: Record<string, unknown>; msg: string }[] = [];
const log = { info: () => undefined, error: (obj: object, msg: string) => errors.push({ obj: obj as any, msg }) };

let testDb: TestDatabase;
let poisoned: { tenantId: number; jobIds: number[] };
let healthy: { tenantId: number; jobId: number };
let infinite: number | undefined;

async function runningJob(tenant: TenantFixture, customers: number, robotCount: number | string): Promise<number> {
  const ids: number[] = [];
  for (let i = 0; i < customers; i++) ids.push((await tenant.customer()).id);
  const { jobId } = await tenant.job({ status: 'IN_PROCESS', customers: ids });
  await sql`update robot_call_job set robot_count = ${sql.raw(String(robotCount))} where id = ${jobId}`.execute(
    testDb.database.db,
  );
  return jobId;
}

beforeAll(async () => {
  testDb = await createTestDatabase();
  // Tenant A first: its jobs come before B's in every tick.
  const a = await TenantFixture.create(testDb.database);
  const b = await TenantFixture.create(testDb.database);
  const jobIds = [await runningJob(a, 3, 5)];
  await sql`update tenant set time_zone = 'Mars/Olympus_Mons' where id = ${a.tenantId}`.execute(testDb.database.db);
  if (testDialect === 'sqlite') {
    // Another tenant A′ with a sound zone but a job of infinite lines (SQLite took "Infinity"): no
    // longer a failure — a claim is bounded by the engine's `max` — so it is dialled like any other.
    const a2 = await TenantFixture.create(testDb.database);
    infinite = await runningJob(a2, 3, '9e999');
  }
  poisoned = { tenantId: a.tenantId, jobIds };
  healthy = { tenantId: b.tenantId, jobId: await runningJob(b, 30, 5) };
});
afterAll(() => testDb.drop());

describe('a job whose data makes dialling fail', () => {
  it('is skipped and logged, while another tenant’s running job is dialled in the same ticks', async () => {
    const telephony = new InstantTelephony();
    const dialer = new Simulator({
      database: testDb.database,
      telephony,
      clock: { now: () => T0, sleep: async () => {} },
      log,
    });
    const first = await dialer.tick();
    expect(first.skipped?.map((s) => s.robotCallJobId)).toEqual(poisoned.jobIds);
    expect(first.claimed).toBe(infinite === undefined ? 5 : 8);
    expect(telephony.dialled.filter((c) => c.robotCallJobId === healthy.jobId)).toHaveLength(5);

    // Tick after tick, B's 30 customers are all called, five lines at a time; A's never.
    for (let tick = 0; tick < 10; tick++) {
      await dialer.idle();
      await dialer.tick();
    }
    await dialer.idle();
    const dialledB = telephony.dialled.filter((c) => c.robotCallJobId === healthy.jobId);
    expect(new Set(dialledB.map((c) => c.callTaskId)).size).toBe(30);
    expect(telephony.dialled.filter((c) => poisoned.jobIds.includes(c.robotCallJobId))).toEqual([]);
    const recorded = await testDb.database.db
      .selectFrom('call_record')
      .select((eb) => eb.fn.countAll<number>().as('n'))
      .where('job_id', '=', healthy.jobId)
      .executeTakeFirstOrThrow();
    expect(Number(recorded.n)).toBe(30);
    if (infinite !== undefined) expect(telephony.dialled.filter((c) => c.robotCallJobId === infinite)).toHaveLength(3);
  });

  it('is logged with its job, its tenant and the error, once while the error lasts', () => {
    const skipped = errors.filter((e) => e.msg.startsWith('job skipped'));
    expect(skipped.map((e) => e.obj.robotCallJobId)).toEqual(poisoned.jobIds);
    expect(skipped[0]!.obj).toMatchObject({ robotCallJobId: poisoned.jobIds[0], tenantId: poisoned.tenantId });
    expect(String((skipped[0]!.obj.err as Error).message)).toMatch(/time zone|timeZone/i);
    expect(errors.filter((e) => e.msg === 'simulator tick failed')).toEqual([]);
  });
});
