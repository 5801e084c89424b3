import type { Database } from '../db/database.js';
import { isWithinCallingHours } from '../domain/callingHours.js';
import { scriptOf } from '../domain/dialogFlow.js';
import { claimDueCallTasks, countCallsInFlight, releaseCallTask } from '../repositories/callTasks.js';
import { type JobToDial, listJobsToDial, lockJob } from '../repositories/jobs.js';
import { recordFinishedCalls } from '../services/callResults.js';
import { asFinishedCall } from '../simulator/conversation.js';
import { type Clock, systemClock, type Telephony } from './telephony.js';

/*
 * The dialer dials IN_PROCESS jobs (the scheduler, scheduler/scheduler.ts, moves them through
 * their lifecycle). Each tick it claims due call tasks up to each job's robotCount. Finished calls go through the one write path. Claims are leases: a task claimed by
 * a dialer that died is dialled again once its lease runs out, under the same idempotency key.
 */

export interface DialerOptions {
  database: Database;
  telephony: Telephony;
  clock?: Clock;
  /** How long a claim holds before another dialer may take the task (longer than any call). */
  leaseMs?: number;
  /** How often `run` ticks. */
  tickMs?: number;
  log?: { info(obj: object, msg: string): void; error(obj: object, msg: string): void };
}

/** What the dialer is doing, for metrics. */
export interface DialerStats {
  /** Jobs the last tick looked after (to start, suspend, resume, complete or dial). */
  jobs: number;
  /** Calls placed and not yet recorded. */
  callsInFlight: number;
  ticks: number;
  tickFailures: number;
  /** Calls given up at shutdown, their call tasks released to be dialled again. */
  callsAbandoned: number;
}

export interface TickReport {
  claimed: number;
  /** Jobs this tick could not serve (logged), when there were any; the others were served. */
  skipped?: { robotCallJobId: number; tenantId: number }[];
}

export class Dialer {
  private readonly clock: Clock;
  private readonly inFlight = new Set<Promise<void>>();
  private timer: NodeJS.Timeout | undefined;
  private ticking: Promise<unknown> | undefined;
  /** Set by `stop`: no more call tasks are claimed. */
  private stopping = false;
  /** Aborted when `stop` gives up on the calls in progress. */
  private readonly abandon = new AbortController();
  private readonly counts = { jobs: 0, ticks: 0, tickFailures: 0, callsAbandoned: 0 };

  constructor(private readonly options: DialerOptions) {
    this.clock = options.clock ?? systemClock;
  }

  /** One pass over every job the dialer looks after. */
  async tick(): Promise<TickReport> {
    const { database } = this.options;
    const report: TickReport = { claimed: 0 };
    const jobs = await listJobsToDial(database);
    this.counts.jobs = jobs.length;
    for (const job of jobs) {
      // One job's bad data (a time zone Intl refuses, a count the database refuses…) stays with that
      // job: it is skipped and logged, and every other job is served in this same tick.
      try {
        const now = this.clock.now();
        // Only inside the calling hours: the scheduler suspends the job outside them, but may not have yet.
        const hours = {
          dailyStartTime: job.daily_start_time,
          dailyEndTime: job.daily_end_time,
          inactiveTimeList: job.inactive_time_list,
        };
        if (job.status === 'IN_PROCESS' && isWithinCallingHours(hours, now, job.time_zone))
          report.claimed += await this.dialDueTasks(job, now);
        if (this.failingJobs.delete(job.id))
          this.options.log?.info({ robotCallJobId: job.id, tenantId: job.tenant_id }, 'job is dialled again');
      } catch (error) {
        report.skipped = [...(report.skipped ?? []), { robotCallJobId: job.id, tenantId: job.tenant_id }];
        this.jobFailed(job, error);
      }
    }
    return report;
  }

  /** Jobs whose last tick failed: the error, and when it was last logged. */
  private readonly failingJobs = new Map<number, { message: string; loggedAt: number }>();

  /** Logs a job's failure when it is new, has changed, or every ten minutes while it lasts. */
  private jobFailed(job: JobToDial, error: unknown): void {
    const message = error instanceof Error ? error.message : String(error);
    const now = Date.now();
    const last = this.failingJobs.get(job.id);
    if (last && last.message === message && now - last.loggedAt < 10 * 60_000) return;
    this.failingJobs.set(job.id, { message, loggedAt: now });
    this.options.log?.error(
      { err: error, robotCallJobId: job.id, tenantId: job.tenant_id },
      'job skipped: its data makes dialling fail; the other jobs are dialled',
    );
  }

  private async dialDueTasks(job: JobToDial, now: number): Promise<number> {
    const { database } = this.options;
    if (this.stopping) return 0;
    const lease = this.options.leaseMs ?? 15 * 60_000;
    const claimed = await database.transaction(async (trx) => {
      await lockJob(trx, job.tenant_id, job.id);
      const free = job.robot_count - (await countCallsInFlight(trx, job.tenant_id, job.id, now));
      return free > 0 ? claimDueCallTasks(trx, job.tenant_id, job.id, free, now, now + lease) : [];
    });
    const script = scriptOf(job.definition);
    for (const task of claimed) {
      const call = this.placeCall(job, task, script).finally(() => this.inFlight.delete(call));
      this.inFlight.add(call);
    }
    return claimed.length;
  }

  private async placeCall(
    job: JobToDial,
    task: { id: number; called_phone_number: string; attempts: number },
    script: ReturnType<typeof scriptOf>,
  ) {
    const { database, telephony } = this.options;
    try {
      const outcome = await telephony.dial({
        tenantId: job.tenant_id,
        robotCallJobId: job.id,
        callTaskId: task.id,
        calledPhoneNumber: task.called_phone_number,
        script,
        signal: this.abandon.signal,
      });
      // The call is recorded as having just ended.
      const endedAt = this.clock.now();
      const call = asFinishedCall(outcome, {
        idempotencyKey: `dial-${task.id}-${task.attempts + 1}`,
        robotCallJobId: job.id,
        callTaskId: task.id,
        calledPhoneNumber: task.called_phone_number,
        phoneLineId: null,
        dialledAt: endedAt - (outcome.ringSeconds + outcome.chatDuration) * 1000,
      });
      await recordFinishedCalls(database, job.tenant_id, [call], endedAt);
    } catch (error) {
      if (this.abandon.signal.aborted) {
        // Shutting down: nothing was recorded; the task is due again at once, for the next start
        // or another dialer, under the same idempotency key (attempts did not change).
        this.counts.callsAbandoned++;
        this.options.log?.info({ callTaskId: task.id }, 'call abandoned at shutdown; its call task is released');
        await releaseCallTask(database, job.tenant_id, task.id, this.clock.now()).catch((e) =>
          this.options.log?.error(
            { err: e, callTaskId: task.id },
            'call task not released: dialled again when its claim runs out',
          ),
        );
        return;
      }
      this.options.log?.error(
        { err: error, callTaskId: task.id },
        'call could not be placed or recorded; retrying in a minute',
      );
      await releaseCallTask(database, job.tenant_id, task.id, this.clock.now() + 60_000).catch(() => undefined);
    }
  }

  /** Resolves when every call placed so far has been recorded. */
  async idle(): Promise<void> {
    while (this.inFlight.size > 0) await Promise.all([...this.inFlight]);
  }

  /** Ticks every `tickMs` until `stop`. */
  run(): void {
    const every = this.options.tickMs ?? 1000;
    const loop = () => {
      this.counts.ticks++;
      this.ticking = this.tick()
        .catch((error) => {
          this.counts.tickFailures++;
          this.options.log?.error({ err: error }, 'dialer tick failed');
        })
        .finally(() => {
          if (this.timer) this.timer = setTimeout(loop, every);
        });
    };
    this.timer = setTimeout(loop, 0);
  }

  stats(): DialerStats {
    return { ...this.counts, callsInFlight: this.inFlight.size };
  }

  /**
   * Stops ticking and claiming, and waits for the calls in progress to be recorded — for at most
   * `abandonAfterMs` when given: calls still ringing or talking then are abandoned and their call
   * tasks released (a call whose recording has begun is recorded).
   */
  async stop(options: { abandonAfterMs?: number } = {}): Promise<void> {
    this.stopping = true;
    const timer = this.timer;
    this.timer = undefined;
    clearTimeout(timer);
    let deadline: NodeJS.Timeout | undefined;
    if (options.abandonAfterMs !== undefined) {
      deadline = setTimeout(() => this.abandon.abort(), options.abandonAfterMs);
    }
    try {
      await this.ticking;
      await this.idle();
    } finally {
      clearTimeout(deadline);
    }
  }
}
