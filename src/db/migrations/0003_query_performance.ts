import { type Kysely, sql } from 'kysely';
import type { Dialect } from '../database.js';

/*
 * Indexes, counts and search structures that keep getCallRecordInfoList fast on jobs of millions
 * of call records (targets and plans are in BENCHMARKS.md). Frozen in time: later changes are
 * new migrations.
 *
 * 1. `call_record_job_list` replaces `call_record_job_start`: the same leading columns (tenant,
 *    job, training flag, start time, id — the list's order) followed by every record column a
 *    filter reads, so a page is found, and a deep page skipped to, inside the index alone.
 *    `call_record_customer` finds a customer's records (name search, follow-status changes);
 *    on SQLite `call_record_search_probe` checks the job of the records a search finds.
 * 2. `call_record_count`: how many call records each job has per UTC day and per value of every
 *    record filter (result, intent, group, flow, the customer's follow status). An exact
 *    `totalElements` is a sum over a few thousand rows instead of a count over millions.
 *    The write path adds new records (repositories/callRecords.ts `addRecordCounts`, in the same
 *    transaction as the records); the triggers below move counts when a record changes or is
 *    deleted, and when a customer's follow status changes. Rebuild: delete the table's rows and
 *    run the backfill statement below again.
 * 3. Substring search (`searchWords`) of three characters or more: on SQLite, FTS5 tables with the
 *    trigram tokenizer over the called numbers and the customer names, kept by triggers; on
 *    PostgreSQL, pg_trgm GIN indexes (the database must be UTF-8 with a ctype that classifies CJK
 *    as letters, e.g. C.UTF-8 or zh_CN.UTF-8, or Chinese names are not indexed). Both index CJK.
 * 4. SQLite only: the statistics rollups become WITHOUT ROWID tables, stored in key order, so a
 *    job's days (getTaskDetail reads them all) sit together instead of one page per upsert.
 */

/** Milliseconds in the UTC day a count row covers. */
const DAY_MS = 86_400_000;

const COUNT_KEY = [
  'tenant_id',
  'job_id',
  'is_training',
  'utc_day',
  'result_status',
  'intent_level',
  'customer_group_id',
  'dialog_flow_id',
  'follow_status',
];
const KEY = COUNT_KEY.join(', ');

/** The count-row key of a call record `r` (a row alias or OLD/NEW) and its customer's follow status. */
const keyOf = (r: string, follow: string) =>
  `${r}.tenant_id, ${r}.job_id, ${r}.is_training, ${r}.start_time / ${DAY_MS}, ${r}.result_status, ${r}.intent_level, coalesce(${r}.customer_group_id, 0), ${r}.dialog_flow_id, ${follow}`;
const followOf = (r: string) =>
  `coalesce((select c.follow_status from customer_person c where c.id = ${r}.customer_person_id), '')`;

export async function up(db: Kysely<any>, dialect: Dialect): Promise<void> {
  const pg = dialect === 'postgres';
  const run = (text: string) => sql.raw(text).execute(db);

  // 1. Indexes.
  await db.schema.dropIndex('call_record_job_start').execute();
  if (pg) {
    await run(`create index call_record_job_list on call_record (tenant_id, job_id, is_training, start_time, id)
      include (result_status, intent_level, customer_group_id, dialog_flow_id, customer_person_id, called_phone_number)`);
  } else {
    await db.schema
      .createIndex('call_record_job_list')
      .on('call_record')
      .columns([
        'tenant_id',
        'job_id',
        'is_training',
        'start_time',
        'id',
        'result_status',
        'intent_level',
        'customer_group_id',
        'dialog_flow_id',
        'customer_person_id',
        'called_phone_number',
      ])
      .execute();
  }
  await db.schema
    .createIndex('call_record_customer')
    .on('call_record')
    .columns(['tenant_id', 'customer_person_id'])
    .execute();
  // SQLite: the records a full-text search finds are checked for their job in this narrow copy of
  // the key instead of in their wide rows (PostgreSQL rechecks the rows anyway, for the trigrams).
  if (!pg)
    await db.schema
      .createIndex('call_record_search_probe')
      .on('call_record')
      .columns(['id', 'tenant_id', 'job_id', 'is_training'])
      .execute();

  // 2. Counts.
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
    .addColumn('records', 'bigint', (c) => c.notNull())
    .addPrimaryKeyConstraint('call_record_count_pk', COUNT_KEY as any)
    .modifyEnd(pg ? sql`` : sql`without rowid`)
    .execute();
  await run(`insert into call_record_count (${KEY}, records)
    select ${keyOf('r', "coalesce(c.follow_status, '')")}, count(*)
    from call_record r left join customer_person c on c.id = r.customer_person_id
    where true
    group by ${keyOf('r', "coalesce(c.follow_status, '')")}`);

  const upsert = `on conflict (${KEY}) do update set records = call_record_count.records + excluded.records`;
  const recordKeyChanged = [
    'tenant_id',
    'job_id',
    'is_training',
    'start_time',
    'result_status',
    'intent_level',
    'customer_group_id',
    'dialog_flow_id',
    'customer_person_id',
  ];
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
      when (${recordKeyChanged.map((c) => `old.${c} is distinct from new.${c}`).join(' or ')})
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
    await run(`create trigger call_record_count_update after update of ${recordKeyChanged.join(', ')} on call_record
      begin ${move('old', -1)} ${move('new', 1)} end`);
    await run(`create trigger call_record_count_delete after delete on call_record begin ${move('old', -1)} end`);
    const moveCustomer = (follow: string, sign: string) => `insert into call_record_count (${KEY}, records)
      select ${keyOf('r', follow)}, ${sign} * count(*) from call_record r
      where r.tenant_id = new.tenant_id and r.customer_person_id = new.id
      group by ${keyOf('r', follow)} ${upsert};`;
    await run(`create trigger customer_follow_count after update of follow_status on customer_person
      when old.follow_status is not new.follow_status
      begin ${moveCustomer('old.follow_status', '-1')} ${moveCustomer('new.follow_status', '1')} end`);
  }

  // 3. Substring search.
  if (pg) {
    await run('create extension if not exists pg_trgm');
    await run('create index call_record_phone_trgm on call_record using gin (called_phone_number gin_trgm_ops)');
    await run('create index customer_person_name_trgm on customer_person using gin (name gin_trgm_ops)');
  } else {
    // External-content FTS5 tables: the text stays in its own table; the index holds trigrams.
    // case_sensitive 1 keeps matching exactly as LIKE does here (case_sensitive_like is on).
    for (const [fts, table, column, id] of [
      ['call_record_phone_fts', 'call_record', 'called_phone_number', 'id'],
      ['customer_name_fts', 'customer_person', 'name', 'id'],
    ] as const) {
      await run(
        `create virtual table ${fts} using fts5(${column}, content='${table}', content_rowid='${id}', tokenize='trigram case_sensitive 1')`,
      );
      await run(`insert into ${fts} (${fts}) values ('rebuild')`);
      await run(`create trigger ${fts}_insert after insert on ${table} begin
        insert into ${fts} (rowid, ${column}) values (new.${id}, new.${column}); end`);
      await run(`create trigger ${fts}_delete after delete on ${table} begin
        insert into ${fts} (${fts}, rowid, ${column}) values ('delete', old.${id}, old.${column}); end`);
      await run(`create trigger ${fts}_update after update of ${column} on ${table} begin
        insert into ${fts} (${fts}, rowid, ${column}) values ('delete', old.${id}, old.${column});
        insert into ${fts} (rowid, ${column}) values (new.${id}, new.${column}); end`);
    }
    await clusterRollups(db);
    await run('pragma optimize');
  }
}

/** The same tables as 0001 made them, rebuilt WITHOUT ROWID (SQLite); nothing references them. */
async function clusterRollups(db: Kysely<any>): Promise<void> {
  const run = (text: string) => sql.raw(text).execute(db);
  const counters = (
    await sql<{
      name: string;
    }>`select name from pragma_table_info('job_day_stats') where name not in ('tenant_id', 'job_id', 'day') order by cid`.execute(
      db,
    )
  ).rows.map((r) => r.name);
  await run(`create table job_day_stats_clustered (
    tenant_id bigint not null references tenant (id), job_id bigint not null references robot_call_job (id), day text not null,
    ${counters.map((c) => `${c} bigint default 0 not null`).join(', ')},
    constraint job_day_stats_pk primary key (tenant_id, job_id, day)) without rowid`);
  await run(
    `insert into job_day_stats_clustered (tenant_id, job_id, day, ${counters.join(', ')}) select tenant_id, job_id, day, ${counters.join(', ')} from job_day_stats`,
  );
  await run('drop table job_day_stats');
  await run('alter table job_day_stats_clustered rename to job_day_stats');
  await run(`create table job_concern_stats_clustered (
    tenant_id bigint not null references tenant (id), job_id bigint not null references robot_call_job (id), concern text not null, hits bigint not null,
    constraint job_concern_stats_pk primary key (tenant_id, job_id, concern)) without rowid`);
  await run(
    'insert into job_concern_stats_clustered (tenant_id, job_id, concern, hits) select tenant_id, job_id, concern, hits from job_concern_stats',
  );
  await run('drop table job_concern_stats');
  await run('alter table job_concern_stats_clustered rename to job_concern_stats');
}
