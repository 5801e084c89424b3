import { type Kysely, sql } from 'kysely';
import type { Dialect } from '../database.js';

/*
 * SQLite only: the concern rollup's triggers of migration 0020 made a record's concern set with
 * an ordered aggregate, `json_group_array(distinct value order by value)`, which SQLite parses
 * only from 3.44 on. The service's own SQLite is newer, but the schema is parsed by whatever opens
 * the file, and the system's `sqlite3` of Debian 12 (3.40) refused the whole database ("malformed
 * database schema"). Each such trigger is made again from its stored text with the same set made
 * the older way: the distinct strings in a subquery ordered by value, aggregated in that order
 * (SQLite does not flatten an ordered subquery into an aggregate, so the order holds). The set is
 * byte for byte the one 0020 stored. Frozen in time: later changes are new migrations.
 */
const ORDERED_AGGREGATE =
  /\(select json_group_array\(distinct value order by value\) from json_each\(([^()]*)\) where type = 'text'\)/g;
const ORDERED_SUBQUERY =
  "(select json_group_array(value) from (select distinct value from json_each($1) where type = 'text' order by value))";

export async function up(db: Kysely<any>, dialect: Dialect): Promise<void> {
  if (dialect !== 'sqlite') return;
  const { rows } = await sql<{ name: string; sql: string }>`
    select name, sql from sqlite_master where type = 'trigger' and sql like '%order by value)%'`.execute(db);
  for (const trigger of rows) {
    await sql.raw(`drop trigger ${trigger.name}`).execute(db);
    await sql.raw(trigger.sql.replace(ORDERED_AGGREGATE, ORDERED_SUBQUERY)).execute(db);
  }
}
