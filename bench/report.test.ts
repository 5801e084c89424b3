import { describe, expect, it } from 'vitest';
import type { RunResult } from './load.js';
import type { MixedRun } from './mixed.js';
import { type BenchResult, evaluateTargets, floorOf, generated, type ScenarioResult } from './report.js';

/* BENCHMARKS.md's generated part: a floor per body size, and the mixed load before and after ANALYZE. */

const run = (rps: number, p99 = 2): RunResult => ({
  connections: 10,
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

const detail = (floorBytes: number | undefined, rps: number): ScenarioResult => ({
  id: `getTaskDetail.${floorBytes}`,
  label: `getTaskDetail ${floorBytes}`,
  endpoint: 'getTaskDetail',
  jobSize: 10_000,
  bytes: floorBytes ?? 7000,
  targets: ['ratio'],
  throughput: run(rps),
  latency: run(rps / 4),
  ratio: 0,
  floorBytes,
  rssMb: 100,
});

const mixedRun = (rps: number, p99: number): MixedRun => ({
  seconds: 60,
  requests: rps * 60,
  rps,
  p50: p99 / 4,
  p99,
  max: p99 * 2,
  reads: { rps: rps - 10, p50: p99 / 4, p99, max: p99 * 2 },
  errors: 0,
  writes: 600,
  writtenRecords: 12_000,
  writeP99: 300,
});

const result = (over: Partial<BenchResult>): BenchResult => ({
  version: 1,
  startedAt: '2026-01-01T00:00:00.000Z',
  finishedAt: '2026-01-01T00:00:00.000Z',
  command: 'npm run bench',
  quick: true,
  machine: { cpus: 2, cpuModel: 'test CPU', memoryGb: 8, node: 'v20.0.0', os: 'Linux' },
  database: { dialect: 'postgres', version: 'PostgreSQL 15', records: 100_000, totals: {}, buildSeconds: 1 },
  settings: { connections: 10, seconds: 3, latencyConnections: 1 },
  floor: { bytes: 8192, throughput: run(20_000), latency: run(5000) },
  floors: [
    { bytes: 1024, throughput: run(30_000), latency: run(6000) },
    { bytes: 8192, throughput: run(20_000), latency: run(5000) },
  ],
  scenarios: [detail(1024, 15_000), detail(8192, 6000)],
  ingestion: { skipped: 'test' },
  rss: { maxMb: 100, idleMb: 50, samples: 10 },
  targets: [],
  ...over,
});

describe('a floor per body size', () => {
  it('sets each case against the floor of its class, an older result’s cases against its one floor', () => {
    const r = result({});
    expect(floorOf(r, r.scenarios[0]!).bytes).toBe(1024);
    expect(floorOf(r, r.scenarios[1]!).bytes).toBe(8192);
    const older = result({ floors: undefined, scenarios: [detail(undefined, 6000)] });
    expect(floorOf(older, older.scenarios[0]!).bytes).toBe(8192);
  });

  it('lists the floor of every class, and each case’s share of its own', () => {
    const text = generated([result({})]);
    expect(text).toContain('| 1 KB | 30000 |');
    expect(text).toContain('| 8 KB | 20000 |');
    expect(text).toMatch(/\| getTaskDetail 1024 \| 10k \| 15000 \| 50% \|.*\| 1 KB \| 100 \|/);
    expect(text).toMatch(/\| getTaskDetail 8192 \| 10k \| 6000 \| 30% \|.*\| 8 KB \| 100 \|/);
    expect(generated([result({ floors: undefined })])).toContain('body 8192 bytes.');
  });
});

describe('the mixed load', () => {
  const mixed = {
    connections: 50,
    seconds: 60,
    analyzeHooks: true,
    standIn: 'statistics forgotten',
    fresh: mixedRun(600, 200),
    analyzed: mixedRun(700, 150),
    ratio: 600 / 700,
  };

  it('is a target: freshly loaded within 20% of analyzed', () => {
    const t = evaluateTargets(result({ mixed }));
    expect(t.find((x) => x.name.startsWith('mixed load'))).toMatchObject({ met: true, limit: '≥ 80%' });
    const slow = evaluateTargets(result({ mixed: { ...mixed, fresh: mixedRun(160, 2100), ratio: 160 / 700 } }));
    expect(slow.find((x) => x.name.startsWith('mixed load'))).toMatchObject({ met: false });
    expect(evaluateTargets(result({ mixed: { skipped: 'x' } })).some((x) => x.name.startsWith('mixed'))).toBe(false);
  });

  it('shows both figures and their ratio', () => {
    const text = generated([result({ mixed })]);
    expect(text).toContain('### Mixed load, freshly loaded and analyzed');
    expect(text).toMatch(/\| freshly loaded \| 600 \| 50\.0 \/ 200\.0 \/ 400 \| 590 \|/);
    expect(text).toMatch(/\| after ANALYZE \| 700 \|/);
    expect(text).toContain('Freshly loaded: **86%** of the analyzed throughput.');
    expect(generated([result({ mixed: { skipped: 'skipped with --no-mixed' } })])).toContain(
      'Mixed load not measured: skipped with --no-mixed.',
    );
  });
});

describe('the throughput targets', () => {
  const share = (
    id: string,
    endpoint: ScenarioResult['endpoint'],
    ratio: number,
    targets: ScenarioResult['targets'],
  ) => ({
    ...detail(1024, 10_000),
    id,
    label: id,
    endpoint,
    jobSize: 1_000_000,
    ratio,
    targets,
  });
  const scenarios = [
    share('getTaskDetail.1M', 'getTaskDetail', 0.3, ['ratio']),
    share('list.1M.page1', 'getCallRecordInfoList', 0.15, ['list-p99-50', 'list-ratio']),
  ];
  const target = (dialect: 'sqlite' | 'postgres', name: string) =>
    evaluateTargets(result({ scenarios, database: { ...result({}).database, dialect, records: 1_000_000 } })).find(
      (t) => t.name.startsWith(name),
    );

  it('asks 40% of the floor of the three reads on SQLite, 25% on PostgreSQL', () => {
    expect(target('sqlite', 'getTaskDetail throughput')).toMatchObject({ limit: '≥ 40%', met: false });
    expect(target('postgres', 'getTaskDetail throughput')).toMatchObject({ limit: '≥ 25%', met: true });
  });

  it('names both shares, so the two databases’ figures share a row of the table', () => {
    expect(target('sqlite', 'getTaskDetail throughput')?.name).toBe(
      target('postgres', 'getTaskDetail throughput')?.name,
    );
  });

  it('asks p99 ≤ 50 ms of the page at offset 100,000, of results tagged before round four too', () => {
    for (const tag of ['deep-p99-50', 'deep-p99-100'] as const) {
      const deep = { ...share('list.1M.deep', 'getCallRecordInfoList', 0.01, [tag]), latency: run(100, 57.9) };
      const checks = evaluateTargets(result({ scenarios: [deep] }));
      expect(checks.find((t) => t.name.includes('p99 ≤ 50 ms'))).toMatchObject({ figure: '57.9 ms', met: false });
    }
  });

  it('asks 20% of the floor of the list’s page 1 on SQLite, 10% on PostgreSQL', () => {
    expect(target('sqlite', 'getCallRecordInfoList page 1')).toMatchObject({ limit: '≥ 20%', met: false });
    expect(target('postgres', 'getCallRecordInfoList page 1 on the 1M job')).toMatchObject({ met: true });
  });
});
