import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { queryName, type ScenarioPlans } from './explain.js';
import { classLabel } from './floor.js';
import type { IngestResult } from './ingest.js';
import type { RunResult } from './load.js';
import type { MixedResult } from './mixed.js';
import type { Endpoint, Target } from './scenarios.js';

/*
 * The results of a run (bench/results/<timestamp>-<db>.json) and BENCHMARKS.md, whose tables are
 * rebuilt from the newest result of each database (the largest data set first) while the text
 * around them is kept.
 */

export const RESULTS_DIR = resolve('bench/results');
export const BENCHMARKS_FILE = resolve('BENCHMARKS.md');

export interface ScenarioResult {
  id: string;
  label: string;
  endpoint: Endpoint;
  jobSize?: number;
  bytes: number;
  targets: Target[];
  /** Under load: `connections` clients. */
  throughput: RunResult;
  /** One client: each request alone. */
  latency: RunResult;
  /** Throughput as a share of the floor's (of the floor of `floorBytes` when set). */
  ratio: number;
  /** The size class of the floor this case is set against (bench/floor.ts `floorClass`); absent in older results. */
  floorBytes?: number;
  rssMb: number;
}

export interface FloorResult {
  bytes: number;
  throughput: RunResult;
  latency: RunResult;
}

/** The floor a case is set against: that of its size class, or the single floor of an older result. */
export function floorOf(r: Pick<BenchResult, 'floor' | 'floors'>, s: Pick<ScenarioResult, 'floorBytes'>): FloorResult {
  return r.floors?.find((f) => f.bytes === s.floorBytes) ?? r.floor;
}

export interface TargetCheck {
  name: string;
  figure: string;
  limit: string;
  met: boolean | null;
}

export interface BenchResult {
  version: 1;
  startedAt: string;
  finishedAt: string;
  command: string;
  quick: boolean;
  machine: { cpus: number; cpuModel: string; memoryGb: number; node: string; os: string };
  database: {
    dialect: 'sqlite' | 'postgres';
    version: string;
    records: number;
    totals: Record<string, number>;
    buildSeconds: number;
  };
  settings: { connections: number; seconds: number; latencyConnections: number };
  /** The floor of the class most cases use; older results have only this one, used by every case. */
  floor: FloorResult;
  /** The floor of each size class the cases' answers need, smallest first. */
  floors?: FloorResult[];
  scenarios: ScenarioResult[];
  /** The mixed load before and after ANALYZE (PostgreSQL, bench/mixed.ts). */
  mixed?: MixedResult | { skipped: string };
  ingestion: IngestResult | { skipped: string };
  rss: { maxMb: number; idleMb: number; samples: number };
  targets: TargetCheck[];
  plans?: ScenarioPlans[];
}

const fmt = (n: number, digits = 1) => (Number.isFinite(n) ? n.toFixed(digits) : '–');
const size = (n?: number) => (n === undefined ? '' : n >= 1_000_000 ? `${n / 1_000_000}M` : `${n / 1000}k`);
const mark = (met: boolean | null) => (met === null ? '–' : met ? '**met**' : '**not met**');

export function evaluateTargets(r: Omit<BenchResult, 'targets'>): TargetCheck[] {
  const out: TargetCheck[] = [];
  const by = (endpoint: Endpoint) => r.scenarios.filter((s) => s.endpoint === endpoint);
  const largest = Math.max(...r.scenarios.filter((s) => s.jobSize).map((s) => s.jobSize!));
  const details = by('getTaskDetail').sort((a, b) => a.jobSize! - b.jobSize!);
  if (details.length >= 2) {
    const small = details[0]!;
    const big = details[details.length - 1]!;
    const ratio = big.latency.p50 / small.latency.p50;
    out.push({
      name: `getTaskDetail p50 at ${size(big.jobSize)} within 1.3× of p50 at ${size(small.jobSize)}`,
      figure: `${fmt(big.latency.p50, 3)} ms vs ${fmt(small.latency.p50, 3)} ms (×${fmt(ratio, 2)})`,
      limit: '≤ ×1.3',
      met: ratio <= 1.3,
    });
  }
  // The targets' shares of the floor: PostgreSQL's are lower, as each request crosses a socket to it.
  // Both shares are in the target's name, so that the two databases' figures share a row.
  const sqlite = r.database.dialect === 'sqlite';
  const shares: [string, ScenarioResult[], [number, number]][] = [
    ...(['getTaskDetail', 'getTasks', 'callDetail'] as const).map(
      (endpoint): [string, ScenarioResult[], [number, number]] => [endpoint, by(endpoint), [0.4, 0.25]],
    ),
    [
      `getCallRecordInfoList page 1 on the ${size(largest)} job`,
      r.scenarios.filter((s) => s.targets.includes('list-ratio')),
      [0.2, 0.1],
    ],
  ];
  for (const [name, list, [onSqlite, onPostgres]] of shares) {
    if (list.length === 0) continue;
    const share = sqlite ? onSqlite : onPostgres;
    const worst = list.reduce((a, b) => (b.ratio < a.ratio ? b : a));
    out.push({
      name: `${name} throughput ≥ ${onSqlite * 100}% (SQLite) / ${onPostgres * 100}% (PostgreSQL) of the floor`,
      figure: `lowest ${fmt(worst.ratio * 100, 0)}% (${worst.label}: ${fmt(worst.throughput.rps, 0)} req/s)`,
      limit: `≥ ${share * 100}%`,
      met: list.every((s) => s.ratio >= share),
    });
  }
  const lists = r.scenarios.filter((s) => s.targets.includes('list-p99-50'));
  if (lists.length) {
    const worst = lists.reduce((a, b) => (b.latency.p99 > a.latency.p99 ? b : a));
    const missed = lists.filter((s) => s.latency.p99 > 50);
    out.push({
      name: `getCallRecordInfoList on the ${size(largest)} job, every filter and search: p99 ≤ 50 ms`,
      figure: `worst ${fmt(worst.latency.p99)} ms (${worst.label})${missed.length ? `; over: ${missed.map((s) => s.label).join(', ')}` : ''}`,
      limit: '≤ 50 ms',
      met: missed.length === 0,
    });
  }
  const deep = r.scenarios.filter((s) => s.targets.includes('deep-p99-50') || s.targets.includes('deep-p99-100'));
  for (const s of deep) {
    out.push({
      name: `getCallRecordInfoList ${s.label} on the ${size(s.jobSize)} job: p99 ≤ 50 ms`,
      figure: `${fmt(s.latency.p99)} ms`,
      limit: '≤ 50 ms',
      met: s.latency.p99 <= 50,
    });
  }
  if ('recordsPerSecond' in r.ingestion) {
    const limit = r.database.dialect === 'sqlite' ? 20_000 : 10_000;
    out.push({
      name: `ingestion through ${r.ingestion.endpoint}`,
      figure: `${r.ingestion.recordsPerSecond.toLocaleString('en')} call records/s (${r.ingestion.records.toLocaleString('en')} in batches of ${r.ingestion.batch}, ${r.ingestion.senders} senders; statistics ${r.ingestion.statisticsAgree ? 'agree' : 'DISAGREE'})`,
      limit: `≥ ${limit.toLocaleString('en')}/s`,
      met: r.ingestion.recordsPerSecond >= limit && r.ingestion.statisticsAgree,
    });
  } else {
    out.push({ name: 'ingestion', figure: `not measured: ${r.ingestion.skipped}`, limit: '', met: null });
  }
  if (r.mixed && 'fresh' in r.mixed) {
    const m = r.mixed;
    out.push({
      name: 'mixed load freshly loaded within 20% of analyzed (no dependence on autovacuum)',
      figure: `${fmt(m.ratio * 100, 0)}%: ${fmt(m.fresh.rps, 0)} vs ${fmt(m.analyzed.rps, 0)} req/s, p99 ${fmt(m.fresh.p99, 0)} vs ${fmt(m.analyzed.p99, 0)} ms (${m.connections} conn. × ${m.seconds} s${m.analyzeHooks ? '' : ', analyze hooks off'})`,
      limit: '≥ 80%',
      met: m.ratio >= 0.8,
    });
  }
  out.push({
    name: 'server RSS throughout',
    figure: `max ${fmt(r.rss.maxMb)} MB (idle ${fmt(r.rss.idleMb)} MB, ${r.rss.samples} samples)`,
    limit: '≤ 300 MB',
    met: r.rss.maxMb <= 300,
  });
  return out;
}

export function writeResult(r: BenchResult): string {
  const file = join(RESULTS_DIR, `${r.startedAt.replace(/[:.]/g, '-')}-${r.database.dialect}.json`);
  writeFileSync(file, `${JSON.stringify(r, null, 2)}\n`);
  return file;
}

/** The newest result of each database, preferring full runs (the largest data set). */
export function latestResults(): BenchResult[] {
  if (!existsSync(RESULTS_DIR)) return [];
  const all = readdirSync(RESULTS_DIR)
    .filter((f) => f.endsWith('.json'))
    .map((f) => JSON.parse(readFileSync(join(RESULTS_DIR, f), 'utf8')) as BenchResult)
    .filter((r) => r.version === 1);
  const out: BenchResult[] = [];
  for (const dialect of ['sqlite', 'postgres'] as const) {
    const mine = all
      .filter((r) => r.database.dialect === dialect)
      .sort((a, b) => b.database.records - a.database.records || b.startedAt.localeCompare(a.startedAt));
    if (mine[0]) out.push(mine[0]);
  }
  return out;
}

function targetTable(results: BenchResult[]): string {
  const lines = [
    '| target | ' + results.map((r) => r.database.dialect).join(' | ') + ' |',
    '|---|' + results.map(() => '---|').join(''),
  ];
  // Judged again by the current targets: a result keeps its raw figures, and a target tightened
  // since applies to the results already recorded.
  const targets = results.map((r) => evaluateTargets(r));
  const names = [
    ...new Set(targets.flatMap((list) => list.map((t) => t.name.replace(/ingestion through .*/, 'ingestion')))),
  ];
  for (const name of names) {
    const cells = targets.map((list) => {
      const t = list.find((x) => x.name.replace(/ingestion through .*/, 'ingestion') === name);
      return t ? `${mark(t.met)} ${t.figure} (${t.limit})` : '';
    });
    lines.push(`| ${name} | ${cells.join(' | ')} |`);
  }
  return lines.join('\n');
}

function floorText(r: BenchResult): string {
  const line = (f: FloorResult) =>
    `${fmt(f.throughput.rps, 0)} req/s at ${r.settings.connections} connections (p50 ${fmt(f.throughput.p50, 2)} ms, p99 ${fmt(f.throughput.p99, 2)} ms); alone ${fmt(f.latency.rps, 0)} req/s (p50 ${fmt(f.latency.p50, 3)} ms, p99 ${fmt(f.latency.p99, 3)} ms)`;
  if (!r.floors?.length) return `Floor: ${line(r.floor)}; body ${r.floor.bytes} bytes.`;
  return [
    "Floor, one per size class of the cases' answers (a body of that many bytes; each case is set against the class nearest its own body, on a log scale):",
    '',
    `| body | req/s (${r.settings.connections} conn.) | p50 / p99 ms (${r.settings.connections} conn.) | req/s (1 conn.) | p50 / p99 ms (1 conn.) | cases |`,
    '|---:|---:|---:|---:|---:|---:|',
    ...r.floors.map(
      (f) =>
        `| ${classLabel(f.bytes)} | ${fmt(f.throughput.rps, 0)} | ${fmt(f.throughput.p50, 2)} / ${fmt(f.throughput.p99, 2)} | ${fmt(f.latency.rps, 0)} | ${fmt(f.latency.p50, 3)} / ${fmt(f.latency.p99, 3)} | ${r.scenarios.filter((s) => s.floorBytes === f.bytes).length} |`,
    ),
  ].join('\n');
}

function scenarioTable(r: BenchResult): string {
  const lines = [
    floorText(r),
    '',
    `| endpoint | case | job | req/s (${r.settings.connections} conn.) | of floor | p50 / p99 ms (${r.settings.connections} conn.) | p50 / p99 ms (1 conn.) | bytes | floor | RSS MB |`,
    '|---|---|---|---:|---:|---:|---:|---:|---:|---:|',
  ];
  for (const s of r.scenarios) {
    const floor = floorOf(r, s);
    lines.push(
      `| ${s.endpoint} | ${s.label} | ${size(s.jobSize)} | ${fmt(s.throughput.rps, 0)} | ${fmt((s.throughput.rps / floor.throughput.rps) * 100, 0)}% | ${fmt(s.throughput.p50, 2)} / ${fmt(s.throughput.p99, 2)} | ${fmt(s.latency.p50, 2)} / ${fmt(s.latency.p99, 2)} | ${s.bytes} | ${classLabel(floor.bytes)} | ${fmt(s.rssMb, 0)} |`,
    );
  }
  return lines.join('\n');
}

function ingestionText(r: BenchResult): string {
  const i = r.ingestion;
  if (!('recordsPerSecond' in i)) return `Ingestion not measured: ${i.skipped}.`;
  return [
    `${i.accepted.toLocaleString('en')} call records through \`POST ${i.endpoint}\` in ${fmt(i.seconds, 1)} s: **${i.recordsPerSecond.toLocaleString('en')} call records/s** (batches of ${i.batch}, ${i.senders} requests in flight; request p50 ${i.requestP50} ms, max ${i.requestMax} ms).`,
    ...(i.searchAfter
      ? [
          `Right after it, ${i.searchAfter.label} answered in p50 ${fmt(i.searchAfter.p50, 2)} ms, p99 ${fmt(i.searchAfter.p99, 2)} ms (one connection; before the load: see the table).`,
        ]
      : []),
    `Statistics maintained: getTaskDetail \`callJobStatsInfo.taskCallTotal\` ${i.statistics.taskCallTotalBefore} → ${i.statistics.taskCallTotalAfter}, list \`totalElements\` ${i.statistics.listTotalBefore} → ${i.statistics.listTotalAfter} (${i.statisticsAgree ? 'both grew by exactly the calls accepted' : 'DISAGREE with the calls accepted'}).`,
  ].join('\n');
}

function mixedText(r: BenchResult): string | undefined {
  const m = r.mixed;
  if (!m) return undefined;
  if (!('fresh' in m)) return `Mixed load not measured: ${m.skipped}.`;
  const row = (name: string, x: MixedResult['fresh']) =>
    `| ${name} | ${fmt(x.rps, 0)} | ${fmt(x.p50, 1)} / ${fmt(x.p99, 1)} / ${fmt(x.max, 0)} | ${fmt(x.reads.rps, 0)} | ${fmt(x.reads.p50, 1)} / ${fmt(x.reads.p99, 1)} / ${fmt(x.reads.max, 0)} | ${fmt(x.writtenRecords / x.seconds, 0)} | ${fmt(x.writeP99, 0)} | ${x.errors} |`;
  return [
    `The four reads (getTasks, getTaskDetail, getCallRecordInfoList, callDetail) on ${m.connections - Math.max(1, Math.round(m.connections / 10))} connections and addCallRecords of 20 calls on ${Math.max(1, Math.round(m.connections / 10))}, at the same time, for ${m.seconds} s, on a new server process each time, ${m.analyzeHooks ? "with the service's own analyzing (src/db/analyze.ts)" : "with the service's own analyzing turned OFF"}. Freshly loaded: ${m.standIn}.`,
    '',
    '| state | req/s | p50 / p99 / max ms | reads req/s | reads p50 / p99 / max ms | call records written/s | write p99 ms | errors |',
    '|---|---:|---:|---:|---:|---:|---:|---:|',
    row('freshly loaded', m.fresh),
    row('after ANALYZE', m.analyzed),
    '',
    `Freshly loaded: **${fmt(m.ratio * 100, 0)}%** of the analyzed throughput.`,
  ].join('\n');
}

function planTable(r: BenchResult): string {
  if (!r.plans?.length) return '_No plans recorded in this run._';
  const lines = ['| request | query | ms | verdict |', '|---|---|---:|---|'];
  for (const s of r.plans) {
    for (const q of s.queries) {
      lines.push(`| ${s.id} | ${queryName(q.sql)} | ${fmt(q.ms, 2)} | ${q.verdict.replace(/\|/g, '\\|')} |`);
    }
  }
  return lines.join('\n');
}

/** The generated part of BENCHMARKS.md for these results. */
export function generated(results: BenchResult[]): string {
  if (results.length === 0) return '_No results yet: run `npm run bench`._';
  const parts = ['## Targets', '', targetTable(results), ''];
  for (const r of results) {
    parts.push(
      `## ${r.database.dialect === 'sqlite' ? 'SQLite' : 'PostgreSQL'} — ${r.quick ? 'quick run' : 'full run'}, largest job ${size(r.database.records)}`,
      '',
      `Command: \`${r.command}\` — ${r.startedAt}. ${r.database.version}; ${r.machine.cpus} × ${r.machine.cpuModel}, ${r.machine.memoryGb} GB, Node ${r.machine.node}, ${r.machine.os}.`,
      `Data set: ${Object.entries(r.database.totals)
        .map(([k, v]) =>
          k === 'databaseMb'
            ? `${v.toLocaleString('en')} MB on disk`
            : `${v.toLocaleString('en')} ${TOTAL_NAMES[k] ?? k}`,
        )
        .join(
          ', ',
        )} (built through recordFinishedCalls in ${r.database.buildSeconds} s). Raw numbers: \`bench/results/${r.startedAt.replace(/[:.]/g, '-')}-${r.database.dialect}.json\`.`,
      `Each case ran ${r.settings.seconds} s with ${r.settings.connections} connections (throughput) and ${r.settings.seconds} s with one (latency of a request alone).`,
      '',
      scenarioTable(r),
      '',
      '### Ingestion',
      '',
      ingestionText(r),
      '',
    );
    const mixed = mixedText(r);
    if (mixed) parts.push('### Mixed load, freshly loaded and analyzed', '', mixed, '');
  }
  parts.push(
    '## Query plans',
    '',
    'Every query each request above runs, explained with its own parameters on the same data set (`bench/explain.ts`): EXPLAIN QUERY PLAN on SQLite, EXPLAIN (ANALYZE, BUFFERS) on PostgreSQL (ms: the query\'s own time in that run). "index" lists what serves the query; "SCANS" names a table read without an index range.',
    '',
  );
  for (const r of results) {
    parts.push(
      `### ${r.database.dialect === 'sqlite' ? 'SQLite' : 'PostgreSQL'} (largest job ${size(r.database.records)})`,
      '',
      planTable(r),
      '',
    );
  }
  return parts.join('\n');
}

const TOTAL_NAMES: Record<string, string> = {
  tenants: 'tenants',
  customers: 'customers',
  callRecords: 'call records',
  turns: 'turns',
};

const BEGIN = '<!-- bench:generated:begin (npm run bench rewrites this part) -->';
const END = '<!-- bench:generated:end -->';

export function writeBenchmarksMd(): void {
  const body = `${BEGIN}\n${generated(latestResults())}\n${END}`;
  const existing = existsSync(BENCHMARKS_FILE) ? readFileSync(BENCHMARKS_FILE, 'utf8') : '';
  const a = existing.indexOf(BEGIN);
  const b = existing.indexOf(END);
  const text =
    a >= 0 && b > a ? existing.slice(0, a) + body + existing.slice(b + END.length) : `# Benchmarks\n\n${body}\n`;
  writeFileSync(BENCHMARKS_FILE, text);
}

// `node dist/.bench/bench/report.js` rebuilds BENCHMARKS.md from the results already recorded.
if (process.argv[1]?.endsWith('bench/report.js')) writeBenchmarksMd();
