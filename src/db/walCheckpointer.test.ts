import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { sql } from 'kysely';
import { afterAll, describe, expect, it } from 'vitest';
import { createDatabase, walCheckpointerOf } from './database.js';

/*
 * The SQLite WAL checkpointer (db/walCheckpointer.ts): while it runs the main connection leaves the
 * checkpoints to it, yet the WAL stays bounded; on destroy the worker stops and the main connection
 * gets its automatic checkpoint back. Plain SQLite files, on either test database.
 */

const dir = mkdtempSync(join(tmpdir(), 'outcall-wal-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const until = async (done: () => boolean, ms = 5000) => {
  for (const end = Date.now() + ms; !done() && Date.now() < end; ) await new Promise((r) => setTimeout(r, 20));
};

describe('the SQLite WAL checkpointer', () => {
  it('checkpoints the WAL in its worker, keeps it bounded, and stops on destroy', async () => {
    const file = join(dir, 'wal.db');
    const database = createDatabase(`sqlite:${file}`);
    const checkpointer = walCheckpointerOf(database)!;
    expect(checkpointer).toBeDefined();
    const autocheckpoint = async () =>
      Number(
        Object.values(
          (await sql`pragma wal_autocheckpoint`.execute(database.db)).rows[0] as Record<string, unknown>,
        )[0],
      );
    // The main connection leaves the checkpoints to the worker while it runs, but for a backstop.
    expect(await autocheckpoint()).toBe(8192);
    await sql`create table filler (id integer primary key, text text not null)`.execute(database.db);
    const text = 'x'.repeat(4000);
    // 120 transactions of 100 pages each: 12,000 pages, 48 MB of WAL were it never written over.
    for (let t = 0; t < 120; t++) {
      await database.transaction(async (trx) => {
        for (let i = 0; i < 100; i++) await sql`insert into filler (text) values (${text})`.execute(trx.db);
      });
      await new Promise((r) => setTimeout(r, 5));
    }
    await until(() => checkpointer.checkpoints > 0);
    expect(checkpointer.checkpoints).toBeGreaterThan(0);
    // Checkpointed WAL is written over from its start: it stays within the backstop (32 MB).
    expect(statSync(`${file}-wal`).size).toBeLessThan(34 * 1024 * 1024);
    await database.destroy();
    // The worker has closed its connection: the main one, closing last, removed the WAL.
    expect(() => statSync(`${file}-wal`)).toThrow();
  });

  it('is waited for on destroy by a process with nothing else to do, which then goes on', () => {
    // The worker does not keep a process alive; waited for, it must (else the process ends mid-await).
    const script = `import { createDatabase } from ${JSON.stringify(resolve('dist/db/database.js'))};
      const database = createDatabase(${JSON.stringify(`sqlite:${join(dir, 'process.db')}`)});
      await database.db.selectNoFrom((eb) => eb.val(1).as('one')).execute();
      await database.destroy();
      console.log('destroyed');`;
    const out = spawnSync(process.execPath, ['--input-type=module', '-e', script], { encoding: 'utf8' });
    expect({ status: out.status, stdout: out.stdout.trim() }).toEqual({ status: 0, stdout: 'destroyed' });
  });

  it('runs no worker for a database in memory', async () => {
    const database = createDatabase('sqlite::memory:');
    expect(walCheckpointerOf(database)).toBeUndefined();
    await database.destroy();
  });
});
