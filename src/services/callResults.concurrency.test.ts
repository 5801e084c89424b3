import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { finishedCall, T0, TenantFixture } from '../../test/fixtures.js';
import { allCallRecords, getTaskDetail, startTestServer, type TestServer, testDialect } from '../../test/harness.js';
import { recomputeStats } from '../../test/recompute.js';
import { createDatabase } from '../db/database.js';
import type { ResultStatus } from '../domain/enums.js';
import { between, pick, seededRandom } from '../simulator/random.js';
import { type FinishedCall, type RecordedCall, recordFinishedCalls } from './callResults.js';

/*
 * Several writers record finished calls for the same jobs and call tasks at once — the same call
 * often sent by two or more of them concurrently, in different orders and batches, as when several
 * server processes ingest retried deliveries. Afterwards statistics must equal a recomputation from
 * the call records, no record may exist twice, and no call task may be counted finished twice.
 */

const REDIAL_TIMES = 2;
const HOUR = 3_600_000;
const RESULTS: ResultStatus[] = ['ANSWERED', 'ANSWERED', 'NO_ANSWER', 'BUSY', 'REFUSED', 'POWER_OFF'];
const CONCERNS = ['价格', '地址', '时间', '优惠', '师资', '停车'];

let server: TestServer;
beforeAll(async () => {
  server = await startTestServer();
});
afterAll(() => server?.close());

interface Scenario {
  tenant: TenantFixture;
  jobs: { jobId: number; taskOf: Map<number, { id: number; phone: string }> }[];
  /** Distinct finished calls: 1–4 attempts per call task over a day and a half, a few training calls. */
  pool: FinishedCall[];
  /** The customer each call dialled. */
  customerOf: Map<string, number>;
}

/** A tenant with two jobs dialling the same customers (so writers also meet on customer rows across jobs). */
async function scenario(customers: number, seed: number): Promise<Scenario> {
  const tenant = await TenantFixture.create(server.database);
  const customerIds: number[] = [];
  for (let i = 0; i < customers; i++) customerIds.push((await tenant.customer()).id);
  const jobs = [];
  for (let j = 0; j < 2; j++) jobs.push(await tenant.job({ redialTimes: REDIAL_TIMES, customers: customerIds }));
  const random = seededRandom(seed);
  const pool: FinishedCall[] = [];
  const customerOf = new Map<string, number>();
  let minute = 0;
  for (const job of jobs) {
    for (const customerId of customerIds) {
      const task = job.taskOf.get(customerId)!;
      for (let attempt = between(random, 1, 4); attempt > 0; attempt--) {
        const result = pick(random, RESULTS);
        // Distinct start times, so "the customer's last call" has one right answer.
        minute += between(random, 1, 40);
        const at = T0 - 30 * HOUR + minute * 60_000;
        const call = finishedCall({
          jobId: job.jobId,
          task,
          result,
          intent: result === 'ANSWERED' ? pick(random, ['A', 'B', 'C', 'D'] as const) : 'E',
          at,
          duration: result === 'ANSWERED' ? between(random, 5, 300) : 0,
          rounds: result === 'ANSWERED' ? between(random, 1, 12) : 0,
          concerns: result === 'ANSWERED' ? CONCERNS.filter(() => random() < 0.3) : [],
        });
        customerOf.set(call.idempotencyKey, customerId);
        // Some calls name their call task, others leave it to be found by job and number.
        pool.push(random() < 0.5 ? call : { ...call, callTaskId: null });
      }
    }
    for (let i = 0; i < 5; i++)
      pool.push(finishedCall({ jobId: job.jobId, phone: '13900000000', training: true, at: T0 + i * 60_000 }));
  }
  return { tenant, jobs, pool, customerOf };
}

function shuffled<T>(items: T[], random: () => number): T[] {
  const out = [...items];
  for (let i = out.length - 1; i > 0; i--) {
    const j = Math.floor(random() * (i + 1));
    [out[i], out[j]] = [out[j]!, out[i]!];
  }
  return out;
}

/** Each call goes to two to four of the lanes; each lane sends its share shuffled, in batches of 1–12. */
function deal(pool: FinishedCall[], lanes: number, seed: number): FinishedCall[][][] {
  const random = seededRandom(seed);
  const shares: FinishedCall[][] = Array.from({ length: lanes }, () => []);
  for (const call of pool)
    for (const w of shuffled([...Array(lanes).keys()], random).slice(0, between(random, 2, Math.min(4, lanes))))
      shares[w]!.push(call);
  return shares.map((share) => {
    const batches: FinishedCall[][] = [];
    const rest = shuffled(share, random);
    while (rest.length > 0) batches.push(rest.splice(0, between(random, 1, 12)));
    return batches;
  });
}

/** Checks every invariant of the write path after the writers are done. */
async function verify(s: Scenario, outcomes: RecordedCall[], errors: string[]): Promise<number> {
  expect(errors).toEqual([]);

  // Every writer was told the same record for a call, and exactly one of them created it.
  const told = new Map<string, RecordedCall[]>();
  for (const r of outcomes) told.set(r.idempotencyKey, [...(told.get(r.idempotencyKey) ?? []), r]);
  for (const call of s.pool) {
    const answers = told.get(call.idempotencyKey) ?? [];
    expect(new Set(answers.map((r) => r.callRecordId)).size, call.idempotencyKey).toBe(1);
    expect(
      answers.filter((r) => !r.duplicate),
      call.idempotencyKey,
    ).toHaveLength(1);
  }

  const { db } = server.database;
  const tenantId = s.tenant.tenantId;
  const stored = await db
    .selectFrom('call_record')
    .select(['id', 'idempotency_key', 'call_task_id', 'result_status', 'is_training'])
    .where('tenant_id', '=', tenantId)
    .execute();
  expect(stored).toHaveLength(s.pool.length);
  expect(new Set(stored.map((r) => r.idempotency_key))).toEqual(new Set(s.pool.map((c) => c.idempotencyKey)));
  const turns = await db
    .selectFrom('call_detail')
    .select((eb) => eb.fn.countAll<number>().as('n'))
    .where('tenant_id', '=', tenantId)
    .executeTakeFirstOrThrow();
  expect(Number(turns.n)).toBe(s.pool.reduce((n, c) => n + c.turns.length, 0));

  for (const job of s.jobs) {
    const detail = (await getTaskDetail(server, s.tenant.credentials, job.jobId)).data;
    const records = await allCallRecords(server, s.tenant.credentials, { robotCallJobId: job.jobId });
    expect(records).toHaveLength(s.pool.filter((c) => c.robotCallJobId === job.jobId && !c.training).length);
    expect(detail.callJobStatsInfo).toEqual(recomputeStats(records, detail));

    // A call task is finished once answered or after 1 + redialTimes attempts, whatever order the
    // calls arrived in; an unfinished one counted every attempt; the job counts finished tasks once.
    const tasks = await db
      .selectFrom('call_task')
      .select(['id', 'status', 'attempts'])
      .where('tenant_id', '=', tenantId)
      .where('job_id', '=', job.jobId)
      .execute();
    let finished = 0;
    for (const task of tasks) {
      const mine = stored.filter((r) => r.call_task_id === task.id && r.is_training === 0);
      const shouldFinish = mine.some((r) => r.result_status === 'ANSWERED') || mine.length >= 1 + REDIAL_TIMES;
      expect(task.status === 'FINISHED', `call task ${task.id}`).toBe(shouldFinish);
      if (shouldFinish) {
        finished++;
        expect(task.attempts).toBeGreaterThanOrEqual(1);
        expect(task.attempts).toBeLessThanOrEqual(mine.length);
      } else {
        expect(task.attempts).toBe(mine.length);
      }
    }
    expect(detail.completedTask).toBe(finished);
    expect(detail.callJobStatsInfo.completedTask).toBe(finished);
  }

  // Each customer shows their latest real call, from whichever job and writer it came.
  const customers = await db
    .selectFrom('customer_person')
    .select(['id', 'last_start_time'])
    .where('tenant_id', '=', tenantId)
    .execute();
  for (const customer of customers) {
    const latest = Math.max(
      ...s.pool.filter((c) => s.customerOf.get(c.idempotencyKey) === customer.id).map((c) => c.startTime),
    );
    expect(customer.last_start_time, `customer ${customer.id}`).toBe(latest);
  }
  return stored.length;
}

const count = (lanes: FinishedCall[][][]) => ({
  sends: lanes.flat(2).length,
  batches: lanes.reduce((n, batches) => n + batches.length, 0),
});

describe(`concurrent writers on ${testDialect}`, () => {
  // SQLite is single-writer: a process's transactions queue on its one connection, so separate
  // pools in one process only exist on PostgreSQL; the next test covers SQLite with processes.
  it.runIf(testDialect === 'postgres')(
    'with a connection pool each keep statistics equal to the call records, each call recorded once, each call task finished once',
    async () => {
      const WRITERS = 6;
      const LANES_PER_WRITER = 2;
      const s = await scenario(30, 7);
      const lanes = deal(s.pool, WRITERS * LANES_PER_WRITER, 11);
      const databases = Array.from({ length: WRITERS }, () =>
        createDatabase(server.databaseUrl, { poolSize: LANES_PER_WRITER }),
      );
      const deadlocksBefore = await deadlockCount();
      const outcomes: RecordedCall[] = [];
      const errors: string[] = [];
      const started = Date.now();
      try {
        await Promise.all(
          lanes.map(async (batches, lane) => {
            const database = databases[lane % WRITERS]!;
            for (const batch of batches) {
              try {
                outcomes.push(...(await recordFinishedCalls(database, s.tenant.tenantId, batch)));
              } catch (error) {
                errors.push(String(error));
              }
            }
          }),
        );
      } finally {
        for (const d of databases) await d.destroy();
      }
      const elapsed = Date.now() - started;
      const records = await verify(s, outcomes, errors);
      // The write path retries a deadlock victim, so none would show as an error above; but writers
      // that all lock rows in one order never deadlock at all.
      const deadlocks = (await deadlockCount()) - deadlocksBefore;
      const { sends, batches } = count(lanes);
      console.info(
        `[concurrent writers postgres, pools] ${WRITERS} pools × ${LANES_PER_WRITER} connections: ${s.pool.length} distinct calls sent ${sends} times in ${batches} batches, ` +
          `${elapsed} ms; ${records} records; deadlocks: ${deadlocks}`,
      );
      expect(deadlocks).toBe(0);
    },
  );

  it('in separate processes keep statistics equal to the call records, each call recorded once, each call task finished once', async () => {
    const PROCESSES = 4;
    const s = await scenario(20, 23);
    const lanes = deal(s.pool, PROCESSES, 29);
    const deadlocksBefore = await deadlockCount();
    // The processes start writing together, once all are up.
    const startAt = Date.now() + 2_000;
    const started = Date.now();
    const runs = await Promise.all(
      lanes.map((batches) => writerProcess(server.databaseUrl, s.tenant.tenantId, batches, startAt)),
    );
    const elapsed = Date.now() - started;
    const records = await verify(
      s,
      runs.flatMap((r) => r.results),
      runs.flatMap((r) => r.errors),
    );
    const deadlocks = (await deadlockCount()) - deadlocksBefore;
    const { sends, batches } = count(lanes);
    console.info(
      `[concurrent writers ${testDialect}, processes] ${PROCESSES} processes: ${s.pool.length} distinct calls sent ${sends} times in ${batches} batches, ` +
        `writing for ${Math.max(...runs.map((r) => r.ms))} ms (${elapsed} ms with start-up); ${records} records` +
        (testDialect === 'postgres' ? `; deadlocks: ${deadlocks}` : ''),
    );
    expect(deadlocks).toBe(0);
  });

  // Last: the deadlock it provokes would otherwise count against the tests above.
  it.runIf(testDialect === 'postgres')(
    'a recording chosen as the victim of a deadlock with another write path is run again',
    async () => {
      const tenant = await TenantFixture.create(server.database);
      const customer = await tenant.customer();
      const job = await tenant.job({ customers: [customer.id] });
      const task = job.taskOf.get(customer.id)!;
      const recorder = createDatabase(server.databaseUrl, { poolSize: 1 });
      const other = createDatabase(server.databaseUrl, { poolSize: 1 });
      try {
        // Another write path (say, a job operation) locks the job row, then wants the call task.
        const trx = await other.db.startTransaction().execute();
        await trx
          .updateTable('robot_call_job')
          .set({ robot_count: sql`robot_count` })
          .where('id', '=', job.jobId)
          .execute();
        // The recording locks the call task and then waits for the job row (the call finishes the task)…
        const recording = recordFinishedCalls(recorder, tenant.tenantId, [
          finishedCall({ jobId: job.jobId, task, result: 'ANSWERED' }),
        ]);
        await until(
          async () =>
            (
              await sql<{
                n: number;
              }>`select count(*)::int as n from pg_stat_activity where datname = current_database() and wait_event_type = 'Lock'`.execute(
                server.database.db,
              )
            ).rows[0]!.n > 0,
        );
        // …so this closes the cycle. The recording waited first, so PostgreSQL ends it; once it has
        // rolled back, this update goes through, and the recording is run again after the commit.
        await trx.updateTable('call_task').set({ attempts: sql`attempts` }).where('id', '=', task.id).execute();
        await trx.commit().execute();
        const [recorded] = await recording;
        expect(recorded).toMatchObject({ duplicate: false });
        const detail = (await getTaskDetail(server, tenant.credentials, job.jobId)).data;
        expect(detail.completedTask).toBe(1);
        expect(detail.callJobStatsInfo.taskCallTotal).toBe(1);
        const row = await server.database.db
          .selectFrom('call_task')
          .select(['status', 'attempts'])
          .where('id', '=', task.id)
          .executeTakeFirstOrThrow();
        expect(row).toEqual({ status: 'FINISHED', attempts: 1 });
      } finally {
        await recorder.destroy();
        await other.destroy();
      }
    },
  );
});

const DIST = fileURLToPath(new URL('../../dist/', import.meta.url));

/*
 * A separate Node process recording its batches through the built write path (dist/, rebuilt from
 * the sources before the tests by test/globalSetup.ts) — as a second server process would — and
 * reporting what it was told and any error.
 */
const WRITER = `
const [dist] = process.argv.slice(1);
const { createDatabase } = await import(dist + 'db/database.js');
const { recordFinishedCalls } = await import(dist + 'services/callResults.js');
let input = '';
for await (const chunk of process.stdin) input += chunk;
const { url, tenantId, batches, startAt } = JSON.parse(input);
const database = createDatabase(url, { poolSize: 1 });
await database.db.selectFrom('tenant').select('id').execute();
await new Promise((resolve) => setTimeout(resolve, Math.max(0, startAt - Date.now())));
const started = Date.now();
const results = [], errors = [];
for (const batch of batches) {
  try { results.push(...(await recordFinishedCalls(database, tenantId, batch))); } catch (error) { errors.push(String(error)); }
}
const ms = Date.now() - started;
await database.destroy();
process.stdout.write(JSON.stringify({ results, errors, ms }));
`;

function writerProcess(
  url: string,
  tenantId: number,
  batches: FinishedCall[][],
  startAt: number,
): Promise<{ results: RecordedCall[]; errors: string[]; ms: number }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--input-type=module', '-e', WRITER, DIST], {
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => (stdout += d));
    child.stderr.on('data', (d) => (stderr += d));
    child.on('exit', (code) =>
      code === 0 ? resolve(JSON.parse(stdout)) : reject(new Error(`writer exited ${code}: ${stderr}`)),
    );
    child.stdin.end(JSON.stringify({ url, tenantId, batches, startAt }));
  });
}

/** Deadlocks PostgreSQL has detected in this database so far (0 on SQLite). */
async function deadlockCount(): Promise<number> {
  if (testDialect !== 'postgres') return 0;
  // Backends report their counters when idle or ending; the snapshot is re-read each time.
  await sql`select pg_stat_clear_snapshot()`.execute(server.database.db);
  const row = await sql<{
    deadlocks: number;
  }>`select deadlocks from pg_stat_database where datname = current_database()`.execute(server.database.db);
  return Number(row.rows[0]?.deadlocks ?? 0);
}

async function until(condition: () => Promise<boolean>, ms = 5_000): Promise<void> {
  for (const end = Date.now() + ms; !(await condition()); ) {
    if (Date.now() > end) throw new Error('timed out waiting');
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}
