import { spawn } from 'node:child_process';
import { sql } from 'kysely';
import { afterEach, describe, expect, it } from 'vitest';
import { type ScratchDatabase, scratchDatabase } from '../../test/databases.js';
import { call, testDialect } from '../../test/harness.js';
import { createTenant } from '../services/tenants.js';
import { createDatabase, type Database } from './database.js';
import { migrateToLatest, migrationStatus } from './migrate.js';

/*
 * Migration as operators meet it: the built CLI (dist/, rebuilt before the tests by
 * test/globalSetup.ts) run as separate processes against one fresh database — several at once,
 * as when N servers start together.
 */

const scratches: ScratchDatabase[] = [];
const open: Database[] = [];
afterEach(async () => {
  for (const d of open.splice(0)) await d.destroy();
  for (const s of scratches.splice(0)) await s.drop();
});

async function fresh(): Promise<ScratchDatabase> {
  const s = await scratchDatabase(testDialect);
  scratches.push(s);
  return s;
}

function connect(url: string): Database {
  const d = createDatabase(url, { poolSize: 2 });
  open.push(d);
  return d;
}

interface Running {
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null; stdout: string; stderr: string }>;
  /** Resolves with the first match of `re` in stdout. */
  waitFor(re: RegExp): Promise<RegExpMatchArray>;
  stop(): void;
}

function outcall(databaseUrl: string, ...args: string[]): Running {
  const child = spawn(process.execPath, ['dist/cli.js', ...args], {
    env: { ...process.env, DATABASE_URL: databaseUrl, DATABASE_POOL_SIZE: '2', LOG_LEVEL: 'info' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  const watchers: (() => void)[] = [];
  child.stdout.on('data', (d) => {
    stdout += d;
    for (const w of watchers) w();
  });
  child.stderr.on('data', (d) => (stderr += d));
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null; stdout: string; stderr: string }>(
    (resolve) => child.on('exit', (code, signal) => resolve({ code, signal, stdout, stderr })),
  );
  return {
    exited,
    waitFor: (re) =>
      new Promise((resolve, reject) => {
        const check = () => {
          const m = stdout.match(re);
          if (m) resolve(m);
        };
        watchers.push(check);
        check();
        void exited.then((r) =>
          reject(new Error(`exited (${r.code ?? r.signal}) before printing ${re}: ${r.stderr || r.stdout}`)),
        );
      }),
    stop: () => child.kill('SIGTERM'),
  };
}

/** Tables, columns, types and indexes, as the database itself describes them. */
async function schemaOf(database: Database): Promise<unknown[]> {
  if (database.dialect === 'postgres') {
    const columns = await sql<object>`
      select table_name, column_name, data_type, is_nullable, column_default from information_schema.columns
      where table_schema = 'public' order by table_name, column_name`.execute(database.db);
    const indexes =
      await sql<object>`select tablename, indexname, indexdef from pg_indexes where schemaname = 'public' order by indexname`.execute(
        database.db,
      );
    const constraints = await sql<object>`
      select conrelid::regclass::text as table_name, conname, pg_get_constraintdef(oid) as def from pg_constraint
      where connamespace = 'public'::regnamespace order by conname`.execute(database.db);
    return [...columns.rows, ...indexes.rows, ...constraints.rows];
  }
  const objects =
    await sql<object>`select type, name, tbl_name, sql from sqlite_master where name not like 'sqlite_%' order by name`.execute(
      database.db,
    );
  return objects.rows;
}

describe(`migrating ${testDialect}`, () => {
  it('several processes starting at once against one fresh database apply each migration exactly once', async () => {
    const target = await fresh();
    const reference = await fresh();
    const started = Date.now();
    // Four `migrate` runs and two servers migrating on start, all launched together (without
    // dialers: one SQLite file takes one).
    const migrators = Array.from({ length: 4 }, () => outcall(target.url, 'migrate'));
    const servers = Array.from({ length: 2 }, () => outcall(target.url, 'serve', '--port', '0', '--no-dialer'));

    const results = await Promise.all(migrators.map((m) => m.exited));
    for (const r of results) expect(r.code, r.stderr).toBe(0);
    // At most one `migrate` applied them (a server may have been first); the others found them applied.
    const applying = results.filter((r) => r.stdout.startsWith('applied: ')).length;
    expect(applying).toBeLessThanOrEqual(1);
    expect(results.filter((r) => r.stdout.includes('already up to date'))).toHaveLength(4 - applying);
    const urls = await Promise.all(
      servers.map(async (s) => (await s.waitFor(/outcall listening on (http:\/\/\S+?)"/))[1]!),
    );
    const elapsed = Date.now() - started;

    const database = connect(target.url);
    const applied = await sql<{ name: string }>`select name from kysely_migration order by name`.execute(database.db);
    const names = (await migrationStatus(database)).map((m) => m.name);
    expect(applied.rows.map((r) => r.name)).toEqual(names);
    expect((await migrationStatus(database)).every((m) => m.executedAt !== null)).toBe(true);

    // The schema equals the one a single, undisturbed migration creates.
    const single = connect(reference.url);
    await migrateToLatest(single);
    expect(await schemaOf(database)).toEqual(await schemaOf(single));

    // And both servers serve from it.
    const credentials = await createTenant(database, {
      name: '并发启动公司',
      tenantSign: `mig${Date.now().toString(36)}`,
    });
    for (const url of urls) {
      const r = await call({ url }, credentials, 'GET', '/apiOpen/v1/task/getTasks');
      expect(r).toMatchObject({ code: 200, data: { totalElements: 0 } });
    }
    for (const s of servers) s.stop();
    for (const s of servers) expect((await s.exited).code).toBe(0);
    console.info(
      `[migrate ${testDialect}] 4 migrate + 2 serve processes started together: ${applying ? 'a migrate run' : 'a server'} applied the migrations once, the others found it done; all ready in ${elapsed} ms`,
    );
  });

  it('`migrate --status` reports pending then applied; `serve --no-migrate` leaves the schema alone', async () => {
    const target = await fresh();
    const names = (await migrationStatus(connect(target.url))).map((m) => m.name);
    expect(names.length).toBeGreaterThanOrEqual(1);
    const status = async () => {
      const r = await outcall(target.url, 'migrate', '--status').exited;
      expect(r.code, r.stderr).toBe(0);
      return r.stdout.trim().split('\n');
    };
    expect(await status()).toEqual(names.map((n) => expect.stringMatching(new RegExp(`^pending +${n}$`))));

    const server = outcall(target.url, 'serve', '--port', '0', '--no-migrate');
    await server.waitFor(/outcall listening on/);
    server.stop();
    expect((await server.exited).code).toBe(0);
    expect(await status()).toEqual(names.map((n) => expect.stringMatching(new RegExp(`^pending +${n}$`))));

    const first = await outcall(target.url, 'migrate').exited;
    expect(first.code, first.stderr).toBe(0);
    expect(first.stdout.trim().split('\n')).toEqual([
      `applied: ${names.join(', ')}`,
      ...names.map((n) => expect.stringMatching(new RegExp(`^applied +${n}$`))),
    ]);
    const again = await outcall(target.url, 'migrate').exited;
    expect(again.stdout).toMatch(/^already up to date$/m);
    expect(await status()).toEqual(names.map((n) => expect.stringMatching(new RegExp(`^applied +${n}$`))));
  });
});
