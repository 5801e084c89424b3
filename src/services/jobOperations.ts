import type { Kysely } from 'kysely';
import type { DB } from '../db/schema.js';
import { IntentLevel, JobMode, JobStatus, PhoneType, type PlatformEnum } from '../domain/enums.js';
import { refusal, STATUS_AFTER, type JobAction } from '../domain/jobLifecycle.js';
import { normalizePhoneNumber } from '../domain/phone.js';
import { formatClockTime, formatDateTime, parseClockTime, parseLocalDateTime } from '../domain/time.js';
import { insertCallTasks, numbersInJob } from '../repositories/callTasks.js';
import { customersByPhone, insertCustomer } from '../repositories/customers.js';
import { deleteJobCascade, listDialogFlows, listPhoneLines, moveJobStatus, ownedIds } from '../repositories/jobLifecycle.js';
import { findJob, insertJob } from '../repositories/jobs.js';
import type { CreateJobBody, ImportResult, ImportTaskCustomerBody, JobStatusResult } from '../schemas/jobOperations.js';
import type { Caller } from './auth.js';
import { invalidParameter, notFound, ServiceError } from './errors.js';

/** Job operations under /apiOpen/v1/task/: create, start, pause, resume, stop, delete, importTaskCustomer. */

function parseEnum<N extends string>(e: PlatformEnum<N>, parameter: string, value: string | undefined, fallback: N): N {
  if (value === undefined) return fallback;
  const name = e.parse(value);
  if (!name) throw invalidParameter(parameter, `must be one of ${e.describe()}`);
  return name;
}

function clock(parameter: string, value: string | undefined, fallback: string): number {
  const second = parseClockTime(value ?? fallback);
  if (second === undefined) throw invalidParameter(parameter, `must be a time of day HH:mm:ss, got "${value}"`);
  return second;
}

async function checkOwned(db: Kysely<DB>, table: Parameters<typeof ownedIds>[1], tenantId: number, parameter: string, ids: number[]): Promise<void> {
  const owned = await ownedIds(db, table, tenantId, ids);
  const missing = ids.find((id) => !owned.has(id));
  if (missing !== undefined) throw notFound(parameter, missing);
}

export async function createJob(db: Kysely<DB>, caller: Caller, body: CreateJobBody, now = Date.now()): Promise<JobStatusResult> {
  const { tenantId, timeZone } = caller;
  const mode = parseEnum(JobMode, 'mode', body.mode, 'MANUAL');
  const phoneType = parseEnum(PhoneType, 'phoneType', body.phoneType, 'MOBILE');
  const dailyStart = clock('dailyStartTime', body.dailyStartTime, '09:00:00');
  const dailyEnd = clock('dailyEndTime', body.dailyEndTime, '20:00:00');
  const inactiveStart = clock('inactiveStartTime', body.inactiveStartTime, '00:00:00');
  const inactiveEnd = clock('inactiveEndTime', body.inactiveEndTime, '00:00:00');
  if (dailyStart >= dailyEnd) throw invalidParameter('dailyEndTime', 'must be later than dailyStartTime');
  if (inactiveEnd < inactiveStart) throw invalidParameter('inactiveEndTime', 'must not be earlier than inactiveStartTime');
  let startTime: number | null = null;
  if (mode === 'AUTO') {
    if (!body.startTime) throw invalidParameter('startTime', 'is required for AUTO jobs (yyyy-MM-dd HH:mm:ss)');
    const parsed = parseLocalDateTime(body.startTime, timeZone);
    if (parsed === undefined) throw invalidParameter('startTime', `must be yyyy-MM-dd HH:mm:ss, got "${body.startTime}"`);
    startTime = parsed;
  } else if (body.startTime) {
    throw invalidParameter('startTime', 'is only for AUTO jobs; a MANUAL job starts when it is started');
  }
  const alertLevels = (parameter: string, values: string[] | undefined) =>
    (values ?? []).map((v, i) => parseEnum(IntentLevel, `${parameter}[${i}]`, v, 'A'));
  const wechatAlertLevel = alertLevels('wechatAlertLevel', body.wechatAlertLevel);
  const smsAlertLevel = alertLevels('smsAlertLevel', body.smsAlertLevel);
  const lineIds = [...new Set(body.phoneNumberIds ?? [])];

  return db.transaction().execute(async (trx) => {
    await checkOwned(trx, 'dialog_flow', tenantId, 'dialogFlowId', [body.dialogFlowId]);
    if (body.smsTemplateId !== undefined) await checkOwned(trx, 'sms_template', tenantId, 'smsTemplateId', [body.smsTemplateId]);
    await checkOwned(trx, 'phone_line', tenantId, 'phoneNumberIds', lineIds);
    const jobId = await insertJob(
      trx,
      {
        tenant_id: tenantId,
        dialog_flow_id: body.dialogFlowId,
        name: body.name.trim(),
        mode,
        robot_count: body.robotCount ?? 1,
        sms_template_id: body.smsTemplateId ?? null,
        phone_type: phoneType,
        daily_start_time: formatClockTime(dailyStart),
        daily_end_time: formatClockTime(dailyEnd),
        inactive_start_time: formatClockTime(inactiveStart),
        inactive_end_time: formatClockTime(inactiveEnd),
        description: body.description ?? null,
        wechat_alert_level: JSON.stringify(wechatAlertLevel),
        sms_alert_level: JSON.stringify(smsAlertLevel),
        alert_users: JSON.stringify(body.alertUsers ?? []),
        early_warning_alert_users: JSON.stringify(body.earlyWarningAlertUsers ?? []),
        wechat_send_method: body.wechatSendMethod ?? 'SENDTOALL',
        status: 'NOT_STARTED',
        start_time: startTime,
        next_start_time: startTime === null ? null : formatDateTime(startTime, timeZone).slice(11),
        system_pause_next_start: null,
        redial_times: body.redialTimes ?? 0,
        redial_interval_minutes: body.redialIntervalMinutes ?? 60,
        created_by_user_id: null,
        organization_id: null,
        created_at: now,
        last_modified_at: now,
      },
      lineIds,
    );
    return { robotCallJobId: jobId, status: 'NOT_STARTED' as const };
  });
}

async function jobOf(db: Kysely<DB>, tenantId: number, jobId: number) {
  const job = await findJob(db, tenantId, jobId);
  if (!job) throw notFound('robotCallJobId', jobId);
  return job;
}

function refuseUnless(action: JobAction, status: string): void {
  const reason = refusal(action, status as JobStatus);
  if (reason) throw new ServiceError(412, `参数错误: robotCallJobId ${reason}`);
}

/** start, pause, resume or stop: moves the job if its status allows, as one compare-and-set. */
export async function changeJobStatus(
  db: Kysely<DB>,
  caller: Caller,
  action: 'start' | 'pause' | 'resume' | 'stop',
  jobId: number,
  now = Date.now(),
): Promise<JobStatusResult> {
  // Another writer (the dialer, another request) may move the job between our read and write; try again then.
  for (let attempt = 0; attempt < 5; attempt++) {
    const job = await jobOf(db, caller.tenantId, jobId);
    refuseUnless(action, job.status);
    if (action === 'start' && job.task_call_total === 0) {
      throw new ServiceError(412, '参数错误: robotCallJobId has no customers to call: import customers first (importTaskCustomer)');
    }
    const to = STATUS_AFTER[action];
    const extra = action === 'start' ? { start_time: now } : {};
    if (await moveJobStatus(db, caller.tenantId, jobId, job.status, to, now, extra)) return { robotCallJobId: jobId, status: to };
  }
  throw new ServiceError(429, '请求过于频繁: the job kept changing; try again');
}

export async function deleteJob(db: Kysely<DB>, caller: Caller, jobId: number): Promise<{ robotCallJobId: number; deleted: boolean }> {
  return db.transaction().execute(async (trx) => {
    const job = await jobOf(trx, caller.tenantId, jobId);
    refuseUnless('delete', job.status);
    await deleteJobCascade(trx, caller.tenantId, jobId);
    return { robotCallJobId: jobId, deleted: true };
  });
}

/**
 * importTaskCustomer: adds customers to a job as call tasks. Numbers are normalised and checked;
 * a number already in the job, or twice in the request, is reported and not dialled twice.
 * A number the tenant already has a customer for reuses that customer.
 */
export async function importTaskCustomers(db: Kysely<DB>, caller: Caller, body: ImportTaskCustomerBody, now = Date.now()): Promise<ImportResult> {
  const { tenantId } = caller;
  return db.transaction().execute(async (trx) => {
    const job = await jobOf(trx, tenantId, body.robotCallJobId);
    refuseUnless('import', job.status);
    if (body.customerGroupId !== undefined) await checkOwned(trx, 'customer_group', tenantId, 'customerGroupId', [body.customerGroupId]);

    const rejected: ImportResult['rejected'] = [];
    const firstRowOf = new Map<string, number>();
    const rows: { index: number; phoneNumber: string; customer: ImportTaskCustomerBody['customers'][number] }[] = [];
    body.customers.forEach((customer, index) => {
      const phoneNumber = normalizePhoneNumber(customer.phoneNumber);
      if (!phoneNumber) return rejected.push({ index, phoneNumber: customer.phoneNumber, reason: 'not a mainland mobile or landline number' });
      const first = firstRowOf.get(phoneNumber);
      if (first !== undefined) return rejected.push({ index, phoneNumber, reason: `duplicate of row ${first} in this request` });
      firstRowOf.set(phoneNumber, index);
      rows.push({ index, phoneNumber, customer });
    });
    const inJob = await numbersInJob(trx, tenantId, job.id, rows.map((r) => r.phoneNumber));
    const fresh = rows.filter((r) => {
      if (!inJob.has(r.phoneNumber)) return true;
      rejected.push({ index: r.index, phoneNumber: r.phoneNumber, reason: 'already in this job' });
      return false;
    });

    const known = await customersByPhone(trx, tenantId, fresh.map((r) => r.phoneNumber));
    const customerIds: number[] = [];
    for (const r of fresh) {
      let id = known.get(r.phoneNumber);
      if (id === undefined) {
        id = await insertCustomer(trx, {
          tenant_id: tenantId,
          customer_group_id: body.customerGroupId ?? null,
          name: r.customer.name?.trim() ?? '',
          phone_number: r.phoneNumber,
          wechat_number: null,
          source: 'API_IMPORT',
          last_emotion: 'UNKNOWN',
          customer_level: 'UNKNOWN',
          gender: ['MALE', 'FEMALE'].includes(r.customer.gender?.toUpperCase() ?? '') ? r.customer.gender!.toUpperCase() : 'UNKNOWN',
          follow_user_id: null,
          follow_status: 'AI_INITIAL_VISIT',
          properties: JSON.stringify(r.customer.properties ?? {}),
          attributes: '[]',
          last_follow_time: null,
          assign_time: now,
          created_at: now,
        });
      }
      customerIds.push(id);
    }
    const tasks = await insertCallTasks(trx, tenantId, job.id, fresh.map((r, i) => ({ customerPersonId: customerIds[i]!, phoneNumber: r.phoneNumber })), now);
    const taskOf = new Map(tasks.map((t) => [t.called_phone_number, t.id]));

    let status = job.status as JobStatus;
    if (status === 'NOT_STARTED' && fresh.length > 0) {
      status = job.mode === 'AUTO' ? 'IN_QUEUE' : 'RUNNABLE';
      await moveJobStatus(trx, tenantId, job.id, 'NOT_STARTED', status, now);
    }
    return {
      robotCallJobId: job.id,
      status,
      taskCallTotal: job.task_call_total + fresh.length,
      accepted: fresh.map((r, i) => ({ index: r.index, phoneNumber: r.phoneNumber, customerPersonId: customerIds[i]!, robotCallTaskId: taskOf.get(r.phoneNumber)! })),
      rejected: rejected.sort((a, b) => a.index - b.index),
    };
  });
}

export async function getDialogFlows(db: Kysely<DB>, caller: Caller) {
  return (await listDialogFlows(db, caller.tenantId)).map((f) => ({ dialogFlowId: f.id, name: f.name, creationTime: formatDateTime(f.created_at, caller.timeZone) }));
}

export async function getPhoneNumbers(db: Kysely<DB>, caller: Caller) {
  return (await listPhoneLines(db, caller.tenantId)).map((l) => ({ phoneNumberId: l.id, phoneNumber: l.phone_number, phoneType: l.phone_type, phoneName: l.name }));
}
