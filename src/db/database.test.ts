import { sql } from 'kysely';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { createTestDatabase, type TestDatabase, testDialect } from '../../test/harness.js';
import { compiledOnce, createDatabase, type Database } from './database.js';

let test: TestDatabase;
beforeAll(async () => {
  test = await createTestDatabase();
});
afterAll(() => test.drop());

describe.runIf(testDialect === 'postgres')('the PostgreSQL connection pool', () => {
  it('survives its idle connections being ended by the server, and reconnects on the next query', async () => {
    const database = createDatabase(test.databaseUrl, { poolSize: 3 });
    const other = createDatabase(test.databaseUrl, { poolSize: 1 });
    try {
      // Three connections, all idle afterwards.
      await Promise.all([1, 2, 3].map(() => sql`select pg_sleep(0.05)`.execute(database.db)));
      const ended = await sql<{ n: number }>`
        select count(pg_terminate_backend(pid))::int as n from pg_stat_activity
        where datname = current_database() and pid <> pg_backend_pid() and application_name = ''`.execute(other.db);
      expect(ended.rows[0]!.n).toBeGreaterThanOrEqual(3);
      // The terminations reach the pool as 'error' events on idle clients; without a listener on the
      // pool they would be uncaught exceptions, and the run would fail.
      await new Promise((resolve) => setTimeout(resolve, 300));
      const after = await sql<{ one: number }>`select 1 as one`.execute(database.db);
      expect(after.rows).toEqual([{ one: 1 }]);
    } finally {
      await database.destroy();
      await other.destroy();
    }
  });
});

describe.runIf(testDialect === 'postgres')('the reads compiled once, on PostgreSQL', () => {
  it('run as prepared statements, and unprepared once their table changed under them', async () => {
    const database = createDatabase(test.databaseUrl, { poolSize: 1 });
    try {
      await sql`create table prepared_probe (id int primary key, a text)`.execute(database.db);
      await sql`insert into prepared_probe values (1, 'x'), (2, 'z')`.execute(database.db);
      const read = compiledOnce((db: Database, id: number) =>
        db.db.selectFrom(sql`prepared_probe`.as('p')).selectAll().where(sql.ref('p.id'), '=', id),
      );
      expect(await read(database, 1)).toEqual([{ id: 1, a: 'x' }]);
      expect(await read(database, 2)).toEqual([{ id: 2, a: 'z' }]);
      const prepared = await sql<{ n: number }>`
        select count(*)::int as n from pg_prepared_statements where statement like '%prepared_probe%'`.execute(
        database.db,
      );
      expect(prepared.rows[0]!.n).toBe(1);
      // The prepared `select *` can no longer run ("cached plan must not change result type").
      await sql`alter table prepared_probe add column b text default 'y'`.execute(database.db);
      expect(await read(database, 1)).toEqual([{ id: 1, a: 'x', b: 'y' }]);
      expect(await read(database, 2)).toEqual([{ id: 2, a: 'z', b: 'y' }]);
    } finally {
      await database.destroy();
    }
  });

  it('are prepared again when the server dropped them (DEALLOCATE ALL by a pooler, a failover)', async () => {
    // One connection: the statement is prepared on it, dropped on it, then run on it again.
    const database = createDatabase(test.databaseUrl, { poolSize: 1 });
    try {
      await sql`create table deallocated_probe (id int primary key, a text)`.execute(database.db);
      await sql`insert into deallocated_probe values (1, 'x'), (2, 'z')`.execute(database.db);
      const read = compiledOnce((db: Database, id: number) =>
        db.db.selectFrom(sql`deallocated_probe`.as('p')).selectAll().where(sql.ref('p.id'), '=', id),
      );
      const preparedCount = async () =>
        (
          await sql<{ n: number }>`
            select count(*)::int as n from pg_prepared_statements where statement like '%deallocated_probe%'`.execute(
            database.db,
          )
        ).rows[0]!.n;
      expect(await read(database, 1)).toEqual([{ id: 1, a: 'x' }]);
      expect(await preparedCount()).toBe(1);
      await sql`deallocate all`.execute(database.db);
      expect(await preparedCount()).toBe(0);
      expect(await read(database, 2)).toEqual([{ id: 2, a: 'z' }]);
      expect(await read(database, 1)).toEqual([{ id: 1, a: 'x' }]);
      // Prepared again, under the connection's new name, and kept.
      expect(await preparedCount()).toBe(1);

      // Inside a transaction the failure aborted it: the caller sees it, and the next run works.
      await sql`deallocate all`.execute(database.db);
      await expect(database.transaction((trx) => read(trx, 1))).rejects.toMatchObject({ code: '26000' });
      expect(await read(database, 2)).toEqual([{ id: 2, a: 'z' }]);
      expect(await database.transaction((trx) => read(trx, 1))).toEqual([{ id: 1, a: 'x' }]);
    } finally {
      await database.destroy();
    }
  });
});

describe.runIf(testDialect === 'postgres')('a transaction’s begin, on PostgreSQL', () => {
  let database: Database;
  beforeAll(async () => {
    database = createDatabase(test.databaseUrl, { poolSize: 1 });
    await sql`create table begin_probe (id int primary key)`.execute(database.db);
  });
  afterAll(() => database.destroy());

  const txid = (db: Database, marker = '') =>
    // A parameter makes the statement go after the begin; none, with it.
    (marker
      ? sql<{ id: string }>`select txid_current()::text as id, ${marker}::text as m`
      : sql<{ id: string }>`select txid_current()::text as id`
    )
      .execute(db.db)
      .then((r) => r.rows[0]!.id);

  /** Messages sent to the server while `work` runs: pg's client.query calls on the pool's one connection. */
  async function messagesOf(work: () => Promise<unknown>): Promise<string[]> {
    const sent: string[] = [];
    const query = pg.Client.prototype.query;
    // The real query, seen on its way: what it was asked to send.
    function seen(this: pg.Client, ...args: unknown[]) {
      const first = args[0];
      sent.push(typeof first === 'string' ? first : ((first as { text?: string }).text ?? 'cursor'));
      return (query as (...a: unknown[]) => unknown).apply(this, args);
    }
    const spy = vi.spyOn(pg.Client.prototype, 'query').mockImplementation(seen as never);
    try {
      await work();
    } finally {
      spy.mockRestore();
    }
    return sent;
  }

  it('goes with a first statement that has no parameters, in one message, inside the transaction', async () => {
    let ids: string[] = [];
    const sent = await messagesOf(async () => {
      ids = await database.transaction(async (trx) => [await txid(trx), await txid(trx, 'after')]);
    });
    expect(sent).toEqual([
      expect.stringMatching(/^begin; select txid_current\(\)/),
      expect.stringContaining('txid_current'),
      'commit',
    ]);
    // Both statements in one transaction: the first was not run on its own before the begin.
    expect(ids[0]).toBe(ids[1]);
  });

  it('goes first, on its own, when the first statement has parameters', async () => {
    const sent = await messagesOf(() => database.transaction((trx) => txid(trx, 'first')));
    expect(sent).toEqual(['begin', expect.stringContaining('txid_current'), 'commit']);
  });

  it('is not sent for a transaction that ends before any statement', async () => {
    const sent = await messagesOf(() => database.transaction(async () => 'nothing'));
    expect(sent).toEqual([]);
    // The connection is outside any transaction afterwards: each statement is its own.
    expect(await txid(database)).not.toBe(await txid(database));
  });

  it('rolls back what the first statement wrote, and a failing first statement leaves the connection usable', async () => {
    await expect(
      database.transaction(async (trx) => {
        await sql`insert into begin_probe values (1)`.execute(trx.db);
        throw new Error('changed my mind');
      }),
    ).rejects.toThrow('changed my mind');
    await expect(database.transaction((trx) => sql`select 1 / 0`.execute(trx.db))).rejects.toThrow(/division by zero/);
    const rows = await sql<{ n: number }>`select count(*)::int as n from begin_probe`.execute(database.db);
    expect(rows.rows[0]!.n).toBe(0);
  });
});
