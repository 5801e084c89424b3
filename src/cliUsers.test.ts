import { spawn } from 'node:child_process';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ConsoleBrowser } from '../test/consoleClient.js';
import { TenantFixture } from '../test/fixtures.js';
import { startTestServer, type TestServer } from '../test/harness.js';

/* `outcall user …` (the built CLI, rebuilt before the tests), run as an operator would, against a real database. */

let server: TestServer;
let tenant: TenantFixture;

/** Runs the CLI with `input` on its standard input. */
function outcall(
  input: string | undefined,
  ...args: string[]
): Promise<{ status: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, ['dist/cli.js', ...args], {
      env: { ...process.env, DATABASE_URL: server.databaseUrl },
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => {
      stdout += d.toString();
    });
    child.stderr.on('data', (d: Buffer) => {
      stderr += d.toString();
    });
    child.on('close', (status) => resolve({ status, stdout, stderr }));
    child.stdin.end(input ?? '');
  });
}

const signIn = (username: string, password: string) => new ConsoleBrowser(server.url).signIn(username, password);

beforeAll(async () => {
  server = await startTestServer();
  tenant = await TenantFixture.create(server.database);
});
afterAll(() => server.close());

describe('outcall user', () => {
  it('creates a user with the password from standard input, who can then sign in', async () => {
    const sign = tenant.credentials.tenantSign;
    const r = await outcall(
      'first-password\n',
      'user',
      'create',
      '--tenant-sign',
      sign,
      '--username',
      'wang',
      '--role',
      'admin',
      '--password-stdin',
    );
    expect(r.status, r.stderr).toBe(0);
    expect(r.stdout).toContain('created admin wang');
    const signedIn = await signIn('wang', 'first-password');
    expect(signedIn.code).toBe(200);
    expect(signedIn.data.user.role).toBe('admin');
  });

  it('refuses a taken username, a short password, an unknown role and a missing tenant, saying why', async () => {
    const sign = tenant.credentials.tenantSign;
    const taken = await outcall(
      'another-password',
      'user',
      'create',
      '--tenant-sign',
      sign,
      '--username',
      'wang',
      '--password-stdin',
    );
    expect(taken.status).toBe(1);
    expect(taken.stderr).toContain('is taken');
    const short = await outcall(
      'short',
      'user',
      'create',
      '--tenant-sign',
      sign,
      '--username',
      'li',
      '--password-stdin',
    );
    expect(short.stderr).toContain('at least 8 characters');
    const role = await outcall(
      'long-enough-pw',
      'user',
      'create',
      '--tenant-sign',
      sign,
      '--username',
      'li',
      '--role',
      'boss',
      '--password-stdin',
    );
    expect(role.stderr).toContain('admin or member');
    const noTenant = await outcall(
      'long-enough-pw',
      'user',
      'create',
      '--tenant-sign',
      'nosuch',
      '--username',
      'li',
      '--password-stdin',
    );
    expect(noTenant.status).toBe(1);
    expect(noTenant.stderr).toContain('nosuch');
  });

  it('asks for the password on a terminal, and says to use --password-stdin without one', async () => {
    const r = await outcall(
      undefined,
      'user',
      'create',
      '--tenant-sign',
      tenant.credentials.tenantSign,
      '--username',
      'zhao',
    );
    expect(r.status).toBe(1);
    expect(r.stderr).toContain('--password-stdin');
  });

  it('lists users, disables and enables one, and resets a password', async () => {
    const list = await outcall(undefined, 'user', 'list', '--tenant-sign', tenant.credentials.tenantSign);
    expect(list.stdout).toMatch(/^wang +admin +enabled/m);
    expect((await outcall(undefined, 'user', 'disable', 'wang')).status).toBe(0);
    expect((await outcall(undefined, 'user', 'list')).stdout).toMatch(/^wang +admin +disabled/m);
    expect((await signIn('wang', 'first-password')).code).toBe(401);
    expect((await outcall(undefined, 'user', 'enable', 'wang')).status).toBe(0);
    const reset = await outcall('second-password\n', 'user', 'reset-password', 'wang', '--password-stdin');
    expect(reset.status, reset.stderr).toBe(0);
    expect((await signIn('wang', 'first-password')).code).toBe(401);
    expect((await signIn('wang', 'second-password')).code).toBe(200);
    const unknown = await outcall(undefined, 'user', 'disable', 'nobody');
    expect(unknown.status).toBe(1);
    expect(unknown.stderr).toContain('nobody');
  });
});
