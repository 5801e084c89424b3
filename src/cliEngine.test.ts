import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TenantFixture } from '../test/fixtures.js';
import { call, createTestDatabase, startTestServer, type TestDatabase, type TestServer } from '../test/harness.js';
import { EngineClient } from './client/engine.js';
import { success } from './http/envelope.js';
import { keyIdOf } from './services/secrets.js';

/*
 * `outcall engine key …` (the built CLI, rebuilt before the tests), run as an operator would,
 * against a real database and a real server with a route marked as the engine protocol's are.
 */

const CLI = resolve('dist/cli.js');
const ECHO = '/engine/v1/test/echo';
const dir = mkdtempSync(join(tmpdir(), 'outcall-cli-engine-'));

let server: TestServer;
let tenant: TenantFixture;
let other: TenantFixture;

interface Run {
  status: number | null;
  stdout: string;
  stderr: string;
}

function outcall(args: string[], env: Record<string, string> = {}): Promise<Run> {
  return new Promise((done) => {
    execFile(
      process.execPath,
      [CLI, ...args],
      { env: { ...process.env, DATABASE_URL: server.databaseUrl, ...env }, timeout: 30_000 },
      (error, stdout, stderr) =>
        done({ status: error ? (typeof error.code === 'number' ? error.code : null) : 0, stdout, stderr }),
    );
  });
}

/** POST /engine/v1/test/echo signed with the key in `file`: by `outcall request` (`viaCli`), else by the SDK in this process. */
async function echo(file: string, viaCli = false): Promise<{ code: number; resultMsg: string; data: any }> {
  if (viaCli) {
    const r = await outcall(['request', 'POST', ECHO, '-c', file, '--base-url', server.url, '-d', '{"a":1}']);
    return JSON.parse(r.stdout);
  }
  const key = JSON.parse(readFileSync(file, 'utf8'));
  return new EngineClient({ baseUrl: server.url, ...key, retries: 0 }).send('POST', ECHO, { body: { a: 1 } });
}

/** The key `outcall engine key create … --json` printed, saved as a credentials file. */
async function created(
  ...args: string[]
): Promise<{ appKey: string; appSecret: string; tenantId: number | null; file: string }> {
  const r = await outcall(['engine', 'key', 'create', ...args, '--json']);
  expect(r.status, r.stderr).toBe(0);
  const key = JSON.parse(r.stdout);
  const file = join(dir, `${key.appKey}.json`);
  writeFileSync(file, r.stdout);
  return { ...key, file };
}

async function auditActions(t: TenantFixture, appKey: string): Promise<string[]> {
  const r = await call(server, t.credentials, 'GET', '/apiOpen/v1/auditLog/list?pageSize=100');
  return r.data.content
    .filter((e: { appKey: string }) => e.appKey === appKey)
    .map((e: { action: string; method: string }) => `${e.method} ${e.action}`)
    .reverse();
}

beforeAll(async () => {
  server = await startTestServer({
    plugins: () => [
      async (app) => {
        app.post(ECHO, { config: { engine: true } }, async (request) => success(request, request.engine));
      },
    ],
  });
  tenant = await TenantFixture.create(server.database);
  other = await TenantFixture.create(server.database);
});
afterAll(async () => {
  await server?.close();
  rmSync(dir, { recursive: true, force: true });
});

describe('outcall engine key', () => {
  it('creates a key for every tenant whose file `outcall request` signs engine requests with', async () => {
    const key = await created('--name', 'freeswitch-1');
    expect(key.appKey).toMatch(/^EK[A-Za-z0-9]{14}$/);
    expect(key.appSecret).toMatch(/^[A-Za-z0-9]{32}$/);
    expect(key.tenantId).toBeNull();
    const r = await echo(key.file, true);
    expect(r).toMatchObject({ code: 200, data: { appKey: key.appKey, name: 'freeswitch-1', tenantId: null } });
    // Entered in every tenant's audit log: each is a tenant the key works for.
    expect(await auditActions(tenant, key.appKey)).toEqual(['CLI engine/key/create']);
    expect(await auditActions(other, key.appKey)).toEqual(['CLI engine/key/create']);
  });

  it('creates a key for one tenant, by sign or by id, entered in that tenant’s log only', async () => {
    const bySign = await created('--name', 'agents', '--tenant-sign', tenant.credentials.tenantSign);
    expect(bySign.tenantId).toBe(tenant.tenantId);
    const byId = await created('--name', 'agents 2', '--tenant-id', String(other.tenantId));
    expect(byId.tenantId).toBe(other.tenantId);
    expect((await echo(bySign.file)).data.tenantId).toBe(tenant.tenantId);
    expect(await auditActions(tenant, bySign.appKey)).toEqual(['CLI engine/key/create']);
    expect(await auditActions(other, bySign.appKey)).toEqual([]);
  });

  it('prints the secret once, in words, without --json', async () => {
    const r = await outcall(['engine', 'key', 'create', '--name', 'shown once']);
    expect(r.status, r.stderr).toBe(0);
    expect(r.stdout).toMatch(
      /for every tenant; keep the appSecret: it is shown only here\nappKey EK\w{14}\nappSecret \w{32}\n/,
    );
  });

  it('lists the keys without their secrets', async () => {
    const key = await created('--name', 'listed', '--tenant-id', String(tenant.tenantId));
    await echo(key.file);
    const r = await outcall(['engine', 'key', 'list']);
    expect(r.status, r.stderr).toBe(0);
    const line = r.stdout.split('\n').find((l) => l.startsWith(key.appKey));
    expect(line).toContain('enabled');
    expect(line).toContain(`"listed"  tenant ${tenant.tenantId} ${tenant.credentials.tenantSign}`);
    expect(line).toMatch(/last seen \d{4}-/);
    expect(r.stdout).not.toContain(key.appSecret);
    const json = JSON.parse((await outcall(['engine', 'key', 'list', '--json'])).stdout);
    expect(json.find((k: { appKey: string }) => k.appKey === key.appKey)).toMatchObject({
      name: 'listed',
      tenantId: tenant.tenantId,
      enabled: true,
      lastSeenAt: expect.any(Number),
    });
    expect(JSON.stringify(json)).not.toContain(key.appSecret);
  });

  it('disables, enables and deletes a key, each taking effect at once and entered in the audit log', async () => {
    const key = await created('--name', 'short-lived', '--tenant-id', String(tenant.tenantId));
    expect((await outcall(['engine', 'key', 'disable', key.appKey])).stdout).toBe(`${key.appKey} disabled\n`);
    expect((await echo(key.file)).code).toBe(403);
    expect((await outcall(['engine', 'key', 'enable', key.appKey])).status).toBe(0);
    expect((await echo(key.file)).code).toBe(200);
    expect((await outcall(['engine', 'key', 'delete', key.appKey])).stdout).toBe(`${key.appKey} deleted\n`);
    expect((await echo(key.file)).code).toBe(401);
    expect(await auditActions(tenant, key.appKey)).toEqual([
      'CLI engine/key/create',
      'CLI engine/key/disable',
      'CLI engine/key/enable',
      'CLI engine/key/delete',
    ]);
  });

  it('refuses what it cannot do, with one line and exit code 1', async () => {
    const cases: [string[], string][] = [
      [['engine', 'key', 'disable', 'EKnothing000000'], 'no engine key EKnothing000000'],
      [['engine', 'key', 'create', '--name', ' '], 'name must be 1–100 characters'],
      [
        ['engine', 'key', 'create', '--name', 'x', '--tenant-id', '1', '--tenant-sign', 'a'],
        'with --tenant-id or --tenant-sign, not both',
      ],
    ];
    for (const [args, message] of cases) {
      const r = await outcall(args);
      expect(r.status, args.join(' ')).toBe(1);
      expect(r.stderr).toContain(message);
    }
  });
});

describe('outcall secret-key rotate', () => {
  let db: TestDatabase;
  beforeAll(async () => {
    db = await createTestDatabase();
  });
  afterAll(() => db?.drop());

  it('re-encrypts the engine keys’ secrets under the new key', async () => {
    const env = { DATABASE_URL: db.databaseUrl, OUTCALL_SECRET_KEY: '', SECRET_KEY_FILE: join(dir, 'rotated.key') };
    expect((await outcall(['engine', 'key', 'create', '--name', 'rotated'], env)).status).toBe(0);
    const r = await outcall(['secret-key', 'rotate'], env);
    expect(r.status, r.stderr).toBe(0);
    const [, newKeyId] = /key \S+ → (\S+)/.exec(r.stdout) ?? [];
    expect(r.stdout).toContain('re-encrypted 1 stored secret(s)');
    const row = await db.database.db.selectFrom('engine_key').select('app_secret').executeTakeFirstOrThrow();
    expect(keyIdOf(row.app_secret)).toBe(newKeyId);
  });
});
