import { mkdirSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import SqliteDatabase from 'better-sqlite3';
import {
  CompiledQuery,
  type DatabaseConnection,
  type Driver,
  Kysely,
  type LogEvent,
  PostgresDialect,
  SqliteDialect,
  type SqliteDialectConfig,
  SqliteDriver,
} from 'kysely';
import pg from 'pg';
import type { DB } from './schema.js';

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

  destroy(): Promise<void> {
    return this.db.destroy();
  }
}

export const DEFAULT_DATABASE_URL = 'sqlite:./data/outcall.db';

export interface DatabaseOptions {
  /** PostgreSQL pool size. */
  poolSize?: number;
  /** Sees every query Kysely runs (tests count them). */
  log?: (event: LogEvent) => void;
}

export function isPostgresUrl(url: string): boolean {
  return /^postgres(ql)?:\/\//i.test(url);
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
  const db = new Kysely<DB>({ dialect: new PostgresDialect({ pool }), log: options.log });
  const location = url.replace(/\/\/[^@/]*@/, '//');
  const database = new Database(db, 'postgres', location);
  pools.set(database, pool);
  return database;
}

const pools = new WeakMap<Database, pg.Pool>();

/** The PostgreSQL pool's connections (for metrics); undefined on SQLite. */
export function poolStats(database: Database): { total: number; idle: number; waiting: number } | undefined {
  const pool = pools.get(database);
  return pool && { total: pool.totalCount, idle: pool.idleCount, waiting: pool.waitingCount };
}

function createSqlite(path: string, options: DatabaseOptions): Database {
  const file = path === ':memory:' ? path : resolve(path);
  if (file !== ':memory:') mkdirSync(dirname(file), { recursive: true });
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
  const db = new Kysely<DB>({
    dialect: new ImmediateSqliteDialect({ database: withStatementCache(sqlite) }),
    log: options.log,
  });
  return new Database(db, 'sqlite', file);
}

/**
 * Keeps the most recently used prepared statements by SQL text: Kysely prepares every query it
 * runs, and preparing costs more than running most of this service's queries. A statement still
 * being iterated is not handed out twice. Long statements (multi-row inserts, long IN lists, each
 * length a text of its own) are not kept: their preparation is shared by many rows anyway, and
 * keeping them would hold megabytes.
 */
function withStatementCache(
  sqlite: SqliteDatabase.Database,
  size = 300,
  longest = 2048,
): SqliteDialectConfig['database'] {
  const cache = new Map<string, SqliteDatabase.Statement>();
  return {
    close: () => sqlite.close(),
    prepare(text: string) {
      if (text.length > longest) return sqlite.prepare(text);
      const cached = cache.get(text);
      if (cached && !cached.busy) {
        cache.delete(text);
        cache.set(text, cached);
        return cached;
      }
      const statement = sqlite.prepare(text);
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
  constructor(private readonly settings: SqliteDialectConfig) {
    super(settings);
  }

  override createDriver(): Driver {
    return new (class extends SqliteDriver {
      override async beginTransaction(connection: DatabaseConnection): Promise<void> {
        await connection.executeQuery(CompiledQuery.raw('begin immediate'));
      }
    })(this.settings);
  }
}
