import { execFileSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { basename, join, relative, resolve } from 'node:path';
import { classLabel } from './floor.js';
import { type BenchResult, floorOf, RESULTS_DIR, type ScenarioResult } from './report.js';

/*
 * The regression guard (`npm run bench -- --compare`): each case's throughput as a share of the
 * floor, and its p99 alone, set against an earlier result of the same database. The share of the
 * floor is what is compared because it cancels most of what the machine itself does between runs;
 * absolute req/s from two sessions are not comparable.
 */

export type Dialect = BenchResult['database']['dialect'];

/** A main benchmark result, as opposed to the callbacks, faults or baseline files in bench/results. */
export function isMainResult(x: unknown): x is BenchResult {
  if (typeof x !== 'object' || x === null) return false;
  const r = x as Partial<BenchResult>;
  return (
    r.version === 1 &&
    (r.database?.dialect === 'sqlite' || r.database?.dialect === 'postgres') &&
    typeof r.floor?.throughput?.rps === 'number' &&
    Array.isArray(r.scenarios)
  );
}

export interface CaseComparison {
  id: string;
  /** Share of the floor's throughput; undefined when the case is missing from that run. */
  oldRatio?: number;
  newRatio?: number;
  /** Relative change of the share of the floor, in percent (negative: slower). */
  ratioChange?: number;
  /** p99 of a request alone (one connection), ms. */
  oldP99?: number;
  newP99?: number;
  p99Change?: number;
  /** Why the case counts as slower: empty when it does not. */
  slower: ('throughput' | 'p99')[];
}

export interface Comparison {
  thresholdPct: number;
  cases: CaseComparison[];
  /** Differences between the two runs that make the figures less comparable. */
  notes: string[];
}

/**
 * A p99 alone of a fraction of a millisecond moves by more than 10 % from run to run on its own:
 * a p99 counts as slower only when it also grew by at least this much.
 */
export const P99_NOISE_MS = 1;

const change = (before: number, after: number) => (before > 0 ? ((after - before) / before) * 100 : undefined);

/**
 * Computed from req/s rather than the stored `ratio`, which is rounded to 0.001 (a slow case's
 * 0.0004 reads 0), and against the floor of the case's body size (a result without floors per
 * size has one, used by every case).
 */
const shareOfFloor = (r: BenchResult, s: ScenarioResult) => s.throughput.rps / floorOf(r, s).throughput.rps;

export function compareResults(old: BenchResult, now: BenchResult, thresholdPct = 10): Comparison {
  const before = new Map(old.scenarios.map((s) => [s.id, s]));
  const after = new Map(now.scenarios.map((s) => [s.id, s]));
  const ids = [...now.scenarios.map((s) => s.id), ...old.scenarios.map((s) => s.id).filter((id) => !after.has(id))];
  const cases = ids.map((id): CaseComparison => {
    const a = before.get(id);
    const b = after.get(id);
    const c: CaseComparison = { id, slower: [] };
    if (a) {
      c.oldRatio = shareOfFloor(old, a);
      c.oldP99 = a.latency.p99;
    }
    if (b) {
      c.newRatio = shareOfFloor(now, b);
      c.newP99 = b.latency.p99;
    }
    if (a && b) {
      c.ratioChange = change(c.oldRatio!, c.newRatio!);
      c.p99Change = change(a.latency.p99, b.latency.p99);
      if (c.ratioChange !== undefined && c.ratioChange <= -thresholdPct) c.slower.push('throughput');
      if (c.p99Change !== undefined && c.p99Change >= thresholdPct && b.latency.p99 - a.latency.p99 >= P99_NOISE_MS)
        c.slower.push('p99');
    }
    return c;
  });
  const notes: string[] = [];
  if (old.database.dialect !== now.database.dialect)
    notes.push(`different databases: ${old.database.dialect} vs ${now.database.dialect}`);
  if (old.database.records !== now.database.records)
    notes.push(`different data sets: largest job ${old.database.records} vs ${now.database.records} call records`);
  if (old.settings.connections !== now.settings.connections || old.settings.seconds !== now.settings.seconds)
    notes.push(
      `different settings: ${old.settings.connections} conn. × ${old.settings.seconds} s vs ${now.settings.connections} conn. × ${now.settings.seconds} s`,
    );
  if (!old.floors?.length !== !now.floors?.length)
    notes.push(
      `${old.floors?.length ? 'the old' : 'the new'} run sets each case against the floor of its body size, the ${old.floors?.length ? 'new' : 'old'} one against a single floor of ${(old.floors?.length ? now : old).floor.bytes} bytes: shares of cases far from that size move for that reason alone`,
    );
  if (old.machine.cpuModel !== now.machine.cpuModel || old.machine.cpus !== now.machine.cpus)
    notes.push(
      `different machines: ${old.machine.cpus} × ${old.machine.cpuModel} vs ${now.machine.cpus} × ${now.machine.cpuModel} (p99 not comparable)`,
    );
  return { thresholdPct, cases, notes };
}

// Shares of the floor run from 0.01 % to 100 %: two significant digits below 1 %.
const pct = (n?: number) => (n === undefined ? '–' : `${(n * 100).toFixed(n < 0.01 ? 3 : 1)}%`);
const signed = (n?: number) => (n === undefined ? '–' : `${n > 0 ? '+' : ''}${n.toFixed(1)}%`);
const ms = (n?: number) => (n === undefined ? '–' : n.toFixed(2));

/** A plain-text table, one line per case, the slower ones marked. */
export function formatComparison(
  c: Comparison,
  oldName: string,
  newName: string,
  old?: BenchResult,
  now?: BenchResult,
) {
  const header = ['case', 'old of floor', 'new of floor', 'change', 'old p99 ms', 'new p99 ms', 'p99 change', 'flag'];
  const rows = c.cases.map((x) => [
    x.id,
    pct(x.oldRatio),
    pct(x.newRatio),
    signed(x.ratioChange),
    ms(x.oldP99),
    ms(x.newP99),
    signed(x.p99Change),
    x.oldRatio === undefined
      ? 'new case'
      : x.newRatio === undefined
        ? 'gone'
        : x.slower.length
          ? `SLOWER (${x.slower.join(', ')})`
          : '',
  ]);
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
  // The case id left-aligned, the figures right-aligned.
  const line = (cells: string[]) =>
    cells
      .map((cell, i) => (i === 0 || i === cells.length - 1 ? cell.padEnd(widths[i]!) : cell.padStart(widths[i]!)))
      .join('  ')
      .trimEnd();
  const slower = c.cases.filter((x) => x.slower.length);
  return [
    `old: ${oldName}`,
    `new: ${newName}`,
    ...(old && now
      ? [`floor: ${floorsText(old)} → ${floorsText(now)} req/s (the share of it is what is compared)`]
      : []),
    ...c.notes.map((n) => `note: ${n}`),
    '',
    line(header),
    line(widths.map((w) => '-'.repeat(w))),
    ...rows.map(line),
    '',
    slower.length
      ? `${slower.length} case(s) slower by ${c.thresholdPct}% or more (throughput: share of the floor; p99: alone, and by ${P99_NOISE_MS} ms or more): ${slower.map((x) => x.id).join(', ')}`
      : `no case slower by ${c.thresholdPct}% or more`,
  ].join('\n');
}

/** "8192 B 29130" for one floor; "1 KB 31000, 8 KB 29130" for floors per body size. */
function floorsText(r: BenchResult): string {
  const floors = r.floors?.length ? r.floors : [r.floor];
  return floors.map((f) => `${classLabel(f.bytes)} ${Math.round(f.throughput.rps)}`).join(', ');
}

export interface ResultFile {
  /** Path as shown to the user (relative to the working directory). */
  name: string;
  result: BenchResult;
}

export function readResult(file: string): ResultFile {
  const result: unknown = JSON.parse(readFileSync(file, 'utf8'));
  if (!isMainResult(result))
    throw new Error(
      `${file} is not a result of the main benchmark (callbacks, faults and baseline files are not compared)`,
    );
  return { name: relative(process.cwd(), resolve(file)) || file, result };
}

const newestFirst = (a: ResultFile, b: ResultFile) => b.result.startedAt.localeCompare(a.result.startedAt);

/** Every main result of this database in bench/results, committed or not, newest first. */
export function localResults(dialect: Dialect, dir = RESULTS_DIR): ResultFile[] {
  if (!existsSync(dir)) return [];
  return readdirSync(dir)
    .filter((f) => f.endsWith('.json'))
    .flatMap((f) => {
      try {
        const r = readResult(join(dir, f));
        return r.result.database.dialect === dialect ? [r] : [];
      } catch {
        return [];
      }
    })
    .sort(newestFirst);
}

/**
 * Every main result of this database as committed (the content at HEAD, whatever the working
 * tree holds), newest first by the time the run started. Throws, with a message meant for the
 * user, outside a git checkout.
 */
export function committedResults(dialect: Dialect, dir = RESULTS_DIR): ResultFile[] {
  const git = (args: string[]) =>
    execFileSync('git', args, { cwd: dir, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'], maxBuffer: 1 << 28 });
  let files: string[];
  try {
    files = git(['ls-files', '-z', '--full-name', '--', '.'])
      .split('\0')
      .filter((f) => f.endsWith('.json'));
  } catch {
    throw new Error(`${dir} is not in a git checkout: no committed result to compare with (use --compare-to <file>)`);
  }
  const out: ResultFile[] = [];
  for (const f of files) {
    let result: unknown;
    try {
      result = JSON.parse(git(['show', `HEAD:${f}`]));
    } catch {
      continue; // added to the index but not committed yet, or not JSON
    }
    if (isMainResult(result) && result.database.dialect === dialect)
      out.push({ name: `${relative(process.cwd(), join(dir, basename(f)))} (committed)`, result });
  }
  return out.sort(newestFirst);
}

/**
 * The baseline for `now`: the newest committed result of the same database other than `now`
 * itself, preferring one with the same data set size.
 */
export function pickBaseline(committed: ResultFile[], now: BenchResult): ResultFile | undefined {
  const others = committed.filter((c) => c.result.startedAt !== now.startedAt);
  return others.find((c) => c.result.database.records === now.database.records) ?? others[0];
}
