import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TenantFixture } from '../../../test/fixtures.js';
import { startTestServer, type TestServer } from '../../../test/harness.js';
import { OutcallClient, OutcallError } from '../index.js';

/* The SDK's tenant, phone, dialogFlow, intentLevelTag and isv resources against the real server. */

let server: TestServer;
let tenant: TenantFixture;

const clientFor = (credentials = tenant.credentials) =>
  new OutcallClient({ baseUrl: server.url, ...credentials, retryDelayMs: 1 });

beforeAll(async () => {
  server = await startTestServer();
  tenant = await TenantFixture.create(server.database, { sign: 'sdk-tenant' });
  await tenant.phoneLine('02100000009');
});
afterAll(() => server.close());

describe('the later API’s tenant-side resources', () => {
  it('read the tenant, its caller lines, dialog flows and intent-level tag groups', async () => {
    const client = clientFor();
    expect(await client.tenant.getTenant()).toEqual({ tenantId: tenant.tenantId, tenantName: '公司sdk-tenant' });

    const lines = await client.phone.getPhoneList();
    expect(lines.map((l) => [l.phoneNumber, l.localBillRate, l.callOutIndustry])).toEqual([
      ['02100000009', '60', 'OTHER'],
    ]);

    const flows = await client.dialogFlow.getDialogFlowList();
    expect(flows.map((f) => f.name)).toEqual(['通用邀约话术', '默认话术']);
    const info = await client.dialogFlow.getDialogFlowCallJobRelatedInfo(tenant.flowId);
    expect(info).toEqual({
      dialogFlowId: tenant.flowId,
      placeholderExist: false,
      jumpToHumanServiceExist: false,
      humanInterventionExist: false,
    });

    const [used] = await client.intentLevelTag.getUsedIntentLevelTagList();
    expect(used).toEqual({ intentLevelTagId: flows[0]!.intentLevelTagId, name: '内置意向分类标签' });
    const tag = await client.intentLevelTag.getIntentLevelTag(used!.intentLevelTagId);
    expect(tag.details.map((d) => d.name)).toEqual(['A类', 'B类', 'C类', 'D类', 'E类', 'F类']);
  });

  it('reject a missing object with its envelope code', async () => {
    const error = await clientFor()
      .intentLevelTag.getIntentLevelTag(999_999)
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(OutcallError);
    expect(error).toMatchObject({ kind: 'envelope', code: 404 });
  });

  it('change the sign with isv.updateIsvInfo: the old client is refused, one with the new sign works', async () => {
    const t = await TenantFixture.create(server.database, { sign: 'sdk-old' });
    const old = clientFor(t.credentials);
    expect(
      await old.isv.updateIsvInfo({ tenantSign: 'sdk-new', callbackUrl: 'https://crm.example.com/cb' }),
    ).toBeNull();
    await expect(old.tenant.getTenant()).rejects.toMatchObject({ kind: 'envelope', code: 401 });
    const renewed = clientFor({ ...t.credentials, tenantSign: 'sdk-new' });
    expect((await renewed.tenant.getTenant()).tenantId).toBe(t.tenantId);
  });
});
