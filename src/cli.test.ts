import { execFile } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestServer, type TestServer } from '../test/harness.js';

/* The built CLI (dist/, rebuilt before the tests by test/globalSetup.ts), run as a user would, against a real database and server. */

let server: TestServer;
const dir = mkdtempSync(join(tmpdir(), 'outcall-cli-'));

/** Runs the CLI without blocking this process, which also serves the API it talks to. */
function outcall(...args: string[]): Promise<{ status: number | null; stdout: string; stderr: string }> {
  return outcallWith({}, ...args);
}

function outcallWith(
  env: Record<string, string>,
  ...args: string[]
): Promise<{ status: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(
      process.execPath,
      ['dist/cli.js', ...args],
      { env: { ...process.env, DATABASE_URL: server.databaseUrl, ...env }, timeout: 30_000 },
      (error, stdout, stderr) => {
        resolve({ status: error ? (typeof error.code === 'number' ? error.code : null) : 0, stdout, stderr });
      },
    );
  });
}

beforeAll(async () => {
  server = await startTestServer();
});
afterAll(() => server.close());

describe('the outcall CLI', async () => {
  let creds: { tenantId: number; appKey: string; appSecret: string; tenantSign: string };
  const credentialsFile = join(dir, 'creds.json');

  it('creates a tenant and its first key, printing only one JSON line with --json (for `| jq`)', async () => {
    const r = await outcall('tenant', 'create', '--name', '命令行公司', '--sign', 'clitest', '--json');
    expect(r.status, r.stderr).toBe(0);
    creds = JSON.parse(r.stdout);
    expect(r.stderr).toContain('keep the appSecret');
    expect(creds).toEqual({
      tenantId: expect.any(Number),
      appKey: expect.stringMatching(/^[A-Za-z0-9]{16}$/),
      appSecret: expect.stringMatching(/^[A-Za-z0-9]{32}$/),
      tenantSign: 'clitest',
    });
    writeFileSync(credentialsFile, JSON.stringify({ baseUrl: server.url, ...creds }));
  });

  it('refuses a tenantSign that is taken, saying so', async () => {
    const r = await outcall('tenant', 'create', '--name', '又一个', '--sign', 'clitest');
    expect(r.status).toBe(1);
    expect(r.stderr).toContain('is taken');
  });

  it('sends signed requests and prints the envelope', async () => {
    const r = await outcall('request', 'GET', '/apiOpen/v1/task/getTasks?pageSize=5', '-c', credentialsFile);
    expect(r.status, r.stderr).toBe(0);
    expect(JSON.parse(r.stdout)).toMatchObject({ code: 200, data: { totalElements: 0, pageSize: 5 } });
  });

  it('sends a POST body, and exits 1 when the envelope is not a success', async () => {
    const r = await outcall(
      'request',
      'POST',
      '/apiOpen/v1/task/getCallRecordInfoList',
      '-d',
      '{"robotCallJobId": 99}',
      '-c',
      credentialsFile,
    );
    expect(r.status).toBe(1);
    expect(JSON.parse(r.stdout)).toMatchObject({ code: 404 });
  });

  it('lists keys without their secrets, and disables one', async () => {
    const list = await outcall('key', 'list', '--tenant-sign', 'clitest');
    expect(list.stdout).toContain(creds.appKey);
    expect(list.stdout).toContain('enabled');
    expect(list.stdout).not.toContain(creds.appSecret);
    expect((await outcall('key', 'disable', creds.appKey)).status).toBe(0);
    const refused = await outcall('request', 'GET', '/apiOpen/v1/task/getTasks', '-c', credentialsFile);
    expect(JSON.parse(refused.stdout)).toMatchObject({ code: 403 });
  });

  it('creates a further key for a tenant', async () => {
    const r = await outcall('key', 'create', '--tenant-sign', 'clitest', '--json');
    expect(r.status, r.stderr).toBe(0);
    expect(JSON.parse(r.stdout)).toMatchObject({ tenantSign: 'clitest', appKey: expect.any(String) });
  });

  it('reports migrations', async () => {
    const r = await outcall('migrate', '--status');
    expect(r.status, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/applied\s+0001_initial/);
  });

  it('sets a loopback or private callback URL, warning that its deliveries will be refused and how to allow them', async () => {
    const set = (url: string, env: Record<string, string> = {}) =>
      outcallWith(env, 'tenant', 'set-callback', '--tenant-sign', 'clitest', '--url', url);
    const [literal, name, privateV6, allowed, publicUrl] = await Promise.all([
      set('http://127.0.0.1:9/callbacks'),
      set('http://localhost:9/callbacks'),
      set('https://[fd00::5]/callbacks'),
      set('http://10.1.2.3/callbacks', { CALLBACK_ALLOW_PRIVATE_NETWORKS: 'true' }),
      set('https://93.184.215.14/callbacks'),
    ]);
    for (const r of [literal, name, privateV6, allowed, publicUrl]) {
      expect(r.status, r.stderr).toBe(0);
      expect(r.stdout).toContain('callbacks go to');
    }
    // The words of the delivery log's refusal: the host resolved as a delivery resolves it.
    expect(literal.stderr).toMatch(
      /^outcall: warning: 127\.0\.0\.1 is a private or reserved address; .*CALLBACK_ALLOW_PRIVATE_NETWORKS=true/,
    );
    expect(name.stderr).toMatch(
      /localhost resolves to a private or reserved address; .*CALLBACK_ALLOW_PRIVATE_NETWORKS=true/,
    );
    expect(privateV6.stderr).toContain('fd00::5 is a private or reserved address');
    expect(allowed.stderr).not.toContain('warning');
    expect(publicUrl.stderr).not.toContain('warning');
  });

  it('explains a missing credentials file', async () => {
    const r = await outcall('request', 'GET', '/apiOpen/v1/task/getTasks', '-c', join(dir, 'none.json'));
    expect(r.status).toBe(1);
    expect(r.stderr).toContain('cannot read credentials');
  });
});
