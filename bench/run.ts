import { statSync, writeFileSync } from 'node:fs';
import { cpus, release, totalmem, type } from 'node:os';
import { join } from 'node:path';
import { Command, InvalidArgumentError } from 'commander';
import { sql } from 'kysely';
import type { ClientCredentials } from '../src/client/signing.js';
import { createDatabase } from '../src/db/database.js';
import { runCallbackBench, writeCallbackResult } from './callbacks.js';
import {
  committedResults,
  compareResults,
  formatComparison,
  localResults,
  pickBaseline,
  type ResultFile,
  readResult,
} from './compare.js';
import { type BenchDialect, benchDatabase, DEFAULT_POSTGRES_URL, databaseVersion, ensureDataset } from './db.js';
import { runEngineBench, writeEngineResult } from './engines.js';
import { explainAll } from './explain.js';
import { floorClass } from './floor.js';
import { ingestionEndpointExists, measureIngestion } from './ingest.js';
import { check, loadRun } from './load.js';
import { measureMixed } from './mixed.js';
import {
  type BenchResult,
  evaluateTargets,
  type FloorResult,
  RESULTS_DIR,
  type ScenarioResult,
  writeBenchmarksMd,
  writeResult,
} from './report.js';
import { floorScenario, type Scenario, scenarios } from './scenarios.js';
import { RssSampler, startServer } from './server.js';
import { runSimulatorBench, writeSimulatorResult } from './simulator.js';
import { runSipBench } from './sipEngine.js';

/*
 * `npm run bench` — the benchmark suite. Builds (or reuses) the data set through the
 * write path, starts the real server as its own process, measures every case over 127.0.0.1 with
 * autocannon, ingestion through the bulk endpoint, and the server's RSS throughout; explains every
 * query; writes bench/results/<timestamp>-<db>.json and the tables of BENCHMARKS.md.
 *
 *   npm run bench                                         quick: jobs of 10k and 100k, 3 s per case
 *   npm run bench -- --records 1000000 --db postgres      full: jobs of 10k, 100k and 1M, 10 s per case
 *   npm run bench -- --compare                            and compare with the newest committed result
 *   npm run bench -- --compare-only                       compare the newest result with the committed one, no run
 *   npm run bench -- --db postgres --mixed-only           only the mixed load, freshly loaded vs analyzed
 */

const positive = (v: string) => {
  const n = Number(v);
  if (!Number.isInteger(n) || n <= 0) throw new InvalidArgumentError('must be a positive integer');
  return n;
};

const program = new Command('bench')
  .option('--records <n>', 'call records of the largest job (full run: 1000000)', positive, 100_000)
  .option(
    '--db <dialect>',
    'sqlite or postgres',
    (v) => {
      if (v !== 'sqlite' && v !== 'postgres') throw new InvalidArgumentError('must be sqlite or postgres');
      return v;
    },
    'sqlite',
  )
  .option(
    '--postgres-url <url>',
    'PostgreSQL database to create the bench database from',
    process.env.BENCH_POSTGRES_URL ?? DEFAULT_POSTGRES_URL,
  )
  .option('--seconds <n>', 'seconds per load run (default: 3 quick, 10 full)', positive)
  .option('--connections <n>', 'connections of the throughput runs', positive, 10)
  .option(
    '--ingest-records <n>',
    'call records sent to the bulk endpoint (default: 20000 quick, 200000 full)',
    positive,
  )
  .option('--ingest-batch <n>', 'call records per request', positive, 1000)
  .option('--ingest-senders <n>', 'requests in flight while ingesting', positive, 2)
  .option('--only <text>', 'only the cases whose id contains this (the floors of their sizes run too)')
  .option('--rebuild', 'build the data set anew even when one of this size exists', false)
  .option('--no-ingest', 'skip the ingestion measurement')
  .option('--no-explain', 'skip the query plans')
  .option('--no-mixed', 'skip the mixed load before and after ANALYZE (PostgreSQL)')
  .option('--mixed-seconds <n>', 'seconds of each mixed load run', positive, 60)
  .option('--mixed-connections <n>', 'connections of the mixed load', positive, 50)
  .option('--mixed-no-hooks', "run the mixed load with the service's own analyzing (src/db/analyze.ts) off")
  .option(
    '--mixed-only',
    'no cases: only the mixed load (PostgreSQL), written to bench/results/<timestamp>-postgres-mixed.json',
  )
  .option('--compare', 'after the run, compare each case with the newest committed result of the same database')
  .option('--compare-to <file>', 'compare with this result file instead of the newest committed one')
  .option(
    '--compare-only [file]',
    'no run: compare this result file (default: the newest in bench/results of --db) with the newest committed one (or --compare-to)',
  )
  .option(
    '--threshold <percent>',
    'with --compare: flag a case whose share of the floor fell, or whose p99 alone rose, by this much',
    (v) => {
      const n = Number(v);
      if (!Number.isFinite(n) || n <= 0) throw new InvalidArgumentError('must be a positive number');
      return n;
    },
    10,
  )
  .option('--sip', 'run only the SIP engine scenario (bench/sipEngine.ts): calls at once and new calls/s, CPU, RSS')
  .option('--sip-calls <n>', 'with --sip: calls to place (each answered, 5 s of talk)', positive, 600)
  .option('--sip-cps <n>', 'with --sip: new calls per second asked of the engine', positive, 40)
  .option('--sip-channels <n>', 'with --sip: the engine’s channels (and the job’s concurrency)', positive, 400)
  .option(
    '--engines',
    'run only the engine protocol scenario (bench/engines.ts): fake engines claim, dial and report against a serve process',
  )
  .option('--engine-count <n>', 'with --engines: fake engines, each with its own engine key', positive, 50)
  .option('--engine-channels <n>', 'with --engines: calls each engine keeps going', positive, 10)
  .option('--engine-hold-ms <n>', 'with --engines: how long a call of the paced run lasts on average', positive, 30_000)
  .option('--engine-paced-seconds <n>', 'with --engines: how long the paced run is measured', positive, 60)
  .option(
    '--engine-busy-hold-ms <n>',
    'with --engines: how long a call of the busy run lasts on average',
    positive,
    5000,
  )
  .option(
    '--simulator',
    'run only the simulator scenario (bench/simulator.ts): completed simulated calls/s on one job at DIALER_SPEED 100000',
  )
  .option('--simulator-customers <n>', 'call tasks of the simulator scenario’s job', positive, 2000)
  .option('--simulator-concurrency <n>', 'the simulator scenario’s job concurrency (robotCount)', positive, 100)
  .option(
    '--callbacks',
    'run only the callback scenario (bench/callbacks.ts): ingestion on vs off, delivery rate, receiver down',
  )
  .parse();

interface Options {
  records: number;
  db: BenchDialect;
  postgresUrl: string;
  seconds?: number;
  connections: number;
  ingestRecords?: number;
  ingestBatch: number;
  ingestSenders: number;
  only?: string;
  rebuild: boolean;
  ingest: boolean;
  explain: boolean;
  mixed: boolean;
  mixedSeconds: number;
  mixedConnections: number;
  mixedNoHooks?: boolean;
  mixedOnly?: boolean;
  compare?: boolean;
  compareTo?: string;
  compareOnly?: string | true;
  threshold: number;
}

const log = (m: string) => console.log(`[${new Date().toISOString().slice(11, 19)}] ${m}`);

async function main(o: Options): Promise<void> {
  const startedAt = new Date().toISOString();
  const quick = o.records < 1_000_000;
  const seconds = o.seconds ?? (quick ? 3 : 10);
  const b = benchDatabase(o.db, o.records, o.postgresUrl);
  const manifest = await ensureDataset(b, { records: o.records, adminUrl: o.postgresUrl, rebuild: o.rebuild, log });
  const credentials = manifest.main.credentials;
  const list = scenarios(manifest).filter((s) => !o.only || s.id.includes(o.only));

  const server = await startServer({ databaseUrl: b.url, log });
  const rss = new RssSampler(server.pid);
  const idleMb = rss.take();
  const results: ScenarioResult[] = [];
  try {
    /** A warm-up, the run at `connections`, the run alone, each after a drained server. */
    const measure = async (s: Scenario, creds: ClientCredentials | undefined) => {
      await loadRun(server.url, s, creds, { connections: o.connections, seconds: 1 }); // warm-up
      // autocannon stops at the deadline with requests still in flight: a checked request queues
      // behind them, so the next run starts on a drained server.
      await check(server.url, s, creds);
      rss.take();
      const throughput = await loadRun(server.url, s, creds, { connections: o.connections, seconds });
      await check(server.url, s, creds);
      const latency = await loadRun(server.url, s, creds, { connections: 1, seconds });
      const after = await check(server.url, s, creds);
      if (after.code !== 200)
        throw new Error(`${s.id} answered ${after.code} after the load: ${JSON.stringify(after.body).slice(0, 300)}`);
      return { throughput, latency, rssMb: rss.take() };
    };

    // Each case is set against the floor of its answer's size class: the sizes first, from one
    // checked request of each case, then one floor per class, then the cases.
    const firsts = new Map<string, number>();
    for (const s of list) {
      const first = await check(server.url, s, credentials);
      if (first.code !== 200)
        throw new Error(`${s.id} answered ${first.code}: ${JSON.stringify(first.body).slice(0, 300)}`);
      firsts.set(s.id, first.bytes);
    }
    const classes = [...new Set(list.map((s) => floorClass(firsts.get(s.id)!)))].sort((a, b) => a - b);
    if (classes.length === 0) classes.push(floorClass(4096)); // no case: the floor alone
    const floors: FloorResult[] = [];
    for (const bytes of classes) {
      const f = floorScenario(bytes);
      const first = await check(server.url, f, undefined);
      if (first.code !== 200 || first.bytes !== bytes)
        throw new Error(`the floor answered ${first.code} with ${first.bytes} bytes, not ${bytes}`);
      const { throughput, latency } = await measure(f, undefined);
      floors.push({ bytes, throughput, latency });
      log(
        `floor ${bytes} bytes: ${throughput.rps} req/s, p50 ${throughput.p50} ms; alone p50 ${latency.p50} ms p99 ${latency.p99} ms`,
      );
    }
    const floorFor = (bytes: number) => floors.find((f) => f.bytes === floorClass(bytes))!;

    for (const s of list) {
      const bytes = firsts.get(s.id)!;
      const floor = floorFor(bytes);
      const { throughput, latency, rssMb } = await measure(s, credentials);
      const ratio = Math.round((throughput.rps / floor.throughput.rps) * 1000) / 1000;
      results.push({
        id: s.id,
        label: s.label,
        endpoint: s.endpoint,
        jobSize: s.jobSize,
        bytes,
        targets: s.targets,
        throughput,
        latency,
        ratio,
        floorBytes: floor.bytes,
        rssMb,
      });
      log(
        `${s.id}: ${throughput.rps} req/s (${Math.round(ratio * 100)}% of the ${floor.bytes}-byte floor), p50/p99 ${throughput.p50}/${throughput.p99} ms; alone p50/p99 ${latency.p50}/${latency.p99} ms; RSS ${rssMb} MB`,
      );
    }
    // For readers of one floor (older results, the header of --compare): the class most cases use.
    const usedMost = (f: FloorResult) => results.filter((r) => r.floorBytes === f.bytes).length;
    const floor = floors.reduce((a, f) => (usedMost(f) >= usedMost(a) ? f : a));

    let ingestion: BenchResult['ingestion'] = { skipped: 'skipped with --no-ingest' };
    if (o.ingest) {
      if (await ingestionEndpointExists(server.url, credentials)) {
        rss.take();
        ingestion = await measureIngestion(server.url, manifest, {
          records: o.ingestRecords ?? (quick ? 20_000 : 200_000),
          batch: o.ingestBatch,
          senders: o.ingestSenders,
          log,
        });
        log(
          `ingestion: ${ingestion.recordsPerSecond} call records/s; statistics ${ingestion.statisticsAgree ? 'agree' : 'DISAGREE'}; RSS ${rss.take()} MB`,
        );
        // Search indexes take new entries in buffers that searches read until they are merged:
        // the same search, right after the bulk load, shows what that costs.
        const search = list.find((s) => s.id.endsWith('.searchPhone4'));
        if (search) {
          const latency = await loadRun(server.url, search, credentials, { connections: 1, seconds });
          ingestion.searchAfter = { id: search.id, label: search.label, p50: latency.p50, p99: latency.p99 };
          log(`${search.id} after ingestion: alone p50/p99 ${latency.p50}/${latency.p99} ms`);
        }
      } else {
        ingestion = { skipped: 'the server has no POST /apiOpen/v1/task/addCallRecords' };
      }
    }
    await server.stop();
    rss.stop();

    let mixed: BenchResult['mixed'];
    if (o.db !== 'postgres') mixed = { skipped: 'PostgreSQL only: SQLite has no statistics unless ANALYZE ran' };
    else if (!o.mixed) mixed = { skipped: 'skipped with --no-mixed' };
    else mixed = await runMixed(b.url, manifest, o);

    const plans = o.explain ? await explainAll(b.url, manifest, (s) => list.some((x) => x.id === s.id)) : undefined;
    const base: Omit<BenchResult, 'targets'> = {
      version: 1,
      startedAt,
      finishedAt: new Date().toISOString(),
      command: ['npm run bench', ...(process.argv.length > 2 ? ['--', ...process.argv.slice(2)] : [])].join(' '),
      quick,
      machine: {
        cpus: cpus().length,
        cpuModel: cpus()[0]?.model.trim() ?? '?',
        memoryGb: Math.round(totalmem() / 2 ** 30),
        node: process.version,
        os: `${type()} ${release()}`,
      },
      database: {
        dialect: o.db,
        version: await databaseVersion(b),
        records: o.records,
        totals: { ...manifest.totals, ...(await databaseSize(b.url, o.db)) },
        buildSeconds: manifest.buildSeconds,
      },
      settings: { connections: o.connections, seconds, latencyConnections: 1 },
      floor,
      floors,
      scenarios: results,
      mixed,
      ingestion,
      rss: { maxMb: rss.max, idleMb, samples: rss.samples },
      plans,
    };
    const result: BenchResult = { ...base, targets: evaluateTargets(base) };
    const file = writeResult(result);
    writeBenchmarksMd();
    log(`results: ${file}; BENCHMARKS.md updated`);
    for (const t of result.targets)
      console.log(`${t.met === null ? '  –  ' : t.met ? ' MET ' : ' MISS'} ${t.name}: ${t.figure} (${t.limit})`);
    if (o.compare || o.compareTo) printComparison(readResult(file), o);
  } finally {
    rss.stop();
    await server.stop();
  }
}

/** The mixed load, freshly loaded and analyzed (bench/mixed.ts), on a data set already built. */
function runMixed(url: string, manifest: Awaited<ReturnType<typeof ensureDataset>>, o: Options) {
  return measureMixed(url, manifest, {
    connections: o.mixedConnections,
    seconds: o.mixedSeconds,
    analyzeHooks: !o.mixedNoHooks,
    log,
  });
}

/** --mixed-only: the mixed load alone, in a file of its own (not a main result: --compare skips it). */
async function mainMixedOnly(o: Options): Promise<void> {
  if (o.db !== 'postgres') throw new Error('--mixed-only: the mixed load runs on PostgreSQL (--db postgres)');
  const startedAt = new Date().toISOString();
  const b = benchDatabase(o.db, o.records, o.postgresUrl);
  const manifest = await ensureDataset(b, { records: o.records, adminUrl: o.postgresUrl, rebuild: o.rebuild, log });
  const mixed = await runMixed(b.url, manifest, o);
  const file = join(RESULTS_DIR, `${startedAt.replace(/[:.]/g, '-')}-${o.db}-mixed.json`);
  const command = ['npm run bench', '--', ...process.argv.slice(2)].join(' ');
  writeFileSync(file, `${JSON.stringify({ startedAt, command, records: o.records, mixed }, null, 2)}\n`);
  log(`mixed: fresh ${Math.round(mixed.ratio * 100)}% of analyzed → ${file}`);
}

async function databaseSize(databaseUrl: string, dialect: BenchDialect): Promise<Record<string, number>> {
  if (dialect === 'sqlite')
    return { databaseMb: Math.round(statSync(databaseUrl.slice('sqlite:'.length)).size / 2 ** 20) };
  const database = createDatabase(databaseUrl, { poolSize: 1 });
  try {
    const r = await sql<{ n: string }>`select pg_database_size(current_database()) as n`.execute(database.db);
    return { databaseMb: Math.round(Number(r.rows[0]!.n) / 2 ** 20) };
  } finally {
    await database.destroy();
  }
}

/** The regression guard: `now` against --compare-to or the newest committed result of its database. */
function printComparison(now: ResultFile, o: Options): void {
  let old: ResultFile | undefined;
  if (o.compareTo) old = readResult(o.compareTo);
  else {
    const dialect = now.result.database.dialect;
    let committed: ResultFile[];
    try {
      committed = committedResults(dialect);
    } catch (e) {
      console.log(`compare: ${(e as Error).message}`);
      return;
    }
    old = pickBaseline(committed, now.result);
    if (!old) {
      const self = committed.find((c) => c.result.startedAt === now.result.startedAt);
      if (!self) {
        console.log(
          `compare: no committed ${dialect} result in bench/results to compare with (use --compare-to <file>)`,
        );
        return;
      }
      console.log(`compare: ${self.name} is the only committed ${dialect} result: compared with itself`);
      old = self;
    }
  }
  console.log(
    `\n${formatComparison(compareResults(old.result, now.result, o.threshold), old.name, now.name, old.result, now.result)}`,
  );
}

if (program.opts().compareOnly) {
  const o = program.opts<Options>();
  try {
    const now = o.compareOnly === true ? localResults(o.db)[0] : readResult(o.compareOnly!);
    if (!now) throw new Error(`no ${o.db} result in bench/results (run \`npm run bench -- --db ${o.db}\` first)`);
    printComparison(now, o);
  } catch (e) {
    console.log(`compare: ${(e as Error).message}`);
    process.exitCode = 1;
  }
} else if (program.opts().mixedOnly) {
  await mainMixedOnly(program.opts<Options>());
} else if (program.opts().engines) {
  const o = program.opts<
    Options & {
      engineCount: number;
      engineChannels: number;
      engineHoldMs: number;
      enginePacedSeconds: number;
      engineBusyHoldMs: number;
    }
  >();
  const result = await runEngineBench({
    db: o.db,
    postgresUrl: o.postgresUrl,
    engines: o.engineCount,
    channels: o.engineChannels,
    seconds: o.seconds,
    holdMs: o.engineHoldMs,
    pacedSeconds: o.enginePacedSeconds,
    busyHoldMs: o.engineBusyHoldMs,
    log,
  });
  for (const t of result.targets) console.log(`${t.met ? ' MET ' : ' MISS'} ${t.name}: ${t.figure} (${t.limit})`);
  log(`→ ${writeEngineResult(result)}`);
} else if (program.opts().simulator) {
  const o = program.opts<Options & { simulatorCustomers: number; simulatorConcurrency: number }>();
  const result = await runSimulatorBench({
    db: o.db,
    postgresUrl: o.postgresUrl,
    customers: o.simulatorCustomers,
    concurrency: o.simulatorConcurrency,
  });
  log(`simulator: ${JSON.stringify(result)} → ${writeSimulatorResult(result)}`);
} else if (program.opts().sip) {
  const o = program.opts<{ sipCalls: number; sipCps: number; sipChannels: number }>();
  const result = await runSipBench({ calls: o.sipCalls, cps: o.sipCps, channels: o.sipChannels }, log);
  log(`sip: ${JSON.stringify(result)}`);
  // The server's handles (pools, timers) may outlive the run.
  process.exit(0);
} else if (program.opts().callbacks) {
  const o = program.opts<Options>();
  const result = await runCallbackBench({ db: o.db, postgresUrl: o.postgresUrl });
  log(`callbacks: ${JSON.stringify(result)} → ${writeCallbackResult(result)}`);
} else await main(program.opts<Options>());
