import { type CompiledQuery, sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { finishedCall, T0, TenantFixture } from '../../../test/fixtures.js';
import { createTestDatabase, type TestDatabase, testDialect } from '../../../test/harness.js';
import { callHistoryOfTasks, markLastCalls } from '../../repositories/callRecords.js';
import { createDatabase, type Database } from '../database.js';

/*
 * Migration 0021: the write path's reads of a call task's calls (callHistoryOfTasks, and the read
 * of the flags set in markLastCalls) are answered inside call_record_task alone — an index-only
 * scan on PostgreSQL, a covering index on SQLite — and agree with the records.
 */

let t: TestDatabase;
let logged: Database;
const ran: CompiledQuery[] = [];
beforeAll(async () => {
  t = await createTestDatabase();
  logged = createDatabase(t.databaseUrl, {
    poolSize: 1,
    log: (e) => {
      if (e.level === 'query') ran.push(e.query);
    },
  });
});
afterAll(async () => {
  await logged.destroy();
  await t.drop();
});

/** The plan of a statement the write path ran, with its own parameters. */
async function planOf(query: CompiledQuery): Promise<string> {
  if (testDialect === 'sqlite') {
    const rows = await logged.db.executeQuery<{ detail: string }>({
      ...query,
      sql: `explain query plan ${query.sql}`,
    });
    return rows.rows.map((r) => r.detail).join('\n');
  }
  // A few rows, where any index of the tenant would do: the plan is asked of call_record_task alone
  // (the others dropped in a transaction rolled back), without sequential or bitmap scans.
  return logged.db.connection().execute(async (c) => {
    await sql`begin`.execute(c);
    try {
      const others = await sql<{ indexname: string }>`select indexname from pg_indexes
        where tablename = 'call_record' and indexname not in ('call_record_task', 'call_record_pkey')`.execute(c);
      for (const { indexname } of others.rows) await sql`drop index ${sql.ref(indexname)}`.execute(c);
      await sql`set local enable_seqscan = off`.execute(c);
      await sql`set local enable_bitmapscan = off`.execute(c);
      const rows = await c.executeQuery<{ 'QUERY PLAN': string }>({ ...query, sql: `explain ${query.sql}` });
      return rows.rows.map((r) => r['QUERY PLAN']).join('\n');
    } finally {
      await sql`rollback`.execute(c);
    }
  });
}

describe('migration 0021 call_record_task', () => {
  it('answers the call tasks’ history and their latest calls from the index alone', async () => {
    const tenant = await TenantFixture.create(t.database);
    const a = await tenant.customer();
    const b = await tenant.customer();
    const job = await tenant.job({ redialTimes: 5, customers: [a.id, b.id] });
    const taskA = job.taskOf.get(a.id)!;
    const taskB = job.taskOf.get(b.id)!;
    await tenant.calls([
      finishedCall({ jobId: job.jobId, task: taskA, result: 'BUSY', at: T0 }),
      finishedCall({ jobId: job.jobId, task: taskA, result: 'NO_ANSWER', at: T0 + 60_000 }),
      finishedCall({ jobId: job.jobId, task: taskA, result: 'ANSWERED', at: T0 + 120_000, training: true }),
      finishedCall({ jobId: job.jobId, task: taskB, result: 'ANSWERED', at: T0 }),
    ]);
    const last = await t.database.db
      .selectFrom('call_record')
      .select(['id', 'call_task_id', 'start_time'])
      .where('is_last', '=', 1)
      .where('call_task_id', 'is not', null)
      .orderBy('call_task_id')
      .execute();

    ran.length = 0;
    const history = await callHistoryOfTasks(logged, tenant.tenantId, [taskA.id, taskB.id]);
    expect(history).toEqual(
      new Map([
        [taskA.id, { calls: 2, last: { startTime: T0 + 60_000, id: last[0]!.id } }],
        [taskB.id, { calls: 1, last: { startTime: T0, id: last[1]!.id } }],
      ]),
    );
    const [historyRead] = ran.splice(0);
    // Nothing to change: the read of the flags alone.
    await markLastCalls(logged, tenant.tenantId, [
      { id: last[0]!.id, callTaskId: taskA.id, startTime: T0 + 60_000, isLast: true },
    ]);
    const [flagsRead, ...writes] = ran.splice(0);
    expect(writes).toEqual([]);
    for (const query of [historyRead!, flagsRead!]) {
      const plan = await planOf(query);
      expect(plan).toMatch(
        testDialect === 'sqlite'
          ? /USING COVERING INDEX call_record_task\b/
          : /Index Only Scan using call_record_task\b/,
      );
    }
  });
});
