import { randomBytes } from 'node:crypto';
import { hostname } from 'node:os';
import type { Database } from '../db/database.js';
import { isWithinCallingHours, nextOpening } from '../domain/callingHours.js';
import type { JobStatus } from '../domain/enums.js';
import { hasUnfinishedCallTasks } from '../repositories/callTasks.js';
import { type JobToDial, listJobsToDial, moveJobStatus } from '../repositories/jobs.js';
import { releaseSchedulerLease, takeSchedulerLease } from '../repositories/schedulerLease.js';
import { completeJob } from '../services/callbacks.js';
import { claimableWork } from '../services/callLeases.js';

/*
 * The scheduler moves jobs through their lifecycle; engines (the built-in simulator among them)
 * only dial. Each tick it starts queued AUTO jobs whose start time has come, suspends jobs outside
 * their calling hours and resumes them inside (in the tenant's time zone), suspends jobs whose
 * caller lines are all disabled and resumes them once one is enabled again, completes jobs whose
 * call tasks are all finished, and reaps the leases engines lost.
 *
 * It runs in every `serve` process (with or without the simulator), but one process at a time does
 * the work: the holder of the `scheduler_lease` row (migration 0030). Each tick takes or renews it
 * with one conditional update; a process that stops renewing it (stopped, killed, cut off) is
 * replaced by another once it lapses. The holder renews it only once half of it has run, so an idle
 * installation writes the row every few seconds, not every tick.
 */

/** Why the scheduler suspended a job whose lines are all disabled (stored, shown as the job's hangUpReason). */
export const NO_USABLE_LINE = 'no usable caller line';

/** The lease's name in scheduler_lease. */
const LEASE = 'scheduler';

export interface SchedulerOptions {
  database: Database;
  clock?: { now(): number };
  /** How often `run` ticks (default 1 s). */
  tickMs?: number;
  /** How long a taken lease holds without renewal (default 15 s): how long the work waits when its holder dies. */
  leaseMs?: number;
  /** Who this process is, in scheduler_lease.holder (default host, pid and a random part). */
  holder?: string;
  /**
   * Work done each tick by the holder after the jobs have moved: the leases engines lost
   * (services/callLeases.ts reapLeases).
   */
  reap?: (database: Database, now: number) => Promise<unknown>;
  log?: { info(obj: object, msg: string): void; error(obj: object, msg: string): void };
}

export interface SchedulerStats {
  /** Whether this process holds the scheduler's work. */
  holder: boolean;
  /** Jobs the last tick looked after. */
  jobs: number;
  ticks: number;
  tickFailures: number;
  /** Status changes made. */
  transitions: number;
}

export interface TickReport {
  /** Whether this process held the work in this tick (when not, nothing else was done). */
  held: boolean;
  transitions: { robotCallJobId: number; from: JobStatus; to: JobStatus }[];
  /** Jobs this tick could not serve (logged), when there were any; the others were served. */
  skipped?: { robotCallJobId: number; tenantId: number }[];
}

export class Scheduler {
  private readonly clock: { now(): number };
  private readonly holder: string;
  private readonly leaseMs: number;
  /** Until when this process holds the lease, as far as it knows (0: it does not). */
  private heldUntil = 0;
  private timer: NodeJS.Timeout | undefined;
  private ticking: Promise<unknown> | undefined;
  private readonly counts = { jobs: 0, ticks: 0, tickFailures: 0, transitions: 0 };
  /** Jobs whose last tick failed: the error, and when it was last logged. */
  private readonly failingJobs = new Map<number, { message: string; loggedAt: number }>();

  constructor(private readonly options: SchedulerOptions) {
    this.clock = options.clock ?? { now: () => Date.now() };
    this.holder = options.holder ?? `${hostname()}:${process.pid}:${randomBytes(4).toString('hex')}`;
    this.leaseMs = options.leaseMs ?? 15_000;
  }

  /** Whether this process holds the work: renewed when half of the lease has run, taken when it lapsed. */
  private async hold(now: number): Promise<boolean> {
    if (this.heldUntil - now > this.leaseMs / 2) return true;
    const until = now + this.leaseMs;
    const held = await takeSchedulerLease(this.options.database, LEASE, this.holder, now, until);
    if (held !== this.heldUntil > 0)
      this.options.log?.info(
        { holder: this.holder },
        held ? 'scheduler: this process does the work' : 'scheduler: another process does the work',
      );
    this.heldUntil = held ? until : 0;
    return held;
  }

  /** One pass over every job the scheduler looks after, when this process holds the work. */
  async tick(): Promise<TickReport> {
    const report: TickReport = { held: false, transitions: [] };
    if (!(await this.hold(this.clock.now()))) {
      this.counts.jobs = 0;
      return report;
    }
    report.held = true;
    const jobs = await listJobsToDial(this.options.database);
    this.counts.jobs = jobs.length;
    for (const job of jobs) {
      // One job's bad data (a time zone Intl refuses…) stays with that job: it is skipped and
      // logged, and every other job is served in this same tick.
      try {
        await this.moveJob(job, this.clock.now(), report);
        if (this.failingJobs.delete(job.id))
          this.options.log?.info({ robotCallJobId: job.id, tenantId: job.tenant_id }, 'job is scheduled again');
      } catch (error) {
        report.skipped = [...(report.skipped ?? []), { robotCallJobId: job.id, tenantId: job.tenant_id }];
        this.jobFailed(job, error);
      }
    }
    await this.options.reap?.(this.options.database, this.clock.now());
    return report;
  }

  /** Logs a job's failure when it is new, has changed, or every ten minutes while it lasts. */
  private jobFailed(job: JobToDial, error: unknown): void {
    const message = error instanceof Error ? error.message : String(error);
    const now = Date.now();
    const last = this.failingJobs.get(job.id);
    if (last && last.message === message && now - last.loggedAt < 10 * 60_000) return;
    this.failingJobs.set(job.id, { message, loggedAt: now });
    this.options.log?.error(
      { err: error, robotCallJobId: job.id, tenantId: job.tenant_id },
      'job skipped: its data makes scheduling fail; the other jobs are scheduled',
    );
  }

  private async move(
    job: JobToDial,
    to: JobStatus,
    now: number,
    report: TickReport,
    extra: { system_pause_next_start?: number | null; system_pause_reason?: string | null } = {},
  ): Promise<boolean> {
    // COMPLETED writes the job's callback event in the same transaction (services/callbacks.ts).
    const moved =
      to === 'COMPLETED'
        ? await completeJob(this.options.database, job.tenant_id, job.id, job.status, now)
        : await moveJobStatus(this.options.database, job.tenant_id, job.id, job.status, to, now, extra);
    if (moved && to !== job.status) {
      report.transitions.push({ robotCallJobId: job.id, from: job.status, to });
      this.counts.transitions++;
      // Engines waiting in a claim in this process look at once (others within their re-check).
      if (to === 'IN_PROCESS') claimableWork.notify();
    }
    return moved;
  }

  /**
   * Applies the lifecycle's rules to one job, in order: a queued job whose time has come starts;
   * outside its calling hours a job is suspended (until the next opening); a running job whose
   * call tasks are all finished completes; inside its hours, a job whose caller lines are all
   * disabled is suspended for that reason (a job with no line at all is the simulator's, and
   * runs), and otherwise runs.
   */
  private async moveJob(job: JobToDial, now: number, report: TickReport): Promise<void> {
    if (job.status === 'IN_QUEUE') {
      if (job.start_time === null || job.start_time > now) return;
      if (!(await this.move(job, 'IN_PROCESS', now, report))) return;
      job = { ...job, status: 'IN_PROCESS' };
    }
    const hours = {
      dailyStartTime: job.daily_start_time,
      dailyEndTime: job.daily_end_time,
      inactiveTimeList: job.inactive_time_list,
    };
    if (!isWithinCallingHours(hours, now, job.time_zone)) {
      if (job.status === 'IN_PROCESS' || job.system_pause_reason !== null)
        await this.move(job, 'SYSTEM_SUSPENDED', now, report, {
          system_pause_next_start: nextOpening(hours, now, job.time_zone),
          system_pause_reason: null,
        });
      return;
    }
    const usable = job.lines === 0 || job.usable_lines > 0;
    if (usable && job.status === 'SYSTEM_SUSPENDED') {
      const cleared = { system_pause_next_start: null, system_pause_reason: null };
      if (!(await this.move(job, 'IN_PROCESS', now, report, cleared))) return;
      job = { ...job, status: 'IN_PROCESS', ...cleared };
    }
    // Suspended for its lines or not, a job whose call tasks are all finished is done.
    if (job.task_call_total > 0 && job.completed_task >= job.task_call_total) {
      if (
        !(await hasUnfinishedCallTasks(this.options.database, job.tenant_id, job.id)) &&
        (await this.move(job, 'COMPLETED', now, report))
      )
        return;
    }
    if (!usable && (job.status === 'IN_PROCESS' || job.system_pause_reason !== NO_USABLE_LINE)) {
      const moved = await this.move(job, 'SYSTEM_SUSPENDED', now, report, {
        system_pause_next_start: null,
        system_pause_reason: NO_USABLE_LINE,
      });
      if (moved && job.status === 'IN_PROCESS')
        this.options.log?.info(
          { robotCallJobId: job.id, tenantId: job.tenant_id },
          'job suspended: its caller lines are all disabled',
        );
    }
  }

  /** Ticks every `tickMs` until `stop`. */
  run(): void {
    const every = this.options.tickMs ?? 1000;
    const loop = () => {
      this.counts.ticks++;
      this.ticking = this.tick()
        .catch((error) => {
          this.counts.tickFailures++;
          // Whether the lease is still ours is unknown: found out again on the next tick.
          this.heldUntil = 0;
          this.options.log?.error({ err: error }, 'scheduler tick failed');
        })
        .finally(() => {
          if (this.timer) this.timer = setTimeout(loop, every);
        });
    };
    this.timer = setTimeout(loop, 0);
  }

  stats(): SchedulerStats {
    return { ...this.counts, holder: this.heldUntil > this.clock.now() };
  }

  /** Stops ticking and gives the lease up, so that another process takes the work over at its next tick. */
  async stop(): Promise<void> {
    const timer = this.timer;
    this.timer = undefined;
    clearTimeout(timer);
    await this.ticking;
    if (this.heldUntil > 0) {
      this.heldUntil = 0;
      await releaseSchedulerLease(this.options.database, LEASE, this.holder).catch((error) =>
        this.options.log?.error(
          { err: error },
          'scheduler lease not given up: another process takes it when it lapses',
        ),
      );
    }
  }
}
