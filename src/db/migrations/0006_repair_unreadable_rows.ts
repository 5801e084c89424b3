import { type Kysely, sql } from 'kysely';
import type { Dialect } from '../database.js';

/*
 * Repairs the rows that code before the input limits (docs/api.md, Input limits) could write and
 * could then not read, so that every read answers again. Each repair is logged (stderr, one line
 * per row) and every row taken out is kept, as JSON, in the new `quarantine` table.
 *
 * What was found, and what is done:
 * 1. Jobs whose robot_count, redial_times or redial_interval_minutes is not a finite integer within
 *    the API's range (SQLite took `"robotCount": "Infinity"`; getTaskDetail then failed, and the
 *    dialer's every tick with it): clamped into the range (robot_count 1–200, redial_times 0–10,
 *    redial_interval_minutes 0–1440; infinity becomes the maximum).
 * 2. Call records whose end_time is not a date (beyond ±8.64e15 ms, or not an integer: an endTime of
 *    8640000000000001, 2^63, 1e308, "9999999999999999" or "Infinity" was stored; callDetail then
 *    failed): repaired, end_time = start_time + chat_duration seconds (the call lasted at least as
 *    long as its talk). Nothing counted depends on end_time.
 * 3. Call records whose start_time is not a date (possible for training calls only: a counted call's
 *    statistics day could not be computed, so its write failed whole), or whose chat_duration or
 *    chat_round is not a finite integer (SQLite took "Infinity"; the job's statistics then held
 *    infinity): quarantined — the record and its turns are moved to `quarantine`.
 * 4. Call records that the list's totals never counted (a lone surrogate in the idempotencyKey: the
 *    driver stored it replaced, so the write path looked for the key it sent, missed the record it
 *    had just written, counted nothing and answered 500; a retry did the same): quarantined. They
 *    are the records of a job's count group in excess of its count whose key holds U+FFFD, the
 *    replacement the drivers stored.
 * 5. Every job touched by 3 or 4, and every job whose statistics rows hold a value that is not an
 *    integer, gets its rollups (call_record_count, job_day_stats, job_concern_stats) rebuilt from the
 *    call records that remain, by the statistics rules of the code this migration shipped with (copied
 *    below, `countCall0006`, so that they stay those rules whatever the code becomes). So a
 *    quarantined record leaves the statistics, and statistics equal a recomputation from what is
 *    listed. The job's call tasks and their counters (task_call_total, completed_task) stay as they
 *    are: the calls happened, only their records were unreadable.
 * 6. Customers whose last_chat_duration is not a finite integer (from such a call): their last-call
 *    fields are taken from their latest remaining call, or cleared.
 * Text holding NUL or unpaired surrogates on SQLite is left alone: it reads back (better-sqlite3
 * stored the surrogates already replaced) and is only refused as input from now on.
 */

/** JS Dates hold instants within ±8.64e15 ms; stored instants beyond cannot be shown as dates. */
const DATE_LIMIT = 8_640_000_000_000_000;
const DAY_MS = 86_400_000;
const REPLACEMENT = '\uFFFD';

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
/** The count-row key of a call record `r` joined to its customer `c`, as migration 0003 defines it. */
const COUNT_KEY_OF_RECORD = `r.tenant_id, r.job_id, r.is_training, r.start_time / ${DAY_MS}, r.result_status, r.intent_level, coalesce(r.customer_group_id, 0), r.dialog_flow_id, coalesce(c.follow_status, '')`;

/** Detailed lines beyond this many per kind are summed up in one. */
const MAX_LINES = 100;

interface JobKey {
  tenantId: number;
  jobId: number;
}

export async function up(db: Kysely<any>, dialect: Dialect): Promise<void> {
  const pg = dialect === 'postgres';
  /** SQLite keeps whatever type it is given; PostgreSQL's integer columns hold integers only. */
  const notInteger = (column: string) => (pg ? 'false' : `typeof(${column}) <> 'integer'`);
  const notADate = (column: string) =>
    `(${notInteger(column)} or ${column} < -${DATE_LIMIT} or ${column} > ${DATE_LIMIT})`;
  const outside = (column: string, min: number, max: number) =>
    `(${notInteger(column)} or ${column} < ${min} or ${column} > ${max})`;
  const log = logger();

  await db.schema
    .createTable('quarantine')
    .addColumn('id', pg ? 'bigserial' : 'integer', (c) => (pg ? c.primaryKey() : c.primaryKey().autoIncrement()))
    .addColumn('tenant_id', 'bigint', (c) => c.notNull())
    .addColumn('table_name', 'text', (c) => c.notNull())
    .addColumn('row_id', 'bigint', (c) => c.notNull())
    .addColumn('reason', 'text', (c) => c.notNull())
    // The row (and a call record's turns) as JSON text; numbers JSON cannot hold are written as strings.
    .addColumn('content', 'text', (c) => c.notNull())
    .addColumn('quarantined_at', 'bigint', (c) => c.notNull())
    .execute();

  // 1. Job settings.
  const JOB_RANGES = [
    ['robot_count', 1, 200],
    ['redial_times', 0, 10],
    ['redial_interval_minutes', 0, 1440],
  ] as const;
  for (const [column, min, max] of JOB_RANGES) {
    const { rows } = await sql
      .raw<{ id: number; tenant_id: number; value: unknown }>(
        `select id, tenant_id, ${column} as value from robot_call_job where ${outside(column, min, max)} order by id`,
      )
      .execute(db);
    for (const job of rows) {
      const value = Number(job.value);
      const fixed = Number.isNaN(value) ? min : Math.min(max, Math.max(min, Math.trunc(value)));
      await sql`update robot_call_job set ${sql.ref(column)} = ${fixed} where id = ${job.id}`.execute(db);
      log('job', `job ${job.id} (tenant ${job.tenant_id}): ${column} ${show(job.value)} set to ${fixed}`);
    }
  }

  // 2. End times that are not dates, on records whose start time is one.
  const badEnds = await sql
    .raw<{ id: number; tenant_id: number; job_id: number; start_time: number; end_time: unknown }>(
      `select id, tenant_id, job_id, start_time, end_time from call_record
       where ${notADate('end_time')} and not ${notADate('start_time')} and not ${outside('chat_duration', 0, 86400)}
       order by id`,
    )
    .execute(db);
  for (const r of badEnds.rows) {
    await sql`update call_record set end_time = start_time + chat_duration * 1000 where id = ${r.id}`.execute(db);
    log(
      'end',
      `call record ${r.id} (tenant ${r.tenant_id}, job ${r.job_id}): end_time ${show(r.end_time)} is not a date; set to start_time + chat_duration`,
    );
  }

  const touched = new Map<string, JobKey>();
  const touch = (tenantId: number, jobId: number) => touched.set(`${tenantId}|${jobId}`, { tenantId, jobId });

  // 3. Records that cannot be shown or counted.
  const unreadable = await sql
    .raw<{ id: number; tenant_id: number; job_id: number; start_time: unknown; chat_duration: unknown }>(
      `select id, tenant_id, job_id, start_time, chat_duration, chat_round from call_record
       where ${notADate('start_time')} or ${notADate('end_time')}
          or ${outside('chat_duration', 0, 86400)} or ${outside('chat_round', 0, 10000)}
       order by id`,
    )
    .execute(db);
  for (const r of unreadable.rows as any[]) {
    const reason = [
      isDate(r.start_time) ? '' : `start_time ${show(r.start_time)} is not a date`,
      inRange(r.chat_duration, 0, 86400) ? '' : `chat_duration ${show(r.chat_duration)} is not a number of seconds`,
      inRange(r.chat_round, 0, 10000) ? '' : `chat_round ${show(r.chat_round)} is not a number of rounds`,
    ]
      .filter(Boolean)
      .join('; ');
    await quarantineCallRecord(db, r.id, reason || 'times are not dates');
    touch(r.tenant_id, r.job_id);
    log('record', `call record ${r.id} (tenant ${r.tenant_id}, job ${r.job_id}) quarantined: ${reason}`);
  }

  // 4. Records the list's totals never counted.
  const listed = await sql<{ tenant_id: number; job_id: number; n: number }>`
    select tenant_id, job_id, count(*) as n from call_record group by tenant_id, job_id`.execute(db);
  const counted = await sql<{ tenant_id: number; job_id: number; n: number }>`
    select tenant_id, job_id, sum(records) as n from call_record_count group by tenant_id, job_id`.execute(db);
  const countedOf = new Map(counted.rows.map((c) => [`${c.tenant_id}|${c.job_id}`, Number(c.n)]));
  const listedOf = new Map(listed.rows.map((c) => [`${c.tenant_id}|${c.job_id}`, Number(c.n)]));
  const mismatched = new Map<string, JobKey>();
  for (const key of new Set([...countedOf.keys(), ...listedOf.keys()]))
    if ((countedOf.get(key) ?? 0) !== (listedOf.get(key) ?? 0)) {
      const [tenantId, jobId] = key.split('|').map(Number) as [number, number];
      mismatched.set(key, { tenantId, jobId });
    }
  for (const { tenantId, jobId } of mismatched.values()) {
    for (const id of await uncountedRecords(db, tenantId, jobId)) {
      await quarantineCallRecord(db, id, 'not counted in the job’s totals (idempotencyKey stored with U+FFFD)');
      log(
        'uncounted',
        `call record ${id} (tenant ${tenantId}, job ${jobId}) quarantined: never counted in the job’s totals (its idempotencyKey held an unpaired surrogate)`,
      );
    }
    touch(tenantId, jobId);
  }

  // 5. Rollups: of the jobs touched, and of any job whose statistics hold a non-integer.
  if (!pg) {
    const broken = await sql
      .raw<{ tenant_id: number; job_id: number }>(
        `select distinct tenant_id, job_id from job_day_stats where ${DAY_COUNTERS_0006.map(notInteger).join(' or ')}
         union select distinct tenant_id, job_id from job_concern_stats where ${notInteger('hits')}`,
      )
      .execute(db);
    for (const j of broken.rows) touch(j.tenant_id, j.job_id);
  }
  for (const { tenantId, jobId } of touched.values()) {
    await rebuildRollups(db, tenantId, jobId);
    log('rollups', `job ${jobId} (tenant ${tenantId}): statistics and list totals rebuilt from its call records`);
  }

  // 6. Customers' last call.
  const customers = await sql
    .raw<{ id: number; tenant_id: number; last_chat_duration: unknown }>(
      `select id, tenant_id, last_chat_duration from customer_person where ${outside('last_chat_duration', 0, 86400)} order by id`,
    )
    .execute(db);
  for (const c of customers.rows) {
    const latest = await sql<{
      start_time: number;
      chat_duration: number;
      intent_level: string;
      result_status: string;
    }>`
      select start_time, chat_duration, intent_level, result_status from call_record
      where tenant_id = ${c.tenant_id} and customer_person_id = ${c.id} and is_training = 0
      order by start_time desc, id desc limit 1`.execute(db);
    const r = latest.rows[0];
    await sql`update customer_person set last_start_time = ${r?.start_time ?? null},
      last_chat_duration = ${r?.chat_duration ?? 0}, last_intent_level = ${r?.intent_level ?? null},
      last_dial_status = ${r?.result_status ?? null} where id = ${c.id}`.execute(db);
    log('customer', `customer ${c.id} (tenant ${c.tenant_id}): last call taken from its latest readable call record`);
  }
  log.summary();
}

/** The ids of a job's records in excess of its counts, among those whose key holds U+FFFD. */
async function uncountedRecords(db: Kysely<any>, tenantId: number, jobId: number): Promise<number[]> {
  const groups = await sql
    .raw<{ k: string; n: number }>(
      `select ${keyText(`r.start_time / ${DAY_MS}`)} as k, count(*) as n
       from call_record r left join customer_person c on c.id = r.customer_person_id
       where r.tenant_id = ${tenantId} and r.job_id = ${jobId} group by k`,
    )
    .execute(db);
  const counts = await sql
    .raw<{ k: string; n: number }>(
      `select ${COUNT_KEY.slice(2)
        .map((k) => `cast(${k} as text)`)
        .join(` || '|' || `)} as k, records as n
       from call_record_count where tenant_id = ${tenantId} and job_id = ${jobId}`,
    )
    .execute(db);
  const excess = new Map(groups.rows.map((g) => [g.k, Number(g.n)]));
  for (const c of counts.rows) excess.set(c.k, (excess.get(c.k) ?? 0) - Number(c.n));
  const candidates = await sql<{ id: number; k: string }>`
    select r.id, ${sql.raw(keyText(`r.start_time / ${DAY_MS}`))} as k
    from call_record r left join customer_person c on c.id = r.customer_person_id
    where r.tenant_id = ${tenantId} and r.job_id = ${jobId} and r.idempotency_key like ${`%${REPLACEMENT}%`}
    order by r.id desc`.execute(db);
  const ids: number[] = [];
  for (const r of candidates.rows) {
    const left = excess.get(r.k) ?? 0;
    if (left <= 0) continue;
    excess.set(r.k, left - 1);
    ids.push(r.id);
  }
  return ids;
}

/** A record's count key (without tenant and job) as text, comparable with call_record_count's. */
function keyText(utcDay: string): string {
  return [
    'r.is_training',
    utcDay,
    'r.result_status',
    'r.intent_level',
    'coalesce(r.customer_group_id, 0)',
    'r.dialog_flow_id',
    "coalesce(c.follow_status, '')",
  ]
    .map((e) => `cast(${e} as text)`)
    .join(` || '|' || `);
}

/** Moves a call record and its turns into `quarantine`. */
async function quarantineCallRecord(db: Kysely<any>, id: number, reason: string): Promise<void> {
  const record = (await sql<any>`select * from call_record where id = ${id}`.execute(db)).rows[0];
  if (!record) return;
  const turns = (await sql<any>`select * from call_detail where call_record_id = ${id} order by seq`.execute(db)).rows;
  await sql`insert into quarantine (tenant_id, table_name, row_id, reason, content, quarantined_at)
    values (${record.tenant_id}, 'call_record', ${id}, ${reason}, ${asJson({ ...record, turns })}, ${Date.now()})`.execute(
    db,
  );
  await sql`delete from call_detail where call_record_id = ${id}`.execute(db);
  await sql`delete from call_record where id = ${id}`.execute(db);
}

/** A job's list totals and statistics, rebuilt from its call records. */
async function rebuildRollups(db: Kysely<any>, tenantId: number, jobId: number): Promise<void> {
  await sql`delete from call_record_count where tenant_id = ${tenantId} and job_id = ${jobId}`.execute(db);
  await sql
    .raw(
      `insert into call_record_count (${COUNT_KEY.join(', ')}, records)
       select ${COUNT_KEY_OF_RECORD}, count(*) from call_record r left join customer_person c on c.id = r.customer_person_id
       where r.tenant_id = ${Number(tenantId)} and r.job_id = ${Number(jobId)}
       group by ${COUNT_KEY_OF_RECORD}`,
    )
    .execute(db);

  const zone = (await sql<{ time_zone: string }>`select time_zone from tenant where id = ${tenantId}`.execute(db))
    .rows[0]?.time_zone;
  const days = new Map<string, DayCounters0006>();
  const hits = new Map<string, number>();
  for (let after = 0; ; ) {
    const { rows } = await sql<any>`
      select id, start_time, result_status, intent_level, chat_duration, chat_round, customer_concern
      from call_record where tenant_id = ${tenantId} and job_id = ${jobId} and is_training = 0 and id > ${after}
      order by id limit 5000`.execute(db);
    if (rows.length === 0) break;
    for (const r of rows) {
      const day = localDate0006(Number(r.start_time), zone ?? 'UTC');
      const counters = days.get(day) ?? emptyCounters0006();
      days.set(day, counters);
      countCall0006(counters, {
        resultStatus: r.result_status,
        intentLevel: r.intent_level,
        chatDuration: Number(r.chat_duration),
        chatRound: Number(r.chat_round),
      });
      for (const concern of new Set(concernsOf(r.customer_concern))) hits.set(concern, (hits.get(concern) ?? 0) + 1);
    }
    after = Number(rows[rows.length - 1].id);
  }
  await sql`delete from job_day_stats where tenant_id = ${tenantId} and job_id = ${jobId}`.execute(db);
  const dayRows = [...days].map(([day, counters]) => ({ tenant_id: tenantId, job_id: jobId, day, ...counters }));
  for (let i = 0; i < dayRows.length; i += 200)
    await db
      .insertInto('job_day_stats')
      .values(dayRows.slice(i, i + 200))
      .execute();
  await sql`delete from job_concern_stats where tenant_id = ${tenantId} and job_id = ${jobId}`.execute(db);
  const concernRows = [...hits].map(([concern, n]) => ({ tenant_id: tenantId, job_id: jobId, concern, hits: n }));
  for (let i = 0; i < concernRows.length; i += 500)
    await db
      .insertInto('job_concern_stats')
      .values(concernRows.slice(i, i + 500))
      .execute();
}

/*
 * The statistics rules as they stood when this migration was written — services/jobStats.ts
 * (`DAY_COUNTERS`, `emptyCounters`, `countCall`) over migration 0001's counter columns, and
 * domain/time.ts `localDate` — copied, not imported: a migration must do the same whenever it runs,
 * and those modules change with the code (a new counter column there would not exist at this
 * point of the schema).
 */

/** job_day_stats' counter columns, as migration 0001 creates them. */
export const DAY_COUNTERS_0006 = [
  'records',
  'answered',
  'chat_duration_total',
  'intent_a',
  'intent_b',
  'intent_c',
  'intent_d',
  'intent_e',
  'intent_f',
  'result_answered',
  'result_no_answer',
  'result_busy',
  'result_power_off',
  'result_out_of_service',
  'result_refused',
  'result_vacant_number',
  'result_can_not_connect',
  'result_from_phone_error',
  'result_system_error',
  'chat_round_less_3',
  'chat_round_f3_t6',
  'chat_round_f6_t10',
  'chat_round_f10_more',
  'chat_duration_less_10s',
  'chat_duration_f10s_t1min',
  'chat_duration_f1min_t2min',
  'chat_duration_f2min_t3min',
  'chat_duration_f3min_tmore',
] as const;

export type DayCounters0006 = Record<(typeof DAY_COUNTERS_0006)[number], number>;

/** [column suffix, from, to): an answered call's rounds and seconds fall in the first that holds them, else the last. */
const CHAT_ROUND_BUCKETS_0006 = [
  ['less_3', 0, 3],
  ['f3_t6', 3, 6],
  ['f6_t10', 6, 10],
  ['f10_more', 10, Infinity],
] as const;
const CHAT_DURATION_BUCKETS_0006 = [
  ['less_10s', 0, 10],
  ['f10s_t1min', 10, 60],
  ['f1min_t2min', 60, 120],
  ['f2min_t3min', 120, 180],
  ['f3min_tmore', 180, Infinity],
] as const;

function bucket0006(buckets: readonly (readonly [string, number, number])[], value: number): string {
  return (buckets.find(([, from, to]) => value >= from && value < to) ?? buckets[buckets.length - 1]!)[0];
}

export function emptyCounters0006(): DayCounters0006 {
  return Object.fromEntries(DAY_COUNTERS_0006.map((c) => [c, 0])) as DayCounters0006;
}

/** Adds one finished call to a day's counters. */
export function countCall0006(
  into: DayCounters0006,
  call: { resultStatus: string; intentLevel: string; chatDuration: number; chatRound: number },
): void {
  const counters = into as Record<string, number>;
  const add = (column: string) => {
    counters[column] = counters[column]! + 1;
  };
  into.records += 1;
  into.chat_duration_total += call.chatDuration;
  add(`intent_${call.intentLevel.toLowerCase()}`);
  add(`result_${call.resultStatus.toLowerCase()}`);
  if (call.resultStatus === 'ANSWERED') {
    into.answered += 1;
    add(`chat_round_${bucket0006(CHAT_ROUND_BUCKETS_0006, call.chatRound)}`);
    add(`chat_duration_${bucket0006(CHAT_DURATION_BUCKETS_0006, call.chatDuration)}`);
  }
}

/** Instants shown as dates are clamped into years 1000–9999 (as domain/time.ts did). */
const FORMATTABLE_MIN = Date.UTC(1000, 0, 2);
const FORMATTABLE_MAX = Date.UTC(9999, 11, 30);
const dayFormatters = new Map<string, Intl.DateTimeFormat>();

/** `yyyy-MM-dd`: the calendar day of an instant in the tenant's time zone. */
export function localDate0006(epochMs: number, timeZone: string): string {
  let formatter = dayFormatters.get(timeZone);
  if (!formatter) {
    formatter = new Intl.DateTimeFormat('en-CA', { timeZone, year: 'numeric', month: '2-digit', day: '2-digit' });
    dayFormatters.set(timeZone, formatter);
  }
  const instant = Number.isFinite(epochMs) ? Math.min(Math.max(epochMs, FORMATTABLE_MIN), FORMATTABLE_MAX) : 0;
  const parts: Record<string, string> = {};
  for (const p of formatter.formatToParts(instant)) parts[p.type] = p.value;
  return `${parts.year}-${parts.month}-${parts.day}`;
}

function concernsOf(stored: unknown): string[] {
  try {
    const value = typeof stored === 'string' ? JSON.parse(stored) : stored;
    return Array.isArray(value) ? value.filter((c): c is string => typeof c === 'string') : [];
  } catch {
    return [];
  }
}

const isDate = (v: unknown) => typeof v === 'number' && Number.isInteger(v) && Math.abs(v) <= DATE_LIMIT;
const inRange = (v: unknown, min: number, max: number) =>
  typeof v === 'number' && Number.isInteger(v) && v >= min && v <= max;

/** A stored value as the log shows it. */
const show = (v: unknown) => (typeof v === 'string' ? JSON.stringify(v) : String(v));

/** JSON of a row, with the numbers JSON cannot hold (infinities) kept as their text. */
const asJson = (value: unknown) =>
  JSON.stringify(value, (_k, v) => (typeof v === 'number' && !Number.isFinite(v) ? String(v) : v));

/** One line per repair on stderr, at most MAX_LINES of each kind, then a summary. */
function logger() {
  const counts = new Map<string, number>();
  const say = (line: string) => process.stderr.write(`outcall migration 0006_repair_unreadable_rows: ${line}\n`);
  const log = (kind: string, line: string) => {
    const n = (counts.get(kind) ?? 0) + 1;
    counts.set(kind, n);
    if (n <= MAX_LINES) say(line);
  };
  log.summary = () => {
    if (counts.size === 0) return;
    say(
      `repaired: ${[...counts].map(([kind, n]) => `${n} ${kind}`).join(', ')}; quarantined rows are kept in the table quarantine`,
    );
  };
  return log;
}
