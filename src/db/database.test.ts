import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestDatabase, type TestDatabase, testDialect } from '../../test/harness.js';
import { createDatabase } from './database.js';

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
