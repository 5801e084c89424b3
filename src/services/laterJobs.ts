import type { Database } from '../db/database.js';
import { robotTexts, variablesIn } from '../domain/dialogFlow.js';
import { IntentLevel, LaterJobStatus, storedJobStatus } from '../domain/enums.js';
import { notFound } from '../domain/errors.js';
import { formatDateTime } from '../domain/time.js';
import {
  listJobDaySeries,
  listJobIntentLevelTagDetails,
  listTopConcerns,
  sumJobDayStats,
} from '../repositories/jobStats.js';
import { findJobDetail, findJobTexts, listJobCounters, listJobPhoneLines } from '../repositories/jobs.js';
import type {
  GetJobsQuery,
  JobStatsInfoMap,
  LaterJobDetail,
  LaterJobPage,
  LaterJobStats,
} from '../schemas/later/jobs.js';
import type { Caller } from './auth.js';
import { buildCallJobStatsInfo, DAY_COUNTERS } from './jobStats.js';
import { listJobPage } from './jobs.js';
import { pageOf, pageRequest } from './paging.js';

/*
 * The later API's job queries (docs/later/jobs-queries.md) over the 2018 services and rollups: the
 * same jobs, counters and statistics, in the later names, codes and shapes.
 */

/** job/getJobs: the caller's jobs, newest first, as getTasks lists them. */
export async function getJobs(db: Database, caller: Caller, query: GetJobsQuery): Promise<LaterJobPage> {
  const later = query.status === undefined ? undefined : LaterJobStatus.parameter(query.status, 'status');
  const status = later === undefined ? undefined : storedJobStatus(later);
  // A status outcall's dialer never enters (SYSTEM_HANG_UP, …) is valid and matches no job.
  if (later !== undefined && status === undefined) return pageOf(pageRequest(query.pageNum, query.pageSize), 0, []);
  const page = await listJobPage(db, caller, { name: query.name || undefined, status }, query.pageNum, query.pageSize);
  return {
    ...page,
    content: page.content.map(({ creationTime, ...job }) => ({ ...job, createTime: creationTime })),
  };
}

/** Intent-level names as stored (or their codes), as names and codes; anything else is left out. */
function levels(stored: readonly unknown[]): { names: IntentLevel[]; codes: number[] } {
  const names = stored.map((l) => IntentLevel.parse(l)).filter((l): l is IntentLevel => l !== undefined);
  return { names, codes: names.map((l) => IntentLevel.code(l)) };
}

/** A clock time as the later API writes it: HH:mm, keeping seconds only when there are some. */
const clock = (time: string) => (/^\d\d:\d\d:00$/.test(time) ? time.slice(0, 5) : time);

/** job/getJobDetail: one job with its caller lines and counters. */
export async function getJobDetail(db: Database, caller: Caller, robotCallJobId: number): Promise<LaterJobDetail> {
  const { tenantId, timeZone } = caller;
  const [job, lines] = await Promise.all([
    findJobDetail(db, tenantId, robotCallJobId),
    listJobPhoneLines(db, tenantId, robotCallJobId),
  ]);
  if (!job) throw notFound('robotCallJobId', robotCallJobId);
  const wechat = levels(job.wechat_alert_level);
  const sms = levels(job.sms_alert_level);
  const condition = levels(job.wechat_condition_alert_level);
  return {
    robotCallJob: {
      robotCallJobId: job.id,
      tenantId: job.tenant_id,
      dialogFlowId: job.dialog_flow_id,
      dialogFlowName: job.dialog_flow_name,
      name: job.name,
      mode: job.mode,
      robotCount: job.robot_count,
      smsTemplateId: job.sms_template_id,
      phoneType: job.phone_type,
      dailyStartTime: job.daily_start_time,
      dailyEndTime: job.daily_end_time,
      inactiveTimeList: job.inactive_time_list.map((w) => ({
        startTime: clock(String(w.startTime)),
        endTime: clock(String(w.endTime)),
      })),
      description: job.description,
      wechatAlertLevel: wechat.names,
      wechatAlertLevelCode: wechat.codes,
      smsAlertLevel: sms.names,
      smsAlertLevelCode: sms.codes,
      wechatConditionAlertLevel: condition.names,
      wechatConditionAlertLevelCode: condition.codes,
      alertUsers: job.alert_users,
      earlyWarningAlertUsers: job.early_warning_alert_users,
      wechatSendMethod: job.wechat_send_method,
      status: job.status,
      startTime: job.start_time === null ? null : formatDateTime(job.start_time, timeZone),
      nextStartTime: job.next_start_time,
      createTime: formatDateTime(job.created_at, timeZone),
      updateTime: formatDateTime(job.last_modified_at, timeZone),
      redialCondition: job.redial_condition.map(String),
      redialInterval: job.redial_interval_minutes,
      redialTimes: job.redial_times,
    },
    jobPhoneNumberList: lines.map((l) => ({
      tenantPhoneNumberId: l.id,
      phoneNumber: l.phone_number,
      phoneName: l.name,
      enabledStatus: l.enabled_status,
      phoneType: l.phone_type,
      concurrencyQuota: l.concurrency_quota,
    })),
    policyGroupPhoneNumberList: [],
    transferPhoneNumber: job.transfer_phone_number.map(String),
    dialogFlowName: job.dialog_flow_name,
    completedTask: job.completed_task,
    taskCallTotal: job.task_call_total,
  };
}

/** job/getJobStats: getTaskDetail's statistics (docs/statistics.md), with the job's intent-level names. */
export async function getJobStats(db: Database, caller: Caller, robotCallJobId: number): Promise<LaterJobStats> {
  const { tenantId } = caller;
  const [counters, total, days, concerns, details] = await Promise.all([
    listJobCounters(db, tenantId, [robotCallJobId]),
    sumJobDayStats(db, tenantId, robotCallJobId, DAY_COUNTERS),
    listJobDaySeries(db, tenantId, robotCallJobId),
    listTopConcerns(db, tenantId, robotCallJobId, 10),
    listJobIntentLevelTagDetails(db, tenantId, robotCallJobId),
  ]);
  const job = counters[0];
  if (!job) throw notFound('robotCallJobId', robotCallJobId);
  const stats = buildCallJobStatsInfo(
    { taskCallTotal: job.task_call_total, completedTask: job.completed_task },
    total,
    days,
    concerns,
  );
  const intentLevelTagDetailList = details.map((d) => ({
    code: d.code,
    intentLevelTagDetailId: d.id,
    intentLevelTagId: d.intent_level_tag_id,
    name: d.name,
  }));
  return {
    ...stats,
    callJobStatsBrokenLine: { ...stats.callJobStatsBrokenLine, intentLevelTagDetailList },
    intentLevelTagDetailList,
  };
}

/** job/getJobProperties: the variables of the job's dialog flow, then of its SMS template, each once. */
export async function getJobProperties(db: Database, caller: Caller, robotCallJobId: number): Promise<string[]> {
  const texts = await findJobTexts(db, caller.tenantId, robotCallJobId);
  if (!texts) throw notFound('robotCallJobId', robotCallJobId);
  const all = [...robotTexts(texts.definition), ...(texts.smsContent === null ? [] : [texts.smsContent])];
  return [...new Set(all.flatMap(variablesIn))];
}

/** job/getJobStatsInfoList: call-task counters of the caller's jobs among `jobIds`; other ids are left out. */
export async function getJobStatsInfoList(
  db: Database,
  caller: Caller,
  jobIds: readonly number[],
): Promise<JobStatsInfoMap> {
  const rows = await listJobCounters(db, caller.tenantId, [...new Set(jobIds)]);
  return Object.fromEntries(
    rows.map((j) => [String(j.id), { taskTotal: j.task_call_total, taskCompleted: j.completed_task }]),
  );
}
