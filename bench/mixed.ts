import type { EventEmitter } from 'node:events';
import autocannon from 'autocannon';
import { sql } from 'kysely';
import { signedHeaders } from '../src/client/signing.js';
import { createDatabase } from '../src/db/database.js';
import { seededRandom } from '../src/simulator/random.js';
import { callRecordItem } from './callRecordItem.js';
import type { DatasetManifest } from './dataset.js';
import { percentile } from './load.js';
import { startServer } from './server.js';

/*
 * The mixed load (`npm run bench -- --db postgres`, skipped with --no-mixed): the four reads
 * (getTasks, getTaskDetail, getCallRecordInfoList, callDetail) on 45 connections and writes
 * (addCallRecords of 20 calls) on 5, twice on PostgreSQL — first on a database that looks freshly loaded, then after
 * ANALYZE — to show whether the service's speed depends on autovacuum's timing.
 *
 * "Freshly loaded" is made by forgetting the planner's statistics of every table: its
 * pg_statistic rows deleted and pg_class's reltuples/relpages/relallvisible set back to -1/0/0,
 * with the tables' analyze counters reset. That is exactly what the planner sees of a table
 * filled since it was created and not analyzed or vacuumed yet (after the demo seed, a restore,
 * a bulk import while autovacuum lags or is off) — no column statistics, a size estimated from
 * the table's pages — without rebuilding the data set each run. What it does not reset is the
 * visibility map, so index-only scans still skip heap pages a real fresh load would read: if
 * anything the stand-in flatters the fresh figure slightly. A new server process is started on
 * it, as after a deploy or restart: with the service's analyze hooks (src/db/analyze.ts) it
 * finds the tables never analyzed and analyzes them in the background while the load runs.
 */

export interface MixedRun {
  seconds: number;
  /** Every request, reads and writes. */
  requests: number;
  rps: number;
  p50: number;
  p99: number;
  max: number;
  /** The reads alone. */
  reads: { rps: number; p50: number; p99: number; max: number };
  /** Non-2xx answers, socket errors and timeouts. */
  errors: number;
  /** addCallRecords requests and the call records they carried. */
  writes: number;
  writtenRecords: number;
  writeP99: number;
}

export interface MixedResult {
  connections: number;
  seconds: number;
  /** Whether the server ran with its analyze hooks (src/db/analyze.ts); off with --mixed-no-hooks. */
  analyzeHooks: boolean;
  standIn: string;
  /** Right after the statistics were forgotten and a new server started. */
  fresh: MixedRun;
  /** The same load after ANALYZE. */
  analyzed: MixedRun;
  /** Fresh req/s as a share of analyzed req/s. */
  ratio: number;
}

export const STAND_IN =
  'planner statistics forgotten (pg_statistic rows deleted, pg_class reltuples -1, relpages and relallvisible 0, analyze counters reset) and a new server started: what a table loaded since it was created and not analyzed yet looks like to the planner';

const ADD = '/apiOpen/v1/task/addCallRecords';
const LIST = '/apiOpen/v1/task/getCallRecordInfoList';
/** Calls per addCallRecords request of the mixed load. */
const WRITE_BATCH = 20;

/** The tables of the service's schema (not Kysely's bookkeeping) and their indexes. */
const OWN_RELATIONS = sql`
  select c.oid from pg_class c
  join pg_namespace n on n.oid = c.relnamespace and n.nspname = current_schema()
  where c.relkind in ('r', 'p', 'i') and c.relname not like 'kysely\\_%'`;

/** Makes the database look freshly loaded to the planner (see the header). Needs a superuser. */
export async function forgetStatistics(databaseUrl: string): Promise<void> {
  const database = createDatabase(databaseUrl, { poolSize: 1 });
  try {
    await database.db.transaction().execute(async (trx) => {
      await sql`delete from pg_statistic where starelid in (${OWN_RELATIONS})`.execute(trx);
      await sql`update pg_class set reltuples = -1, relpages = 0, relallvisible = 0 where oid in (${OWN_RELATIONS}) and relkind <> 'i'`.execute(
        trx,
      );
      await sql`update pg_class set reltuples = -1, relpages = 0 where oid in (${OWN_RELATIONS}) and relkind = 'i'`.execute(
        trx,
      );
    });
    await sql`select pg_stat_reset_single_table_counters(oid) from (${OWN_RELATIONS}) r`.execute(database.db);
  } finally {
    await database.destroy();
  }
}

/** Plain ANALYZE of the whole database, as an operator would run it (no vacuum). */
export async function analyzeDatabase(databaseUrl: string): Promise<number> {
  const database = createDatabase(databaseUrl, { poolSize: 1 });
  try {
    const started = performance.now();
    await sql`analyze`.execute(database.db);
    return Math.round(performance.now() - started);
  } finally {
    await database.destroy();
  }
}

/**
 * The reads of one connection's turn, of every main job in turn: getTasks, getTaskDetail, a list
 * page with a filter and one without, callDetail of its sample records.
 */
function readsOf(manifest: DatasetManifest, headers: Record<string, string>): autocannon.Request[] {
  const jobs = [...manifest.main.jobs].sort((a, b) => a.records - b.records);
  const json = { ...headers, 'content-type': 'application/json' };
  let turn = 0;
  const nextJob = () => jobs[turn++ % jobs.length]!;
  let detailTurn = 0;
  return [
    { method: 'GET', path: '/apiOpen/v1/task/getTasks', headers },
    {
      method: 'GET',
      path: '/',
      headers,
      setupRequest: (r) => ({ ...r, path: `/apiOpen/v1/task/getTaskDetail?robotCallJobId=${nextJob().jobId}` }),
    },
    {
      method: 'POST',
      path: LIST,
      headers: json,
      setupRequest: (r) => {
        const job = nextJob();
        return {
          ...r,
          body: JSON.stringify({ robotCallJobId: job.jobId, pageSize: 20, resultStatuses: ['ANSWERED'] }),
        };
      },
    },
    {
      method: 'GET',
      path: '/',
      headers,
      setupRequest: (r) => {
        const ids = nextJob().samples.callRecordIds;
        return { ...r, path: `/apiOpen/v1/task/callDetail?callRecordId=${ids[detailTurn++ % ids.length]}` };
      },
    },
    {
      method: 'POST',
      path: LIST,
      headers: json,
      setupRequest: (r) => ({ ...r, body: JSON.stringify({ robotCallJobId: nextJob().jobId, pageSize: 20 }) }),
    },
    {
      method: 'GET',
      path: '/',
      headers,
      setupRequest: (r) => ({ ...r, path: `/apiOpen/v1/task/getTaskDetail?robotCallJobId=${nextJob().jobId}` }),
    },
    {
      method: 'GET',
      path: '/',
      headers,
      setupRequest: (r) => {
        const ids = nextJob().samples.callRecordIds;
        return { ...r, path: `/apiOpen/v1/task/callDetail?callRecordId=${ids[detailTurn++ % ids.length]}` };
      },
    },
  ];
}

/** addCallRecords of WRITE_BATCH new calls to the ingestion job, each with its own idempotency key. */
function writesOf(manifest: DatasetManifest, headers: Record<string, string>): autocannon.Request[] {
  const calls = callTemplates(manifest, 2000);
  const run = Date.now().toString(36);
  let written = 0;
  return [
    {
      method: 'POST',
      path: ADD,
      headers: { ...headers, 'content-type': 'application/json' },
      setupRequest: (r) => {
        const batch: string[] = [];
        for (let i = 0; i < WRITE_BATCH; i++, written++)
          batch.push(calls[written % calls.length]!.replace('"KEY"', `"bench-mixed-${run}-${written}"`));
        return { ...r, body: `{"callRecords":[${batch.join(',')}]}` };
      },
    },
  ];
}

/** Simulated finished calls of the ingestion job as JSON, each with "KEY" where its idempotency key goes. */
function callTemplates(manifest: DatasetManifest, count: number): string[] {
  const { jobId, numbers } = manifest.main.ingestJob;
  const random = seededRandom(7);
  const now = Date.now();
  return Array.from({ length: count }, (_, i) =>
    JSON.stringify(
      callRecordItem(random, { idempotencyKey: 'KEY', jobId, calledPhoneNumber: numbers[i % numbers.length]!, now }),
    ),
  );
}

/**
 * One mixed load run against a running server: a tenth of the connections (at least one) send
 * writes, the rest reads, at the same time. Apart, so writes queueing on the job's statistics
 * rows (calls of one job are recorded one transaction at a time) do not hold reads back.
 */
export async function mixedLoad(
  baseUrl: string,
  manifest: DatasetManifest,
  options: { connections: number; seconds: number },
): Promise<MixedRun> {
  const headers = await signedHeaders(manifest.main.credentials);
  const writers = Math.max(1, Math.round(options.connections / 10));
  const run = (connections: number, requests: autocannon.Request[]) => {
    const latencies: number[] = [];
    const instance = autocannon({
      url: baseUrl,
      connections,
      duration: options.seconds,
      timeout: 30,
      requests,
    }) as unknown as Promise<autocannon.Result> & EventEmitter;
    instance.on('response', (_client: unknown, _status: number, _bytes: number, responseTime: number) => {
      latencies.push(responseTime);
    });
    return instance.then((result) => ({ result, sorted: Float64Array.from(latencies).sort() }));
  };
  const [reads, writes] = await Promise.all([
    run(Math.max(1, options.connections - writers), readsOf(manifest, headers)),
    run(writers, writesOf(manifest, headers)),
  ]);
  const all = Float64Array.from([...reads.sorted, ...writes.sorted]).sort();
  const round = (ms: number) => Math.round(ms * 10) / 10;
  const perSecond = (n: number, r: autocannon.Result) => Math.round((n / (r.duration || options.seconds)) * 10) / 10;
  const errors = (r: autocannon.Result) => r.errors + r.non2xx + r.timeouts;
  return {
    seconds: options.seconds,
    requests: reads.result.requests.total + writes.result.requests.total,
    rps: round(
      perSecond(reads.result.requests.total, reads.result) + perSecond(writes.result.requests.total, writes.result),
    ),
    p50: round(percentile(all, 50)),
    p99: round(percentile(all, 99)),
    max: round(all[all.length - 1] ?? 0),
    reads: {
      rps: perSecond(reads.result.requests.total, reads.result),
      p50: round(percentile(reads.sorted, 50)),
      p99: round(percentile(reads.sorted, 99)),
      max: round(reads.sorted[reads.sorted.length - 1] ?? 0),
    },
    errors: errors(reads.result) + errors(writes.result),
    writes: writes.result.requests.total,
    writtenRecords: writes.result.requests.total * WRITE_BATCH,
    writeP99: round(percentile(writes.sorted, 99)),
  };
}

/**
 * The mixed load on a freshly loaded stand-in, then after ANALYZE, each time on a new server
 * process (`analyzeHooks` false: with the service's own analyzing turned off, for comparison).
 */
export async function measureMixed(
  databaseUrl: string,
  manifest: DatasetManifest,
  options: { connections: number; seconds: number; analyzeHooks: boolean; log: (m: string) => void },
): Promise<MixedResult> {
  const { log } = options;
  const serve = () => startServer({ databaseUrl, analyze: options.analyzeHooks, log });
  const load = { connections: options.connections, seconds: options.seconds };

  await forgetStatistics(databaseUrl);
  log(`mixed load: statistics forgotten; ${options.analyzeHooks ? 'with' : 'WITHOUT'} the service's analyze hooks`);
  let server = await serve();
  let fresh: MixedRun;
  try {
    fresh = await mixedLoad(server.url, manifest, load);
  } finally {
    await server.stop();
  }
  log(`mixed load, freshly loaded: ${fresh.rps} req/s, p50 ${fresh.p50} ms, p99 ${fresh.p99} ms, max ${fresh.max} ms`);

  const ms = await analyzeDatabase(databaseUrl);
  log(`ANALYZE in ${ms} ms`);
  server = await serve();
  let analyzed: MixedRun;
  try {
    analyzed = await mixedLoad(server.url, manifest, load);
  } finally {
    await server.stop();
  }
  log(
    `mixed load, analyzed: ${analyzed.rps} req/s, p50 ${analyzed.p50} ms, p99 ${analyzed.p99} ms, max ${analyzed.max} ms`,
  );
  return {
    connections: options.connections,
    seconds: options.seconds,
    analyzeHooks: options.analyzeHooks,
    standIn: STAND_IN,
    fresh,
    analyzed,
    ratio: Math.round((fresh.rps / analyzed.rps) * 1000) / 1000,
  };
}
