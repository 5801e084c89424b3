import type { Database } from '../db/database.js';
import { deleteExpiredConsoleSessions } from '../repositories/consoleSessions.js';
import { deleteQuietLoginSubjects } from '../repositories/consoleUsers.js';
import { deleteExpiredSignatureNonces } from '../repositories/tenants.js';

/*
 * The rows that only age out — v2 nonces past their window, console sessions past their expiry or
 * idle too long, sign-in failures of a username or address quiet for the window — deleted in one place, every minute, by
 * each server process (the deletes are idempotent: several processes on one database do no harm).
 * No request waits for them, and a failed purge is logged and tried again at the next tick. The
 * reads that use these tables ignore expired rows anyway: the purge only bounds their size.
 */

export const HOUSEKEEPING_INTERVAL_MS = 60_000;

export interface HousekeepingOptions {
  /** How long a console session may be idle (config.consoleSessionIdleMs). */
  sessionIdleMs: number;
  /** How far back sign-in failures count (config.consoleLoginWindowMs). */
  loginWindowMs: number;
  now: () => number;
  log: { error(details: object, message: string): void };
  /** Between two purges; HOUSEKEEPING_INTERVAL_MS unless a test says otherwise. */
  intervalMs?: number;
}

export interface Housekeeping {
  /** One purge of every table now (the timer's work). */
  runOnce(): Promise<void>;
  /** No purge after this; resolves once a purge under way has finished. */
  stop(): Promise<void>;
}

/** Purges at once, then every interval, on unref'd timers (they keep no process alive). */
export function startHousekeeping(db: Database, options: HousekeepingOptions): Housekeeping {
  const purges: [string, (now: number) => Promise<unknown>][] = [
    ['signature nonces', (now) => deleteExpiredSignatureNonces(db, now)],
    ['console sessions', (now) => deleteExpiredConsoleSessions(db, now, now - options.sessionIdleMs)],
    // A username or address is forgotten once quiet for the window (services/signInLimit.ts).
    ['console sign-in failures', (now) => deleteQuietLoginSubjects(db, now - options.loginWindowMs)],
  ];
  const runOnce = async () => {
    const now = options.now();
    for (const [what, purge] of purges)
      await purge(now).catch((error: unknown) =>
        options.log.error({ err: error }, `housekeeping: purging expired ${what} failed`),
      );
  };
  let stopped = false;
  let timer: NodeJS.Timeout | undefined;
  let running: Promise<void> = Promise.resolve();
  const tick = () => {
    running = runOnce().finally(() => {
      if (!stopped) timer = setTimeout(tick, options.intervalMs ?? HOUSEKEEPING_INTERVAL_MS).unref();
    });
  };
  timer = setTimeout(tick, 0).unref();
  return {
    runOnce,
    async stop() {
      stopped = true;
      clearTimeout(timer);
      await running;
    },
  };
}
