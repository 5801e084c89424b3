import { type Static, Type } from '@sinclair/typebox';
import { FollowStatus, IntentLevel, ReadStatus, ResultStatus, TurnType } from '../domain/enums.js';
import {
  EnumInput,
  EnumName,
  Id,
  InputObject,
  NullableInteger,
  NullableString,
  Page,
  PageQuery,
  SafeText,
} from './common.js';

/** getCallRecordInfoList and callDetail. */

const DateBound = (description: string) =>
  Type.Optional(
    Type.Union([
      SafeText({
        maxLength: 30,
        description: `${description}, yyyy-MM-dd (a date without time) from 1970-01-01 to 2100-12-31; empty means no bound`,
        examples: ['2024-05-01'],
      }),
      Type.Null(),
    ]),
  );

export const CallRecordListBody = InputObject({
  robotCallJobId: Id('任务id'),
  customerGroupId: Type.Optional(Id('分组ID')),
  dialogFlowId: Type.Optional(Id('话术id')),
  followStatus: Type.Optional(EnumInput(FollowStatus, '跟进状态 (of the customer)')),
  earliestCreationTime: DateBound('最早创建时间 (inclusive, tenant-local day of the call start)'),
  latestCreationTime: DateBound('最晚创建时间 (inclusive, tenant-local day of the call start)'),
  resultStatuses: Type.Optional(Type.Array(EnumInput(ResultStatus, '通话结果'), { maxItems: 20 })),
  intentLevels: Type.Optional(Type.Array(EnumInput(IntentLevel, '意向等级'), { maxItems: 20 })),
  searchWords: Type.Optional(
    SafeText({ maxLength: 100, description: '关键字: substring of the called number or the customer name' }),
  ),
  getTrainTaskList: Type.Optional(
    Type.Boolean({ description: 'true: only script-training calls; otherwise only real calls' }),
  ),
  ...PageQuery,
});
export type CallRecordListBody = Static<typeof CallRecordListBody>;

export const Turn = Type.Object({
  text: Type.String(),
  type: EnumName(TurnType, '说话方'),
  callDetailId: Type.Integer(),
});
export type Turn = Static<typeof Turn>;

const StringList = Type.Array(Type.String());

export const CustomerPersonInfo = Type.Object({
  customerPersonId: Type.Integer(),
  name: Type.String(),
  phoneNumber: Type.String(),
  gender: Type.String(),
  followStatus: EnumName(FollowStatus, '跟进状态'),
  properties: Type.Record(Type.String(), Type.Unknown()),
});

export const CallRecordListItem = Type.Object({
  callRecordId: Type.Integer({ description: '通话ID' }),
  tenantId: Type.Integer(),
  robotCallJobId: Type.Integer(),
  dialogFlowId: Type.Integer(),
  robotCallTaskId: NullableInteger({ description: 'call task (one customer of the job)' }),
  customerPersonId: NullableInteger(),
  calledPhoneNumber: Type.String(),
  phoneNumberId: Type.Integer({ description: '电话线路id (0 when unknown)' }),
  resultStatus: EnumName(ResultStatus, '通话结果'),
  intentLevel: EnumName(IntentLevel, '意向等级'),
  realIntentLevel: NullableString(),
  customerConcern: StringList,
  fullAudioUrl: NullableString(),
  customerAudioUrl: NullableString(),
  analysisBasis: Type.String(),
  startTime: Type.String({ description: 'yyyy-MM-dd HH:mm:ss' }),
  chatDuration: Type.Integer({ description: 'seconds' }),
  chatRound: Type.Integer(),
  manualMarked: Type.Boolean(),
  readStatus: EnumName(ReadStatus, '是否已读'),
  customerGroupName: NullableString(),
  robotCallJobName: Type.String(),
  dialogFlowName: NullableString(),
  customerPersonInfo: Type.Union([CustomerPersonInfo, Type.Null()]),
  callDetailList: Type.Array(Turn),
});
export type CallRecordListItem = Static<typeof CallRecordListItem>;

export const CallRecordPage = Page(CallRecordListItem);

export const CallDetailQuery = InputObject({ callRecordId: Id('通话记录id') });
export type CallDetailQuery = Static<typeof CallDetailQuery>;

export const CustomerPerson = Type.Object({
  customerPersonId: Type.Integer(),
  creationTime: Type.String({ description: 'yyyy-MM-dd HH:mm' }),
  tenantId: Type.Integer(),
  customerGroupId: NullableInteger(),
  name: Type.String(),
  phoneNumber: Type.String(),
  wechatNumber: NullableString(),
  source: Type.String(),
  lastEmotion: Type.String(),
  customerLevel: Type.String(),
  gender: Type.String(),
  followUserId: NullableInteger(),
  followStatus: EnumName(FollowStatus, '跟进状态'),
  properties: Type.Record(Type.String(), Type.Unknown()),
  lastFollowTime: NullableString({ description: 'yyyy-MM-dd HH:mm:ss' }),
  lastChatDuration: Type.Integer(),
  lastStartTime: NullableString({ description: 'yyyy-MM-dd HH:mm:ss' }),
  attributes: Type.Array(Type.Unknown()),
  lastIntentLevel: NullableString(),
  lastDialStatus: NullableString(),
  assignTime: NullableString({ description: 'yyyy-MM-dd HH:mm:ss' }),
  customerGroupName: NullableString(),
});

export const CallDetail = Type.Object({
  callRecordId: Type.Integer(),
  customerAudioUrl: NullableString(),
  startTime: Type.String({ description: 'yyyy-MM-ddTHH:mm:ss' }),
  endTime: Type.String({ description: 'yyyy-MM-ddTHH:mm:ss' }),
  chatRound: Type.Integer(),
  chatDuration: Type.Integer(),
  customerPerson: Type.Union([CustomerPerson, Type.Null()]),
  resultStatus: EnumName(ResultStatus, '通话结果'),
  intentLevel: EnumName(IntentLevel, '意向等级'),
  realIntentLevel: NullableString(),
  customerConcern: StringList,
  fullAudioUrl: NullableString(),
  analysisBasis: Type.String(),
  callDetailList: Type.Array(Turn),
  manualMarked: Type.Boolean(),
  robotCallJobId: Type.Integer(),
  attributes: Type.Array(Type.Unknown()),
});
export type CallDetail = Static<typeof CallDetail>;
