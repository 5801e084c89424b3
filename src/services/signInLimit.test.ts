import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { ConsoleBrowser, consoleUser } from '../../test/consoleClient.js';
import { TenantFixture } from '../../test/fixtures.js';
import { startTestServer, type TestServer, testDialect } from '../../test/harness.js';
import { loadConfig } from '../config.js';
import { findConsoleUserByName, updateConsoleUserPassword } from '../repositories/consoleUsers.js';
import { authenticateUser, hashPassword, verifyPassword } from './consoleUsers.js';
import { backOffMs } from './signInLimit.js';

/*
 * The limit on password guessing (services/signInLimit.ts, docs/console.md) against the real
 * server: attempts counted before scrypt runs (the server's own count of scrypt checks, from
 * /metrics), back-off instead of a lock, per username and per client address, password changes
 * counted too; and the scrypt cost: old hashes still sign in and are raised to the cost set.
 * Each test signs in from an address of its own (X-Forwarded-For through TRUST_PROXY).
 */

let server: TestServer;
let tenant: TenantFixture;
/** The server's clock, held still in each test (a loaded machine must not let a back-off lapse) and moved by hand. */
let clock = Date.now();
let addresses = 0;
const newAddress = () => `10.9.0.${++addresses}`;

beforeAll(async () => {
  server = await startTestServer({
    now: () => clock,
    env: {
      TRUST_PROXY: '127.0.0.1',
      CONSOLE_LOGIN_MAX_FAILURES: '5',
      CONSOLE_LOGIN_WINDOW_MINUTES: '15',
      CONSOLE_LOGIN_MAX_DELAY_SECONDS: '300',
    },
  });
  tenant = await TenantFixture.create(server.database);
});
afterAll(() => server.close());
beforeEach(() => {
  clock = Date.now();
});

async function passwordChecks(): Promise<number> {
  const text = await (await fetch(`${server.url}/metrics`)).text();
  return Number(/^outcall_console_password_checks_total (\d+)$/m.exec(text)![1]);
}

function signIn(username: string, password: string, from: string) {
  const browser = new ConsoleBrowser(server.url);
  return browser
    .raw('POST', '/console/api/session', { body: { username, password }, headers: { 'x-forwarded-for': from } })
    .then(async (r) => ({
      ...((await r.json()) as { code: number }),
      retryAfter: Number(r.headers.get('retry-after')),
    }));
}

describe('the sign-in limit', () => {
  it('lets at most the free attempts of 20 parallel wrong passwords reach scrypt', async () => {
    const u = await consoleUser(server.database, tenant.credentials.tenantSign);
    const from = newAddress();
    const before = await passwordChecks();
    const answers = await Promise.all(
      Array.from({ length: 20 }, (_, i) => signIn(u.username, `wrong-password-${i}`, from)),
    );
    const checked = (await passwordChecks()) - before;
    const codes = answers.map((a) => a.code);
    expect(checked).toBeLessThanOrEqual(5);
    // SQLite runs one statement at a time: exactly the free five. PostgreSQL's may overlap, and an
    // attempt that sees others counted alongside it stands back, so there may be fewer.
    if (testDialect === 'sqlite') expect(checked).toBe(5);
    expect(codes.filter((c) => c === 401)).toHaveLength(checked);
    expect(codes.filter((c) => c === 429)).toHaveLength(20 - checked);
  });

  it('backs off, doubling to the cap, instead of locking: the real user waits at most the cap', async () => {
    const u = await consoleUser(server.database, tenant.credentials.tenantSign);
    // Someone else keeps guessing from addresses of their own, as fast as they are let.
    const waits: number[] = [];
    for (let i = 0; i < 16; i++) {
      const r = await signIn(u.username, `guess-${i}-password`, newAddress());
      if (r.code === 429) {
        waits.push(r.retryAfter);
        clock += r.retryAfter * 1000;
        i--;
        continue;
      }
      expect(r.code).toBe(401);
    }
    expect(waits).toEqual([1, 2, 4, 8, 16, 32, 64, 128, 256, 300, 300]);
    // The right password, the moment the wait is over, signs in, from anywhere.
    const refused = await signIn(u.username, u.password, newAddress());
    expect(refused.code).toBe(429);
    expect(refused.retryAfter).toBe(300);
    clock += 300_000;
    expect((await signIn(u.username, u.password, newAddress())).code).toBe(200);
    // A success forgets the username's failures.
    expect((await signIn(u.username, 'wrong-again-password', newAddress())).code).toBe(401);
    expect((await signIn(u.username, u.password, newAddress())).code).toBe(200);
  });

  it('forgets failures after the window without one', async () => {
    const u = await consoleUser(server.database, tenant.credentials.tenantSign);
    const from = newAddress();
    for (let i = 0; i < 5; i++) expect((await signIn(u.username, `wrong-${i}-password`, from)).code).toBe(401);
    expect((await signIn(u.username, u.password, from)).code).toBe(429);
    clock += 15 * 60_000 + 1;
    for (let i = 0; i < 5; i++) expect((await signIn(u.username, `wrong-${i}-password`, from)).code).toBe(401);
  });

  it('limits an address across usernames (4× a username’s free attempts)', async () => {
    const from = newAddress();
    for (let i = 0; i < 20; i++) expect((await signIn(`nobody-${i}`, 'wrong-password', from)).code).toBe(401);
    const refused = await signIn('nobody-else', 'wrong-password', from);
    expect(refused).toMatchObject({ code: 429, retryAfter: 1 });
    // Another address is not held back by it.
    expect((await signIn('nobody-else', 'wrong-password', newAddress())).code).toBe(401);
  });

  it('counts wrong current passwords of a password change', async () => {
    const u = await consoleUser(server.database, tenant.credentials.tenantSign);
    const from = newAddress();
    const browser = new ConsoleBrowser(server.url);
    const signedIn = await browser.call('POST', '/console/api/session', {
      body: u,
      headers: { 'x-forwarded-for': from },
    });
    browser.csrfToken = signedIn.data.csrfToken;
    const change = (current: string) =>
      browser.raw('POST', '/console/api/password', {
        body: { currentPassword: current, newPassword: 'a-new-password' },
        headers: { 'x-forwarded-for': from },
      });
    const before = await passwordChecks();
    const answers = await Promise.all(Array.from({ length: 10 }, (_, i) => change(`wrong-${i}-password`)));
    const codes = await Promise.all(answers.map(async (r) => ((await r.json()) as { code: number }).code));
    const wrong = codes.filter((c) => c === 412).length;
    expect((await passwordChecks()) - before).toBe(wrong);
    expect(wrong).toBeLessThanOrEqual(5);
    expect(codes.filter((c) => c === 429)).toHaveLength(10 - wrong);
    expect(answers.find((r) => r.status === 200 && r.headers.get('retry-after'))).toBeDefined();
    // Each wrong one is a failure of the username: after five, sign-ins back off too.
    for (let i = wrong; i < 5; i++) expect((await (await change(`again-${i}-wrong`)).json()).code).toBe(412);
    expect((await signIn(u.username, u.password, newAddress())).code).toBe(429);
  });

  it('refuses a cap longer than the window at start-up', () => {
    expect(() => loadConfig({ CONSOLE_LOGIN_MAX_DELAY_SECONDS: '3600', CONSOLE_LOGIN_WINDOW_MINUTES: '15' })).toThrow(
      /CONSOLE_LOGIN_MAX_DELAY_SECONDS \(3600\) must not exceed CONSOLE_LOGIN_WINDOW_MINUTES/,
    );
    expect(() => loadConfig({ CONSOLE_PASSWORD_COST: '9' })).toThrow(
      /CONSOLE_PASSWORD_COST must be an integer from 10/,
    );
  });

  it('backOffMs: free, then 1 s doubling, capped', () => {
    expect([4, 5, 6, 7, 30, 5000].map((f) => backOffMs(f, 5, 60_000))).toEqual([0, 1000, 2000, 4000, 60_000, 60_000]);
  });
});

describe('the password cost', () => {
  it('signs in with a hash of a lower cost and stores it again at the cost set', async () => {
    const u = await consoleUser(server.database, tenant.credentials.tenantSign);
    const stored = await findConsoleUserByName(server.database, u.username);
    expect(stored!.password_hash).toMatch(/^scrypt\$1024\$8\$1\$/);
    const raised = await startTestServer({ env: { CONSOLE_PASSWORD_COST: '11' } });
    try {
      const t = await TenantFixture.create(raised.database);
      const v = await consoleUser(raised.database, t.credentials.tenantSign);
      expect((await new ConsoleBrowser(raised.url).signIn(v.username, v.password)).code).toBe(200);
      const after = (await findConsoleUserByName(raised.database, v.username))!;
      expect(after.password_hash).toMatch(/^scrypt\$2048\$8\$1\$/);
      expect(await verifyPassword(v.password, after.password_hash)).toBe(true);
    } finally {
      await raised.close();
    }
  });

  it('at the production cost (N = 2^17, r = 8, p = 1): an old 2^15 hash signs in and is raised', async () => {
    const u = await consoleUser(server.database, tenant.credentials.tenantSign);
    const user = (await findConsoleUserByName(server.database, u.username))!;
    await updateConsoleUserPassword(server.database, user.id, await hashPassword(u.password, { log2N: 15 }), 0);
    const policy = { limits: { maxFailures: 5, windowMs: 900_000, maxDelayMs: 300_000 }, cost: { log2N: 17 } };
    const input = { username: u.username, password: u.password, clientIp: newAddress() };
    await authenticateUser(server.database, input, policy, clock);
    const raised = (await findConsoleUserByName(server.database, u.username))!.password_hash;
    expect(raised).toMatch(/^scrypt\$131072\$8\$1\$/);
    const started = performance.now();
    expect(await verifyPassword(u.password, raised)).toBe(true);
    console.log(`scrypt at N = 2^17, r = 8, p = 1: ${(performance.now() - started).toFixed(0)} ms`);
  });
});
