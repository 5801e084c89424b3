import type { Database } from '../db/database.js';
import { ServiceError } from '../domain/errors.js';
import {
  countLoginFailures,
  deleteLoginAttempts,
  deleteLoginFailures,
  deleteLoginFailuresBefore,
  insertLoginFailures,
} from '../repositories/consoleUsers.js';

/*
 * The limit on password guessing (docs/console.md, "Sign-in rate limit"). Every password check —
 * a sign-in, or the current password of a password change — is counted before the password is
 * checked: the attempt is written first (one `login_attempt` row under the username and one under
 * the client address), then the rows already there decide whether it may go on. So parallel
 * guesses cannot all pass a check made before any of them is counted, and at most the allowed
 * number reach scrypt.
 *
 * The first `maxFailures` failures of a username (four times as many of an address, since an
 * office shares one) are free; after them each further attempt must wait 1 s after the previous
 * failure, doubling with every failure up to `maxDelayMs`. There is no lock: the real user is
 * slowed to one try per `maxDelayMs` at worst, however long someone else keeps guessing. The
 * failures of a username or address are forgotten once it has had none for `windowMs`; a
 * successful check forgets the username's.
 */

export interface SignInLimits {
  /** Failures of a username before it backs off (CONSOLE_LOGIN_MAX_FAILURES); an address gets 4×. */
  maxFailures: number;
  /** Failures are forgotten after this long without one (CONSOLE_LOGIN_WINDOW_MINUTES). */
  windowMs: number;
  /** The longest wait between attempts (CONSOLE_LOGIN_MAX_DELAY_SECONDS). */
  maxDelayMs: number;
}

/** An address may fail this many times more than one username: an office shares one address. */
export const ADDRESS_FACTOR = 4;
const FIRST_DELAY_MS = 1000;

/** 429 with the seconds until another attempt may be made. */
export class TooManyLoginAttempts extends ServiceError {
  constructor(readonly retryAfterSeconds: number) {
    super(429, '请求过于频繁', `too many failed sign-ins; try again in ${retryAfterSeconds} s`);
  }
}

/** The wait after `failures` failures when `free` of them cost nothing. */
export function backOffMs(failures: number, free: number, maxDelayMs: number): number {
  if (failures < free) return 0;
  return Math.min(maxDelayMs, FIRST_DELAY_MS * 2 ** Math.min(failures - free, 31));
}

interface Subject {
  subject: string;
  free: number;
}

const subjectsOf = (username: string, clientIp: string, limits: SignInLimits): Subject[] => [
  { subject: `user:${username.trim().toLowerCase().slice(0, 100)}`, free: limits.maxFailures },
  { subject: `ip:${clientIp}`, free: limits.maxFailures * ADDRESS_FACTOR },
];

/** How long the subjects must still wait, given the failures counted (the attempt's own rows left out). */
async function waitMs(db: Database, subjects: Subject[], limits: SignInLimits, now: number, exceptIds: number[]) {
  let wait = 0;
  for (const { subject, free } of subjects) {
    const { failures, latest } = await countLoginFailures(db, subject, exceptIds);
    if (latest === null) continue;
    // None for the window: forgotten, so that the next failures count from nothing.
    if (latest < now - limits.windowMs) {
      await deleteLoginFailuresBefore(db, subject, now - limits.windowMs);
      continue;
    }
    wait = Math.max(wait, latest + backOffMs(failures, free, limits.maxDelayMs) - now);
  }
  return wait;
}

const refuse = (ms: number) => new TooManyLoginAttempts(Math.max(1, Math.ceil(ms / 1000)));

/**
 * Runs `check` (a password check) as one counted attempt of `username` from `clientIp`: refused
 * with 429 (TooManyLoginAttempts) while they must wait, else `check` runs; its failure stays
 * counted, its success forgets the username's failures.
 */
export async function limitedCheck(
  db: Database,
  who: { username: string; clientIp: string },
  limits: SignInLimits,
  now: number,
  check: () => Promise<boolean>,
): Promise<boolean> {
  const subjects = subjectsOf(who.username, who.clientIp, limits);
  // Refused at once when the failures already counted say so: nothing is written.
  const before = await waitMs(db, subjects, limits, now, []);
  if (before > 0) throw refuse(before);
  // Counted first, then checked against every attempt counted before or alongside it.
  const ids = await insertLoginFailures(
    db,
    subjects.map((s) => s.subject),
    now,
  );
  const after = await waitMs(db, subjects, limits, now, ids);
  if (after > 0) {
    await deleteLoginAttempts(db, ids);
    throw refuse(after);
  }
  const ok = await check();
  if (ok) {
    await deleteLoginFailures(db, subjects[0]!.subject);
    await deleteLoginAttempts(db, ids);
  }
  return ok;
}

/** An operator's reset forgets the username's failures. */
export async function forgetFailures(db: Database, username: string): Promise<void> {
  await deleteLoginFailures(db, `user:${username.trim().toLowerCase().slice(0, 100)}`);
}
