import { randomBytes } from 'node:crypto';
import { sql } from 'kysely';
import { EngineClient } from '../src/client/engine.js';
import { loadConfig } from '../src/config.js';
import { createDatabase } from '../src/db/database.js';
import { migrateToLatest } from '../src/db/migrate.js';
import { prepareSecrets } from '../src/services/secrets.js';
import { freshDatabase, prepare } from './engines.js';
import { type BenchServer, startServer } from './server.js';

/*
 * `npm run faults -- --engines`: engines die, nothing is claimed twice or lost. Four outcall
 * processes serve one PostgreSQL database; eight fake engines (EngineClient, a key each) spread
 * over them claim a job's tasks (10,000 by default). Now and then an engine is killed — before it
 * dials what it claimed (the leases lapse after their TTL and the tasks go back; the fourth lapse
 * of an attempt records SYSTEM_ERROR) or after it dialled (no result ever comes: once the call's
 * deadline passes the reaper records SYSTEM_ERROR "engine lost") — and a new one takes its place.
 * Short lease TTL, grace, ring timeout and maximum call length (settings and the line's) make the
 * run take seconds, not hours. The job has no redial, so afterwards:
 *   - every call task has exactly one call record (none lost, none recorded twice);
 *   - no two leases of a task were ever live at once (none claimed twice);
 *   - no lease is left live.
 */

export interface EngineFaultsResult {
  processes: number;
  engines: number;
  tasks: number;
  seconds: number;
  kills: { beforeDial: number; afterDial: number };
  leases: number;
  results: number;
  records: number;
  recordsByStatus: Record<string, number>;
  tasksWithoutRecord: number;
  tasksWithSeveralRecords: number;
  overlappingLeases: number;
  liveLeasesLeft: number;
  passed: boolean;
}

export async function runEngineFaults(o: {
  postgresUrl: string;
  tasks: number;
  processes?: number;
  engines?: number;
  killEvery?: number;
  log: (m: string) => void;
}): Promise<EngineFaultsResult> {
  const processes = o.processes ?? 4;
  const engineCount = o.engines ?? 8;
  const started = Date.now();
  process.env.OUTCALL_SECRET_KEY ??= randomBytes(32).toString('hex');
  // Leases live 2 s without a heartbeat; a dialled call is lost 5 + 10 + 1 s after its dial.
  Object.assign(process.env, {
    ENGINE_LEASE_TTL_MS: '2000',
    ENGINE_LEASE_GRACE_MS: '1000',
    ENGINE_RATE_LIMIT_PER_SECOND: '0',
    DATABASE_POOL_SIZE: '5',
  });
  const fresh = await freshDatabase('postgres', o.postgresUrl);
  const database = createDatabase(fresh.url, { poolSize: 4 });
  const servers: BenchServer[] = [];
  try {
    await migrateToLatest(database);
    await prepareSecrets(database, loadConfig(process.env));
    const setup = await prepare(database, o.tasks, engineCount, o.log, { ringTimeoutSeconds: 5, maxCallSeconds: 10 });
    for (let i = 0; i < processes; i++) servers.push(await startServer({ databaseUrl: fresh.url, log: o.log }));

    const kills = { beforeDial: 0, afterDial: 0 };
    let results = 0;
    let idleSince = 0;
    const killEvery = o.killEvery ?? 40; // about one claim in this many ends in a kill
    let seed = 22;
    const random = () => {
      seed = (seed * 1103515245 + 12345) % 2 ** 31;
      return seed / 2 ** 31;
    };

    /** One engine's life until it is killed or the work is done; returns whether it was killed. */
    const life = async (key: { appKey: string; appSecret: string }, server: BenchServer) => {
      const client = new EngineClient({ baseUrl: server.url, appKey: key.appKey, appSecret: key.appSecret });
      for (;;) {
        const answer = await client.claim({ max: 10, waitMs: 500, lines: [setup.lineId] });
        if (answer.tasks.length === 0) {
          idleSince ||= Date.now();
          // Done when nothing came for 25 s: longer than the deadline of a call lost after dial.
          if (Date.now() - idleSince > 25_000) return false;
          continue;
        }
        idleSince = 0;
        const fate = random() * killEvery;
        if (fate < 0.5) {
          kills.beforeDial++; // killed with its claims undialled: nothing more is sent for them
          return true;
        }
        await Promise.all(
          answer.tasks.map(async (t) => {
            try {
              await client.dial(t.leaseId);
            } catch {
              return; // refused: not called
            }
          }),
        );
        if (fate < 1) {
          kills.afterDial++; // killed while its calls were up: no result ever comes
          return true;
        }
        await Promise.all(
          answer.tasks.map(async (t) => {
            try {
              await client.result({ leaseId: t.leaseId, sipCode: t.callTaskId % 2 ? 200 : 486, endedBy: 'remote' });
              results++;
            } catch {
              // refused (the lease ended): counted by the checks below
            }
          }),
        );
      }
    };
    await Promise.all(
      setup.keys.map(async (key, i) => {
        // A killed engine is replaced by a new one with the same key, on the same outcall process.
        while (await life(key, servers[i % servers.length]!));
      }),
    );
    // The reaper (every scheduler tick) ends what is left: lapsed claims and lost calls.
    for (let i = 0; i < 60; i++) {
      const live = await database.db
        .selectFrom('call_lease')
        .select((eb) => eb.fn.countAll<number>().as('n'))
        .where('ended_at', 'is', null)
        .executeTakeFirstOrThrow();
      if (Number(live.n) === 0) break;
      await new Promise((r) => setTimeout(r, 1000));
    }

    const count = async (q: ReturnType<typeof sql<{ n: string }>>) => Number((await q.execute(database.db)).rows[0]!.n);
    const perTask = sql<{ n: string }>`select count(*) as n from (select t.id, (select count(*) from call_record r
      where r.tenant_id = t.tenant_id and r.call_task_id = t.id) as records from call_task t where t.job_id = ${setup.jobId}) x`;
    const tasksWithoutRecord = await count(sql`${perTask} where records = 0`);
    const tasksWithSeveralRecords = await count(sql`${perTask} where records > 1`);
    const overlappingLeases = await count(sql`select count(*) as n from call_lease a join call_lease b
      on a.call_task_id = b.call_task_id and a.id < b.id
      and a.claimed_at < coalesce(b.ended_at, 9223372036854775807) and b.claimed_at < coalesce(a.ended_at, 9223372036854775807)`);
    const liveLeasesLeft = await count(sql`select count(*) as n from call_lease where ended_at is null`);
    const leases = await count(sql`select count(*) as n from call_lease`);
    const byStatus = await sql<{ result_status: string; n: string }>`select result_status, count(*) as n
      from call_record where job_id = ${setup.jobId} group by result_status`.execute(database.db);
    const recordsByStatus = Object.fromEntries(byStatus.rows.map((r) => [r.result_status, Number(r.n)]));
    const records = Object.values(recordsByStatus).reduce((a, b) => a + b, 0);
    return {
      processes,
      engines: engineCount,
      tasks: o.tasks,
      seconds: Math.round((Date.now() - started) / 1000),
      kills,
      leases,
      results,
      records,
      recordsByStatus,
      tasksWithoutRecord,
      tasksWithSeveralRecords,
      overlappingLeases,
      liveLeasesLeft,
      passed:
        tasksWithoutRecord === 0 &&
        tasksWithSeveralRecords === 0 &&
        overlappingLeases === 0 &&
        liveLeasesLeft === 0 &&
        records === o.tasks,
    };
  } finally {
    await Promise.all(servers.map((s) => s.stop()));
    await database.destroy();
    await fresh.drop();
  }
}
