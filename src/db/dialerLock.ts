import SqliteDatabase from 'better-sqlite3';
import { ConfigError } from '../config.js';
import { makeFolderOf, sqliteFileOf } from './database.js';

/*
 * One dialer per SQLite database: a second `serve` (or `outcall dialer`) on the same file would
 * dial the same jobs beside the first. The lock is an exclusive SQLite transaction held open on a
 * small file next to the database (`outcall.db.dialer-lock`): SQLite takes it as an OS file lock,
 * which the OS drops when the process ends however it ends (kill -9 included), so a stale lock
 * never blocks a restart. Processes that do not dial (`serve --no-dialer`, `outcall dispatcher`,
 * the CLI's other commands) take no lock. PostgreSQL needs none: there, dialers claim call tasks
 * with leases, and several may run side by side (docs/operations.md).
 */

export interface DialerLock {
  release(): void;
}

/** Takes the dialer lock of the SQLite database `databaseUrl`, or throws a ConfigError naming who holds it. */
export function lockDialer(databaseUrl: string): DialerLock | undefined {
  const file = sqliteFileOf(databaseUrl);
  if (file === undefined) return undefined;
  makeFolderOf(file);
  // timeout 0: a lock held by another process is refused at once, not waited for.
  const lock = new SqliteDatabase(`${file}.dialer-lock`, { timeout: 0 });
  try {
    // The journal in memory: nothing is written, and no -journal file is left behind.
    lock.pragma('journal_mode = MEMORY');
    lock.exec('BEGIN EXCLUSIVE');
  } catch (error) {
    lock.close();
    if ((error as { code?: string }).code !== 'SQLITE_BUSY') throw error;
    throw new ConfigError(
      `DATABASE_URL ${file} already has a dialer: another outcall process (serve, or outcall dialer) is running on it, and two would dial the same jobs; stop that one, or run this one without a dialer (serve --no-dialer, DIALER_ENABLED=false)`,
    );
  }
  return {
    release: () => {
      if (lock.open) lock.close();
    },
  };
}
