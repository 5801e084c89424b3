import type { Kysely } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { finishedCall, T0, TenantFixture } from '../../../test/fixtures.js';
import { call, startTestServer, type TestServer, testDialect } from '../../../test/harness.js';
import { gramsOf, NAME_GRAM_MAX, PHONE_GRAM_MAX } from '../../domain/search.js';
import { fillSearchGrams } from './0019_search_grams.js';

/*
 * Migration 0019: the grams short searches are answered from. Whatever writes customers and
 * records (the write path in batches, renames, numbers and jobs changed behind its back, records
 * deleted one by one and a job deleted whole), customer_name_gram and call_record_phone_gram must
 * equal a recomputation from the rows themselves, and so must what the migration's fill makes.
 */

const HOUR = 3_600_000;
let server: TestServer;
let db: Kysely<any>;
let tenant: TenantFixture;

beforeAll(async () => {
  server = await startTestServer();
  db = server.database.db as unknown as Kysely<any>;
  tenant = await TenantFixture.create(server.database);
  const other = await TenantFixture.create(server.database);
  const names = ['张伟', '欧阳娜娜', '王00', 'Tom张', '𠀋家', '王'];
  const customers = [];
  for (const [i, name] of names.entries())
    customers.push(await tenant.customer({ name, phone: `1390000${String(1100 + i * 11)}` }));
  customers.push(await other.customer({ name: '张伟', phone: '13900001100' }));
  const jobs = [await tenant.job({ customers: customers.slice(0, 6).map((c) => c.id), redialTimes: 10 })];
  jobs.push(await tenant.job({ customers: customers.slice(0, 3).map((c) => c.id), redialTimes: 10 }));
  const theirs = await other.job({ customers: [customers[6]!.id] });
  for (let batch = 0; batch < 4; batch++) {
    for (const job of jobs)
      await tenant.calls(
        customers.slice(0, job === jobs[0] ? 6 : 3).map((c, i) =>
          finishedCall({
            jobId: job.jobId,
            task: job.taskOf.get(c.id)!,
            at: T0 + (batch * 10 + i) * HOUR,
            training: (batch + i) % 5 === 4,
            phone: (batch + i) % 5 === 4 ? '1700000000' : undefined,
          }),
        ),
      );
  }
  await other.calls([finishedCall({ jobId: theirs.jobId, task: theirs.taskOf.get(customers[6]!.id)!, at: T0 })]);

  // Behind the write path's back.
  const ids = (
    await db.selectFrom('call_record').select('id').where('job_id', '=', jobs[0]!.jobId).orderBy('id').execute()
  ).map((r) => Number(r.id));
  await db.updateTable('customer_person').set({ name: '李娜娜' }).where('id', '=', customers[0]!.id).execute();
  await db.updateTable('call_record').set({ called_phone_number: '0105555' }).where('id', '=', ids[0]!).execute();
  await db.updateTable('call_record').set({ job_id: jobs[1]!.jobId }).where('id', '=', ids[1]!).execute();
  await db.updateTable('call_record').set({ is_training: 1 }).where('id', '=', ids[2]!).execute();
  await db.deleteFrom('call_detail').where('call_record_id', 'in', ids.slice(3, 5)).execute();
  await db.deleteFrom('call_record').where('id', 'in', ids.slice(3, 5)).execute();
  for (const path of ['/apiOpen/v1/task/pause', '/apiOpen/v1/task/delete']) {
    const r = await call(server, tenant.credentials, 'POST', path, { robotCallJobId: jobs[1]!.jobId });
    expect(r.code, r.resultMsg).toBe(200);
  }
});
afterAll(() => server?.close());

/** Both tables' rows that hold something, as comparable text. */
async function stored(): Promise<{ names: string[]; numbers: string[] }> {
  const names = await db.selectFrom('customer_name_gram').selectAll().execute();
  const numbers = await db.selectFrom('call_record_phone_gram').selectAll().where('records', '<>', 0).execute();
  return {
    names: names.map((r) => `${r.tenant_id}|${r.gram}|${r.customer_person_id}`).sort(),
    numbers: numbers.map((r) => `${r.tenant_id}|${r.job_id}|${r.is_training}|${r.gram}|${r.records}`).sort(),
  };
}

/** The same, recomputed here from the customers and the records. */
async function recomputed(): Promise<{ names: string[]; numbers: string[] }> {
  const names = [];
  for (const c of await db.selectFrom('customer_person').select(['id', 'tenant_id', 'name']).execute())
    for (const gram of gramsOf(c.name ?? '', NAME_GRAM_MAX)) names.push(`${c.tenant_id}|${gram}|${c.id}`);
  const counts = new Map<string, number>();
  const records = await db
    .selectFrom('call_record')
    .select(['tenant_id', 'job_id', 'is_training', 'called_phone_number'])
    .execute();
  for (const r of records)
    for (const gram of gramsOf(r.called_phone_number, PHONE_GRAM_MAX)) {
      const key = `${r.tenant_id}|${r.job_id}|${r.is_training}|${gram}`;
      counts.set(key, (counts.get(key) ?? 0) + 1);
    }
  return { names: names.sort(), numbers: [...counts].map(([k, n]) => `${k}|${n}`).sort() };
}

describe(`migration 0019 on ${testDialect}`, () => {
  it('keeps the names’ grams and the numbers’ gram counts equal to a recomputation', async () => {
    const now = await stored();
    expect(now).toEqual(await recomputed());
    expect(now.names.some((n) => n.startsWith(`${tenant.tenantId}|𠀋|`))).toBe(true);
    expect(now.numbers.length).toBeGreaterThan(50);
  });

  it('fills both tables from the rows when the migration runs (or a rebuild)', async () => {
    await fillSearchGrams(db, testDialect);
    expect(await stored()).toEqual(await recomputed());
  });
});
