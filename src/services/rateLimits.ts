import type { Database } from '../db/database.js';
import { ServiceError } from '../domain/errors.js';
import { type EngineKeyState, findEngineKeyState } from '../repositories/engineKeys.js';
import { findRateLimitTat, takeRateLimitSlot, takeRateLimitSlotAndNonce } from '../repositories/rateLimits.js';
import { insertSignatureNonce } from '../repositories/tenants.js';

/*
 * Rate limits per appKey, shared by every process on the database: the generic cell rate
 * algorithm (GCRA), the token bucket expressed as one number per key. A key may send `perSecond`
 * requests a second on average and up to `burst` at once after a quiet spell. Each request is one
 * upsert of the key's row (repositories/rateLimits.ts), atomic on both databases, so N processes
 * together allow what one would. Against a window counter it needs no purging (one row per key)
 * and allows no double burst across a window boundary.
 *
 * A refused request tells its process when the key's next slot opens; until then the process
 * refuses that key without asking the database (the state only moves forward, so this is exact),
 * and a client flooding past its limit costs one query per refusal spell, not one per request.
 */

export interface RateLimitSettings {
  /** Average requests per second per appKey; 0 switches the limit off. */
  perSecond: number;
  /** Requests allowed at once. */
  burst: number;
}

export type RateLimitDecision = { allowed: true } | { allowed: false; retryAfterSeconds: number };

export class RateLimiter {
  private readonly intervalUs: number;
  private readonly toleranceUs: number;
  /** Keys refused recently, with when (ms) their next slot opens. */
  private readonly blockedUntil = new Map<string, number>();

  constructor(
    private readonly database: Database,
    private readonly settings: RateLimitSettings,
  ) {
    this.intervalUs = Math.max(1, Math.round(1_000_000 / Math.max(settings.perSecond, 1e-9)));
    this.toleranceUs = this.intervalUs * settings.burst;
  }

  get enabled(): boolean {
    return this.settings.perSecond > 0;
  }

  /** Takes a slot for one request of `appKey` at `nowMs`, or says how long to wait. */
  async check(appKey: string, nowMs: number): Promise<RateLimitDecision> {
    if (!this.enabled) return { allowed: true };
    const blocked = this.blocked(appKey, nowMs);
    if (blocked) return blocked;
    const nowUs = Math.floor(nowMs) * 1000;
    if (await takeRateLimitSlot(this.database, appKey, nowUs, this.intervalUs, this.toleranceUs))
      return { allowed: true };
    return this.refused(appKey, nowMs);
  }

  /**
   * `check`, and for an allowed request its signature nonce taken (stored under `appKey` until
   * `expiresAt`): one statement on PostgreSQL. The nonce is stored only when the slot is taken, so a
   * limited request can be sent again as it was. `fresh` is false for a nonce already used. With
   * `engineAppKey`, nothing is taken unless that engine key is still enabled, read in the same
   * statement: `engineKey` tells its state (a key `blocked` here is not read).
   */
  async checkWithNonce(
    appKey: string,
    nowMs: number,
    nonce: { nonce: string; expiresAt: number },
    engineAppKey?: string,
  ): Promise<RateLimitDecision & { fresh?: boolean; engineKey?: EngineKeyState }> {
    const now = Math.floor(nowMs);
    if (!this.enabled) {
      const engineKey = engineAppKey === undefined ? undefined : await findEngineKeyState(this.database, engineAppKey);
      if (engineKey !== undefined && engineKey !== 'enabled') return { allowed: true, fresh: false, engineKey };
      return {
        allowed: true,
        fresh: await insertSignatureNonce(this.database, appKey, nonce.nonce, nonce.expiresAt, now),
        engineKey,
      };
    }
    const blocked = this.blocked(appKey, nowMs);
    if (blocked) return blocked;
    const taken = await takeRateLimitSlotAndNonce(
      this.database,
      { appKey, nowUs: now * 1000, intervalUs: this.intervalUs, toleranceUs: this.toleranceUs },
      { ...nonce, now },
      engineAppKey,
    );
    if (taken.engineKey !== undefined && taken.engineKey !== 'enabled')
      return { allowed: true, fresh: false, engineKey: taken.engineKey };
    return taken.slot ? { allowed: true, fresh: taken.nonce, engineKey: taken.engineKey } : this.refused(appKey, nowMs);
  }

  /** Refused without asking the database while the key's next slot is known to be ahead. */
  private blocked(appKey: string, nowMs: number): RateLimitDecision | undefined {
    const until = this.blockedUntil.get(appKey);
    if (until === undefined) return undefined;
    if (nowMs < until) return { allowed: false, retryAfterSeconds: seconds(until - nowMs) };
    this.blockedUntil.delete(appKey);
    return undefined;
  }

  private async refused(appKey: string, nowMs: number): Promise<RateLimitDecision> {
    const nowUs = Math.floor(nowMs) * 1000;
    const tat = (await findRateLimitTat(this.database, appKey)) ?? nowUs;
    // The next request fits once max(tat, t) + interval <= t + tolerance.
    const waitMs = Math.max(1, Math.ceil((tat + this.intervalUs - this.toleranceUs - nowUs) / 1000));
    this.blockedUntil.set(appKey, nowMs + waitMs);
    return { allowed: false, retryAfterSeconds: seconds(waitMs) };
  }

  /** The refusal a limited request gets: envelope 429. */
  refusal(appKey: string, retryAfterSeconds: number): ServiceError {
    const { perSecond, burst } = this.settings;
    return new ServiceError(
      429,
      '请求过于频繁',
      `appKey ${appKey} is limited to ${perSecond} requests per second (bursts of ${burst}); retry after ${retryAfterSeconds} s`,
    );
  }
}

/** Whole seconds for Retry-After, at least 1 (HTTP has no finer unit; a 0 would invite an immediate retry). */
const seconds = (ms: number) => Math.max(1, Math.ceil(ms / 1000));
