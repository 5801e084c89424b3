import { randomBytes } from 'node:crypto';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { EngineClient } from '../src/client/engine.js';
import type { OutcallError } from '../src/client/errors.js';
import { loadConfig } from '../src/config.js';
import { createDatabase, type Database } from '../src/db/database.js';
import { migrateToLatest } from '../src/db/migrate.js';
import { insertJob } from '../src/repositories/jobs.js';
import { listDialogFlows } from '../src/repositories/referenceData.js';
import type { ClaimedTask, ResultBody } from '../src/schemas/engine.js';
import { createEngineKey } from '../src/services/engineKeys.js';
import { importTaskCustomers } from '../src/services/jobOperations.js';
import { addLine } from '../src/services/phoneLines.js';
import { prepareSecrets } from '../src/services/secrets.js';
import { createTenant } from '../src/services/tenants.js';
import { startServer } from './server.js';

/*
 * `npm run bench -- --engines [--db postgres]`: the engine protocol under load. A fresh database
 * holds one tenant, one `external` line and one job IN_PROCESS, dialling all day, with enough
 * customers for the run; the real server runs as its own process on 127.0.0.1 with the default
 * settings, except the engine keys' rate limit, set above the load (each engine has its own key;
 * the limit is checked and written on every request, and never refuses). Then `engines` fake engines
 * in this process, each an EngineClient (signature v2 with its own key), each keeping `channels`
 * calls going: claim (as many as are free) → dials → results, with no talking in between — once
 * with a claim's dials and results batched (one request each), once one lease per request; then
 * the floor and the paced runs below. Measured over `seconds` after a warm-up:
 *   - completed call tasks per second (a result accepted);
 *   - the time to answer a claim that brought work (work is always waiting), p50/p99;
 *   - dial and result times, and the CPU this process (the engines) used, as the machine's two
 *     cores are shared with the server.
 * Targets: ≥ 1,000 tasks/s on SQLite, ≥ 500/s on PostgreSQL, claim p99 ≤ 50 ms.
 */

export interface EngineBenchOptions {
  db: 'sqlite' | 'postgres';
  postgresUrl: string;
  engines?: number;
  channels?: number;
  seconds?: number;
  warmupSeconds?: number;
  /** How long a call of the paced run lasts on average (ms): 30 s over 500 channels is ~17 tasks/s. */
  holdMs?: number;
  /** How long the paced run is measured (s): long enough for ~1,000 claims at that pace. */
  pacedSeconds?: number;
  /** The busy run's call length (ms): 5 s over 500 channels is ~100 tasks/s. */
  busyHoldMs?: number;
  log: (m: string) => void;
}

export interface Latency {
  count: number;
  p50: number;
  p99: number;
  max: number;
}

/** One throughput run: engines keeping every channel busy with calls that last no time. */
export interface ThroughputResult {
  completed: number;
  tasksPerSecond: number;
  claim: Latency & { empty: number };
  /** Per request: a batch of dials or results when batched, one lease otherwise. */
  dial: Latency;
  result: Latency;
  errors: Record<string, number>;
  engineCpuPercent: number;
  /** The server's CPU over the run (100: one core), and per completed task: the figure a loaded machine does not change much. */
  serverCpuPercent: number;
  serverCpuMsPerTask: number;
}

/** The main figures are the batched run's (dials and results of a claim in one request each). */
export interface EngineBenchResult extends ThroughputResult {
  db: string;
  startedAt: string;
  engines: number;
  channels: number;
  seconds: number;
  tasksPrepared: number;
  /** The same run with one lease per dial and per result request. */
  oneLeasePerRequest: ThroughputResult;
  /**
   * The same engines sending nothing but signed heartbeats of one unknown lease: what HTTP and the engine key's
   * checks (signature, rate limit, nonce) allow per second, and the tasks/s that allows at the
   * requests a task takes (a dial, a result and a share of a claim).
   */
  floor: { requestsPerSecond: number; tasksPerSecond: number; serverCpuMsPerRequest: number };
  /**
   * A campaign's load rather than the most the server takes: every call lasts about `holdMs` (30 s:
   * ~17 tasks/s over 500 channels, what a 1,000-channel trunk with 60 s calls needs), each engine
   * claims as soon as a channel is free. The claim times here are a claim's own, not a queue's.
   */
  paced: PacedResult;
  /** The same with calls of `busyHoldMs` (5 s): six such campaigns at once on the two cores. */
  busy: PacedResult;
  machine: { cpus: number; cpuModel: string; node: string };
  targets: { name: string; figure: string; limit: string; met: boolean }[];
}

export interface PacedResult {
  holdMs: number;
  seconds: number;
  tasksPerSecond: number;
  claim: Latency & { empty: number };
  dial: Latency;
  result: Latency;
  /** Heartbeats sent while measured (one per engine for all its calls, every `heartbeatIntervalMs`), and any that failed. */
  heartbeats: number;
  heartbeatsFailed: number;
  serverCpuPercent: number;
  engineCpuPercent: number;
}

function latency(samples: number[]): Latency {
  const s = [...samples].sort((a, b) => a - b);
  const at = (q: number) => Math.round((s[Math.min(s.length - 1, Math.floor(q * s.length))] ?? 0) * 10) / 10;
  return { count: s.length, p50: at(0.5), p99: at(0.99), max: at(1) };
}

export async function freshDatabase(dialect: 'sqlite' | 'postgres', adminUrl: string) {
  if (dialect === 'postgres') {
    const name = `outcall_bench_engines_${process.pid}`;
    const admin = async (statement: string) => {
      const c = new pg.Client({ connectionString: adminUrl });
      await c.connect();
      await c.query(statement);
      await c.end();
    };
    await admin(`drop database if exists ${name} with (force)`);
    await admin(`create database ${name}`);
    const url = new URL(adminUrl);
    url.pathname = `/${name}`;
    return { url: url.toString(), drop: () => admin(`drop database if exists ${name} with (force)`) };
  }
  const dir = mkdtempSync(join(tmpdir(), 'outcall-bench-engines-'));
  return { url: `sqlite:${join(dir, 'bench.db')}`, drop: async () => rmSync(dir, { recursive: true, force: true }) };
}

/** One tenant, one external line without limits, one job dialling all day over it, `tasks` customers. */
export async function prepare(
  database: Database,
  tasks: number,
  engines: number,
  log: (m: string) => void,
  line: { ringTimeoutSeconds?: number; maxCallSeconds?: number } = {},
) {
  const now = Date.now();
  const tenant = await createTenant(database, { name: '引擎压测', tenantSign: 'enginebench', timeZone: 'UTC' });
  const caller = { tenantId: tenant.tenantId, timeZone: 'UTC' };
  const { phoneLine } = await addLine(database, caller, { phoneNumber: '057188880000', engine: 'external', ...line });
  const [flow] = await listDialogFlows(database, tenant.tenantId);
  const jobId = await insertJob(
    database,
    {
      tenant_id: tenant.tenantId,
      dialog_flow_id: flow!.id,
      name: 'engines bench',
      mode: 'MANUAL',
      robot_count: 200,
      concurrency_quota: 10_000,
      sms_template_id: null,
      phone_type: 'LANDLINE',
      daily_start_time: '00:00:00',
      daily_end_time: '23:59:59',
      description: null,
      wechat_alert_level: [],
      sms_alert_level: [],
      alert_users: [],
      early_warning_alert_users: [],
      wechat_send_method: 'SENDTOALL',
      status: 'NOT_STARTED',
      start_time: null,
      next_start_time: null,
      system_pause_next_start: null,
      redial_times: 0,
      created_by_user_id: null,
      organization_id: null,
      created_at: now,
      last_modified_at: now,
    } as unknown as Parameters<typeof insertJob>[1],
    [phoneLine.phoneNumberId],
  );
  const started = Date.now();
  for (let i = 0; i < tasks; i += 1000) {
    const customers = Array.from({ length: Math.min(1000, tasks - i) }, (_, j) => ({
      name: `客户${i + j}`,
      phoneNumber: `139${String(i + j).padStart(8, '0')}`,
    }));
    await importTaskCustomers(database, caller as never, { robotCallJobId: jobId, customers });
  }
  log(`${tasks} customers imported in ${Date.now() - started} ms`);
  await database.db
    .updateTable('robot_call_job')
    .set({ status: 'IN_PROCESS', start_time: now })
    .where('id', '=', jobId)
    .execute();
  const keys = [];
  for (let i = 0; i < engines; i++)
    keys.push(await createEngineKey(database, { name: `bench engine ${i}`, tenantId: tenant.tenantId }));
  return { jobId, lineId: phoneLine.phoneNumberId, keys, tenantId: tenant.tenantId };
}

/** The raw facts of a call, drawn from its task id: answered half the time, with a short transcript. */
function factsOf(leaseId: string, taskId: number) {
  const now = Date.now();
  const kind = taskId % 6;
  if (kind < 3)
    return {
      leaseId,
      sipCode: 200,
      answeredBy: 'human',
      ringAt: now - 20,
      answerAt: now - 10,
      endAt: now,
      endedBy: 'remote',
      turns: [
        { type: 'ROBOT', text: '您好，这里是客户服务中心。' },
        { type: 'PERSON', text: '你好，什么事？' },
      ],
    };
  const sipCode = [486, 480, 404][kind - 3]!;
  return { leaseId, sipCode, ringAt: now - 10, endAt: now, endedBy: 'remote' };
}

export async function runEngineBench(o: EngineBenchOptions): Promise<EngineBenchResult> {
  const engines = o.engines ?? 50;
  const channels = o.channels ?? 10;
  const seconds = o.seconds ?? 10;
  const warmup = o.warmupSeconds ?? 2;
  const holdMs = o.holdMs ?? 30_000;
  const pacedSeconds = o.pacedSeconds ?? 60;
  const busyHoldMs = o.busyHoldMs ?? 5000;
  // Enough work that the job never runs dry: well above the targets for the two throughput runs,
  // and every channel's calls over each paced run and its warm-up.
  const rate = o.db === 'sqlite' ? 2500 : 1500;
  const pacedTasks = (seconds: number, hold: number) => (engines * channels * (seconds * 1000 + 3 * hold)) / hold;
  const tasks = Math.ceil(
    rate * 2 * (seconds + warmup + 1) + pacedTasks(pacedSeconds, holdMs) + pacedTasks(seconds, busyHoldMs),
  );
  const startedAt = new Date().toISOString();
  // The stored secrets (engine keys) under a throw-away key, which the server process inherits.
  process.env.OUTCALL_SECRET_KEY ??= randomBytes(32).toString('hex');
  // Set for the load: each key sends ~3 requests per task; far above what one engine sends.
  process.env.ENGINE_RATE_LIMIT_PER_SECOND ??= '5000';
  process.env.ENGINE_RATE_LIMIT_BURST ??= '10000';
  const fresh = await freshDatabase(o.db, o.postgresUrl);
  try {
    const database = createDatabase(fresh.url, { poolSize: 4 });
    let setup: Awaited<ReturnType<typeof prepare>>;
    try {
      await migrateToLatest(database);
      await prepareSecrets(database, loadConfig(process.env));
      setup = await prepare(database, tasks, engines, o.log);
    } finally {
      await database.destroy();
    }
    const server = await startServer({ databaseUrl: fresh.url, log: o.log });
    try {
      return await measure(server.url, server.pid, setup, {
        ...o,
        engines,
        channels,
        seconds,
        warmup,
        holdMs,
        pacedSeconds,
        busyHoldMs,
        tasks,
        startedAt,
      });
    } finally {
      await server.stop();
    }
  } finally {
    await fresh.drop();
  }
}

/** CPU time a process has used so far (user + system), in ms, from /proc (Linux). */
function cpuMsOf(pid: number): number {
  try {
    const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
    // utime and stime are fields 14 and 15 of the whole line, in clock ticks (100 a second on Linux).
    return ((Number(fields[11]) + Number(fields[12])) * 1000) / 100;
  } catch {
    return Number.NaN;
  }
}

async function measure(
  url: string,
  pid: number,
  setup: Awaited<ReturnType<typeof prepare>>,
  o: EngineBenchOptions & {
    engines: number;
    channels: number;
    seconds: number;
    warmup: number;
    holdMs: number;
    pacedSeconds: number;
    busyHoldMs: number;
    tasks: number;
    startedAt: string;
  },
): Promise<EngineBenchResult> {
  const clients = setup.keys.map(
    (key) => new EngineClient({ baseUrl: url, appKey: key.appKey, appSecret: key.appSecret, retries: 0 }),
  );
  const batched = await throughputRun(clients, pid, setup.lineId, { ...o, batched: true });
  o.log(describeThroughput('batched', batched, o));
  const single = await throughputRun(clients, pid, setup.lineId, { ...o, batched: false });
  o.log(describeThroughput('one lease per request', single, o));
  const floor = await floorRun(clients, pid, o.seconds, o.channels);
  o.log(
    `floor: ${floor.requestsPerSecond} signed heartbeats/s (${floor.serverCpuMsPerRequest} ms of server CPU each) → ${floor.tasksPerSecond} tasks/s at most`,
  );
  // The heavier pace first: the campaign's run is the last, on a database that has already seen a
  // campaign's worth of calls.
  const busy = await pacedRun(clients, pid, setup.lineId, { ...o, holdMs: o.busyHoldMs });
  o.log(describePaced('busy', busy));
  const paced = await pacedRun(clients, pid, setup.lineId, { ...o, seconds: o.pacedSeconds });
  o.log(describePaced('paced', paced));
  const target = o.db === 'sqlite' ? 1000 : 500;
  const { tasksPerSecond } = batched;
  return {
    db: o.db,
    startedAt: o.startedAt,
    engines: o.engines,
    channels: o.channels,
    seconds: o.seconds,
    tasksPrepared: o.tasks,
    ...batched,
    oneLeasePerRequest: single,
    floor,
    paced,
    busy,
    machine: { cpus: cpus().length, cpuModel: cpus()[0]?.model.trim() ?? '?', node: process.version },
    targets: [
      {
        name: `completed call tasks per second (${o.db}, dials and results batched)`,
        figure: String(tasksPerSecond),
        limit: `≥ ${target}`,
        met: tasksPerSecond >= target,
      },
      {
        name: `claim p99 with work waiting, calls of ${o.holdMs / 1000} s on every channel (${paced.tasksPerSecond} tasks/s)`,
        figure: `${paced.claim.p99} ms`,
        limit: '≤ 50 ms',
        met: paced.claim.p99 <= 50,
      },
    ],
  };
}

export const describePaced = (what: string, p: PacedResult) =>
  `${what} (calls of ${p.holdMs / 1000} s on every channel, ${p.seconds} s measured): ${p.tasksPerSecond} tasks/s; claim p50/p99 ${p.claim.p50}/${p.claim.p99} ms of ${p.claim.count} (${p.claim.empty} empty); dial p50/p99 ${p.dial.p50}/${p.dial.p99} ms; result p50/p99 ${p.result.p50}/${p.result.p99} ms; ${p.heartbeats} heartbeats${p.heartbeatsFailed ? ` (${p.heartbeatsFailed} failed)` : ''}; the server's CPU ${p.serverCpuPercent}%, the engines' ${p.engineCpuPercent}%`;

export const describeThroughput = (
  what: string,
  r: ThroughputResult,
  o: { engines: number; channels: number; seconds: number },
) =>
  `engines, ${what}: ${r.tasksPerSecond} tasks/s (${r.completed} in ${o.seconds} s, ${o.engines} engines × ${o.channels} channels); claim p50/p99 ${r.claim.p50}/${r.claim.p99} ms (${r.claim.empty} empty); dial p50/p99 ${r.dial.p50}/${r.dial.p99} ms; result p50/p99 ${r.result.p50}/${r.result.p99} ms; engines' CPU ${r.engineCpuPercent}% of a core, the server's ${r.serverCpuPercent}% (${r.serverCpuMsPerTask} ms a task)${Object.keys(r.errors).length ? `; errors ${JSON.stringify(r.errors)}` : ''}`;

/**
 * Each engine keeps `channels` calls going, with no talking: claim (as many as are free) → dial →
 * result, for `seconds` after `warmup`. Batched: a claim's dials in one request, their results in
 * another (as an engine whose calls start and end together would send them); otherwise one
 * request per lease for each.
 */
async function throughputRun(
  clients: EngineClient[],
  pid: number,
  lineId: number,
  o: { channels: number; seconds: number; warmup: number; batched: boolean },
): Promise<ThroughputResult> {
  const claimMs: number[] = [];
  const dialMs: number[] = [];
  const resultMs: number[] = [];
  const errors: Record<string, number> = {};
  let empty = 0;
  let completed = 0;
  let measuring = false;
  const note = (what: string) => (errors[what] = (errors[what] ?? 0) + 1);

  /** One request, timed into `into` while measuring; a refusal is counted by its code and message. */
  const timed = async <T>(what: string, into: number[] | undefined, send: () => Promise<T>) => {
    const t = performance.now();
    try {
      const answer = await send();
      if (into && measuring) into.push(performance.now() - t);
      return answer;
    } catch (e) {
      const error = e as OutcallError;
      note(`${what} ${error.code ?? ''} ${error.resultMsg ?? error.message}`);
      return undefined;
    }
  };
  const count = (n: number) => {
    if (measuring && Date.now() <= stopAt) completed += n;
  };

  const measureFrom = Date.now() + o.warmup * 1000;
  const stopAt = measureFrom + o.seconds * 1000;
  let cpuAtStart = process.cpuUsage();
  let serverCpuAtStart = cpuMsOf(pid);
  const timer = setTimeout(() => {
    measuring = true;
    cpuAtStart = process.cpuUsage();
    serverCpuAtStart = cpuMsOf(pid);
  }, o.warmup * 1000);

  const engine = async (client: EngineClient) => {
    while (Date.now() < stopAt) {
      const t = performance.now();
      const answer = await timed('claim', undefined, () =>
        client.claim({ max: o.channels, waitMs: 1000, lines: [lineId] }),
      );
      if (!answer) continue;
      if (answer.tasks.length === 0) {
        empty++;
        continue;
      }
      // Work is always waiting: a claim that brought some is the time to answer one.
      if (measuring) claimMs.push(performance.now() - t);
      const facts = (task: ClaimedTask) => factsOf(task.leaseId, task.callTaskId) as ResultBody;
      if (o.batched) {
        const dials = await timed('dials', dialMs, () => client.dials(answer.tasks.map((t) => t.leaseId)));
        if (!dials) continue;
        for (const d of dials.leases) if (!d.dial) note(`dials ${d.resultCode} ${d.reason}`);
        const dialled = answer.tasks.filter((_, i) => dials.leases[i]!.dial);
        if (dialled.length === 0) continue;
        const results = await timed('results', resultMs, () => client.results(dialled.map(facts)));
        if (!results) continue;
        for (const r of results.results) if (!r.accepted) note(`results ${r.resultCode} ${r.reason}`);
        count(results.results.filter((r) => r.accepted).length);
      } else
        await Promise.all(
          answer.tasks.map(async (task) => {
            if (!(await timed('dial', dialMs, () => client.dial(task.leaseId)))) return;
            if (!(await timed('result', resultMs, () => client.result(facts(task))))) return;
            count(1);
          }),
        );
    }
  };
  await Promise.all(clients.map(engine));
  clearTimeout(timer);
  const cpu = process.cpuUsage(cpuAtStart);
  const serverCpuMs = cpuMsOf(pid) - serverCpuAtStart;
  return {
    completed,
    tasksPerSecond: Math.round(completed / o.seconds),
    claim: { ...latency(claimMs), empty },
    dial: latency(dialMs),
    result: latency(resultMs),
    errors,
    engineCpuPercent: Math.round(((cpu.user + cpu.system) / 1000 / (o.seconds * 1000)) * 100),
    serverCpuPercent: Math.round((serverCpuMs / (o.seconds * 1000)) * 100),
    serverCpuMsPerTask: completed ? Math.round((serverCpuMs / completed) * 100) / 100 : 0,
  };
}

/** A lease no one holds: its heartbeat is one indexed read (the route takes no empty list). */
const FLOOR_LEASE = 'floorLease000000000000';

/** Every engine sends signed heartbeats of an unknown lease, `parallel` at a time, for `seconds`. */
async function floorRun(clients: EngineClient[], pid: number, seconds: number, parallel: number) {
  let sent = 0;
  const cpuAt = cpuMsOf(pid);
  const stopAt = Date.now() + seconds * 1000;
  await Promise.all(
    clients.flatMap((client) =>
      Array.from({ length: parallel }, async () => {
        while (Date.now() < stopAt) {
          await client.heartbeat([{ leaseId: FLOOR_LEASE }]);
          sent++;
        }
      }),
    ),
  );
  const requestsPerSecond = Math.round(sent / seconds);
  // A task: a dial and a result, and one claim per `parallel` tasks.
  return {
    requestsPerSecond,
    tasksPerSecond: Math.round(requestsPerSecond / (2 + 1 / parallel)),
    serverCpuMsPerRequest: Math.round(((cpuMsOf(pid) - cpuAt) / sent) * 1000) / 1000,
  };
}

/**
 * Calls that last: each engine keeps its channels busy with calls of 0.5–1.5 × `holdMs`, claiming
 * as soon as one is free (long-poll), dialling a claim's tasks in one request, sending one heartbeat
 * for its calls at the interval claims give, and reporting each call as it ends, for `seconds` after
 * a warm-up of two calls' length. Calls still going when the
 * measured span ends are hung up then (their results are not counted).
 */
async function pacedRun(
  clients: EngineClient[],
  pid: number,
  lineId: number,
  o: { channels: number; seconds: number; holdMs: number },
): Promise<PacedResult> {
  const claimMs: number[] = [];
  const dialMs: number[] = [];
  const resultMs: number[] = [];
  let empty = 0;
  let completed = 0;
  // Measured after two calls' length: every engine is up and its calls have spread.
  const measureFrom = Date.now() + 2 * o.holdMs;
  const stopAt = measureFrom + o.seconds * 1000;
  let cpuAt = Number.NaN;
  let ownCpuAt = process.cpuUsage();
  const warm = setTimeout(() => {
    cpuAt = cpuMsOf(pid);
    ownCpuAt = process.cpuUsage();
  }, 2 * o.holdMs);
  const measuring = () => Date.now() >= measureFrom && Date.now() < stopAt;
  let heartbeats = 0;
  let heartbeatsFailed = 0;
  const call = async (client: EngineClient, task: { leaseId: string; callTaskId: number }) => {
    // Calls last 0.5–1.5 × holdMs, as a campaign's calls vary: engines do not finish in waves.
    const lasts = Math.min(o.holdMs * (0.5 + Math.random()), Math.max(0, stopAt - Date.now()));
    await new Promise((done) => setTimeout(done, lasts));
    const t = performance.now();
    await client.result(factsOf(task.leaseId, task.callTaskId) as ResultBody);
    if (measuring()) {
      resultMs.push(performance.now() - t);
      completed++;
    }
  };
  const engine = async (client: EngineClient) => {
    // Engines come up one after another over a call's length, not all in the same millisecond.
    await new Promise((done) => setTimeout(done, Math.random() * o.holdMs));
    let busy = 0;
    let freed: () => void = () => undefined;
    const calls: Promise<void>[] = [];
    // As an engine does: one heartbeat for all its calls in progress, at the interval claims give.
    const live = new Set<string>();
    let beat: ReturnType<typeof setInterval> | undefined;
    const beatEvery = (ms: number) =>
      setInterval(() => {
        if (live.size === 0) return;
        if (measuring()) heartbeats++;
        client.heartbeat([...live].map((leaseId) => ({ leaseId }))).catch(() => heartbeatsFailed++);
      }, ms);
    while (Date.now() < stopAt) {
      if (busy >= o.channels) {
        await new Promise<void>((done) => (freed = done));
        continue;
      }
      const t = performance.now();
      const answer = await client.claim({ max: o.channels - busy, waitMs: 1000, lines: [lineId] });
      if (answer.tasks.length === 0) {
        empty++;
        continue;
      }
      if (measuring()) claimMs.push(performance.now() - t);
      beat ??= beatEvery(answer.heartbeatIntervalMs);
      // The claim's calls start together: their dials in one request.
      const d = performance.now();
      await client.dials(answer.tasks.map((task) => task.leaseId));
      if (measuring()) dialMs.push(performance.now() - d);
      for (const task of answer.tasks) {
        busy++;
        live.add(task.leaseId);
        calls.push(
          call(client, task).finally(() => {
            live.delete(task.leaseId);
            busy--;
            freed();
          }),
        );
      }
    }
    await Promise.all(calls);
    clearInterval(beat);
  };
  await Promise.all(clients.map(engine));
  clearTimeout(warm);
  const own = process.cpuUsage(ownCpuAt);
  const spanMs = Date.now() - measureFrom;
  return {
    holdMs: o.holdMs,
    seconds: o.seconds,
    tasksPerSecond: Math.round(completed / o.seconds),
    claim: { ...latency(claimMs), empty },
    dial: latency(dialMs),
    result: latency(resultMs),
    heartbeats,
    heartbeatsFailed,
    serverCpuPercent: Math.round(((cpuMsOf(pid) - cpuAt) / spanMs) * 100),
    engineCpuPercent: Math.round(((own.user + own.system) / 1000 / spanMs) * 100),
  };
}

/** Writes the result beside the others (bench/results/). */
export function writeEngineResult(result: EngineBenchResult): string {
  mkdirSync('bench/results', { recursive: true });
  const file = `bench/results/${result.startedAt.replace(/[:.]/g, '-')}-engines-${result.db}.json`;
  writeFileSync(file, `${JSON.stringify(result, null, 2)}\n`);
  return file;
}
