import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { createDatabase, type Database } from '../src/db/database.js';
import { migrateToLatest } from '../src/db/migrate.js';
import { madeUpCustomer } from '../src/demo/customers.js';
import { DEMO_DIALOG_FLOWS } from '../src/demo/dialogFlows.js';
import { insertCustomers } from '../src/repositories/customers.js';
import { insertJob } from '../src/repositories/jobs.js';
import { insertDialogFlow } from '../src/repositories/referenceData.js';
import { addCallTasks } from '../src/services/jobOperations.js';
import { createTenant } from '../src/services/tenants.js';
import { seededRandom } from '../src/simulator/random.js';

/*
 * The built-in simulator's throughput (`npm run bench -- --simulator`): one lineless job of
 * `customers` call tasks and a concurrency of `concurrency`, dialled by the simulator at the
 * highest DIALER_SPEED (100,000: a two-minute call lasts about a millisecond), ticking every 10 ms;
 * the figure is completed simulated calls per second, from the first claim to the last call
 * recorded. No redials (every call ends the task), calling hours all day.
 *
 * The engine is found at run time, so the same file measures the simulator of this tree
 * (src/engines/simulator.ts, through the call-engine protocol, with the scheduler reaping) and the
 * dialer before it (src/dialer/dialer.ts, c002a54 and earlier): copy this file into an older
 * checkout's bench/ and run it there to compare.
 */

export interface SimulatorBenchResult {
  scenario: 'simulator';
  db: 'sqlite' | 'postgres';
  engine: 'simulator (protocol)' | 'dialer (before the protocol)';
  customers: number;
  concurrency: number;
  seconds: number;
  callsPerSecond: number;
  recorded: number;
}

interface EngineLike {
  run(): void;
  stop(options?: { abandonAfterMs?: number }): Promise<void>;
}

async function engineFor(database: Database): Promise<{ name: SimulatorBenchResult['engine']; parts: EngineLike[] }> {
  const telephonyModule = async () => {
    for (const path of ['../src/engines/telephony.js', '../src/dialer/telephony.js']) {
      try {
        return await import(path);
      } catch {}
    }
    throw new Error('no telephony module');
  };
  const { SimulatedTelephony } = await telephonyModule();
  const telephony = new SimulatedTelephony({ speed: 100_000, seed: 5 });
  const simulatorPath = '../src/engines/simulator.js';
  const schedulerPath = '../src/scheduler/scheduler.js';
  const leasesPath = '../src/services/callLeases.js';
  try {
    const { Simulator } = await import(simulatorPath);
    const { Scheduler } = await import(schedulerPath);
    const { reapLeases } = await import(leasesPath);
    return {
      name: 'simulator (protocol)',
      parts: [
        new Simulator({ database, telephony, tickMs: 10 }),
        new Scheduler({ database, tickMs: 1000, reap: (db: Database, now: number) => reapLeases(db, now) }),
      ],
    };
  } catch (error) {
    if ((error as { code?: string }).code !== 'ERR_MODULE_NOT_FOUND') throw error;
    const dialerPath = '../src/dialer/dialer.js';
    const { Dialer } = await import(dialerPath);
    return { name: 'dialer (before the protocol)', parts: [new Dialer({ database, telephony, tickMs: 10 })] };
  }
}

async function freshDatabase(dialect: 'sqlite' | 'postgres', adminUrl: string) {
  if (dialect === 'postgres') {
    const name = `outcall_bench_simulator_${process.pid}`;
    const admin = new pg.Client({ connectionString: adminUrl });
    await admin.connect();
    await admin.query(`drop database if exists ${name}`);
    await admin.query(`create database ${name}`);
    await admin.end();
    const url = new URL(adminUrl);
    url.pathname = `/${name}`;
    const database = createDatabase(url.toString(), { poolSize: 10 });
    return {
      database,
      drop: async () => {
        await database.destroy();
        const c = new pg.Client({ connectionString: adminUrl });
        await c.connect();
        await c.query(`drop database if exists ${name} with (force)`);
        await c.end();
      },
    };
  }
  const dir = mkdtempSync(join(tmpdir(), 'outcall-bench-simulator-'));
  const database = createDatabase(`sqlite:${join(dir, 'bench.db')}`);
  return {
    database,
    drop: async () => {
      await database.destroy();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

async function jobOf(database: Database, customers: number, concurrency: number): Promise<number> {
  const now = Date.now();
  const { tenantId } = await createTenant(
    database,
    { name: '压测', tenantSign: `sim${now}`, timeZone: 'Asia/Shanghai' },
    now,
  );
  const base = { tenant_id: tenantId, created_at: now };
  const flow = await insertDialogFlow(database, { ...base, name: '模拟', definition: DEMO_DIALOG_FLOWS[0]!.script });
  const random = seededRandom(7);
  const people: { id: number; phone_number: string }[] = [];
  for (let i = 0; i < customers; i += 5000) {
    const rows = Array.from({ length: Math.min(5000, customers - i) }, (_, k) => ({
      ...madeUpCustomer(random, {
        tenantId,
        customerGroupId: 0,
        phoneNumber: `139${String(i + k).padStart(8, '0')}`,
        followUser: 0,
        joinedAt: now,
        lastFollowTime: null,
      }),
      customer_group_id: null,
      follow_user_id: null,
    }));
    people.push(...(await database.transaction((trx) => insertCustomers(trx, rows))));
  }
  return database.transaction(async (trx) => {
    const jobId = await insertJob(
      trx,
      {
        tenant_id: tenantId,
        dialog_flow_id: flow,
        name: '模拟压测',
        mode: 'MANUAL',
        robot_count: concurrency,
        sms_template_id: null,
        phone_type: 'LANDLINE',
        daily_start_time: '00:00:00',
        daily_end_time: '23:59:59',
        inactive_time_list: [],
        redial_condition: [],
        description: null,
        wechat_alert_level: [],
        sms_alert_level: [],
        alert_users: [],
        early_warning_alert_users: [],
        wechat_send_method: 'SENDTOALL',
        status: 'IN_PROCESS',
        start_time: now,
        next_start_time: null,
        system_pause_next_start: null,
        redial_times: 0,
        redial_interval_minutes: 60,
        created_by_user_id: null,
        organization_id: null,
        created_at: now,
        last_modified_at: now,
      } as never,
      [],
    );
    await addCallTasks(
      trx,
      tenantId,
      jobId,
      people.map((c) => ({ customerPersonId: c.id, phoneNumber: c.phone_number })),
      now,
    );
    return jobId;
  });
}

const recordedOf = async (database: Database, jobId: number) =>
  Number(
    (
      await database.db
        .selectFrom('call_record')
        .select((eb) => eb.fn.countAll<number>().as('n'))
        .where('job_id', '=', jobId)
        .executeTakeFirstOrThrow()
    ).n,
  );

export async function runSimulatorBench(o: {
  db: 'sqlite' | 'postgres';
  postgresUrl: string;
  customers: number;
  concurrency: number;
}): Promise<SimulatorBenchResult> {
  const { database, drop } = await freshDatabase(o.db, o.postgresUrl);
  try {
    await migrateToLatest(database);
    const jobId = await jobOf(database, o.customers, o.concurrency);
    const engine = await engineFor(database);
    const started = Date.now();
    for (const part of engine.parts) part.run();
    let recorded = 0;
    // At most ten minutes: a run that stalls is reported as what it did.
    while (Date.now() - started < 600_000) {
      recorded = await recordedOf(database, jobId);
      if (recorded >= o.customers) break;
      await new Promise((r) => setTimeout(r, 20));
    }
    const seconds = (Date.now() - started) / 1000;
    await Promise.all(engine.parts.map((p) => p.stop({ abandonAfterMs: 1000 })));
    return {
      scenario: 'simulator',
      db: o.db,
      engine: engine.name,
      customers: o.customers,
      concurrency: o.concurrency,
      seconds: Math.round(seconds * 100) / 100,
      callsPerSecond: Math.round(recorded / seconds),
      recorded,
    };
  } finally {
    await drop();
  }
}

export function writeSimulatorResult(result: SimulatorBenchResult): string {
  mkdirSync('bench/results', { recursive: true });
  const file = `bench/results/${new Date().toISOString().replace(/[:.]/g, '-')}-simulator-${result.db}.json`;
  writeFileSync(file, `${JSON.stringify(result, null, 2)}\n`);
  return file;
}
