import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { LogEvent } from 'kysely';
import pg from 'pg';
import { OutcallClient, OutcallError } from '../src/client/index.js';
import type { ClientCredentials } from '../src/client/signing.js';
import { type Config, loadConfig } from '../src/config.js';
import { createDatabase, type Database } from '../src/db/database.js';
import { migrateToLatest } from '../src/db/migrate.js';
import { type App, type AppDependencies, buildApp } from '../src/http/app.js';

/*
 * Real parts for tests: a fresh database (a SQLite file, or a PostgreSQL database of its own when
 * OUTCALL_TEST_DIALECT=postgres) and the real app listening on loopback.
 */

export const testDialect = (process.env.OUTCALL_TEST_DIALECT ?? 'sqlite') as 'sqlite' | 'postgres';

export interface TestDatabase {
  database: Database;
  /** DATABASE_URL of this database, for child processes. */
  databaseUrl: string;
  /** Every SQL statement run since the last reset. */
  queries: string[];
  drop(): Promise<void>;
}

export async function createTestDatabase(): Promise<TestDatabase> {
  const queries: string[] = [];
  const log = (event: LogEvent) => {
    if (event.level === 'query') queries.push(event.query.sql);
  };
  if (testDialect === 'postgres') {
    const adminUrl = process.env.TEST_DATABASE_URL;
    if (!adminUrl)
      throw new Error(
        'OUTCALL_TEST_DIALECT=postgres needs TEST_DATABASE_URL (a PostgreSQL database to create test databases from)',
      );
    const name = `outcall_test_${process.pid}_${Math.random().toString(36).slice(2, 10)}`;
    const admin = new pg.Client({ connectionString: adminUrl });
    await admin.connect();
    await admin.query(`create database ${name}`);
    await admin.end();
    const url = new URL(adminUrl);
    url.pathname = `/${name}`;
    const database = createDatabase(url.toString(), { poolSize: 5, log });
    await migrateToLatest(database);
    queries.length = 0;
    return {
      database,
      databaseUrl: url.toString(),
      queries,
      async drop() {
        await database.destroy();
        const c = new pg.Client({ connectionString: adminUrl });
        await c.connect();
        await c.query(`drop database if exists ${name} with (force)`);
        await c.end();
      },
    };
  }
  const dir = mkdtempSync(join(tmpdir(), 'outcall-test-'));
  const url = `sqlite:${join(dir, 'test.db')}`;
  const database = createDatabase(url, { log });
  await migrateToLatest(database);
  queries.length = 0;
  return {
    database,
    databaseUrl: url,
    queries,
    async drop() {
      await database.destroy();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

export interface TestServer extends TestDatabase {
  app: App;
  url: string;
  config: Config;
  close(): Promise<void>;
}

/** The real app on 127.0.0.1 over a fresh database. */
export async function startTestServer(
  options: {
    env?: Record<string, string>;
    now?: () => number;
    logger?: Record<string, unknown>;
    /** More routes, as `serve` adds the demo's (AppDependencies.plugins), made for the test database. */
    plugins?: (database: Database) => AppDependencies['plugins'];
  } = {},
): Promise<TestServer> {
  const testDb = await createTestDatabase();
  // No rate limit unless a test asks for one: tests send bursts with one key.
  // The suite's cheap password cost (vitest.config.ts) unless a test sets one.
  const config = loadConfig({
    RATE_LIMIT_PER_SECOND: '0',
    CONSOLE_PASSWORD_COST: process.env.CONSOLE_PASSWORD_COST ?? '',
    ...options.env,
  });
  const app = await buildApp({
    database: testDb.database,
    config,
    now: options.now,
    logger: options.logger ?? false,
    plugins: options.plugins?.(testDb.database),
  });
  await app.listen({ port: 0, host: '127.0.0.1' });
  const address = app.server.address();
  const url = `http://127.0.0.1:${typeof address === 'object' && address ? address.port : 0}`;
  return {
    ...testDb,
    app,
    url,
    config,
    async close() {
      await app.close();
      await testDb.drop();
    },
  };
}

export interface Envelope<T = any> {
  code: number;
  data: T;
  requestId: string;
  resultMsg: string;
  errorStackTrace: null;
}

/** Sends a signed request as the platform's clients do, and returns the envelope (HTTP status must be 200). */
export async function call<T = any>(
  server: { url: string },
  credentials: ClientCredentials,
  method: 'GET' | 'POST',
  path: string,
  body?: unknown,
  headers: Record<string, string> = {},
): Promise<Envelope<T>> {
  // The SDK's transport, without retries: a test sees exactly the answer to its one request.
  const client = new OutcallClient({ baseUrl: server.url, ...credentials, retries: 0 });
  try {
    return await client.send<T>(method, path, {
      ...(typeof body === 'string' ? { bodyText: body } : { body }),
      headers,
    });
  } catch (error) {
    if (error instanceof OutcallError && error.kind === 'http')
      throw new Error(`HTTP ${error.httpStatus}: ${error.resultMsg}`);
    throw error;
  }
}

export const getTasks = (s: { url: string }, c: ClientCredentials, query = '') =>
  call(s, c, 'GET', `/apiOpen/v1/task/getTasks${query}`);
export const getTaskDetail = (s: { url: string }, c: ClientCredentials, id: number | string) =>
  call(s, c, 'GET', `/apiOpen/v1/task/getTaskDetail?robotCallJobId=${id}`);
export const getCallRecords = (s: { url: string }, c: ClientCredentials, body: unknown) =>
  call(s, c, 'POST', '/apiOpen/v1/task/getCallRecordInfoList', body);
export const callDetail = (s: { url: string }, c: ClientCredentials, id: number | string) =>
  call(s, c, 'GET', `/apiOpen/v1/task/callDetail?callRecordId=${id}`);

/** Every item of a paged call-record list, walking the pages. */
export async function allCallRecords(
  s: { url: string },
  c: ClientCredentials,
  body: Record<string, unknown>,
): Promise<any[]> {
  const items: any[] = [];
  for (let pageNum = 1; ; pageNum++) {
    const r = await getCallRecords(s, c, { ...body, pageNum, pageSize: 100 });
    if (r.code !== 200) throw new Error(`${r.code} ${r.resultMsg}`);
    items.push(...r.data.content);
    if (pageNum >= r.data.pages) return items;
  }
}

/**
 * A TCP port of 127.0.0.1 free now, for a server a test starts later (a child process, say).
 *
 * Drawn at random below the kernel's ephemeral range: a port from there (listen on 0) could be
 * handed to some test's outgoing connection between this check and the listen, and under a loaded
 * parallel run it was.
 */
export async function freePort(): Promise<number> {
  const [low, high] = portsBelowEphemeral();
  for (;;) {
    // A few ports of headroom below the range: the SIP helper takes P..P+4.
    const port = low + Math.floor(Math.random() * (high - low - 8));
    if (await tcpFree(port)) return port;
  }
}

function portsBelowEphemeral(): [number, number] {
  try {
    const ephemeralLow = Number(readFileSync('/proc/sys/net/ipv4/ip_local_port_range', 'utf8').split(/\s+/)[0]);
    if (ephemeralLow > 12_000) return [10_000, ephemeralLow];
  } catch {
    // Not Linux: the range Linux leaves to listeners by default.
  }
  return [20_000, 32_768];
}

function tcpFree(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const server = createServer();
    server.once('error', () => resolve(false));
    server.listen(port, '127.0.0.1', () => server.close(() => resolve(true)));
  });
}
