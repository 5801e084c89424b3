import { sql } from 'kysely';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createTestDatabase, type TestDatabase, testDialect } from '../../test/harness.js';
import { ANALYZE_MIN_ROWS, type Analyzer, analyzeThreshold, noteRowsWritten, startAnalyzer } from './analyze.js';

/*
 * PostgreSQL plans from statistics only ANALYZE gathers: the service analyzes what it loads
 * itself, past autovacuum's threshold, in the background, one table at a time (db/analyze.ts).
 */

describe('the analyze threshold', () => {
  it('mirrors autovacuum: 10% of the rows at the last analyze, at least 1,000', () => {
    expect(analyzeThreshold(0)).toBe(ANALYZE_MIN_ROWS);
    expect(analyzeThreshold(-1)).toBe(1000); // never analyzed
    expect(analyzeThreshold(5000)).toBe(1000);
    expect(analyzeThreshold(20_000)).toBe(2000);
    expect(analyzeThreshold(1_000_000)).toBe(100_000);
  });
});

describe.runIf(testDialect === 'sqlite')('on SQLite', () => {
  it('there is no analyzer, and noting rows does nothing', async () => {
    const t = await createTestDatabase();
    try {
      expect(startAnalyzer(t.database)).toBeUndefined();
      noteRowsWritten(t.database, 'call_record', 1_000_000);
      expect(t.queries).toEqual([]);
    } finally {
      await t.drop();
    }
  });
});

describe.runIf(testDialect === 'postgres')('on PostgreSQL', () => {
  let t: TestDatabase;
  let analyzer: Analyzer;
  const errors: string[] = [];
  const log = { info: () => {}, error: (o: object, msg: string) => errors.push(`${msg} ${JSON.stringify(o)}`) };

  beforeEach(async () => {
    t = await createTestDatabase();
    errors.length = 0;
    await sql`create table analyze_probe (id int, kind text)`.execute(t.database.db);
    analyzer = startAnalyzer(t.database, log)!;
  });
  afterEach(async () => {
    await analyzer.stop();
    await t.drop();
  });

  const add = (from: number, to: number) =>
    sql`insert into analyze_probe select g, 'k' || (g % 7) from generate_series(${from}::int, ${to}::int) g`.execute(
      t.database.db,
    );
  /** pg_class.reltuples: -1 until the table is first analyzed (or vacuumed). */
  const reltuples = async () =>
    Number(
      (
        await sql<{ n: number }>`select reltuples::float8 as n from pg_class where relname = 'analyze_probe'`.execute(
          t.database.db,
        )
      ).rows[0]!.n,
    );
  const hasColumnStatistics = async () =>
    Number(
      (
        await sql<{ n: number }>`select count(*)::int as n from pg_stats where tablename = 'analyze_probe'`.execute(
          t.database.db,
        )
      ).rows[0]!.n,
    ) > 0;

  it('at start, analyzes the tables holding rows that were never analyzed', async () => {
    await add(1, 5000);
    expect(await reltuples()).toBe(-1);
    await analyzer.analyzeStale('start');
    await analyzer.idle();
    expect(analyzer.analyzed).toContain('analyze_probe');
    // The migrated tables are empty: nothing to plan from, nothing analyzed.
    expect(analyzer.analyzed).not.toContain('call_record');
    expect(await reltuples()).toBe(5000);
    expect(await hasColumnStatistics()).toBe(true);
    expect(errors).toEqual([]);
  });

  it('analyzes a table once the rows noted since its last analyze pass the threshold, not before', async () => {
    await add(1, 20_000);
    await sql`analyze analyze_probe`.execute(t.database.db);
    await add(20_001, 21_500);
    noteRowsWritten(t.database, 'analyze_probe', 1500); // 20,000 rows at the last analyze: due at 2,000
    await analyzer.idle();
    expect(analyzer.analyzed).toEqual([]);
    expect(await reltuples()).toBe(20_000);

    await add(21_501, 22_100);
    // Through a transaction's handle, as the write path holds one.
    await t.database.transaction(async (trx) => noteRowsWritten(trx, 'analyze_probe', 600));
    await analyzer.idle();
    expect(analyzer.analyzed).toEqual(['analyze_probe']);
    expect(await reltuples()).toBe(22_100);

    // Counted afresh from that analyze: 22,100 rows now, due at 2,210 more.
    noteRowsWritten(t.database, 'analyze_probe', 2000);
    await analyzer.idle();
    expect(analyzer.analyzed).toEqual(['analyze_probe']);
  });

  it('logs a failed analyze instead of throwing, and goes on with the next table', async () => {
    await add(1, 1200);
    noteRowsWritten(t.database, 'no_such_table', 5000);
    await analyzer.idle();
    noteRowsWritten(t.database, 'analyze_probe', 1200);
    await analyzer.idle();
    expect(analyzer.analyzed).toEqual(['analyze_probe']);
    expect(errors.join('\n')).toContain('no_such_table');
  });

  it('analyzes every table after migrations, and nothing once stopped', async () => {
    await analyzer.analyzeAll('migrations applied');
    await analyzer.idle();
    expect(analyzer.analyzed).toEqual(expect.arrayContaining(['analyze_probe', 'call_record', 'customer_person']));
    expect(analyzer.analyzed).not.toContain('kysely_migration');

    await analyzer.stop();
    const before = analyzer.analyzed.length;
    await add(1, 5000);
    noteRowsWritten(t.database, 'analyze_probe', 5000);
    await analyzer.analyzeStale('after stop');
    await analyzer.idle();
    expect(analyzer.analyzed.length).toBe(before);
  });
});
