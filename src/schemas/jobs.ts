import { type Static, Type } from '@sinclair/typebox';
import {
  CHAT_DURATION_BUCKETS,
  CHAT_ROUND_BUCKETS,
  IntentLevel,
  JobMode,
  JobStatus,
  PhoneType,
  ResultStatus,
} from '../domain/enums.js';
import {
  DatePoint,
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

/** getTasks and getTaskDetail. */

export const GetTasksQuery = InputObject({
  name: Type.Optional(SafeText({ maxLength: 200, description: '任务名称 (substring)' })),
  status: Type.Optional(EnumInput(JobStatus, '任务状态')),
  ...PageQuery,
});
export type GetTasksQuery = Static<typeof GetTasksQuery>;

export const JobListItem = Type.Object({
  robotCallJobId: Type.Integer({ description: '任务id' }),
  name: Type.String({ description: '任务名称' }),
  status: EnumName(JobStatus, '任务状态'),
  completedTask: Type.Integer({ description: '完成的任务 (call tasks whose dialing is finished)' }),
  taskCallTotal: Type.Integer({ description: '任务总数 (call tasks in the job)' }),
  creationTime: Type.String({ description: '创建时间, yyyy-MM-dd HH:mm' }),
  createdByUserName: NullableString({ description: '创建人' }),
  organizationName: NullableString({ description: '组织' }),
});
export type JobListItem = Static<typeof JobListItem>;

export const JobPage = Page(JobListItem);

export const GetTaskDetailQuery = InputObject({ robotCallJobId: Id('任务Id') });
export type GetTaskDetailQuery = Static<typeof GetTaskDetailQuery>;

const StringList = Type.Array(Type.String());

export const RobotCallJob = Type.Object({
  robotCallJobId: Type.Integer(),
  tenantId: Type.Integer(),
  dialogFlowId: Type.Integer({ description: '话术id' }),
  name: Type.String(),
  mode: EnumName(JobMode, '任务类型'),
  robotCount: Type.Integer({ description: 'concurrent lines of the job' }),
  smsTemplateId: NullableInteger({ description: '短信模版id' }),
  phoneType: EnumName(PhoneType, '电话类型'),
  dailyStartTime: Type.String({ description: '可拨打开始时间, HH:mm:ss' }),
  dailyEndTime: Type.String({ description: '可拨打结束时间, HH:mm:ss' }),
  inactiveStartTime: Type.String({ description: '暂时停止开始时间, HH:mm:ss' }),
  inactiveEndTime: Type.String({ description: '暂时停止结束时间, HH:mm:ss' }),
  description: NullableString({ description: '任务注释' }),
  wechatAlertLevel: StringList,
  smsAlertLevel: StringList,
  alertUsers: Type.Array(Type.Unknown()),
  wechatSendMethod: Type.String(),
  status: EnumName(JobStatus, '任务状态'),
  startTime: NullableString({ description: '任务开始时间, yyyy-MM-dd HH:mm:ss' }),
  nextStartTime: NullableString({ description: '下一次任务开始时间, HH:mm:ss' }),
  creationTime: Type.String({ description: 'yyyy-MM-dd HH:mm:ss' }),
  lastModifiedTime: Type.String({ description: 'yyyy-MM-dd HH:mm:ss' }),
  earlyWarningAlertUsers: Type.Array(Type.Unknown()),
});

export const JobPhoneNumber = Type.Object({
  phoneNumberId: Type.Integer(),
  phoneNumber: Type.String(),
  phoneType: Type.String(),
  phoneName: NullableString(),
});

const counts = <K extends string>(keys: readonly K[]) =>
  Type.Object(Object.fromEntries(keys.map((k) => [k, Type.Integer()])) as Record<K, ReturnType<typeof Type.Integer>>);

export const CallJobStatsInfo = Type.Object({
  taskProgress: Type.Number({ description: '任务进度: completedTask ÷ taskCallTotal × 100, 1 decimal' }),
  answeredRate: Type.Number({ description: '接听率: answeredTask ÷ call records × 100, 2 decimals' }),
  intentLevel: counts(IntentLevel.names),
  taskCallTotal: Type.Integer({ description: 'call records (finished dial attempts) of the job' }),
  answeredTask: Type.Integer(),
  chatDurationTotal: Type.Integer({ description: 'seconds' }),
  completedTask: Type.Integer(),
  customerConcern: StringList,
  dialResult: counts(ResultStatus.names),
  chatRound: counts(CHAT_ROUND_BUCKETS.map((b) => b.key)),
  chatDuration: counts(CHAT_DURATION_BUCKETS.map((b) => b.key)),
  callJobStatsBrokenLine: Type.Object({
    taskCallCompletedList: Type.Array(DatePoint),
    answeredTaskList: Type.Array(DatePoint),
    answeredTaskRateList: Type.Array(DatePoint),
    chatDurationTotalList: Type.Array(DatePoint),
    averageDurationList: Type.Array(DatePoint),
  }),
});

export const JobDetail = Type.Object({
  robotCallJob: RobotCallJob,
  jobPhoneNumberList: Type.Union([Type.Array(JobPhoneNumber), Type.Null()]),
  completedTask: Type.Integer(),
  taskCallTotal: Type.Integer(),
  createdByUserName: NullableString(),
  organizationName: NullableString(),
  dialogFlowName: NullableString(),
  smsTemplateName: NullableString(),
  systemPauseNextStart: NullableString({ description: 'when a system-suspended job resumes, yyyy-MM-dd HH:mm:ss' }),
  callJobStatsInfo: CallJobStatsInfo,
});
export type JobDetail = Static<typeof JobDetail>;
