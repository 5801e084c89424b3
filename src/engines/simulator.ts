import type { Database } from '../db/database.js';
import type { DialogFlowScript } from '../domain/dialogFlow.js';
import { ServiceError } from '../domain/errors.js';
import {
  type CallReport,
  type ClaimedTask,
  claimCallTasks,
  DEFAULT_LEASE_SETTINGS,
  dialCallTask,
  type Engine,
  heartbeatIntervalOf,
  heartbeatLeases,
  type LeaseSettings,
  releaseLeases,
  reportCallResult,
} from '../services/callLeases.js';
import { type Clock, systemClock, type Telephony } from './telephony.js';

/*
 * The built-in simulator is a call engine like any other, in process: it claims call tasks through
 * the protocol's service (services/callLeases.ts) — only for `simulated` lines and for jobs with no
 * line at all — acknowledges each dial before the call starts, heartbeats its leases while the
 * calls last (a simulated call lasts minutes at DIALER_SPEED=1), and reports each call's facts:
 * the simulated outcome as its hint, the intent level, concerns, transcript and instants. So its
 * calls follow exactly the rules of a real engine's (claim limits, redial, outcome table, write
 * path). It moves no job: the scheduler (scheduler/scheduler.ts) does.
 *
 * Instants are the real ones: at DIALER_SPEED above 1 a call's ring and talk pass faster, and are
 * recorded as they passed (the protocol takes no instant outside the call's real time).
 */

/** The simulator as the protocol sees it: no engine key, every tenant, `simulated` lines. */
export const SIMULATOR: Engine = { engineKeyId: null, name: 'simulator', tenantId: null, kind: 'simulated' };

export interface SimulatorOptions {
  database: Database;
  /** How calls are placed: SimulatedTelephony (a walked conversation, DIALER_SPEED) in production. */
  telephony: Telephony;
  clock?: Clock;
  /** Lease TTL and grace (ENGINE_LEASE_TTL_MS, ENGINE_LEASE_GRACE_MS). */
  settings?: LeaseSettings;
  /** How often `run` claims (default 1 s). */
  tickMs?: number;
  /** The most tasks one tick claims (the simulator's channels are unlimited; each job's concurrency still holds). */
  maxPerTick?: number;
  log?: {
    info(obj: object, msg: string): void;
    error(obj: object, msg: string): void;
    warn?(obj: object, msg: string): void;
  };
}

/** What the simulator is doing, for metrics (outcall_dialer_*). */
export interface SimulatorStats {
  /** Jobs with calls in progress. */
  jobs: number;
  /** Calls placed and not yet reported. */
  callsInFlight: number;
  ticks: number;
  tickFailures: number;
  /** Calls ended at shutdown, their call tasks given back to be dialled again. */
  callsAbandoned: number;
}

export interface TickReport {
  claimed: number;
  /** Jobs this tick could not claim from (logged), when there were any; the others were served. */
  skipped?: { robotCallJobId: number; tenantId: number }[];
}

/** A call in progress: its lease, and how to hang it up (with the reason reported). */
interface LiveCall {
  task: ClaimedTask;
  hangUp: AbortController;
  /** Why it was hung up, once it was: the result's endedBy. */
  endedBy?: 'cancel' | 'shutdown';
}

export class Simulator {
  private readonly clock: Clock;
  private readonly settings: LeaseSettings;
  private readonly calls = new Map<string, LiveCall>();
  private readonly inFlight = new Set<Promise<void>>();
  private timer: NodeJS.Timeout | undefined;
  private heartbeat: NodeJS.Timeout | undefined;
  private ticking: Promise<unknown> | undefined;
  /** Set by `stop`: nothing more is claimed or dialled. */
  private stopping = false;
  private readonly counts = { ticks: 0, tickFailures: 0, callsAbandoned: 0 };

  constructor(private readonly options: SimulatorOptions) {
    this.clock = options.clock ?? systemClock;
    this.settings = options.settings ?? DEFAULT_LEASE_SETTINGS;
  }

  /** Claims what the rules allow now and starts those calls; resolves once they are dialled (not ended). */
  async tick(): Promise<TickReport> {
    if (this.stopping) return { claimed: 0 };
    const { database } = this.options;
    const skipped: TickReport['skipped'] = [];
    const answer = await claimCallTasks(
      database,
      SIMULATOR,
      { max: this.options.maxPerTick ?? 1000 },
      this.settings,
      this.clock.now(),
      (job, error) => {
        skipped.push(job);
        this.jobFailed(job, error);
      },
    );
    this.ensureHeartbeat();
    // All dialled at once: the dials of a tick are acknowledged together (services/writeGroups.ts).
    await Promise.all(
      answer.tasks.map(async (task) => {
        if (this.stopping) {
          // Stopping while this tick claimed: what is not dialled goes back at once.
          await releaseLeases(database, SIMULATOR, [task.leaseId], this.clock.now()).catch(() => undefined);
          return;
        }
        try {
          await dialCallTask(database, SIMULATOR, task.leaseId, this.settings, this.clock.now());
        } catch (error) {
          // Refused (the job was paused, the number listed…): the lease ended and the task is back.
          if (!(error instanceof ServiceError)) throw error;
          this.options.log?.info({ callTaskId: task.callTaskId, reason: error.message }, 'dial refused');
          return;
        }
        const call: LiveCall = { task, hangUp: new AbortController() };
        this.calls.set(task.leaseId, call);
        const placed = this.place(call).finally(() => {
          this.calls.delete(task.leaseId);
          this.inFlight.delete(placed);
        });
        this.inFlight.add(placed);
      }),
    );
    return { claimed: answer.tasks.length, ...(skipped.length > 0 && { skipped }) };
  }

  /** Jobs whose claim failed: the error, and when it was last logged. */
  private readonly failingJobs = new Map<number, { message: string; loggedAt: number }>();

  /** Logs a job's failure when it is new, has changed, or every ten minutes while it lasts. */
  private jobFailed(job: { robotCallJobId: number; tenantId: number }, error: unknown): void {
    const message = error instanceof Error ? error.message : String(error);
    const now = Date.now();
    const last = this.failingJobs.get(job.robotCallJobId);
    if (last && last.message === message && now - last.loggedAt < 10 * 60_000) return;
    this.failingJobs.set(job.robotCallJobId, { message, loggedAt: now });
    this.options.log?.error(
      { err: error, ...job },
      'job skipped: its data makes dialling fail; the other jobs are dialled',
    );
  }

  private async place(call: LiveCall): Promise<void> {
    const { database, telephony } = this.options;
    const { task } = call;
    const dialledAt = this.clock.now();
    let report: CallReport;
    try {
      const outcome = await telephony.dial({
        tenantId: task.tenantId,
        robotCallJobId: task.robotCallJobId,
        callTaskId: task.callTaskId,
        calledPhoneNumber: task.calledPhoneNumber,
        script: task.dialogFlow.script as DialogFlowScript,
        signal: call.hangUp.signal,
      });
      const endAt = this.clock.now();
      const answered = outcome.resultStatus === 'ANSWERED';
      // The call as it would have lasted in real time, ending now (DIALER_SPEED makes it pass
      // faster): the protocol takes the built-in simulator's instants as given.
      const answerAt = endAt - outcome.chatDuration * 1000;
      report = {
        endedBy: answered ? (outcome.turns.at(-1)?.type === 'PERSON' ? 'remote' : 'local') : 'remote',
        resultHint: outcome.resultStatus,
        ringAt: answerAt - outcome.ringSeconds * 1000,
        ...(answered && { answerAt, answeredBy: 'human' as const }),
        endAt,
        turns: outcome.turns,
        intentLevel: outcome.intentLevel,
        customerConcern: outcome.customerConcern,
        analysisBasis: outcome.analysisBasis,
      };
    } catch (error) {
      if (call.endedBy === undefined) {
        this.options.log?.error(
          { err: error, callTaskId: task.callTaskId },
          'simulated call failed: reported as a system error',
        );
        report = { endedBy: 'local', resultHint: 'SYSTEM_ERROR', ringAt: dialledAt, endAt: this.clock.now() };
      } else {
        // Hung up by us before the end (job paused, or shutdown): nothing is recorded, the task goes back.
        if (call.endedBy === 'shutdown') {
          this.counts.callsAbandoned++;
          this.options.log?.info(
            { callTaskId: task.callTaskId },
            'call abandoned at shutdown; its call task is given back',
          );
        }
        report = { endedBy: call.endedBy, ringAt: dialledAt, endAt: this.clock.now() };
      }
    }
    try {
      const log = this.options.log;
      await reportCallResult(database, SIMULATOR, task.leaseId, report, this.clock.now(), {
        settings: this.settings,
        log: log?.warn ? { warn: log.warn.bind(log) } : undefined,
      });
    } catch (error) {
      // The lease ended meanwhile (reaped, cancelled): the protocol decided the call's fate already.
      this.options.log?.error(
        { err: error, callTaskId: task.callTaskId, leaseId: task.leaseId },
        'simulated call not reported: the scheduler records it as lost once its lease runs out',
      );
    }
  }

  /** One heartbeat for every call in progress, every heartbeat interval, while there are calls. */
  private ensureHeartbeat(): void {
    if (this.heartbeat) return;
    const every = heartbeatIntervalOf(this.settings);
    const beat = async () => {
      const live = [...this.calls.values()].filter((c) => c.endedBy === undefined);
      if (live.length === 0) return;
      const answer = await heartbeatLeases(
        this.options.database,
        SIMULATOR,
        live.map((c) => ({ leaseId: c.task.leaseId })),
        this.settings,
        this.clock.now(),
      );
      for (const lease of answer.leases) {
        const call = this.calls.get(lease.leaseId);
        if (!lease.cancel || !call || call.endedBy !== undefined) continue;
        call.endedBy = 'cancel';
        call.hangUp.abort(new Error(lease.reason ?? 'cancelled'));
      }
    };
    const loop = () => {
      void beat()
        .catch((error) => this.options.log?.error({ err: error }, 'simulator heartbeat failed'))
        .finally(() => {
          if (this.heartbeat) this.heartbeat = setTimeout(loop, every);
        });
    };
    this.heartbeat = setTimeout(loop, every);
    this.heartbeat.unref();
  }

  /** Resolves when every call placed so far has been reported. */
  async idle(): Promise<void> {
    while (this.inFlight.size > 0) await Promise.all([...this.inFlight]);
  }

  /** Claims every `tickMs` until `stop`. */
  run(): void {
    const every = this.options.tickMs ?? 1000;
    const loop = () => {
      this.counts.ticks++;
      this.ticking = this.tick()
        .catch((error) => {
          this.counts.tickFailures++;
          this.options.log?.error({ err: error }, 'simulator tick failed');
        })
        .finally(() => {
          if (this.timer) this.timer = setTimeout(loop, every);
        });
    };
    this.timer = setTimeout(loop, 0);
  }

  stats(): SimulatorStats {
    const jobs = new Set([...this.calls.values()].map((c) => c.task.robotCallJobId));
    return { ...this.counts, jobs: jobs.size, callsInFlight: this.inFlight.size };
  }

  /**
   * Stops claiming, and waits for the calls in progress to be reported — for at most
   * `abandonAfterMs` when given: calls still up then are hung up and reported ended by shutdown
   * (nothing recorded, their call tasks due again at once, no redial spent).
   */
  async stop(options: { abandonAfterMs?: number } = {}): Promise<void> {
    this.stopping = true;
    clearTimeout(this.timer);
    this.timer = undefined;
    let deadline: NodeJS.Timeout | undefined;
    if (options.abandonAfterMs !== undefined) {
      deadline = setTimeout(() => {
        for (const call of this.calls.values()) {
          if (call.endedBy !== undefined) continue;
          call.endedBy = 'shutdown';
          call.hangUp.abort(new Error('shutdown'));
        }
      }, options.abandonAfterMs);
    }
    try {
      await this.ticking;
      await this.idle();
    } finally {
      clearTimeout(deadline);
      clearTimeout(this.heartbeat);
      this.heartbeat = undefined;
    }
  }
}
