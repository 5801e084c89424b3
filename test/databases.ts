import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import type { Dialect } from '../src/db/database.js';

/*
 * Empty, unmigrated databases of a chosen dialect, for tests that must control migration
 * themselves (concurrent starts) or need both dialects at once (cross-dialect comparison).
 * PostgreSQL ones are created from TEST_DATABASE_URL and dropped afterwards.
 */

export interface ScratchDatabase {
  dialect: Dialect;
  /** DATABASE_URL of the empty database. */
  url: string;
  drop(): Promise<void>;
}

export const postgresAdminUrl = process.env.TEST_DATABASE_URL;

export async function scratchDatabase(
  dialect: Dialect,
  options: { icuLocale?: string } = {},
): Promise<ScratchDatabase> {
  if (dialect === 'sqlite') {
    const dir = mkdtempSync(join(tmpdir(), 'outcall-scratch-'));
    return {
      dialect,
      url: `sqlite:${join(dir, 'scratch.db')}`,
      drop: async () => rmSync(dir, { recursive: true, force: true }),
    };
  }
  if (!postgresAdminUrl) throw new Error('a PostgreSQL scratch database needs TEST_DATABASE_URL');
  const name = `outcall_scratch_${process.pid}_${Math.random().toString(36).slice(2, 10)}`;
  // An ICU locale gives the database a collation other than the C order SQLite compares text in.
  const locale = options.icuLocale
    ? ` template template0 locale_provider icu icu_locale '${options.icuLocale.replace(/'/g, '')}'`
    : '';
  await admin(`create database ${name}${locale}`);
  const url = new URL(postgresAdminUrl);
  url.pathname = `/${name}`;
  return { dialect, url: url.toString(), drop: () => admin(`drop database if exists ${name} with (force)`) };
}

async function admin(statement: string): Promise<void> {
  const client = new pg.Client({ connectionString: postgresAdminUrl });
  await client.connect();
  try {
    await client.query(statement);
  } finally {
    await client.end();
  }
}
