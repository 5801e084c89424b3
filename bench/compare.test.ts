import { describe, expect, it } from 'vitest';
import { compareResults, formatComparison, isMainResult, pickBaseline, type ResultFile } from './compare.js';
import type { RunResult } from './load.js';
import type { BenchResult, ScenarioResult } from './report.js';

/* The regression guard of `npm run bench -- --compare`: two small synthetic runs, one case slower. */

const run = (rps: number, p99: number): RunResult => ({
  connections: 1,
  seconds: 3,
  requests: rps * 3,
  rps,
  p50: p99 / 2,
  p90: p99 * 0.8,
  p99,
  max: p99 * 2,
  mean: p99 / 2,
  errors: 0,
  timeouts: 0,
  bytesPerResponse: 1000,
});

const scenario = (id: string, ratio: number, p99: number): ScenarioResult => ({
  id,
  label: id,
  endpoint: 'getTaskDetail',
  bytes: 1000,
  targets: [],
  throughput: run(ratio * 10_000, p99 * 3),
  latency: run(1000 / p99, p99),
  ratio,
  rssMb: 100,
});

const result = (startedAt: string, scenarios: ScenarioResult[], records = 100_000): BenchResult => ({
  version: 1,
  startedAt,
  finishedAt: startedAt,
  command: 'npm run bench',
  quick: true,
  machine: { cpus: 4, cpuModel: 'test CPU', memoryGb: 8, node: 'v20.0.0', os: 'Linux' },
  database: { dialect: 'sqlite', version: 'SQLite 3', records, totals: {}, buildSeconds: 1 },
  settings: { connections: 10, seconds: 3, latencyConnections: 1 },
  floor: { bytes: 1000, throughput: run(10_000, 2), latency: run(5000, 0.5) },
  scenarios,
  ingestion: { skipped: 'test' },
  rss: { maxMb: 100, idleMb: 50, samples: 10 },
  targets: [],
});

const old = result('2026-01-01T00:00:00.000Z', [
  scenario('detail.10k', 0.8, 2),
  scenario('list.deep', 0.5, 20),
  scenario('list.gone', 0.4, 5),
]);
const now = result('2026-01-02T00:00:00.000Z', [
  scenario('detail.10k', 0.78, 2.1), // 2.5 % lower, p99 +0.1 ms: within the noise
  scenario('list.deep', 0.4, 25), // 20 % lower, p99 +25 %
  scenario('list.new', 0.6, 3),
]);

describe('compareResults', () => {
  const c = compareResults(old, now, 10);
  const byId = (id: string) => c.cases.find((x) => x.id === id)!;

  it('sets each case’s share of the floor and p99 alone against the old run', () => {
    expect(byId('detail.10k')).toMatchObject({ oldP99: 2, newP99: 2.1, slower: [] });
    expect(byId('detail.10k').oldRatio).toBeCloseTo(0.8);
    expect(byId('detail.10k').newRatio).toBeCloseTo(0.78);
    expect(byId('detail.10k').ratioChange).toBeCloseTo(-2.5);
    expect(byId('detail.10k').p99Change).toBeCloseTo(5);
  });

  it('flags a case whose share of the floor fell, or whose p99 rose, by the threshold or more', () => {
    expect(byId('list.deep').ratioChange).toBeCloseTo(-20);
    expect(byId('list.deep').slower).toEqual(['throughput', 'p99']);
    expect(compareResults(old, now, 30).cases.find((x) => x.id === 'list.deep')!.slower).toEqual([]);
  });

  it('takes the share of the floor from req/s, not from the stored ratio rounded to 0.001', () => {
    const slow = (rps: number) => ({ ...scenario('search', 0, 1000), throughput: run(rps, 3000) }); // ratio 0.000
    const a = compareResults(result('a', [slow(4)]), result('b', [slow(3)])).cases[0]!;
    expect(a.oldRatio).toBeCloseTo(0.0004);
    expect(a.ratioChange).toBeCloseTo(-25);
    expect(a.slower).toEqual(['throughput']);
  });

  it('does not flag a sub-millisecond p99 that moved by a large share but a tiny amount', () => {
    const a = result('a', [scenario('fast', 0.9, 0.3)]);
    const b = result('b', [scenario('fast', 0.9, 0.6)]);
    expect(compareResults(a, b).cases[0]!.slower).toEqual([]);
  });

  it('lists cases only one run has, new ones in order and gone ones last, without flagging them', () => {
    expect(c.cases.map((x) => x.id)).toEqual(['detail.10k', 'list.deep', 'list.new', 'list.gone']);
    expect(byId('list.new')).toMatchObject({ newRatio: 0.6, slower: [] });
    expect(byId('list.new').oldRatio).toBeUndefined();
    expect(byId('list.gone')).toMatchObject({ oldRatio: 0.4, slower: [] });
    expect(byId('list.gone').newRatio).toBeUndefined();
  });

  it('notes when the runs are not alike', () => {
    expect(c.notes).toEqual([]);
    const full = result('c', [], 1_000_000);
    expect(compareResults(old, full).notes).toEqual([
      'different data sets: largest job 100000 vs 1000000 call records',
    ]);
  });
});

describe('floors per body size', () => {
  // The new run sets each case against the floor of its size class; the old one had a single floor.
  const sized = (startedAt: string, floors: [number, number][], cases: [string, number, number][]): BenchResult => ({
    ...result(startedAt, []),
    floors: floors.map(([bytes, rps]) => ({ bytes, throughput: run(rps, 2), latency: run(rps / 2, 0.5) })),
    scenarios: cases.map(([id, rps, floorBytes]) => ({
      ...scenario(id, 0, 2),
      throughput: run(rps, 6),
      floorBytes,
    })),
  });
  const perSize = sized(
    '2026-01-03T00:00:00.000Z',
    [
      [1024, 20_000],
      [32_768, 5000],
    ],
    [
      ['detail.10k', 8000, 1024], // 40 % of the 1 KB floor
      ['list.deep', 2500, 32_768], // 50 % of the 32 KB floor
    ],
  );

  it('sets each case against the floor of its own size', () => {
    const c = compareResults(perSize, perSize);
    expect(c.cases.find((x) => x.id === 'detail.10k')!.newRatio).toBeCloseTo(0.4);
    expect(c.cases.find((x) => x.id === 'list.deep')!.newRatio).toBeCloseTo(0.5);
    expect(c.notes).toEqual([]);
  });

  it('reads an older result with one floor as that floor for every case, and says the two differ', () => {
    const c = compareResults(old, perSize);
    const deep = c.cases.find((x) => x.id === 'list.deep')!;
    expect(deep.oldRatio).toBeCloseTo(0.5); // 5,000 req/s of the old single 10,000 req/s floor
    expect(deep.newRatio).toBeCloseTo(0.5);
    expect(c.notes).toEqual([
      'the new run sets each case against the floor of its body size, the old one against a single floor of 1000 bytes: shares of cases far from that size move for that reason alone',
    ]);
  });

  it('prints the floor of every size', () => {
    const text = formatComparison(compareResults(old, perSize), 'old.json', 'new.json', old, perSize);
    expect(text.split('\n')[2]).toBe(
      'floor: 1000 B 10000 → 1 KB 20000, 32 KB 5000 req/s (the share of it is what is compared)',
    );
  });
});

describe('formatComparison', () => {
  it('prints one aligned line per case and names the slower ones', () => {
    const text = formatComparison(compareResults(old, now, 10), 'old.json', 'new.json', old, now);
    const lines = text.split('\n');
    expect(lines[0]).toBe('old: old.json');
    expect(lines.find((l) => l.startsWith('list.deep'))).toMatch(
      /50\.0%\s+40\.0%\s+-20\.0%\s+20\.00\s+25\.00\s+\+25\.0%\s+SLOWER \(throughput, p99\)$/,
    );
    expect(lines.find((l) => l.startsWith('list.new'))).toMatch(/new case$/);
    expect(lines.find((l) => l.startsWith('list.gone'))).toMatch(/gone$/);
    expect(lines.at(-1)).toMatch(/^1 case\(s\) slower by 10% or more .*: list\.deep$/);
    const header = lines.find((l) => l.startsWith('case'))!;
    const row = lines.find((l) => l.startsWith('detail.10k'))!;
    // Right-aligned figures end in the same column as their heading.
    expect(row.indexOf('-2.5%') + '-2.5%'.length).toBe(header.indexOf('change') + 'change'.length);
  });
});

describe('isMainResult and pickBaseline', () => {
  it('tells main results from the callbacks and faults files', () => {
    expect(isMainResult(old)).toBe(true);
    expect(isMainResult({ db: 'sqlite', batch: 100, ratio: 1.1 })).toBe(false); // callbacks
    expect(isMainResult({ when: 'x', cap: 1, baseline: {} })).toBe(false); // faults
    expect(isMainResult({ note: 'x', sqlite: {}, postgres: {} })).toBe(false); // baseline-1m
  });

  it('takes the newest committed result other than the run itself, of the same size when there is one', () => {
    const file = (r: BenchResult): ResultFile => ({ name: r.startedAt, result: r });
    const newestFull = result('2026-01-03T00:00:00.000Z', [], 1_000_000);
    const committed = [file(newestFull), file(now), file(old)];
    expect(pickBaseline(committed, now)?.result).toBe(old);
    expect(pickBaseline(committed, result('2026-01-04T00:00:00.000Z', [], 1_000_000))?.result).toBe(newestFull);
    expect(pickBaseline([file(now)], now)).toBeUndefined();
  });
});
