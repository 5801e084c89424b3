import { type Static, Type } from '@sinclair/typebox';
import { IntentLevel, JobMode, JobStatus, PhoneType } from '../domain/enums.js';
import { EnumInput, EnumName, Id, NullableString } from './common.js';

/** Job operations: create, start, pause, resume, stop, delete, importTaskCustomer. */

const Clock = (description: string) =>
  Type.Optional(Type.String({ description: `${description}, HH:mm:ss (or HH:mm), tenant-local` }));

export const CreateJobBody = Type.Object({
  name: Type.String({ minLength: 1, maxLength: 100, description: '任务名称' }),
  dialogFlowId: Id('话术id (getDialogFlows lists them)'),
  mode: Type.Optional(EnumInput(JobMode, '任务类型 (default MANUAL; AUTO jobs start by themselves at startTime)')),
  robotCount: Type.Optional(
    Type.Integer({ minimum: 1, maximum: 200, description: 'lines dialled at once (default 1)' }),
  ),
  phoneType: Type.Optional(EnumInput(PhoneType, '电话类型 (default MOBILE)')),
  phoneNumberIds: Type.Optional(
    Type.Array(Id('caller line id'), { maxItems: 50, description: 'caller lines the job dials from' }),
  ),
  dailyStartTime: Clock('可拨打开始时间 (default 09:00:00)'),
  dailyEndTime: Clock('可拨打结束时间 (default 20:00:00)'),
  inactiveStartTime: Clock('暂时停止开始时间 (default 00:00:00: no inactive window)'),
  inactiveEndTime: Clock('暂时停止结束时间 (default 00:00:00)'),
  startTime: Type.Optional(
    Type.String({ description: 'AUTO jobs only: when to start, yyyy-MM-dd HH:mm:ss tenant-local' }),
  ),
  description: Type.Optional(Type.String({ maxLength: 500 })),
  smsTemplateId: Type.Optional(Id('短信模版id')),
  wechatAlertLevel: Type.Optional(Type.Array(EnumInput(IntentLevel, '微信提示等级'), { maxItems: 6 })),
  smsAlertLevel: Type.Optional(Type.Array(EnumInput(IntentLevel, '短信提示等级'), { maxItems: 6 })),
  alertUsers: Type.Optional(Type.Array(Type.Unknown(), { maxItems: 50 })),
  earlyWarningAlertUsers: Type.Optional(Type.Array(Type.Unknown(), { maxItems: 50 })),
  wechatSendMethod: Type.Optional(Type.String({ maxLength: 30, description: 'default SENDTOALL' })),
  redialTimes: Type.Optional(
    Type.Integer({ minimum: 0, maximum: 10, description: 'redials of an unanswered call task (default 0)' }),
  ),
  redialIntervalMinutes: Type.Optional(
    Type.Integer({ minimum: 1, maximum: 1440, description: 'minutes between redials (default 60)' }),
  ),
});
export type CreateJobBody = Static<typeof CreateJobBody>;

export const JobRef = Type.Object({ robotCallJobId: Id('任务id') });
export type JobRef = Static<typeof JobRef>;

export const JobStatusResult = Type.Object({
  robotCallJobId: Type.Integer(),
  status: EnumName(JobStatus, '任务状态'),
});
export type JobStatusResult = Static<typeof JobStatusResult>;

export const DeletedJob = Type.Object({ robotCallJobId: Type.Integer(), deleted: Type.Boolean() });

export const ImportCustomer = Type.Object({
  phoneNumber: Type.String({
    minLength: 1,
    maxLength: 30,
    description: 'mainland mobile or landline; spaces, dashes and +86 are removed',
  }),
  name: Type.Optional(Type.String({ maxLength: 50 })),
  gender: Type.Optional(Type.String({ maxLength: 10, description: 'MALE, FEMALE or UNKNOWN' })),
  properties: Type.Optional(
    Type.Record(
      Type.String({ maxLength: 50 }),
      Type.Union([Type.String({ maxLength: 500 }), Type.Number(), Type.Boolean()]),
    ),
  ),
});

export const ImportTaskCustomerBody = Type.Object({
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
