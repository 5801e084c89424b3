import { type ChildProcess, spawn } from 'node:child_process';
import { createServer, type Server } from 'node:http';
import { resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { finishedCall, TenantFixture } from '../../test/fixtures.js';
import { call, createTestDatabase, freePort, type TestDatabase, testDialect } from '../../test/harness.js';
import { loadConfig } from '../config.js';
import { createDatabase } from '../db/database.js';
import { countCallbackEvents, countPendingCallbacks } from '../repositories/callbacks.js';
import { expandCallbackBatches, setCallbackUrl } from '../services/callbacks.js';
import { CallbackDispatcher, dispatcherSettings } from './dispatcher.js';

/*
 * Callbacks across processes: an event recorded and acknowledged survives kill -9 of the server
 * and is delivered after the restart; two dispatchers sharing one database deliver every event
 * exactly once while the receiver answers `success`.
 */

const CLI = resolve('dist/cli.js');

let testDb: TestDatabase;
let receiver: Server;
let receiverUrl: string;
const received: { eventId: string; body: any }[] = [];

beforeAll(async () => {
  testDb = await createTestDatabase();
  receiver = createServer((req, res) => {
    let body = '';
    req.on('data', (c) => (body += c));
    req.on('end', () => {
      received.push({ eventId: String(req.headers['x-outcall-event-id']), body: JSON.parse(body) });
      res.end('success');
    });
  });
  await new Promise<void>((done) => receiver.listen(0, '127.0.0.1', done));
  const address = receiver.address();
  receiverUrl = `http://127.0.0.1:${typeof address === 'object' && address ? address.port : 0}/hook`;
});
afterAll(async () => {
  receiver.closeAllConnections();
  await new Promise((done) => receiver.close(done));
  await testDb.drop();
});

async function serve(env: Record<string, string>): Promise<{ child: ChildProcess; url: string; output: () => string }> {
  const port = await freePort();
  const child = spawn(process.execPath, [CLI, 'serve', '--no-dialer'], {
    env: {
      ...process.env,
      DATABASE_URL: testDb.databaseUrl,
      PORT: String(port),
      HOST: '127.0.0.1',
      LOG_FORMAT: 'json',
      RATE_LIMIT_PER_SECOND: '0',
      CALLBACK_ALLOW_PRIVATE_NETWORKS: 'true',
      ...env,
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout!.on('data', (d) => (output += d));
  child.stderr!.on('data', (d) => (output += d));
  const url = `http://127.0.0.1:${port}`;
  for (const started = Date.now(); ; ) {
    if (child.exitCode !== null) throw new Error(`the server exited:\n${output}`);
    if (
      await fetch(`${url}/healthz`).then(
        (r) => r.ok,
        () => false,
      )
    )
      break;
    if (Date.now() - started > 30_000) throw new Error(`the server did not start:\n${output}`);
    await new Promise((r) => setTimeout(r, 100));
  }
  return { child, url, output: () => output };
}

async function until(condition: () => boolean, ms: number): Promise<void> {
  for (const started = Date.now(); !condition() && Date.now() - started < ms; )
    await new Promise((r) => setTimeout(r, 25));
}

describe('kill -9 between recording and delivery', () => {
  it('delivers every acknowledged call’s event after the restart', async () => {
    const tenant = await TenantFixture.create(testDb.database);
    await setCallbackUrl(testDb.database, tenant.tenantId, receiverUrl);
    const { jobId } = await tenant.job();
    // The first server records but does not deliver (its dispatcher is off): the events wait in the outbox.
    const first = await serve({ CALLBACK_DISPATCHER_ENABLED: 'false' });
    const callRecords = Array.from({ length: 50 }, (_, i) => ({
      idempotencyKey: `kill-${i}`,
      robotCallJobId: jobId,
      calledPhoneNumber: `1381234${String(i).padStart(4, '0')}`,
      resultStatus: 'ANSWERED',
      intentLevel: 'B',
      startTime: Date.now() - 60_000,
      endTime: Date.now() - 30_000,
      chatDuration: 25,
      chatRound: 3,
    }));
    const r = await call(first, tenant.credentials, 'POST', '/apiOpen/v1/task/addCallRecords', { callRecords });
    expect(r.code).toBe(200);
    first.child.kill('SIGKILL');
    await new Promise((done) => first.child.once('exit', done));
    expect(received.filter((x) => x.body.data.tenantId === tenant.tenantId)).toHaveLength(0);
    // Killed between recording and expansion: the events wait in their batch, counted as pending.
    expect((await countPendingCallbacks(testDb.database, Date.now())).pending).toBeGreaterThanOrEqual(50);

    const second = await serve({});
    try {
      const mine = () => received.filter((x) => x.body.data.tenantId === tenant.tenantId);
      await until(() => mine().length >= 50, 10_000);
      expect(mine()).toHaveLength(50);
      expect(new Set(mine().map((x) => x.body.data.callRecordId)).size).toBe(50);
    } finally {
      second.child.kill('SIGTERM');
      await new Promise((done) => second.child.once('exit', done));
    }
  });
});

describe('two dispatchers on one database', () => {
  it('deliver every event exactly once while the receiver answers success', async () => {
    const tenants = await Promise.all([0, 1, 2].map(() => TenantFixture.create(testDb.database)));
    for (const t of tenants) await setCallbackUrl(testDb.database, t.tenantId, receiverUrl);
    for (const t of tenants) {
      const { jobId } = await t.job();
      await t.calls(Array.from({ length: 100 }, () => finishedCall({ jobId })));
    }
    const ours = new Set(tenants.map((t) => t.tenantId));
    const mine = () => received.filter((x) => ours.has(x.body.data.tenantId));
    const settings = {
      ...dispatcherSettings(loadConfig({ CALLBACK_ALLOW_PRIVATE_NETWORKS: 'true' })),
      concurrency: 8,
      perTenant: 4,
      pollMs: 10,
    };
    // Each with its own connections, as two processes would have.
    const databases = [createDatabase(testDb.databaseUrl), createDatabase(testDb.databaseUrl)];
    const dispatchers = databases.map((database) => new CallbackDispatcher({ database, settings }));
    for (const d of dispatchers) d.start();
    try {
      await until(() => mine().length >= 300, 20_000);
      await new Promise((r) => setTimeout(r, 200)); // a second delivery of any event would show by now
    } finally {
      for (const d of dispatchers) await d.stop();
      for (const database of databases) await database.destroy();
    }
    const ids = mine().map((x) => x.eventId);
    expect(ids).toHaveLength(300);
    expect(new Set(ids).size).toBe(300);
    // Both took part.
    expect(dispatchers.every((d) => d.stats().delivered > 0)).toBe(true);
  });
});

describe('two dispatchers expanding batches at once', () => {
  // PostgreSQL: batch rows are taken FOR UPDATE SKIP LOCKED. (On SQLite one write transaction runs
  // at a time, and two connections in one process would block each other's thread.)
  it.runIf(testDialect === 'postgres')('expand each batch exactly once', async () => {
    const tenant = await TenantFixture.create(testDb.database);
    await setCallbackUrl(testDb.database, tenant.tenantId, receiverUrl);
    const { jobId } = await tenant.job();
    // 40 recording transactions: 40 batches of 5 events.
    for (let i = 0; i < 40; i++) await tenant.calls(Array.from({ length: 5 }, () => finishedCall({ jobId })));
    const databases = [createDatabase(testDb.databaseUrl), createDatabase(testDb.databaseUrl)];
    try {
      // Each takes a few batches per transaction, over and over, as dispatchers do before claiming.
      const expand = async (database: (typeof databases)[number]) => {
        let events = 0;
        for (;;) {
          const r = await expandCallbackBatches(database);
          events += r.events;
          if (!r.more && r.events === 0) return events;
        }
      };
      const counts = await Promise.all(databases.map(expand));
      // Every event once: a second copy would have failed on the unique event id, or added to the sum.
      expect(counts[0]! + counts[1]!).toBe(200);
      expect(await countCallbackEvents(testDb.database, tenant.tenantId, {})).toBe(200);
    } finally {
      for (const database of databases) await database.destroy();
    }
  });
});
