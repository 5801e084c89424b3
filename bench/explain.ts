import { Command } from 'commander';
import { CompiledQuery, type LogEvent } from 'kysely';
import { signedHeaders } from '../src/client/signing.js';
import { loadConfig } from '../src/config.js';
import { createDatabase, type Database } from '../src/db/database.js';
import { buildApp } from '../src/http/app.js';
import type { DatasetManifest } from './dataset.js';
import { type BenchDialect, benchDatabase, DEFAULT_POSTGRES_URL, ensureDataset } from './db.js';
import { type Scenario, scenarios } from './scenarios.js';

/*
 * The plan of every query the four API endpoints run. Each bench scenario is
 * sent in-process to the real app (`inject`) over a database that logs every query; each query
 * is then explained with its own parameters — EXPLAIN QUERY PLAN on SQLite, EXPLAIN (ANALYZE,
 * BUFFERS) on PostgreSQL — and given a verdict: which indexes serve it, and what it scans.
 */

export interface QueryPlan {
  sql: string;
  parameters: unknown[];
  /** Milliseconds the query took when the endpoint ran it (warm). */
  ms: number;
  plan: string[];
  verdict: string;
  /** True when a table is read in full (a scan without an index range). */
  scans: boolean;
}

export interface ScenarioPlans {
  id: string;
  label: string;
  queries: QueryPlan[];
}

/** A table with fewer rows than this, read whole, is no concern (PostgreSQL prefers that for tiny tables). */
const SMALL_TABLE = 10_000;

/** Aliases the SQL gives its tables (`"robot_call_job" as "j"`, `call_record m`). */
function aliasesOf(sqlText: string): Map<string, string> {
  const out = new Map<string, string>();
  for (const m of sqlText.matchAll(/"(\w+)" as "(\w+)"/g)) out.set(m[2]!, m[1]!);
  for (const m of sqlText.matchAll(/\b(?:from|join) (\w+) (\w+)\b/gi))
    if (!/^(where|on|inner|left|join|order|group|union|limit)$/i.test(m[2]!)) out.set(m[2]!, m[1]!);
  return out;
}

export type TableSizes = Map<string, number>;

function scanned(table: string, sizes: TableSizes): { text: string; counts: boolean } {
  const rows = sizes.get(table);
  if (rows !== undefined && rows < SMALL_TABLE)
    return { text: `${table} read whole (a small table: ${rows} rows)`, counts: false };
  return {
    text: `${table} read in full${rows !== undefined ? ` (${rows.toLocaleString('en')} rows)` : ''}`,
    counts: true,
  };
}

function verdictOf(uses: string[], scans: { text: string; counts: boolean }[]): { verdict: string; scans: boolean } {
  const bad = scans.filter((s) => s.counts).map((s) => s.text);
  const fine = [...uses, ...scans.filter((s) => !s.counts).map((s) => s.text)];
  const verdict = bad.length
    ? `SCANS: ${bad.join('; ')}${fine.length ? ` — also ${fine.join('; ')}` : ''}`
    : `index: ${fine.join('; ') || 'constant'}`;
  return { verdict, scans: bad.length > 0 };
}

export function sqliteVerdict(plan: string[], sqlText: string, sizes: TableSizes): { verdict: string; scans: boolean } {
  const aliases = aliasesOf(sqlText);
  const table = (name: string) => aliases.get(name) ?? name;
  const subqueries = new Set<string>();
  const uses: string[] = [];
  const scans: { text: string; counts: boolean }[] = [];
  for (const line of plan) {
    const d = line.trim();
    firstMatch(d, [
      [/^(?:CO-ROUTINE|MATERIALIZE) (\S+)/, (m) => subqueries.add(m[1]!)],
      [
        /^SEARCH (\S+)(?: AS \S+)? USING (?:(COVERING) )?INDEX (\S+) \((.*)\)/,
        (m) => uses.push(`${m[3]}${m[2] ? ' (covering)' : ''} on ${table(m[1]!)} (${m[4]})`),
      ],
      [
        /^SEARCH (\S+)(?: AS \S+)? USING (?:INTEGER )?PRIMARY KEY \((.*)\)/,
        (m) => uses.push(`primary key of ${table(m[1]!)}`),
      ],
      [/^SCAN (\S+)(?: AS \S+)? VIRTUAL TABLE INDEX (\S+)/, (m) => uses.push(`full-text index ${m[1]} (${m[2]})`)],
      [
        /^SCAN (\S+)(?: AS \S+)? USING (?:(COVERING) )?INDEX (\S+)/,
        (m) => scans.push(scanned(`${table(m[1]!)} (all of index ${m[3]})`, sizes)),
      ],
      [
        /^SCAN (\S+)(?: AS \S+)?$/,
        (m) => {
          if (!subqueries.has(m[1]!) && !/^(CONSTANT|\(subquery)/.test(m[1]!)) scans.push(scanned(table(m[1]!), sizes));
        },
      ],
      [/USE TEMP B-TREE/, () => uses.push(d.toLowerCase())],
    ]);
  }
  return verdictOf(uses, scans);
}

/** Runs the action of the first pattern that matches `text`. */
function firstMatch(text: string, rules: [RegExp, (m: RegExpExecArray) => unknown][]): void {
  for (const [pattern, action] of rules) {
    const m = pattern.exec(text);
    if (m) return void action(m);
  }
}

export function postgresVerdict(plan: string[], sizes: TableSizes): { verdict: string; scans: boolean } {
  const uses: string[] = [];
  const scans: { text: string; counts: boolean }[] = [];
  for (const line of plan) {
    const d = line.trim().replace(/^->\s*/, '');
    const rows = /actual time=[\d.]+\.\.[\d.]+ rows=(\d+) loops=(\d+)/.exec(d);
    const read = rows ? ` → ${Number(rows[1]) * Number(rows[2])} rows` : '';
    firstMatch(d, [
      [
        /^(Index Only Scan|Index Scan|Index Scan Backward|Index Only Scan Backward) using (\S+) on (\S+)/,
        (m) => uses.push(`${m[2]} (${m[1]!.toLowerCase()})${read}`),
      ],
      [/^Bitmap Index Scan on (\S+)/, (m) => uses.push(`${m[1]} (bitmap)${read}`)],
      [/^(?:Parallel )?Seq Scan on (\S+)/, (m) => scans.push(scanned(m[1]!, sizes))],
    ]);
  }
  return verdictOf(uses, scans);
}

async function tableSizes(database: Database): Promise<TableSizes> {
  const sizes: TableSizes = new Map();
  if (database.dialect === 'postgres') {
    const r = await database.db.executeQuery<{ relname: string; n: number }>(
      CompiledQuery.raw(
        `select relname, greatest(reltuples, 0)::bigint as n from pg_class where relkind = 'r' and relnamespace = 'public'::regnamespace`,
      ),
    );
    for (const row of r.rows) sizes.set(row.relname, Number(row.n));
    return sizes;
  }
  const tables = await database.db.executeQuery<{ name: string }>(
    CompiledQuery.raw(
      `select name from sqlite_schema where type = 'table' and name not like 'sqlite_%' and sql not like '%virtual table%' and name not like '%_fts_%'`,
    ),
  );
  for (const { name } of tables.rows) {
    const r = await database.db.executeQuery<{ n: number }>(CompiledQuery.raw(`select count(*) as n from "${name}"`));
    sizes.set(name, Number(r.rows[0]!.n));
  }
  return sizes;
}

async function explainQuery(database: Database, q: CompiledQuery): Promise<string[]> {
  if (database.dialect === 'sqlite') {
    const r = await database.db.executeQuery<{ id: number; parent: number; detail: string }>(
      CompiledQuery.raw(`explain query plan ${q.sql}`, [...q.parameters]),
    );
    const depth = new Map<number, number>();
    return r.rows.map((row) => {
      const d = (depth.get(row.parent) ?? -1) + 1;
      depth.set(row.id, d);
      return `${'  '.repeat(d)}${row.detail}`;
    });
  }
  const r = await database.db.executeQuery<{ 'QUERY PLAN': string }>(
    CompiledQuery.raw(`explain (analyze, buffers, costs off) ${q.sql}`, [...q.parameters]),
  );
  return r.rows.map((row) => row['QUERY PLAN']);
}

/** Sends each scenario to the app in-process and explains every query it ran. */
export async function explainAll(
  databaseUrl: string,
  manifest: DatasetManifest,
  only?: (s: Scenario) => boolean,
): Promise<ScenarioPlans[]> {
  let captured: { query: CompiledQuery; ms: number }[] = [];
  const log = (e: LogEvent) => {
    if (e.level === 'query') captured.push({ query: e.query, ms: e.queryDurationMillis });
  };
  const database = createDatabase(databaseUrl, { poolSize: 4, log });
  const app = await buildApp({
    database,
    config: loadConfig({ DATABASE_URL: databaseUrl, RATE_LIMIT_PER_SECOND: '0' }),
    logger: false,
  });
  const credentials = manifest.main.credentials;
  const out: ScenarioPlans[] = [];
  const sizes = await tableSizes(database);
  try {
    for (const s of scenarios(manifest)) {
      if (s.endpoint === 'floor' || (only && !only(s))) continue;
      const url = s.path.replace('{id}', String(s.rotate?.[0] ?? ''));
      for (let i = 0; i < 3; i++) {
        captured = [];
        const res = await app.inject({
          method: s.method,
          url,
          headers: { ...(await signedHeaders(credentials)), ...(s.body ? { 'content-type': 'application/json' } : {}) },
          payload: s.body ? JSON.stringify(s.body) : undefined,
        });
        const code = (JSON.parse(res.body) as { code: number }).code;
        if (code !== 200) throw new Error(`${s.id}: answered ${code}: ${res.body.slice(0, 300)}`);
      }
      const queries: QueryPlan[] = [];
      const ran = captured;
      captured = [];
      for (const { query, ms } of ran) {
        const plan = await explainQuery(database, query);
        const { verdict, scans } =
          database.dialect === 'sqlite' ? sqliteVerdict(plan, query.sql, sizes) : postgresVerdict(plan, sizes);
        queries.push({
          sql: query.sql,
          parameters: [...query.parameters],
          ms: Math.round(ms * 100) / 100,
          plan,
          verdict,
          scans,
        });
      }
      out.push({ id: s.id, label: s.label, queries });
    }
  } finally {
    await app.close();
    await database.destroy();
  }
  return out;
}

/** A query's SQL cut to its first clause, to name it in a table. */
export function queryName(sqlText: string): string {
  const from = /\bfrom\s+"?(\w+)"?/i.exec(sqlText)?.[1] ?? '?';
  const kind = /^\s*select\s+count\(\*\)|count\(\*\)\s+as\s+"n"/i.test(sqlText)
    ? 'count'
    : /^\s*with\b/i.test(sqlText)
      ? 'select (with)'
      : 'select';
  return `${kind} ${from}`;
}

async function main(): Promise<void> {
  const program = new Command('bench-explain')
    .description('print the plan of every query the four API endpoints run, with a verdict')
    .option('--records <n>', 'call records of the largest job', (v) => Number(v), 100_000)
    .option('--db <dialect>', 'sqlite or postgres', 'sqlite')
    .option(
      '--postgres-url <url>',
      'PostgreSQL database to create the bench database from',
      process.env.BENCH_POSTGRES_URL ?? DEFAULT_POSTGRES_URL,
    )
    .option('--only <text>', 'only scenarios whose id contains this')
    .option('--json', 'print JSON instead of text', false)
    .parse();
  const o = program.opts<{ records: number; db: BenchDialect; postgresUrl: string; only?: string; json: boolean }>();
  const b = benchDatabase(o.db, o.records, o.postgresUrl);
  const manifest = await ensureDataset(b, {
    records: o.records,
    adminUrl: o.postgresUrl,
    rebuild: false,
    log: (m) => console.error(m),
  });
  const plans = await explainAll(b.url, manifest, o.only ? (s) => s.id.includes(o.only!) : undefined);
  if (o.json) {
    console.log(JSON.stringify(plans, null, 2));
    return;
  }
  for (const s of plans) {
    console.log(`\n=== ${s.id}: ${s.label}`);
    for (const q of s.queries) {
      console.log(`-- ${queryName(q.sql)} (${q.ms} ms): ${q.verdict}`);
      console.log(`   ${q.sql}`);
      console.log(`   params ${JSON.stringify(q.parameters)}`);
      for (const line of q.plan) console.log(`   | ${line}`);
    }
  }
}

if (process.argv[1] && import.meta.url.endsWith(process.argv[1].split('/').slice(-2).join('/'))) await main();
