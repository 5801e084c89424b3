import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { finishedCall, T0, TenantFixture } from '../../../test/fixtures.js';
import { createTestDatabase, type TestDatabase } from '../../../test/harness.js';
import { backfillCallOrder } from './0010_call_record_later_filters.js';

let t: TestDatabase;
beforeAll(async () => {
  t = await createTestDatabase();
});
afterAll(() => t.drop());

const HOUR = 3_600_000;

describe('migration 0010 backfill', () => {
  it('numbers each call task’s calls in start order and flags the latest, as the write path does', async () => {
    const tenant = await TenantFixture.create(t.database);
    const a = await tenant.customer();
    const b = await tenant.customer();
    const job = await tenant.job({ redialTimes: 5, customers: [a.id, b.id] });
    const task = (id: number) => job.taskOf.get(id)!;
    // Recorded out of start order, in separate batches.
    await tenant.calls([finishedCall({ jobId: job.jobId, task: task(a.id), result: 'BUSY', at: T0 + 2 * HOUR })]);
    await tenant.calls([
      finishedCall({ jobId: job.jobId, task: task(a.id), result: 'NO_ANSWER', at: T0 + 3 * HOUR }),
      finishedCall({ jobId: job.jobId, task: task(b.id), result: 'ANSWERED', at: T0 }),
      finishedCall({ jobId: job.jobId, phone: '16600000000', at: T0 }),
      finishedCall({ jobId: job.jobId, phone: '17700000000', at: T0, training: true }),
    ]);
    const read = () =>
      t.database.db
        .selectFrom('call_record')
        .select(['id', 'redial_times', 'is_last'])
        .orderBy('id')
        .execute()
        .then((rows) => rows.map((r) => [Number(r.redial_times), Number(r.is_last)]));
    const written = await read();
    expect(written).toEqual([
      [0, 0],
      [1, 1],
      [0, 1],
      [0, 1],
      [0, 0],
    ]);
    await t.database.db.updateTable('call_record').set({ redial_times: 0, is_last: 0 }).execute();
    await backfillCallOrder(t.database.db);
    expect(await read()).toEqual(written);
  });
});
