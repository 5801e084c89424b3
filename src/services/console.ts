import type { Database } from '../db/database.js';
import { notFound } from '../domain/errors.js';
import { formatDateTime } from '../domain/time.js';
import { sumJobCalls } from '../repositories/consoleJobs.js';
import { findCallbackUrl } from '../repositories/consoleSettings.js';
import type { PageOf } from '../schemas/common.js';
import type { ConsoleJobItem } from '../schemas/console.js';
import type { GetTasksQuery } from '../schemas/jobs.js';
import type { Caller } from './auth.js';
import { setCallbackUrl } from './callbacks.js';
import { percent } from './jobStats.js';
import { getTasks } from './jobs.js';
import { createApiKey, listKeys, setKeyEnabled } from './tenants.js';

/*
 * What the console asks beyond the Open API's own services: the job list with each job's calls and
 * answered rate (from the same incremental statistics as getTaskDetail, summed per job), the
 * tenant's API keys, and its settings. Every rule and statistic stays in the services the Open API uses.
 */

/** getTasks' page, each job with its calls and answered rate. */
export async function listConsoleJobs(
  db: Database,
  caller: Caller,
  query: GetTasksQuery,
): Promise<PageOf<ConsoleJobItem>> {
  const page = await getTasks(db, caller, query);
  const calls = await sumJobCalls(
    db,
    caller.tenantId,
    page.content.map((j) => j.robotCallJobId),
  );
  return {
    ...page,
    content: page.content.map((j) => {
      const c = calls.get(j.robotCallJobId) ?? { records: 0, answered: 0 };
      return {
        robotCallJobId: j.robotCallJobId,
        name: j.name,
        status: j.status,
        completedTask: j.completedTask,
        taskCallTotal: j.taskCallTotal,
        callCount: c.records,
        answeredRate: percent(c.answered, c.records, 2),
        createdByUserName: j.createdByUserName,
        creationTime: j.creationTime,
      };
    }),
  };
}

/** The tenant's keys, without secrets. */
export async function listTenantKeys(db: Database, caller: Caller) {
  return (await listKeys(db, caller.tenantId)).map((k) => ({
    appKey: k.app_key,
    enabled: k.enabled,
    createdAt: formatDateTime(Number(k.created_at), caller.timeZone),
    signatureVersion: k.min_signature_version,
  }));
}

/** A new key: its secret is in this answer only. */
export async function createTenantKey(db: Database, caller: Caller, now = Date.now()) {
  const { appKey, appSecret } = await createApiKey(db, caller.tenantId, now);
  return { appKey, appSecret };
}

/** Another tenant's key is not found. */
export async function setTenantKeyEnabled(
  db: Database,
  caller: Caller,
  appKey: string,
  enabled: boolean,
  now = Date.now(),
) {
  const own = (await listKeys(db, caller.tenantId)).some((k) => k.app_key === appKey);
  if (!own) throw notFound('appKey', appKey);
  await setKeyEnabled(db, appKey, enabled, now);
  return { appKey, enabled };
}

export async function getConsoleSettings(db: Database, caller: Caller) {
  return { callbackUrl: await findCallbackUrl(db, caller.tenantId) };
}

/** Validated as isv/updateIsvInfo validates it (services/callbacks.ts); empty or null clears it. */
export async function updateConsoleSettings(db: Database, caller: Caller, body: { callbackUrl?: string | null }) {
  const raw = body.callbackUrl?.trim() ?? '';
  return { callbackUrl: await setCallbackUrl(db, caller.tenantId, raw === '' ? null : raw) };
}
