import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { finishedCall, T0, TenantFixture } from '../../test/fixtures.js';
import { createTestDatabase, type TestDatabase } from '../../test/harness.js';
import { listAuditEntries } from '../repositories/auditLog.js';
import { findPhoneLine } from '../repositories/phoneLines.js';
import { findTenant } from '../repositories/tenants.js';
import { addLine, lineMetrics, noteLineOutcome, setLine, usableLinesOfJob } from './phoneLines.js';
import { reencryptStoredSecrets, secretKeyring } from './secrets.js';
import { setTenantTimeZone } from './tenants.js';

/*
 * What happens to a caller line beyond its API (docs/lines.md): a line that keeps failing is
 * disabled by itself, with an audit entry, a log line and a metric; the lines a job may dial from;
 * its trunk password under a key rotation; and the tenant's time zone change, after which past
 * days of the statistics stay as counted and new calls count in the new zone.
 */

let db: TestDatabase;
let tenant: TenantFixture;
const warnings: { obj: object; msg: string }[] = [];
const log = { warn: (obj: object, msg: string) => warnings.push({ obj, msg }) };
const caller = () => ({ tenantId: tenant.tenantId, timeZone: 'Asia/Shanghai' });
const line = async (id: number) => (await findPhoneLine(db.database, tenant.tenantId, id))!;

beforeAll(async () => {
  db = await createTestDatabase();
  tenant = await TenantFixture.create(db.database);
});
afterAll(() => db.drop());

describe('noteLineOutcome', () => {
  it('disables a line after the limit of failures in a row, once, with an audit entry, a log line and a metric', async () => {
    const id = (await addLine(db.database, caller(), { phoneNumber: '057100000001' })).phoneLine.phoneNumberId;
    const note = (failed: boolean) => noteLineOutcome(db.database, tenant.tenantId, id, failed, T0, { limit: 3, log });
    const before = lineMetrics.read().disabled_total;
    expect(await note(true)).toBe(false);
    expect(await note(true)).toBe(false);
    expect(await note(false)).toBe(false); // a call that did not fail breaks the run
    expect((await line(id)).consecutive_failures).toBe(0);
    expect(await note(true)).toBe(false);
    expect(await note(true)).toBe(false);
    expect(await note(true)).toBe(true);
    expect(await line(id)).toMatchObject({ enabled_status: 0, disabled_reason: '3 failures in a row' });
    expect(await note(true)).toBe(false); // disabled already: not again
    expect(lineMetrics.read().disabled_total).toBe(before + 1);
    expect(warnings.filter((w) => (w.obj as { phoneLineId: number }).phoneLineId === id)).toHaveLength(1);
    const entries = await listAuditEntries(db.database, tenant.tenantId, { action: 'phone/autoDisable' }, 10, 0);
    expect(entries).toHaveLength(1);
    expect(entries[0]).toMatchObject({ method: 'SYSTEM', code: 200, summary: expect.stringContaining(`${id}`) });
    // Enabled again by hand: the count starts afresh.
    await setLine(db.database, caller(), id, { enabled: true });
    expect(await line(id)).toMatchObject({ enabled_status: 1, disabled_reason: null, consecutive_failures: 0 });
  });

  it('writes nothing for a healthy line’s calls', async () => {
    const id = (await addLine(db.database, caller(), { phoneNumber: '057100000002' })).phoneLine.phoneNumberId;
    db.queries.length = 0;
    await noteLineOutcome(db.database, tenant.tenantId, id, false, T0, { limit: 3, log });
    // One update that matches no row (the count is 0 already): no data version moves.
    expect(db.queries.filter((q) => /^update/i.test(q))).toHaveLength(1);
    expect(db.queries[0]).toMatch(/"consecutive_failures" <> \$?\d*/);
  });
});

describe('usableLinesOfJob', () => {
  it('lists the job’s enabled lines with their engine and limits, and no other job’s', async () => {
    const a = await addLine(db.database, caller(), {
      phoneNumber: '057100000011',
      channels: 2,
      callsPerSecond: 0.5,
      dailyCapPerNumber: 1,
    });
    const b = await addLine(db.database, caller(), { phoneNumber: '057100000012', engine: 'simulated' });
    const c = await addLine(db.database, caller(), { phoneNumber: '057100000013', enabled: false });
    const ids = [a, b, c].map((l) => l.phoneLine.phoneNumberId);
    const { jobId } = await tenant.job({ phoneLineIds: ids });
    await tenant.job({ phoneLineIds: [ids[0]!] });
    expect(await usableLinesOfJob(db.database, tenant.tenantId, jobId)).toEqual([
      {
        phoneLineId: ids[0],
        phoneNumber: '057100000011',
        phoneType: 'LANDLINE',
        engine: 'external',
        channels: 2,
        callsPerSecond: 0.5,
        ringTimeoutSeconds: 60,
        maxCallSeconds: 600,
        dailyCapPerNumber: 1,
        highWaterMark: 0,
      },
      expect.objectContaining({ phoneLineId: ids[1], engine: 'simulated', channels: null }),
    ]);
    // A line's type cannot change under the jobs that dial from it.
    await expect(
      setLine(db.database, caller(), ids[0]!, { phoneType: 'MOBILE', phoneNumber: '13700000011' }),
    ).rejects.toThrow(/phoneType/);
  });
});

describe('the tenant’s time zone', () => {
  it('refuses what is not an IANA zone, naming timeZone', async () => {
    await expect(setTenantTimeZone(db.database, tenant.tenantId, 'Mars/Olympus')).rejects.toThrow(/timeZone/);
  });

  it('keeps past days as counted and counts new calls on the new zone’s days, audited', async () => {
    const zoned = await TenantFixture.create(db.database, { timeZone: 'Asia/Shanghai' });
    const { jobId } = await zoned.job();
    // 2024-05-01 20:00 UTC: 05-02 04:00 in Shanghai, 05-01 16:00 in New York.
    const at = Date.UTC(2024, 4, 1, 20, 0, 0);
    await zoned.call(finishedCall({ jobId, at }));
    const changed = await setTenantTimeZone(db.database, zoned.tenantId, 'america/new_york', { audit: 'cli' });
    expect(changed).toEqual({ timeZone: 'America/New_York', changed: true });
    expect((await findTenant(db.database, zoned.tenantId))!.time_zone).toBe('America/New_York');
    expect(await setTenantTimeZone(db.database, zoned.tenantId, 'America/New_York')).toMatchObject({ changed: false });
    await zoned.call(finishedCall({ jobId, at: at + 60_000 }));
    const days = await db.database.db
      .selectFrom('job_day_stats')
      .select(['day', 'records'])
      .where('tenant_id', '=', zoned.tenantId)
      .orderBy('day')
      .execute();
    expect(days.map((d) => [d.day, Number(d.records)])).toEqual([
      ['2024-05-01', 1],
      ['2024-05-02', 1],
    ]);
    const entries = await listAuditEntries(db.database, zoned.tenantId, { action: 'tenant/setTimeZone' }, 10, 0);
    expect(entries).toMatchObject([{ method: 'CLI', result_msg: 'time zone Asia/Shanghai → America/New_York' }]);
  });
});

// Last: the rotation leaves the stored secrets under a key this process does not use.
describe('a SIP password', () => {
  it('is re-encrypted with the other stored secrets when the server key is rotated', async () => {
    const id = (await addLine(db.database, caller(), { phoneNumber: '057100000021', sipPassword: 'trunk-pw' }))
      .phoneLine.phoneNumberId;
    const before = (await line(id)).sip_password!;
    await reencryptStoredSecrets(db.database, Buffer.alloc(32, 7));
    const after = (await line(id)).sip_password!;
    expect(after).not.toBe(before);
    expect(after.split(':')[1]).not.toBe(secretKeyring().keyId);
  });
});
