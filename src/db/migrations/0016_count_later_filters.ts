import { type Kysely, sql } from 'kysely';
import type { Dialect } from '../database.js';

/*
 * call_record_count (migration 0003) also counts by which side hung up, read status and manual
 * mark, so the later list's hangupBy, readStatus and realIntent filters (migration 0010), alone or
 * with the filters the table already served, get their exact total from a sum over count rows
 * instead of a count over a job's records. Frozen in time: later changes are new migrations.
 *
 * - The key gains `hangup_by` ('' for a record without one, as `follow_status` is '' for a record
 *   without a customer), `read_status` and `manual_marked`. They take 4 × 2 × 2 values, so a job
 *   has at most 16 times the count rows it had; in practice far fewer (unanswered calls are ended
 *   by the system, hardly a record is marked by hand, only records from before 0010 have no side).
 * - The table is made anew with the wider primary key and filled from call_record (with each
 *   record's customer's follow status), so it equals a recomputation whatever it held before.
 * - The triggers of 0003 are replaced by ones over the wider key. A record's count row also moves
 *   when one of the three new columns changes (no code path changes them today; a hand-made fix
 *   must not leave the totals wrong). New records are still counted by the write path
 *   (repositories/callRecords.ts `addRecordCounts`), not by a trigger.
 * Rebuild: `delete from call_record_count` and run `recountCallRecords` below.
 */

const DAY_MS = 86_400_000;

export const COUNT_KEY = [
  'tenant_id',
  'job_id',
  'is_training',
  'utc_day',
  'result_status',
  'intent_level',
  'customer_group_id',
  'dialog_flow_id',
  'follow_status',
  'hangup_by',
  'read_status',
  'manual_marked',
];
const KEY = COUNT_KEY.join(', ');

/** The count-row key of a call record `r` (a row alias or OLD/NEW) and its customer's follow status. */
const keyOf = (r: string, follow: string) =>
  `${r}.tenant_id, ${r}.job_id, ${r}.is_training, ${r}.start_time / ${DAY_MS}, ${r}.result_status, ${r}.intent_level, coalesce(${r}.customer_group_id, 0), ${r}.dialog_flow_id, ${follow}, coalesce(${r}.hangup_by, ''), ${r}.read_status, ${r}.manual_marked`;
const followOf = (r: string) =>
  `coalesce((select c.follow_status from customer_person c where c.id = ${r}.customer_person_id), '')`;

/** Every record column a count row's key is made of: a change to any moves the record's count. */
const RECORD_KEY_COLUMNS = [
  'tenant_id',
  'job_id',
  'is_training',
  'start_time',
  'result_status',
  'intent_level',
  'customer_group_id',
  'dialog_flow_id',
  'customer_person_id',
  'hangup_by',
  'read_status',
  'manual_marked',
];

/** Fills an empty call_record_count from call_record: one row per key with its number of records. */
export async function recountCallRecords(db: Kysely<any>): Promise<void> {
  const key = keyOf('r', "coalesce(c.follow_status, '')");
  await sql
    .raw(`insert into call_record_count (${KEY}, records)
    select ${key}, count(*)
    from call_record r left join customer_person c on c.id = r.customer_person_id
    where true
    group by ${key}`)
    .execute(db);
}

export async function up(db: Kysely<any>, dialect: Dialect): Promise<void> {
  const pg = dialect === 'postgres';
  const run = (text: string) => sql.raw(text).execute(db);

  // The old triggers first: on SQLite they name the table dropped below.
  const dropTrigger = (name: string, table: string) =>
    run(pg ? `drop trigger if exists ${name} on ${table}` : `drop trigger if exists ${name}`);
  await dropTrigger('call_record_count_update', 'call_record');
  await dropTrigger('call_record_count_delete', 'call_record');
  await dropTrigger('customer_follow_count', 'customer_person');
  if (pg) {
    await run('drop function if exists call_record_count_move()');
    await run('drop function if exists customer_follow_count_move()');
  }
  await db.schema.dropTable('call_record_count').execute();

  await db.schema
    .createTable('call_record_count')
    .addColumn('tenant_id', 'bigint', (c) => c.notNull())
    .addColumn('job_id', 'bigint', (c) => c.notNull())
    .addColumn('is_training', 'integer', (c) => c.notNull())
    .addColumn('utc_day', 'bigint', (c) => c.notNull())
    .addColumn('result_status', 'text', (c) => c.notNull())
    .addColumn('intent_level', 'text', (c) => c.notNull())
    // 0: the record has no customer group.
    .addColumn('customer_group_id', 'bigint', (c) => c.notNull())
    .addColumn('dialog_flow_id', 'bigint', (c) => c.notNull())
    // '': the record has no customer.
    .addColumn('follow_status', 'text', (c) => c.notNull())
    // '': the record does not say who hung up (recorded before migration 0010).
    .addColumn('hangup_by', 'text', (c) => c.notNull())
    .addColumn('read_status', 'text', (c) => c.notNull())
    .addColumn('manual_marked', 'integer', (c) => c.notNull())
    .addColumn('records', 'bigint', (c) => c.notNull())
    .addPrimaryKeyConstraint('call_record_count_pk', COUNT_KEY as any)
    .modifyEnd(pg ? sql`` : sql`without rowid`)
    .execute();
  await recountCallRecords(db);

  const upsert = `on conflict (${KEY}) do update set records = call_record_count.records + excluded.records`;
  if (pg) {
    await run(`create function call_record_count_move() returns trigger language plpgsql as $$
      begin
        insert into call_record_count (${KEY}, records) values (${keyOf('old', followOf('old'))}, -1) ${upsert};
        if tg_op = 'UPDATE' then
          insert into call_record_count (${KEY}, records) values (${keyOf('new', followOf('new'))}, 1) ${upsert};
        end if;
        return null;
      end $$`);
    await run(`create trigger call_record_count_update after update on call_record for each row
      when (${RECORD_KEY_COLUMNS.map((c) => `old.${c} is distinct from new.${c}`).join(' or ')})
      execute function call_record_count_move()`);
    await run(
      `create trigger call_record_count_delete after delete on call_record for each row execute function call_record_count_move()`,
    );
    await run(`create function customer_follow_count_move() returns trigger language plpgsql as $$
      begin
        insert into call_record_count (${KEY}, records)
        select ${keyOf('r', 's.follow_status')}, s.sign * count(*)
        from call_record r cross join (values (old.follow_status, -1), (new.follow_status, 1)) as s (follow_status, sign)
        where r.tenant_id = new.tenant_id and r.customer_person_id = new.id
        group by ${keyOf('r', 's.follow_status')}, s.sign
        order by ${keyOf('r', 's.follow_status')}
        ${upsert};
        return null;
      end $$`);
    await run(`create trigger customer_follow_count after update of follow_status on customer_person for each row
      when (old.follow_status is distinct from new.follow_status) execute function customer_follow_count_move()`);
  } else {
    const move = (r: string, sign: number) =>
      `insert into call_record_count (${KEY}, records) values (${keyOf(r, followOf(r))}, ${sign}) ${upsert};`;
    await run(`create trigger call_record_count_update after update of ${RECORD_KEY_COLUMNS.join(', ')} on call_record
      begin ${move('old', -1)} ${move('new', 1)} end`);
    await run(`create trigger call_record_count_delete after delete on call_record begin ${move('old', -1)} end`);
    const moveCustomer = (follow: string, sign: string) => `insert into call_record_count (${KEY}, records)
      select ${keyOf('r', follow)}, ${sign} * count(*) from call_record r
      where r.tenant_id = new.tenant_id and r.customer_person_id = new.id
      group by ${keyOf('r', follow)} ${upsert};`;
    await run(`create trigger customer_follow_count after update of follow_status on customer_person
      when old.follow_status is not new.follow_status
      begin ${moveCustomer('old.follow_status', '-1')} ${moveCustomer('new.follow_status', '1')} end`);
    await run('pragma optimize');
  }
}
