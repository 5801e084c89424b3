import BetterSqlite3 from 'better-sqlite3';
import { describe, expect, it } from 'vitest';
import { createTestDatabase, testDialect } from '../../test/harness.js';
import { updateCallTasksProgress } from './callTasks.js';
import { updateCustomersLastCall } from './customers.js';

/*
 * The write path's set-based updates join the rows given (a JSON parameter) to the table. Without
 * planner statistics, SQLite takes an equality on an indexed column for a handful of rows: had it
 * read the tenant's rows through a tenant index and tested each against every row given, a batch
 * of 1,000 calls of a tenant with 500,000 call tasks would take minutes (seen building the bench
 * data set). Each row given must be found by its id, whatever the statistics say.
 */

describe.runIf(testDialect === 'sqlite')('the set-based updates of the write path on SQLite', () => {
  it('find each row given by its id, not through the tenant (no statistics)', async () => {
    const t = await createTestDatabase();
    try {
      await updateCallTasksProgress(t.database, 1, [
        {
          id: 1,
          status: 'FINISHED',
          attempts: 1,
          last_result_status: 'ANSWERED',
          next_attempt_at: null,
          finished_at: 1,
        },
      ]);
      await updateCustomersLastCall(t.database, 1, [
        { customerPersonId: 1, startTime: 1, chatDuration: 10, intentLevel: 'A', resultStatus: 'ANSWERED' },
      ]);
      const updates = t.queries.filter((q) => /^\s*update/i.test(q));
      expect(updates).toHaveLength(2);
      const file = t.databaseUrl.slice('sqlite:'.length);
      // Whatever the migrations left in sqlite_stat1 goes: a connection opened after plans without any.
      const writer = new BetterSqlite3(file);
      writer.exec(`delete from sqlite_stat1`);
      writer.close();
      const sqlite = new BetterSqlite3(file, { readonly: true });
      try {
        for (const text of updates) {
          const params = Array.from({ length: (text.match(/\?/g) ?? []).length }, () => null);
          const plan = sqlite
            .prepare(`explain query plan ${text}`)
            .all(...params)
            .map((r) => (r as { detail: string }).detail);
          expect(plan[0], text).toMatch(/^SCAN json_each/);
          expect(plan[1], text).toMatch(/^SEARCH (call_task|customer_person) USING INTEGER PRIMARY KEY \(rowid=\?\)/);
        }
      } finally {
        sqlite.close();
      }
    } finally {
      await t.drop();
    }
  });
});
