import type { JobStatus } from './enums.js';

/*
 * What each job status means, and who moves a job between them:
 *
 *   NOT_STARTED       created, no customers to call yet
 *   RUNNABLE          has customers; waits for someone to start it
 *   IN_QUEUE          an AUTO job waiting for its start time (the dialer starts it)
 *   IN_PROCESS        the dialer is calling its customers
 *   SYSTEM_SUSPENDED  outside its daily or inside its inactive window; the dialer resumes it
 *   USER_PAUSE        paused by the user; resumes only when told
 *   COMPLETED         every call task is finished (final)
 *   TERMINATE         stopped by the user (final)
 */

export type JobAction = 'start' | 'pause' | 'resume' | 'stop' | 'delete' | 'import';

/** The statuses each user action is allowed from. */
const ALLOWED_FROM: Record<JobAction, readonly JobStatus[]> = {
  start: ['NOT_STARTED', 'RUNNABLE', 'IN_QUEUE'],
  pause: ['IN_PROCESS', 'SYSTEM_SUSPENDED', 'IN_QUEUE'],
  resume: ['USER_PAUSE'],
  stop: ['NOT_STARTED', 'RUNNABLE', 'IN_QUEUE', 'IN_PROCESS', 'SYSTEM_SUSPENDED', 'USER_PAUSE'],
  // A job the dialer may be working on cannot be deleted: pause or stop it first.
  delete: ['NOT_STARTED', 'RUNNABLE', 'USER_PAUSE', 'COMPLETED', 'TERMINATE'],
  import: ['NOT_STARTED', 'RUNNABLE', 'IN_QUEUE', 'IN_PROCESS', 'SYSTEM_SUSPENDED', 'USER_PAUSE'],
};

const WHY_NOT: Partial<Record<JobStatus, string>> = {
  COMPLETED: 'the job is completed',
  TERMINATE: 'the job is terminated, which is final',
  IN_PROCESS: 'the job is running',
  SYSTEM_SUSPENDED: 'the job is running (suspended outside its calling hours)',
  IN_QUEUE: 'the job is queued to start',
  USER_PAUSE: 'the job is paused',
};

/** Undefined when `action` is allowed from `status`, otherwise the reason it is not. */
export function refusal(action: JobAction, status: JobStatus): string | undefined {
  if (ALLOWED_FROM[action].includes(status)) return undefined;
  const why = WHY_NOT[status] ?? `the job is ${status}`;
  return `cannot ${action} a job in status ${status}: ${why}`;
}

/** Where a user action takes a job. Started and resumed jobs go to IN_PROCESS; the dialer moves
 * them on to SYSTEM_SUSPENDED at once when they are outside their calling hours. */
export const STATUS_AFTER: Record<'start' | 'pause' | 'resume' | 'stop', JobStatus> = {
  start: 'IN_PROCESS',
  resume: 'IN_PROCESS',
  pause: 'USER_PAUSE',
  stop: 'TERMINATE',
};

/** The statuses in which the dialer looks at a job. */
export const DIALER_STATUSES: readonly JobStatus[] = ['IN_QUEUE', 'IN_PROCESS', 'SYSTEM_SUSPENDED'];

/**
 * Undefined when a job's status agrees with what it holds, else why not: NOT_STARTED means no
 * customers yet; importing customers makes a MANUAL job RUNNABLE and an AUTO job IN_QUEUE, which
 * waits for its start time.
 */
export function statusDisagreement(job: {
  status: JobStatus;
  mode: string;
  start_time: number | string | null;
  callTasks: number;
}): string | undefined {
  if (job.status === 'NOT_STARTED' && job.callTasks > 0)
    return `a NOT_STARTED job has no customers yet, this one has ${job.callTasks}`;
  if (job.status === 'RUNNABLE' && job.callTasks === 0) return 'a RUNNABLE job has customers';
  if (job.status === 'IN_QUEUE' && (job.mode !== 'AUTO' || job.start_time === null))
    return 'only an AUTO job with a start time waits in IN_QUEUE';
  return undefined;
}
