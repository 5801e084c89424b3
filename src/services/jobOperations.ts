import { noteRowsWritten } from '../db/analyze.js';
import type { Database } from '../db/database.js';
import { IntentLevel, JobMode, type JobStatus, PhoneType, REDIAL_ON_EVERY_FAILURE } from '../domain/enums.js';
import { invalidParameter, notFound } from '../domain/errors.js';
import { type JobAction, refusal, STATUS_AFTER } from '../domain/jobLifecycle.js';
import { vetPhoneNumbers } from '../domain/phone.js';
import {
  FIRST_YEAR,
  formatClockTime,
  formatDateTime,
  inSupportedYears,
  LAST_YEAR,
  parseClockTime,
  parseLocalDateTime,
} from '../domain/time.js';
import { findNumbersInJob, insertCallTasks } from '../repositories/callTasks.js';
import { findCustomersByPhone, insertCustomer } from '../repositories/customers.js';
import { findDisabledDialogFlows } from '../repositories/dialogFlows.js';
import { findListedNumbers, lockDoNotCallList } from '../repositories/doNotCall.js';
import {
  addToTaskCallTotal,
  deleteJob as deleteJobAndRecords,
  findJob,
  insertJob,
  lockJobForDelete,
  moveJobStatus,
} from '../repositories/jobs.js';
import { findOwnedIds, listDialogFlows, listPhoneLines } from '../repositories/referenceData.js';
import type { CreateJobBody, ImportResult, ImportTaskCustomerBody, JobStatusResult } from '../schemas/jobOperations.js';
import type { Caller } from './auth.js';
import { expandBatchesBeforeDeleting } from './callbacks.js';
import { retryDeadlock } from './callResults.js';
import { ON_THE_LIST } from './doNotCall.js';

/** Job operations under /apiOpen/v1/task/: create, start, pause, resume, stop, delete, importTaskCustomer. */

function clock(parameter: string, value: string | undefined, fallback: string): number {
  const second = parseClockTime(value ?? fallback);
  if (second === undefined) throw invalidParameter(parameter, `must be a time of day HH:mm:ss, got "${value}"`);
  return second;
}

/** 404 naming `parameter` unless every id is a row of the tenant's in `table`. */
export async function checkOwned(
  db: Database,
  table: Parameters<typeof findOwnedIds>[1],
  tenantId: number,
  parameter: string,
  ids: number[],
): Promise<void> {
  const owned = await findOwnedIds(db, table, tenantId, ids);
  const missing = ids.find((id) => !owned.has(id));
  if (missing !== undefined) throw notFound(parameter, missing);
  if (table === 'dialog_flow') {
    // A disabled flow is kept for the jobs that speak it, and given to no other (docs/dialog-flows.md).
    const [disabled] = await findDisabledDialogFlows(db, tenantId, ids);
    if (disabled !== undefined) throw invalidParameter(parameter, `${disabled} is a disabled dialog flow`);
  }
}

export async function createJob(
  db: Database,
  caller: Caller,
  body: CreateJobBody,
  now = Date.now(),
): Promise<JobStatusResult> {
  const { tenantId, timeZone } = caller;
  const mode = body.mode === undefined ? 'MANUAL' : JobMode.parameter(body.mode, 'mode');
  const phoneType = body.phoneType === undefined ? 'MOBILE' : PhoneType.parameter(body.phoneType, 'phoneType');
  const dailyStart = clock('dailyStartTime', body.dailyStartTime, '09:00:00');
  const dailyEnd = clock('dailyEndTime', body.dailyEndTime, '20:00:00');
  const inactiveStart = clock('inactiveStartTime', body.inactiveStartTime, '00:00:00');
  const inactiveEnd = clock('inactiveEndTime', body.inactiveEndTime, '00:00:00');
  if (dailyStart >= dailyEnd) throw invalidParameter('dailyEndTime', 'must be later than dailyStartTime');
  if (inactiveEnd < inactiveStart)
    throw invalidParameter('inactiveEndTime', 'must not be earlier than inactiveStartTime');
  let startTime: number | null = null;
  if (mode === 'AUTO') {
    if (!body.startTime) throw invalidParameter('startTime', 'is required for AUTO jobs (yyyy-MM-dd HH:mm:ss)');
    const parsed = parseLocalDateTime(body.startTime, timeZone);
    if (parsed === undefined)
      throw invalidParameter('startTime', `must be yyyy-MM-dd HH:mm:ss, got "${body.startTime}"`);
    if (!inSupportedYears(body.startTime.trim()))
      throw invalidParameter('startTime', `must be from ${FIRST_YEAR} to ${LAST_YEAR}, got "${body.startTime}"`);
    startTime = parsed;
  } else if (body.startTime) {
    throw invalidParameter('startTime', 'is only for AUTO jobs; a MANUAL job starts when it is started');
  }
  const wechatAlertLevel = IntentLevel.parameterList(body.wechatAlertLevel ?? [], 'wechatAlertLevel');
  const smsAlertLevel = IntentLevel.parameterList(body.smsAlertLevel ?? [], 'smsAlertLevel');
  const lineIds = [...new Set(body.phoneNumberIds ?? [])];

  return db.transaction(async (trx) => {
    await checkOwned(trx, 'dialog_flow', tenantId, 'dialogFlowId', [body.dialogFlowId]);
    if (body.smsTemplateId !== undefined)
      await checkOwned(trx, 'sms_template', tenantId, 'smsTemplateId', [body.smsTemplateId]);
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
        // The 2018 single window is the list's only entry; an empty one (equal times) is none.
        inactive_time_list:
          inactiveStart < inactiveEnd
            ? [{ startTime: formatClockTime(inactiveStart), endTime: formatClockTime(inactiveEnd) }]
            : [],
        // The 2018 interface has no redial condition: every failed call waits for a redial, as before.
        redial_condition: [...REDIAL_ON_EVERY_FAILURE],
        description: body.description ?? null,
        wechat_alert_level: wechatAlertLevel,
        sms_alert_level: smsAlertLevel,
        alert_users: body.alertUsers ?? [],
        early_warning_alert_users: body.earlyWarningAlertUsers ?? [],
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

async function jobOf(db: Database, tenantId: number, jobId: number) {
  const job = await findJob(db, tenantId, jobId);
  if (!job) throw notFound('robotCallJobId', jobId);
  return job;
}

function refuseUnless(action: JobAction, status: JobStatus): void {
  const reason = refusal(action, status);
  if (reason) throw invalidParameter('robotCallJobId', reason);
}

/** How often a status change is tried again when another writer moved the job in between. */
const STATUS_CHANGE_ATTEMPTS = 5;

/** start, pause, resume or stop: moves the job if its status allows, as one compare-and-set. */
export async function changeJobStatus(
  db: Database,
  caller: Caller,
  action: 'start' | 'pause' | 'resume' | 'stop',
  jobId: number,
  now = Date.now(),
): Promise<JobStatusResult> {
  // Another writer (the dialer, another request) may move the job between our read and write; try again then.
  for (let attempt = 0; attempt < STATUS_CHANGE_ATTEMPTS; attempt++) {
    const job = await jobOf(db, caller.tenantId, jobId);
    refuseUnless(action, job.status);
    if (action === 'start' && job.task_call_total === 0) {
      throw invalidParameter('robotCallJobId', 'has no customers to call: import customers first (importTaskCustomer)');
    }
    const to = STATUS_AFTER[action];
    const extra = action === 'start' ? { start_time: now } : {};
    if (await moveJobStatus(db, caller.tenantId, jobId, job.status, to, now, extra))
      return { robotCallJobId: jobId, status: to };
  }
  // The platform has no conflict code: a 412 that says what happened, and that a retry may succeed.
  throw invalidParameter(
    'robotCallJobId',
    `changed status while this request ran (${STATUS_CHANGE_ATTEMPTS} times); it may be retried`,
  );
}

export async function deleteJob(
  db: Database,
  caller: Caller,
  jobId: number,
): Promise<{ robotCallJobId: number; deleted: boolean }> {
  // The job is locked before its status is read: nothing starts it, or writes a call of it, meanwhile.
  return retryDeadlock(() =>
    db.transaction(async (trx) => {
      await lockJobForDelete(trx, caller.tenantId, jobId);
      const job = await jobOf(trx, caller.tenantId, jobId);
      refuseUnless('delete', job.status);
      // Callback events still in a batch read their transcripts when expanded: before they go.
      await expandBatchesBeforeDeleting(trx, caller.tenantId);
      await deleteJobAndRecords(trx, caller.tenantId, jobId);
      return { robotCallJobId: jobId, deleted: true };
    }),
  );
}

/** How many customers one import adds, and the name the request gives the list (the later job/importCustomer takes 100). */
export interface ImportLimits {
  maxCustomers: number;
  parameter: string;
}
export const IMPORT_LIMITS_2018: ImportLimits = { maxCustomers: 1000, parameter: 'customers' };

/**
 * importTaskCustomer: adds customers to a job as call tasks. Numbers are normalised and checked;
 * a number already in the job, or twice in the request, is reported and not dialled twice.
 * A number the tenant already has a customer for reuses that customer.
 */
export async function importTaskCustomers(
  db: Database,
  caller: Caller,
  body: ImportTaskCustomerBody,
  now = Date.now(),
  limits: ImportLimits = IMPORT_LIMITS_2018,
): Promise<ImportResult> {
  if (body.customers.length > limits.maxCustomers)
    throw invalidParameter(limits.parameter, `must hold at most ${limits.maxCustomers} customers per call`);
  // A job deleted between its check below and the insert of its call tasks fails their foreign
  // key: run again, the check then finds it gone (404, not 500). So is a deadlock.
  const result = await retryDeadlock(() => importOnce(db, caller, body, now));
  // Large imports are analyzed once they pass autovacuum's threshold (db/analyze.ts); customers
  // reused from earlier imports are counted too, which only makes that a little sooner.
  noteRowsWritten(db, 'call_task', result.accepted.length);
  noteRowsWritten(db, 'customer_person', result.accepted.length);
  return result;
}

async function importOnce(
  db: Database,
  caller: Caller,
  body: ImportTaskCustomerBody,
  now: number,
): Promise<ImportResult> {
  const { tenantId } = caller;
  return db.transaction(async (trx) => {
    // First: a number listed concurrently is then either seen as listed here, or the listing
    // waits for this import and finishes the task it adds (repositories/doNotCall.ts).
    await lockDoNotCallList(trx, tenantId, 'shared');
    const job = await jobOf(trx, tenantId, body.robotCallJobId);
    refuseUnless('import', job.status);
    if (body.customerGroupId !== undefined)
      await checkOwned(trx, 'customer_group', tenantId, 'customerGroupId', [body.customerGroupId]);

    const vetted = vetPhoneNumbers(body.customers, (c) => c.phoneNumber);
    const rejected: ImportResult['rejected'] = vetted.rejected;
    const rows = vetted.rows.map(({ index, phoneNumber, item }) => ({ index, phoneNumber, customer: item }));
    const listed = await findListedNumbers(
      trx,
      tenantId,
      rows.map((r) => r.phoneNumber),
    );
    const inJob = await findNumbersInJob(
      trx,
      tenantId,
      job.id,
      rows.map((r) => r.phoneNumber),
    );
    const fresh = rows.filter((r) => {
      if (listed.has(r.phoneNumber)) {
        rejected.push({ index: r.index, phoneNumber: r.phoneNumber, reason: ON_THE_LIST });
        return false;
      }
      if (!inJob.has(r.phoneNumber)) return true;
      rejected.push({ index: r.index, phoneNumber: r.phoneNumber, reason: 'already in this job' });
      return false;
    });

    const known = await findCustomersByPhone(
      trx,
      tenantId,
      fresh.map((r) => r.phoneNumber),
    );
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
          gender: ['MALE', 'FEMALE'].includes(r.customer.gender?.toUpperCase() ?? '')
            ? r.customer.gender!.toUpperCase()
            : 'UNKNOWN',
          follow_user_id: null,
          follow_status: 'AI_INITIAL_VISIT',
          properties: r.customer.properties ?? {},
          attributes: [],
          last_follow_time: null,
          assign_time: now,
          created_at: now,
        });
      }
      customerIds.push(id);
    }
    const tasks = await addCallTasks(
      trx,
      tenantId,
      job.id,
      fresh.map((r, i) => ({ customerPersonId: customerIds[i]!, phoneNumber: r.phoneNumber })),
      now,
    );
    const taskOf = new Map(tasks.map((t) => [t.called_phone_number, t.id]));

    let status = job.status;
    if (status === 'NOT_STARTED' && fresh.length > 0) {
      status = job.mode === 'AUTO' ? 'IN_QUEUE' : 'RUNNABLE';
      await moveJobStatus(trx, tenantId, job.id, 'NOT_STARTED', status, now);
    }
    return {
      robotCallJobId: job.id,
      status,
      taskCallTotal: job.task_call_total + fresh.length,
      accepted: fresh.map((r, i) => ({
        index: r.index,
        phoneNumber: r.phoneNumber,
        customerPersonId: customerIds[i]!,
        robotCallTaskId: taskOf.get(r.phoneNumber)!,
      })),
      rejected: rejected.sort((a, b) => a.index - b.index),
    };
  });
}

/** Adds customers to a job as call tasks and counts them on the job; returns the tasks. */
export async function addCallTasks(
  db: Database,
  tenantId: number,
  jobId: number,
  customers: { customerPersonId: number; phoneNumber: string }[],
  now: number,
) {
  return db.transaction(async (trx) => {
    const tasks = await insertCallTasks(trx, tenantId, jobId, customers, now);
    await addToTaskCallTotal(trx, tenantId, jobId, tasks.length);
    return tasks;
  });
}

/** task/getDialogFlows: the flows a new job may use — a disabled one is left out (dialogFlow/getDialogFlowList lists every flow). */
export async function getDialogFlows(db: Database, caller: Caller) {
  return (await listDialogFlows(db, caller.tenantId))
    .filter((f) => f.enabled === 1)
    .map((f) => ({
      dialogFlowId: f.id,
      name: f.name,
      creationTime: formatDateTime(f.created_at, caller.timeZone),
    }));
}

export async function getPhoneNumbers(db: Database, caller: Caller) {
  return (await listPhoneLines(db, caller.tenantId)).map((l) => ({
    phoneNumberId: l.id,
    phoneNumber: l.phone_number,
    phoneType: l.phone_type,
    phoneName: l.name,
  }));
}
