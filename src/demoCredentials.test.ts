import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { scratchDatabase } from '../test/databases.js';
import { freePort, testDialect } from '../test/harness.js';
import { DEMO_CREDENTIALS_FILE, demoCredentialsFile } from './demo/credentials.js';

/*
 * Each database has its own demo tenant and console password, so each has its own credentials
 * file: a demo on PostgreSQL must leave the SQLite demo's file alone (the SQLite demo would
 * otherwise read a password its database does not know, and reset its console login).
 */

const dir = mkdtempSync(join(tmpdir(), 'outcall-demo-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('the demo credentials file', () => {
  it('is data/demo-credentials.json for the default database, and differs for every other', () => {
    expect(demoCredentialsFile('sqlite:./data/outcall.db')).toBe(DEMO_CREDENTIALS_FILE);
    expect(demoCredentialsFile('sqlite:data/other.db')).toBe(join('data', 'demo-credentials-other.json'));
    expect(demoCredentialsFile('sqlite:/srv/x/outcall.db')).toBe('/srv/x/demo-credentials.json');
    expect(demoCredentialsFile('postgres://u:p@db.example:5432/outcall')).toBe(
      join('data', 'demo-credentials-postgres-outcall.json'),
    );
    expect(demoCredentialsFile('postgresql://u@h/other%20db')).toBe(
      join('data', 'demo-credentials-postgres-other_db.json'),
    );
  });

  it.runIf(testDialect === 'postgres')(
    "a PostgreSQL demo writes its own, leaving the SQLite demo's alone",
    async () => {
      const database = await scratchDatabase('postgres');
      try {
        // The SQLite demo's file, as `npm start` left it.
        mkdirSync(join(dir, 'data'));
        const sqliteDemo = `${JSON.stringify({ console: { username: 'demo', password: 'sqlite-demo-password' } })}\n`;
        writeFileSync(join(dir, DEMO_CREDENTIALS_FILE), sqliteDemo);
        const child = spawn(process.execPath, [resolve('dist/cli.js'), 'serve', '--demo', '--no-dialer'], {
          cwd: dir,
          env: {
            ...process.env,
            DATABASE_URL: database.url,
            PORT: String(await freePort()),
            LOG_LEVEL: 'warn',
            CALLBACK_DISPATCHER_ENABLED: 'false',
          },
          stdio: ['ignore', 'pipe', 'pipe'],
        });
        let output = '';
        child.stdout!.on('data', (d) => (output += d));
        child.stderr!.on('data', (d) => (output += d));
        const exited = new Promise((done) => child.once('exit', done));
        const name = new URL(database.url).pathname.slice(1);
        const own = join(dir, 'data', `demo-credentials-postgres-${name}.json`);
        try {
          // The banner follows the file's writing: once it is out, both files are as they stay.
          for (const started = Date.now(); !output.includes('Callbacks:'); ) {
            if (child.exitCode !== null) throw new Error(`the demo exited:\n${output}`);
            if (Date.now() - started > 25_000) throw new Error(`the demo did not start:\n${output}`);
            await new Promise((r) => setTimeout(r, 50));
          }
        } finally {
          child.kill('SIGTERM');
          await exited;
        }
        expect(readFileSync(join(dir, DEMO_CREDENTIALS_FILE), 'utf8')).toBe(sqliteDemo);
        expect(existsSync(own), output).toBe(true);
        const written = JSON.parse(readFileSync(own, 'utf8'));
        expect(written.console).toMatchObject({ username: 'demo', password: expect.any(String) });
        expect(written.console.password).not.toBe('sqlite-demo-password');
        expect(output).toContain(`credentials also in ${join('data', `demo-credentials-postgres-${name}.json`)}`);
      } finally {
        await database.drop();
      }
    },
  );
});
