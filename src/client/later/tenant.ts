import type { Static } from '@sinclair/typebox';
import type {
  CreatePhoneLineBody,
  PhoneLineChange,
  PhoneLineDetail,
  UpdatePhoneLineBody,
} from '../../schemas/later/phoneLines.js';
import type {
  DialogFlowCallJobRelatedInfo,
  IntentLevelTag,
  IntentLevelTagItem,
  LaterDialogFlow,
  LaterPhoneLine,
  TenantInfo,
  UpdateIsvInfoBody as UpdateIsvInfoBodySchema,
} from '../../schemas/later/tenant.js';
import type { CallOptions } from '../client.js';
import { LATER_BASE, type Send } from './resource.js';

/*
 * The later API's look-ups of the tenant and what it owns: tenant/, phone/, dialogFlow/,
 * intentLevelTag/ and isv/. Types come from the server's schemas (type-only imports).
 */

export class TenantResource {
  constructor(private readonly send: Send) {}

  /** 获取公司信息: the tenant the client's key belongs to. */
  getTenant(options?: CallOptions): Promise<TenantInfo> {
    return this.send('GET', `${LATER_BASE}/tenant/getTenant`, { ...options });
  }
}

export class PhoneResource {
  constructor(private readonly send: Send) {}

  /** 获取公司的主叫电话列表: the tenant's caller lines, by id. */
  getPhoneList(options?: CallOptions): Promise<LaterPhoneLine[]> {
    return this.send('GET', `${LATER_BASE}/phone/getPhoneList`, { ...options });
  }

  /** outcall extension (docs/lines.md): one line with its engine, limits, trunk (never its password) and health. */
  getPhoneDetail(phoneNumberId: number, options?: CallOptions): Promise<PhoneLineDetail> {
    return this.send('GET', `${LATER_BASE}/phone/getPhoneDetail`, { ...options, query: { phoneNumberId } });
  }

  /** outcall extension: adds a caller line (external unless `engine` says otherwise). */
  create(body: CreatePhoneLineBody, options?: CallOptions): Promise<PhoneLineChange> {
    return this.send('POST', `${LATER_BASE}/phone/create`, { ...options, body });
  }

  /** outcall extension: changes the fields sent; `changed` lists what moved. */
  update(body: UpdatePhoneLineBody, options?: CallOptions): Promise<PhoneLineChange> {
    return this.send('POST', `${LATER_BASE}/phone/update`, { ...options, body });
  }

  /** outcall extension: jobs no longer dial from the line. */
  disable(phoneNumberId: number, options?: CallOptions): Promise<PhoneLineChange> {
    return this.send('POST', `${LATER_BASE}/phone/disable`, { ...options, body: { phoneNumberId } });
  }

  /** outcall extension: jobs may dial from the line again. */
  enable(phoneNumberId: number, options?: CallOptions): Promise<PhoneLineChange> {
    return this.send('POST', `${LATER_BASE}/phone/enable`, { ...options, body: { phoneNumberId } });
  }
}

export class DialogFlowResource {
  constructor(private readonly send: Send) {}

  /** 获取公司的机器人话术列表: the tenant's dialog flows, by id. */
  getDialogFlowList(options?: CallOptions): Promise<LaterDialogFlow[]> {
    return this.send('GET', `${LATER_BASE}/dialogFlow/getDialogFlowList`, { ...options });
  }

  /** 获取话术中存在人工介入和转人工等标识: whether the flow uses variables (the other two are always false). */
  getDialogFlowCallJobRelatedInfo(dialogFlowId: number, options?: CallOptions): Promise<DialogFlowCallJobRelatedInfo> {
    return this.send('GET', `${LATER_BASE}/dialogFlow/getDialogFlowCallJobRelatedInfo`, {
      ...options,
      query: { dialogFlowId },
    });
  }
}

export class IntentLevelTagResource {
  constructor(private readonly send: Send) {}

  /** 获取已使用的意向标签组列表: the tag groups at least one of the tenant's dialog flows uses. */
  getUsedIntentLevelTagList(options?: CallOptions): Promise<IntentLevelTagItem[]> {
    return this.send('GET', `${LATER_BASE}/intentLevelTag/getUsedIntentLevelTagList`, { ...options });
  }

  /** 获取意向标签内容: one tag group with its names of the intent levels (code 0–5 = A–F). */
  getIntentLevelTag(intentLevelTagId: number, options?: CallOptions): Promise<IntentLevelTag> {
    return this.send('GET', `${LATER_BASE}/intentLevelTag/getIntentLevelTag`, {
      ...options,
      query: { intentLevelTagId },
    });
  }
}

export class IsvResource {
  constructor(private readonly send: Send) {}

  /**
   * 修改ISV对象的公司签名和回调地址: sets the tenant's sign and callback URLs (`""` clears a URL,
   * leaving it out keeps it). Once it succeeds every request must be signed with the new sign:
   * make a new client with it. Not retried by default.
   */
  updateIsvInfo(body: UpdateIsvInfoBody, options?: CallOptions): Promise<null> {
    return this.send('POST', `${LATER_BASE}/isv/updateIsvInfo`, { retries: 0, ...options, body });
  }
}

/** isv/updateIsvInfo: `tenantSign` (required), `callbackUrl` and `smsCallbackUrl`. */
export type UpdateIsvInfoBody = Static<typeof UpdateIsvInfoBodySchema>;
export type {
  DialogFlowCallJobRelatedInfo,
  IntentLevelTag,
  IntentLevelTagItem,
  LaterDialogFlow,
  LaterPhoneLine,
  TenantInfo,
};
