import { type Static, Type } from '@sinclair/typebox';
import { IntentLevel, JobMode, JobStatus, PhoneType } from '../domain/enums.js';
import {
  EnumInput,
  EnumName,
  FiniteNumber,
  Id,
  InputObject,
  Int,
  JsonValue,
  NullableString,
  SafeText,
} from './common.js';

/** Job operations: create, start, pause, resume, stop, delete, importTaskCustomer. */

const Clock = (description: string, example: string) =>
  Type.Optional(
    SafeText({
      maxLength: 20,
      description: `${description}, HH:mm:ss (or HH:mm), tenant-local`,
      examples: [example],
    }),
  );

export const CreateJobBody = InputObject({
  name: SafeText({ minLength: 1, maxLength: 100, description: '任务名称' }),
  dialogFlowId: Id('话术id (getDialogFlows lists them)'),
  mode: Type.Optional(EnumInput(JobMode, '任务类型 (default MANUAL; AUTO jobs start by themselves at startTime)')),
  robotCount: Type.Optional(Int(1, 200, { description: 'lines dialled at once (default 1)' })),
  phoneType: Type.Optional(EnumInput(PhoneType, '电话类型 (default MOBILE)')),
  phoneNumberIds: Type.Optional(
    Type.Array(Id('caller line id'), { maxItems: 50, description: 'caller lines the job dials from' }),
  ),
  dailyStartTime: Clock('可拨打开始时间 (default 09:00:00)', '09:00:00'),
  dailyEndTime: Clock('可拨打结束时间 (default 20:00:00)', '20:00:00'),
  inactiveStartTime: Clock('暂时停止开始时间 (default 00:00:00: no inactive window)', '12:00:00'),
  inactiveEndTime: Clock('暂时停止结束时间 (default 00:00:00)', '13:30:00'),
  startTime: Type.Optional(
    SafeText({
      maxLength: 30,
      description: 'AUTO jobs only: when to start, yyyy-MM-dd HH:mm:ss tenant-local, from 1970 to 2100',
      examples: ['2024-05-01 09:00:00'],
    }),
  ),
  description: Type.Optional(SafeText({ maxLength: 500 })),
  smsTemplateId: Type.Optional(Id('短信模版id')),
  wechatAlertLevel: Type.Optional(Type.Array(EnumInput(IntentLevel, '微信提示等级'), { maxItems: 6 })),
  smsAlertLevel: Type.Optional(Type.Array(EnumInput(IntentLevel, '短信提示等级'), { maxItems: 6 })),
  alertUsers: Type.Optional(Type.Array(JsonValue(3, 'alert user'), { maxItems: 50 })),
  earlyWarningAlertUsers: Type.Optional(Type.Array(JsonValue(3, 'alert user'), { maxItems: 50 })),
  wechatSendMethod: Type.Optional(SafeText({ maxLength: 30, description: 'default SENDTOALL' })),
  redialTimes: Type.Optional(Int(0, 10, { description: 'redials of an unanswered call task (default 0)' })),
  redialIntervalMinutes: Type.Optional(Int(1, 1440, { description: 'minutes between redials (default 60)' })),
});
export type CreateJobBody = Static<typeof CreateJobBody>;

export const JobRef = InputObject({ robotCallJobId: Id('任务id') });
export type JobRef = Static<typeof JobRef>;

export const JobStatusResult = Type.Object({
  robotCallJobId: Type.Integer(),
  status: EnumName(JobStatus, '任务状态'),
});
export type JobStatusResult = Static<typeof JobStatusResult>;

export const DeletedJob = Type.Object({ robotCallJobId: Type.Integer(), deleted: Type.Boolean() });

export const ImportCustomer = InputObject({
  phoneNumber: SafeText({
    minLength: 1,
    maxLength: 30,
    description: 'mainland mobile or landline; spaces, dashes and +86 are removed',
  }),
  name: Type.Optional(SafeText({ maxLength: 50 })),
  gender: Type.Optional(SafeText({ maxLength: 10, description: 'MALE, FEMALE or UNKNOWN' })),
  properties: Type.Optional(
    Type.Record(Type.String(), Type.Union([SafeText({ maxLength: 500 }), FiniteNumber(), Type.Boolean()]), {
      // TypeBox keeps no constraint of a record's key schema: the names are checked here.
      propertyNames: SafeText({ maxLength: 50 }),
      description: 'customer properties: names ≤ 50 characters, values text ≤ 500 characters, numbers or booleans',
    }),
  ),
});

export const ImportTaskCustomerBody = InputObject({
  robotCallJobId: Id('任务id'),
  customerGroupId: Type.Optional(Id('分组ID new customers join')),
  customers: Type.Array(ImportCustomer, { minItems: 1, maxItems: 1000 }),
});
export type ImportTaskCustomerBody = Static<typeof ImportTaskCustomerBody>;

export const ImportResult = Type.Object({
  robotCallJobId: Type.Integer(),
  status: EnumName(JobStatus, '任务状态 after the import'),
  taskCallTotal: Type.Integer(),
  accepted: Type.Array(
    Type.Object({
      index: Type.Integer(),
      phoneNumber: Type.String(),
      customerPersonId: Type.Integer(),
      robotCallTaskId: Type.Integer(),
    }),
  ),
  rejected: Type.Array(Type.Object({ index: Type.Integer(), phoneNumber: Type.String(), reason: Type.String() })),
});
export type ImportResult = Static<typeof ImportResult>;

export const DialogFlowList = Type.Array(
  Type.Object({ dialogFlowId: Type.Integer(), name: Type.String(), creationTime: Type.String() }),
);
export const PhoneLineList = Type.Array(
  Type.Object({
    phoneNumberId: Type.Integer(),
    phoneNumber: Type.String(),
    phoneType: Type.String(),
    phoneName: NullableString(),
  }),
);
