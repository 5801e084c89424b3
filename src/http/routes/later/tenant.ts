import { Type } from '@sinclair/typebox';
import type { Database } from '../../../db/database.js';
import { notSupported } from '../../../domain/errors.js';
import { Envelope, ErrorEnvelope } from '../../../schemas/common.js';
import {
  DialogFlowCallJobRelatedInfo,
  DialogFlowIdQuery,
  IntentLevelTag,
  IntentLevelTagIdQuery,
  IntentLevelTagList,
  LaterDialogFlowList,
  LaterPhoneLineList,
  TenantInfo,
  UpdateIsvInfoBody,
} from '../../../schemas/later/tenant.js';
import {
  getDialogFlowCallJobRelatedInfo,
  getDialogFlowList,
  getIntentLevelTag,
  getPhoneList,
  getTenant,
  getUsedIntentLevelTagList,
  updateIsvInfo,
} from '../../../services/tenantInfo.js';
import type { App } from '../../app.js';
import { success } from '../../envelope.js';

type Method = 'GET' | 'POST';

/**
 * Documented paths of the platform that outcall does not serve, with the method the platform
 * documents and why (docs/later/tenant.md). Each answers 404 "… is not supported by outcall: …"
 * on GET and POST alike, after the signature check like every path.
 */
const NOT_SUPPORTED: { path: string; method: Method; tag: string; summary: string; why: string }[] = [
  {
    path: 'dialogFlow/exportDialogFlowWordDoc',
    method: 'GET',
    tag: 'dialogFlow',
    summary: '获取话术主流程word文档',
    why: 'outcall makes no Word documents of dialog flows; dialogFlow/getDialogFlowList and the job’s variables (job/getJobProperties) describe a flow',
  },
  {
    path: 'isv/genSubAccountIsv',
    method: 'POST',
    tag: 'isv',
    summary: '生成isv账号',
    why: 'outcall has no sub-accounts; an operator creates a tenant’s API keys with the outcall CLI (outcall key create)',
  },
  {
    path: 'isv/getIsvList',
    method: 'POST',
    tag: 'isv',
    summary: '获取isv列表',
    why: 'outcall has no sub-accounts and never answers an appSecret over the API; an operator lists keys with the outcall CLI (outcall key list)',
  },
  ...(
    [
      ['policyGroup/getIdAndNamePairList', 'GET', '获取外呼策略组选择接口'],
      ['policyGroup/list', 'GET', '获取外呼策略组列表接口'],
      ['policyGroup/create', 'POST', '创建外呼策略组接口'],
      ['policyGroup/update', 'POST', '更新外呼策略组接口'],
    ] as const
  ).map(([path, method, summary]) => ({
    path,
    method,
    tag: 'policyGroup',
    summary,
    why: 'outcall has no call-policy groups; a job names its caller lines directly (tenantPhoneNumberId of phone/getPhoneList)',
  })),
  {
    path: 'callStats/callCostStatsInfo',
    method: 'GET',
    tag: 'callStats',
    summary: '话单计费统计',
    why: 'outcall keeps no call billing: it does not know which calls are local, nor what a carrier charged',
  },
];

/** The later API's tenant/, phone/, dialogFlow/, intentLevelTag/, isv/ (and the refused policyGroup/ and callStats/). */
export function registerTenantApi(app: App, db: Database): void {
  const noQuery = Type.Object({});

  app.get(
    '/apiOpen/v1/tenant/getTenant',
    {
      config: { signed: true },
      schema: {
        summary: '获取公司信息 — the caller’s tenant',
        tags: ['tenant'],
        querystring: noQuery,
        response: { 200: Envelope(TenantInfo) },
      },
    },
    async (request) => success(request, await getTenant(db, request.caller)),
  );

  app.get(
    '/apiOpen/v1/phone/getPhoneList',
    {
      config: { signed: true },
      schema: {
        summary: '获取公司的主叫电话列表 — the tenant’s caller lines',
        tags: ['phone'],
        querystring: noQuery,
        response: { 200: Envelope(LaterPhoneLineList) },
      },
    },
    async (request) => success(request, await getPhoneList(db, request.caller)),
  );

  app.get(
    '/apiOpen/v1/dialogFlow/getDialogFlowList',
    {
      config: { signed: true },
      schema: {
        summary: '获取公司的机器人话术列表 — the tenant’s dialog flows',
        tags: ['dialogFlow'],
        querystring: noQuery,
        response: { 200: Envelope(LaterDialogFlowList) },
      },
    },
    async (request) => success(request, await getDialogFlowList(db, request.caller)),
  );

  app.get(
    '/apiOpen/v1/dialogFlow/getDialogFlowCallJobRelatedInfo',
    {
      config: { signed: true },
      schema: {
        summary: '获取话术中存在人工介入和转人工等标识 — what a dialog flow needs of a job',
        tags: ['dialogFlow'],
        querystring: DialogFlowIdQuery,
        response: { 200: Envelope(DialogFlowCallJobRelatedInfo) },
      },
    },
    async (request) =>
      success(request, await getDialogFlowCallJobRelatedInfo(db, request.caller, request.query.dialogFlowId)),
  );

  app.get(
    '/apiOpen/v1/intentLevelTag/getUsedIntentLevelTagList',
    {
      config: { signed: true },
      schema: {
        summary: '获取已使用的意向标签组列表 — the tag groups the tenant’s dialog flows use',
        tags: ['intentLevelTag'],
        querystring: noQuery,
        response: { 200: Envelope(IntentLevelTagList) },
      },
    },
    async (request) => success(request, await getUsedIntentLevelTagList(db, request.caller)),
  );

  app.get(
    '/apiOpen/v1/intentLevelTag/getIntentLevelTag',
    {
      config: { signed: true },
      schema: {
        summary: '获取意向标签内容 — one tag group with its intent-level names',
        tags: ['intentLevelTag'],
        querystring: IntentLevelTagIdQuery,
        response: { 200: Envelope(IntentLevelTag) },
      },
    },
    async (request) => success(request, await getIntentLevelTag(db, request.caller, request.query.intentLevelTagId)),
  );

  app.post(
    '/apiOpen/v1/isv/updateIsvInfo',
    {
      config: { signed: true },
      schema: {
        summary: '修改ISV对象的公司签名和回调地址 — the tenant’s sign and callback URLs',
        tags: ['isv'],
        body: UpdateIsvInfoBody,
        response: { 200: Envelope(Type.Null()) },
      },
    },
    async (request) => {
      await updateIsvInfo(db, request.caller, request.body);
      return success(request, null, '修改成功');
    },
  );

  for (const n of NOT_SUPPORTED) {
    const refuse = async () => {
      throw notSupported(n.path, n.why);
    };
    for (const method of ['GET', 'POST'] as const)
      app.route({
        method,
        url: `/apiOpen/v1/${n.path}`,
        config: { signed: true },
        schema: {
          summary: `${n.summary} — not supported by outcall${method === n.method ? '' : ` (the platform documents ${n.method})`}`,
          description: `Answers 404: ${n.why}.`,
          tags: [n.tag],
          response: { 200: ErrorEnvelope },
        },
        handler: refuse,
      });
  }
}
