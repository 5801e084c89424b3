import { type Static, type TSchema, Type } from '@sinclair/typebox';
import {
  HangupBy,
  IntentLevel,
  LaterCallTaskStatus,
  LaterResultStatus,
  ReadStatus,
  ResultStatus,
} from '../../domain/enums.js';
import { Turn } from '../callRecords.js';
import {
  EnumInput,
  EnumName,
  Id,
  InputObject,
  Int,
  NullableInteger,
  NullableString,
  Page,
  PageQuery,
  SafeText,
} from '../common.js';

/*
 * The later API's callRecord/ paths (docs/later/call-records.md): getCallRecordInfoList, callDetail,
 * toBeCalledList, deleteRobotCallTask and deleteRobotCallTaskList. Optional filters also take null
 * (and text filters "") for "no filter", as the platform's Java clients send them.
 */

/** The most call-task ids one deleteRobotCallTaskList takes. */
export const MAX_DELETE_TASK_IDS = 1000;

/**
 * An optional scalar that also takes null. A JSON-schema type list, not a union: Ajv coerces
 * nothing that already has one of the types (a union would turn null into 0 or "", or false into null).
 */
const Nullable = <T extends TSchema>(schema: T) =>
  Type.Optional(Type.Unsafe<Static<T> | null>({ ...schema, type: [schema.type as string, 'null'] }));

export const LaterCallRecordListBody = InputObject({
  robotCallJobId: Id('任务id'),
  hangupBy: Nullable(EnumInput(HangupBy, '挂机状态')),
  customerGroupId: Nullable(Id('分组ID')),
  dialogFlowId: Nullable(Id('话术id')),
  resultStatuses: Type.Optional(
    Type.Array(EnumInput(LaterResultStatus, '通话结果 (any of; CALL_LOSS and TRANSFER_ARTIFICIAL match no call)'), {
      maxItems: 20,
    }),
  ),
  intentLevels: Type.Optional(Type.Array(EnumInput(IntentLevel, '意向等级 (any of)'), { maxItems: 20 })),
  calledPhoneNumber: Nullable(SafeText({ maxLength: 30, description: '被叫电话号码, exactly' })),
  callRecordId: Nullable(Id('通话记录id')),
  customerPersonName: Nullable(
    SafeText({ maxLength: 100, description: "客户姓名: a substring of the customer's name (CJK included)" }),
  ),
  realIntent: Nullable(Type.Boolean({ description: '是否人工标注意向: true = intent level marked by a person' })),
  customerConcern: Type.Optional(
    Type.Array(SafeText({ maxLength: 50 }), {
      maxItems: 20,
      description: '客户关注点: records mentioning at least one of them',
    }),
  ),
  readStatus: Nullable(EnumInput(ReadStatus, '查看状态')),
  chatDurationMin: Nullable(Int(0, 86400, { description: '最小通话时长, seconds, inclusive' })),
  chatDurationMax: Nullable(Int(0, 86400, { description: '最大通话时长, seconds, inclusive' })),
  lastCallRecord: Nullable(
    Type.Boolean({
      description:
        '去重: true = only the latest call of each call task; then only resultStatuses, intentLevels, chatDurationMin/Max and redialTimes take effect, the other filters are ignored',
    }),
  ),
  redialTimes: Nullable(
    Int(0, 1000, {
      description: '自动重播次数: 0 = first attempt; takes effect only with lastCallRecord=true (ignored without it)',
    }),
  ),
  ...PageQuery,
});
export type LaterCallRecordListBody = Static<typeof LaterCallRecordListBody>;

const StringList = Type.Array(Type.String());

const IntentNames = {
  intentLevel: EnumName(IntentLevel, '意向等级'),
  intentLevelName: Type.String({ description: "意向标签名称, from the job's dialog flow's intent-level tag group" }),
  realIntentLevel: NullableString({ description: '真实意向等级 (A–F) when a person marked one' }),
  realIntentLevelName: NullableString({ description: '真实意向标签名称; null when realIntentLevel is' }),
  intentLevelTagId: Type.Integer({ description: '意向分类标签id (0 when the tenant has none)' }),
};

export const LaterCallRecordItem = Type.Object({
  hangupBy: Type.Union([EnumName(HangupBy, '挂机状态 (null for calls recorded before it was stored)'), Type.Null()]),
  callRecordId: Type.Integer({ description: '通话ID' }),
  tenantId: Type.Integer(),
  robotCallJobId: Type.Integer(),
  dialogFlowId: Type.Integer(),
  robotCallTaskId: NullableInteger({ description: '子任务id (null for a call of no call task)' }),
  customerPersonId: NullableInteger(),
  calledPhoneNumber: Type.String(),
  phoneNumberId: Type.Integer({ description: '电话线路id (0 when unknown)' }),
  resultStatus: EnumName(ResultStatus, '通话结果'),
  ...IntentNames,
  customerConcern: StringList,
  fullAudioUrl: NullableString(),
  customerAudioUrl: NullableString(),
  analysisBasis: Type.String(),
  startTime: Type.String({ description: 'yyyy-MM-dd HH:mm:ss (tenant time zone)' }),
  chatDuration: Type.Integer({ description: 'seconds' }),
  chatRound: Type.Integer(),
  readStatus: EnumName(ReadStatus, '查看状态'),
  redialTimes: Type.Integer({ description: '自动重播次数: which redial of its call task the call was (0 = first)' }),
  callDetailList: Type.Array(Turn),
});
export type LaterCallRecordItem = Static<typeof LaterCallRecordItem>;

export const LaterCallRecordPage = Page(LaterCallRecordItem);
export type LaterCallRecordPage = Static<typeof LaterCallRecordPage>;

export const LaterCallDetailQuery = InputObject({ callRecordId: Id('通话记录id') });
export type LaterCallDetailQuery = Static<typeof LaterCallDetailQuery>;

export const LaterCustomerPerson = Type.Object({
  customerPersonId: Type.Integer(),
  creationTime: Type.String({ description: 'yyyy-MM-dd HH:mm' }),
  tenantId: Type.Integer(),
  customerGroupId: NullableInteger(),
  name: Type.String(),
  phoneNumber: Type.String(),
  wechatNumber: NullableString(),
  source: Type.String(),
  gender: Type.String(),
  properties: Type.Record(Type.String(), Type.Unknown()),
  lastFollowTime: NullableString({ description: 'yyyy-MM-dd HH:mm:ss' }),
  lastChatDuration: Type.Integer(),
  lastStartTime: NullableString({ description: 'yyyy-MM-dd HH:mm:ss' }),
  lastIntentLevel: NullableString(),
  lastDialStatus: NullableString(),
  assignTime: NullableString({ description: 'yyyy-MM-dd HH:mm:ss' }),
  customerGroupName: NullableString(),
});

export const LaterCallDetail = Type.Object({
  callRecordId: Type.Integer(),
  robotCallJobId: Type.Integer(),
  customerPerson: Type.Union([LaterCustomerPerson, Type.Null()]),
  resultStatus: EnumName(ResultStatus, '通话结果'),
  ...IntentNames,
  customerConcern: StringList,
  fullAudioUrl: NullableString(),
  customerAudioUrl: NullableString(),
  analysisBasis: Type.String(),
  callDetailList: Type.Array(Turn),
  startTime: Type.String({ description: 'yyyy-MM-ddTHH:mm:ss (tenant time zone)' }),
  endTime: Type.String({ description: 'yyyy-MM-ddTHH:mm:ss (tenant time zone)' }),
  chatRound: Type.Integer(),
  chatDuration: Type.Integer({ description: 'seconds' }),
  attributes: Type.Array(Type.Unknown()),
  redialTimes: Type.Integer({ description: '自动重播次数 (0 = first attempt)' }),
});
export type LaterCallDetail = Static<typeof LaterCallDetail>;

const TaskStatusInput = EnumInput(
  LaterCallTaskStatus,
  '呼叫状态; COMPLETED is refused (finished call tasks are call records); RETRY and IN_CACHE match none',
);

export const ToBeCalledQuery = InputObject({
  robotCallJobId: Id('任务id'),
  calledPhoneNumber: Type.Optional(SafeText({ maxLength: 30, description: '联系方式, exactly; empty = any' })),
  taskStatus: Type.Optional(TaskStatusInput),
  ...PageQuery,
});
export type ToBeCalledQuery = Static<typeof ToBeCalledQuery>;

export const ToBeCalledItem = Type.Object({
  robotCallTaskId: Type.Integer({ description: '呼叫任务id' }),
  customerPersonId: Type.Integer(),
  customerPersonName: Type.String(),
  calledPhoneNumber: Type.String({ description: 'the full number (not masked)' }),
  customerPersonGroupName: Type.String({ description: '客户所在组名称 ("" when none)' }),
  status: EnumName(LaterCallTaskStatus, '呼叫状态'),
  inWhiteList: Type.Boolean({ description: "on the tenant's do-not-call list (it is never dialled)" }),
  inShareWhiteList: Type.Null({ description: 'a shared list across tenants: outcall has none (null)' }),
  properties: Type.Record(Type.String(), Type.Unknown()),
});
export type ToBeCalledItem = Static<typeof ToBeCalledItem>;

export const ToBeCalledPage = Page(ToBeCalledItem);
export type ToBeCalledPage = Static<typeof ToBeCalledPage>;

export const DeleteCallTaskBody = InputObject({ robotCallTaskId: Id('需要删除的呼叫任务Id') });
export type DeleteCallTaskBody = Static<typeof DeleteCallTaskBody>;

export const DeleteCallTaskListQuery = InputObject({
  robotCallJobId: Id('任务id'),
  robotCallTaskIds: Type.Optional(
    Type.Array(
      SafeText({
        maxLength: 20000,
        description: 'ids separated by commas (3033729,3033719)',
        examples: ['3033729,3033719'],
      }),
      {
        maxItems: MAX_DELETE_TASK_IDS,
        description: `删除子任务id: comma-separated, or the parameter repeated; at most ${MAX_DELETE_TASK_IDS} ids. When given, calledPhoneNumber and taskStatus are ignored`,
      },
    ),
  ),
  calledPhoneNumber: Type.Optional(SafeText({ maxLength: 30, description: '联系方式, exactly; empty = any' })),
  taskStatus: Type.Optional(TaskStatusInput),
});
export type DeleteCallTaskListQuery = Static<typeof DeleteCallTaskListQuery>;

export const DeletedCount = Type.Integer({ description: 'how many call tasks were deleted' });
