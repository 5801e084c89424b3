import { type Kysely, sql } from 'kysely';
import type { Dialect } from '../database.js';

/*
 * The later list's lastCallRecord filter (each call task's latest call, is_last = 1) was counted
 * row by row in the job's range of call_record_job_last (a 1M-record job: about 30 ms on SQLite,
 * 60 ms on PostgreSQL). call_record_last_count answers it exactly instead, kept the way migration
 * 0020 keeps its rollups. Frozen in time: later changes are new migrations.
 *
 * - call_record_last_count: the latest calls (is_last = 1, whatever their training flag: the
 *   filter reads none) per tenant, job, redial number, chat_duration (seconds) and the record
 *   columns of migration 0020's rollups (result, intent level, customer group, dialog flow, hangup
 *   side, read status, manual mark). redialTimes is one value of the key and a duration range one
 *   range after it.
 * - Records inserted as latest are added by the write path (repositories/callRecords.ts
 *   `addLastCallCounts`). Whatever UPDATE then sets or clears is_last, or changes a key column of
 *   a latest call, moves its count by trigger (row by row: −1 under the old key if it was latest,
 *   +1 under the new one if it is); deletes are taken back by trigger (on PostgreSQL one grouped
 *   statement per DELETE, so deleting a job is one update).
 * Rebuild: run `fillLastCallCounts` below.
 */

const DIMENSIONS = [
  'result_status',
  'intent_level',
  'customer_group_id',
  'dialog_flow_id',
  'hangup_by',
  'read_status',
  'manual_marked',
];
export const LAST_KEY = ['tenant_id', 'job_id', 'redial_times', 'chat_duration', ...DIMENSIONS];

/** The key of a record `r` (a row alias or OLD/NEW), nulls as call_record_count has them. */
const lastKeyOf = (r: string) =>
  [
    `${r}.tenant_id`,
    `${r}.job_id`,
    `${r}.redial_times`,
    `${r}.chat_duration`,
    `${r}.result_status`,
    `${r}.intent_level`,
    `coalesce(${r}.customer_group_id, 0)`,
    `${r}.dialog_flow_id`,
    `coalesce(${r}.hangup_by, '')`,
    `${r}.read_status`,
    `${r}.manual_marked`,
  ].join(', ');

/** The record columns whose change moves a latest call's count: the key's and the flag. */
const MOVING_COLUMNS = ['is_last', ...LAST_KEY];

const upsert = `on conflict (${LAST_KEY.join(', ')}) do update set records = call_record_last_count.records + excluded.records`;

/** Fills call_record_last_count from call_record (emptied first): one row per key with its latest calls. */
export async function fillLastCallCounts(db: Kysely<any>): Promise<void> {
  await sql`delete from call_record_last_count`.execute(db);
  await sql
    .raw(`insert into call_record_last_count (${LAST_KEY.join(', ')}, records)
      select ${lastKeyOf('r')}, count(*) from call_record r where r.is_last = 1 group by ${lastKeyOf('r')}`)
    .execute(db);
}

export async function up(db: Kysely<any>, dialect: Dialect): Promise<void> {
  const pg = dialect === 'postgres';
  const run = (text: string) => sql.raw(text).execute(db);

  await db.schema
    .createTable('call_record_last_count')
    .addColumn('tenant_id', 'bigint', (c) => c.notNull())
    .addColumn('job_id', 'bigint', (c) => c.notNull())
    .addColumn('redial_times', 'integer', (c) => c.notNull())
    .addColumn('chat_duration', 'integer', (c) => c.notNull())
    .addColumn('result_status', 'text', (c) => c.notNull())
    .addColumn('intent_level', 'text', (c) => c.notNull())
    // 0: the record has no customer group.
    .addColumn('customer_group_id', 'bigint', (c) => c.notNull())
    .addColumn('dialog_flow_id', 'bigint', (c) => c.notNull())
    // '': the record does not say who hung up.
    .addColumn('hangup_by', 'text', (c) => c.notNull())
    .addColumn('read_status', 'text', (c) => c.notNull())
    .addColumn('manual_marked', 'integer', (c) => c.notNull())
    .addColumn('records', 'bigint', (c) => c.notNull())
    .addPrimaryKeyConstraint('call_record_last_count_pk', LAST_KEY as any)
    .modifyEnd(pg ? sql`` : sql`without rowid`)
    .execute();
  await fillLastCallCounts(db);

  // Only a latest call (before or after) whose flag or key changed moves anything.
  const moves = (distinct: string) =>
    `(old.is_last = 1 or new.is_last = 1) and (${MOVING_COLUMNS.map((c) => `old.${c} ${distinct} new.${c}`).join(' or ')})`;
  const move = (r: 'old' | 'new', sign: string) =>
    `insert into call_record_last_count (${LAST_KEY.join(', ')}, records)
      select ${lastKeyOf(r)}, ${sign} where ${r}.is_last = 1 ${upsert};`;

  if (pg) {
    await run(`create function call_record_last_count_move() returns trigger language plpgsql as $$
      begin
        ${move('old', '-1')}
        ${move('new', '1')}
        return null;
      end $$`);
    await run(`create trigger call_record_last_count_update after update on call_record for each row
      when (${moves('is distinct from')}) execute function call_record_last_count_move()`);
    // Per statement: deleting a job's million records is one grouped update, in key order.
    const gone = lastKeyOf('o');
    await run(`create function call_record_last_count_forget() returns trigger language plpgsql as $$
      begin
        insert into call_record_last_count (${LAST_KEY.join(', ')}, records)
        select ${gone}, -count(*) from gone o where o.is_last = 1 group by ${gone} order by ${gone} ${upsert};
        return null;
      end $$`);
    await run(`create trigger call_record_last_count_delete after delete on call_record
      referencing old table as gone for each statement execute function call_record_last_count_forget()`);
    return;
  }

  await run(`create trigger call_record_last_count_update after update of ${MOVING_COLUMNS.join(', ')} on call_record
    when ${moves('is not')}
    begin ${move('old', '-1')} ${move('new', '1')} end`);
  await run(`create trigger call_record_last_count_delete after delete on call_record when old.is_last = 1
    begin ${move('old', '-1')} end`);
  await run('pragma optimize');
}
