import { randomUUID } from 'node:crypto';
import { setMaxListeners } from 'node:events';
import type { Config } from '../config.js';
import type { Database } from '../db/database.js';
import type { MetricSource } from '../http/probes.js';
import {
  claimCallbackEvents,
  countPendingCallbacks,
  findDueCallbackEvents,
  findDueCallbackEventsOfTenant,
  insertCallbackAttempts,
  markCallbackFailedAttempt,
  markCallbacksDelivered,
  type NewCallbackAttempt,
  releaseCallbackClaims,
} from '../repositories/callbacks.js';
import {
  callbackSecretContext,
  callbackSecretOf,
  expandCallbackBatches,
  nextAttemptAt,
  onCallbacksDue,
  purgeCallbacks,
} from '../services/callbacks.js';
import { decryptSecret } from '../services/secrets.js';
import { type DeliveryOptions, type DeliveryResult, deliver } from './delivery.js';

/*
 * The dispatcher delivers the outbox (callback_event). It runs inside `serve` and as
 * `outcall dispatcher`; any number of them may share one database:
 * - a claim takes due rows in one write transaction and marks them with this dispatcher's id and
 *   a lease (claimed_until). On PostgreSQL the rows are read FOR UPDATE SKIP LOCKED, so
 *   dispatchers claiming together take different rows; on SQLite the transaction holds the file's
 *   write lock, so one process claims at a time. A dispatcher that dies leaves its claims to run
 *   out: the rows are then due again and another dispatcher takes them (the receiver may then get
 *   an event twice — the event id tells).
 * - deliveries run concurrently, at most `concurrency` at once and `perTenant` per tenant; a
 *   claim skips tenants at their cap, so a receiver that hangs holds its own tenant's slots (for at
 *   most the timeout) and never another tenant's.
 * - two kinds of claim, both in one transaction: a tenant whose delivery just ended gets its freed
 *   slots refilled from its own queue (index callback_event_tenant_due: the cost is the rows
 *   taken), and the whole outbox is scanned (oldest due first, tenants at their cap skipped) only
 *   when something new may be due — events written or redelivered in this process, the poll
 *   interval passed, or the last scan filled every slot. A scan skips the rows of tenants at their
 *   cap one by one, so it must not run once per delivery: with a large backlog that was most of the
 *   dispatcher's time.
 * - a recording transaction writes its calls' events as one callback_batch row (migration 0018);
 *   before a scan, the dispatcher expands pending batches into callback_event rows in a transaction
 *   of its own (PostgreSQL: batch rows locked with SKIP LOCKED, so each is expanded once).
 * - outcomes are written in batches (one transaction per batch, with their delivery-log rows), and
 *   only while the claim is still this dispatcher's.
 */

export interface DispatcherSettings extends DeliveryOptions {
  /** Deliveries at once, in all. */
  concurrency: number;
  /** Deliveries at once per tenant. */
  perTenant: number;
  /** The retry schedule's unit: attempts follow failures after 1, 2, 4 … units (one minute). */
  retryUnitMs: number;
  /** How long delivered (and failed) events are kept. */
  retentionDays: number;
  failedRetentionDays: number;
  /** How often the outbox is looked at when there is nothing to do (a nudge looks at once). */
  pollMs?: number;
}

export interface DispatcherOptions {
  database: Database;
  settings: DispatcherSettings;
  now?: () => number;
  log?: {
    info(obj: object, msg: string): void;
    error(obj: object, msg: string): void;
    warn?(obj: object, msg: string): void;
  };
}

export interface DispatcherStats {
  inFlight: number;
  pending: number;
  due: number;
  delivered: number;
  failedAttempts: number;
  failed: number;
  refused: number;
  claims: number;
  errors: number;
}

interface Claimed {
  id: number;
  tenant_id: number;
  event_id: string;
  data_type: string;
  payload: string;
  attempts: number;
  cycle_attempts: number;
  cycle_started_at: number;
  callback_url: string | null;
  callback_secret: string | null;
}

interface Outcome {
  event: Claimed;
  result: DeliveryResult;
  startedAt: number;
}

export class CallbackDispatcher {
  /** Names this dispatcher's claims. */
  readonly id = `dispatcher-${randomUUID()}`;
  private readonly now: () => number;
  private readonly inFlight = new Map<number, Promise<void>>();
  private readonly perTenant = new Map<number, number>();
  private readonly outcomes: Outcome[] = [];
  private flushing: Promise<void> = Promise.resolve();
  private flushTimer: NodeJS.Timeout | undefined;
  private running = false;
  private loopDone: Promise<void> | undefined;
  private wake: (() => void) | undefined;
  private wakeScheduled = false;
  /** Tenants whose deliveries ended since the last claim: their freed slots are refilled. */
  private readonly refill = new Set<number>();
  /** Whether the next claim scans the whole outbox (something new may be due). */
  private scanWanted = true;
  /** Whether batches may be waiting for expansion (events written here or, at the poll, elsewhere). */
  private expandWanted = true;
  private readonly abort = new AbortController();
  private readonly secrets = new Map<number, { stored: string; secret: string }>();
  private readonly counts = { delivered: 0, failedAttempts: 0, failed: 0, refused: 0, claims: 0, errors: 0 };
  private queue = { pending: 0, due: 0 };
  private timers: NodeJS.Timeout[] = [];
  private unsubscribe: (() => void) | undefined;
  /** Errors logged lately, by message: one line per minute each, not one per event. */
  private readonly logged = new Map<string, number>();

  constructor(private readonly options: DispatcherOptions) {
    this.now = options.now ?? Date.now;
    // Every delivery in flight listens for the shutdown; there may be thousands.
    setMaxListeners(0, this.abort.signal);
  }

  get settings(): DispatcherSettings {
    return this.options.settings;
  }

  /** Starts delivering until `stop`. */
  start(): void {
    if (this.running) return;
    this.running = true;
    this.unsubscribe = onCallbacksDue(() => {
      this.scanWanted = true;
      this.expandWanted = true;
      this.nudge();
    });
    this.loopDone = this.loop();
    const every = (ms: number, work: () => Promise<unknown>) => {
      const tick = () => {
        work()
          .catch((error) => this.logError(error, 'callback housekeeping failed'))
          .finally(() => {
            if (this.running) this.timers.push(setTimeout(tick, ms).unref());
          });
      };
      this.timers.push(setTimeout(tick, 0).unref());
    };
    every(5000, () => this.refreshQueueDepth());
    every(3_600_000, () => this.purge());
  }

  /** Looks at the outbox now (an event was just written or made due). */
  nudge(): void {
    if (this.wakeScheduled || !this.wake) return;
    this.wakeScheduled = true;
    setImmediate(() => {
      this.wakeScheduled = false;
      const w = this.wake;
      this.wake = undefined;
      w?.();
    });
  }

  /**
   * Stops claiming, waits for the deliveries in progress (at most `abandonAfterMs`, after which
   * they are abandoned and their events made due again at once), and writes every outcome.
   */
  async stop(options: { abandonAfterMs?: number } = {}): Promise<void> {
    if (!this.running) return;
    this.running = false;
    this.unsubscribe?.();
    for (const t of this.timers) clearTimeout(t);
    this.wake?.();
    await this.loopDone;
    const deadline =
      options.abandonAfterMs === undefined
        ? undefined
        : setTimeout(() => this.abort.abort(), Math.max(0, options.abandonAfterMs));
    try {
      await Promise.all([...this.inFlight.values()]);
    } finally {
      clearTimeout(deadline);
    }
    await this.flush();
  }

  stats(): DispatcherStats {
    return { inFlight: this.inFlight.size, ...this.queue, ...this.counts };
  }

  /** Resolves once nothing is in flight and every outcome is written (tests, the benchmark). */
  async idle(): Promise<void> {
    while (this.inFlight.size > 0) await Promise.all([...this.inFlight.values()]);
    await this.flush();
  }

  private async loop(): Promise<void> {
    const pollMs = this.settings.pollMs ?? 250;
    while (this.running) {
      let claimed = 0;
      try {
        claimed = await this.claimDue();
      } catch (error) {
        this.counts.errors++;
        this.logError(error, 'callback claim failed; trying again');
      }
      if (!this.running) break;
      // Deliveries that ended during the claim have their slots refilled at once.
      if ((claimed > 0 || this.refill.size > 0) && this.inFlight.size < this.settings.concurrency) continue;
      await new Promise<void>((resolve) => {
        const timer = setTimeout(() => {
          this.wake = undefined;
          // Retries may have come due meanwhile, or another process wrote events.
          this.scanWanted = true;
          this.expandWanted = true;
          resolve();
        }, pollMs);
        this.wake = () => {
          clearTimeout(timer);
          resolve();
        };
      });
    }
  }

  /** Claims due events for the free slots (scanning the whole outbox) and starts delivering them; returns how many. */
  claim(): Promise<number> {
    this.scanWanted = true;
    this.expandWanted = true;
    return this.claimDue();
  }

  /** Refills the slots of tenants whose deliveries ended and, when wanted, scans the outbox. */
  private async claimDue(): Promise<number> {
    const { concurrency, perTenant } = this.settings;
    const free = concurrency - this.inFlight.size;
    if (free <= 0) return 0;
    const room = (tenantId: number) => perTenant - (this.perTenant.get(tenantId) ?? 0);
    const refill = [...this.refill].filter((t) => room(t) > 0);
    this.refill.clear();
    const scan = this.scanWanted;
    this.scanWanted = false;
    if (refill.length === 0 && !scan) return 0;
    if (scan && this.expandWanted) {
      // New events may wait in batches (one row per recording transaction): into the outbox first.
      // Only when some may have been written: not at every scan of a long backlog.
      this.expandWanted = false;
      const expanded = await expandCallbackBatches(this.options.database);
      // More batches than one expansion takes: the next claim expands (and scans) again.
      if (expanded.more) this.scanWanted = this.expandWanted = true;
    }
    const now = this.now();
    // Longer than any attempt plus the wait for its outcome to be written.
    const lease = this.settings.timeoutMs * 2 + 30_000;
    const claimed = await this.options.database.transaction(async (trx) => {
      const chosen: number[] = [];
      const taken = new Map<number, number>();
      const take = (row: { id: number; tenant_id: number }) => {
        const n = taken.get(row.tenant_id) ?? 0;
        if (chosen.length >= free || n >= room(row.tenant_id)) return;
        taken.set(row.tenant_id, n + 1);
        chosen.push(row.id);
      };
      for (const [i, tenantId] of refill.entries()) {
        const limit = Math.min(room(tenantId), free - chosen.length);
        if (limit <= 0) {
          // No slot left: the rest wait for the next claim.
          for (const t of refill.slice(i)) this.refill.add(t);
          break;
        }
        for (const row of await findDueCallbackEventsOfTenant(trx, tenantId, now, limit)) take(row);
      }
      if (scan && chosen.length < free) {
        // A refilled tenant is now at its cap or has nothing more due: the scan skips it too.
        const skip = new Set(refill);
        for (const [t] of this.perTenant) if (room(t) <= 0) skip.add(t);
        const limit = Math.min((free - chosen.length) * 2, 1000);
        const due = await findDueCallbackEvents(trx, now, limit, [...skip]);
        const before = chosen.length;
        for (const row of due) take(row);
        // A full page: more may be due, so the next claim scans again.
        if (due.length === limit && chosen.length > before) this.scanWanted = true;
      }
      return claimCallbackEvents(trx, chosen, this.id, now + lease);
    });
    if (claimed.length > 0) this.counts.claims++;
    for (const event of claimed) {
      this.perTenant.set(event.tenant_id, (this.perTenant.get(event.tenant_id) ?? 0) + 1);
      const work = this.attempt(event).finally(() => {
        this.inFlight.delete(event.id);
        const n = (this.perTenant.get(event.tenant_id) ?? 1) - 1;
        if (n <= 0) this.perTenant.delete(event.tenant_id);
        else this.perTenant.set(event.tenant_id, n);
        this.refill.add(event.tenant_id);
        this.nudge();
      });
      this.inFlight.set(event.id, work);
    }
    return claimed.length;
  }

  private async attempt(event: Claimed): Promise<void> {
    const startedAt = this.now();
    let result: DeliveryResult;
    try {
      if (!event.callback_url) {
        result = { delivered: false, status: null, error: 'the tenant has no callback URL', durationMs: 0 };
      } else {
        result = await deliver(
          {
            url: event.callback_url,
            eventId: event.event_id,
            tenantId: event.tenant_id,
            body: event.payload,
            secret: await this.secretOf(event),
            timestamp: Math.floor(Date.now() / 1000),
            signal: this.abort.signal,
          },
          this.settings,
        );
      }
    } catch (error) {
      result = { delivered: false, status: null, error: (error as Error).message, durationMs: 0 };
    }
    if (this.abort.signal.aborted && !result.delivered) {
      // Abandoned at shutdown: not an attempt; due again at once, here or elsewhere.
      await releaseCallbackClaims(this.options.database, this.id, [event.id]).catch(() => undefined);
      return;
    }
    this.outcomes.push({ event, result, startedAt });
    if (this.outcomes.length >= 200) void this.flush();
    else this.flushTimer ??= setTimeout(() => void this.flush(), 5);
  }

  private async secretOf(event: Claimed): Promise<string> {
    const stored = event.callback_secret;
    const cached = this.secrets.get(event.tenant_id);
    if (stored && cached?.stored === stored) return cached.secret;
    if (!stored) return callbackSecretOf(this.options.database, event.tenant_id);
    const secret = decryptSecret(stored, callbackSecretContext(event.tenant_id));
    this.secrets.set(event.tenant_id, { stored, secret });
    return secret;
  }

  /** Writes the outcomes gathered so far, in one transaction; one flush at a time. */
  flush(): Promise<void> {
    clearTimeout(this.flushTimer);
    this.flushTimer = undefined;
    this.flushing = this.flushing.then(async () => {
      const batch = this.outcomes.splice(0);
      if (batch.length === 0) return;
      try {
        await this.write(batch);
      } catch (error) {
        // The claims stay until their lease ends; the events are then attempted again.
        this.counts.errors++;
        this.logError(error, 'callback outcomes not written; the events will be attempted again');
      }
    });
    return this.flushing;
  }

  private async write(batch: Outcome[]): Promise<void> {
    const unit = this.settings.retryUnitMs;
    const attempts: NewCallbackAttempt[] = [];
    const deliveredByStatus = new Map<number, number[]>();
    const failures: Parameters<typeof markCallbackFailedAttempt>[2][] = [];
    const at = this.now();
    for (const { event, result, startedAt } of batch) {
      const attempt = event.cycle_attempts + 1;
      attempts.push({
        callback_event_id: event.id,
        tenant_id: event.tenant_id,
        // Numbered over every schedule: a redelivery's attempts follow the earlier ones in the log.
        attempt: event.attempts + 1,
        started_at: startedAt,
        duration_ms: Math.round(result.durationMs),
        http_status: result.status,
        error: result.error?.slice(0, 500) ?? null,
      });
      if (result.delivered) {
        const ids = deliveredByStatus.get(result.status ?? 200) ?? [];
        ids.push(event.id);
        deliveredByStatus.set(result.status ?? 200, ids);
        this.counts.delivered++;
        continue;
      }
      this.counts.failedAttempts++;
      if (result.error?.startsWith('refused:')) this.counts.refused++;
      const next = nextAttemptAt(attempt, startedAt, event.cycle_started_at, unit);
      if (next === undefined) this.counts.failed++;
      failures.push({
        id: event.id,
        state: next === undefined ? 'FAILED' : 'PENDING',
        nextAttemptAt: next ?? at,
        at: startedAt,
        status: result.status,
        error: result.error?.slice(0, 500) ?? null,
      });
      if (next === undefined)
        this.logOnce(
          `gave up ${event.tenant_id}`,
          { tenantId: event.tenant_id, eventId: event.event_id, error: result.error },
          'callback failed for good after its last attempt',
        );
      else
        this.logOnce(
          `failed ${event.tenant_id}`,
          { tenantId: event.tenant_id, error: result.error },
          'callback attempt failed; it will be retried',
        );
    }
    await this.options.database.transaction(async (trx) => {
      for (const [status, ids] of deliveredByStatus) await markCallbacksDelivered(trx, this.id, ids, status, at);
      for (const f of failures) await markCallbackFailedAttempt(trx, this.id, f);
      await insertCallbackAttempts(trx, attempts);
    });
  }

  private async refreshQueueDepth(): Promise<void> {
    this.queue = await countPendingCallbacks(this.options.database, this.now());
  }

  private async purge(): Promise<void> {
    const removed = await purgeCallbacks(
      this.options.database,
      { deliveredDays: this.settings.retentionDays, failedDays: this.settings.failedRetentionDays },
      this.now(),
    );
    if (removed > 0) this.options.log?.info({ removed }, 'purged old callback events');
  }

  private logError(error: unknown, message: string): void {
    this.logOnce(message, { err: error }, message, 'error');
  }

  private logOnce(key: string, obj: object, message: string, level: 'info' | 'error' | 'warn' = 'warn'): void {
    const now = Date.now();
    const last = this.logged.get(key);
    if (last !== undefined && now - last < 60_000) return;
    this.logged.set(key, now);
    if (this.logged.size > 10_000) this.logged.clear();
    const log = this.options.log;
    if (!log) return;
    if (level === 'warn' && log.warn) log.warn(obj, message);
    else if (level === 'error') log.error(obj, message);
    else log.info(obj, message);
  }
}

/** The dispatcher's figures for /metrics. */
export function callbackMetrics(dispatcher: { stats(): DispatcherStats }): MetricSource {
  return {
    prefix: 'outcall_callbacks',
    metrics: {
      pending: { help: 'Callback events waiting for delivery (the queue depth; refreshed every 5 s)', type: 'gauge' },
      due: { help: 'Pending callback events whose attempt is due now', type: 'gauge' },
      in_flight: { help: 'Deliveries in progress in this process', type: 'gauge' },
      delivered_total: { help: 'Events delivered (answered 2xx "success")', type: 'counter' },
      failed_attempts_total: { help: 'Attempts that failed (retried, or given up)', type: 'counter' },
      failed_total: { help: 'Events given up after their last attempt', type: 'counter' },
      refused_total: { help: 'Attempts refused by the private-network rule', type: 'counter' },
      errors_total: { help: 'Claims or outcome writes that failed (logged)', type: 'counter' },
    },
    read: () => {
      const s = dispatcher.stats();
      return {
        pending: s.pending,
        due: s.due,
        in_flight: s.inFlight,
        delivered_total: s.delivered,
        failed_attempts_total: s.failedAttempts,
        failed_total: s.failed,
        refused_total: s.refused,
        errors_total: s.errors,
      };
    },
  };
}

/** The dispatcher's settings from the configuration. */
export function dispatcherSettings(
  config: Pick<
    Config,
    | 'callbackAllowPrivateNetworks'
    | 'callbackRetentionDays'
    | 'callbackFailedRetentionDays'
    | 'callbackRetryUnitMs'
    | 'callbackConnectTimeoutMs'
    | 'callbackTimeoutMs'
    | 'callbackConcurrency'
    | 'callbackConcurrencyPerTenant'
    | 'callbackDnsServers'
  >,
  allowedUrls: Iterable<string> = [],
): DispatcherSettings {
  return {
    concurrency: config.callbackConcurrency,
    perTenant: config.callbackConcurrencyPerTenant,
    retryUnitMs: config.callbackRetryUnitMs,
    retentionDays: config.callbackRetentionDays,
    failedRetentionDays: config.callbackFailedRetentionDays,
    connectTimeoutMs: config.callbackConnectTimeoutMs,
    timeoutMs: config.callbackTimeoutMs,
    allowPrivateNetworks: config.callbackAllowPrivateNetworks,
    allowedUrls: new Set(allowedUrls),
    dnsServers: config.callbackDnsServers,
  };
}

/** A dispatcher from the configuration, delivering until stopped. */
export function startDispatcher(
  database: Database,
  config: Config,
  log: DispatcherOptions['log'],
  allowedUrls: Iterable<string> = [],
): CallbackDispatcher {
  const dispatcher = new CallbackDispatcher({ database, settings: dispatcherSettings(config, allowedUrls), log });
  dispatcher.start();
  return dispatcher;
}
