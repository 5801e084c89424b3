import { type Kysely, sql } from 'kysely';
import type { Dialect } from '../database.js';

/*
 * The later list's chatDurationMin/Max and customerConcern filters (migration 0010) are not in
 * call_record_count's key, so their totals counted a job's records one by one (a 1M-record job:
 * 90–340 ms). Two rollups answer them exactly instead, beside call_record_count and kept the same
 * way. Frozen in time: later changes are new migrations.
 *
 * - call_record_duration_count: records per tenant, job, training flag, chat_duration (seconds)
 *   and the record's own filter columns of call_record_count (result, intent level, customer
 *   group, dialog flow, hangup side, read status, manual mark) — not the UTC day nor the
 *   customer's follow status: a filter with start bounds or followStatus is counted row by row.
 *   A duration range is one range of the key.
 * - call_record_concern_count: records per tenant, job, training flag, the record's concern set
 *   and the same columns. The set is the distinct strings the concern filter can match, ordered by
 *   code point, as a JSON array (text on SQLite, jsonb on PostgreSQL; the write path's
 *   `JSON.stringify` of the sorted strings is byte for byte SQLite's `json_group_array`). "Records
 *   mentioning one of these concerns" is then a sum over the sets that meet them, tested with the
 *   record filter's own test. Records without a concern are left out: no concern filter selects them.
 *   A job has as many rows as distinct (set, columns) pairs: a script's concerns make few sets.
 * - New records are counted by the write path (repositories/callRecords.ts `addRecordCounts`); a
 *   record whose key column changes moves its count by trigger (row by row, only when a key column
 *   changed: markLastCalls' is_last flips fire none); deletes are taken back by trigger (on
 *   PostgreSQL one grouped statement per DELETE, so deleting a job is one update per table).
 * Rebuild: run `fillRecordRollups` below.
 */

/** The record's own columns both rollups share with call_record_count, as a key. */
const DIMENSIONS = [
  'result_status',
  'intent_level',
  'customer_group_id',
  'dialog_flow_id',
  'hangup_by',
  'read_status',
  'manual_marked',
];
export const DURATION_KEY = ['tenant_id', 'job_id', 'is_training', 'chat_duration', ...DIMENSIONS];
export const CONCERN_KEY = ['tenant_id', 'job_id', 'is_training', 'concerns', ...DIMENSIONS];

/** The record columns of each key: a change to any moves the record's count. */
const DURATION_COLUMNS = DURATION_KEY;
const CONCERN_COLUMNS = ['tenant_id', 'job_id', 'is_training', 'customer_concern', ...DIMENSIONS];

/** The shared columns of a record `r` (a row alias or OLD/NEW), nulls as call_record_count has them. */
const dimensionList = (r: string) => [
  `${r}.result_status`,
  `${r}.intent_level`,
  `coalesce(${r}.customer_group_id, 0)`,
  `${r}.dialog_flow_id`,
  `coalesce(${r}.hangup_by, '')`,
  `${r}.read_status`,
  `${r}.manual_marked`,
];
const dimensionsOf = (r: string) => dimensionList(r).join(', ');
const durationKeyOf = (r: string) =>
  `${r}.tenant_id, ${r}.job_id, ${r}.is_training, ${r}.chat_duration, ${dimensionsOf(r)}`;

/**
 * The concern set of a stored customer_concern, or what marks none ('[]' on SQLite, null on
 * PostgreSQL). It holds exactly the strings each database's filter test finds in the value:
 * SQLite's `json_each` text values; PostgreSQL's `jsonb_exists_any` string elements of an array,
 * keys of an object or the string itself (the service stores arrays of strings only).
 */
const concernSetOf = (pg: boolean, value: string) =>
  pg
    ? `call_record_concern_set(${value})`
    : `(select json_group_array(distinct value order by value) from json_each(${value}) where type = 'text')`;

const cleared = (table: string) => `delete from ${table}`;

/** Fills both rollups from call_record (emptied first): one row per key with its number of records. */
export async function fillRecordRollups(db: Kysely<any>, dialect: Dialect): Promise<void> {
  const pg = dialect === 'postgres';
  const run = (text: string) => sql.raw(text).execute(db);
  await run(cleared('call_record_duration_count'));
  await run(cleared('call_record_concern_count'));
  await run(`insert into call_record_duration_count (${DURATION_KEY.join(', ')}, records)
    select ${durationKeyOf('r')}, count(*) from call_record r where true group by ${durationKeyOf('r')}`);
  await run(`insert into call_record_concern_count (${CONCERN_KEY.join(', ')}, records)
    ${concernCounts(pg, 'call_record', '')}`);
}

/**
 * The rows of call_record_concern_count that count the records of `table` (call_record, or a
 * trigger's transition table), times `sign`: the records are grouped by their stored concerns
 * first, so the set is made once per distinct value, not once per record. Most records mention
 * nothing ('[]', as stored): their sets are not made at all.
 */
function concernCounts(pg: boolean, table: string, sign: '' | '-'): string {
  const none = pg ? `'[]'::jsonb` : `'[]'`;
  const key = CONCERN_KEY.join(', ');
  const stored = `r.tenant_id, r.job_id, r.is_training, r.customer_concern, ${dimensionsOf('r')}`;
  const named = dimensionList('r')
    .map((e, i) => `${e} as ${DIMENSIONS[i]}`)
    .join(', ');
  return `select ${key}, ${sign}sum(n) from (
      select ${CONCERN_KEY.map((c) => (c === 'concerns' ? `${concernSetOf(pg, 'customer_concern')} as concerns` : c)).join(', ')}, n
      from (select r.tenant_id, r.job_id, r.is_training, r.customer_concern, ${named}, count(*) as n
        from ${table} r where r.customer_concern <> ${none} group by ${stored}) g) s
    where concerns is not null and concerns <> ${none}
    group by ${key}
    order by ${key}`;
}

export async function up(db: Kysely<any>, dialect: Dialect): Promise<void> {
  const pg = dialect === 'postgres';
  const run = (text: string) => sql.raw(text).execute(db);

  const dimensionColumns = (t: ReturnType<typeof db.schema.createTable>) =>
    t
      .addColumn('result_status', 'text', (c) => c.notNull())
      .addColumn('intent_level', 'text', (c) => c.notNull())
      // 0: the record has no customer group.
      .addColumn('customer_group_id', 'bigint', (c) => c.notNull())
      .addColumn('dialog_flow_id', 'bigint', (c) => c.notNull())
      // '': the record does not say who hung up.
      .addColumn('hangup_by', 'text', (c) => c.notNull())
      .addColumn('read_status', 'text', (c) => c.notNull())
      .addColumn('manual_marked', 'integer', (c) => c.notNull())
      .addColumn('records', 'bigint', (c) => c.notNull());
  await dimensionColumns(
    db.schema
      .createTable('call_record_duration_count')
      .addColumn('tenant_id', 'bigint', (c) => c.notNull())
      .addColumn('job_id', 'bigint', (c) => c.notNull())
      .addColumn('is_training', 'integer', (c) => c.notNull())
      .addColumn('chat_duration', 'integer', (c) => c.notNull()),
  )
    .addPrimaryKeyConstraint('call_record_duration_count_pk', DURATION_KEY as any)
    .modifyEnd(pg ? sql`` : sql`without rowid`)
    .execute();
  await dimensionColumns(
    db.schema
      .createTable('call_record_concern_count')
      .addColumn('tenant_id', 'bigint', (c) => c.notNull())
      .addColumn('job_id', 'bigint', (c) => c.notNull())
      .addColumn('is_training', 'integer', (c) => c.notNull())
      .addColumn('concerns', pg ? 'jsonb' : 'text', (c) => c.notNull()),
  )
    .addPrimaryKeyConstraint('call_record_concern_count_pk', CONCERN_KEY as any)
    .modifyEnd(pg ? sql`` : sql`without rowid`)
    .execute();

  if (pg) {
    // Code point order ("C"), as SQLite's BINARY and the write path sort.
    await run(`create function call_record_concern_set(c jsonb) returns jsonb language sql immutable as $$
      select jsonb_agg(s order by s collate "C") from (
        select distinct s from (
          select e #>> '{}' as s from jsonb_array_elements(case jsonb_typeof(c) when 'array' then c end) e
          where jsonb_typeof(e) = 'string'
          union all select k from jsonb_object_keys(case jsonb_typeof(c) when 'object' then c end) k
          union all select c #>> '{}' where jsonb_typeof(c) = 'string') y) x $$`);
  }
  await fillRecordRollups(db, dialect);

  const upsert = (table: string, key: string[]) =>
    `on conflict (${key.join(', ')}) do update set records = ${table}.records + excluded.records`;
  const durationUpsert = upsert('call_record_duration_count', DURATION_KEY);
  const concernUpsert = upsert('call_record_concern_count', CONCERN_KEY);
  const changed = (columns: string[], distinct: string) =>
    columns.map((c) => `old.${c} ${distinct} new.${c}`).join(' or ');
  const durationMove = (r: string, sign: string) =>
    `insert into call_record_duration_count (${DURATION_KEY.join(', ')}, records)
      values (${durationKeyOf(r)}, ${sign}) ${durationUpsert};`;
  const concernMove = (r: string, sign: string) =>
    `insert into call_record_concern_count (${CONCERN_KEY.join(', ')}, records)
      select ${r}.tenant_id, ${r}.job_id, ${r}.is_training, s.concerns, ${dimensionsOf(r)}, ${sign}
      from (select ${concernSetOf(pg, `${r}.customer_concern`)} as concerns) s
      where s.concerns is not null and s.concerns <> ${pg ? `'[]'::jsonb` : `'[]'`} ${concernUpsert};`;

  if (pg) {
    await run(`create function call_record_rollups_move() returns trigger language plpgsql as $$
      begin
        if ${changed(DURATION_COLUMNS, 'is distinct from')} then
          ${durationMove('old', '-1')}
          ${durationMove('new', '1')}
        end if;
        if ${changed(CONCERN_COLUMNS, 'is distinct from')} then
          ${concernMove('old', '-1')}
          ${concernMove('new', '1')}
        end if;
        return null;
      end $$`);
    await run(`create trigger call_record_rollups_update after update on call_record for each row
      when (${changed([...new Set([...DURATION_COLUMNS, ...CONCERN_COLUMNS])], 'is distinct from')})
      execute function call_record_rollups_move()`);
    // Per statement: deleting a job's million records is one grouped update per table, in key order.
    const gone = durationKeyOf('o');
    await run(`create function call_record_rollups_forget() returns trigger language plpgsql as $$
      begin
        insert into call_record_duration_count (${DURATION_KEY.join(', ')}, records)
        select ${gone}, -count(*) from gone o group by ${gone} order by ${gone} ${durationUpsert};
        insert into call_record_concern_count (${CONCERN_KEY.join(', ')}, records)
        ${concernCounts(true, 'gone', '-')} ${concernUpsert};
        return null;
      end $$`);
    await run(`create trigger call_record_rollups_delete after delete on call_record
      referencing old table as gone for each statement execute function call_record_rollups_forget()`);
    return;
  }

  await run(`create trigger call_record_duration_count_update after update of ${DURATION_COLUMNS.join(', ')} on call_record
    when ${changed(DURATION_COLUMNS, 'is not')}
    begin ${durationMove('old', '-1')} ${durationMove('new', '1')} end`);
  await run(`create trigger call_record_concern_count_update after update of ${CONCERN_COLUMNS.join(', ')} on call_record
    when ${changed(CONCERN_COLUMNS, 'is not')}
    begin ${concernMove('old', '-1')} ${concernMove('new', '1')} end`);
  await run(`create trigger call_record_rollups_delete after delete on call_record
    begin ${durationMove('old', '-1')} ${concernMove('old', '-1')} end`);
  await run('pragma optimize');
}
