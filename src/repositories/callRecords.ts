import { type Insertable, type RawBuilder, type Selectable, type SqlBool, sql } from 'kysely';
import {
  compiledOnce,
  type Database,
  inList,
  type PgArrayType,
  runPrepared,
  tenantParam,
  unnestRows,
} from '../db/database.js';
import type {
  CallDetailTable,
  CallRecordConcernCountTable,
  CallRecordCountTable,
  CallRecordDurationCountTable,
  CallRecordLastCountTable,
  CallRecordTable,
  RecordDimensions,
} from '../db/schema.js';
import type { FollowStatus, HangupBy, IntentLevel, ReadStatus, ResultStatus } from '../domain/enums.js';
import { characterCount, NAME_GRAM_MAX, PHONE_GRAM_MAX } from '../domain/search.js';
import { chunks, concernSet, fixedChunks, isSet, parseJson, toFlag } from './rows.js';
import { countPhoneGram } from './searchGrams.js';
import { contains, ftsPhrase, likePattern } from './text.js';

/** Call records (finished dial attempts) and their transcript turns. */

export interface CallRecordFilter {
  jobId: number;
  /** Script-training calls only (true) or real calls only (false). */
  training: boolean;
  customerGroupId?: number;
  dialogFlowId?: number;
  followStatus?: FollowStatus;
  /** Start time bounds in epoch ms: [startFrom, startBefore). */
  startFrom?: number;
  startBefore?: number;
  resultStatuses?: ResultStatus[];
  intentLevels?: IntentLevel[];
  /** Substring of the called number or of the customer's name. */
  searchWords?: string;
  /*
   * The later API's filters (migration 0010). hangupBy, manualMarked and readStatus are in
   * call_record_count (migration 0016); chat duration bounds or concerns (one of the two, without
   * start bounds or followStatus) in the rollups of migration 0020; lastCallRecord, with chat
   * duration bounds, redialTimes and those record columns, in call_record_last_count (migration
   * 0022); with any other combination the total is counted row by row, inside the job's range of
   * call_record_job_list (or call_record_job_last), or among the few records an exact number, a
   * record id or a name finds.
   */
  callRecordId?: number;
  /** The called number, exactly. */
  calledPhoneNumber?: string;
  /** Substring of the customer's name. */
  customerName?: string;
  hangupBy?: HangupBy;
  /** manual_marked: the intent level was marked by a person. */
  manualMarked?: boolean;
  readStatus?: ReadStatus;
  /** Seconds, both inclusive. */
  chatDurationMin?: number;
  chatDurationMax?: number;
  /** Records mentioning at least one of these concerns. */
  customerConcerns?: string[];
  /** Only the latest call of each call task (is_last); training calls are never one. */
  lastCallRecord?: boolean;
  redialTimes?: number;
}

/** Whether the filter finds records by what no rollup holds: a search, a record id, a number or a name. */
const findsRecords = (f: CallRecordFilter) =>
  f.searchWords !== undefined ||
  f.callRecordId !== undefined ||
  f.calledPhoneNumber !== undefined ||
  f.customerName !== undefined;

/** Whether the filter reads a condition call_record_count does not hold. */
const countsRows = (f: CallRecordFilter) => findsRecords(f) || f.lastCallRecord === true || f.redialTimes !== undefined;

const hasDuration = (f: CallRecordFilter) => f.chatDurationMin !== undefined || f.chatDurationMax !== undefined;
const hasConcerns = (f: CallRecordFilter) => (f.customerConcerns?.length ?? 0) > 0;

/**
 * Which rollup keyed by the record's own columns holds the filter's total, never with start bounds
 * or the customers' follow status (their keys have no day and no customer): for lastCallRecord
 * (real calls), call_record_last_count (migration 0022), with chat duration bounds, redialTimes
 * and the record columns call_record_count also holds; otherwise a rollup of migration 0020, for
 * chat duration bounds or concerns (not both) with those columns.
 */
function recordRollupOf(f: CallRecordFilter): RecordRollup | undefined {
  if (findsRecords(f) || f.startFrom !== undefined || f.startBefore !== undefined || f.followStatus !== undefined)
    return undefined;
  const duration = hasDuration(f);
  const concerns = hasConcerns(f);
  if (f.lastCallRecord === true) return f.training || concerns ? undefined : 'call_record_last_count';
  if (duration === concerns || f.redialTimes !== undefined) return undefined;
  return duration ? 'call_record_duration_count' : 'call_record_concern_count';
}

type RecordRollup = 'call_record_duration_count' | 'call_record_concern_count' | 'call_record_last_count';

type StoredForm = 'customer_concern' | 'attributes' | 'manual_marked' | 'is_training';

interface CallRecordValues {
  customer_concern: string[];
  attributes: unknown[];
  manual_marked: boolean;
  is_training: boolean;
}

/** A call record as the services see it: flags as booleans, JSON columns as values. */
export type CallRecord = Omit<Selectable<CallRecordTable>, StoredForm> & CallRecordValues;

export type NewCallRecord = Omit<Insertable<CallRecordTable>, StoredForm> & CallRecordValues;

function toCallRecord<R extends Record<StoredForm, unknown>>(row: R): Omit<R, StoredForm> & CallRecordValues {
  return {
    ...row,
    customer_concern: parseJson<string[]>(row.customer_concern, []),
    attributes: parseJson<unknown[]>(row.attributes, []),
    manual_marked: isSet(row.manual_marked as number),
    is_training: isSet(row.is_training as number),
  };
}

function toRow(r: NewCallRecord): Insertable<CallRecordTable> {
  return {
    ...r,
    customer_concern: JSON.stringify(r.customer_concern),
    attributes: JSON.stringify(r.attributes),
    manual_marked: toFlag(r.manual_marked),
    is_training: toFlag(r.is_training),
    // The columns' defaults, given: an unnest insert (PostgreSQL) names every column.
    redial_times: r.redial_times ?? 0,
    is_last: r.is_last ?? 0,
  };
}

/** The span of one call_record_count row. */
const DAY_MS = 86_400_000;

/**
 * Search text of at least this many characters is looked up in the trigram indexes (FTS5 on
 * SQLite, pg_trgm on PostgreSQL). Shorter text has no trigram: names are found through their
 * grams, and numbers are tested record by record (migration 0019).
 */
export const INDEXED_SEARCH_MIN_CHARS = 3;

/**
 * How a search finds its records. `read`: through the indexes of what it matches (the trigram
 * indexes; text too short for them is tested on each of the job's records). `walk`: test the
 * records met while walking the list index, which finds a page of a search with many matches by
 * meeting a page's worth. `readNames`: only the records of the customers whose name matches, for
 * a short text no record's number contains (call_record_phone_gram says so).
 */
type SearchPlan = 'read' | 'walk' | 'readNames';

/** Below this many matches a search's page is found by reading the matches (see listCallRecords). */
const WALK_MIN_MATCHES = 2000;

interface StartBounds {
  from?: number;
  before?: number;
}

/*
 * The job's records that pass the filter. Every record condition is answered from the list index
 * (call_record_job_list holds each filtered column), so walking it in list order finds a page
 * without reading rows; the customer's follow status is a probe of the record's own customer.
 */
function filteredRecords(
  db: Database,
  tenantId: number,
  f: CallRecordFilter,
  bounds: StartBounds = { from: f.startFrom, before: f.startBefore },
  plan: SearchPlan = 'read',
) {
  let q = db.db.selectFrom('call_record as r').where('r.tenant_id', '=', tenantId).where('r.job_id', '=', f.jobId);
  // The latest calls are read from call_record_job_last, which holds no training flag: none of
  // them is a training call.
  q = f.lastCallRecord ? q.where('r.is_last', '=', 1) : q.where('r.is_training', '=', toFlag(f.training));
  if (f.customerGroupId !== undefined) q = q.where('r.customer_group_id', '=', f.customerGroupId);
  if (f.dialogFlowId !== undefined) q = q.where('r.dialog_flow_id', '=', f.dialogFlowId);
  if (bounds.from !== undefined) q = q.where('r.start_time', '>=', bounds.from);
  if (bounds.before !== undefined) q = q.where('r.start_time', '<', bounds.before);
  if (f.resultStatuses?.length) q = q.where('r.result_status', 'in', f.resultStatuses);
  if (f.intentLevels?.length) q = q.where('r.intent_level', 'in', f.intentLevels);
  if (f.followStatus !== undefined) {
    const status = f.followStatus;
    q = q.where((eb) =>
      eb.exists(
        eb
          .selectFrom('customer_person as c')
          .select(sql`1`.as('one'))
          .whereRef('c.id', '=', 'r.customer_person_id')
          .where('c.tenant_id', '=', tenantId)
          .where('c.follow_status', '=', status),
      ),
    );
  }
  if (f.searchWords !== undefined) q = q.where(searchCondition(db, tenantId, f.jobId, f.searchWords, plan));
  if (f.callRecordId !== undefined) q = q.where('r.id', '=', f.callRecordId);
  if (f.calledPhoneNumber !== undefined) {
    // Through the number's own index: a number has a handful of records, a job a million.
    const number = f.calledPhoneNumber;
    q = q.where('r.id', 'in', (eb) =>
      eb
        .selectFrom('call_record as m')
        .select('m.id')
        .where('m.tenant_id', '=', tenantId)
        .where('m.called_phone_number', '=', number)
        .where('m.job_id', '=', f.jobId),
    );
  }
  if (f.customerName !== undefined) q = q.where(namedRecords(db, tenantId, f.customerName));
  if (f.hangupBy !== undefined) q = q.where('r.hangup_by', '=', f.hangupBy);
  if (f.manualMarked !== undefined) q = q.where('r.manual_marked', '=', toFlag(f.manualMarked));
  if (f.readStatus !== undefined) q = q.where('r.read_status', '=', f.readStatus);
  if (f.chatDurationMin !== undefined) q = q.where('r.chat_duration', '>=', f.chatDurationMin);
  if (f.chatDurationMax !== undefined) q = q.where('r.chat_duration', '<=', f.chatDurationMax);
  if (f.redialTimes !== undefined) q = q.where('r.redial_times', '=', f.redialTimes);
  if (f.customerConcerns?.length) q = q.where(mentionsAny(db, sql.ref('r.customer_concern'), f.customerConcerns));
  return q;
}

/**
 * The JSON value `concerns` (a record's customer_concern, or a concern set of
 * call_record_concern_count) holds one of `asked`.
 */
function mentionsAny(db: Database, concerns: RawBuilder<unknown>, asked: string[]): RawBuilder<SqlBool> {
  return db.dialect === 'postgres'
    ? sql<SqlBool>`jsonb_exists_any(${concerns}, array[${sql.join(asked)}]::text[])`
    : sql<SqlBool>`exists (select 1 from json_each(${concerns}) where json_each.value in (${sql.join(asked)}))`;
}

/**
 * The ids of the customers whose name contains `words`: one range of the names' grams for one or
 * two characters, the names' trigram index for three or more (FTS5 on SQLite, pg_trgm on
 * PostgreSQL, both CJK-capable). Only the empty text reads every customer.
 */
function customersNamed(db: Database, tenantId: number, words: string): RawBuilder<unknown> {
  const length = characterCount(words);
  if (length >= 1 && length <= NAME_GRAM_MAX)
    return sql`select n.customer_person_id from customer_name_gram n where n.tenant_id = ${tenantId} and n.gram = ${words}`;
  if (length >= INDEXED_SEARCH_MIN_CHARS && db.dialect === 'sqlite')
    return sql`select rowid from customer_name_fts where customer_name_fts match ${ftsPhrase(words)}`;
  return sql`select c.id from customer_person c where c.tenant_id = ${tenantId} and ${contains(sql.ref('c.name'), words)}`;
}

/** The records of the customers whose name contains `words`, found through those customers. */
function namedRecords(db: Database, tenantId: number, words: string): RawBuilder<SqlBool> {
  return sql<SqlBool>`r.id in (select m.id from call_record m where m.tenant_id = ${tenantId}
      and m.customer_person_id in (${customersNamed(db, tenantId, words)}))`;
}

/**
 * The record's called number, or its customer's name, contains `words`, found as `plan` says.
 * Walking tests each record met (SQLite, three characters or more: against the set of matching
 * ids, the unary plus keeping the planner from looking records up by them; otherwise the
 * condition on the record's own columns, which the list index includes).
 */
function searchCondition(
  db: Database,
  tenantId: number,
  jobId: number,
  words: string,
  plan: SearchPlan,
): RawBuilder<SqlBool> {
  const sqlite = db.dialect === 'sqlite';
  const walk = plan === 'walk';
  if (plan === 'readNames') return sql<SqlBool>`r.customer_person_id in (${customersNamed(db, tenantId, words)})`;
  if (characterCount(words) < INDEXED_SEARCH_MIN_CHARS || (walk && !sqlite)) {
    return sql<SqlBool>`(${contains(sql.ref('r.called_phone_number'), words)} or r.customer_person_id in (${customersNamed(db, tenantId, words)}))`;
  }
  // The records whose number matches, and the records of the customers whose name matches, each
  // found through its trigram index; the other conditions then read only those records.
  if (sqlite) {
    const phrase = ftsPhrase(words);
    return sql<SqlBool>`${sql.raw(walk ? '+r.id' : 'r.id')} in (select rowid from call_record_phone_fts where call_record_phone_fts match ${phrase}
      union all select m.id from call_record m where m.tenant_id = ${tenantId}
        and m.customer_person_id in (select rowid from customer_name_fts where customer_name_fts match ${phrase}))`;
  }
  const pattern = likePattern(words);
  return sql<SqlBool>`r.id in (select m.id from call_record m where m.tenant_id = ${tenantId} and m.job_id = ${jobId} and m.called_phone_number like ${pattern} escape '\\'
      union all select m.id from call_record m where m.tenant_id = ${tenantId}
        and m.customer_person_id in (select c.id from customer_person c where c.tenant_id = ${tenantId} and c.name like ${pattern} escape '\\'))`;
}

/** Counts the filtered records one by one (through the list index, or the search indexes). */
async function countRows(
  db: Database,
  tenantId: number,
  filter: CallRecordFilter,
  bounds?: StartBounds,
): Promise<number> {
  const row = await filteredRecords(db, tenantId, filter, bounds)
    .select((eb) => eb.fn.countAll<number>().as('n'))
    .executeTakeFirstOrThrow();
  return Number(row.n);
}

/** Sums call_record_count over whole UTC days [firstDay, endDay) (either end open). */
async function countFromRollup(
  db: Database,
  tenantId: number,
  f: CallRecordFilter,
  firstDay?: number,
  endDay?: number,
): Promise<number> {
  let q = rollupSum(db, 'call_record_count', tenantId, f);
  if (firstDay !== undefined) q = q.where(sql.ref('utc_day'), '>=', firstDay);
  if (endDay !== undefined) q = q.where(sql.ref('utc_day'), '<', endDay);
  if (f.followStatus !== undefined) q = q.where(sql.ref('follow_status'), '=', f.followStatus);
  const row = await q.executeTakeFirstOrThrow();
  return Number(row.n ?? 0);
}

/**
 * Sums a rollup of recordRollupOf: the duration counts inside the bounds (one range of its key;
 * the latest calls' of one redial number), or the counts of the concern sets that meet the asked
 * concerns (a test of each of the job's sets).
 */
async function countFromRecordRollup(
  db: Database,
  tenantId: number,
  f: CallRecordFilter,
  rollup: RecordRollup,
): Promise<number> {
  let q = rollupSum(db, rollup, tenantId, f);
  if (rollup === 'call_record_concern_count') q = q.where(mentionsAny(db, sql.ref('concerns'), f.customerConcerns!));
  else {
    if (f.redialTimes !== undefined) q = q.where(sql.ref('redial_times'), '=', f.redialTimes);
    if (f.chatDurationMin !== undefined) q = q.where(sql.ref('chat_duration'), '>=', f.chatDurationMin);
    if (f.chatDurationMax !== undefined) q = q.where(sql.ref('chat_duration'), '<=', f.chatDurationMax);
  }
  const row = await q.executeTakeFirstOrThrow();
  return Number(row.n ?? 0);
}

/**
 * The sum of a rollup's records of the filter's job, under the record columns every rollup keys
 * (group, flow, result, intent, who hung up, read status, manual mark); the caller adds its own.
 */
function rollupSum(db: Database, rollup: 'call_record_count' | RecordRollup, tenantId: number, f: CallRecordFilter) {
  let q = db.db
    .selectFrom(rollup)
    .select(sql<string | number | null>`sum(records)`.as('n'))
    .where('tenant_id', '=', tenantId)
    .where('job_id', '=', f.jobId);
  // The latest calls' rollup has no training flag (no latest call is a training call).
  if (rollup !== 'call_record_last_count') q = q.where(sql.ref('is_training'), '=', toFlag(f.training));
  if (f.customerGroupId !== undefined) q = q.where('customer_group_id', '=', f.customerGroupId);
  if (f.dialogFlowId !== undefined) q = q.where('dialog_flow_id', '=', f.dialogFlowId);
  if (f.resultStatuses?.length) q = q.where('result_status', 'in', f.resultStatuses);
  if (f.intentLevels?.length) q = q.where('intent_level', 'in', f.intentLevels);
  // '': the records that do not say who hung up, which no hangupBy selects.
  if (f.hangupBy !== undefined) q = q.where('hangup_by', '=', f.hangupBy);
  if (f.readStatus !== undefined) q = q.where('read_status', '=', f.readStatus);
  if (f.manualMarked !== undefined) q = q.where('manual_marked', '=', toFlag(f.manualMarked));
  return q;
}

/** A search of 1–3 characters and no other filter: its total is counted from grams. */
function shortSearchAlone(f: CallRecordFilter): f is CallRecordFilter & { searchWords: string } {
  const { jobId, training, searchWords, ...others } = f;
  const length = searchWords === undefined ? 0 : characterCount(searchWords);
  return (
    length >= 1 &&
    length <= PHONE_GRAM_MAX &&
    Object.values(others).every((v) => v === undefined || (Array.isArray(v) && v.length === 0))
  );
}

/**
 * The records whose number contains `words` (call_record_phone_gram), plus those whose customer's
 * name contains it and number does not (found through the customers).
 */
async function countShortSearch(db: Database, tenantId: number, f: CallRecordFilter, words: string): Promise<number> {
  const [numbers, namesOnly] = await Promise.all([
    countPhoneGram(db, tenantId, f.jobId, f.training, words),
    // One probe of call_record_customer (tenant, customer, job, flag, number) per customer.
    db.db
      .selectFrom('call_record as r')
      .select((eb) => eb.fn.countAll<number>().as('n'))
      .where('r.tenant_id', '=', tenantId)
      .where(sql<SqlBool>`r.customer_person_id in (${customersNamed(db, tenantId, words)})`)
      .where('r.job_id', '=', f.jobId)
      .where('r.is_training', '=', toFlag(f.training))
      .where(sql<SqlBool>`not ${contains(sql.ref('r.called_phone_number'), words)}`)
      .executeTakeFirstOrThrow(),
  ]);
  return numbers + Number(namesOnly.n);
}

/**
 * The exact number of filtered records. Without a search, it is a sum of call_record_count over
 * the whole UTC days inside the start bounds, plus a count of the records in the partial days at
 * either end (a tenant-local day starts mid-way through a UTC day); with chat duration bounds or
 * concerns, or lastCallRecord, a sum of their rollup (migrations 0020, 0022) when it holds the
 * filter, else a count of the records; with a search, a count of the records the search indexes
 * find.
 */
export async function countCallRecords(db: Database, tenantId: number, filter: CallRecordFilter): Promise<number> {
  const { startFrom: from, startBefore: before } = filter;
  if (shortSearchAlone(filter)) return countShortSearch(db, tenantId, filter, filter.searchWords);
  const rollup = recordRollupOf(filter);
  if (rollup) return countFromRecordRollup(db, tenantId, filter, rollup);
  if (
    countsRows(filter) ||
    hasDuration(filter) ||
    hasConcerns(filter) ||
    (from !== undefined && from < 0) ||
    (before !== undefined && before < 0)
  ) {
    return countRows(db, tenantId, filter);
  }
  const firstDay = from === undefined ? undefined : Math.ceil(from / DAY_MS);
  const endDay = before === undefined ? undefined : Math.floor(before / DAY_MS);
  if (firstDay !== undefined && endDay !== undefined && firstDay >= endDay) return countRows(db, tenantId, filter);
  const parts = [countFromRollup(db, tenantId, filter, firstDay, endDay)];
  if (from !== undefined && from < firstDay! * DAY_MS)
    parts.push(countRows(db, tenantId, filter, { from, before: firstDay! * DAY_MS }));
  if (before !== undefined && endDay! * DAY_MS < before)
    parts.push(countRows(db, tenantId, filter, { from: endDay! * DAY_MS, before }));
  return (await Promise.all(parts)).reduce((a, b) => a + b, 0);
}

/**
 * Whether a search's page is found by reading its matches or by walking the list index: walking
 * meets about (offset + limit) × records ÷ total entries, reading the matches, total of them. A
 * text of one or two characters has no index of numbers to read: it walks, unless no record's
 * number contains it, when the name matches are read instead.
 */
async function searchPlan(
  db: Database,
  tenantId: number,
  filter: CallRecordFilter,
  limit: number,
  offset: number,
  total: number | undefined,
): Promise<SearchPlan> {
  const words = filter.searchWords;
  if (words === undefined || total === undefined) return 'read';
  const length = characterCount(words);
  if (length === 0) return 'read';
  const walkIsShorter = async () => {
    const records = await countFromRollup(db, tenantId, { jobId: filter.jobId, training: filter.training });
    return ((offset + limit) * records) / Math.max(1, total) < total;
  };
  if (length >= INDEXED_SEARCH_MIN_CHARS) {
    // Reading a couple of thousand matches costs a few milliseconds at most: only more are weighed.
    return total >= WALK_MIN_MATCHES && offset + limit <= total && (await walkIsShorter()) ? 'walk' : 'read';
  }
  const numbers = await countPhoneGram(db, tenantId, filter.jobId, filter.training, words);
  if (numbers > 0) return 'walk';
  return total < WALK_MIN_MATCHES || !(await walkIsShorter()) ? 'readNames' : 'walk';
}

/**
 * One page of call records, newest first, with the names each item shows. `total`, the filter's
 * count when the caller has it, lets a search with many matches find its page by walking the list
 * index: reading thousands of matches to sort them costs more than meeting a page's worth.
 */
export async function listCallRecords(
  db: Database,
  tenantId: number,
  filter: CallRecordFilter,
  limit: number,
  offset: number,
  total?: number,
) {
  // Past the end: nothing to read (a short search would test every record of the job to find it).
  if (total !== undefined && offset >= total) return [];
  const plan = await searchPlan(db, tenantId, filter, limit, offset, total);
  // The page's ids first, skipping `offset` entries of the list index without reading a row;
  // then the rows and names of those few only.
  const page = filteredRecords(db, tenantId, filter, undefined, plan)
    .select(['r.id', 'r.tenant_id'])
    .orderBy('r.start_time', 'desc')
    .orderBy('r.id', 'desc')
    .limit(limit)
    .offset(offset);
  const rows = await db.db
    .selectFrom(page.as('p'))
    // Every join names the tenant too (a probe by primary key still): under Citus, with tenant_id the
    // distribution column, that keeps the query on one worker (docs/scaling.md). The page's rows
    // take their tenant from the page, not from a constant: PostgreSQL, believing a table small,
    // would otherwise read the tenant's records through a tenant index and probe the page from
    // each. On SQLite the unary plus keeps them read by rowid, not through the narrow
    // call_record_search_probe (id, tenant_id, …) first.
    .innerJoin('call_record as r', (join) =>
      join
        .onRef('r.id', '=', 'p.id')
        .onRef(
          db.dialect === 'sqlite' ? sql<number>`+${sql.ref('r.tenant_id')}` : sql.ref<number>('r.tenant_id'),
          '=',
          'p.tenant_id',
        ),
    )
    .leftJoin('customer_person as cp', (join) =>
      join.onRef('cp.id', '=', 'r.customer_person_id').onRef('cp.tenant_id', '=', 'r.tenant_id'),
    )
    .leftJoin('customer_group as g', (join) =>
      join.onRef('g.id', '=', 'r.customer_group_id').onRef('g.tenant_id', '=', 'r.tenant_id'),
    )
    .innerJoin('robot_call_job as j', (join) =>
      join.onRef('j.id', '=', 'r.job_id').onRef('j.tenant_id', '=', 'r.tenant_id'),
    )
    .leftJoin('dialog_flow as f', (join) =>
      join.onRef('f.id', '=', 'r.dialog_flow_id').onRef('f.tenant_id', '=', 'r.tenant_id'),
    )
    .selectAll('r')
    .select([
      'g.name as customer_group_name',
      'j.name as job_name',
      'f.name as dialog_flow_name',
      'cp.name as customer_name',
      'cp.phone_number as customer_phone_number',
      'cp.gender as customer_gender',
      'cp.follow_status as customer_follow_status',
      'cp.properties as customer_properties',
    ])
    .orderBy('r.start_time', 'desc')
    .orderBy('r.id', 'desc')
    .execute();
  return rows.map((r) => ({
    ...toCallRecord(r),
    customer_properties: parseJson<Record<string, unknown>>(r.customer_properties, {}),
  }));
}

/** Transcript turns of several records, by record, in speaking order (one query per 500 records). */
export async function listTurns(db: Database, tenantId: number, callRecordIds: number[]) {
  const out = [];
  for (const chunk of chunks(callRecordIds, 500))
    out.push(
      ...(await db.db
        .selectFrom('call_detail')
        .select(['id', 'call_record_id', 'type', 'text'])
        .where('tenant_id', '=', tenantId)
        .where('call_record_id', 'in', chunk)
        .orderBy('call_record_id')
        .orderBy('seq')
        .execute()),
    );
  return out;
}

/** One call record of the tenant, or undefined. */
export async function findCallRecord(
  db: Database,
  tenantId: number,
  callRecordId: number,
): Promise<CallRecord | undefined> {
  const [row] = await callRecordQuery(db, tenantId, callRecordId);
  return row && toCallRecord(row);
}

// callDetail's reads are compiled once (db/database.ts).
const callRecordQuery = compiledOnce((db: Database, tenantId: number, callRecordId: number) =>
  db.db
    .selectFrom('call_record')
    .selectAll()
    .where('tenant_id', '=', tenantParam(db, tenantId))
    .where('id', '=', callRecordId),
);

/** The transcript turns of one record, in speaking order: `listTurns` of one, compiled once. */
export function listTurnsOfRecord(db: Database, tenantId: number, callRecordId: number) {
  return turnsOfRecordQuery(db, tenantId, callRecordId);
}

const turnsOfRecordQuery = compiledOnce((db: Database, tenantId: number, callRecordId: number) =>
  db.db
    .selectFrom('call_detail')
    .select(['id', 'call_record_id', 'type', 'text'])
    .where('tenant_id', '=', tenantParam(db, tenantId))
    .where('call_record_id', '=', callRecordId)
    .orderBy('seq'),
);

/** call_record's columns as a new record fills them, with their PostgreSQL types (`unnestRows`). */
const RECORD_COLUMNS = [
  ['tenant_id', 'bigint'],
  ['job_id', 'bigint'],
  ['call_task_id', 'bigint'],
  ['customer_person_id', 'bigint'],
  ['customer_group_id', 'bigint'],
  ['dialog_flow_id', 'bigint'],
  ['called_phone_number', 'text'],
  ['phone_line_id', 'bigint'],
  ['result_status', 'text'],
  ['intent_level', 'text'],
  ['real_intent_level', 'text'],
  ['customer_concern', 'jsonb'],
  ['full_audio_url', 'text'],
  ['customer_audio_url', 'text'],
  ['analysis_basis', 'text'],
  ['start_time', 'bigint'],
  ['end_time', 'bigint'],
  ['chat_duration', 'integer'],
  ['chat_round', 'integer'],
  ['manual_marked', 'integer'],
  ['read_status', 'text'],
  ['attributes', 'jsonb'],
  ['is_training', 'integer'],
  ['idempotency_key', 'text'],
  ['created_at', 'bigint'],
  ['hangup_by', 'text'],
  ['redial_times', 'integer'],
  ['is_last', 'integer'],
] as const satisfies readonly (readonly [keyof Insertable<CallRecordTable>, PgArrayType])[];

/** Rows per multi-row insert on SQLite: a few fixed counts, so the few texts stay prepared. */
const SQLITE_RECORD_CHUNKS = [500, 100, 20, 5, 1];
const SQLITE_TURN_CHUNKS = [1000, 100, 10, 1];

/**
 * Inserts records whose idempotency key is new, in the order given (their ids follow it); returns
 * the ids given, by key. One unnest insert on PostgreSQL; chunks of fixed sizes on SQLite.
 */
export async function insertNewCallRecords(db: Database, records: NewCallRecord[]): Promise<Map<string, number>> {
  const inserted = new Map<string, number>();
  const rows = records.map(toRow);
  const insert = () =>
    db.db.insertInto('call_record').onConflict((oc) => oc.columns(['tenant_id', 'idempotency_key']).doNothing());
  const queries =
    db.dialect === 'postgres'
      ? [
          insert()
            .columns(RECORD_COLUMNS.map(([c]) => c))
            .expression(unnestRows(rows, RECORD_COLUMNS))
            .returning(['id', 'idempotency_key']),
        ]
      : fixedChunks(rows, SQLITE_RECORD_CHUNKS).map((chunk) =>
          insert().values(chunk).returning(['id', 'idempotency_key']),
        );
  for (const query of queries) for (const r of await runPrepared(db, query)) inserted.set(r.idempotency_key, r.id);
  return inserted;
}

export async function findCallRecordIdsByIdempotencyKey(
  db: Database,
  tenantId: number,
  keys: string[],
): Promise<Map<string, number>> {
  const found = new Map<string, number>();
  for (const chunk of chunks(keys, 500)) {
    const rows = await db.db
      .selectFrom('call_record')
      .select(['id', 'idempotency_key'])
      .where('tenant_id', '=', tenantId)
      .where(inList(db, 'idempotency_key', chunk))
      .execute();
    for (const r of rows) found.set(r.idempotency_key, r.id);
  }
  return found;
}

/** A call task's non-training calls so far: how many, and the latest (is_last) one's start time and id. */
export interface CallHistory {
  calls: number;
  last?: { startTime: number; id: number };
}

/**
 * Each of these call tasks' history (CallHistory), read inside the index call_record_task
 * (migration 0021). Read before the tasks are locked: what decides which new call is stored as
 * the latest, which markLastCalls then checks under the lock.
 */
export async function callHistoryOfTasks(
  db: Database,
  tenantId: number,
  callTaskIds: number[],
): Promise<Map<number, CallHistory>> {
  const history = new Map<number, CallHistory>();
  for (const chunk of chunks(callTaskIds, 500)) {
    const rows = await db.db
      .selectFrom('call_record')
      .select([
        'call_task_id',
        (eb) => eb.fn.countAll<number>().as('n'),
        sql<number | null>`max(case when is_last = 1 then start_time end)`.as('last_start'),
        sql<number | null>`max(case when is_last = 1 then id end)`.as('last_id'),
      ])
      .where('tenant_id', '=', tenantId)
      .where(inList(db, 'call_task_id', chunk))
      .where('is_training', '=', 0)
      .groupBy('call_task_id')
      .execute();
    for (const r of rows)
      history.set(Number(r.call_task_id), {
        calls: Number(r.n),
        last: r.last_id == null ? undefined : { startTime: Number(r.last_start), id: Number(r.last_id) },
      });
  }
  return history;
}

/** A call that is a call task's latest (start time, then id): is_last. */
const isLaterCall = (a: { startTime: number; id: number }, b: { startTime: number; id: number }) =>
  a.startTime > b.startTime || (a.startTime === b.startTime && a.id > b.id);

/**
 * Leaves is_last on the latest call (start time, then id) of each call task that has just recorded
 * calls (`newCalls`: their new record ids, tasks, start times and the is_last they were stored
 * with), and on no other call of the task. The new calls were stored with the flag when they were
 * the latest of their task's history as read before (callHistoryOfTasks): here, with the task rows
 * locked (recordFinishedCalls step 2), the flags set now — which include those of a recorder of the
 * same tasks that committed in between — are read again, inside the index call_record_task, and
 * only the superseded ones cleared (and, rarely, the flag set on a new call that turned out the
 * latest after all).
 */
export async function markLastCalls(
  db: Database,
  tenantId: number,
  newCalls: { id: number; callTaskId: number; startTime: number; isLast: boolean }[],
): Promise<void> {
  const sorted = [...newCalls].sort((a, b) => a.callTaskId - b.callTaskId || a.id - b.id);
  for (const chunk of chunks(sorted, 500)) {
    const flagged = await db.db
      .selectFrom('call_record')
      .select(['id', 'call_task_id', 'start_time'])
      .where('tenant_id', '=', tenantId)
      .where(inList(db, 'call_task_id', [...new Set(chunk.map((c) => c.callTaskId))]))
      .where('is_training', '=', 0)
      .where('is_last', '=', 1)
      .execute();
    const candidates = [
      ...flagged.map((r) => ({
        id: r.id,
        callTaskId: Number(r.call_task_id),
        startTime: Number(r.start_time),
        isLast: true,
      })),
      ...chunk.filter((c) => !c.isLast),
    ];
    const latest = new Map<number, (typeof candidates)[number]>();
    for (const c of candidates) {
      const best = latest.get(c.callTaskId);
      if (!best || isLaterCall(c, best)) latest.set(c.callTaskId, c);
    }
    const keep = new Set([...latest.values()].map((c) => c.id));
    const clear = candidates.filter((c) => c.isLast && !keep.has(c.id)).map((c) => c.id);
    const mark = candidates.filter((c) => !c.isLast && keep.has(c.id)).map((c) => c.id);
    for (const [ids, flag] of [
      [clear.sort((a, b) => a - b), 0],
      [mark.sort((a, b) => a - b), 1],
    ] as const) {
      if (ids.length > 0)
        await db.db
          .updateTable('call_record')
          .set({ is_last: flag })
          .where('tenant_id', '=', tenantId)
          .where(inList(db, 'id', ids))
          .execute();
    }
  }
}

const TURN_COLUMNS = [
  ['tenant_id', 'bigint'],
  ['call_record_id', 'bigint'],
  ['seq', 'integer'],
  ['type', 'text'],
  ['text', 'text'],
] as const satisfies readonly (readonly [keyof Insertable<CallDetailTable>, PgArrayType])[];

/** Inserts transcript turns: one unnest insert on PostgreSQL, chunks of fixed sizes on SQLite. */
export async function insertTurns(db: Database, rows: Insertable<CallDetailTable>[]): Promise<void> {
  if (rows.length === 0) return;
  if (db.dialect === 'postgres') {
    await runPrepared(
      db,
      db.db
        .insertInto('call_detail')
        .columns(TURN_COLUMNS.map(([c]) => c))
        .expression(unnestRows(rows, TURN_COLUMNS)),
    );
    return;
  }
  for (const chunk of fixedChunks(rows, SQLITE_TURN_CHUNKS))
    await runPrepared(db, db.db.insertInto('call_detail').values(chunk));
}

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
  'hangup_by',
  'read_status',
  'manual_marked',
] as const;

/**
 * Adds newly inserted call records to call_record_count, each under its customer's follow status
 * (`followStatusOf`, read with findFollowStatusesForShare). Call it in the transaction that
 * inserted them. Rows are written in key order, as every writer does, so concurrent writers wait
 * for each other instead of deadlocking.
 */
export async function addRecordCounts(
  db: Database,
  tenantId: number,
  records: NewCallRecord[],
  followStatusOf: Map<number, FollowStatus>,
): Promise<void> {
  const counts = new Map<string, CallRecordCountTable>();
  for (const r of records) {
    const row: CallRecordCountTable = {
      tenant_id: tenantId,
      job_id: r.job_id,
      is_training: toFlag(r.is_training),
      utc_day: Math.trunc(r.start_time / DAY_MS),
      result_status: r.result_status,
      intent_level: r.intent_level,
      customer_group_id: r.customer_group_id ?? 0,
      dialog_flow_id: r.dialog_flow_id,
      follow_status: r.customer_person_id == null ? '' : (followStatusOf.get(r.customer_person_id) ?? ''),
      hangup_by: r.hangup_by ?? '',
      read_status: r.read_status,
      manual_marked: toFlag(r.manual_marked),
      records: 0,
    };
    const key = COUNT_KEY.map((k) => row[k]).join('\u0000');
    const existing = counts.get(key);
    if (existing) existing.records++;
    else counts.set(key, { ...row, records: 1 });
  }
  const rows = [...counts.values()].sort(compareKeys(COUNT_KEY));
  for (const chunk of chunks(rows, 300)) {
    await db.db
      .insertInto('call_record_count')
      .values(chunk)
      .onConflict((oc) =>
        oc
          .columns([...COUNT_KEY])
          .doUpdateSet((eb) => ({ records: eb(eb.ref('call_record_count.records'), '+', eb.ref('excluded.records')) })),
      )
      .execute();
  }
  await addDurationAndConcernCounts(db, tenantId, records);
}

/** The record columns of call_record_count in the keys of migration 0020's rollups. */
const DIMENSIONS = [
  'result_status',
  'intent_level',
  'customer_group_id',
  'dialog_flow_id',
  'hangup_by',
  'read_status',
  'manual_marked',
] as const;
const DURATION_KEY = ['tenant_id', 'job_id', 'is_training', 'chat_duration', ...DIMENSIONS] as const;
const CONCERN_KEY = ['tenant_id', 'job_id', 'is_training', 'concerns', ...DIMENSIONS] as const;
const LAST_KEY = ['tenant_id', 'job_id', 'redial_times', 'chat_duration', ...DIMENSIONS] as const;

/** A new record's columns of the DIMENSIONS, nulls as the rollups' keys have them. */
const dimensionsOf = (r: NewCallRecord): RecordDimensions => ({
  result_status: r.result_status,
  intent_level: r.intent_level,
  customer_group_id: r.customer_group_id ?? 0,
  dialog_flow_id: r.dialog_flow_id,
  hangup_by: r.hangup_by ?? '',
  read_status: r.read_status,
  manual_marked: toFlag(r.manual_marked),
});

/**
 * Adds new records to call_record_duration_count and call_record_concern_count (migration 0020),
 * each table's rows in key order, as addRecordCounts does.
 */
async function addDurationAndConcernCounts(db: Database, tenantId: number, records: NewCallRecord[]): Promise<void> {
  const durations = new Map<string, CallRecordDurationCountTable>();
  const concerns = new Map<string, CallRecordConcernCountTable & { concerns: string }>();
  for (const r of records) {
    const dimensions: Omit<CallRecordDurationCountTable, 'chat_duration'> = {
      tenant_id: tenantId,
      job_id: r.job_id,
      is_training: toFlag(r.is_training),
      ...dimensionsOf(r),
      records: 1,
    };
    const duration = { ...dimensions, chat_duration: r.chat_duration };
    const durationKey = DURATION_KEY.map((k) => duration[k]).join('\u0000');
    const counted = durations.get(durationKey);
    if (counted) counted.records++;
    else durations.set(durationKey, duration);
    const set = concernSet(r.customer_concern);
    if (set === '') continue;
    const concern = { ...dimensions, concerns: set };
    const concernKey = CONCERN_KEY.map((k) => concern[k]).join('\u0000');
    const mentioned = concerns.get(concernKey);
    if (mentioned) mentioned.records++;
    else concerns.set(concernKey, concern);
  }
  for (const chunk of chunks([...durations.values()].sort(compareKeys(DURATION_KEY)), 500)) {
    await db.db
      .insertInto('call_record_duration_count')
      .values(chunk)
      .onConflict((oc) =>
        oc.columns([...DURATION_KEY]).doUpdateSet((eb) => ({
          records: eb(eb.ref('call_record_duration_count.records'), '+', eb.ref('excluded.records')),
        })),
      )
      .execute();
  }
  for (const chunk of chunks([...concerns.values()].sort(compareKeys(CONCERN_KEY)), 500)) {
    await db.db
      .insertInto('call_record_concern_count')
      .values(chunk)
      .onConflict((oc) =>
        oc.columns([...CONCERN_KEY]).doUpdateSet((eb) => ({
          records: eb(eb.ref('call_record_concern_count.records'), '+', eb.ref('excluded.records')),
        })),
      )
      .execute();
  }
}

/**
 * Adds the records inserted as latest calls (is_last = 1 as inserted) to call_record_last_count
 * (migration 0022), in key order. Call it once their call tasks (`callTaskIds`) are locked and
 * before markLastCalls, whose flag changes move counts by trigger, row by row, in no key order:
 * on PostgreSQL every row those can move — the keys of the new records and of the tasks' latest
 * calls — is locked here first, with the added ones (a conflict's update that changes nothing
 * still locks its row), so concurrent recorders wait for each other instead of deadlocking. SQLite
 * has one writer at a time: only the added rows are written there.
 */
export async function addLastCallCounts(
  db: Database,
  tenantId: number,
  records: NewCallRecord[],
  callTaskIds: number[],
): Promise<void> {
  const pg = db.dialect === 'postgres';
  const counts = new Map<string, CallRecordLastCountTable>();
  const add = (row: CallRecordLastCountTable) => {
    const key = LAST_KEY.map((k) => row[k]).join('\u0000');
    const counted = counts.get(key);
    if (counted) counted.records += row.records;
    else counts.set(key, row);
  };
  for (const r of records) {
    const latest = r.is_last === 1;
    // markLastCalls moves only real calls' flags.
    if (!latest && (!pg || r.is_training)) continue;
    const key = {
      tenant_id: tenantId,
      job_id: r.job_id,
      redial_times: r.redial_times ?? 0,
      chat_duration: r.chat_duration,
    };
    add({ ...key, ...dimensionsOf(r), records: latest ? 1 : 0 });
  }
  if (pg)
    for (const chunk of chunks(callTaskIds, 500)) {
      const latestCalls = await db.db
        .selectFrom('call_record')
        .select(['tenant_id', 'job_id', 'redial_times', 'chat_duration', 'result_status', 'intent_level'])
        .select([
          sql<number>`coalesce(customer_group_id, 0)`.as('customer_group_id'),
          'dialog_flow_id',
          sql<HangupBy | ''>`coalesce(hangup_by, '')`.as('hangup_by'),
          'read_status',
          'manual_marked',
        ])
        .where('tenant_id', '=', tenantId)
        .where('call_task_id', 'in', chunk)
        .where('is_last', '=', 1)
        .execute();
      for (const r of latestCalls) add({ ...r, records: 0 });
    }
  for (const chunk of chunks([...counts.values()].sort(compareKeys(LAST_KEY)), 500)) {
    await db.db
      .insertInto('call_record_last_count')
      .values(chunk)
      .onConflict((oc) =>
        oc
          .columns([...LAST_KEY])
          .doUpdateSet((eb) => ({
            records: eb(eb.ref('call_record_last_count.records'), '+', eb.ref('excluded.records')),
          }))
          .where((eb) => eb(eb.ref('excluded.records'), '<>', 0)),
      )
      .execute();
  }
}

/** Orders rows by `key`, column by column: the order every writer locks a rollup's rows in. */
function compareKeys<R, K extends keyof R>(key: readonly K[]) {
  return (a: R, b: R): number => {
    for (const k of key) {
      const x = a[k];
      const y = b[k];
      if (x !== y) return x < y ? -1 : 1;
    }
    return 0;
  };
}
