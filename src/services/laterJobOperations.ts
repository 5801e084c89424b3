import { isDeepStrictEqual } from 'node:util';
import type { Database } from '../db/database.js';
import {
  IntentLevel,
  JobMode,
  type JobStatus,
  LaterFollowStatus,
  type LaterJobOperation,
  LaterJobStatus,
  LaterResultStatus,
  PhoneType,
  storedFollowStatus,
  storedJobStatus,
  storedResultStatus,
} from '../domain/enums.js';
import { invalidParameter, notFound, ServiceError } from '../domain/errors.js';
import { refusal } from '../domain/jobLifecycle.js';
import {
  FIRST_YEAR,
  formatClockTime,
  formatDateTime,
  inSupportedYears,
  isCalendarDate,
  LAST_YEAR,
  nextDate,
  parseClockTime,
  parseLocalDateTime,
  startOfLocalDate,
} from '../domain/time.js';
import { findCalledCustomers } from '../repositories/calledCustomers.js';
import { findCallTasksInJob, reopenFinishedCallTasks } from '../repositories/callTasks.js';
import { findListedNumbers, lockDoNotCallList } from '../repositories/doNotCall.js';
import {
  addToCompletedTask,
  findJob,
  type InactiveWindow,
  insertJob,
  type Job,
  type JobSettings,
  listJobPhoneLines,
  listJobsByIds,
  moveJobStatus,
  replaceJobPhoneLines,
  sumJobAnswers,
  updateJobSettings,
} from '../repositories/jobs.js';
import type {
  CheckAllBody,
  CheckAllResult,
  ExecuteJobsBody,
  ExecuteJobsResult,
  ImportCustomerBody,
  LaterCreateJobBody,
  LaterImportResult,
  ModifyJobBody,
  ReAddCustomerBody,
  ReAddResult,
  RobotCallJobInput,
} from '../schemas/later/jobOperations.js';
import type { Caller } from './auth.js';
import { retryDeadlock } from './callResults.js';
import { ON_THE_LIST } from './doNotCall.js';
import { addCallTasks, changeJobStatus, checkOwned, importTaskCustomers } from './jobOperations.js';

/*
 * The later API's job operations (docs/later/jobs-operations.md), over the same stored job and the
 * same lifecycle (domain/jobLifecycle.ts) and write paths as the 2018 /task/ operations: the later
 * limits (calling hours 09:00–20:00, three inactive windows, 100 customers per import) are passed
 * in; its codes are mapped here.
 */

/** The later API's calling-hours limits: dialling from 09:00 at the earliest to 20:00 at the latest. */
export const LATER_CALLING_HOURS = { earliestStart: 9 * 3600, latestEnd: 20 * 3600, maxInactiveWindows: 3 };

type JobField = keyof RobotCallJobInput;

/** Where the job's fields came from: inside robotCallJob (named robotCallJob.x in errors) or flat. */
interface JobFields {
  fields: RobotCallJobInput;
  name: (field: string) => string;
}

const JOB_FIELD_NAMES: readonly JobField[] = [
  'name',
  'mode',
  'startTime',
  'dailyStartTime',
  'dailyEndTime',
  'inactiveTimeList',
  'dialogFlowId',
  'csStaffGroupId',
  'alertUsers',
  'earlyWarningAlertUsers',
  'robotCount',
  'phoneType',
  'smsAlertLevel',
  'smsAlertLevelCode',
  'smsTemplateId',
  'wechatAlertLevel',
  'wechatAlertLevelCode',
  'wechatConditionAlertLevelCode',
  'wechatSendMethod',
  'description',
  'redialCondition',
  'redialInterval',
  'redialTimes',
  'tenantId',
];

/** The job's fields, nested in robotCallJob (the platform's clients) or flat (the field table); not both. */
function jobFieldsOf(body: Record<string, unknown> & { robotCallJob?: RobotCallJobInput }): JobFields {
  const flat = JOB_FIELD_NAMES.filter((f) => body[f] !== undefined);
  if (body.robotCallJob === undefined) {
    const fields: Record<string, unknown> = {};
    for (const f of flat) fields[f] = body[f];
    return { fields: fields as RobotCallJobInput, name: (f) => f };
  }
  if (flat.length > 0)
    throw invalidParameter(flat[0]!, 'is sent both flat and with robotCallJob: send the job’s fields in one place');
  return { fields: body.robotCallJob, name: (f) => `robotCallJob.${f}` };
}

function clockOf(value: string, parameter: string): number {
  const second = parseClockTime(value.trim());
  if (second === undefined) throw invalidParameter(parameter, `must be a time of day HH:mm, got "${value}"`);
  return second;
}

function windowsOf(list: RobotCallJobInput['inactiveTimeList'], parameter: string): InactiveWindow[] {
  return (list ?? []).map((w, i) => {
    const start = clockOf(w.startTime, `${parameter}[${i}].startTime`);
    const end = clockOf(w.endTime, `${parameter}[${i}].endTime`);
    if (end <= start) throw invalidParameter(`${parameter}[${i}].endTime`, 'must be later than startTime');
    return { startTime: formatClockTime(start), endTime: formatClockTime(end) };
  });
}

function levelsOf(names: unknown[] | undefined, codes: unknown[] | undefined, n: (f: string) => string, field: string) {
  const out = new Set<IntentLevel>([
    ...IntentLevel.parameterList(names ?? [], n(field)),
    ...IntentLevel.parameterList(codes ?? [], n(`${field}Code`)),
  ]);
  return IntentLevel.names.filter((l) => out.has(l));
}

function startTimeOf(value: string, parameter: string, timeZone: string): number {
  const text = value.trim();
  const full = /^\d{4}-\d{2}-\d{2}$/.test(text) ? `${text} 00:00:00` : text;
  const parsed = parseLocalDateTime(full, timeZone);
  if (parsed === undefined) throw invalidParameter(parameter, `must be yyyy-MM-dd HH:mm:ss, got "${value}"`);
  if (!inSupportedYears(full)) throw invalidParameter(parameter, `must be from ${FIRST_YEAR} to ${LAST_YEAR}`);
  return parsed;
}

/** The later phoneType: a stored phone type; CALL_POLICY_GROUP (外呼策略组) is refused, outcall has none. */
function phoneTypeOf(value: string, parameter: string) {
  if (value.trim().toUpperCase() === 'CALL_POLICY_GROUP')
    throw invalidParameter(parameter, 'CALL_POLICY_GROUP is not supported: outcall has no call policy groups');
  return PhoneType.parameter(value, parameter);
}

const SEND_METHODS = ['SENDTOALL', 'SENDTOONE', 'SENDTONONE'];

/** The settings a request's job fields set, each checked; only the fields sent. */
function settingsOf(j: JobFields, caller: Caller): JobSettings {
  const { fields: f, name: n } = j;
  const s: JobSettings = {};
  if (f.name !== undefined) {
    if (f.name.trim() === '') throw invalidParameter(n('name'), 'must not be blank');
    s.name = f.name.trim();
  }
  if (f.description !== undefined) s.description = f.description;
  if (f.mode !== undefined) s.mode = JobMode.parameter(f.mode, n('mode'));
  if (f.startTime !== undefined) {
    s.start_time = startTimeOf(f.startTime, n('startTime'), caller.timeZone);
    s.next_start_time = formatDateTime(s.start_time, caller.timeZone).slice(11);
  }
  // The later calling hours (09:00–20:00) are checked on what changes (checkCallingHours).
  if (f.dailyStartTime !== undefined)
    s.daily_start_time = formatClockTime(clockOf(f.dailyStartTime, n('dailyStartTime')));
  if (f.dailyEndTime !== undefined) s.daily_end_time = formatClockTime(clockOf(f.dailyEndTime, n('dailyEndTime')));
  if (f.inactiveTimeList !== undefined) {
    if (f.inactiveTimeList.length > LATER_CALLING_HOURS.maxInactiveWindows)
      throw invalidParameter(n('inactiveTimeList'), 'holds at most three windows');
    s.inactive_time_list = windowsOf(f.inactiveTimeList, n('inactiveTimeList'));
  }
  if (f.dialogFlowId !== undefined) s.dialog_flow_id = f.dialogFlowId;
  if (f.csStaffGroupId !== undefined) s.cs_staff_group_id = f.csStaffGroupId;
  if (f.alertUsers !== undefined) s.alert_users = f.alertUsers;
  if (f.earlyWarningAlertUsers !== undefined) s.early_warning_alert_users = f.earlyWarningAlertUsers;
  if (f.robotCount !== undefined) s.robot_count = f.robotCount;
  if (f.phoneType !== undefined) s.phone_type = phoneTypeOf(f.phoneType, n('phoneType'));
  if (f.smsAlertLevel !== undefined || f.smsAlertLevelCode !== undefined)
    s.sms_alert_level = levelsOf(f.smsAlertLevel, f.smsAlertLevelCode, n, 'smsAlertLevel');
  if (f.wechatAlertLevel !== undefined || f.wechatAlertLevelCode !== undefined)
    s.wechat_alert_level = levelsOf(f.wechatAlertLevel, f.wechatAlertLevelCode, n, 'wechatAlertLevel');
  if (f.wechatConditionAlertLevelCode !== undefined)
    s.wechat_condition_alert_level = levelsOf(
      undefined,
      f.wechatConditionAlertLevelCode,
      n,
      'wechatConditionAlertLevel',
    );
  if (f.smsTemplateId !== undefined) s.sms_template_id = f.smsTemplateId;
  if (f.wechatSendMethod !== undefined) {
    const method = f.wechatSendMethod.trim().toUpperCase();
    if (!SEND_METHODS.includes(method))
      throw invalidParameter(n('wechatSendMethod'), `must be one of ${SEND_METHODS.join(', ')}`);
    s.wechat_send_method = method;
  }
  if (f.redialCondition !== undefined) {
    const results = LaterResultStatus.parameterList(f.redialCondition, n('redialCondition'));
    if (results.includes('ANSWERED'))
      throw invalidParameter(n('redialCondition'), 'must not hold ANSWERED: an answered call is never redialled');
    s.redial_condition = [...new Set(results)];
  }
  if (f.redialInterval !== undefined) s.redial_interval_minutes = f.redialInterval;
  if (f.redialTimes !== undefined) s.redial_times = f.redialTimes;
  return s;
}

/** The later API's calling hours, for the clock times a request sets. */
function checkCallingHours(s: JobSettings, n: (f: string) => string): void {
  if (s.daily_start_time !== undefined && parseClockTime(s.daily_start_time)! < LATER_CALLING_HOURS.earliestStart)
    throw invalidParameter(n('dailyStartTime'), 'must not be earlier than 09:00');
  if (s.daily_end_time !== undefined && parseClockTime(s.daily_end_time)! > LATER_CALLING_HOURS.latestEnd)
    throw invalidParameter(n('dailyEndTime'), 'must not be later than 20:00');
}

/** What a job's rules look at: its settings as stored (or as they are about to be). */
export interface JobRuleInput {
  mode: string;
  start_time: number | null;
  phone_type: string;
  robot_count: number;
  concurrency_quota: number | null;
  daily_start_time: string;
  daily_end_time: string;
}

/**
 * The rules every job holds, whoever made it: job/create checks them before a job is stored, and
 * the demo's jobs are held to them (demo/seed.test.ts). Throws the 412 naming the parameter.
 */
export function checkJobRules(
  job: JobRuleInput,
  lines: number[],
  n: (f: string) => string = (f) => f,
  linesParameter = 'jobPhoneNumberIdList',
): void {
  checkLineCount(job.phone_type, lines, linesParameter);
  if (job.phone_type === 'MOBILE' && job.robot_count > lines.length)
    throw invalidParameter(
      n('robotCount'),
      `must not exceed the ${lines.length} MOBILE lines: each places one call at a time`,
    );
  if (job.phone_type !== 'MOBILE' && job.concurrency_quota === null)
    throw invalidParameter('concurrencyQuota', `is required for phoneType ${job.phone_type}`);
  if ((parseClockTime(job.daily_start_time) ?? 0) >= (parseClockTime(job.daily_end_time) ?? 86_400))
    throw invalidParameter(n('dailyEndTime'), 'must be later than dailyStartTime');
  if (job.mode === 'AUTO' && job.start_time === null)
    throw invalidParameter(n('startTime'), 'is required for AUTO jobs');
}

/** The caller lines' count rule of a phone type: MOBILE 1–200 (one call per SIM), LANDLINE 1, UNFIXED_CALL 1–50. */
function checkLineCount(phoneType: string, lines: number[], parameter: string): void {
  const max = phoneType === 'MOBILE' ? 200 : phoneType === 'UNFIXED_CALL' ? 50 : 1;
  if (lines.length < 1 || lines.length > max)
    throw invalidParameter(
      parameter,
      max === 1
        ? `must hold exactly 1 line for phoneType ${phoneType}`
        : `must hold 1 to ${max} lines for phoneType ${phoneType}`,
    );
}

/** The references a job's settings name must be the tenant's (404 otherwise, never a 403). */
async function checkReferences(db: Database, tenantId: number, s: JobSettings, n: (f: string) => string) {
  if (s.dialog_flow_id !== undefined)
    await checkOwned(db, 'dialog_flow', tenantId, n('dialogFlowId'), [s.dialog_flow_id]);
  if (s.sms_template_id != null)
    await checkOwned(db, 'sms_template', tenantId, n('smsTemplateId'), [s.sms_template_id]);
}

/**
 * job/create. `consoleUserId`: the console user creating the job in the console, recorded as its
 * creator (the Open API's appKey is no person, so a job created there has none).
 */
export async function createLaterJob(
  db: Database,
  caller: Caller,
  body: LaterCreateJobBody,
  { now = Date.now(), consoleUserId }: { now?: number; consoleUserId?: number } = {},
): Promise<{ robotCallJobId: number }> {
  const { tenantId } = caller;
  const j = jobFieldsOf(body as Record<string, unknown> & { robotCallJob?: RobotCallJobInput });
  const { fields: f, name: n } = j;
  for (const required of ['name', 'mode', 'dailyStartTime', 'dailyEndTime', 'dialogFlowId', 'phoneType'] as const) {
    if (f[required] === undefined) throw invalidParameter(n(required), 'is required');
  }
  const s = settingsOf(j, caller);
  checkCallingHours(s, n);
  const phoneType = s.phone_type!;
  if (body.jobPhoneNumberIdList === undefined) throw invalidParameter('jobPhoneNumberIdList', 'is required');
  const lines = [...new Set(body.jobPhoneNumberIdList)];
  checkLineCount(phoneType, lines, 'jobPhoneNumberIdList');
  // A mobile SIM places one call at a time: the lines are the robots.
  const robotCount = s.robot_count ?? (phoneType === 'MOBILE' ? lines.length : undefined);
  if (robotCount === undefined) throw invalidParameter(n('robotCount'), 'is required');
  checkJobRules(
    {
      mode: s.mode!,
      start_time: s.start_time ?? null,
      phone_type: phoneType,
      robot_count: robotCount,
      concurrency_quota: body.concurrencyQuota ?? null,
      daily_start_time: s.daily_start_time!,
      daily_end_time: s.daily_end_time!,
    },
    lines,
    n,
  );
  if (s.mode === 'MANUAL' && s.start_time !== undefined)
    throw invalidParameter(n('startTime'), 'is only for AUTO jobs; a MANUAL job starts when it is started');
  // Redial is chosen by sending its fields, all three together; without them a failed call is not redialled.
  const redial = [f.redialCondition, f.redialInterval, f.redialTimes];
  if (redial.some((v) => v !== undefined)) {
    const missing = (['redialCondition', 'redialInterval', 'redialTimes'] as const).find((k) => f[k] === undefined);
    if (missing) throw invalidParameter(n(missing), 'is required with the other redial fields');
    if (s.redial_condition!.length === 0) throw invalidParameter(n('redialCondition'), 'must name at least one result');
  }
  return db.transaction(async (trx) => {
    await checkReferences(trx, tenantId, s, n);
    await checkOwned(trx, 'phone_line', tenantId, 'jobPhoneNumberIdList', lines);
    const robotCallJobId = await insertJob(
      trx,
      {
        tenant_id: tenantId,
        dialog_flow_id: s.dialog_flow_id!,
        name: s.name!,
        mode: s.mode!,
        robot_count: robotCount,
        sms_template_id: s.sms_template_id ?? null,
        phone_type: phoneType,
        daily_start_time: s.daily_start_time!,
        daily_end_time: s.daily_end_time!,
        inactive_time_list: s.inactive_time_list ?? [],
        description: s.description ?? null,
        wechat_alert_level: s.wechat_alert_level ?? [],
        sms_alert_level: s.sms_alert_level ?? [],
        wechat_condition_alert_level: s.wechat_condition_alert_level ?? [],
        alert_users: s.alert_users ?? [],
        early_warning_alert_users: s.early_warning_alert_users ?? [],
        wechat_send_method: s.wechat_send_method ?? 'SENDTOALL',
        transfer_phone_number: body.transferPhoneNumber ?? [],
        concurrency_quota: body.concurrencyQuota ?? null,
        cs_staff_group_id: s.cs_staff_group_id ?? null,
        status: 'NOT_STARTED',
        start_time: s.start_time ?? null,
        next_start_time: s.next_start_time ?? null,
        system_pause_next_start: null,
        redial_condition: s.redial_condition ?? [],
        redial_times: s.redial_times ?? 0,
        redial_interval_minutes: s.redial_interval_minutes ?? 60,
        created_by_user_id: null,
        created_by_console_user_id: consoleUserId ?? null,
        organization_id: null,
        created_at: now,
        last_modified_at: now,
      },
      lines,
    );
    return { robotCallJobId };
  });
}

/*
 * What job/modify may change in each status. A job the dialer may be working on keeps its dialog
 * flow, phone type and lines (calls in progress use them); only a job not yet started changes its
 * mode and start time (they decide its status); a finished job changes only its name and description.
 */
const ANY_STATUS = new Set<string>(['name', 'description', 'tenantId']);
const NOT_FINISHED = new Set<string>([
  'robotCount',
  'concurrencyQuota',
  'dailyStartTime',
  'dailyEndTime',
  'inactiveTimeList',
  'alertUsers',
  'earlyWarningAlertUsers',
  'smsAlertLevel',
  'smsAlertLevelCode',
  'smsTemplateId',
  'wechatAlertLevel',
  'wechatAlertLevelCode',
  'wechatConditionAlertLevelCode',
  'wechatSendMethod',
  'transferPhoneNumber',
  'redialCondition',
  'redialInterval',
  'redialTimes',
  'csStaffGroupId',
]);
const NOT_DIALLING = new Set<string>(['dialogFlowId', 'phoneType', 'jobPhoneNumberIdList']);
const NOT_STARTED_ONLY = new Set<string>(['mode', 'startTime']);

/** Undefined when `field` may change in `status`, else why not. */
export function modifyRefusal(field: string, status: JobStatus): string | undefined {
  if (ANY_STATUS.has(field)) return undefined;
  const finished = status === 'COMPLETED' || status === 'TERMINATE';
  if (NOT_FINISHED.has(field))
    return finished ? `cannot change in status ${status}: only name and description can` : undefined;
  if (NOT_DIALLING.has(field))
    return ['NOT_STARTED', 'RUNNABLE', 'USER_PAUSE'].includes(status)
      ? undefined
      : `cannot change in status ${status}: pause the job first (NOT_STARTED, RUNNABLE or USER_PAUSE)`;
  if (NOT_STARTED_ONLY.has(field))
    return status === 'NOT_STARTED'
      ? undefined
      : `cannot change in status ${status}: only before the job has customers (NOT_STARTED)`;
  return `cannot be changed`;
}

/** The stored settings each job/modify field sets (tenantId sets none: it is ignored). */
const FIELD_SETTINGS: Record<string, readonly (keyof JobSettings)[]> = {
  name: ['name'],
  description: ['description'],
  mode: ['mode'],
  startTime: ['start_time'],
  dailyStartTime: ['daily_start_time'],
  dailyEndTime: ['daily_end_time'],
  inactiveTimeList: ['inactive_time_list'],
  dialogFlowId: ['dialog_flow_id'],
  csStaffGroupId: ['cs_staff_group_id'],
  alertUsers: ['alert_users'],
  earlyWarningAlertUsers: ['early_warning_alert_users'],
  robotCount: ['robot_count'],
  phoneType: ['phone_type'],
  smsAlertLevel: ['sms_alert_level'],
  smsAlertLevelCode: ['sms_alert_level'],
  smsTemplateId: ['sms_template_id'],
  wechatAlertLevel: ['wechat_alert_level'],
  wechatAlertLevelCode: ['wechat_alert_level'],
  wechatConditionAlertLevelCode: ['wechat_condition_alert_level'],
  wechatSendMethod: ['wechat_send_method'],
  redialCondition: ['redial_condition'],
  redialInterval: ['redial_interval_minutes'],
  redialTimes: ['redial_times'],
  concurrencyQuota: ['concurrency_quota'],
  transferPhoneNumber: ['transfer_phone_number'],
  tenantId: [],
};

/** A stored value and a sent one are the same setting (numbers may come back from the driver as text). */
function sameSetting(stored: unknown, sent: unknown): boolean {
  if (typeof sent === 'number' && stored !== null && stored !== undefined) return Number(stored) === sent;
  return isDeepStrictEqual(stored ?? null, sent ?? null);
}

/**
 * The fields of `sent` that change the job: a field sent with the value the job already has is no
 * change (clients send back the object they read), so it is neither refused nor written.
 */
function changedFields(
  job: Job,
  storedLines: number[] | undefined,
  s: JobSettings,
  lines: number[] | undefined,
  sent: [field: string, parameter: string][],
): { changes: JobSettings; changed: [string, string][]; lines: number[] | undefined } {
  const changes: JobSettings = { ...s };
  const changed: [string, string][] = [];
  for (const [field, parameter] of sent) {
    if (field === 'jobPhoneNumberIdList') {
      if (
        !isDeepStrictEqual(
          [...lines!].sort((a, b) => a - b),
          storedLines,
        )
      )
        changed.push([field, parameter]);
      continue;
    }
    const keys = FIELD_SETTINGS[field] ?? [];
    const record = job as unknown as Record<string, unknown>;
    const settings = s as Record<string, unknown>;
    // A start time is answered to the second: the one read back is the stored one.
    const same = (k: keyof JobSettings) =>
      k === 'start_time' && typeof settings[k] === 'number' && record[k] !== null
        ? Math.floor(Number(record[k]) / 1000) === Math.floor((settings[k] as number) / 1000)
        : sameSetting(record[k], settings[k]);
    if (keys.length > 0 && keys.every(same)) {
      for (const k of keys) delete changes[k];
      if (field === 'startTime') delete changes.next_start_time;
    } else changed.push([field, parameter]);
  }
  const linesChanged = changed.some(([f]) => f === 'jobPhoneNumberIdList');
  return { changes, changed, lines: linesChanged ? lines : undefined };
}

/** How often a modify is tried again when the dialer or another request moved the job in between. */
const MODIFY_ATTEMPTS = 5;

/** job/modify: a partial update; the fields sent change (if the job's status allows), the rest stay. */
export async function modifyLaterJob(
  db: Database,
  caller: Caller,
  body: ModifyJobBody,
  now = Date.now(),
): Promise<{ robotCallJobId: number }> {
  const { robotCallJob, robotCallJobId: topId, ...rest } = body;
  const nestedId = robotCallJob?.robotCallJobId;
  const jobId = nestedId ?? topId;
  if (jobId === undefined) throw invalidParameter('robotCallJob.robotCallJobId', 'is required');
  if (nestedId !== undefined && topId !== undefined && nestedId !== topId)
    throw invalidParameter('robotCallJobId', 'differs from robotCallJob.robotCallJobId');
  const nested = robotCallJob === undefined ? undefined : (({ robotCallJobId: _, ...f }) => f)(robotCallJob);
  const j = jobFieldsOf({ ...rest, robotCallJob: nested } as Record<string, unknown> & {
    robotCallJob?: RobotCallJobInput;
  });
  const n = j.name;
  const s = settingsOf(j, caller);
  const sent: [field: string, parameter: string][] = [
    ...JOB_FIELD_NAMES.filter((f) => j.fields[f] !== undefined).map((f) => [f, n(f)] as [string, string]),
    ...(['concurrencyQuota', 'jobPhoneNumberIdList', 'transferPhoneNumber'] as const)
      .filter((f) => body[f] !== undefined)
      .map((f) => [f, f] as [string, string]),
  ];
  if (body.concurrencyQuota !== undefined) s.concurrency_quota = body.concurrencyQuota;
  if (body.transferPhoneNumber !== undefined) s.transfer_phone_number = body.transferPhoneNumber;
  const lines = body.jobPhoneNumberIdList === undefined ? undefined : [...new Set(body.jobPhoneNumberIdList)];

  for (let attempt = 0; attempt < MODIFY_ATTEMPTS; attempt++) {
    const changed = await retryDeadlock(() =>
      db.transaction(async (trx) => {
        const job = await findJob(trx, caller.tenantId, jobId);
        if (!job) throw notFound('robotCallJobId', jobId);
        const storedLines =
          lines === undefined
            ? undefined
            : (await listJobPhoneLines(trx, caller.tenantId, jobId)).map((l) => Number(l.id)).sort((a, b) => a - b);
        // A PATCH is judged by what it changes: the fields it leaves as they are are not checked again.
        const { changes, changed, lines: newLines } = changedFields(job, storedLines, s, lines, sent);
        for (const [field, parameter] of changed) {
          const why = modifyRefusal(field, job.status);
          if (why) throw invalidParameter(parameter, why);
        }
        checkCallingHours(changes, n);
        checkMerged(job, changes, newLines, n);
        await checkReferences(trx, caller.tenantId, changes, n);
        if (newLines) await checkOwned(trx, 'phone_line', caller.tenantId, 'jobPhoneNumberIdList', newLines);
        // Compare-and-set on the status read: a job the dialer moved since is read and checked again.
        if (!(await updateJobSettings(trx, caller.tenantId, jobId, job.status, changes, now))) return false;
        if (newLines) await replaceJobPhoneLines(trx, caller.tenantId, jobId, newLines);
        return true;
      }),
    );
    if (changed) return { robotCallJobId: jobId };
  }
  throw invalidParameter(
    'robotCallJobId',
    `changed status while this request ran (${MODIFY_ATTEMPTS} times); it may be retried`,
  );
}

/** The job as it would be after the change must still hold together. */
function checkMerged(job: Job, s: JobSettings, lines: number[] | undefined, n: (f: string) => string): void {
  const start = s.daily_start_time ?? job.daily_start_time;
  const end = s.daily_end_time ?? job.daily_end_time;
  if (
    (s.daily_start_time !== undefined || s.daily_end_time !== undefined) &&
    (parseClockTime(start) ?? 0) >= (parseClockTime(end) ?? 86_400)
  )
    throw invalidParameter(
      n(s.daily_end_time ? 'dailyEndTime' : 'dailyStartTime'),
      'must leave dailyStartTime before dailyEndTime',
    );
  const phoneType = s.phone_type ?? job.phone_type;
  if (lines) checkLineCount(phoneType, lines, 'jobPhoneNumberIdList');
  const mode = s.mode ?? job.mode;
  const startTime = s.start_time !== undefined ? s.start_time : job.start_time;
  // Only when the request touches mode or start time: a job is not refused over what a PATCH leaves alone.
  if ((s.mode !== undefined || s.start_time !== undefined) && mode === 'AUTO' && startTime === null)
    throw invalidParameter(n('startTime'), 'is required for AUTO jobs');
  if (mode === 'MANUAL' && s.start_time !== undefined)
    throw invalidParameter(n('startTime'), 'is only for AUTO jobs; a MANUAL job starts when it is started');
  if (mode === 'MANUAL' && s.mode === 'MANUAL') {
    s.start_time = null;
    s.next_start_time = null;
  }
}

/** job/updateAiCount: the job's robots (calls dialled at once), read by the dialer on its next tick. */
export async function updateAiCount(
  db: Database,
  caller: Caller,
  robotCallJobId: number,
  robotCount: number,
  now = Date.now(),
): Promise<{ robotCallJobId: number }> {
  return modifyLaterJob(db, caller, { robotCallJobId, robotCount }, now);
}

/** job/start, pause, stop: the later API has no resume; start on a USER_PAUSE job resumes it. */
export async function laterJobAction(
  db: Database,
  caller: Caller,
  action: 'start' | 'pause' | 'stop',
  robotCallJobId: number,
  now = Date.now(),
): Promise<{ robotCallJobId: number; status: LaterJobStatus }> {
  let move: 'start' | 'pause' | 'stop' | 'resume' = action;
  if (action === 'start') {
    const job = await findJob(db, caller.tenantId, robotCallJobId);
    if (!job) throw notFound('robotCallJobId', robotCallJobId);
    if (job.status === 'USER_PAUSE') move = 'resume';
  }
  return changeJobStatus(db, caller, move, robotCallJobId, now);
}

/** job/importCustomer: the 2018 import with the later limit (100 per call) and status enum. */
export async function importLaterCustomers(
  db: Database,
  caller: Caller,
  body: ImportCustomerBody,
  now = Date.now(),
): Promise<LaterImportResult> {
  return importTaskCustomers(
    db,
    caller,
    { robotCallJobId: body.robotCallJobId, customers: body.customerPersons },
    now,
    { maxCustomers: 100, parameter: 'customerPersons' },
  );
}

/** Epoch-ms bounds [from, before) of tenant-local days `first`..`last` (inclusive). */
function dayBounds(
  first: string | undefined,
  last: string | undefined,
  names: [string, string],
  timeZone: string,
): { from?: number; before?: number } {
  for (const [value, name] of [
    [first, names[0]],
    [last, names[1]],
  ] as const) {
    if (value !== undefined && (!isCalendarDate(value) || !inSupportedYears(value)))
      throw invalidParameter(name, `must be a date yyyy-MM-dd from ${FIRST_YEAR} to ${LAST_YEAR}, got "${value}"`);
  }
  if (first !== undefined && last !== undefined && last < first)
    throw invalidParameter(names[1], `must not be earlier than ${names[0]}`);
  return {
    from: first === undefined ? undefined : startOfLocalDate(first, timeZone),
    before: last === undefined ? undefined : startOfLocalDate(nextDate(last), timeZone),
  };
}

/**
 * job/reAddCustomerToJob: the named customers with a real call record of the tenant's (any job)
 * matching the filters are dialled again in this job: a new call task, or their finished one in
 * this job due again. Customers waiting in the job already, and numbers on the do-not-call list,
 * are skipped with the reason.
 */
export async function reAddCustomersToJob(
  db: Database,
  caller: Caller,
  body: ReAddCustomerBody,
  now = Date.now(),
): Promise<ReAddResult> {
  const { tenantId, timeZone } = caller;
  const ids = [...new Set(body.customerPersonIds)];
  const results =
    body.resultStatuses && body.resultStatuses.length > 0
      ? LaterResultStatus.parameterList(body.resultStatuses, 'resultStatuses')
      : undefined;
  const levels =
    body.intentLevels && body.intentLevels.length > 0
      ? IntentLevel.parameterList(body.intentLevels, 'intentLevels')
      : undefined;
  const follow =
    body.followStatus === undefined ? undefined : LaterFollowStatus.parameter(body.followStatus, 'followStatus');
  const bounds = dayBounds(
    body.earliestCreationTime,
    body.latestCreationTime,
    ['earliestCreationTime', 'latestCreationTime'],
    timeZone,
  );
  const storedResults = results?.map(storedResultStatus).filter((r) => r !== undefined);
  const storedFollow = follow === undefined ? undefined : storedFollowStatus(follow);
  // A filter on values outcall never stores (CALL_LOSS, CLUE…) matches no record.
  const matchesNothing = storedResults?.length === 0 || (follow !== undefined && storedFollow === undefined);

  return retryDeadlock(() =>
    db.transaction(async (trx) => {
      await lockDoNotCallList(trx, tenantId, 'shared');
      const job = await findJob(trx, tenantId, body.robotCallJobId);
      if (!job) throw notFound('robotCallJobId', body.robotCallJobId);
      const why = refusal('import', job.status);
      if (why) throw invalidParameter('robotCallJobId', why);
      const called = matchesNothing
        ? []
        : await findCalledCustomers(trx, tenantId, ids, {
            lastCallRecord: body.lastCallRecord,
            searchWords: body.searchWords,
            customerGroupId: body.customerGroupId,
            resultStatuses: storedResults,
            intentLevels: levels,
            followStatus: storedFollow,
            dialogFlowId: body.dialogFlowId,
            startFrom: bounds.from,
            startBefore: bounds.before,
          });
      const skipped: ReAddResult['skipped'] = [];
      const calledIds = new Set(called.map((c) => c.id));
      for (const id of ids)
        if (!calledIds.has(id)) skipped.push({ customerPersonId: id, reason: 'no call record matching the filters' });

      const listed = await findListedNumbers(
        trx,
        tenantId,
        called.map((c) => c.phone_number),
      );
      const tasks = await findCallTasksInJob(
        trx,
        tenantId,
        job.id,
        called.map((c) => c.id),
        called.map((c) => c.phone_number),
      );
      const toInsert: { customerPersonId: number; phoneNumber: string }[] = [];
      const toReopen: { taskId: number; customerPersonId: number; phoneNumber: string }[] = [];
      const taken = new Set<string>();
      for (const c of called) {
        if (listed.has(c.phone_number)) {
          skipped.push({ customerPersonId: c.id, reason: ON_THE_LIST });
          continue;
        }
        // The job's task of this number (one per number), else of this customer under an old number.
        const task =
          tasks.find((t) => t.called_phone_number === c.phone_number) ??
          tasks.find((t) => t.customer_person_id === c.id);
        if (taken.has(c.phone_number) || (task && task.status !== 'FINISHED')) {
          skipped.push({ customerPersonId: c.id, reason: 'already waiting to be dialled in this job' });
          continue;
        }
        taken.add(c.phone_number);
        if (task && task.called_phone_number === c.phone_number && task.customer_person_id === c.id)
          toReopen.push({ taskId: task.id, customerPersonId: c.id, phoneNumber: c.phone_number });
        else if (task && task.called_phone_number === c.phone_number)
          skipped.push({ customerPersonId: c.id, reason: 'its number is another customer’s in this job' });
        else toInsert.push({ customerPersonId: c.id, phoneNumber: c.phone_number });
      }
      const inserted = await addCallTasks(trx, tenantId, job.id, toInsert, now);
      const reopened = await reopenFinishedCallTasks(
        trx,
        tenantId,
        job.id,
        toReopen.map((r) => r.taskId),
      );
      // A reopened task is no longer finished: the job's counter of finished tasks gives it back.
      if (reopened.length > 0) await addToCompletedTask(trx, tenantId, job.id, -reopened.length);
      const reopenedIds = new Set(reopened.map((r) => r.id));

      let status = job.status;
      if (status === 'NOT_STARTED' && inserted.length + reopened.length > 0) {
        status = job.mode === 'AUTO' ? 'IN_QUEUE' : 'RUNNABLE';
        await moveJobStatus(trx, tenantId, job.id, 'NOT_STARTED', status, now);
      }
      const added: ReAddResult['added'] = [
        ...inserted.map((t) => ({
          customerPersonId: t.customer_person_id,
          phoneNumber: t.called_phone_number,
          robotCallTaskId: t.id,
          reopened: false,
        })),
        ...toReopen
          .filter((r) => reopenedIds.has(r.taskId))
          .map((r) => ({
            customerPersonId: r.customerPersonId,
            phoneNumber: r.phoneNumber,
            robotCallTaskId: r.taskId,
            reopened: true,
          })),
      ].sort((a, b) => a.customerPersonId - b.customerPersonId);
      return {
        robotCallJobId: job.id,
        status,
        taskCallTotal: job.task_call_total + inserted.length,
        addedCount: added.length,
        added,
        skipped: skipped.sort((a, b) => a.customerPersonId - b.customerPersonId),
      };
    }),
  );
}

/** The lifecycle move a later batch operation is on a job in `status` (START resumes a paused job). */
function moveOf(operation: LaterJobOperation, status: JobStatus): 'start' | 'resume' | 'pause' | 'stop' {
  if (operation === 'PAUSE') return 'pause';
  if (operation === 'STOP') return 'stop';
  return status === 'USER_PAUSE' ? 'resume' : 'start';
}

/** Why `operation` cannot be done to a job, or undefined. */
function batchRefusal(operation: LaterJobOperation, job: { status: JobStatus; task_call_total: number }) {
  const move = moveOf(operation, job.status);
  const why = refusal(move, job.status);
  if (why) return why;
  if (move === 'start' && job.task_call_total === 0) return 'has no customers to call: import customers first';
  return undefined;
}

/** job/checkAll: which of the jobs selected the operation can be applied to, and why not for the others. */
export async function checkAll(db: Database, caller: Caller, body: CheckAllBody): Promise<CheckAllResult> {
  const { tenantId, timeZone } = caller;
  const operation = parseOperation(body.operation);
  const statuses = body.statusSet?.length
    ? LaterJobStatus.parameterList(body.statusSet, 'statusSet')
        .map(storedJobStatus)
        .filter((s) => s !== undefined)
    : undefined;
  const bounds = dayBounds(body.beginCreateDate, body.endCreateDate, ['beginCreateDate', 'endCreateDate'], timeZone);
  const jobs = await listJobsByIds(db, tenantId, {
    ids: [...new Set(body.robotCallJobIdSet)],
    statuses,
    name: body.name?.trim() || undefined,
    createdFrom: bounds.from,
    createdBefore: bounds.before,
  });
  const sums = new Map(
    (
      await sumJobAnswers(
        db,
        tenantId,
        jobs.map((j) => j.id),
      )
    ).map((r) => [r.job_id, r]),
  );
  const result: CheckAllResult = { executable: [], unexecutable: [] };
  for (const job of jobs) {
    const item = {
      robotCallJobId: job.id,
      robotCallJobName: job.name,
      createTime: formatDateTime(job.created_at, timeZone),
      createUserName: job.created_by_user_name,
      status: job.status,
      // A job the scheduler suspended because its lines are all disabled: the platform's 线路故障.
      ...(job.status === 'SYSTEM_SUSPENDED' && job.system_pause_reason !== null
        ? { hangUpType: 'LINE_BREAKDOWN', hangUpReason: job.system_pause_reason }
        : { hangUpType: null, hangUpReason: null }),
      statsInfo: {
        robotCallJobId: job.id,
        completedTask: job.completed_task,
        totalTask: job.task_call_total,
        answeredTask: sums.get(job.id)?.answered ?? 0,
        ablevelCustomer: sums.get(job.id)?.ab_level ?? 0,
      },
    };
    const why = batchRefusal(operation, job);
    if (why) result.unexecutable.push({ ...item, msg: why });
    else result.executable.push(item);
  }
  return result;
}

function parseOperation(value: string): LaterJobOperation {
  const name = value.trim().toUpperCase();
  if (name === 'START' || name === 'PAUSE' || name === 'STOP') return name;
  if (name === '0') return 'START';
  if (name === '1') return 'PAUSE';
  if (name === '2') return 'STOP';
  throw invalidParameter('operation', `"${value}" must be one of START, PAUSE, STOP`);
}

/**
 * job/executeJobs: applies the operation to each job listed, checking each again (its status may
 * have moved on since checkAll). Every job must be the tenant's (404 otherwise, before any is
 * changed); the answer has one result per job, in the order sent.
 */
export async function executeJobs(
  db: Database,
  caller: Caller,
  body: ExecuteJobsBody,
  now = Date.now(),
): Promise<ExecuteJobsResult> {
  const operation = parseOperation(body.operation);
  const ids = [...new Set(body.executable.map((e) => e.robotCallJobId))];
  const known = new Map((await listJobsByIds(db, caller.tenantId, { ids })).map((j) => [j.id, j]));
  const missing = ids.find((id) => !known.has(id));
  if (missing !== undefined) throw notFound('robotCallJobId', missing);
  const out: ExecuteJobsResult = [];
  for (const id of ids) {
    const name = known.get(id)!.name;
    const job = await findJob(db, caller.tenantId, id);
    if (!job) {
      out.push({
        robotCallJobId: id,
        robotCallJobName: name,
        done: false,
        status: known.get(id)!.status,
        msg: 'the job was deleted',
      });
      continue;
    }
    const why = batchRefusal(operation, job);
    if (why) {
      out.push({ robotCallJobId: id, robotCallJobName: name, done: false, status: job.status, msg: why });
      continue;
    }
    try {
      const moved = await changeJobStatus(db, caller, moveOf(operation, job.status), id, now);
      out.push({ robotCallJobId: id, robotCallJobName: name, done: true, status: moved.status, msg: '' });
    } catch (error) {
      // Moved on between the check and the change: reported for this job, the others go on.
      if (!(error instanceof ServiceError)) throw error;
      out.push({ robotCallJobId: id, robotCallJobName: name, done: false, status: job.status, msg: error.reason });
    }
  }
  return out;
}
