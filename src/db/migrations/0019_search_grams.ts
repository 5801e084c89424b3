import { type Kysely, sql } from 'kysely';
import type { Dialect } from '../database.js';

/*
 * Short searches (docs/api.md, "searchWords"): a surname, two characters of a name, two or three
 * digits of a number. The trigram indexes of 0003 cannot find text shorter than three characters,
 * and a short text matches so many of a big job's records that counting them one by one took a
 * third of a second per million. Two structures answer them instead, both exact:
 *
 * - customer_name_gram: every distinct substring of one and two characters of each customer's
 *   name, with the customer. The customers whose name contains a 1–2 character text are one index
 *   range. Kept by triggers on customer_person (insert, name change, delete), so no code path can
 *   leave it behind.
 * - call_record_phone_gram: per job and training flag, how many call records have each distinct
 *   substring of one to three characters in their called number. A search's count is then this
 *   number plus the records of name-matching customers whose number does not contain the text.
 *   New records are counted by the write path, a batch at a time (repositories/searchGrams.ts
 *   `addPhoneGramCounts`), as call_record_count is; a record whose number, job or flag changes, or
 *   that is deleted, moves its counts by trigger.
 * - call_record_customer (0003: tenant, customer) also holds the job, the training flag and the
 *   number, so the name side of that count probes (tenant, customer, job, flag) for each
 *   name-matching customer and tests the number in the index, without reading a record.
 *
 * "Character" is a Unicode code point on both databases (length/substr), as in the JS that counts
 * new records (domain/search.ts `gramsOf`, whose lengths must stay those below). SQLite triggers
 * have no generate_series, so `search_gram_offset` lists each (length, start) pair up to start
 * 1000: names and numbers are far shorter (50 and 30 at the API).
 * Frozen in time: later changes are new migrations.
 */

const NAME_GRAM_MAX = 2;
const PHONE_GRAM_MAX = 3;
const OFFSETS = 1000;
/** `1, 2, …, max`: the gram lengths, for SQLite's offsets. */
const lengths = (max: number) => Array.from({ length: max }, (_, i) => i + 1).join(', ');

export async function up(db: Kysely<any>, dialect: Dialect): Promise<void> {
  const pg = dialect === 'postgres';
  const run = (text: string) => sql.raw(text).execute(db);

  await db.schema
    .createTable('customer_name_gram')
    .addColumn('tenant_id', 'bigint', (c) => c.notNull())
    .addColumn('gram', 'text', (c) => c.notNull())
    .addColumn('customer_person_id', 'bigint', (c) => c.notNull())
    .addPrimaryKeyConstraint('customer_name_gram_pk', ['tenant_id', 'gram', 'customer_person_id'])
    .modifyEnd(pg ? sql`` : sql`without rowid`)
    .execute();
  await db.schema
    .createTable('call_record_phone_gram')
    .addColumn('tenant_id', 'bigint', (c) => c.notNull())
    .addColumn('job_id', 'bigint', (c) => c.notNull())
    .addColumn('is_training', 'integer', (c) => c.notNull())
    .addColumn('gram', 'text', (c) => c.notNull())
    .addColumn('records', 'bigint', (c) => c.notNull())
    .addPrimaryKeyConstraint('call_record_phone_gram_pk', ['tenant_id', 'job_id', 'is_training', 'gram'])
    .modifyEnd(pg ? sql`` : sql`without rowid`)
    .execute();

  await db.schema.dropIndex('call_record_customer').execute();
  await db.schema
    .createIndex('call_record_customer')
    .on('call_record')
    .columns(['tenant_id', 'customer_person_id', 'job_id', 'is_training', 'called_phone_number'])
    .execute();

  const upsert = `on conflict (tenant_id, job_id, is_training, gram)
    do update set records = call_record_phone_gram.records + excluded.records`;

  if (pg) {
    // The distinct substrings of `text` of 1..max characters, as rows `g`.
    const grams = (text: string, max: number) =>
      `(select distinct substr(${text}, p, l) as g from generate_series(1, ${max}) l, generate_series(1, length(${text}) - l + 1) p) x`;
    await fillSearchGrams(db, dialect);

    await run(`create function customer_name_gram_move() returns trigger language plpgsql as $$
      begin
        if tg_op in ('UPDATE', 'DELETE') then
          delete from customer_name_gram n using ${grams('old.name', NAME_GRAM_MAX)}
          where n.tenant_id = old.tenant_id and n.gram = x.g and n.customer_person_id = old.id;
        end if;
        if tg_op in ('UPDATE', 'INSERT') and new.name is not null then
          insert into customer_name_gram (tenant_id, gram, customer_person_id)
          select new.tenant_id, x.g, new.id from ${grams('new.name', NAME_GRAM_MAX)} on conflict do nothing;
        end if;
        return null;
      end $$`);
    await run(`create trigger customer_name_gram_insert after insert on customer_person for each row
      execute function customer_name_gram_move()`);
    await run(`create trigger customer_name_gram_update after update on customer_person for each row
      when (old.name is distinct from new.name or old.tenant_id <> new.tenant_id or old.id <> new.id)
      execute function customer_name_gram_move()`);
    await run(`create trigger customer_name_gram_delete after delete on customer_person for each row
      execute function customer_name_gram_move()`);

    await run(`create function call_record_phone_gram_move() returns trigger language plpgsql as $$
      begin
        insert into call_record_phone_gram (tenant_id, job_id, is_training, gram, records)
        select old.tenant_id, old.job_id, old.is_training, x.g, -1 from ${grams('old.called_phone_number', PHONE_GRAM_MAX)}
        order by x.g ${upsert};
        insert into call_record_phone_gram (tenant_id, job_id, is_training, gram, records)
        select new.tenant_id, new.job_id, new.is_training, x.g, 1 from ${grams('new.called_phone_number', PHONE_GRAM_MAX)}
        order by x.g ${upsert};
        return null;
      end $$`);
    await run(`create trigger call_record_phone_gram_update after update on call_record for each row
      when (old.called_phone_number is distinct from new.called_phone_number or old.job_id <> new.job_id
        or old.is_training <> new.is_training or old.tenant_id <> new.tenant_id)
      execute function call_record_phone_gram_move()`);
    // Per statement: deleting a job's million records is one grouped update, not a million.
    await run(`create function call_record_phone_gram_forget() returns trigger language plpgsql as $$
      begin
        insert into call_record_phone_gram (tenant_id, job_id, is_training, gram, records)
        select tenant_id, job_id, is_training, g, -count(*) from (
          select distinct o.id, o.tenant_id, o.job_id, o.is_training, substr(o.called_phone_number, p, l) as g
          from gone o, generate_series(1, ${PHONE_GRAM_MAX}) l, generate_series(1, length(o.called_phone_number) - l + 1) p) y
        group by tenant_id, job_id, is_training, g
        order by tenant_id, job_id, is_training, g ${upsert};
        return null;
      end $$`);
    await run(`create trigger call_record_phone_gram_delete after delete on call_record
      referencing old table as gone for each statement execute function call_record_phone_gram_forget()`);
    return;
  }

  await db.schema
    .createTable('search_gram_offset')
    .addColumn('len', 'integer', (c) => c.notNull())
    .addColumn('pos', 'integer', (c) => c.notNull())
    .addPrimaryKeyConstraint('search_gram_offset_pk', ['len', 'pos'])
    .modifyEnd(sql`without rowid`)
    .execute();
  await run(`insert into search_gram_offset (len, pos)
    with recursive n(i) as (select 1 union all select i + 1 from n where i < ${OFFSETS})
    select l.i, n.i from n, n as l where l.i <= ${PHONE_GRAM_MAX}`);
  // The distinct substrings of `text` of 1..max characters, as rows `g` (the range on pos per length
  // keeps it to the text's own offsets).
  const grams = (text: string, max: number) =>
    `(select distinct substr(${text}, o.pos, o.len) as g from search_gram_offset o
      where o.len in (${lengths(max)}) and o.pos <= length(${text}) - o.len + 1)`;

  await fillSearchGrams(db, dialect);

  const addName = (r: string) => `insert into customer_name_gram (tenant_id, gram, customer_person_id)
    select ${r}.tenant_id, g, ${r}.id from ${grams(`${r}.name`, NAME_GRAM_MAX)} where true on conflict do nothing;`;
  const dropName = (r: string) => `delete from customer_name_gram where tenant_id = ${r}.tenant_id
    and customer_person_id = ${r}.id and gram in (select g from ${grams(`${r}.name`, NAME_GRAM_MAX)});`;
  await run(`create trigger customer_name_gram_insert after insert on customer_person begin ${addName('new')} end`);
  await run(`create trigger customer_name_gram_update after update of name, tenant_id, id on customer_person
    begin ${dropName('old')} ${addName('new')} end`);
  await run(`create trigger customer_name_gram_delete after delete on customer_person begin ${dropName('old')} end`);

  const movePhone = (
    r: string,
    sign: number,
  ) => `insert into call_record_phone_gram (tenant_id, job_id, is_training, gram, records)
    select ${r}.tenant_id, ${r}.job_id, ${r}.is_training, g, ${sign} from ${grams(`${r}.called_phone_number`, PHONE_GRAM_MAX)}
    where true ${upsert};`;
  await run(`create trigger call_record_phone_gram_update
    after update of called_phone_number, job_id, is_training, tenant_id on call_record
    begin ${movePhone('old', -1)} ${movePhone('new', 1)} end`);
  await run(
    `create trigger call_record_phone_gram_delete after delete on call_record begin ${movePhone('old', -1)} end`,
  );
}

/** Fills both tables from customer_person and call_record (emptied first). Rebuild: run this. */
export async function fillSearchGrams(db: Kysely<any>, dialect: Dialect): Promise<void> {
  const run = (text: string) => sql.raw(text).execute(db);
  await run('delete from customer_name_gram');
  await run('delete from call_record_phone_gram');
  if (dialect === 'postgres') {
    const grams = (text: string, max: number) =>
      `lateral (select distinct substr(${text}, p, l) as g from generate_series(1, ${max}) l, generate_series(1, length(${text}) - l + 1) p) x`;
    await run(`insert into customer_name_gram (tenant_id, gram, customer_person_id)
      select c.tenant_id, x.g, c.id from customer_person c, ${grams('c.name', NAME_GRAM_MAX)}`);
    await run(`insert into call_record_phone_gram (tenant_id, job_id, is_training, gram, records)
      select r.tenant_id, r.job_id, r.is_training, x.g, count(*) from call_record r, ${grams('r.called_phone_number', PHONE_GRAM_MAX)}
      group by r.tenant_id, r.job_id, r.is_training, x.g`);
    return;
  }
  const offsets = (max: number) => `o.len in (${lengths(max)}) and o.pos <= length(t) - o.len + 1`;
  await run(`insert into customer_name_gram (tenant_id, gram, customer_person_id)
    select distinct c.tenant_id, substr(c.name, o.pos, o.len), c.id
    from (select *, name as t from customer_person) c, search_gram_offset o where ${offsets(NAME_GRAM_MAX)}`);
  await run(`insert into call_record_phone_gram (tenant_id, job_id, is_training, gram, records)
    select tenant_id, job_id, is_training, g, count(*) from (
      select distinct r.id, r.tenant_id, r.job_id, r.is_training, substr(r.t, o.pos, o.len) as g
      from (select id, tenant_id, job_id, is_training, called_phone_number as t from call_record) r, search_gram_offset o
      where ${offsets(PHONE_GRAM_MAX)})
    group by tenant_id, job_id, is_training, g`);
}
