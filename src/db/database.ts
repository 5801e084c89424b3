import { mkdirSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import SqliteDatabase from 'better-sqlite3';
import {
  CompiledQuery,
  type DatabaseConnection,
  type Driver,
  type Expression,
  Kysely,
  type LogEvent,
  type PostgresCursor,
  PostgresDialect,
  type PostgresPool,
  type PostgresPoolClient,
  type PostgresQueryResult,
  type RawBuilder,
  type SqlBool,
  SqliteDialect,
  type SqliteDialectConfig,
  SqliteDriver,
  sql,
} from 'kysely';
import pg from 'pg';
import type { DB } from './schema.js';
import { startWalCheckpointer, type WalCheckpointer } from './walCheckpointer.js';

export type Dialect = 'sqlite' | 'postgres';

/**
 * The one handle every layer passes around: a Kysely instance that carries its dialect. A
 * transaction is a Database too, so a function that takes one works inside and outside a
 * transaction alike; the rare dialect-only query reads `db.dialect`.
 */
export class Database {
  constructor(
    readonly db: Kysely<DB>,
    readonly dialect: Dialect,
    /** Where it lives, without credentials (for logs). */
    readonly location: string,
    /** True inside `transaction`. */
    readonly inTransaction = false,
  ) {}

  /** Runs `work` in a transaction; inside one already, `work` joins it. */
  transaction<T>(work: (trx: Database) => Promise<T>): Promise<T> {
    if (this.inTransaction) return work(this);
    return this.db.transaction().execute((trx) => work(new Database(trx, this.dialect, this.location, true)));
  }

  async destroy(): Promise<void> {
    // The WAL checkpointer first: the main connection, closing last, checkpoints and removes the WAL.
    await checkpointers.get(this)?.stop();
    await this.db.destroy();
  }
}

const checkpointers = new WeakMap<Database, WalCheckpointer>();

/** The SQLite file's WAL checkpointer (db/walCheckpointer.ts); undefined in memory and on PostgreSQL. */
export function walCheckpointerOf(database: Database): WalCheckpointer | undefined {
  return checkpointers.get(database);
}

/**
 * The texts of the statements kept prepared (the reads compiled once, the bulk writes of
 * `runPrepared`), with a name for each: a few, each run again and again — SQLite keeps them
 * whatever their length, PostgreSQL runs them as named prepared statements (`PreparingClient`).
 */
const FIXED_TEXTS = new Map<string, string>();

/** Keeps a statement's text prepared from now on (FIXED_TEXTS). */
function keepPrepared(text: string): void {
  if (!FIXED_TEXTS.has(text)) FIXED_TEXTS.set(text, `outcall_stmt_${FIXED_TEXTS.size + 1}`);
}

/** Stands for the i-th argument of a query compiled once (`compiledOnce`). */
class Argument {
  constructor(readonly index: number) {}
}

/**
 * A read of a fixed shape, built and compiled by Kysely once per dialect and then run with each
 * call's arguments: building and compiling cost more than running most of this service's reads.
 * `build` receives stand-ins for the arguments and must use them only as values (never branch on
 * them, nor pass a list), so that every call has the same SQL text.
 */
export function compiledOnce<A extends unknown[], O>(
  build: (database: Database, ...args: A) => { compile(): CompiledQuery<O> },
): (database: Database, ...args: A) => Promise<O[]> {
  const compiled = new Map<Dialect, { query: CompiledQuery<O>; slots: (number | undefined)[] }>();
  return async (database, ...args) => {
    let known = compiled.get(database.dialect);
    if (!known) {
      const query = build(database, ...(args.map((_, i) => new Argument(i)) as A)).compile();
      keepPrepared(query.sql);
      const slots = query.parameters.map((p) => (p instanceof Argument ? p.index : undefined));
      known = { query, slots };
      compiled.set(database.dialect, known);
    }
    const { query, slots } = known;
    const parameters = query.parameters.map((p, i) => (slots[i] === undefined ? p : args[slots[i]!]));
    const result = await database.db.executeQuery<O>({ ...query, parameters });
    return result.rows;
  };
}

/**
 * A parameter SQLite plans its statement once for. better-sqlite3 binds the parameters anew on
 * every run, and SQLite re-plans (recompiles) before a run a statement whose plan it tailored to a
 * bound value: a value compared with the first column of an index that has sqlite_stat4 samples
 * (every tenant_id index, once `pragma optimize` or ANALYZE ran), a LIKE pattern, a LIMIT. For
 * getTaskDetail's job with its names that cost five times the read itself. Cast, the value is no
 * bare parameter: the statement is planned once (from sqlite_stat1) and stays prepared. For reads
 * whose plan does not depend on the value; PostgreSQL gets the plain parameter.
 */
export function stableParam<T extends number | string>(
  database: Database,
  value: T,
  type: 'integer' | 'text',
): T | RawBuilder<T> {
  return database.dialect === 'sqlite' ? sql<T>`cast(${value} as ${sql.raw(type)})` : value;
}

/**
 * Runs a statement whose text recurs — a bulk write of one of a few fixed row counts
 * (repositories/rows.ts `fixedChunks`), or an unnest insert whatever its row count — as the reads
 * compiled once are: SQLite keeps it prepared however long its text, PostgreSQL runs it as a
 * named prepared statement. Only for texts of a few shapes: each one is kept for good.
 */
export async function runPrepared<O>(database: Database, query: { compile(): CompiledQuery<O> }): Promise<O[]> {
  const compiled = query.compile();
  keepPrepared(compiled.sql);
  return (await database.db.executeQuery(compiled)).rows;
}

/** PostgreSQL column types of the values `unnest` passes as arrays. */
export type PgArrayType = 'bigint' | 'integer' | 'text' | 'jsonb';

/**
 * PostgreSQL: rows as `select * from unnest($1::bigint[], $2::text[], …)`, one array parameter per
 * column in `columns` order, for `insertInto(…).columns(…).expression(…)`. A multi-row VALUES of a
 * thousand rows is thirty thousand parameters the server parses, plans and binds one by one; this
 * is one text whatever the row count, kept prepared (`runPrepared`).
 */
export function unnestRows<R>(rows: readonly R[], columns: readonly (readonly [keyof R & string, PgArrayType])[]) {
  const arrays = columns.map(([column, type]) => {
    const values = rows.map((r) => r[column] ?? null);
    return sql`${values}::${sql.raw(type)}[]`;
  });
  return sql`select * from unnest(${sql.join(arrays)})`;
}

/**
 * `column in (values)` on SQLite; `column = any($1)` on PostgreSQL, one array parameter however
 * many values: one statement text, parsed and planned alike for any count.
 */
export function inList(database: Database, column: string, values: readonly (number | string)[]): RawBuilder<SqlBool> {
  return database.dialect === 'postgres'
    ? sql<SqlBool>`${sql.ref(column)} = any(${values})`
    : sql<SqlBool>`${sql.ref(column)} in (${sql.join(values)})`;
}

/**
 * A row's `tenant_id` where rows are found by their ids: on SQLite with a unary plus, which keeps
 * the planner on the primary key. Without statistics (SQLite has none unless ANALYZE ran) it
 * otherwise takes the tenant's equality for as selective as a short id list and reads every row of
 * the tenant through a tenant index: 5 ms for ten calls of a 35,000-customer job.
 */
export function tenantOfRowsById(database: Database, column: string): RawBuilder<number> {
  return database.dialect === 'sqlite' ? sql<number>`+${sql.ref(column)}` : sql<number>`${sql.ref(column)}`;
}

/** A read's tenant id as a `stableParam`. */
export const tenantParam = (database: Database, tenantId: number) => stableParam(database, tenantId, 'integer');

/** Values as one JSON list, `[value, …]`: SQLite answers it as text, PostgreSQL as a parsed value. */
export function jsonList(database: Database, values: readonly Expression<unknown>[]): RawBuilder<unknown> {
  return database.dialect === 'sqlite'
    ? sql`json_array(${sql.join(values)})`
    : sql`json_build_array(${sql.join(values)})`;
}

/**
 * Rows as one JSON value: a list of `[value, …]` lists in `order` (empty when there are none),
 * aggregated inside a select of the rows. A read of several lists in one statement needs no row
 * objects for them and, on PostgreSQL, no round trip of its own. `parseJson`
 * (repositories/rows.ts) reads it on both databases.
 */
export function jsonRows(
  database: Database,
  values: readonly Expression<unknown>[],
  order: readonly Expression<unknown>[],
): RawBuilder<unknown> {
  const row = jsonList(database, values);
  const by = sql.join(order);
  return database.dialect === 'sqlite'
    ? sql`json_group_array(${row} order by ${by})`
    : sql`coalesce(json_agg(${row} order by ${by}), '[]')`;
}

export const DEFAULT_DATABASE_URL = 'sqlite:./data/outcall.db';

export interface DatabaseOptions {
  /** PostgreSQL pool size. */
  poolSize?: number;
  /** Sees every query Kysely runs (tests count them). */
  log?: (event: LogEvent) => void;
}

/** Query parameters that carry a secret: password, sslpassword, and the like. */
const SECRET_PARAMETER = /pass|secret|token/i;

/**
 * A PostgreSQL URL fit for a log: the password of the user part and every password-like query
 * parameter become `***`. Parsed with the WHATWG URL parser, as pg's own connection-string parser
 * does, so the user part ends at the same `@` pg takes (a password may hold a raw `@`). A URL that
 * does not parse shows only its scheme.
 */
export function redactDatabaseUrl(url: string): string {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    return `${/^[a-z][a-z0-9+.-]*:/i.exec(url)?.[0] ?? ''}//***`;
  }
  if (parsed.password) parsed.password = '***';
  for (const name of [...parsed.searchParams.keys()])
    if (SECRET_PARAMETER.test(name)) parsed.searchParams.set(name, '***');
  // searchParams' serialization percent-encodes `*`: shown as typed.
  return parsed.toString().replaceAll('%2A%2A%2A', '***');
}

export function isPostgresUrl(url: string): boolean {
  return /^postgres(ql)?:\/\//i.test(url);
}

/** The SQLite file a DATABASE_URL names, resolved; undefined for PostgreSQL and for `:memory:`. */
export function sqliteFileOf(url: string): string | undefined {
  if (isPostgresUrl(url)) return undefined;
  const path = url.replace(/^(sqlite|file):(\/\/)?/i, '');
  return path === ':memory:' ? undefined : resolve(path);
}

/**
 * Creates the folder of a SQLite file. Failing, it says so as SQLite would (SQLITE_CANTOPEN), so
 * that every command reports it as the database DATABASE_URL names (config.ts databaseRefusal).
 */
export function makeFolderOf(file: string): void {
  try {
    mkdirSync(dirname(file), { recursive: true });
  } catch (error) {
    throw Object.assign(new Error((error as Error).message, { cause: error }), { code: 'SQLITE_CANTOPEN' });
  }
}

/** `postgres://…` selects PostgreSQL; `sqlite:PATH`, `file:PATH` or a bare path selects SQLite. */
export function createDatabase(url: string = DEFAULT_DATABASE_URL, options: DatabaseOptions = {}): Database {
  return isPostgresUrl(url)
    ? createPostgres(url, options)
    : createSqlite(url.replace(/^(sqlite|file):(\/\/)?/i, ''), options);
}

// 64-bit integers (ids, epoch milliseconds, counts) come back from pg as strings; every such value
// this service stores fits a double exactly, so they are parsed into numbers once, here.
pg.types.setTypeParser(pg.types.builtins.INT8, (v) => Number(v));

function createPostgres(url: string, options: DatabaseOptions): Database {
  // JIT compilation pays off for long analytic queries; for this service's short indexed queries it
  // only adds tens of milliseconds whenever the planner's estimate crosses jit_above_cost.
  const pool = new pg.Pool({ connectionString: url, max: options.poolSize ?? 10, options: '-c jit=off' });
  // A pooled connection that dies while idle (database restart, an administrator or a proxy ending
  // it) is dropped by the pool and replaced on next use; unheard, its 'error' would end the process.
  pool.on('error', () => {});
  const db = new Kysely<DB>({ dialect: new PostgresDialect({ pool: new PreparingPool(pool) }), log: options.log });
  const location = redactDatabaseUrl(url);
  const database = new Database(db, 'postgres', location);
  pools.set(database, pool);
  return database;
}

const pools = new WeakMap<Database, pg.Pool>();

/**
 * The pool as Kysely sees it (its `PostgresPool` interface): each connection handed out as a
 * `PreparingClient`, one per pg client (Kysely keeps its own connection object per client).
 */
class PreparingPool implements PostgresPool {
  private readonly clients = new WeakMap<pg.PoolClient, PreparingClient>();

  constructor(private readonly pool: pg.Pool) {}

  async connect(): Promise<PreparingClient> {
    const client = await this.pool.connect();
    let preparing = this.clients.get(client);
    if (!preparing) {
      preparing = new PreparingClient(client);
      this.clients.set(client, preparing);
    }
    return preparing;
  }

  end(): Promise<void> {
    return this.pool.end();
  }
}

/**
 * A pooled connection that runs the statements kept prepared (FIXED_TEXTS) as pg's named
 * statements, `{ name, text, values }`: parsed and planned once per connection, not on every run
 * (getTaskDetail's read took a quarter of the time, the key look-up a third). Other statements go
 * through as they are.
 *
 * pg remembers which names it has prepared on a connection and from then on only binds them. When
 * the server no longer has them — `DEALLOCATE ALL`/`DISCARD ALL` run by a connection pooler, or a
 * pooler that moved this connection to another server after a failover — the run fails with
 * SQLSTATE 26000. pg has no call to forget a name, so this connection moves on to a new set of
 * names (`…_g1`, `…_g2`), prepared afresh as they are next run, and the failed statement is run
 * again once. A prepared read that PostgreSQL refuses to run again because its result type changed
 * (a table altered under a running server: SQLSTATE 0A000) runs unprepared from then on, on this
 * connection. Inside a transaction the error aborted it: nothing is run again there, the error goes
 * to the caller, and the next run (after the rollback) finds the new names already in use.
 *
 * A transaction's `begin` waits for its first statement: one without parameters goes with it in
 * one message (`begin; …`, one round trip instead of two, as a claim's lock does); one with
 * parameters, or a cursor, goes after it as before. A transaction ended before any statement sends
 * nothing.
 */
class PreparingClient implements PostgresPoolClient {
  /** Set anew after each 26000: the names this connection's statements are prepared under. */
  private generation = 0;
  private readonly unprepared = new Set<string>();
  /** The `begin` of a transaction whose first statement has not come yet. */
  private pendingBegin: string | undefined;

  constructor(readonly client: pg.PoolClient) {}

  query<R>(text: string, values: readonly unknown[]): Promise<PostgresQueryResult<R>>;
  query<R>(cursor: PostgresCursor<R>): PostgresCursor<R>;
  query(textOrCursor: string | PostgresCursor<unknown>, values?: readonly unknown[]): unknown {
    if (typeof textOrCursor !== 'string') {
      // pg sends its queries in turn: the begin goes first (a failure of it fails the cursor's read too).
      if (this.pendingBegin !== undefined) this.plain(this.takePendingBegin(), []).catch(() => undefined);
      return this.client.query(textOrCursor as never);
    }
    return this.withBegin(textOrCursor, values ?? []);
  }

  release(destroy?: boolean): void {
    this.pendingBegin = undefined;
    this.client.release(destroy);
  }

  private takePendingBegin(): string {
    const begin = this.pendingBegin!;
    this.pendingBegin = undefined;
    return begin;
  }

  private async withBegin(text: string, values: readonly unknown[]): Promise<PostgresQueryResult<never>> {
    if (this.pendingBegin === undefined) {
      if (values.length > 0 || !/^(begin|start transaction)\b/i.test(text)) return this.run(text, values);
      this.pendingBegin = text;
      return NOTHING_SENT;
    }
    if (/^(commit|rollback)$/i.test(text)) {
      this.pendingBegin = undefined;
      return NOTHING_SENT;
    }
    const begin = this.takePendingBegin();
    if (values.length > 0) {
      await this.plain(begin, []);
      return this.run(text, values);
    }
    // One simple-protocol message with two statements: pg answers a result for each.
    const results = (await this.plain(`${begin}; ${text}`, [])) as unknown as PostgresQueryResult<never>[];
    return results[results.length - 1]!;
  }

  private async run(text: string, values: readonly unknown[]): Promise<PostgresQueryResult<never>> {
    const name = FIXED_TEXTS.get(text);
    if (name === undefined || this.unprepared.has(text)) return this.plain(text, values);
    try {
      return await this.named(name, text, values);
    } catch (error) {
      const code = (error as { code?: string } | undefined)?.code;
      if (code === '26000') this.generation++;
      else if (code === '0A000') this.unprepared.add(text);
      else throw error;
      // Run again only outside a transaction: inside one, the failure aborted it.
      if (this.client.getTransactionStatus() !== 'I') throw error;
      return code === '26000' ? this.named(name, text, values) : this.plain(text, values);
    }
  }

  private named(name: string, text: string, values: readonly unknown[]): Promise<PostgresQueryResult<never>> {
    const generation = this.generation;
    const query = { name: generation === 0 ? name : `${name}_g${generation}`, text, values: [...values] };
    return this.client.query(query) as unknown as Promise<PostgresQueryResult<never>>;
  }

  private plain(text: string, values: readonly unknown[]): Promise<PostgresQueryResult<never>> {
    return this.client.query(text, [...values]) as unknown as Promise<PostgresQueryResult<never>>;
  }
}

/** The answer to a statement not sent (yet): a transaction's `begin`, its end when nothing ran in it. */
const NOTHING_SENT: PostgresQueryResult<never> = { command: 'SELECT', rowCount: 0, rows: [] };

/** The PostgreSQL pool's connections (for metrics); undefined on SQLite. */
export function poolStats(database: Database): { total: number; idle: number; waiting: number } | undefined {
  const pool = pools.get(database);
  return pool && { total: pool.totalCount, idle: pool.idleCount, waiting: pool.waitingCount };
}

function createSqlite(path: string, options: DatabaseOptions): Database {
  const file = path === ':memory:' ? path : resolve(path);
  if (file !== ':memory:') makeFolderOf(file);
  const sqlite = new SqliteDatabase(file);
  sqlite.pragma('journal_mode = WAL');
  sqlite.pragma('synchronous = NORMAL');
  sqlite.pragma('foreign_keys = ON');
  sqlite.pragma('busy_timeout = 5000');
  sqlite.pragma('case_sensitive_like = ON'); // LIKE behaves as on PostgreSQL
  // A 32 MB page cache (the default is 2 MB) keeps the hot index pages of a large database in
  // memory; sorts and temporary b-trees stay in memory too.
  sqlite.pragma('cache_size = -32768');
  sqlite.pragma('temp_store = MEMORY');
  const version = new SqliteDataVersion(sqlite);
  const checkpointer = file === ':memory:' ? undefined : startWalCheckpointer(sqlite, file);
  const db = new Kysely<DB>({
    dialect: new ImmediateSqliteDialect({ database: withStatementCache(sqlite, version) }, () =>
      checkpointer?.committed(),
    ),
    log: options.log,
  });
  const database = new Database(db, 'sqlite', file);
  dataVersions.set(database, version);
  if (checkpointer) checkpointers.set(database, checkpointer);
  return database;
}

/**
 * What a cached answer is checked against on SQLite (http/answerCache.ts, services/auth.ts): a text
 * that changes whenever the data may have changed. Another connection's commit — another process,
 * or another handle in this one — changes `PRAGMA data_version`; this connection's own writes are
 * counted as they are prepared (Kysely prepares each statement it runs), whatever they write but
 * the bookkeeping no answer reads (rate-limit slots and v2 nonces, taken on every request; call
 * engines' leases, written by every claim and heartbeat; the scheduler's
 * lease, renewed every few seconds). A write
 * is counted before it commits, and a rolled-back one too: a version may change for nothing, but
 * never stays the same over a change. `begin immediate` writes nothing itself (SQLite calls it a
 * write: it takes the write lock): not counted, or every transaction that only reads — the
 * callback dispatcher's claim, four times a second — would set every kept answer aside.
 */
class SqliteDataVersion {
  /** This connection's statements that write data answers read. */
  writes = 0;
  private readonly pragma: SqliteDatabase.Statement;

  constructor(sqlite: SqliteDatabase.Database) {
    this.pragma = sqlite.prepare('pragma data_version').pluck();
  }

  current(): string {
    return `${this.pragma.get()}.${this.writes}`;
  }
}

/** Writes to these tables change nothing an answer shows: see SqliteDataVersion (engine_key: migration 0029; call_lease: 0028; scheduler_lease: 0030; announcement_clip: 0032). */
const UNREAD_BOOKKEEPING =
  /^\s*(insert\s+into|update|delete\s+from)\s+"?(rate_limit|signature_nonce|engine_key|call_lease|scheduler_lease|announcement_clip)"?[\s(]/i;
/** Transaction control: it writes nothing itself (see SqliteDataVersion). */
const TRANSACTION_CONTROL = /^\s*begin\b/i;

const dataVersions = new WeakMap<Database, SqliteDataVersion>();

/**
 * The current data version of a SQLite database (see SqliteDataVersion), read without a query
 * through Kysely; undefined on PostgreSQL and inside a transaction.
 */
export function sqliteDataVersion(database: Database): string | undefined {
  return dataVersions.get(database)?.current();
}

/**
 * Keeps the most recently used prepared statements by SQL text: Kysely prepares every query it
 * runs, and preparing costs more than running most of this service's queries. A statement still
 * being iterated is not handed out twice. Long statements (multi-row inserts, long IN lists, each
 * length a text of its own) are not kept: their preparation is shared by many rows anyway, and
 * keeping them would hold megabytes. The reads compiled once (`compiledOnce`) are kept whatever
 * their length: there are few of them.
 */
function withStatementCache(
  sqlite: SqliteDatabase.Database,
  version: SqliteDataVersion,
  size = 300,
  longest = 2048,
): SqliteDialectConfig['database'] {
  const cache = new Map<string, SqliteDatabase.Statement>();
  // Whether a statement counts as a write for the data version, by statement (decided once per text).
  const counted = new WeakMap<SqliteDatabase.Statement, boolean>();
  const run = (statement: SqliteDatabase.Statement, text: string) => {
    let counts = counted.get(statement);
    if (counts === undefined) {
      counts = !statement.readonly && !UNREAD_BOOKKEEPING.test(text) && !TRANSACTION_CONTROL.test(text);
      counted.set(statement, counts);
    }
    if (counts) version.writes++;
    return statement;
  };
  return {
    close: () => sqlite.close(),
    prepare(text: string) {
      if (text.length > longest && !FIXED_TEXTS.has(text)) return run(sqlite.prepare(text), text);
      const cached = cache.get(text);
      if (cached && !cached.busy) {
        cache.delete(text);
        cache.set(text, cached);
        return run(cached, text);
      }
      const statement = run(sqlite.prepare(text), text);
      cache.set(text, statement);
      if (cache.size > size) cache.delete(cache.keys().next().value!);
      return statement;
    },
  };
}

/*
 * Every transaction here reads, then writes. SQLite's plain (deferred) `begin` takes the write lock
 * only at the first write, and if another process wrote in between the transaction fails at once
 * with "database is locked" — busy_timeout does not help. `begin immediate` takes the write lock at
 * the start, so writers in other processes (a CLI command beside the server) wait their turn.
 */
class ImmediateSqliteDialect extends SqliteDialect {
  constructor(
    private readonly settings: SqliteDialectConfig,
    /** Told of each commit (the WAL checkpointer). */
    private readonly afterCommit: () => void,
  ) {
    super(settings);
  }

  override createDriver(): Driver {
    const afterCommit = this.afterCommit;
    return new (class extends SqliteDriver {
      override async beginTransaction(connection: DatabaseConnection): Promise<void> {
        await connection.executeQuery(CompiledQuery.raw('begin immediate'));
      }

      override async commitTransaction(connection: DatabaseConnection): Promise<void> {
        await super.commitTransaction(connection);
        afterCommit();
      }
    })(this.settings);
  }
}
