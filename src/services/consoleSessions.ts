import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import type { Database } from '../db/database.js';
import type { ConsoleRole } from '../db/schema.js';
import {
  deleteConsoleSession,
  findConsoleSession,
  insertConsoleSession,
  touchConsoleSession,
} from '../repositories/consoleSessions.js';

/*
 * Console sessions. The cookie carries a random token (32 bytes); the database keeps only its
 * SHA-256, with the CSRF token, the user, and the times that decide expiry: idle (no request for
 * CONSOLE_SESSION_IDLE_MINUTES) and absolute (CONSOLE_SESSION_MAX_HOURS after sign-in). Every
 * server process on the database accepts every session, and nothing is shared but the database.
 */

export interface SessionLimits {
  idleMs: number;
  maxMs: number;
}

/** Who a console request speaks for. */
export interface ConsoleUser {
  sessionId: string;
  userId: number;
  username: string;
  role: ConsoleRole;
  tenantId: number;
  tenantName: string;
  tenantSign: string;
  timeZone: string;
  csrfToken: string;
}

const sha256 = (text: string) => createHash('sha256').update(text).digest('hex');

/** last_seen_at is written at most this often per session: a request in between costs no write. */
const TOUCH_INTERVAL_MS = 60_000;

/** A new session for the user: the cookie's token (never stored) and the CSRF token. */
export async function startSession(
  db: Database,
  userId: number,
  limits: SessionLimits,
  now: number,
): Promise<{ token: string; sessionId: string; csrfToken: string }> {
  // Expired sessions are purged by services/housekeeping.ts.
  const token = randomBytes(32).toString('base64url');
  const csrfToken = randomBytes(24).toString('base64url');
  const sessionId = sha256(token);
  await insertConsoleSession(db, { id: sessionId, userId, csrfToken, now, expiresAt: now + limits.maxMs });
  return { token, sessionId, csrfToken };
}

/** The session of a cookie token, or undefined when there is none, it has expired, or its user is disabled. */
export async function resumeSession(
  db: Database,
  token: string,
  limits: SessionLimits,
  now: number,
): Promise<ConsoleUser | undefined> {
  if (!/^[A-Za-z0-9_-]{43}$/.test(token)) return undefined;
  const sessionId = sha256(token);
  const s = await findConsoleSession(db, sessionId);
  if (!s) return undefined;
  if (!s.enabled || now >= s.expires_at || now - s.last_seen_at >= limits.idleMs) {
    await deleteConsoleSession(db, sessionId);
    return undefined;
  }
  if (now - s.last_seen_at >= Math.min(TOUCH_INTERVAL_MS, limits.idleMs / 10))
    await touchConsoleSession(db, sessionId, now);
  return {
    sessionId,
    userId: s.user_id,
    username: s.username,
    role: s.role,
    tenantId: s.tenant_id,
    tenantName: s.tenant_name,
    tenantSign: s.tenant_sign,
    timeZone: s.time_zone,
    csrfToken: s.csrf_token,
  };
}

export async function endSession(db: Database, sessionId: string): Promise<void> {
  await deleteConsoleSession(db, sessionId);
}

/** Compares in constant time. */
export function csrfMatches(expected: string, given: string | undefined): boolean {
  if (given === undefined) return false;
  const a = Buffer.from(expected);
  const b = Buffer.from(given);
  return a.length === b.length && timingSafeEqual(a, b);
}
