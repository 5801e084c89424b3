import type { DialogFlowScript } from '../domain/dialogFlow.js';
import { type SimulatedCall, simulateCall } from '../simulator/conversation.js';
import { type Random, seededRandom } from '../simulator/random.js';

/** How the dialer places calls. A real carrier integration implements this; the built-in one simulates. */
export interface Telephony {
  /**
   * Places one call and resolves when it has ended, with what happened. When `call.signal` is
   * aborted (shutdown) before the call ends, hangs up and rejects: nothing is recorded, and the
   * call task is dialled again later.
   */
  dial(call: DialRequest): Promise<SimulatedCall>;
}

export interface DialRequest {
  tenantId: number;
  robotCallJobId: number;
  callTaskId: number;
  calledPhoneNumber: string;
  script: DialogFlowScript;
  /** Aborted when the dialer gives up on the call (shutdown deadline). */
  signal?: AbortSignal;
}

export interface Clock {
  now(): number;
  /** Resolves after `ms`, or rejects as soon as `signal` is aborted. */
  sleep(ms: number, signal?: AbortSignal): Promise<void>;
}

export const systemClock: Clock = {
  now: () => Date.now(),
  sleep: (ms, signal) =>
    new Promise((resolve, reject) => {
      if (signal?.aborted) return reject(signal.reason);
      const onAbort = () => {
        clearTimeout(timer);
        reject(signal?.reason);
      };
      const timer = setTimeout(() => {
        signal?.removeEventListener('abort', onAbort);
        resolve();
      }, ms);
      signal?.addEventListener('abort', onAbort, { once: true });
    }),
};

/**
 * The built-in engine: each call rings and talks for as long as a real one would (walked from the
 * job's dialog flow), divided by `speed` so demo time can pass faster.
 */
export class SimulatedTelephony implements Telephony {
  private readonly random: Random;

  constructor(private readonly options: { speed?: number; seed?: number; clock?: Clock } = {}) {
    this.random = seededRandom(options.seed ?? Date.now());
  }

  async dial(call: DialRequest): Promise<SimulatedCall> {
    const outcome = simulateCall(this.random, call.script);
    const seconds = outcome.ringSeconds + outcome.chatDuration;
    await (this.options.clock ?? systemClock).sleep((seconds * 1000) / (this.options.speed ?? 1), call.signal);
    return outcome;
  }
}
