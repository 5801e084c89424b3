import { type Kysely, sql } from 'kysely';
import type { Dialect } from '../database.js';

/*
 * PostgreSQL: a small pending list for the trigram indexes of 0003. GIN buffers new entries in a
 * pending list (4 MB by default) that every search reads in full until it is merged; after a bulk
 * ingestion, or many customer updates (each a new row version with its own name entry), searches
 * measured 25–30 ms slower. 256 kB bounds that to about a millisecond; inserts merge more often.
 * The lists pending now are merged here. SQLite's FTS5 merges its segments itself: nothing to do.
 * Frozen in time: later changes are new migrations.
 */
export async function up(db: Kysely<any>, dialect: Dialect): Promise<void> {
  if (dialect !== 'postgres') return;
  for (const index of ['call_record_phone_trgm', 'customer_person_name_trgm']) {
    await sql.raw(`alter index ${index} set (gin_pending_list_limit = 256)`).execute(db);
    await sql.raw(`select gin_clean_pending_list('${index}'::regclass)`).execute(db);
  }
}
