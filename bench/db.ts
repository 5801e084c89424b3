import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { sql } from 'kysely';
import pg from 'pg';
import { createDatabase, type Database } from '../src/db/database.js';
import { migrateToLatest } from '../src/db/migrate.js';
import { buildDataset, DATASET_VERSION, type DatasetManifest } from './dataset.js';

/*
 * Where the bench keeps its data sets: a SQLite file, or a PostgreSQL database of its own, under a
 * name that says its size, with a manifest beside it (in data/bench/, git-ignored) so a run can
 * reuse a data set built before instead of spending minutes rebuilding it.
 */

export type BenchDialect = 'sqlite' | 'postgres';

export const BENCH_DIR = resolve('data/bench');
export const DEFAULT_POSTGRES_URL = 'postgres://postgres@127.0.0.1:5432/postgres';

export interface BenchDatabase {
  dialect: BenchDialect;
  /** DATABASE_URL of the data set, for the server process. */
  url: string;
  manifestFile: string;
}

export function benchDatabase(dialect: BenchDialect, records: number, adminUrl: string): BenchDatabase {
  const name = `outcall_bench_${records}`;
  const manifestFile = join(BENCH_DIR, `${name}.${dialect}.json`);
  if (dialect === 'sqlite') return { dialect, url: `sqlite:${join(BENCH_DIR, `${name}.db`)}`, manifestFile };
  const url = new URL(adminUrl);
  url.pathname = `/${name}`;
  return { dialect, url: url.toString(), manifestFile };
}

function readManifest(b: BenchDatabase): DatasetManifest | undefined {
  if (!existsSync(b.manifestFile)) return undefined;
  const m = JSON.parse(readFileSync(b.manifestFile, 'utf8')) as DatasetManifest;
  return m.version === DATASET_VERSION ? m : undefined;
}

async function pgAdmin<T>(adminUrl: string, work: (c: pg.Client) => Promise<T>): Promise<T> {
  const c = new pg.Client({ connectionString: adminUrl });
  await c.connect();
  try {
    return await work(c);
  } finally {
    await c.end();
  }
}

async function dropDatabase(b: BenchDatabase, adminUrl: string): Promise<void> {
  rmSync(b.manifestFile, { force: true });
  if (b.dialect === 'sqlite') {
    const file = b.url.slice('sqlite:'.length);
    for (const suffix of ['', '-wal', '-shm']) rmSync(file + suffix, { force: true });
    return;
  }
  const name = new URL(b.url).pathname.slice(1);
  await pgAdmin(adminUrl, async (c) => {
    await c.query(`drop database if exists ${name} with (force)`);
    await c.query(`create database ${name}`);
  });
}

/** Opens the data set, building it first when there is none (or `rebuild`). Migrates it either way. */
export async function ensureDataset(
  b: BenchDatabase,
  options: { records: number; adminUrl: string; rebuild: boolean; log: (m: string) => void },
): Promise<DatasetManifest> {
  mkdirSync(BENCH_DIR, { recursive: true });
  const existing = options.rebuild ? undefined : readManifest(b);
  if (existing) {
    options.log(
      `reusing the ${b.dialect} data set built ${existing.builtAt} (${existing.totals.callRecords} call records); --rebuild to build it anew`,
    );
    const database = createDatabase(b.url, { poolSize: 2 });
    try {
      const applied = (await migrateToLatest(database)).results?.filter((r) => r.status === 'Success') ?? [];
      if (applied.length > 0) {
        options.log(`applied ${applied.map((r) => r.migrationName).join(', ')}; analyzing`);
        await analyze(database);
      }
    } finally {
      await database.destroy();
    }
    return existing;
  }
  await dropDatabase(b, options.adminUrl);
  const database = createDatabase(b.url, { poolSize: 4 });
  try {
    await migrateToLatest(database);
    options.log(
      `building the ${b.dialect} data set: jobs up to ${options.records} call records, through recordFinishedCalls`,
    );
    const manifest = await buildDataset(database, { records: options.records, log: options.log });
    await analyze(database);
    writeFileSync(b.manifestFile, `${JSON.stringify(manifest, null, 2)}\n`);
    options.log(`built in ${manifest.buildSeconds} s: ${JSON.stringify(manifest.totals)}`);
    return manifest;
  } finally {
    await database.destroy();
  }
}

/** Fresh planner statistics (and, on PostgreSQL, a visibility map for index-only scans). */
export async function analyze(database: Database): Promise<void> {
  if (database.dialect === 'sqlite') {
    await sqlRaw(database, 'analyze');
    await sqlRaw(database, 'pragma wal_checkpoint(truncate)');
  } else {
    await sqlRaw(database, 'vacuum analyze');
  }
}

async function sqlRaw(database: Database, text: string): Promise<void> {
  await sql.raw(text).execute(database.db);
}

export async function databaseVersion(b: BenchDatabase): Promise<string> {
  const database = createDatabase(b.url, { poolSize: 1 });
  try {
    const q =
      b.dialect === 'sqlite'
        ? sql<{ v: string }>`select 'SQLite ' || sqlite_version() as v`
        : sql<{ v: string }>`select version() as v`;
    return (await q.execute(database.db)).rows[0]!.v;
  } finally {
    await database.destroy();
  }
}
