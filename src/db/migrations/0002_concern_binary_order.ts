import { type Kysely, sql } from 'kysely';
import type { Dialect } from '../database.js';

/*
 * Concern texts order by code point on PostgreSQL as they do on SQLite. getTaskDetail's top ten
 * concerns break equal hit counts by text, and a PostgreSQL database created with a language
 * collation (en_US.UTF-8, ICU zh-Hans…) orders such ties differently from SQLite's BINARY — the
 * same data would then show a different list. The "C" collation is byte order, like SQLite's.
 * SQLite already compares text as BINARY: nothing to do there.
 */
export async function up(db: Kysely<any>, dialect: Dialect): Promise<void> {
  if (dialect !== 'postgres') return;
  await sql`alter table job_concern_stats alter column concern type text collate "C"`.execute(db);
}
