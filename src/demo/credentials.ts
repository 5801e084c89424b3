import { basename, dirname, isAbsolute, join, relative, resolve } from 'node:path';
import { isPostgresUrl, sqliteFileOf } from '../db/database.js';

/** Where the default database's demo writes its credentials. */
export const DEMO_CREDENTIALS_FILE = 'data/demo-credentials.json';

/**
 * The demo's credentials file for a database: each database has its own demo tenant and console
 * password, so a demo on PostgreSQL must not overwrite (and so reset) the SQLite demo's. A SQLite
 * file keeps it beside itself (`data/demo-credentials.json` for the default `data/outcall.db`,
 * `demo-credentials-NAME.json` for another NAME.db); PostgreSQL under data/, named by database.
 * Relative to the working directory when it lies inside it, as it is shown.
 */
export function demoCredentialsFile(databaseUrl: string): string {
  const sqlite = sqliteFileOf(databaseUrl);
  let file: string;
  if (sqlite !== undefined) {
    const stem = basename(sqlite).replace(/\.(db|sqlite3?)$/i, '');
    file = join(dirname(sqlite), stem === 'outcall' ? 'demo-credentials.json' : `demo-credentials-${safe(stem)}.json`);
  } else if (isPostgresUrl(databaseUrl)) {
    const url = URL.canParse(databaseUrl) ? new URL(databaseUrl) : undefined;
    const name = decodeURIComponent(url?.pathname.slice(1) ?? '') || 'postgres';
    file = resolve('data', `demo-credentials-postgres-${safe(name)}.json`);
  } else file = resolve('data', 'demo-credentials-memory.json');
  const shown = relative(process.cwd(), file);
  return shown.startsWith('..') || isAbsolute(shown) ? file : shown;
}

const safe = (name: string) => name.replace(/[^A-Za-z0-9_.-]/g, '_');
