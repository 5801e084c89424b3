import { mkdirSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import SqliteDatabase from 'better-sqlite3';
import { Kysely, PostgresDialect, SqliteDialect, type LogEvent } from 'kysely';
import pg from 'pg';
import type { DB } from './schema.js';

export type Dialect = 'sqlite' | 'postgres';

export interface Database {
  readonly db: Kysely<DB>;
  readonly dialect: Dialect;
  /** Where it lives, without credentials (for logs). */
  readonly location: string;
  destroy(): Promise<void>;
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
  return isPostgresUrl(url) ? createPostgres(url, options) : createSqlite(url.replace(/^(sqlite|file):(\/\/)?/i, ''), options);
}

// 64-bit integers (ids, epoch milliseconds, counts) come back from pg as strings; every such value
// this service stores fits a double exactly, so they are parsed into numbers once, here.
pg.types.setTypeParser(pg.types.builtins.INT8, (v) => Number(v));

function createPostgres(url: string, options: DatabaseOptions): Database {
  const pool = new pg.Pool({ connectionString: url, max: options.poolSize ?? 10 });
  const db = new Kysely<DB>({ dialect: new PostgresDialect({ pool }), log: options.log });
  const location = url.replace(/\/\/[^@/]*@/, '//');
  return { db, dialect: 'postgres', location, destroy: () => db.destroy() };
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
  const db = new Kysely<DB>({ dialect: new SqliteDialect({ database: sqlite }), log: options.log });
  return { db, dialect: 'sqlite', location: file, destroy: () => db.destroy() };
}
