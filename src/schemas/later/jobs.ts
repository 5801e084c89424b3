import { type Static, Type } from '@sinclair/typebox';
import { JobMode, LaterJobStatus, PhoneType } from '../../domain/enums.js';
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
} from '../common.js';
import { CallJobStatsInfo } from '../jobs.js';

/*
 * The later API's job queries (docs/later/jobs-queries.md): job/getJobs, getJobDetail, getJobStats,
 * getJobProperties and getJobStatsInfoList. Same stored meaning as the 2018 getTasks/getTaskDetail;
 * the later names, codes and shapes.
 */

/** The most job ids one getJobStatsInfoList reads. */
export const MAX_STATS_INFO_JOBS = 100;

export const GetJobsQuery = InputObject({
  name: Type.Optional(SafeText({ maxLength: 200, description: '任务名称 (substring)' })),
  status: Type.Optional(
    EnumInput(
      LaterJobStatus,
      '任务状态; SYSTEM_HANG_UP, WAITING_FOR_REDIAL, ACCOUNT_DISABLE and MAINTAIN match no job',
    ),
  ),
  ...PageQuery,
});
export type GetJobsQuery = Static<typeof GetJobsQuery>;

export const LaterJobListItem = Type.Object({
  robotCallJobId: Type.Integer({ description: '任务id' }),
  name: Type.String({ description: '任务名称' }),
  status: EnumName(LaterJobStatus, '任务状态'),
  completedTask: Type.Integer({ description: '完成的任务 (call tasks whose dialling is finished)' }),
  taskCallTotal: Type.Integer({ description: '任务总数 (call tasks in the job)' }),
  createTime: Type.String({ description: '创建时间, yyyy-MM-dd HH:mm' }),
  createdByUserName: NullableString({ description: '创建人' }),
  organizationName: NullableString({ description: '组织' }),
});
export type LaterJobListItem = Static<typeof LaterJobListItem>;

export const LaterJobPage = Page(LaterJobListItem);
export type LaterJobPage = Static<typeof LaterJobPage>;

/** ?robotCallJobId= of getJobDetail, getJobStats and getJobProperties. */
export const JobIdQuery = InputObject({ robotCallJobId: Id('任务Id') });
export type JobIdQuery = Static<typeof JobIdQuery>;

const StringList = Type.Array(Type.String());
const CodeList = (description: string) => Type.Array(Type.Integer(), { description });

export const InactiveTime = Type.Object({
  startTime: Type.String({ description: 'HH:mm (HH:mm:ss when stored with seconds)' }),
  endTime: Type.String({ description: 'HH:mm (HH:mm:ss when stored with seconds)' }),
});

export const LaterRobotCallJob = Type.Object({
  robotCallJobId: Type.Integer(),
  tenantId: Type.Integer(),
  dialogFlowId: Type.Integer({ description: '话术id' }),
  dialogFlowName: NullableString({ description: '话术名称' }),
  name: Type.String(),
  mode: EnumName(JobMode, '任务类型'),
  robotCount: Type.Integer({ description: '任务占用的坐席数量' }),
  smsTemplateId: NullableInteger({ description: '短信模版id' }),
  phoneType: EnumName(PhoneType, '线路类型'),
  dailyStartTime: Type.String({ description: '可拨打开始时间, HH:mm:ss' }),
  dailyEndTime: Type.String({ description: '可拨打结束时间, HH:mm:ss' }),
  inactiveTimeList: Type.Array(InactiveTime, { description: '不可拨打时间段列表' }),
  description: NullableString({ description: '任务注释' }),
  wechatAlertLevel: Type.Array(Type.String(), { description: '微信提示等级 (intent levels A–F)' }),
  wechatAlertLevelCode: CodeList('their codes (A=0 … F=5)'),
  smsAlertLevel: Type.Array(Type.String(), { description: '短信提示等级 (intent levels A–F)' }),
  smsAlertLevelCode: CodeList('their codes (A=0 … F=5)'),
  wechatConditionAlertLevel: Type.Array(Type.String(), { description: '微信条件提示等级 (intent levels A–F)' }),
  wechatConditionAlertLevelCode: CodeList('their codes (A=0 … F=5)'),
  alertUsers: Type.Array(Type.Unknown(), { description: '提示人员, as stored' }),
  earlyWarningAlertUsers: Type.Array(Type.Unknown(), { description: '预警提示人员, as stored' }),
  wechatSendMethod: Type.String(),
  status: EnumName(LaterJobStatus, '任务状态'),
  startTime: NullableString({ description: '任务开始时间, yyyy-MM-dd HH:mm:ss; null until first started' }),
  nextStartTime: NullableString({ description: '下一次任务开始时间, HH:mm:ss' }),
  createTime: Type.String({ description: '任务创建时间, yyyy-MM-dd HH:mm:ss' }),
  updateTime: Type.String({ description: '任务修改时间, yyyy-MM-dd HH:mm:ss' }),
  redialCondition: StringList,
  redialInterval: Type.Integer({ description: '重拨间隔 (minutes)' }),
  redialTimes: Type.Integer({ description: '重拨次数' }),
});

export const LaterJobPhoneNumber = Type.Object({
  tenantPhoneNumberId: Type.Integer({ description: 'the caller line’s id (phone/getPhoneList)' }),
  phoneNumber: Type.String(),
  phoneName: NullableString(),
  enabledStatus: Type.Integer({ description: '1 enabled, 0 disabled' }),
  phoneType: Type.String(),
  concurrencyQuota: NullableInteger({ description: 'concurrent calls the line carries; null when not limited' }),
});

export const LaterJobDetail = Type.Object({
  robotCallJob: LaterRobotCallJob,
  jobPhoneNumberList: Type.Array(LaterJobPhoneNumber, { description: '任务主叫线路列表' }),
  policyGroupPhoneNumberList: Type.Array(LaterJobPhoneNumber, {
    description: '外呼策略组包含的线路信息: always empty (outcall has no call-policy groups)',
  }),
  transferPhoneNumber: StringList,
  dialogFlowName: NullableString({ description: '话术名称 (also inside robotCallJob)' }),
  completedTask: Type.Integer({ description: 'call tasks whose dialling is finished' }),
  taskCallTotal: Type.Integer({ description: 'call tasks in the job' }),
});
export type LaterJobDetail = Static<typeof LaterJobDetail>;

export const IntentLevelTagDetail = Type.Object({
  code: Type.Integer({ description: 'the intent level: 0–5 = A–F' }),
  intentLevelTagDetailId: Type.Integer(),
  intentLevelTagId: Type.Integer(),
  name: Type.String({ description: 'the name the tag group gives the level' }),
});
export type IntentLevelTagDetail = Static<typeof IntentLevelTagDetail>;

const IntentLevelTagDetailList = Type.Array(IntentLevelTagDetail, {
  description: '意向分类详情列表: the intent-level names of the job’s dialog flow',
});

export const LaterJobStats = Type.Object({
  ...CallJobStatsInfo.properties,
  callJobStatsBrokenLine: Type.Object({
    ...CallJobStatsInfo.properties.callJobStatsBrokenLine.properties,
    intentLevelTagDetailList: IntentLevelTagDetailList,
  }),
  intentLevelTagDetailList: IntentLevelTagDetailList,
});
export type LaterJobStats = Static<typeof LaterJobStats>;

export const JobProperties = Type.Array(Type.String(), {
  description: 'the job’s variable names: its dialog flow’s, then its SMS template’s, each once',
});
export type JobProperties = Static<typeof JobProperties>;

export const GetJobStatsInfoListBody = InputObject(
  {
    robotCallJobId: Type.Array(Id('任务id'), {
      maxItems: MAX_STATS_INFO_JOBS,
      description: `任务id的列表: at most ${MAX_STATS_INFO_JOBS} ids, numbers or digit strings`,
    }),
  },
  { description: 'also accepted: the bare JSON list of ids, `["1017", "1014"]`' },
);
export type GetJobStatsInfoListBody = Static<typeof GetJobStatsInfoListBody>;

export const JobStatsInfo = Type.Object({
  taskTotal: Type.Integer({ description: '总任务: call tasks in the job' }),
  taskCompleted: Type.Integer({ description: '完成任务量: call tasks whose dialling is finished' }),
});

export const JobStatsInfoMap = Type.Record(Type.String({ pattern: '^[0-9]+$' }), JobStatsInfo, {
  description: 'by job id; ids that are not the caller’s jobs are left out',
});
export type JobStatsInfoMap = Static<typeof JobStatsInfoMap>;
