/* Display helpers: the numbers are the server's; these only render them. */

/** Seconds as `1:02:03`, `2:03` or `0:09`. */
export function formatDuration(totalSeconds: number): string {
  const s = Math.max(0, Math.floor(totalSeconds));
  const hours = Math.floor(s / 3600);
  const minutes = Math.floor((s % 3600) / 60);
  const seconds = s % 60;
  const mm = hours > 0 ? String(minutes).padStart(2, '0') : String(minutes);
  return `${hours > 0 ? `${hours}:` : ''}${mm}:${String(seconds).padStart(2, '0')}`;
}

/** A percentage the server computed (e.g. 12.5 → "12.5%"); never recomputed here. */
export function formatPercent(value: number | null | undefined): string {
  if (value === null || value === undefined || !Number.isFinite(value)) return '0%';
  return `${value}%`;
}

/** completed / total as a 0–100 progress bar value (one decimal), 0 for an empty job. */
export function progressOf(completed: number, total: number): number {
  if (!total) return 0;
  return Math.min(100, Math.round((completed / total) * 1000) / 10);
}

/** Hundredths of a second (the server's averageDurationList) as seconds. */
export const hundredthsToSeconds = (value: number) => value / 100;

/** Job statuses the console keeps polling for: the dialer may change their numbers at any moment. */
export const LIVE_STATUSES = new Set(['IN_PROCESS', 'IN_QUEUE', 'SYSTEM_SUSPENDED']);

/** Element Plus tag colours of job statuses. */
export function statusTagType(status: string): 'primary' | 'success' | 'warning' | 'danger' | 'info' {
  switch (status) {
    case 'IN_PROCESS':
      return 'primary';
    case 'COMPLETED':
      return 'success';
    case 'USER_PAUSE':
    case 'SYSTEM_SUSPENDED':
    case 'IN_QUEUE':
      return 'warning';
    case 'TERMINATE':
      return 'danger';
    default:
      return 'info';
  }
}

/** The actions a job's status allows (docs/enums.md#job-status-transitions); the server decides. */
export function allowedActions(status: string): ('start' | 'pause' | 'resume' | 'stop' | 'delete')[] {
  const actions: ('start' | 'pause' | 'resume' | 'stop' | 'delete')[] = [];
  if (['NOT_STARTED', 'RUNNABLE', 'IN_QUEUE'].includes(status)) actions.push('start');
  if (['IN_PROCESS', 'SYSTEM_SUSPENDED', 'IN_QUEUE'].includes(status)) actions.push('pause');
  if (status === 'USER_PAUSE') actions.push('resume');
  if (!['COMPLETED', 'TERMINATE'].includes(status)) actions.push('stop');
  if (['NOT_STARTED', 'RUNNABLE', 'USER_PAUSE', 'COMPLETED', 'TERMINATE'].includes(status)) actions.push('delete');
  return actions;
}
