import { sql } from 'kysely';
import type { Database } from './database.js';

/*
 * Planner statistics for what the service itself just loaded (PostgreSQL only).
 *
 * PostgreSQL plans from statistics that only ANALYZE gathers. Autovacuum runs it eventually, but
 * it may be off, and on a busy server it lags behind a bulk load by minutes: until then a table
 * that grew from nothing to a million rows is planned as if it were empty, and the API's reads
 * turn into nested loops over it (a mixed load measured at 160 req/s, p99 2.1 s, before ANALYZE;
 * 702 req/s, p99 141 ms after: BENCHMARKS.md). So the service analyzes what it loads itself:
 *  - after migrations applied anything, and after the demo is seeded: every table;
 *  - at start: the tables never analyzed, or changed past autovacuum's own threshold since (a
 *    restore, or a load by another process while this one was down);
 *  - while it runs: the write path and the customer imports tell this process's tracker how many
 *    rows they added (or, for call tasks, moved on) per table (`noteRowsWritten`); a table that
 *    changed past the threshold is analyzed in the background.
 * The threshold mirrors autovacuum's analyze threshold (autovacuum_analyze_threshold +
 * autovacuum_analyze_scale_factor × reltuples, by default 50 + 10 %), with a floor of 1,000 rows
 * so small tables are not analyzed every few writes. One ANALYZE runs at a time, never inside a
 * request (a request only adds to a counter), and a failure is logged, not thrown: statistics
 * make plans better, they never decide an answer. ANALYZE takes a lock that blocks neither reads
 * nor writes. SQLite has no statistics unless ANALYZE ran there: its plans do not move after a
 * load, so it is left alone.
 */

/** The least number of rows added since a table's last analyze that makes it due. */
export const ANALYZE_MIN_ROWS = 1000;
/** …or this share of its rows at that analyze, whichever is more (autovacuum_analyze_scale_factor). */
export const ANALYZE_SCALE_FACTOR = 0.1;

export interface AnalyzeLog {
  info(obj: object, msg: string): void;
  error(obj: object, msg: string): void;
}

/** Rows a table may gain since its last analyze before it is analyzed again. */
export function analyzeThreshold(rowsAtLastAnalyze: number): number {
  return Math.max(ANALYZE_MIN_ROWS, ANALYZE_SCALE_FACTOR * Math.max(0, rowsAtLastAnalyze));
}

/** Table names come from the code, never from a request; checked all the same before they reach SQL. */
const TABLE_NAME = /^[a-z_][a-z0-9_]*$/;

/** The analyzer of one database in this process: a queue of tables, analyzed one at a time. */
export class Analyzer {
  /** Rows added per table since this process last analyzed it. */
  private readonly added = new Map<string, number>();
  /** Rows per table at its last analyze (pg_class.reltuples), read once per table. */
  private readonly rowsAtAnalyze = new Map<string, number>();
  /** Tables whose rows at their last analyze are being read, and those reads. */
  private readonly reading = new Map<string, Promise<void>>();
  private readonly due = new Set<string>();
  private worker: Promise<void> | undefined;
  private stopped = false;
  /** Tables analyzed so far, in order (for the log and tests). */
  readonly analyzed: string[] = [];

  constructor(
    private readonly database: Database,
    private readonly log?: AnalyzeLog,
  ) {}

  /** Counts rows added to `table`; the table is analyzed in the background once they pass the threshold. */
  note(table: string, rows: number): void {
    if (this.stopped || !(rows >= 0) || !TABLE_NAME.test(table)) return;
    const added = (this.added.get(table) ?? 0) + rows;
    this.added.set(table, added);
    const before = this.rowsAtAnalyze.get(table);
    if (before === undefined) this.readRowsAtAnalyze(table);
    else if (added >= analyzeThreshold(before)) this.enqueue([table]);
  }

  /** Reads a table's rows at its last analyze once, in the background, then checks it against its threshold. */
  private readRowsAtAnalyze(table: string): void {
    if (this.reading.has(table)) return;
    const read = this.rowsOf(table).then(
      (rows) => {
        this.rowsAtAnalyze.set(table, rows);
        this.reading.delete(table);
        this.note(table, 0);
      },
      (error: unknown) => {
        this.reading.delete(table);
        this.log?.error({ err: error, table }, 'could not read the table’s size');
      },
    );
    this.reading.set(table, read);
  }

  /** Every table of the schema (after migrations, or a seed). */
  analyzeAll(reason: string): Promise<void> {
    return this.enqueueFrom(reason, () => this.tables(false));
  }

  /** The tables never analyzed, or changed past autovacuum's threshold since their last analyze. */
  analyzeStale(reason: string): Promise<void> {
    return this.enqueueFrom(reason, () => this.tables(true));
  }

  /** Resolves once no analyze is queued or running (and no table's size is being read). */
  async idle(): Promise<void> {
    while (this.worker || this.reading.size) {
      await Promise.all(this.reading.values());
      await this.worker;
    }
  }

  /** Drops what is queued and waits for the analyze in progress (before the pool closes). */
  async stop(): Promise<void> {
    this.stopped = true;
    this.due.clear();
    await this.idle();
  }

  private async enqueueFrom(reason: string, list: () => Promise<string[]>): Promise<void> {
    if (this.stopped) return;
    try {
      const tables = await list();
      if (tables.length) this.log?.info({ tables, reason }, 'analyzing');
      this.enqueue(tables);
    } catch (error) {
      this.log?.error({ err: error, reason }, 'could not list the tables to analyze');
    }
  }

  private enqueue(tables: string[]): void {
    if (this.stopped) return;
    for (const t of tables) if (TABLE_NAME.test(t)) this.due.add(t);
    this.worker ??= this.work().finally(() => {
      this.worker = undefined;
    });
  }

  private async work(): Promise<void> {
    for (let table = first(this.due); table !== undefined && !this.stopped; table = first(this.due)) {
      this.due.delete(table);
      // Rows added while it runs may or may not be seen by it: they count towards the next one.
      const added = this.added.get(table) ?? 0;
      const started = Date.now();
      try {
        await sql`analyze ${sql.table(table)}`.execute(this.database.db);
        this.added.set(table, (this.added.get(table) ?? 0) - added);
        this.rowsAtAnalyze.set(table, await this.rowsOf(table));
        this.analyzed.push(table);
        this.log?.info({ table, ms: Date.now() - started }, 'analyzed');
      } catch (error) {
        this.log?.error({ err: error, table }, 'analyze failed');
      }
    }
  }

  private async rowsOf(table: string): Promise<number> {
    const r = await sql<{ n: number }>`
      select reltuples::float8 as n from pg_class
      where oid = to_regclass(${table}) and relkind in ('r', 'p')`.execute(this.database.db);
    return Math.max(0, Number(r.rows[0]?.n ?? 0));
  }

  /**
   * The tables of the current schema; with `staleOnly`, those never analyzed (reltuples -1) or with
   * more rows changed since their last analyze than autovacuum's threshold (n_mod_since_analyze,
   * counted by the server across every process).
   */
  private async tables(staleOnly: boolean): Promise<string[]> {
    const r = await sql<{ name: string; rows: number; changed: number; analyzed: boolean; empty: boolean }>`
      select c.relname as name, c.reltuples::float8 as rows, pg_relation_size(c.oid) = 0 as empty,
             coalesce(s.n_mod_since_analyze, 0)::float8 as changed,
             (s.last_analyze is not null or s.last_autoanalyze is not null) as analyzed
      from pg_class c
      join pg_namespace n on n.oid = c.relnamespace and n.nspname = current_schema()
      left join pg_stat_user_tables s on s.relid = c.oid
      where c.relkind in ('r', 'p') and c.relname not like 'kysely\\_%'
      order by c.relname`.execute(this.database.db);
    return r.rows
      .filter((t) => {
        if (!staleOnly) return true;
        // An empty table needs no statistics; one never analyzed but holding rows does (reltuples
        // is -1 for both, until the first analyze or vacuum).
        if (t.rows < 0 || !t.analyzed) return !t.empty;
        return t.changed >= analyzeThreshold(t.rows);
      })
      .map((t) => t.name);
  }
}

const first = (s: Set<string>) => s.values().next().value as string | undefined;

/** The running analyzers, by database location: the write path reaches them with the handle it has. */
const analyzers = new Map<string, Analyzer>();

/**
 * Starts this process's analyzer for `database` (PostgreSQL; on SQLite there is none and noting
 * rows does nothing). The server starts one; tests, the CLI and the benchmark's in-process builds
 * do not, so there they analyze only when they ask.
 */
export function startAnalyzer(database: Database, log?: AnalyzeLog): Analyzer | undefined {
  if (database.dialect !== 'postgres') return undefined;
  const analyzer = new Analyzer(database, log);
  analyzers.set(database.location, analyzer);
  const stop = analyzer.stop.bind(analyzer);
  analyzer.stop = async () => {
    if (analyzers.get(database.location) === analyzer) analyzers.delete(database.location);
    await stop();
  };
  return analyzer;
}

/**
 * Tells this process's analyzer that `rows` rows were added to `table`, or changed in what its
 * plans depend on (committed: call it after the transaction). A transaction handle works too: it
 * carries its database's location.
 */
export function noteRowsWritten(database: Database, table: string, rows: number): void {
  analyzers.get(database.location)?.note(table, rows);
}
