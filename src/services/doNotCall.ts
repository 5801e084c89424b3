import type { Database } from '../db/database.js';
import { invalidParameter } from '../domain/errors.js';
import { normalizePhoneNumber, vetPhoneNumbers } from '../domain/phone.js';
import { formatDateTime } from '../domain/time.js';
import { finishCallTasksOfNumbers } from '../repositories/callTasks.js';
import {
  countDoNotCall,
  deleteDoNotCallNumbers,
  insertDoNotCallNumbers,
  listDoNotCall,
  lockDoNotCallList,
} from '../repositories/doNotCall.js';
import { addToCompletedTask } from '../repositories/jobs.js';
import type { PageOf } from '../schemas/common.js';
import type {
  DoNotCallAddBody,
  DoNotCallAddResult,
  DoNotCallEntry,
  DoNotCallListQuery,
  DoNotCallRemoveBody,
  DoNotCallRemoveResult,
} from '../schemas/doNotCall.js';
import { retryDeadlock } from './callResults.js';
import { pageOf, pageRequest } from './paging.js';

/*
 * The do-not-call list (免打扰名单): per tenant, numbers its jobs never dial.
 * - Listing a number finishes, in the same transaction, every unfinished call task of it in the
 *   tenant's jobs that are not stopped — waiting, waiting for a redial, or being dialled — without
 *   a call record, and counts them in the job's completedTask, so the job still completes.
 * - The dialer's claim skips listed numbers, and importTaskCustomer rejects them.
 * - Taking a number off the list does not reopen its finished tasks; it can be imported again
 *   into jobs that do not have it.
 * - Calls reported by external engines (addCallRecord) for a listed number are still recorded:
 *   they happened.
 */

/** Who is changing the list: an appKey, or `cli`. */
export type ListedBy = string;

export const ON_THE_LIST = 'on the do-not-call list';

/** Normalises the numbers; invalid ones and repeats are rejected with their reason. */
function readNumbers(raw: string[]) {
  const { rows, rejected } = vetPhoneNumbers(raw, (text) => text);
  return { rows: rows.map(({ index, phoneNumber }) => ({ index, phoneNumber })), rejected };
}

export async function addToDoNotCallList(
  db: Database,
  tenantId: number,
  body: DoNotCallAddBody,
  listedBy: ListedBy,
  now = Date.now(),
): Promise<DoNotCallAddResult> {
  const { rows, rejected } = readNumbers(body.phoneNumbers);
  const reason = body.reason?.trim() || null;
  // A job being deleted meanwhile locks its call tasks in its own order: a deadlock is run again.
  return retryDeadlock(() =>
    db.transaction(async (trx) => {
      await lockDoNotCallList(trx, tenantId, 'exclusive');
      const numbers = rows.map((r) => r.phoneNumber);
      const inserted = await insertDoNotCallNumbers(trx, tenantId, numbers, { reason, addedBy: listedBy, now });
      // Every valid number's tasks, listed now or before: a task left unfinished for a listed number
      // (none should be) would never be dialled and would keep its job from completing.
      const finished = await finishCallTasksOfNumbers(trx, tenantId, numbers, now);
      const perJob = new Map<number, number>();
      const perNumber = new Map<string, number>();
      for (const t of finished) {
        perJob.set(t.job_id, (perJob.get(t.job_id) ?? 0) + 1);
        perNumber.set(t.called_phone_number, (perNumber.get(t.called_phone_number) ?? 0) + 1);
      }
      // Jobs in id order: the lock order of every writer (services/callResults.ts).
      for (const [jobId, n] of [...perJob].sort((a, b) => a[0] - b[0]))
        await addToCompletedTask(trx, tenantId, jobId, n);

      // Local to the attempt: a transaction run again starts afresh.
      const accepted: DoNotCallAddResult['accepted'] = [];
      const alreadyListed: DoNotCallAddResult['rejected'] = [];
      for (const r of rows) {
        if (inserted.has(r.phoneNumber)) accepted.push({ ...r, finishedCallTasks: perNumber.get(r.phoneNumber) ?? 0 });
        else alreadyListed.push({ ...r, reason: 'already on the do-not-call list' });
      }
      return {
        accepted,
        rejected: [...rejected, ...alreadyListed].sort((a, b) => a.index - b.index),
        finishedCallTasks: finished.length,
      };
    }),
  );
}

export async function removeFromDoNotCallList(
  db: Database,
  tenantId: number,
  body: DoNotCallRemoveBody,
): Promise<DoNotCallRemoveResult> {
  const { rows, rejected } = readNumbers(body.phoneNumbers);
  const deleted = await deleteDoNotCallNumbers(
    db,
    tenantId,
    rows.map((r) => r.phoneNumber),
  );
  const removed: DoNotCallRemoveResult['removed'] = [];
  for (const r of rows) {
    if (deleted.has(r.phoneNumber)) removed.push(r);
    else rejected.push({ ...r, reason: 'not on the do-not-call list' });
  }
  return { removed, rejected: rejected.sort((a, b) => a.index - b.index) };
}

/** The filter's digits: a full number in any accepted form, or part of one. */
function numberFilter(text: string | undefined): string | undefined {
  if (text === undefined || text.trim() === '') return undefined;
  const full = normalizePhoneNumber(text);
  if (full) return full;
  const digits = text.trim().replace(/[\s\-()（）]/g, '');
  if (!/^\d{1,20}$/.test(digits))
    throw invalidParameter('phoneNumber', 'must be digits (part of a number, or a number)');
  return digits;
}

export async function getDoNotCallList(
  db: Database,
  tenant: { tenantId: number; timeZone: string },
  query: DoNotCallListQuery,
): Promise<PageOf<DoNotCallEntry>> {
  const filter = { phoneNumber: numberFilter(query.phoneNumber) };
  const page = pageRequest(query.pageNum, query.pageSize);
  const [total, rows] = await Promise.all([
    countDoNotCall(db, tenant.tenantId, filter),
    listDoNotCall(db, tenant.tenantId, filter, page.pageSize, page.offset),
  ]);
  return pageOf(
    page,
    total,
    rows.map((r) => ({
      phoneNumber: r.phone_number,
      reason: r.reason,
      addedBy: r.added_by,
      creationTime: formatDateTime(r.created_at, tenant.timeZone),
    })),
  );
}
