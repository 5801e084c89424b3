import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { T0, TenantFixture } from '../../../../test/fixtures.js';
import { call, startTestServer, type TestServer } from '../../../../test/harness.js';
import { createDatabase } from '../../../db/database.js';
import { DEFAULT_DIALOG_FLOW } from '../../../domain/dialogFlow.js';
import { BUILT_IN_INTENT_LEVEL_TAG } from '../../../domain/tenant.js';
import { listAuditEntries } from '../../../repositories/auditLog.js';
import { insertIntentLevelTag } from '../../../repositories/intentLevelTags.js';
import { insertDialogFlow, insertReference } from '../../../repositories/referenceData.js';
import { findTenant } from '../../../repositories/tenants.js';
import { createTenant } from '../../../services/tenants.js';
import { buildApp } from '../../app.js';

/*
 * The later API's tenant-side look-ups (tenant/, phone/, dialogFlow/, intentLevelTag/), the
 * tenant's own setting isv/updateIsvInfo, and the documented paths outcall refuses
 * (docs/later/tenant.md).
 */

const V1 = '/apiOpen/v1';
let server: TestServer;
let tenant: TenantFixture;
let other: TenantFixture;
/** The ids made for `tenant`. */
const ids = {
  defaultFlow: 0,
  loanFlow: 0,
  variableFlow: 0,
  builtInTag: 0,
  customTag: 0,
  unusedTag: 0,
  lineA: 0,
  lineB: 0,
  otherFlow: 0,
  otherTag: 0,
};

const get = (credentials = tenant.credentials, path: string) => call(server, credentials, 'GET', `${V1}/${path}`);
const post = (credentials = tenant.credentials, path: string, body: unknown) =>
  call(server, credentials, 'POST', `${V1}/${path}`, body);

beforeAll(async () => {
  server = await startTestServer();
  tenant = await TenantFixture.create(server.database, { sign: 'tenant-a' });
  other = await TenantFixture.create(server.database, { sign: 'tenant-b' });
  const db = server.database;
  const base = { tenant_id: tenant.tenantId, created_at: T0 + 3_600_000 };
  const flows = await get(tenant.credentials, 'dialogFlow/getDialogFlowList');
  ids.defaultFlow = flows.data[0].dialogFlowId;
  ids.builtInTag = flows.data[0].intentLevelTagId;
  ids.customTag = await insertIntentLevelTag(db, { ...base, name: '自定义标签分组' }, [
    { code: 0, name: '高意向' },
    { code: 1, name: '有兴趣' },
  ]);
  ids.unusedTag = await insertIntentLevelTag(db, { ...base, name: '未使用的分组' }, []);
  ids.loanFlow = await insertDialogFlow(db, {
    ...base,
    name: '贷款产品推荐',
    definition: DEFAULT_DIALOG_FLOW.script,
    industry: 'FINANCE',
    sub_industry: 'LOAN',
    status: 'PENDING_APPROVAL',
    intent_level_tag_id: ids.customTag,
  });
  ids.variableFlow = await insertDialogFlow(db, {
    ...base,
    name: '带变量的话术',
    definition: {
      ...DEFAULT_DIALOG_FLOW.script,
      // biome-ignore lint/suspicious/noTemplateCurlyInString: a dialog-flow variable, literally
      opening: '您好，请问是${姓名}吗？',
    },
  });
  ids.lineA = await insertReference(db, 'phone_line', {
    ...base,
    phone_number: '057128204503',
    phone_type: 'LANDLINE',
    name: '杭州固话',
    local_bill_rate: 70,
    other_bill_rate: 90,
    call_out_industry: 'FINANCE',
    area_code: '0571',
    province: '浙江',
    city: '杭州',
  });
  ids.lineB = await tenant.phoneLine('02100000001');
  ids.otherFlow = other.flowId;
  ids.otherTag = (await get(other.credentials, 'dialogFlow/getDialogFlowList')).data[0].intentLevelTagId;
});
afterAll(() => server.close());

describe('tenant/getTenant', () => {
  it('answers the caller’s tenant', async () => {
    const r = await get(tenant.credentials, 'tenant/getTenant');
    expect(r).toMatchObject({ code: 200, resultMsg: '获取成功' });
    expect(r.data).toEqual({ tenantId: tenant.tenantId, tenantName: '公司tenant-a' });
    expect((await get(other.credentials, 'tenant/getTenant')).data).toEqual({
      tenantId: other.tenantId,
      tenantName: '公司tenant-b',
    });
  });
});

describe('phone/getPhoneList', () => {
  it('lists the tenant’s caller lines with every documented field, by id', async () => {
    const r = await get(tenant.credentials, 'phone/getPhoneList');
    expect(r.code).toBe(200);
    expect(r.data).toEqual([
      {
        tenantPhoneNumberId: ids.lineA,
        phoneNumber: '057128204503',
        phoneName: '杭州固话',
        phoneType: 'LANDLINE',
        localBillRate: '70',
        otherBillRate: '90',
        callOutIndustry: 'FINANCE',
        areaCode: '0571',
        province: '浙江',
        city: '杭州',
      },
      // A line added without billing or location facts: the defaults, and null where nothing is known.
      {
        tenantPhoneNumberId: ids.lineB,
        phoneNumber: '02100000001',
        phoneName: '线路0001',
        phoneType: 'LANDLINE',
        localBillRate: '60',
        otherBillRate: '60',
        callOutIndustry: 'OTHER',
        areaCode: null,
        province: null,
        city: null,
      },
    ]);
  });

  it('never shows another tenant’s lines', async () => {
    expect((await get(other.credentials, 'phone/getPhoneList')).data).toEqual([]);
  });
});

describe('dialogFlow/getDialogFlowList', () => {
  it('lists the tenant’s flows with industry, tag group, status and creation time (tenant-local)', async () => {
    const r = await get(tenant.credentials, 'dialogFlow/getDialogFlowList');
    expect(r.code).toBe(200);
    const flow = (dialogFlowId: number, name: string, createTime: string, more = {}) => ({
      dialogFlowId,
      name,
      industry: 'OTHER',
      subIndustry: 'OTHER',
      intentLevelTagId: ids.builtInTag,
      status: 'APPROVED',
      createTime,
      version: 1,
      enabled: true,
      ...more,
    });
    expect(r.data).toEqual([
      // Made by createTenant a day before T0, and by the fixture at T0 (2024-05-01 10:00 Asia/Shanghai).
      flow(ids.defaultFlow, '通用邀约话术', '2024-04-30 10:00:00'),
      flow(tenant.flowId, '默认话术', '2024-05-01 10:00:00'),
      flow(ids.loanFlow, '贷款产品推荐', '2024-05-01 11:00:00', {
        industry: 'FINANCE',
        subIndustry: 'LOAN',
        intentLevelTagId: ids.customTag,
        status: 'PENDING_APPROVAL',
      }),
      flow(ids.variableFlow, '带变量的话术', '2024-05-01 11:00:00'),
    ]);
  });

  it('never shows another tenant’s flows; each tenant’s flows use its own built-in group', async () => {
    const r = await get(other.credentials, 'dialogFlow/getDialogFlowList');
    expect(r.data.map((f: any) => f.name)).toEqual(['通用邀约话术', '默认话术']);
    expect(new Set(r.data.map((f: any) => f.intentLevelTagId))).toEqual(new Set([ids.otherTag]));
    expect(ids.otherTag).not.toBe(ids.builtInTag);
  });
});

describe('dialogFlow/getDialogFlowCallJobRelatedInfo', () => {
  const info = (credentials: typeof tenant.credentials, query: string) =>
    get(credentials, `dialogFlow/getDialogFlowCallJobRelatedInfo${query}`);

  it('says whether the robot’s texts use variables; transfer and intervention are always false', async () => {
    expect((await info(tenant.credentials, `?dialogFlowId=${ids.variableFlow}`)).data).toEqual({
      dialogFlowId: ids.variableFlow,
      placeholderExist: true,
      jumpToHumanServiceExist: false,
      humanInterventionExist: false,
    });
    // The default flow has no variables.
    expect((await info(tenant.credentials, `?dialogFlowId=${ids.defaultFlow}`)).data).toEqual({
      dialogFlowId: ids.defaultFlow,
      placeholderExist: false,
      jumpToHumanServiceExist: false,
      humanInterventionExist: false,
    });
  });

  it('answers 404 for another tenant’s flow and for one that does not exist', async () => {
    for (const id of [ids.otherFlow, 999_999]) {
      const r = await info(tenant.credentials, `?dialogFlowId=${id}`);
      expect(r).toMatchObject({ code: 404, data: null, resultMsg: `资源未找到: dialogFlowId ${id}` });
    }
  });

  it('answers 412 naming dialogFlowId when it is missing or not an id', async () => {
    for (const query of ['', '?dialogFlowId=abc', '?dialogFlowId=1.5', '?dialogFlowId=-3']) {
      const r = await info(tenant.credentials, query);
      expect(r.code, query).toBe(412);
      expect(r.resultMsg, query).toMatch(/^参数错误: dialogFlowId /);
    }
    // 0, which the platform's own example sends, is an id no flow has.
    expect((await info(tenant.credentials, '?dialogFlowId=0')).code).toBe(404);
  });
});

describe('dialogFlow/exportDialogFlowWordDoc', () => {
  it('is refused as not supported', async () => {
    const r = await get(tenant.credentials, `dialogFlow/exportDialogFlowWordDoc?dialogFlowId=${ids.defaultFlow}`);
    expect(r.code).toBe(404);
    expect(r.resultMsg).toMatch(/^资源未找到: dialogFlow\/exportDialogFlowWordDoc is not supported by outcall: /);
  });
});

describe('intentLevelTag/getUsedIntentLevelTagList', () => {
  it('lists the groups at least one of the tenant’s flows uses, by id', async () => {
    const r = await get(tenant.credentials, 'intentLevelTag/getUsedIntentLevelTagList');
    expect(r).toMatchObject({ code: 200, resultMsg: '获取成功' });
    expect(r.data).toEqual([
      { intentLevelTagId: ids.builtInTag, name: '内置意向分类标签' },
      { intentLevelTagId: ids.customTag, name: '自定义标签分组' },
    ]);
  });

  it('never shows another tenant’s groups', async () => {
    const r = await get(other.credentials, 'intentLevelTag/getUsedIntentLevelTagList');
    expect(r.data).toEqual([{ intentLevelTagId: ids.otherTag, name: '内置意向分类标签' }]);
  });
});

describe('intentLevelTag/getIntentLevelTag', () => {
  const tag = (credentials: typeof tenant.credentials, query: string) =>
    get(credentials, `intentLevelTag/getIntentLevelTag${query}`);

  it('answers the built-in group with A类 … F类 for codes 0–5', async () => {
    const r = await tag(tenant.credentials, `?intentLevelTagId=${ids.builtInTag}`);
    expect(r.code).toBe(200);
    expect(r.data).toEqual({
      intentLevelTagId: ids.builtInTag,
      name: '内置意向分类标签',
      details: [
        { code: 0, name: 'A类' },
        { code: 1, name: 'B类' },
        { code: 2, name: 'C类' },
        { code: 3, name: 'D类' },
        { code: 4, name: 'E类' },
        { code: 5, name: 'F类' },
      ],
    });
  });

  it('answers any of the tenant’s groups, used or not', async () => {
    expect((await tag(tenant.credentials, `?intentLevelTagId=${ids.customTag}`)).data).toEqual({
      intentLevelTagId: ids.customTag,
      name: '自定义标签分组',
      details: [
        { code: 0, name: '高意向' },
        { code: 1, name: '有兴趣' },
      ],
    });
    expect((await tag(tenant.credentials, `?intentLevelTagId=${ids.unusedTag}`)).data).toEqual({
      intentLevelTagId: ids.unusedTag,
      name: '未使用的分组',
      details: [],
    });
  });

  it('answers 404 for another tenant’s group and for one that does not exist', async () => {
    for (const id of [ids.otherTag, 999_999]) {
      const r = await tag(tenant.credentials, `?intentLevelTagId=${id}`);
      expect(r).toMatchObject({ code: 404, data: null, resultMsg: `资源未找到: intentLevelTagId ${id}` });
    }
  });

  it('answers 412 naming intentLevelTagId when it is missing or not an id', async () => {
    for (const query of ['', '?intentLevelTagId=x', '?intentLevelTagId=-1']) {
      const r = await tag(tenant.credentials, query);
      expect(r.code, query).toBe(412);
      expect(r.resultMsg, query).toMatch(/^参数错误: intentLevelTagId /);
    }
    // 0, which the platform's own example sends (and call records answer for "none"), is no group's id.
    expect((await tag(tenant.credentials, '?intentLevelTagId=0')).code).toBe(404);
  });
});

describe('every tenant owns a built-in intent-level tag group', () => {
  it('is made with the tenant, with its six levels, and a new flow uses it', async () => {
    const credentials = await createTenant(server.database, { name: '新公司', tenantSign: 'fresh-tenant' }, T0);
    const used = await get(credentials, 'intentLevelTag/getUsedIntentLevelTagList');
    expect(used.data).toEqual([{ intentLevelTagId: expect.any(Number), name: BUILT_IN_INTENT_LEVEL_TAG.name }]);
    const id = used.data[0].intentLevelTagId;
    const group = await get(credentials, `intentLevelTag/getIntentLevelTag?intentLevelTagId=${id}`);
    expect(group.data.details).toEqual(BUILT_IN_INTENT_LEVEL_TAG.details);
    const flow = await insertDialogFlow(server.database, {
      tenant_id: credentials.tenantId,
      name: '新话术',
      definition: DEFAULT_DIALOG_FLOW.script,
      created_at: T0,
    });
    const flows = await get(credentials, 'dialogFlow/getDialogFlowList');
    expect(flows.data.find((f: any) => f.dialogFlowId === flow).intentLevelTagId).toBe(id);
  });

  it('is not made when the tenant is refused', async () => {
    const count = async () => (await server.database.db.selectFrom('intent_level_tag').select('id').execute()).length;
    const before = await count();
    await expect(createTenant(server.database, { name: '重名公司', tenantSign: 'tenant-a' }, T0)).rejects.toThrow(
      /tenantSign "tenant-a" is taken/,
    );
    expect(await count()).toBe(before);
  });
});

describe('isv/updateIsvInfo', () => {
  /** A tenant of its own per test: these tests change signs. */
  const fresh = async (sign: string) => TenantFixture.create(server.database, { sign });
  const stored = async (tenantId: number) => {
    const t = (await findTenant(server.database, tenantId))!;
    return { tenantSign: t.tenant_sign, callbackUrl: t.callback_url, smsCallbackUrl: t.sms_callback_url };
  };

  it('changes the sign and the callback URLs; from then on only the new sign’s signatures pass', async () => {
    const t = await fresh('isv-old');
    const r = await post(t.credentials, 'isv/updateIsvInfo', {
      tenantSign: 'isv-new',
      callbackUrl: 'https://crm.example.com/outcall/callback?from=outcall',
      smsCallbackUrl: 'http://sms.example.com:8080/hook',
    });
    expect(r).toMatchObject({ code: 200, data: null, resultMsg: '修改成功' });
    expect(await stored(t.tenantId)).toEqual({
      tenantSign: 'isv-new',
      callbackUrl: 'https://crm.example.com/outcall/callback?from=outcall',
      smsCallbackUrl: 'http://sms.example.com:8080/hook',
    });
    const old = await get(t.credentials, 'tenant/getTenant');
    expect(old).toMatchObject({ code: 401, resultMsg: '校验数据错误: signature does not match' });
    const renewed = { ...t.credentials, tenantSign: 'isv-new' };
    expect((await get(renewed, 'tenant/getTenant')).data).toEqual({
      tenantId: t.tenantId,
      tenantName: '公司isv-old',
    });
  });

  it('holds at once on a second server over the same database (another process)', async () => {
    const t = await fresh('isv-two');
    const database = createDatabase(server.databaseUrl);
    const second = await buildApp({ database, config: server.config, logger: false });
    await second.listen({ port: 0, host: '127.0.0.1' });
    try {
      const address = second.server.address();
      const secondUrl = { url: `http://127.0.0.1:${typeof address === 'object' && address ? address.port : 0}` };
      const there = (credentials: typeof t.credentials) =>
        call(secondUrl, credentials, 'GET', `${V1}/tenant/getTenant`);
      expect((await there(t.credentials)).code).toBe(200);
      expect((await post(t.credentials, 'isv/updateIsvInfo', { tenantSign: 'isv-two-b' })).code).toBe(200);
      expect((await there(t.credentials)).code).toBe(401);
      expect((await there({ ...t.credentials, tenantSign: 'isv-two-b' })).code).toBe(200);
    } finally {
      await second.close();
      await database.destroy();
    }
  });

  it('never touches another tenant', async () => {
    const a = await fresh('isv-a');
    const b = await fresh('isv-b');
    const bBefore = await stored(b.tenantId);
    const r = await post(a.credentials, 'isv/updateIsvInfo', {
      tenantSign: 'isv-a2',
      callbackUrl: 'https://a.example.com/cb',
    });
    expect(r.code).toBe(200);
    expect(await stored(b.tenantId)).toEqual(bBefore);
    expect((await get(b.credentials, 'tenant/getTenant')).code).toBe(200);
  });

  it('keeps a URL left out or null, and clears one sent as ""', async () => {
    const t = await fresh('isv-urls');
    await post(t.credentials, 'isv/updateIsvInfo', {
      tenantSign: 'isv-urls',
      callbackUrl: 'https://crm.example.com/a',
      smsCallbackUrl: 'https://crm.example.com/sms',
    });
    // The same sign again is no change.
    let r = await post(t.credentials, 'isv/updateIsvInfo', { tenantSign: 'isv-urls', callbackUrl: null });
    expect(r.code).toBe(200);
    expect(await stored(t.tenantId)).toEqual({
      tenantSign: 'isv-urls',
      callbackUrl: 'https://crm.example.com/a',
      smsCallbackUrl: 'https://crm.example.com/sms',
    });
    r = await post(t.credentials, 'isv/updateIsvInfo', { tenantSign: 'isv-urls', smsCallbackUrl: '' });
    expect(r.code).toBe(200);
    expect(await stored(t.tenantId)).toEqual({
      tenantSign: 'isv-urls',
      callbackUrl: 'https://crm.example.com/a',
      smsCallbackUrl: null,
    });
  });

  it('refuses a sign another tenant has, changing nothing', async () => {
    const t = await fresh('isv-taken');
    const before = await stored(t.tenantId);
    const r = await post(t.credentials, 'isv/updateIsvInfo', {
      tenantSign: 'tenant-b',
      callbackUrl: 'https://crm.example.com/x',
    });
    expect(r).toMatchObject({
      code: 412,
      data: null,
      resultMsg: '参数错误: tenantSign "tenant-b" is taken by another tenant',
    });
    expect(await stored(t.tenantId)).toEqual(before);
    expect((await get(other.credentials, 'tenant/getTenant')).code).toBe(200);
  });

  it('answers 412 naming the parameter for every malformed value, changing nothing', async () => {
    const t = await fresh('isv-bad');
    const before = await stored(t.tenantId);
    const cases: [unknown, string][] = [
      [{}, 'tenantSign is required'],
      [{ tenantSign: 'a' }, 'tenantSign must be 2–64 letters, digits, _ or -'],
      [{ tenantSign: 'has space' }, 'tenantSign must be 2–64 letters, digits, _ or -'],
      [{ tenantSign: '签名' }, 'tenantSign must be 2–64 letters, digits, _ or -'],
      [{ tenantSign: 'x'.repeat(65) }, 'tenantSign must NOT have more than 64 characters'],
      [{ tenantSign: { sign: 'ab' } }, 'tenantSign must be string'],
      [
        { tenantSign: 'isv-bad2', callbackUrl: 'ftp://example.com/x' },
        'callbackUrl must be an http or https URL, got ftp',
      ],
      [
        { tenantSign: 'isv-bad2', callbackUrl: 'example.com/cb' },
        'callbackUrl "example.com/cb" is not an absolute URL',
      ],
      [
        { tenantSign: 'isv-bad2', callbackUrl: 'https://example.com/a b' },
        'callbackUrl must not contain spaces or control characters',
      ],
      [
        { tenantSign: 'isv-bad2', callbackUrl: `https://example.com/${'a'.repeat(1990)}` },
        'callbackUrl must NOT have more than 2000 characters',
      ],
      [
        { tenantSign: 'isv-bad2', callbackUrl: 'https://ok.example.com', smsCallbackUrl: 'mailto:a@b.c' },
        'smsCallbackUrl must be an http or https URL, got mailto',
      ],
    ];
    for (const [body, message] of cases) {
      const r = await post(t.credentials, 'isv/updateIsvInfo', body);
      expect(r, JSON.stringify(body).slice(0, 80)).toMatchObject({ code: 412, resultMsg: `参数错误: ${message}` });
    }
    expect(await stored(t.tenantId)).toEqual(before);
  });

  it('is entered in the audit log without the sign or the URLs', async () => {
    const t = await fresh('isv-audit');
    await post(t.credentials, 'isv/updateIsvInfo', {
      tenantSign: 'isv-audit2',
      callbackUrl: 'https://secret.example.com/',
    });
    await post({ ...t.credentials, tenantSign: 'isv-audit2' }, 'isv/updateIsvInfo', { tenantSign: 'tenant-b' });
    const entries = await listAuditEntries(server.database, t.tenantId, {}, 20, 0);
    expect(entries.map((e) => [e.action, e.code, e.summary])).toEqual([
      ['isv/updateIsvInfo', 412, null],
      ['isv/updateIsvInfo', 200, null],
    ]);
    expect(JSON.stringify(entries)).not.toMatch(/secret\.example|isv-audit2/);
  });
});

describe('paths outcall does not serve', () => {
  const paths = [
    'dialogFlow/exportDialogFlowWordDoc',
    'isv/getIsvList',
    'isv/genSubAccountIsv',
    'policyGroup/getIdAndNamePairList',
    'policyGroup/list',
    'policyGroup/create',
    'policyGroup/update',
    'callStats/callCostStatsInfo',
  ];

  it('answer 404 "not supported by outcall" with the reason, on GET and POST', async () => {
    for (const path of paths)
      for (const r of [await get(tenant.credentials, path), await post(tenant.credentials, path, {})]) {
        expect(r.code, path).toBe(404);
        expect(r.data).toBeNull();
        expect(r.resultMsg, path).toMatch(new RegExp(`^资源未找到: ${path} is not supported by outcall: \\S`));
      }
  });

  it('check the signature first, like every path', async () => {
    const stranger = { ...tenant.credentials, appSecret: 'not-the-secret' };
    for (const path of paths) {
      expect((await get(stranger, path)).code, path).toBe(401);
      expect((await post(stranger, path, {})).code, path).toBe(401);
    }
  });
});
