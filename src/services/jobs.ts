import type { Database } from '../db/database.js';
import { JobStatus } from '../domain/enums.js';
import { notFound } from '../domain/errors.js';
import { formatClockTime, formatDateTime, formatMinute, parseClockTime } from '../domain/time.js';
import { findJobDetailWithStats, findJobPage, type JobListFilter } from '../repositories/jobs.js';
import type { PageOf } from '../schemas/common.js';
import type { GetTasksQuery, JobDetail, JobListItem } from '../schemas/jobs.js';
import type { Caller } from './auth.js';
import { buildCallJobStatsInfo, DAY_COUNTERS } from './jobStats.js';
import { pageOf, pageRequest } from './paging.js';

/** getTasks: the caller's jobs, newest first. */
export async function getTasks(db: Database, caller: Caller, query: GetTasksQuery): Promise<PageOf<JobListItem>> {
  const status = query.status === undefined ? undefined : JobStatus.parameter(query.status, 'status');
  return listJobPage(db, caller, { name: query.name || undefined, status }, query.pageNum, query.pageSize);
}

/** One page of the caller's jobs, newest first (getTasks, and the later API's job/getJobs). */
export async function listJobPage(
  db: Database,
  caller: Caller,
  filter: JobListFilter,
  pageNum: number | undefined,
  pageSize: number | undefined,
): Promise<PageOf<JobListItem>> {
  const page = pageRequest(pageNum, pageSize);
  const { total, rows } = await findJobPage(db, caller.tenantId, filter, page.pageSize, page.offset);
  return pageOf(
    page,
    total,
    rows.map((j) => ({
      robotCallJobId: j.id,
      name: j.name,
      status: j.status,
      completedTask: j.completed_task,
      taskCallTotal: j.task_call_total,
      creationTime: formatMinute(j.created_at, caller.timeZone),
      createdByUserName: j.created_by_user_name,
      organizationName: j.organization_name,
    })),
  );
}

/** getTaskDetail: one job with its live statistics. */
export async function getTaskDetail(db: Database, caller: Caller, robotCallJobId: number): Promise<JobDetail> {
  const { tenantId, timeZone } = caller;
  const detail = await findJobDetailWithStats(db, tenantId, robotCallJobId, DAY_COUNTERS, 10);
  if (!detail) throw notFound('robotCallJobId', robotCallJobId);
  const { job, lines, sums, days, concerns } = detail;
  const counters = { taskCallTotal: job.task_call_total, completedTask: job.completed_task };
  return {
    robotCallJob: {
      robotCallJobId: job.id,
      tenantId: job.tenant_id,
      dialogFlowId: job.dialog_flow_id,
      name: job.name,
      mode: job.mode,
      robotCount: job.robot_count,
      smsTemplateId: job.sms_template_id,
      phoneType: job.phone_type,
      dailyStartTime: job.daily_start_time,
      dailyEndTime: job.daily_end_time,
      // The 2018 interface has one inactive window: the first of the list (none reads 00:00:00–00:00:00).
      inactiveStartTime: firstWindowClock(job.inactive_time_list, 'startTime'),
      inactiveEndTime: firstWindowClock(job.inactive_time_list, 'endTime'),
      description: job.description,
      wechatAlertLevel: job.wechat_alert_level,
      smsAlertLevel: job.sms_alert_level,
      alertUsers: job.alert_users,
      wechatSendMethod: job.wechat_send_method,
      status: job.status,
      startTime: job.start_time === null ? null : formatDateTime(job.start_time, timeZone),
      nextStartTime: job.next_start_time,
      creationTime: formatDateTime(job.created_at, timeZone),
      lastModifiedTime: formatDateTime(job.last_modified_at, timeZone),
      earlyWarningAlertUsers: job.early_warning_alert_users,
    },
    jobPhoneNumberList:
      lines.length === 0
        ? null
        : lines.map((l) => ({
            phoneNumberId: l.id,
            phoneNumber: l.phone_number,
            phoneType: l.phone_type,
            phoneName: l.name,
          })),
    completedTask: job.completed_task,
    taskCallTotal: job.task_call_total,
    createdByUserName: job.created_by_user_name,
    organizationName: job.organization_name,
    dialogFlowName: job.dialog_flow_name,
    smsTemplateName: job.sms_template_name,
    systemPauseNextStart:
      job.system_pause_next_start === null ? null : formatDateTime(job.system_pause_next_start, timeZone),
    callJobStatsInfo: buildCallJobStatsInfo(counters, sums, days, concerns),
  };
}

/** A clock time of the job's first inactive window as the 2018 interface answers it: HH:mm:ss. */
function firstWindowClock(windows: readonly { startTime: string; endTime: string }[], end: 'startTime' | 'endTime') {
  const first = windows[0];
  const second = first === undefined ? undefined : parseClockTime(String(first[end]));
  return second === undefined ? '00:00:00' : formatClockTime(second);
}
