import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { T0, TenantFixture } from '../../test/fixtures.js';
import { createTestDatabase, type TestDatabase, testDialect } from '../../test/harness.js';
import { createDatabase, type Database } from '../db/database.js';
import { insertCustomers } from '../repositories/customers.js';
import {
  type ClaimedTask,
  claimCallTasks,
  dialCallTask,
  type Engine,
  type LeaseSettings,
  releaseLeases,
  reportCallResult,
} from './callLeases.js';
import { addCallTasks } from './jobOperations.js';

/*
 * Many engines claim at once through several outcall processes (PostgreSQL: one Database, one pool,
 * per process): no task is handed out twice, none is lost, and the limits hold while they race.
 * SQLite serializes writers (begin immediate): the same run, on one file, proves the same there.
 */

const SETTINGS: LeaseSettings = { leaseTtlMs: 60_000, leaseGraceMs: 60_000 };
const NOW = T0 + 60_000;
const PROCESSES = 4;
const ENGINES_PER_PROCESS = 2;

let t: TestDatabase;
const processes: Database[] = [];
beforeAll(async () => {
  t = await createTestDatabase();
  for (let i = 0; i < PROCESSES; i++)
    processes.push(testDialect === 'postgres' ? createDatabase(t.databaseUrl, { poolSize: 4 }) : t.database);
});
afterAll(async () => {
  if (testDialect === 'postgres') for (const p of processes) await p.destroy();
  await t?.drop();
});

/** A job on one external line (set as given) with `count` customers; returns the task ids. */
async function jobWith(tenant: TenantFixture, count: number, line: Record<string, unknown>, robotCount: number) {
  const lineId = await tenant.phoneLine(`0571${Math.floor(Math.random() * 1e8)}`, 'external');
  if (Object.keys(line).length > 0)
    await t.database.db.updateTable('phone_line').set(line).where('id', '=', lineId).execute();
  const customers = await insertCustomers(
    t.database,
    Array.from({ length: count }, (_, i) => ({
      tenant_id: tenant.tenantId,
      customer_group_id: null,
      name: `客户${i}`,
      phone_number: `137${String(lineId).padStart(3, '0').slice(-3)}${String(i).padStart(5, '0')}`,
      wechat_number: null,
      source: 'UPLOADED_BY_YOURSELF',
      last_emotion: 'UNKNOWN',
      customer_level: 'UNKNOWN',
      gender: 'UNKNOWN',
      follow_user_id: null,
      follow_status: 'AI_INITIAL_VISIT' as const,
      properties: {},
      attributes: [],
      last_follow_time: null,
      assign_time: T0,
      created_at: T0,
    })),
  );
  const { jobId } = await tenant.job({ phoneLineIds: [lineId] });
  await t.database.db.updateTable('robot_call_job').set({ robot_count: robotCount }).where('id', '=', jobId).execute();
  const tasks = await addCallTasks(
    t.database,
    tenant.tenantId,
    jobId,
    customers.map((c) => ({ customerPersonId: c.id, phoneNumber: c.phone_number })),
    T0,
  );
  return { lineId, jobId, taskIds: tasks.map((x) => x.id) };
}

/** Every engine of every process claims until its claims come back empty; returns every task handed out. */
async function claimAll(
  tenantId: number,
  max: number,
  onClaimed?: (engine: Engine, db: Database, c: ClaimedTask) => Promise<void>,
) {
  const handed: ClaimedTask[] = [];
  let key = 1000;
  await Promise.all(
    processes.flatMap((db) =>
      Array.from({ length: ENGINES_PER_PROCESS }, async () => {
        const engine: Engine = { engineKeyId: key++, name: 'racer', tenantId, kind: 'external' };
        for (let empty = 0; empty < 2; ) {
          const { tasks } = await claimCallTasks(db, engine, { max }, SETTINGS, NOW);
          handed.push(...tasks);
          empty = tasks.length === 0 ? empty + 1 : 0;
          for (const c of tasks) await onClaimed?.(engine, db, c);
        }
      }),
    ),
  );
  return handed;
}

describe(`${PROCESSES} processes × ${ENGINES_PER_PROCESS} engines claiming at once`, () => {
  it('hand out 2,000 tasks: none twice, none lost', async () => {
    const tenant = await TenantFixture.create(t.database);
    const { taskIds } = await jobWith(tenant, 2000, {}, 5000);
    const handed = await claimAll(tenant.tenantId, 50);
    const ids = handed.map((c) => c.callTaskId);
    expect(new Set(ids).size).toBe(ids.length);
    expect(ids.sort((a, b) => a - b)).toEqual(taskIds.sort((a, b) => a - b));
  });

  it('keep the line’s channels and the job’s concurrency while racing; the high-water mark never passes the channels', async () => {
    const tenant = await TenantFixture.create(t.database);
    const { lineId, jobId } = await jobWith(tenant, 60, { concurrency_quota: 5 }, 7);
    // Each engine dials and reports what it claimed, so channels free up and the race goes on.
    const handed = await claimAll(tenant.tenantId, 3, async (engine, db, c) => {
      await dialCallTask(db, engine, c.leaseId, SETTINGS, NOW);
      await reportCallResult(db, engine, c.leaseId, { sipCode: 200, answerAt: NOW, endedBy: 'remote' }, NOW);
    });
    expect(handed).toHaveLength(60);
    // The mark is the most leases ever live on the line at once, counted by the claims themselves.
    const line = await t.database.db
      .selectFrom('phone_line')
      .select('high_water_mark')
      .where('id', '=', lineId)
      .executeTakeFirstOrThrow();
    expect(line.high_water_mark).toBeGreaterThan(0);
    expect(line.high_water_mark).toBeLessThanOrEqual(5);
    const records = await t.database.db
      .selectFrom('call_record')
      .select((eb) => eb.fn.countAll<number>().as('n'))
      .where('job_id', '=', jobId)
      .executeTakeFirstOrThrow();
    expect(Number(records.n)).toBe(60);
  });

  it('a task released by one engine is claimed by exactly one other', async () => {
    const tenant = await TenantFixture.create(t.database);
    const { taskIds } = await jobWith(tenant, 200, {}, 1000);
    const first: Engine = { engineKeyId: 1, name: 'first', tenantId: tenant.tenantId, kind: 'external' };
    const { tasks } = await claimCallTasks(processes[0]!, first, { max: 100 }, SETTINGS, NOW);
    await releaseLeases(processes[0]!, first, tasks.map((c) => c.leaseId).slice(0, 50), NOW);
    const handed = await claimAll(tenant.tenantId, 20);
    const ids = [...tasks.slice(50), ...handed].map((c) => c.callTaskId);
    expect(new Set(ids).size).toBe(ids.length);
    expect(ids.length).toBe(taskIds.length);
  });
});
