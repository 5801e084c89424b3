import { readdirSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestDatabase, type TestDatabase, testDialect } from '../../../test/harness.js';

/*
 * Which queries are not scoped by tenant_id, held to a documented allow-list: what a Citus
 * deployment (distribution column tenant_id, docs/scaling.md) must treat as reference-table or
 * cross-shard work. Read from the PostgreSQL SQL snapshots (MODULE.postgres.sql, one entry per
 * case of cases.ts), so it needs no server and sees exactly the SQL the code runs.
 *
 * The rule, per statement: every reference to a table that has a tenant_id column must be
 *  - constrained directly: `alias.tenant_id = $n` or `alias.tenant_id in (...)` (unqualified
 *    `tenant_id` counts for the tables without an alias in the same sub-select), or
 *  - an insert whose column list names tenant_id (each row carries its tenant), or
 *  - joined by `a.tenant_id = b.tenant_id` to a reference that is scoped.
 * A join on an id alone does not scope: ids are unique across tenants, but Citus can route or
 * co-locate a join only through the distribution column. Tables without tenant_id are global
 * (GLOBAL_TABLES). A function is allow-listed when any statement of any of its cases is unscoped,
 * and only work that crosses tenants by design is (CROSS_TENANT): a query of one tenant names the
 * tenant on every table it reaches, its joins and the outer statement of an update included.
 */

const HERE = fileURLToPath(new URL('.', import.meta.url));

/** Tables with tenant_id that only the PostgreSQL schema has (the answer cache's data version). */
const POSTGRES_ONLY_TENANT_TABLES = ['tenant_data_version'];

/** Functions whose queries cross tenants by design: cross-shard or reference-table work under Citus. */
const CROSS_TENANT: Record<string, string> = {
  'tenants.findKeyCredentials': 'the signature check finds the appKey before the tenant is known',
  'tenants.listApiKeys': 'operator CLI: every tenant’s keys',
  'tenants.updateApiKeyEnabled': 'operator CLI: disables a key by appKey',
  'tenants.updateApiKeySignatureVersion': 'operator CLI: sets a key’s minimum signature version by appKey',
  'tenants.listAppSecrets': 'server-key rotation re-encrypts every tenant’s stored secrets',
  'tenants.updateAppSecret': 'server-key rotation: one key’s secret by appKey, if unchanged',
  'phoneLines.listSipPasswords': 'server-key rotation re-encrypts every tenant’s stored secrets',
  'jobs.listJobsToDial': 'the dialer’s scan: every tenant’s jobs in a dialling status',
  'callbacks.takeCallbackBatches': 'the dispatcher takes any tenant’s recording batches (skip locked)',
  'callbacks.deleteCallbackBatches': 'the dispatcher deletes the batches it expanded, by id',
  'callbacks.findDueCallbackEvents': 'the dispatcher’s scan: every tenant’s due callbacks',
  'callbacks.claimCallbackEvents': 'the dispatcher claims the due events it found, of several tenants, by id',
  'callbacks.markCallbacksDelivered': 'the dispatcher settles its claimed events by id',
  'callbacks.markCallbackFailedAttempt': 'the dispatcher settles a claimed event by id',
  'callbacks.releaseCallbackClaims': 'the dispatcher releases its claims by id on shutdown',
  'callbacks.countPendingCallbacks': 'the dispatcher’s queue gauge over every tenant',
  'callbacks.deleteFinishedCallbackEvents': 'retention: every tenant’s finished callbacks past their age',
  'consoleSessions.findConsoleSession': 'a console cookie names a session before the tenant is known',
  'consoleUsers.findConsoleUserByName': 'console sign-in: usernames are unique across the installation',
  'consoleUsers.listConsoleUsers': 'operator CLI: every tenant’s console users',
  'consoleUsers.updateConsoleUserEnabled': 'operator CLI: by username',
  'consoleUsers.updateConsoleUserPassword': 'operator CLI or the user’s own session: by user id',
  // The engine protocol: an engine key may serve every tenant, and a lease is found by its random
  // id (132 bits) or its call task, so these read call_lease and lines across tenants by design.
  'callLeases.listJobsToClaim': 'an engine’s claim: the jobs of every tenant its key serves',
  'callLeases.lockJobForClaim': 'a claim: the live leases of each line, by line id (a line serves every job on it)',
  'callLeases.claimsOnLinesSince': 'a claim: the leases claimed per line in the last second, by line id',
  'callLeases.callsToNumbersOnLines': 'a claim: the daily cap per number, by line id',
  'callLeases.findDueCallTasks': 'a claim: the live-lease check by call task id',
  'callLeases.raiseHighWaterMarks': 'a claim: the lines’ high-water marks, by line id',
  'callLeases.lockLease': 'an engine’s request names its lease by id',
  'callLeases.lockLeases': 'a group of engines’ results, by lease id',
  'callLeases.endLeasesWithResults': 'a group of engines’ results, by lease id',
  'callLeases.findLeases': 'an engine’s heartbeat names its leases by id',
  'callLeases.updateLease': 'by lease id',
  'callLeases.endLeases': 'by lease id',
  'callLeases.renewLeases': 'by lease id',
  'callLeases.findLapsedLeases': 'the reaper’s scan: every tenant’s lapsed leases',
  'callLeases.countLapsesBeforeDial': 'poison check: by call task id',
  'callLeases.findJobStatuses': 'a heartbeat or a group of dials: the jobs of their leases, by id',
  'callLeases.findLineLimits': 'a group of dials: the lines of their leases, by id',
  'callLeases.markLeasesDialled': 'a group of dials, by lease id',
  'callLeases.moveTasksToCalling': 'a group of dials: each task by its lease’s tenant and id, given as rows',
  'callLeases.countLiveLeases': '/metrics: live leases of every tenant',
  'announcementClips.listAnnouncementAudio': 'an engine key of every tenant loads every tenant’s announcements',
  'engineKeys.findEngineKey': 'the engine signature check finds the appKey; a key may serve every tenant',
  'engineKeys.findEngineKeyState':
    'the engine signature check: whether a key the process knows is still enabled, by appKey',
  'rateLimits.takeRateLimitSlotAndNonce':
    'an engine request’s admission reads its key (by appKey) with the slot and nonce',
  'engineKeys.listEngineKeys': 'operator CLI: every engine key',
  'engineKeys.updateEngineKeyEnabled': 'operator CLI: by appKey',
  'engineKeys.deleteEngineKey': 'operator CLI: by appKey',
  'engineKeys.updateEngineKeyLastSeen': 'the engine signature check: by key id',
  'engineKeys.listEngineKeySecrets': 'server-key rotation re-encrypts every stored secret',
  'engineKeys.updateEngineKeySecret': 'server-key rotation: one engine key’s secret by id, if unchanged',
};

/** Tables without tenant_id that the queries use: reference tables or coordinator-local under Citus. */
const GLOBAL_TABLES: Record<string, string> = {
  tenant: 'the tenants themselves: a reference table',
  signature_nonce: 'v2 nonces, keyed by appKey: checked before the tenant is known',
  rate_limit: 'per-appKey limiter state, keyed by appKey',
  console_session: 'signed-in browsers, keyed by a token hash',
  login_attempt: 'failed sign-ins by user name and address',
  scheduler_lease: 'which process does the scheduler’s work: one row for the installation',
};

interface Statement {
  /** `module.function: case`, as the snapshot names it. */
  entry: string;
  sql: string;
}

/** Every statement of every case in the PostgreSQL snapshots. */
function snapshotStatements(): Statement[] {
  const out: Statement[] = [];
  for (const file of readdirSync(HERE).filter((f) => f.endsWith('.postgres.sql'))) {
    const text = readFileSync(`${HERE}${file}`, 'utf8');
    for (const block of text.split(/^-- (?=[a-zA-Z]+\.[a-zA-Z]+: )/m).slice(1)) {
      const newline = block.indexOf('\n');
      const entry = block.slice(0, newline);
      for (const sql of block.slice(newline + 1).split(/;\n(?:\n|$)/)) if (sql.trim()) out.push({ entry, sql });
    }
  }
  return out;
}

const functionOf = (entry: string) => entry.slice(0, entry.indexOf(':'));

const KEYWORDS = new Set([
  'where',
  'on',
  'set',
  'inner',
  'left',
  'right',
  'full',
  'cross',
  'join',
  'group',
  'order',
  'limit',
  'values',
  'select',
  'default',
  'returning',
  'using',
  'union',
  'offset',
  'for',
  'having',
  'as',
  'natural',
  'lateral',
]);

/** Table references and the scoping verdict of one statement. */
function analyse(sql: string, tenantTables: Set<string>, allTables: Set<string>) {
  // Identifiers unquoted and string literals emptied, lower case: the rule reads names only.
  const text = sql
    .replace(/'(?:[^']|'')*'/g, "''")
    .replace(/"([^"]*)"/g, '$1')
    .toLowerCase();
  // Each sub-select is a scope (0 is the statement); a name resolves in its scope or the nearest enclosing one.
  const scopeAt: number[] = [];
  const parent = new Map<number, number>([[0, -1]]);
  const stack: number[] = [0];
  for (let i = 0; i < text.length; i++) {
    const current = stack.at(-1) ?? 0;
    // Each arm of a union is a scope of its own, with the same enclosing scope.
    if (text.startsWith('union', i) && /\W/.test(text[i - 1] ?? ' ') && /\W/.test(text[i + 5] ?? ' ')) {
      parent.set(i, parent.get(current) ?? -1);
      stack[stack.length - 1] = i;
    }
    if (text[i] === '(') {
      // However deep the formatter indents the sub-select's first line.
      const opens = /^\(\s*(select|with)\b/.test(text.slice(i, i + 80));
      if (opens) parent.set(i + 1, current);
      stack.push(opens ? i + 1 : current);
    }
    scopeAt.push(stack.at(-1) ?? 0);
    if (text[i] === ')' && stack.length > 1) stack.pop();
  }
  /** table is empty for a derived table (a sub-select with an alias). */
  const refs: { table: string; name: string; scope: number; aliased: boolean }[] = [];
  const unknown: string[] = [];
  const TABLE =
    /\b(from|join|into|(?<!\b(?:do|for|key)\s+)update)\s+([a-z_][a-z0-9_]*)(?:\s+(?:as\s+)?([a-z_][a-z0-9_]*))?/g;
  for (const m of text.matchAll(TABLE)) {
    const table = m[2] as string;
    if (!allTables.has(table)) {
      // A common table expression, a derived name or a table function (jsonb_to_recordset(…)) is not a table.
      const tableFunction = text[m.index + m[0].length] === '(';
      if (!tableFunction && !new RegExp(`\\b${table}\\s+as\\s*\\(`).test(text)) unknown.push(table);
      continue;
    }
    const alias = m[3] && !KEYWORDS.has(m[3]) ? m[3] : undefined;
    refs.push({ table, name: alias ?? table, scope: scopeAt[m.index] ?? 0, aliased: alias !== undefined });
  }
  /** The reference a qualifier at a position names: in that scope or the nearest enclosing one that has it. */
  const resolve = (name: string, at: number): number => {
    for (let scope = scopeAt[at] ?? 0; scope !== -1; scope = parent.get(scope) ?? -1) {
      const i = refs.findIndex((r) => r.name === name && r.scope === scope);
      if (i !== -1) return i;
    }
    return -1;
  };
  const scoped = new Set<number>();
  // A derived table (`(select …) as p`) holds rows of the tables its sub-select reads, which this
  // rule holds to scoping on their own: joining on its tenant_id scopes as a parameter would.
  for (const m of text.matchAll(/\)\s+as\s+([a-z_][a-z0-9_]*)/g)) {
    scoped.add(refs.length);
    refs.push({ table: '', name: m[1] as string, scope: scopeAt[m.index + m[0].length - 1] ?? 0, aliased: true });
  }
  // tenant_id, qualified or not, equal to a parameter or in a list.
  for (const m of text.matchAll(/(?<![\w.])(?:([a-z_][a-z0-9_]*)\.)?tenant_id\s*(?:=\s*\$\d+|in\s*\()/g)) {
    if (m[1]) scoped.add(resolve(m[1], m.index));
    // Unqualified: the scope's tables without an alias.
    else
      refs.forEach((r, i) => {
        if (!r.aliased && r.scope === scopeAt[m.index]) scoped.add(i);
      });
  }
  // An insert that names tenant_id among its columns writes rows of the tenants its values name.
  for (const m of text.matchAll(/\binsert\s+into\s+([a-z_][a-z0-9_]*)\s*\(([^)]*)\)/g))
    if (/\btenant_id\b/.test(m[2] as string)) scoped.add(resolve(m[1] as string, m.index));
  const joins = [...text.matchAll(/\b([a-z_][a-z0-9_]*)\.tenant_id\s*=\s*([a-z_][a-z0-9_]*)\.tenant_id\b/g)].map(
    (m) => [resolve(m[1] as string, m.index), resolve(m[2] as string, m.index)],
  );
  for (let changed = true; changed; ) {
    changed = false;
    for (const [a, b] of joins)
      if (scoped.has(a as number) !== scoped.has(b as number)) {
        scoped.add(a as number);
        scoped.add(b as number);
        changed = true;
      }
  }
  const unscoped = refs.filter((r, i) => tenantTables.has(r.table) && !scoped.has(i)).map((r) => r.table);
  return { refs, unscoped, unknown };
}

describe('tenant scoping of the queries (PostgreSQL snapshots)', () => {
  let t: TestDatabase;
  let tenantTables: Set<string>;
  let allTables: Set<string>;
  beforeAll(async () => {
    // Which tables carry tenant_id, read from the migrated schema rather than kept by hand.
    t = await createTestDatabase();
    const tables = await t.database.db.introspection.getTables({ withInternalKyselyTables: true });
    allTables = new Set(tables.map((x) => x.name));
    tenantTables = new Set(tables.filter((x) => x.columns.some((c) => c.name === 'tenant_id')).map((x) => x.name));
    // The snapshots are PostgreSQL's: on the SQLite pass, its one table of its own (migration 0026).
    if (testDialect === 'sqlite')
      for (const table of POSTGRES_ONLY_TENANT_TABLES) {
        allTables.add(table);
        tenantTables.add(table);
      }
  });
  afterAll(async () => {
    await t?.drop();
  });

  it('the rule: a tenant_id constraint or a join on tenant_id scopes a table; a join on an id does not', () => {
    const verdict = (sql: string) => analyse(sql, tenantTables, allTables).unscoped;
    expect(verdict('select * from "call_record" as "r" where "r"."tenant_id" = $1 and "r"."id" = $2')).toEqual([]);
    expect(verdict('select * from "call_record" where "tenant_id" in ($1, $2)')).toEqual([]);
    expect(
      verdict(
        'select * from call_record r join robot_call_job j on j.tenant_id = r.tenant_id and j.id = r.job_id where r.tenant_id = $1',
      ),
    ).toEqual([]);
    expect(
      verdict('select * from call_record r join robot_call_job j on j.id = r.job_id where r.tenant_id = $1'),
    ).toEqual(['robot_call_job']);
    // The outer reference is another row set than the scoped sub-select's, though both are named r.
    expect(
      verdict(
        'select r.* from (select r.id from call_record r where r.tenant_id = $1) p join call_record r on r.id = p.id',
      ),
    ).toEqual(['call_record']);
    // Two sub-selects that name their table alike, each scoped, however deep they are indented.
    expect(
      verdict(
        'select r.id from call_record r where r.tenant_id = $1 and r.id in (\n          select m.id from call_record m where m.tenant_id = $2)\n and r.id in (\n          select m.id from call_record m where m.tenant_id = $3)',
      ),
    ).toEqual([]);
    // A derived table's rows come from its scoped sub-select: a join on its tenant_id scopes.
    expect(
      verdict(
        'select r.* from (select r.id, r.tenant_id from call_record r where r.tenant_id = $1) as p join call_record r on r.id = p.id and r.tenant_id = p.tenant_id',
      ),
    ).toEqual([]);
    expect(verdict('insert into "do_not_call" ("tenant_id", "phone_number") values ($1, $2)')).toEqual([]);
    expect(verdict('select * from "tenant" where "id" = $1')).toEqual([]);
  });

  it('name only tables the schema has', () => {
    const unknown = snapshotStatements().flatMap((s) =>
      analyse(s.sql, tenantTables, allTables).unknown.map((table) => `${s.entry}: ${table}`),
    );
    expect(unknown, 'a name read as a table that the migrated schema does not have: mend the reader').toEqual([]);
  });

  it('use as global only the documented tables without tenant_id', () => {
    const global = new Set(
      snapshotStatements().flatMap((s) =>
        analyse(s.sql, tenantTables, allTables)
          .refs.map((r) => r.table)
          .filter((table) => table !== '' && !tenantTables.has(table)),
      ),
    );
    expect([...global].sort(), 'tables without tenant_id: document each in GLOBAL_TABLES').toEqual(
      Object.keys(GLOBAL_TABLES).sort(),
    );
  });

  it('are scoped by tenant_id, but for the allow-listed functions', () => {
    const unscoped = new Map<string, Set<string>>();
    for (const s of snapshotStatements()) {
      const tables = analyse(s.sql, tenantTables, allTables).unscoped;
      if (tables.length === 0) continue;
      const fn = functionOf(s.entry);
      unscoped.set(fn, new Set([...(unscoped.get(fn) ?? []), ...tables]));
    }
    const added = [...unscoped]
      .filter(([fn]) => !(fn in CROSS_TENANT))
      .map(([fn, tables]) => `${fn} (${[...tables].join(', ')})`);
    expect(
      added,
      'queries not scoped by tenant_id: scope them (a join names tenant_id too), or allow-list them in CROSS_TENANT with a reason if they cross tenants by design',
    ).toEqual([]);
    const stale = Object.keys(CROSS_TENANT).filter((fn) => !unscoped.has(fn));
    expect(stale, 'allow-listed functions whose queries are all scoped now: remove them from the list').toEqual([]);
  });
});
