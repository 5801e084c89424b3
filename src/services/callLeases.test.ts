import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { T0, TenantFixture } from '../../test/fixtures.js';
import { createTestDatabase, type TestDatabase } from '../../test/harness.js';
import type { Database } from '../db/database.js';
import { claimCallTasks, dialCallTask, type Engine, type LeaseSettings, reportCallResult } from './callLeases.js';

const SETTINGS: LeaseSettings = { leaseTtlMs: 1000, leaseGraceMs: 1000 };
let t: TestDatabase;
let db: Database;
beforeAll(async () => {
  t = await createTestDatabase();
  db = t.database;
});
afterAll(() => t?.drop());

const external = (tenantId: number | null = null): Engine => ({
  engineKeyId: 1,
  name: 'e1',
  tenantId,
  kind: 'external',
});

describe('smoke', () => {
  it('claims, dials and records', async () => {
    const tenant = await TenantFixture.create(db);
    const line = await tenant.phoneLine('057100000001');
    const c = await tenant.customer();
    const { jobId } = await tenant.job({ phoneLineIds: [line], customers: [c.id] });
    const engine = external(tenant.tenantId);
    const now = T0 + 60_000;
    const claim = await claimCallTasks(db, engine, { max: 5 }, SETTINGS, now);
    expect(claim.tasks).toHaveLength(1);
    expect(claim.tasks[0]).toMatchObject({ robotCallJobId: jobId, calledPhoneNumber: c.phone, attempt: 1 });
    expect((await claimCallTasks(db, engine, { max: 5 }, SETTINGS, now)).tasks).toHaveLength(0);
    const leaseId = claim.tasks[0]!.leaseId;
    await dialCallTask(db, engine, leaseId, SETTINGS, now + 10);
    const r = await reportCallResult(db, engine, leaseId, { sipCode: 486, endedBy: 'remote' }, now + 5000);
    expect(r.resultStatus).toBe('BUSY');
    expect(r.callRecordId).toBeGreaterThan(0);
    expect(await reportCallResult(db, engine, leaseId, { sipCode: 200, endedBy: 'remote' }, now + 6000)).toEqual(r);
  });
});
