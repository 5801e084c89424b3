import { Migrator, type Migration, type MigrationResultSet } from 'kysely';
import type { Database } from './database.js';
import * as m0001 from './migrations/0001_initial.js';

/** Every migration, in order. Each receives the dialect so one file serves both databases. */
const MIGRATIONS = { '0001_initial': m0001 };

function migratorFor(database: Database): Migrator {
  const migrations: Record<string, Migration> = {};
  for (const [name, m] of Object.entries(MIGRATIONS)) migrations[name] = { up: (db) => m.up(db, database.dialect) };
  // Kysely's migrator holds a lock row for the whole run, so several processes starting at once
  // against one PostgreSQL database apply each migration exactly once.
  return new Migrator({ db: database.db, provider: { getMigrations: async () => migrations } });
}

export async function migrateToLatest(database: Database): Promise<MigrationResultSet> {
  const result = await migratorFor(database).migrateToLatest();
  if (result.error) throw result.error instanceof Error ? result.error : new Error(String(result.error));
  return result;
}

export async function migrationStatus(database: Database): Promise<{ name: string; executedAt: Date | null }[]> {
  const list = await migratorFor(database).getMigrations();
  return list.map((m) => ({ name: m.name, executedAt: m.executedAt ?? null }));
}
