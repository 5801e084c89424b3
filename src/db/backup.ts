import { existsSync, renameSync, rmSync, statSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import SqliteDatabase from 'better-sqlite3';
import { isPostgresUrl } from './database.js';

/*
 * `outcall backup FILE`: an online copy of a SQLite database while a server writes to it, with
 * SQLite's backup API (better-sqlite3's backup()). The API copies pages in steps and starts over
 * when another connection writes between two steps; under a steady stream of writes small steps
 * might never finish. So after the first (empty) step everything is copied in one step, within one
 * read transaction: in WAL mode that reads a consistent snapshot and does not stop the writers.
 * The copy is written beside FILE and renamed into place once complete and checked, so FILE is
 * either the whole copy or untouched.
 */

export class BackupError extends Error {}

export interface BackupResult {
  file: string;
  bytes: number;
  pages: number;
  ms: number;
}

/** The pg_dump command that does for PostgreSQL what `outcall backup` does for SQLite (password left out). */
export function pgDumpCommand(databaseUrl: string, file: string): string {
  const url = new URL(databaseUrl);
  url.password = '';
  return `pg_dump --format=custom --file=${shellQuote(file)} ${shellQuote(url.toString())}`;
}

const shellQuote = (s: string) => (/^[\w@%+=:,./-]+$/.test(s) ? s : `'${s.replace(/'/g, `'\\''`)}'`);

export async function backupSqlite(databaseUrl: string, file: string, options: { overwrite?: boolean } = {}) {
  if (isPostgresUrl(databaseUrl))
    throw new BackupError(
      `outcall backup copies SQLite databases; for PostgreSQL use pg_dump (online and consistent too):\n  ${pgDumpCommand(databaseUrl, file)}\nand restore it into an empty database with pg_restore --no-owner --dbname=postgres://… ${file}`,
    );
  const source = resolve(databaseUrl.replace(/^(sqlite|file):(\/\/)?/i, ''));
  const target = resolve(file);
  if (!existsSync(source)) throw new BackupError(`no SQLite database at ${source}`);
  if (target === source) throw new BackupError('the backup cannot be the database itself');
  if (existsSync(target) && !options.overwrite) throw new BackupError(`${target} exists (use --force to replace it)`);
  if (!existsSync(dirname(target))) throw new BackupError(`the directory ${dirname(target)} does not exist`);

  const started = Date.now();
  const partial = `${target}.partial-${process.pid}`;
  rmSync(partial, { force: true });
  const db = new SqliteDatabase(source, { readonly: true, fileMustExist: true });
  let pages = 0;
  try {
    db.pragma('busy_timeout = 5000');
    const progress = await db.backup(partial, {
      // Everything in the next step (see above).
      progress: () => 0x7fffffff,
    });
    pages = progress.totalPages;
  } catch (error) {
    rmSync(partial, { force: true });
    throw error;
  } finally {
    db.close();
  }
  // The copy is checked before it takes FILE's place.
  const copy = new SqliteDatabase(partial, { fileMustExist: true });
  let check: string;
  try {
    check = (copy.pragma('quick_check', { simple: true }) as string) ?? '';
  } finally {
    copy.close();
  }
  if (check !== 'ok') {
    rmSync(partial, { force: true });
    throw new BackupError(`the copy failed its check (${check}); nothing was written to ${target}`);
  }
  renameSync(partial, target);
  return { file: target, bytes: statSync(target).size, pages, ms: Date.now() - started } satisfies BackupResult;
}
