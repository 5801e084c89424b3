import { type Kysely, type Migration, type MigrationResultSet, Migrator, sql } from 'kysely';
import type { Database } from './database.js';
import * as m0001 from './migrations/0001_initial.js';
import * as m0002 from './migrations/0002_concern_binary_order.js';
import * as m0003 from './migrations/0003_query_performance.js';
import * as m0004 from './migrations/0004_dialer.js';
import * as m0005 from './migrations/0005_trigram_pending_list.js';
import * as m0006 from './migrations/0006_repair_unreadable_rows.js';
import * as m0007 from './migrations/0007_signature_v2_and_secrets.js';
import * as m0008 from './migrations/0008_rate_limits_do_not_call_audit.js';
import * as m0009 from './migrations/0009_later_api.js';
import * as m0010 from './migrations/0010_call_record_later_filters.js';
import * as m0011 from './migrations/0011_job_windows_and_redial.js';
import * as m0014 from './migrations/0014_callbacks.js';
import * as m0015 from './migrations/0015_console.js';
import * as m0016 from './migrations/0016_count_later_filters.js';
import * as m0017 from './migrations/0017_callback_claim_indexes.js';
import * as m0018 from './migrations/0018_callback_batches.js';
import * as m0019 from './migrations/0019_search_grams.js';
import * as m0020 from './migrations/0020_count_duration_concerns.js';
import * as m0021 from './migrations/0021_call_record_task_flags.js';
import * as m0022 from './migrations/0022_count_last_calls.js';
import * as m0023 from './migrations/0023_call_task_rounds.js';
import * as m0024 from './migrations/0024_job_console_creator.js';
import * as m0025 from './migrations/0025_sqlite_340_triggers.js';
import * as m0026 from './migrations/0026_answer_data_version.js';
import * as m0027 from './migrations/0027_caller_lines.js';
import * as m0028 from './migrations/0028_call_leases.js';
import * as m0029 from './migrations/0029_engine_keys.js';
import * as m0030 from './migrations/0030_scheduler_lease.js';
import * as m0031 from './migrations/0031_dialog_flow_versions.js';
import * as m0032 from './migrations/0032_announcement_clips.js';
import type { DB } from './schema.js';

/** Every migration, in order. Each receives the dialect so one file serves both databases. */
export const MIGRATIONS = {
  '0001_initial': m0001,
  '0002_concern_binary_order': m0002,
  '0003_query_performance': m0003,
  '0004_dialer': m0004,
  '0005_trigram_pending_list': m0005,
  '0006_repair_unreadable_rows': m0006,
  '0007_signature_v2_and_secrets': m0007,
  '0008_rate_limits_do_not_call_audit': m0008,
  '0009_later_api': m0009,
  '0010_call_record_later_filters': m0010,
  '0011_job_windows_and_redial': m0011,
  '0014_callbacks': m0014,
  '0015_console': m0015,
  '0016_count_later_filters': m0016,
  '0017_callback_claim_indexes': m0017,
  '0018_callback_batches': m0018,
  '0019_search_grams': m0019,
  '0020_count_duration_concerns': m0020,
  '0021_call_record_task_flags': m0021,
  '0022_count_last_calls': m0022,
  '0023_call_task_rounds': m0023,
  '0024_job_console_creator': m0024,
  '0025_sqlite_340_triggers': m0025,
  '0026_answer_data_version': m0026,
  '0027_caller_lines': m0027,
  '0028_call_leases': m0028,
  '0029_engine_keys': m0029,
  '0030_scheduler_lease': m0030,
  '0031_dialog_flow_versions': m0031,
  '0032_announcement_clips': m0032,
};

function migratorFor(database: Database, db: Kysely<DB> = database.db): Migrator {
  const migrations: Record<string, Migration> = {};
  for (const [name, m] of Object.entries(MIGRATIONS)) migrations[name] = { up: (db) => m.up(db, database.dialect) };
  return new Migrator({ db, provider: { getMigrations: async () => migrations } });
}

/*
 * Several processes may start at once against one database (N servers behind a load balancer, or
 * a CLI command beside a server); each migration must be applied exactly once and completely.
 * - PostgreSQL: Kysely's migrator holds a session advisory lock around the run and applies the
 *   pending migrations in one transaction, so the first process migrates and the others, once the
 *   lock is theirs, find nothing to do.
 * - SQLite: Kysely takes no lock there and runs migrations outside any transaction, so two
 *   processes both create the first table and one fails. Here the whole run happens inside one
 *   `begin immediate` transaction, which takes the file's write lock first: the others wait
 *   (busy_timeout) and then find it done, and a failed migration leaves nothing half-made.
 */
export async function migrateToLatest(database: Database): Promise<MigrationResultSet> {
  const result =
    database.dialect === 'sqlite'
      ? await database.db.connection().execute(async (connection) => {
          await sql`begin immediate`.execute(connection);
          let outcome: MigrationResultSet | undefined;
          try {
            outcome = await migratorFor(database, connection).migrateToLatest();
          } finally {
            await sql.raw(outcome && !outcome.error ? 'commit' : 'rollback').execute(connection);
          }
          return outcome;
        })
      : await migratorFor(database).migrateToLatest();
  if (result.error) throw result.error instanceof Error ? result.error : new Error(String(result.error));
  return result;
}

export async function migrationStatus(database: Database): Promise<{ name: string; executedAt: Date | null }[]> {
  const list = await migratorFor(database).getMigrations();
  return list.map((m) => ({ name: m.name, executedAt: m.executedAt ?? null }));
}
