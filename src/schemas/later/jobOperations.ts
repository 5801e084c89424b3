import { type Static, Type } from '@sinclair/typebox';
import {
  IntentLevel,
  JobMode,
  LaterFollowStatus,
  LaterJobOperation,
  LaterJobStatus,
  LaterResultStatus,
  PhoneType,
} from '../../domain/enums.js';
import { EnumInput, EnumName, Id, InputObject, Int, JsonValue, MAX_ID, NullableString, SafeText } from '../common.js';
import { ImportCustomer, ImportResult } from '../jobOperations.js';

/*
 * The later API's job operations (docs/later/jobs-operations.md): job/create, modify, start, pause,
 * stop, delete, importCustomer, updateAiCount, reAddCustomerToJob, checkAll and executeJobs.
 */

/** The most customers one job/importCustomer adds (the 2018 importTaskCustomer takes 1,000). */
export const MAX_LATER_IMPORT = 100;
/** The most customer ids one job/reAddCustomerToJob names. */
export const MAX_RE_ADD_CUSTOMERS = 1000;
/** The most jobs one job/checkAll or job/executeJobs names. */
export const MAX_BATCH_JOBS = 1000;
/** The most robots (concurrent calls) a job may have, as the 2018 create allows. */
export const MAX_ROBOT_COUNT = 200;

const Clock = (description: string) =>
  SafeText({ maxLength: 8, description: `${description}, HH:mm (or HH:mm:ss), tenant-local`, examples: ['09:00'] });

const Levels = (description: string) => Type.Array(EnumInput(IntentLevel, description), { maxItems: 6 });
const LevelCodes = (description: string) =>
  Type.Array(Int(0, 5, { description: `${description}: 0–5 = A–F` }), { maxItems: 6 });

export const InactiveWindowInput = InputObject({
  startTime: Clock('不可拨打开始时间'),
  endTime: Clock('不可拨打结束时间 (later than startTime)'),
});

/** The job's own fields (robotCallJob of create and modify): every one optional here, required ones checked by the service. */
const jobFields = {
  name: Type.Optional(SafeText({ minLength: 1, maxLength: 100, description: '任务名称 (required on create)' })),
  mode: Type.Optional(EnumInput(JobMode, '任务类型 (required on create)')),
  startTime: Type.Optional(
    SafeText({
      maxLength: 30,
      description: 'AUTO jobs: when to start, yyyy-MM-dd HH:mm:ss (or yyyy-MM-dd: midnight), tenant-local',
      examples: ['2030-01-02 09:00:00'],
    }),
  ),
  dailyStartTime: Type.Optional(Clock('可拨打开始时间, not earlier than 09:00 (required on create)')),
  dailyEndTime: Type.Optional(Clock('可拨打结束时间, not later than 20:00 (required on create)')),
  inactiveTimeList: Type.Optional(
    Type.Array(InactiveWindowInput, { maxItems: 3, description: '不可拨打时间段, at most three windows' }),
  ),
  dialogFlowId: Type.Optional(Id('话术id (required on create)')),
  csStaffGroupId: Type.Optional(Id('坐席组id (stored and answered back; outcall has no human agents)')),
  alertUsers: Type.Optional(Type.Array(JsonValue(3, 'alert user'), { maxItems: 50 })),
  earlyWarningAlertUsers: Type.Optional(Type.Array(JsonValue(3, 'alert user'), { maxItems: 50 })),
  robotCount: Type.Optional(
    Int(1, MAX_ROBOT_COUNT, { description: '机器人数: calls dialled at once (required on create except MOBILE)' }),
  ),
  phoneType: Type.Optional(
    SafeText({
      maxLength: 40,
      description: `号码类型 (required on create): ${PhoneType.describe()}, or CALL_POLICY_GROUP (not supported: 412)`,
      examples: ['LANDLINE'],
    }),
  ),
  smsAlertLevel: Type.Optional(Levels('短信推送提醒意向等级')),
  smsAlertLevelCode: Type.Optional(LevelCodes('短信推送提醒意向等级编码')),
  smsTemplateId: Type.Optional(Id('短信模板id')),
  wechatAlertLevel: Type.Optional(Levels('微信推送提醒意向等级')),
  wechatAlertLevelCode: Type.Optional(LevelCodes('微信推送提醒意向等级编码')),
  wechatConditionAlertLevelCode: Type.Optional(LevelCodes('微信条件推送提醒意向等级编码')),
  wechatSendMethod: Type.Optional(
    SafeText({ maxLength: 20, description: '微信推送方式: SENDTOALL (default), SENDTOONE or SENDTONONE' }),
  ),
  description: Type.Optional(SafeText({ maxLength: 500, description: '备注' })),
  redialCondition: Type.Optional(
    Type.Array(EnumInput(LaterResultStatus, '重拨条件'), {
      maxItems: 12,
      description: 'results that make a call task wait for a redial (ANSWERED is never redialled)',
    }),
  ),
  redialInterval: Type.Optional(Int(6, 1440, { description: '重拨间隔, minutes' })),
  redialTimes: Type.Optional(
    Int(0, 10, { description: '重拨次数: 1–10; 0 = no redial (as a job without redial answers it)' }),
  ),
  tenantId: Type.Optional(Int(-MAX_ID, MAX_ID, { description: 'ignored: the job is the caller’s tenant’s' })),
};

const envelopeFields = {
  concurrencyQuota: Type.Optional(Int(1, 10_000, { description: '并发数 (required on create except MOBILE)' })),
  jobPhoneNumberIdList: Type.Optional(
    Type.Array(Id('tenantPhoneNumberId (getPhoneList)'), {
      maxItems: MAX_ROBOT_COUNT,
      description: '任务主叫号码列表: MOBILE 1–200 lines, LANDLINE exactly 1, UNFIXED_CALL 1–50 (required on create)',
    }),
  ),
  transferPhoneNumber: Type.Optional(
    Type.Array(SafeText({ maxLength: 30 }), { maxItems: 20, description: '转人工号码 (stored and answered back)' }),
  ),
};

export const RobotCallJobInput = InputObject(jobFields);
export type RobotCallJobInput = Static<typeof RobotCallJobInput>;

/** job/create: the job's fields inside robotCallJob (as the platform's clients send them) or flat beside the list fields. */
export const LaterCreateJobBody = InputObject({
  ...envelopeFields,
  robotCallJob: Type.Optional(RobotCallJobInput),
  ...jobFields,
});
export type LaterCreateJobBody = Static<typeof LaterCreateJobBody>;

/** job/modify: a partial update; robotCallJobId inside robotCallJob or at the top. */
export const ModifyJobBody = InputObject({
  robotCallJobId: Type.Optional(Id('任务id (or robotCallJob.robotCallJobId)')),
  ...envelopeFields,
  robotCallJob: Type.Optional(InputObject({ robotCallJobId: Type.Optional(Id('任务id')), ...jobFields })),
  ...jobFields,
});
export type ModifyJobBody = Static<typeof ModifyJobBody>;

export const JobIdResult = Type.Object({ robotCallJobId: Type.Integer({ description: '任务id' }) });
export type JobIdResult = Static<typeof JobIdResult>;

export const LaterJobRef = InputObject({ robotCallJobId: Id('任务id (a number or a digit string)') });
export type LaterJobRef = Static<typeof LaterJobRef>;

export const LaterJobStatusResult = Type.Object({
  robotCallJobId: Type.Integer(),
  status: EnumName(LaterJobStatus, '任务状态 after the operation'),
});
export type LaterJobStatusResult = Static<typeof LaterJobStatusResult>;

export const LaterDeletedJob = Type.Object({ robotCallJobId: Type.Integer(), deleted: Type.Boolean() });
export type LaterDeletedJob = Static<typeof LaterDeletedJob>;

export const ImportCustomerBody = InputObject({
  robotCallJobId: Id('任务id'),
  customerPersons: Type.Array(ImportCustomer, { minItems: 1, maxItems: MAX_LATER_IMPORT }),
});
export type ImportCustomerBody = Static<typeof ImportCustomerBody>;

/** job/importCustomer's answer: the 2018 import's per-row results, the status in the later enum. */
export const LaterImportResult = Type.Composite([
  Type.Omit(ImportResult, ['status']),
  Type.Object({ status: EnumName(LaterJobStatus, '任务状态 after the import') }),
]);
export type LaterImportResult = Static<typeof LaterImportResult>;

export const UpdateAiCountBody = InputObject({
  robotCallJobId: Id('任务id'),
  robotCount: Int(1, MAX_ROBOT_COUNT, { description: 'AI坐席数: calls dialled at once' }),
});
export type UpdateAiCountBody = Static<typeof UpdateAiCountBody>;

const LocalDate = (description: string) =>
  SafeText({ maxLength: 10, description: `${description}, yyyy-MM-dd (tenant-local)`, examples: ['2024-05-01'] });

export const ReAddCustomerBody = InputObject({
  robotCallJobId: Id('任务id: the job the customers are added to'),
  customerPersonIds: Type.Array(Id('客户id'), { minItems: 1, maxItems: MAX_RE_ADD_CUSTOMERS }),
  lastCallRecord: Type.Optional(Type.Boolean({ description: 'test only each customer’s latest call record' })),
  searchWords: Type.Optional(
    SafeText({ minLength: 1, maxLength: 50, description: 'substring of number or name, or a call record id' }),
  ),
  customerGroupId: Type.Optional(Id('分组id of the call record')),
  resultStatuses: Type.Optional(Type.Array(EnumInput(LaterResultStatus, '通话结果'), { maxItems: 12 })),
  intentLevels: Type.Optional(Type.Array(EnumInput(IntentLevel, '意向等级'), { maxItems: 6 })),
  followStatus: Type.Optional(EnumInput(LaterFollowStatus, '跟进状态')),
  dialogFlowId: Type.Optional(Id('话术id of the call record')),
  earliestCreationTime: Type.Optional(LocalDate('earliest call day')),
  latestCreationTime: Type.Optional(LocalDate('latest call day (inclusive)')),
});
export type ReAddCustomerBody = Static<typeof ReAddCustomerBody>;

export const ReAddResult = Type.Object({
  robotCallJobId: Type.Integer(),
  status: EnumName(LaterJobStatus, '任务状态 after the re-add'),
  taskCallTotal: Type.Integer({ description: 'call tasks in the job afterwards' }),
  addedCount: Type.Integer({ description: 'customers who will be dialled again' }),
  added: Type.Array(
    Type.Object({
      customerPersonId: Type.Integer(),
      phoneNumber: Type.String(),
      robotCallTaskId: Type.Integer(),
      reopened: Type.Boolean({ description: 'true: the customer’s finished call task in this job is due again' }),
    }),
  ),
  skipped: Type.Array(Type.Object({ customerPersonId: Type.Integer(), reason: Type.String() })),
});
export type ReAddResult = Static<typeof ReAddResult>;

export const CheckAllBody = InputObject({
  operation: EnumInput(LaterJobOperation, '操作类型'),
  robotCallJobIdSet: Type.Array(Id('任务id'), { minItems: 1, maxItems: MAX_BATCH_JOBS }),
  statusSet: Type.Optional(Type.Array(EnumInput(LaterJobStatus, '任务状态'), { maxItems: 12 })),
  name: Type.Optional(SafeText({ maxLength: 100, description: '任务名称 (substring)' })),
  beginCreateDate: Type.Optional(LocalDate('开始任务创建日期')),
  endCreateDate: Type.Optional(LocalDate('结束任务创建日期 (inclusive)')),
});
export type CheckAllBody = Static<typeof CheckAllBody>;

export const StatsInfo = Type.Object({
  robotCallJobId: Type.Integer(),
  completedTask: Type.Integer({ description: '已完成的任务总量' }),
  totalTask: Type.Integer({ description: '任务总数' }),
  answeredTask: Type.Integer({ description: '接通电话总量' }),
  ablevelCustomer: Type.Integer({ description: 'AB类客户数量 (A and B intent-level call records)' }),
});

export const CheckedJob = Type.Object({
  robotCallJobId: Type.Integer(),
  robotCallJobName: Type.String(),
  createTime: Type.String({ description: 'yyyy-MM-dd HH:mm:ss' }),
  createUserName: NullableString(),
  status: EnumName(LaterJobStatus, '任务状态'),
  hangUpType: NullableString({
    description:
      'LINE_BREAKDOWN when the job is SYSTEM_SUSPENDED because its caller lines are all disabled; otherwise null',
  }),
  hangUpReason: NullableString({
    description: 'why the job is SYSTEM_SUSPENDED when not for its calling hours ("no usable caller line"); else null',
  }),
  statsInfo: StatsInfo,
});

export const CheckAllResult = Type.Object({
  executable: Type.Array(CheckedJob),
  unexecutable: Type.Array(Type.Composite([CheckedJob, Type.Object({ msg: Type.String({ description: 'why not' }) })])),
});
export type CheckAllResult = Static<typeof CheckAllResult>;

/** An item of job/executeJobs: only robotCallJobId is read; checkAll's other fields may be sent back as they came. */
const ExecutableItem = InputObject(
  { robotCallJobId: Id('任务id') },
  // Extra fields are dropped unread (removeAdditional), not refused.
  { additionalProperties: false, description: 'a checkAll item; only robotCallJobId is read' },
);

export const ExecuteJobsBody = InputObject({
  operation: EnumInput(LaterJobOperation, '操作类型'),
  executable: Type.Array(ExecutableItem, { minItems: 1, maxItems: MAX_BATCH_JOBS }),
});
export type ExecuteJobsBody = Static<typeof ExecuteJobsBody>;

export const ExecutedJob = Type.Object({
  robotCallJobId: Type.Integer(),
  robotCallJobName: Type.String(),
  done: Type.Boolean({ description: 'whether the operation was applied' }),
  status: EnumName(LaterJobStatus, '任务状态 afterwards'),
  msg: Type.String({ description: '"" when done, else why not' }),
});
export const ExecuteJobsResult = Type.Array(ExecutedJob);
export type ExecuteJobsResult = Static<typeof ExecuteJobsResult>;
