import { type Static, Type } from '@sinclair/typebox';
import { MAX_CALLBACK_URL_LENGTH } from '../../domain/callbackUrl.js';
import { CallOutIndustry, DialogFlowStatus, Industry, PhoneType, SubIndustry } from '../../domain/enums.js';
import { EnumName, InputObject, Int, MAX_ID, NullableInteger, NullableString, SafeText } from '../common.js';
import { TEXT } from '../keywords.js';

/*
 * The later API's look-ups of the tenant and what it owns (docs/later/tenant.md): tenant/getTenant,
 * phone/getPhoneList, dialogFlow/getDialogFlowList and getDialogFlowCallJobRelatedInfo,
 * intentLevelTag/getUsedIntentLevelTagList and getIntentLevelTag, isv/updateIsvInfo.
 */

export const TenantInfo = Type.Object({
  tenantId: Type.Integer({ description: '公司Id' }),
  tenantName: Type.String({ description: '公司名称' }),
});
export type TenantInfo = Static<typeof TenantInfo>;

export const LaterPhoneLine = Type.Object({
  tenantPhoneNumberId: Type.Integer({ description: '电话id (the caller line’s id, as jobs name it)' }),
  phoneNumber: Type.String({ description: '电话号码' }),
  phoneName: NullableString({ description: '电话号码名称' }),
  phoneType: EnumName(PhoneType, '电话类型'),
  localBillRate: Type.String({ description: '本地话费: 厘 (0.001 yuan) per minute, a decimal integer as text' }),
  otherBillRate: Type.String({ description: '外地话费: 厘 (0.001 yuan) per minute, a decimal integer as text' }),
  callOutIndustry: EnumName(CallOutIndustry, '外呼行业'),
  areaCode: NullableString({ description: '归属地区号, e.g. 0571 (null when not recorded)' }),
  province: NullableString({ description: '归属地省 (null when not recorded)' }),
  city: NullableString({ description: '归属地市 (null when not recorded)' }),
});
export type LaterPhoneLine = Static<typeof LaterPhoneLine>;
export const LaterPhoneLineList = Type.Array(LaterPhoneLine);

export const LaterDialogFlow = Type.Object({
  dialogFlowId: Type.Integer({ description: '机器人话术id' }),
  name: Type.String({ description: '机器人话术名称' }),
  industry: EnumName(Industry, '一级行业'),
  subIndustry: EnumName(SubIndustry, '二级行业'),
  intentLevelTagId: NullableInteger({ description: '意向标签分组id (intentLevelTag/getIntentLevelTag)' }),
  status: EnumName(DialogFlowStatus, '话术状态'),
  createTime: Type.String({ description: '创建时间, yyyy-MM-dd HH:mm:ss (tenant-local)' }),
  version: Type.Integer({ description: 'outcall’s addition: the flow’s current version (the one new jobs get)' }),
  enabled: Type.Boolean({ description: 'outcall’s addition: false once disabled (no new job may use it)' }),
});
export type LaterDialogFlow = Static<typeof LaterDialogFlow>;
export const LaterDialogFlowList = Type.Array(LaterDialogFlow);

// 0 is taken (the platform's own examples send it; call records answer intentLevelTagId 0 for "none"):
// no dialog flow or tag group has it, so it is a 404 like any id the tenant does not hold.
export const DialogFlowIdQuery = InputObject({ dialogFlowId: Int(0, MAX_ID, { description: '话术ID' }) });
export type DialogFlowIdQuery = Static<typeof DialogFlowIdQuery>;

export const DialogFlowCallJobRelatedInfo = Type.Object({
  dialogFlowId: Type.Integer({ description: '话术ID' }),
  placeholderExist: Type.Boolean({
    // biome-ignore lint/suspicious/noTemplateCurlyInString: the variable syntax, literally
    description: '是否有变量: the robot’s texts use at least one ${name} variable',
  }),
  jumpToHumanServiceExist: Type.Boolean({
    description: '是否转人工: always false (outcall’s dialog flows never transfer to a human agent)',
  }),
  humanInterventionExist: Type.Boolean({
    description: '是否有人工介入: always false (outcall’s dialog flows have no human intervention)',
  }),
});
export type DialogFlowCallJobRelatedInfo = Static<typeof DialogFlowCallJobRelatedInfo>;

export const IntentLevelTagItem = Type.Object({
  intentLevelTagId: Type.Integer({ description: '意向标签分组Id' }),
  name: Type.String({ description: '意向标签分组名称' }),
});
export type IntentLevelTagItem = Static<typeof IntentLevelTagItem>;
export const IntentLevelTagList = Type.Array(IntentLevelTagItem);

export const IntentLevelTagIdQuery = InputObject({
  intentLevelTagId: Int(0, MAX_ID, { description: '标签分组Id (0: none, a 404)' }),
});
export type IntentLevelTagIdQuery = Static<typeof IntentLevelTagIdQuery>;

export const IntentLevelTag = Type.Object({
  intentLevelTagId: Type.Integer({ description: '意向标签分组Id' }),
  name: Type.String({ description: '意向标签分组名称' }),
  details: Type.Array(
    Type.Object({
      code: Type.Integer({ description: '意向等级: 0–5 = A–F' }),
      name: Type.String({ description: '意向名称 in this group, e.g. A类' }),
    }),
  ),
});
export type IntentLevelTag = Static<typeof IntentLevelTag>;

/**
 * A callback URL: absent or null leaves it as it is, "" clears it. One schema typed string-or-null
 * rather than a union: coercion would turn null into "" (or "" into null) in a union's first branch.
 */
const CallbackUrl = (description: string) =>
  Type.Optional(
    Type.Unsafe<string | null>({
      type: ['string', 'null'],
      maxLength: MAX_CALLBACK_URL_LENGTH,
      [TEXT]: true,
      description: `${description}: an absolute http(s) URL, at most ${MAX_CALLBACK_URL_LENGTH} characters; "" clears it, absent or null leaves it unchanged`,
      examples: ['https://crm.example.com/outcall/callback'],
    }),
  );

export const UpdateIsvInfoBody = InputObject({
  tenantSign: SafeText({
    maxLength: 64,
    description:
      '客户签名: the tenant’s sign from now on (2–64 of letters, digits, _ and -); every later request must be signed with it',
    examples: ['yiwise'],
  }),
  callbackUrl: CallbackUrl('回调URL (call records and job pushes)'),
  smsCallbackUrl: CallbackUrl('短信回调地址'),
});
export type UpdateIsvInfoBody = Static<typeof UpdateIsvInfoBody>;
