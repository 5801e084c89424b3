import { type ChildProcess, execFile, spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ConsoleBrowser, consoleUser } from '../test/consoleClient.js';
import { createTestDatabase, freePort, type TestDatabase } from '../test/harness.js';
import { listCallbackSecrets } from './repositories/callbacks.js';
import { insertApiKey, listAppSecrets } from './repositories/tenants.js';
import { generateSecretKey, keyIdOf, parseSecretKey, secretKeyId } from './services/secrets.js';

/*
 * The built CLI (dist/, rebuilt before the tests) as an operator uses it, with a key file of its
 * own (no OUTCALL_SECRET_KEY): keys and their signature setting, `request` signing v2, start-up over
 * secrets stored in clear, and `secret-key rotate` beside a running `serve`.
 */

const CLI = resolve('dist/cli.js');
const dir = mkdtempSync(join(tmpdir(), 'outcall-cli-secrets-'));
const keyFile = join(dir, 'secret.key');
let testDb: TestDatabase;
let serveChild: ChildProcess | undefined;
let serveOutput = '';

function env(extra: Record<string, string> = {}) {
  return {
    ...process.env,
    DATABASE_URL: testDb.databaseUrl,
    OUTCALL_SECRET_KEY: '',
    SECRET_KEY_FILE: keyFile,
    ...extra,
  };
}

function outcall(
  args: string[],
  extra: Record<string, string> = {},
  input?: string,
): Promise<{ status: number | null; stdout: string; stderr: string }> {
  return new Promise((done) => {
    const child = execFile(
      process.execPath,
      [CLI, ...args],
      { env: env(extra), timeout: 30_000 },
      (error, stdout, stderr) =>
        done({ status: error ? (typeof error.code === 'number' ? error.code : null) : 0, stdout, stderr }),
    );
    child.stdin?.end(input ?? '');
  });
}

/** `outcall serve` on `port`, answering. */
async function startServe(port: number): Promise<void> {
  serveOutput = '';
  serveChild = spawn(process.execPath, [CLI, 'serve', '--no-dialer'], {
    env: env({ PORT: String(port), HOST: '127.0.0.1', LOG_FORMAT: 'json', LOG_LEVEL: 'info' }),
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const child = serveChild;
  child.stdout!.on('data', (d) => (serveOutput += d));
  child.stderr!.on('data', (d) => (serveOutput += d));
  for (const started = Date.now(); ; ) {
    if (child.exitCode !== null) throw new Error(`serve exited:\n${serveOutput}`);
    if (
      await fetch(`http://127.0.0.1:${port}/openapi.json`).then(
        (r) => r.status < 500,
        () => false,
      )
    )
      return;
    if (Date.now() - started > 30_000) throw new Error(`serve did not start:\n${serveOutput}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

beforeAll(async () => {
  testDb = await createTestDatabase();
});
afterAll(async () => {
  serveChild?.kill('SIGKILL');
  await testDb.drop();
  rmSync(dir, { recursive: true, force: true });
});

describe('keys, signatures and the secret key through the CLI', () => {
  const v1File = join(dir, 'v1.json');
  const v2File = join(dir, 'v2.json');
  let v1: { appKey: string; appSecret: string; tenantSign: string };
  let v2: { appKey: string; appSecret: string; tenantSign: string; signatureVersion: string };
  let url: string;
  let port: number;

  it('generates the key file on first use, saying so, and stores the app secret encrypted', async () => {
    const r = await outcall(['tenant', 'create', '--name', '签名公司', '--sign', 'clikeys', '--json']);
    expect(r.status, r.stderr).toBe(0);
    expect(r.stderr).toContain(`generated a new secret key in ${keyFile}`);
    v1 = JSON.parse(r.stdout.trim().split('\n').at(-1)!);
    const [row] = await listAppSecrets(testDb.database, false);
    expect(row!.app_secret).toMatch(/^v1:/);
    expect(row!.app_secret).not.toContain(v1.appSecret);
    expect(readFileSync(keyFile, 'utf8')).not.toContain(v1.appSecret);
  });

  it('creates a key that accepts only v2, and lists each key’s setting without secrets', async () => {
    const r = await outcall(['key', 'create', '--tenant-sign', 'clikeys', '--signature', 'v2', '--json']);
    expect(r.status, r.stderr).toBe(0);
    expect(r.stderr).toBe('');
    v2 = JSON.parse(r.stdout);
    expect(v2).toMatchObject({ tenantSign: 'clikeys', signatureVersion: 'v2' });
    const list = await outcall(['key', 'list', '--tenant-sign', 'clikeys']);
    expect(list.stdout).toMatch(new RegExp(`${v1.appKey}\\s+enabled\\s+v1 or v2`));
    expect(list.stdout).toMatch(new RegExp(`${v2.appKey}\\s+enabled\\s+v2 only`));
    expect(list.stdout).not.toContain(v1.appSecret);
    expect((await outcall(['key', 'create', '--tenant-sign', 'clikeys', '--signature', 'v3'])).stderr).toContain(
      'must be v1 or v2',
    );
  });

  it('serves requests signed by `request` with v1, and with v2 when the credentials file says so', async () => {
    port = await freePort();
    url = `http://127.0.0.1:${port}`;
    await startServe(port);
    writeFileSync(v1File, JSON.stringify({ baseUrl: url, ...v1 }));
    writeFileSync(v2File, JSON.stringify({ baseUrl: url, ...v2 }));
    const path = '/apiOpen/v1/task/getTasks?pageSize=5&name=%E7%AD%BE';
    const one = await outcall(['request', 'GET', path, '-c', v1File]);
    expect(one.status, one.stderr).toBe(0);
    expect(JSON.parse(one.stdout).code).toBe(200);
    const two = await outcall([
      'request',
      'POST',
      '/apiOpen/v1/task/getCallRecordInfoList',
      '-d',
      '{"robotCallJobId": 1}',
      '-c',
      v2File,
    ]);
    expect(JSON.parse(two.stdout)).toMatchObject({ code: 404 });
    expect((await outcall(['request', 'GET', path, '-c', v2File])).status).toBe(0);
    // The v1 key signs v2 when asked to; the v2-only key refuses v1.
    expect((await outcall(['request', 'GET', path, '-c', v1File, '--signature', 'v2'])).status).toBe(0);
    const refused = await outcall(['request', 'GET', path, '-c', v2File, '--signature', 'v1']);
    expect(refused.status).toBe(1);
    expect(JSON.parse(refused.stdout)).toMatchObject({
      code: 401,
      resultMsg: expect.stringContaining('only signature version v2'),
    });
  });

  it('sets a key’s signature version', async () => {
    const path = '/apiOpen/v1/task/getTasks';
    expect((await outcall(['key', 'set-signature', v2.appKey, 'v1'])).stdout).toContain('accepts signature v1 and v2');
    expect((await outcall(['request', 'GET', path, '-c', v2File, '--signature', 'v1'])).status).toBe(0);
    expect((await outcall(['key', 'set-signature', v2.appKey, 'v2'])).stdout).toContain('accepts only signature v2');
    expect((await outcall(['request', 'GET', path, '-c', v2File, '--signature', 'v1'])).status).toBe(1);
    const none = await outcall(['key', 'set-signature', 'NoSuchKey0000000', 'v2']);
    expect(none.status).toBe(1);
    expect(none.stderr).toContain('no key NoSuchKey0000000');
  });

  it('encrypts, on migrate, app secrets stored in clear by an older version', async () => {
    const tenant = await testDb.database.db.selectFrom('tenant').select('id').executeTakeFirstOrThrow();
    await insertApiKey(testDb.database, tenant.id, 'PlainKey00000001', 'PlainSecretPlainSecretPlainSecr1', Date.now());
    const r = await outcall(['migrate']);
    expect(r.status, r.stderr).toBe(0);
    expect(r.stdout).toContain('encrypted 1 stored app secret(s)');
    const rows = await listAppSecrets(testDb.database, false);
    expect(rows.every((row) => row.app_secret.startsWith('v1:'))).toBe(true);
    const plain = join(dir, 'plain.json');
    writeFileSync(
      plain,
      JSON.stringify({
        baseUrl: url,
        appKey: 'PlainKey00000001',
        appSecret: 'PlainSecretPlainSecretPlainSecr1',
        tenantSign: 'clikeys',
      }),
    );
    const served = await outcall(['request', 'GET', '/apiOpen/v1/task/getTasks', '-c', plain]);
    expect(served.status, served.stdout + served.stderr).toBe(0);
    expect((await outcall(['migrate'])).stdout).not.toContain('encrypted');
  });

  it('rotates the secret key beside the running server, which follows without a restart', async () => {
    const oldKey = readFileSync(keyFile, 'utf8');
    const before = await listAppSecrets(testDb.database, false);
    // Every stored secret is re-encrypted: the app secrets and the tenants' callback secrets.
    const callbackSecrets = await listCallbackSecrets(testDb.database, false);
    const oldId = keyIdOf(before[0]!.app_secret)!;
    const admin = await consoleUser(testDb.database, 'clikeys', 'admin');
    const browser = new ConsoleBrowser(url);
    expect((await browser.signIn(admin.username, admin.password)).code).toBe(200);
    // The new key from standard input, never on the command line.
    const r = await outcall(['secret-key', 'rotate', '--new-key-stdin'], {}, `${generateSecretKey()}\n`);
    expect(r.status, r.stderr).toBe(0);
    // The running server makes a secret before anything sends it a value under the new key.
    const made = await browser.call('POST', '/console/api/keys');
    expect(made.code, made.resultMsg).toBe(200);
    const stored = (await listAppSecrets(testDb.database, false)).find((row) => row.app_key === made.data.appKey)!;
    const newId = secretKeyId(parseSecretKey(readFileSync(keyFile, 'utf8')));
    expect(r.stdout).toContain(`→ ${newId}`);
    expect(keyIdOf(stored.app_secret)).toBe(newId);
    expect(r.stdout).toContain(
      `re-encrypted ${before.length + callbackSecrets.length} stored secret(s): key ${oldId} →`,
    );
    expect(r.stdout).toContain(`the key it replaced is kept in ${keyFile}.retired-${oldId}`);
    const newKey = readFileSync(keyFile, 'utf8');
    expect(newKey).not.toBe(oldKey);
    expect(readFileSync(`${keyFile}.retired-${oldId}`, 'utf8')).toBe(oldKey);
    expect(existsSync(`${keyFile}.next`)).toBe(false);
    const after = await listAppSecrets(testDb.database, false);
    expect(new Set(after.map((row) => keyIdOf(row.app_secret))).size).toBe(1);
    expect(keyIdOf(after[0]!.app_secret)).not.toBe(oldId);
    for (const file of [v1File, v2File]) {
      const served = await outcall(['request', 'GET', '/apiOpen/v1/task/getTasks', '-c', file]);
      expect(served.status, served.stdout).toBe(0);
    }
    // Neither key nor any app secret is ever in the server's log.
    expect(serveOutput).toContain('secret key loaded');
    for (const secret of [oldKey.trim(), newKey.trim(), v1.appSecret, v2.appSecret, made.data.appSecret])
      expect(serveOutput).not.toContain(secret);
    // A restart reads every stored secret with the key file's key: the new API key signs.
    serveChild!.kill('SIGTERM');
    await new Promise((done) => serveChild!.once('exit', done));
    await startServe(port);
    const madeFile = join(dir, 'made.json');
    writeFileSync(madeFile, JSON.stringify({ baseUrl: url, tenantSign: 'clikeys', ...made.data }));
    for (const file of [madeFile, v1File]) {
      const served = await outcall(['request', 'GET', '/apiOpen/v1/task/getTasks', '-c', file]);
      expect(served.status, served.stdout + serveOutput).toBe(0);
    }
  });

  it('refuses to run with a key that cannot read the stored secrets, or to make one up for them', async () => {
    const wrong = await outcall(['key', 'list'], { OUTCALL_SECRET_KEY: 'a'.repeat(64) });
    expect(wrong.status).toBe(1);
    expect(wrong.stderr).toMatch(
      /stored secret\(s\) are encrypted under secret key \S+, but the key configured \(OUTCALL_SECRET_KEY\)/,
    );
    const missing = await outcall(['key', 'list'], { SECRET_KEY_FILE: join(dir, 'elsewhere', 'secret.key') });
    expect(missing.status).toBe(1);
    expect(missing.stderr).toContain("does not exist, and the database's secrets are encrypted under key");
    expect(existsSync(join(dir, 'elsewhere'))).toBe(false);
    // A key on the command line is refused, whatever it is: `ps` shows arguments to everyone.
    const onArgv = await outcall(['secret-key', 'rotate', '--new-key', 'a'.repeat(64)]);
    expect(onArgv.status).toBe(1);
    expect(onArgv.stderr).toContain('--new-key is refused');
    expect(onArgv.stderr).toContain('--new-key-stdin or --new-key-file');
    const badFile = join(dir, 'bad.key');
    writeFileSync(badFile, 'not-a-key\n');
    const bad = await outcall(['secret-key', 'rotate', '--new-key-file', badFile]);
    expect(bad.status).toBe(1);
    expect(bad.stderr).toContain('the new key must be 32 bytes');
    const badEnv = await outcall(['key', 'list'], { OUTCALL_SECRET_KEY: 'not-a-key' });
    expect(badEnv.stderr).toContain('OUTCALL_SECRET_KEY must be 32 bytes');
  });
});
