import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { consoleUser } from '../../test/consoleClient.js';
import { TenantFixture } from '../../test/fixtures.js';
import { createTestDatabase, type TestDatabase } from '../../test/harness.js';
import { loadConfig } from '../config.js';
import type { Database } from '../db/database.js';
import { buildApp } from '../http/app.js';
import { insertConsoleSession } from '../repositories/consoleSessions.js';
import { findConsoleUserByName, insertLoginFailures } from '../repositories/consoleUsers.js';
import { insertSignatureNonce } from '../repositories/tenants.js';
import { startHousekeeping } from './housekeeping.js';

/*
 * The purge of rows that only age out (services/housekeeping.ts), on a real database: what has
 * expired goes, what is still live stays, and a running app purges without any request.
 */

let test: TestDatabase;
let db: Database;
let userId: number;
let appKey: string;
const IDLE_MS = 30 * 60_000;
const WINDOW_MS = 15 * 60_000;
const config = loadConfig({
  CONSOLE_SESSION_IDLE_MINUTES: String(IDLE_MS / 60_000),
  CONSOLE_LOGIN_WINDOW_MINUTES: String(WINDOW_MS / 60_000),
});

beforeAll(async () => {
  test = await createTestDatabase();
  db = test.database;
  const tenant = await TenantFixture.create(db);
  appKey = tenant.credentials.appKey;
  const { username } = await consoleUser(db, tenant.credentials.tenantSign);
  userId = Number((await findConsoleUserByName(db, username))!.id);
});
afterAll(() => test.drop());

let serial = 0;
/** One expired and one live row in each table, as of `now`; returns their keys. */
async function seed(now: number) {
  const n = ++serial;
  const key = (what: string) => `${what}${n}`.padEnd(16, 'x');
  await insertSignatureNonce(db, appKey, key('expired'), now - 1, now - 600_000);
  await insertSignatureNonce(db, appKey, key('live'), now + 300_000, now);
  const session = (id: string, lastSeen: number, expiresAt: number) =>
    insertConsoleSession(db, { id, userId, csrfToken: 't', now: lastSeen, expiresAt });
  await session(key('past-expiry'), now - 1000, now - 1);
  await session(key('idle'), now - IDLE_MS - 1, now + 3_600_000);
  await session(key('live-session'), now - 1000, now + 3_600_000);
  await insertLoginFailures(db, [`user:${key('old')}`], now - WINDOW_MS - 1);
  await insertLoginFailures(db, [`user:${key('recent')}`], now - 1000);
  return key;
}

async function remaining() {
  const nonces = await db.db.selectFrom('signature_nonce').select('nonce').orderBy('nonce').execute();
  const sessions = await db.db.selectFrom('console_session').select('id').orderBy('id').execute();
  const failures = await db.db.selectFrom('login_attempt').select('subject').orderBy('subject').execute();
  return {
    nonces: nonces.map((r) => r.nonce),
    sessions: sessions.map((r) => r.id),
    failures: failures.map((r) => r.subject),
  };
}

const empty = async () => {
  await db.db.deleteFrom('signature_nonce').execute();
  await db.db.deleteFrom('console_session').execute();
  await db.db.deleteFrom('login_attempt').execute();
};

describe('housekeeping', () => {
  it('deletes expired nonces, sessions past expiry or idle too long, and old sign-in failures; keeps the rest', async () => {
    await empty();
    const now = Date.now();
    const key = await seed(now);
    const housekeeping = startHousekeeping(db, {
      sessionIdleMs: IDLE_MS,
      loginWindowMs: WINDOW_MS,
      now: () => now,
      log: { error: () => {} },
      intervalMs: 3_600_000,
    });
    try {
      await housekeeping.runOnce();
    } finally {
      await housekeeping.stop();
    }
    expect(await remaining()).toEqual({
      nonces: [key('live')],
      sessions: [key('live-session')],
      failures: [`user:${key('recent')}`],
    });
  });

  it('runs in a running app without any request, and no more once the app is closed', async () => {
    await empty();
    const app = await buildApp({ database: db, config, logger: false, housekeepingIntervalMs: 20 });
    let key: (what: string) => string;
    try {
      key = await seed(Date.now());
      const expected = {
        nonces: [key('live')],
        sessions: [key('live-session')],
        failures: [`user:${key('recent')}`],
      };
      const deadline = Date.now() + 5000;
      while (JSON.stringify(await remaining()) !== JSON.stringify(expected) && Date.now() < deadline)
        await new Promise((resolve) => setTimeout(resolve, 20));
      expect(await remaining()).toEqual(expected);
    } finally {
      await app.close();
    }
    await empty();
    await seed(Date.now());
    await new Promise((resolve) => setTimeout(resolve, 100));
    expect((await remaining()).nonces).toHaveLength(2);
  });
});
