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

describe(`on ${testDialect === 'sqlite' ? 'SQLite' : 'PostgreSQL'}`, () => {
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

  const sqlite = testDialect === 'sqlite';
  const add = (from: number, to: number) =>
    sqlite
      ? sql`with recursive g (x) as (select ${from} union all select x + 1 from g where x < ${to})
          insert into analyze_probe select x, 'k' || (x % 7) from g`.execute(t.database.db)
      : sql`insert into analyze_probe select g, 'k' || (g % 7) from generate_series(${from}::int, ${to}::int) g`.execute(
          t.database.db,
        );
  /** The rows the planner believes the table has: -1 until the table is first analyzed. */
  const reltuples = async () => {
    const q = sqlite
      ? sql<{
          n: number | null;
        }>`select (select max(cast(stat as integer)) from sqlite_stat1 where tbl = 'analyze_probe') as n
          where exists (select 1 from sqlite_schema where name = 'sqlite_stat1')`
      : sql<{ n: number }>`select reltuples::float8 as n from pg_class where relname = 'analyze_probe'`;
    const n = (await q.execute(t.database.db)).rows[0]?.n;
    return n == null ? -1 : Number(n);
  };
  const hasColumnStatistics = async () =>
    sqlite
      ? (await reltuples()) >= 0
      : Number(
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

  // PostgreSQL counts changes per table itself (n_mod_since_analyze, flushed by each backend in
  // its own time); SQLite counts none, so a rowid table's largest rowid stands for its growth.
  it.runIf(sqlite)('at start, analyzes again a table grown past the threshold since its last analyze', async () => {
    await add(1, 2000);
    await sql`analyze analyze_probe`.execute(t.database.db);
    await add(2001, 2900); // 900 more: under the 1,000 of the threshold
    await analyzer.analyzeStale('start');
    await analyzer.idle();
    expect(analyzer.analyzed).not.toContain('analyze_probe');
    await add(2901, 3500);
    await analyzer.analyzeStale('start');
    await analyzer.idle();
    expect(analyzer.analyzed).toContain('analyze_probe');
    expect(await reltuples()).toBe(3500);
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
