import { setMaxListeners } from 'node:events';
import { scriptOf } from '../../domain/dialogFlow.js';
import type {
  AnnouncementsResult,
  ClaimBody,
  ClaimedTask,
  ClaimResult,
  DialResult,
  HeartbeatBody,
  HeartbeatResult,
  ReleaseResult,
  ResultBody,
  ResultResult,
} from '../../schemas/engine.js';
import { type Announcement, classify, fingerprintG711 } from './fingerprint.js';
import type { G711Codec } from './g711.js';
import { speak } from './tts.js';
import type { CallOutcome, CallPhase, OutgoingCall, SipUserAgent } from './userAgent.js';

/*
 * `outcall engine sip`: claims call tasks of external lines through the engine protocol
 * (/engine/v1/) and places each through its line's SIP trunk. Per call: synthesize the flow's
 * opening and closing lines (cached), wait for its turn under the engine's calls per second, `dial`
 * (outcall may still refuse: job paused, number on the do-not-call list), INVITE; on answer play
 * the opening line, then the closing line, then BYE. It reports what the signalling said and the
 * robot's lines it spoke; outcall derives the result (src/domain/callOutcome.ts). It does not
 * converse: that is for voice-agent engines speaking the same protocol.
 *
 * The line's channels and calls per second are enforced by outcall's claim (a claim never returns
 * more than the line may take); the engine adds its own ceiling (`channels`, `callsPerSecond`).
 */

/** The protocol calls the engine makes (the SDK's EngineClient has them). */
export interface EngineApi {
  claim(body: ClaimBody, options?: { signal?: AbortSignal }): Promise<ClaimResult>;
  dial(leaseId: string): Promise<DialResult>;
  release(leaseIds: string[]): Promise<ReleaseResult>;
  heartbeat(leases: HeartbeatBody['leases']): Promise<HeartbeatResult>;
  result(body: ResultBody): Promise<ResultResult>;
  /** The tenants' own announcement clips (optional: without it, the built-in library serves every tenant). */
  announcements?(): Promise<AnnouncementsResult>;
}

export interface SipEngineOptions {
  api: EngineApi;
  agent: SipUserAgent;
  /** The data folder: speech is cached in its `tts/`. */
  dataDir: string;
  /** The caller lines to serve; omitted: every external line the key may dial. */
  lines?: number[];
  /** Calls at once, this engine's ceiling (each line's channels apply too). */
  channels: number;
  /** New INVITEs per second, this engine's ceiling. */
  callsPerSecond: number;
  /** A claim's long-poll wait (default 25 s). */
  claimWaitMs?: number;
  /** Seconds of early media kept for the fingerprint (default 4). */
  earlyMediaSeconds?: number;
  /** The announcements early media is compared with, for a tenant that stored none of its own. */
  library?: readonly Announcement[];
  /** How often the tenants' own clips are loaded again (default 5 minutes; they are loaded at start). */
  announcementRefreshMs?: number;
  /** One line per call and per problem. */
  log?: (line: string) => void;
}

type LeaseState = 'claimed' | 'dialling' | 'dialled' | 'released';

interface Lease {
  task: ClaimedTask;
  state: LeaseState;
  phase?: CallPhase;
  call?: OutgoingCall;
  cancelled: boolean;
}

/** The callee's number with its middle hidden, for logs: 138****0486. */
export function maskNumber(number: string): string {
  return number.length > 7 ? `${number.slice(0, 3)}****${number.slice(-4)}` : '****';
}

/** `${name}` variables of a line filled from the customer (its name, then its properties); unknown ones stay. */
export function fillVariables(text: string, customer: ClaimedTask['customer']): string {
  return text.replace(/\$\{([^{}$]*)\}/g, (whole, raw: string) => {
    const name = raw.trim();
    if (name === '姓名' || name === 'name') return customer.name;
    const value = customer.properties[name];
    return typeof value === 'string' || typeof value === 'number' ? String(value) : whole;
  });
}

/** The request URI and From host of a call to `number` through a trunk URI (`sip:host[:port][;params]`). */
export function trunkTarget(
  sipUri: string,
  number: string,
  transport: string,
): { requestUri: string; fromHost: string } {
  const hostPort = sipUri
    .replace(/^sips?:/i, '')
    .replace(/^[^@]*@/, '')
    .replace(/[;?].*$/, '');
  const fromHost = hostPort.startsWith('[') ? hostPort.slice(0, hostPort.indexOf(']') + 1) : hostPort.split(':')[0]!;
  const tcp = transport.toLowerCase() === 'tcp' ? ';transport=tcp' : '';
  return { requestUri: `sip:${number}@${hostPort}${tcp}`, fromHost };
}

/** Waits `ms`, or less when `signal` aborts; its abort listener goes with the wait (they would pile up on the engine's one signal). */
const sleep = (ms: number, signal?: AbortSignal) =>
  new Promise<void>((resolve) => {
    const done = () => {
      clearTimeout(timer);
      signal?.removeEventListener('abort', done);
      resolve();
    };
    const timer = setTimeout(done, ms);
    signal?.addEventListener('abort', done, { once: true });
  });

export class SipEngine {
  private readonly leases = new Map<string, Lease>();
  private readonly work = new Set<Promise<void>>();
  private running = false;
  private closed = false;
  private readonly stopping = new AbortController();
  private heartbeatIntervalMs = 5000;
  private heartbeatTimer: NodeJS.Timeout | undefined;
  /** Moves on when the heartbeat is rescheduled: a heartbeat of an older schedule schedules no next. */
  private heartbeatSchedule = 0;
  private nextInviteAt = 0;
  private slotFreed: (() => void) | undefined;
  /** Each tenant's own announcement library, by tenant id (loaded from /engine/v1/announcements). */
  private tenantLibraries = new Map<number, Announcement[]>();
  private refreshTimer: NodeJS.Timeout | undefined;
  /** Calls placed, answered, and ended by each SIP code. */
  readonly counters = { calls: 0, answered: 0, bySipCode: new Map<string, number>() };

  constructor(private readonly options: SipEngineOptions) {
    // Every call waiting for its turn to dial (pacing) listens for the stop: hundreds at once is normal.
    setMaxListeners(0, this.stopping.signal);
  }

  private log(line: string): void {
    this.options.log?.(line);
  }

  /** Claims and calls until `stop()`; resolves when stopped. */
  async run(): Promise<void> {
    this.running = true;
    this.scheduleHeartbeat();
    await this.loadAnnouncements();
    this.scheduleAnnouncementRefresh();
    const { api, channels, lines, claimWaitMs } = this.options;
    while (this.running) {
      const free = channels - this.leases.size;
      if (free <= 0) {
        await new Promise<void>((resolve) => {
          this.slotFreed = resolve;
        });
        continue;
      }
      let claim: ClaimResult;
      try {
        claim = await api.claim(
          { ...(lines ? { lines } : {}), max: Math.min(100, free), waitMs: claimWaitMs ?? 25_000 },
          { signal: this.stopping.signal },
        );
      } catch (error) {
        if (!this.running) break;
        this.log(`claim failed: ${(error as Error).message}; retrying in 2 s`);
        await sleep(2000, this.stopping.signal);
        continue;
      }
      // A shorter interval than the one waited on (the first claim's, say) applies now: the leases
      // just claimed would otherwise lapse before the next heartbeat while their calls are prepared.
      const sooner = claim.heartbeatIntervalMs < this.heartbeatIntervalMs;
      this.heartbeatIntervalMs = claim.heartbeatIntervalMs;
      if (sooner && !this.closed) {
        clearTimeout(this.heartbeatTimer);
        this.heartbeatSchedule++;
        this.scheduleHeartbeat();
      }
      for (const task of claim.tasks) {
        const lease: Lease = { task, state: 'claimed', cancelled: false };
        this.leases.set(task.leaseId, lease);
        if (!this.running) continue;
        this.track(this.handle(lease));
      }
      // Claimed after stop() began: given back at once.
      if (!this.running) await this.releaseUndialled();
    }
    await this.finished;
  }

  private finished: Promise<void> = Promise.resolve();

  /**
   * Loads the tenants' own announcement clips; a tenant with none keeps the built-in library. A
   * failed load keeps what was loaded before (logged): early media is then judged by older clips.
   */
  async loadAnnouncements(): Promise<void> {
    const { api } = this.options;
    if (!api.announcements) return;
    try {
      const { announcements } = await api.announcements();
      const libraries = new Map<number, Announcement[]>();
      for (const clip of announcements) {
        const library = libraries.get(clip.tenantId) ?? [];
        library.push({
          class: clip.class,
          name: clip.name,
          fingerprint: fingerprintG711(clip.codec, Buffer.from(clip.audio, 'base64')),
        });
        libraries.set(clip.tenantId, library);
      }
      this.tenantLibraries = libraries;
      this.log(
        `announcements: ${announcements.length} clip(s) of ${libraries.size} tenant(s); others: the built-in library`,
      );
    } catch (error) {
      this.log(`loading announcements failed: ${(error as Error).message}; keeping the library loaded before`);
    }
  }

  /** The library early media of a tenant's call is compared with. */
  libraryOf(tenantId: number): readonly Announcement[] | undefined {
    return this.tenantLibraries.get(tenantId) ?? this.options.library;
  }

  private scheduleAnnouncementRefresh(): void {
    if (!this.options.api.announcements) return;
    this.refreshTimer = setTimeout(async () => {
      if (!this.running) return;
      await this.loadAnnouncements();
      if (this.running) this.scheduleAnnouncementRefresh();
    }, this.options.announcementRefreshMs ?? 300_000);
    this.refreshTimer.unref?.();
  }

  private track(work: Promise<void>): void {
    const tracked = work.catch((error) => this.log(`call failed: ${(error as Error).message}`));
    this.work.add(tracked);
    void tracked.finally(() => this.work.delete(tracked));
  }

  /**
   * SIGTERM: stop claiming, give back what is not dialled, end calls in flight (CANCEL or BYE,
   * endedBy shutdown), and wait for their results to be reported, within `timeoutMs`.
   */
  async stop(timeoutMs = 10_000): Promise<void> {
    if (!this.running) return;
    this.running = false;
    clearTimeout(this.refreshTimer);
    this.stopping.abort();
    this.slotFreed?.();
    const deadline = Date.now() + timeoutMs;
    this.finished = (async () => {
      await this.releaseUndialled();
      for (const lease of this.leases.values()) if (lease.state === 'dialled') lease.call?.end('shutdown');
      await Promise.race([Promise.allSettled([...this.work]), sleep(Math.max(0, deadline - Date.now()))]);
      this.closed = true;
      clearTimeout(this.heartbeatTimer);
    })();
    await this.finished;
  }

  private async releaseUndialled(): Promise<void> {
    const undialled = [...this.leases.values()].filter((lease) => lease.state === 'claimed');
    if (undialled.length === 0) return;
    for (const lease of undialled) {
      lease.state = 'released';
      this.leases.delete(lease.task.leaseId);
    }
    try {
      await this.options.api.release(undialled.map((lease) => lease.task.leaseId));
    } catch (error) {
      // The leases lapse on their own after their TTL: the tasks come back then.
      this.log(`release failed: ${(error as Error).message}`);
    }
  }

  private scheduleHeartbeat(): void {
    const schedule = this.heartbeatSchedule;
    this.heartbeatTimer = setTimeout(async () => {
      await this.heartbeat();
      if (!this.closed && schedule === this.heartbeatSchedule) this.scheduleHeartbeat();
    }, this.heartbeatIntervalMs);
  }

  private async heartbeat(): Promise<void> {
    const live = [...this.leases.values()].filter((lease) => lease.state !== 'released');
    if (live.length === 0) return;
    try {
      const answer = await this.options.api.heartbeat(
        live.map((lease) => ({ leaseId: lease.task.leaseId, ...(lease.phase ? { phase: lease.phase } : {}) })),
      );
      for (const renewed of answer.leases) {
        const lease = this.leases.get(renewed.leaseId);
        if (!lease || !renewed.cancel) continue;
        lease.cancelled = true;
        lease.call?.end('cancel');
      }
    } catch (error) {
      this.log(`heartbeat failed: ${(error as Error).message}`);
    }
  }

  /** Waits for this call's turn under the engine's calls per second. */
  private async pace(): Promise<void> {
    const gap = 1000 / this.options.callsPerSecond;
    const now = Date.now();
    const at = Math.max(now, this.nextInviteAt);
    this.nextInviteAt = at + gap;
    if (at > now) await sleep(at - now, this.stopping.signal);
  }

  private async handle(lease: Lease): Promise<void> {
    const { task } = lease;
    const { api } = this.options;
    try {
      const trunk = task.line?.trunk;
      if (!task.line || !trunk) {
        // Given back after a pause: at once, the next claim would hand the same task back.
        this.log(`task ${task.callTaskId}: line ${task.line?.phoneLineId ?? '-'} has no SIP trunk; released`);
        await sleep(5000, this.stopping.signal);
        await this.release(lease);
        return;
      }
      const codecs = trunk.codecs.filter((c): c is G711Codec => c === 'PCMA' || c === 'PCMU');
      if (codecs.length === 0) codecs.push('PCMA', 'PCMU');
      const script = scriptOf(task.dialogFlow.script);
      const lines = [
        fillVariables(script.opening, task.customer),
        fillVariables(script.closings.neutral, task.customer),
      ];
      // Made before dialling, so that the answer is greeted at once.
      await Promise.all(lines.map((text) => speak(text, { dataDir: this.options.dataDir, codec: codecs[0]! })));
      await this.pace();
      if (lease.state !== 'claimed' || lease.cancelled || !this.running) {
        await this.release(lease);
        return;
      }
      lease.state = 'dialling';
      try {
        await api.dial(task.leaseId);
      } catch (error) {
        // Refused (job paused, number on the do-not-call list, lease ended): the lease has ended.
        this.log(`task ${task.callTaskId}: dial refused: ${(error as Error).message}`);
        this.leases.delete(task.leaseId);
        return;
      }
      lease.state = 'dialled';
      await this.call(lease, trunk, codecs, lines);
    } finally {
      this.leases.delete(task.leaseId);
      this.slotFreed?.();
      this.slotFreed = undefined;
    }
  }

  private async release(lease: Lease): Promise<void> {
    if (lease.state === 'released') return;
    lease.state = 'released';
    this.leases.delete(lease.task.leaseId);
    await this.options.api.release([lease.task.leaseId]).catch(() => {});
  }

  private async call(
    lease: Lease,
    trunk: NonNullable<NonNullable<ClaimedTask['line']>['trunk']>,
    codecs: G711Codec[],
    lines: string[],
  ): Promise<void> {
    const { task } = lease;
    const line = task.line!;
    const spoken: string[] = [];
    const { requestUri, fromHost } = trunkTarget(trunk.sipUri, task.calledPhoneNumber, trunk.transport);
    const call = await this.options.agent.placeCall({
      requestUri,
      callerId: line.callerId,
      fromHost,
      credentials: trunk.username && trunk.password ? { user: trunk.username, password: trunk.password } : undefined,
      codecs,
      ringTimeoutMs: line.ringTimeoutSeconds * 1000,
      maxCallMs: line.maxCallSeconds * 1000,
      earlyMediaBytes: (this.options.earlyMediaSeconds ?? 4) * 8000,
      onPhase: (phase) => {
        lease.phase = phase;
      },
      onAnswered: async (answered) => {
        for (const text of lines) {
          if (answered.ended) break;
          const audio = await speak(text, { dataDir: this.options.dataDir, codec: answered.codec });
          if (answered.ended) break;
          spoken.push(text);
          await answered.play(audio);
        }
      },
    });
    lease.call = call;
    this.counters.calls++;
    if (lease.cancelled) call.end('cancel');
    const outcome = await call.outcome;
    const body = this.resultOf(task.leaseId, outcome, spoken, this.libraryOf(task.tenantId));
    const answer = await this.report(body);
    this.count(outcome);
    const answerMs =
      outcome.answerAt === undefined ? '-' : String(outcome.answerAt - (outcome.ringAt ?? outcome.answerAt));
    this.log(
      `call task=${task.callTaskId} line=${line.phoneLineId} callee=${maskNumber(task.calledPhoneNumber)} ` +
        `sip=${outcome.sipCode ?? '-'}${outcome.q850Cause === undefined ? '' : ` q850=${outcome.q850Cause}`} ` +
        `endedBy=${outcome.endedBy}${body.earlyMedia ? ` earlyMedia=${body.earlyMedia.class}/${body.earlyMedia.confidence}` : ''} ` +
        `outcome=${answer?.resultStatus ?? 'unreported'} msToAnswer=${answerMs}`,
    );
  }

  private resultOf(
    leaseId: string,
    outcome: CallOutcome,
    spoken: string[],
    library: readonly Announcement[] | undefined,
  ): ResultBody {
    let earlyMedia: ResultBody['earlyMedia'];
    if (outcome.earlyMedia && outcome.answerAt === undefined && library?.length) {
      const { codec, audio } = outcome.earlyMedia;
      const found = classify(fingerprintG711(codec, audio), library);
      earlyMedia = {
        class: found.class as NonNullable<ResultBody['earlyMedia']>['class'],
        confidence: found.confidence,
      };
    }
    return {
      leaseId,
      endedBy: outcome.endedBy,
      ...(outcome.sipCode === undefined ? {} : { sipCode: outcome.sipCode }),
      ...(outcome.sipReason ? { sipReason: outcome.sipReason.slice(0, 200) } : {}),
      ...(outcome.q850Cause === undefined || outcome.q850Cause > 127 ? {} : { q850Cause: outcome.q850Cause }),
      ...(earlyMedia ? { earlyMedia } : {}),
      ...(outcome.ringAt === undefined ? {} : { ringAt: outcome.ringAt }),
      ...(outcome.answerAt === undefined ? {} : { answerAt: outcome.answerAt }),
      endAt: outcome.endAt,
      ...(spoken.length ? { turns: spoken.map((text) => ({ type: 'ROBOT', text })) } : {}),
    };
  }

  /** Reports a result, retrying a few times (the result is idempotent by lease). */
  private async report(body: ResultBody): Promise<ResultResult | undefined> {
    for (let attempt = 1; ; attempt++) {
      try {
        return await this.options.api.result(body);
      } catch (error) {
        if (attempt >= 3) {
          this.log(`result of lease ${body.leaseId} not reported: ${(error as Error).message}`);
          return undefined;
        }
        await sleep(500 * attempt);
      }
    }
  }

  private count(outcome: CallOutcome): void {
    if (outcome.answerAt !== undefined) this.counters.answered++;
    const key = String(outcome.sipCode ?? 'none');
    this.counters.bySipCode.set(key, (this.counters.bySipCode.get(key) ?? 0) + 1);
  }

  /** Calls in progress (dialled and not yet ended). */
  get activeCalls(): number {
    return [...this.leases.values()].filter((lease) => lease.state === 'dialled').length;
  }
}
