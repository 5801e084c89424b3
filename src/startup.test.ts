import { type ChildProcess, execFile, spawn } from 'node:child_process';
import { mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { freePort } from '../test/harness.js';

/*
 * Start-up as a user meets it: the built CLI (`node dist/cli.js serve`, rebuilt before the tests)
 * in a folder of its own, so that nothing it writes lands in the checkout. A setting it cannot
 * start with ends it with exit code 1 and one line naming the setting, never a stack trace; a
 * second dialer on one SQLite file is refused. SQLite only: the subject is the process, not the
 * database (the PostgreSQL pass runs it too, with its own SQLite files).
 */

const CLI = resolve('dist/cli.js');
const dir = mkdtempSync(join(tmpdir(), 'outcall-startup-'));
const children: ChildProcess[] = [];

afterAll(() => {
  for (const child of children) if (child.exitCode === null) child.kill('SIGKILL');
  rmSync(dir, { recursive: true, force: true });
});

/** Runs the CLI to its end (or 20 s), in `cwd`. */
function run(args: string[], env: Record<string, string>, cwd = dir) {
  return new Promise<{ status: number | null; stdout: string; stderr: string }>((done) => {
    execFile(
      process.execPath,
      [CLI, ...args],
      { cwd, env: { ...process.env, LOG_FORMAT: 'json', ...env }, timeout: 20_000 },
      (error, stdout, stderr) =>
        done({ status: error ? (typeof error.code === 'number' ? error.code : null) : 0, stdout, stderr }),
    );
  });
}

/** Starts a long-running command and resolves once its output contains `ready`. */
async function start(args: string[], env: Record<string, string>, ready: string): Promise<ChildProcess> {
  const child = spawn(process.execPath, [CLI, ...args], {
    cwd: dir,
    env: { ...process.env, LOG_FORMAT: 'json', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  children.push(child);
  let output = '';
  await new Promise<void>((done, fail) => {
    const seen = (d: Buffer) => {
      output += d;
      if (output.includes(ready)) done();
    };
    child.stdout!.on('data', seen);
    child.stderr!.on('data', seen);
    child.once('exit', (code) => fail(new Error(`${args.join(' ')} exited (${code}):\n${output}`)));
  });
  return child;
}

function stop(child: ChildProcess): Promise<void> {
  return new Promise((done) => {
    if (child.exitCode !== null) return done();
    child.once('exit', () => done());
    child.kill('SIGTERM');
  });
}

/** One line on stderr naming `setting`, no stack frame, exit code 1. */
function expectRefusal(r: { status: number | null; stderr: string }, setting: string) {
  expect(r.status, r.stderr).toBe(1);
  const lines = r.stderr.trim().split('\n');
  expect(lines, r.stderr).toHaveLength(1);
  expect(lines[0]).toMatch(new RegExp(`^outcall: .*\\b${setting}\\b`));
  expect(r.stderr).not.toMatch(/^\s+at /m);
}

describe('serve refuses what it cannot start with, in one line', () => {
  it('a port another process listens on', async () => {
    const busy: Server = createServer();
    await new Promise<void>((done) => busy.listen(0, '127.0.0.1', done));
    const port = (busy.address() as { port: number }).port;
    try {
      const r = await run(['serve', '--no-dialer'], { PORT: String(port), DATABASE_URL: 'sqlite:busy.db' });
      expectRefusal(r, 'PORT');
      expect(r.stderr).toContain(`PORT ${port} is already in use`);
    } finally {
      busy.close();
    }
  });

  it('a HOST that is not an address, or a name that does not resolve', async () => {
    const port = String(await freePort());
    const [numbers, name] = await Promise.all([
      run(['serve', '--no-dialer'], { HOST: '999.1.1.1', PORT: port, DATABASE_URL: 'sqlite:host.db' }),
      run(['serve', '--no-dialer'], { HOST: 'no-such-host.invalid', PORT: port, DATABASE_URL: 'sqlite:host.db' }),
    ]);
    expectRefusal(numbers, 'HOST');
    expectRefusal(name, 'HOST');
    expect(name.stderr).toContain('"no-such-host.invalid"');
  });

  it('a DATABASE_URL of another database, creating no file', async () => {
    const cwd = mkdtempSync(join(dir, 'mysql-'));
    const r = await run(['serve'], { DATABASE_URL: 'mysql://x', PORT: String(await freePort()) }, cwd);
    expectRefusal(r, 'DATABASE_URL');
    expect(readdirSync(cwd)).toEqual([]);
  });

  it('a database that cannot be reached or opened, and a key file that cannot be written', async () => {
    const aFile = join(dir, 'a-file');
    writeFileSync(aFile, '');
    const port = String(await freePort());
    const [postgres, sqlite, dialer, keyFile] = await Promise.all([
      run(['serve'], { DATABASE_URL: 'postgres://outcall:secret@127.0.0.1:1/outcall', PORT: port }),
      run(['serve'], { DATABASE_URL: `sqlite:${aFile}/x.db`, PORT: port }),
      run(['dialer'], { DATABASE_URL: `sqlite:${aFile}/x.db` }),
      run(['serve', '--no-dialer'], {
        DATABASE_URL: 'sqlite:key.db',
        OUTCALL_SECRET_KEY: '',
        SECRET_KEY_FILE: `${aFile}/secret.key`,
        PORT: port,
      }),
    ]);
    for (const r of [postgres, sqlite, dialer]) expectRefusal(r, 'DATABASE_URL');
    expect(postgres.stderr).toContain('ECONNREFUSED');
    expect(postgres.stderr).not.toContain('secret');
    expectRefusal(keyFile, 'SECRET_KEY_FILE');
  });
});

describe('one dialer per SQLite file', () => {
  it('refuses a second serve or dialer on the same file, and allows serve --no-dialer beside it', async () => {
    const env = { DATABASE_URL: 'sqlite:data/shared.db' };
    const first = await start(['serve'], { ...env, PORT: String(await freePort()) }, 'dialer running');
    const [second, dialer] = await Promise.all([
      run(['serve'], { ...env, PORT: String(await freePort()) }),
      run(['dialer'], env),
    ]);
    expectRefusal(second, 'DATABASE_URL');
    expect(second.stderr).toContain('already has a dialer');
    expectRefusal(dialer, 'DATABASE_URL');
    // The API without a dialer beside it: no lock taken.
    const apiOnly = await start(['serve', '--no-dialer'], { ...env, PORT: String(await freePort()) }, 'listening');
    await stop(apiOnly);
    // The lock goes with the process that held it: a dialer may start once the first has stopped.
    await stop(first);
    const after = await start(['dialer'], env, 'dialer running');
    await stop(after);
  });
});
