import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TenantFixture } from '../../../../test/fixtures.js';
import { call, startTestServer, type TestServer } from '../../../../test/harness.js';
import { listAuditEntries } from '../../../repositories/auditLog.js';
import { findPhoneLine } from '../../../repositories/phoneLines.js';
import { sipPasswordContext } from '../../../services/phoneLines.js';
import { decryptSecret, isEncrypted } from '../../../services/secrets.js';

/*
 * outcall's phone/ extensions (docs/lines.md): a tenant adds, reads, changes, disables and enables
 * its caller lines; every refusal names the field; the trunk password is kept encrypted and never
 * answered; phone/getPhoneList keeps the platform's answer. And the new user: a new tenant
 * adds a line and creates a later LANDLINE job on it.
 */

const V1 = '/apiOpen/v1';
let server: TestServer;
let tenant: TenantFixture;
let other: TenantFixture;

const post = (path: string, body: unknown, who: TenantFixture = tenant) =>
  call(server, who.credentials, 'POST', `${V1}/${path}`, body);
const get = (path: string, who: TenantFixture = tenant) => call(server, who.credentials, 'GET', `${V1}/${path}`);

beforeAll(async () => {
  server = await startTestServer();
  tenant = await TenantFixture.create(server.database, { sign: 'lines-a' });
  other = await TenantFixture.create(server.database, { sign: 'lines-b' });
});
afterAll(() => server.close());

describe('phone/create', () => {
  it('adds an external line with the default limits; its type is what the number is', async () => {
    const r = await post('phone/create', { phoneNumber: '+86 0571-8888 0001', phoneName: '杭州固话', channels: 2 });
    expect(r.code, r.resultMsg).toBe(200);
    expect(r.data.phoneLine).toMatchObject({
      phoneNumber: '057188880001',
      phoneType: 'LANDLINE',
      phoneName: '杭州固话',
      engine: 'external',
      channels: 2,
      callsPerSecond: null,
      ringTimeoutSeconds: 60,
      maxCallSeconds: 600,
      dailyCapPerNumber: null,
      enabled: true,
      disabledReason: null,
      consecutiveFailures: 0,
      highWaterMark: 0,
      sipUri: null,
      hasSipPassword: false,
      sipTransport: 'udp',
      sipCodecs: ['PCMA', 'PCMU'],
    });
    const mobile = await post('phone/create', { phoneNumber: '13712345678', engine: 'simulated' });
    expect(mobile.data.phoneLine).toMatchObject({ phoneType: 'MOBILE', engine: 'simulated', channels: null });
  });

  it('keeps the trunk password encrypted under the line, and never answers it', async () => {
    const r = await post('phone/create', {
      phoneNumber: '057188880002',
      sipUri: 'sip:trunk.example.com:5060',
      sipUsername: 'acct-1',
      sipPassword: 's3cret-Trunk',
      sipTransport: 'tcp',
      sipCodecs: ['PCMU'],
    });
    expect(r.code, r.resultMsg).toBe(200);
    const id = r.data.phoneLine.phoneNumberId;
    expect(r.data.phoneLine).toMatchObject({ hasSipPassword: true, sipTransport: 'tcp', sipCodecs: ['PCMU'] });
    expect(JSON.stringify(r)).not.toContain('s3cret-Trunk');
    const stored = (await findPhoneLine(server.database, tenant.tenantId, id))!;
    expect(isEncrypted(stored.sip_password!)).toBe(true);
    expect(decryptSecret(stored.sip_password!, sipPasswordContext(id))).toBe('s3cret-Trunk');
    const detail = await get(`phone/getPhoneDetail?phoneNumberId=${id}`);
    expect(JSON.stringify(detail)).not.toContain('s3cret-Trunk');
    expect(detail.data.sipUsername).toBe('acct-1');
  });

  it.each([
    [{ phoneNumber: '12345' }, 'phoneNumber'],
    [{ phoneNumber: '13712340000', phoneType: 'LANDLINE' }, 'phoneNumber'],
    [{ phoneNumber: '057188880003', phoneType: 'VOIP_DEVICE' }, 'phoneType'],
    [{ phoneNumber: '0571 8888 0001' }, 'phoneNumber'], // the tenant's line already
    [{ phoneNumber: '057188880003', engine: 'sip' }, 'engine'],
    [{ phoneNumber: '057188880003', channels: 0 }, 'channels'],
    [{ phoneNumber: '057188880003', callsPerSecond: 0 }, 'callsPerSecond'],
    [{ phoneNumber: '057188880003', ringTimeoutSeconds: 4 }, 'ringTimeoutSeconds'],
    [{ phoneNumber: '057188880003', maxCallSeconds: 14_401 }, 'maxCallSeconds'],
    [{ phoneNumber: '057188880003', dailyCapPerNumber: 0 }, 'dailyCapPerNumber'],
    [{ phoneNumber: '057188880003', sipUri: 'http://trunk.example.com' }, 'sipUri'],
    [{ phoneNumber: '057188880003', sipTransport: 'tls' }, 'sipTransport'],
    [{ phoneNumber: '057188880003', sipCodecs: ['G729'] }, 'sipCodecs'],
    [{ phoneNumber: '057188880003', sipCodecs: ['PCMA', 'PCMA'] }, 'sipCodecs'],
    [{ phoneNumber: '057188880003', phoneName: 'x'.repeat(65) }, 'phoneName'],
  ])('refuses %j with a 412 naming %s', async (body, field) => {
    const r = await post('phone/create', body);
    expect(r.code, r.resultMsg).toBe(412);
    expect(r.resultMsg).toContain(field);
  });

  it('lets another tenant have the same number', async () => {
    const r = await post('phone/create', { phoneNumber: '057188880001' }, other);
    expect(r.code, r.resultMsg).toBe(200);
  });
});

describe('phone/update, disable, enable and getPhoneDetail', () => {
  let id: number;
  beforeAll(async () => {
    id = (await post('phone/create', { phoneNumber: '057188880010', channels: 4 })).data.phoneLine.phoneNumberId;
  });

  it('changes only what is sent, and a field sent as it is is no change', async () => {
    const r = await post('phone/update', { phoneNumberId: id, channels: 4, callsPerSecond: 2.5, dailyCapPerNumber: 2 });
    expect(r.code, r.resultMsg).toBe(200);
    expect(r.data.changed).toEqual(['callsPerSecond', 'dailyCapPerNumber']);
    expect(r.data.phoneLine).toMatchObject({ channels: 4, callsPerSecond: 2.5, dailyCapPerNumber: 2 });
    const again = await post('phone/update', {
      phoneNumberId: id,
      channels: 4,
      callsPerSecond: 2.5,
      dailyCapPerNumber: 2,
    });
    expect(again.data.changed).toEqual([]);
    // null is "not sent" (the platform's clients send every unset field as null): limits are lifted by name.
    const kept = await post('phone/update', { phoneNumberId: id, callsPerSecond: null });
    expect(kept.data.changed).toEqual([]);
    const lifted = await post('phone/update', { phoneNumberId: id, noLimit: ['callsPerSecond', 'dailyCapPerNumber'] });
    expect(lifted.data.changed).toEqual(['callsPerSecond', 'dailyCapPerNumber']);
    expect(lifted.data.phoneLine).toMatchObject({ callsPerSecond: null, dailyCapPerNumber: null, channels: 4 });
    const both = await post('phone/update', { phoneNumberId: id, channels: 3, noLimit: ['channels'] });
    expect(both.code).toBe(412);
    expect(both.resultMsg).toContain('noLimit[0]');
  });

  it('sets, keeps and clears the trunk password; the same password again is no change', async () => {
    expect((await post('phone/update', { phoneNumberId: id, sipPassword: 'pw-1' })).data.changed).toEqual([
      'sipPassword',
    ]);
    expect((await post('phone/update', { phoneNumberId: id, sipPassword: 'pw-1' })).data.changed).toEqual([]);
    const cleared = await post('phone/update', { phoneNumberId: id, sipPassword: '' });
    expect(cleared.data).toMatchObject({ changed: ['sipPassword'], phoneLine: { hasSipPassword: false } });
  });

  it('refuses a number another of the tenant’s lines has, and a bad value, naming the field', async () => {
    const r = await post('phone/update', { phoneNumberId: id, phoneNumber: '057188880001' });
    expect(r.code).toBe(412);
    expect(r.resultMsg).toContain('phoneNumber');
    const bad = await post('phone/update', { phoneNumberId: id, ringTimeoutSeconds: 301 });
    expect(bad.code).toBe(412);
    expect(bad.resultMsg).toContain('ringTimeoutSeconds');
  });

  it('disables and enables a line; enabling clears why outcall disabled it', async () => {
    await server.database.db
      .updateTable('phone_line')
      .set({ enabled_status: 0, disabled_reason: '20 failures in a row', consecutive_failures: 20 })
      .where('id', '=', id)
      .execute();
    const enabled = await post('phone/enable', { phoneNumberId: id });
    expect(enabled.data.phoneLine).toMatchObject({ enabled: true, disabledReason: null, consecutiveFailures: 0 });
    const disabled = await post('phone/disable', { phoneNumberId: id });
    expect(disabled.data).toMatchObject({ changed: ['enabled'], phoneLine: { enabled: false } });
    expect((await post('phone/disable', { phoneNumberId: id })).data.changed).toEqual([]);
    expect((await get(`phone/getPhoneDetail?phoneNumberId=${id}`)).data.enabled).toBe(false);
  });

  it('finds no line of another tenant', async () => {
    for (const r of [
      await get(`phone/getPhoneDetail?phoneNumberId=${id}`, other),
      await post('phone/update', { phoneNumberId: id, channels: 9 }, other),
      await post('phone/disable', { phoneNumberId: id }, other),
    ])
      expect(r.code).toBe(404);
    expect((await get(`phone/getPhoneDetail?phoneNumberId=${id}`)).data.channels).toBe(4);
  });

  it('enters every change in the audit log, without the number or the password', async () => {
    const entries = await listAuditEntries(server.database, tenant.tenantId, { action: 'phone/update' }, 100, 0);
    expect(entries.length).toBeGreaterThan(3);
    expect(JSON.stringify(entries)).not.toContain('pw-1');
    expect(JSON.stringify(entries)).not.toContain('057188880001');
  });
});

describe('phone/getPhoneList', () => {
  it('answers the platform’s fields only, the new lines among them', async () => {
    const r = await get('phone/getPhoneList');
    expect(r.code).toBe(200);
    const line = r.data.find((l: { phoneNumber: string }) => l.phoneNumber === '057188880001');
    expect(Object.keys(line).sort()).toEqual(
      [
        'tenantPhoneNumberId',
        'phoneNumber',
        'phoneName',
        'phoneType',
        'localBillRate',
        'otherBillRate',
        'callOutIndustry',
        'areaCode',
        'province',
        'city',
      ].sort(),
    );
  });
});

describe('a new tenant', () => {
  it('adds a line and creates a later LANDLINE job on it', async () => {
    const fresh = await TenantFixture.create(server.database, { sign: 'lines-new' });
    const line = await post('phone/create', { phoneNumber: '057188889999', channels: 2 }, fresh);
    expect(line.code, line.resultMsg).toBe(200);
    const job = await post(
      'job/create',
      {
        concurrencyQuota: 2,
        jobPhoneNumberIdList: [line.data.phoneLine.phoneNumberId],
        robotCallJob: {
          name: '新线路任务',
          mode: 'MANUAL',
          dailyStartTime: '09:00',
          dailyEndTime: '20:00',
          dialogFlowId: fresh.flowId,
          phoneType: 'LANDLINE',
          robotCount: 2,
        },
      },
      fresh,
    );
    expect(job.code, job.resultMsg).toBe(200);
  });
});
