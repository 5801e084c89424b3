import { randomBytes, type ScryptOptions, scrypt, timingSafeEqual } from 'node:crypto';
import type { Database } from '../db/database.js';
import type { ConsoleRole } from '../db/schema.js';
import { invalidParameter, notFound, ServiceError, unauthenticated } from '../domain/errors.js';
import { deleteConsoleSessionsOfUser } from '../repositories/consoleSessions.js';
import {
  countLoginFailures,
  deleteLoginFailures,
  findConsoleUserByName,
  insertConsoleUser,
  insertLoginFailures,
  listConsoleUsers,
  updateConsoleUserEnabled,
  updateConsoleUserPassword,
} from '../repositories/consoleUsers.js';
import { findTenantByIdOrSign } from './tenants.js';

/*
 * Console users: people who sign in to the console, each belonging to one tenant, as `admin`
 * (manages keys and settings too) or `member` (runs and reads jobs). Passwords are stored as
 * scrypt hashes with a salt of their own; the parameters are kept in the hash string, so they can
 * be raised later without invalidating the hashes already stored.
 */

export const CONSOLE_ROLES: readonly ConsoleRole[] = ['admin', 'member'];
export const MIN_PASSWORD_LENGTH = 8;
const MAX_PASSWORD_LENGTH = 200;

/** N = 2^15, r = 8, p = 1: about 50 ms and 32 MiB per hash, OWASP's recommended floor. */
const SCRYPT = { N: 32768, r: 8, p: 1, keyLength: 32 };

function scryptAsync(password: string, salt: Buffer, keyLength: number, options: ScryptOptions): Promise<Buffer> {
  return new Promise((resolve, reject) =>
    scrypt(password, salt, keyLength, { ...options, maxmem: 256 * options.N! * options.r! }, (error, key) =>
      error ? reject(error) : resolve(key),
    ),
  );
}

/** `scrypt$N$r$p$salt$hash`, salt and hash in base64url. */
export async function hashPassword(password: string): Promise<string> {
  const salt = randomBytes(16);
  const { N, r, p, keyLength } = SCRYPT;
  const key = await scryptAsync(password, salt, keyLength, { N, r, p });
  return ['scrypt', N, r, p, salt.toString('base64url'), key.toString('base64url')].join('$');
}

export async function verifyPassword(password: string, stored: string): Promise<boolean> {
  const [scheme, n, r, p, salt, hash] = stored.split('$');
  if (scheme !== 'scrypt' || !salt || !hash) return false;
  const expected = Buffer.from(hash, 'base64url');
  const key = await scryptAsync(password, Buffer.from(salt, 'base64url'), expected.length, {
    N: Number(n),
    r: Number(r),
    p: Number(p),
  });
  return timingSafeEqual(key, expected);
}

/** Checked against when the username is unknown, so that the answer takes as long as for a known one. */
let decoyHash: Promise<string> | undefined;

export function checkUsername(username: string): string {
  const name = username.trim();
  if (!/^[A-Za-z0-9_.@-]{2,64}$/.test(name))
    throw invalidParameter('username', 'must be 2–64 letters, digits, _ . @ or -');
  return name;
}

export function checkPassword(password: string, parameter = 'password'): string {
  const length = [...password].length;
  if (length < MIN_PASSWORD_LENGTH)
    throw invalidParameter(parameter, `must have at least ${MIN_PASSWORD_LENGTH} characters`);
  if (length > MAX_PASSWORD_LENGTH)
    throw invalidParameter(parameter, `must have at most ${MAX_PASSWORD_LENGTH} characters`);
  return password;
}

export function checkRole(role: string): ConsoleRole {
  if (!(CONSOLE_ROLES as readonly string[]).includes(role)) throw invalidParameter('role', 'must be admin or member');
  return role as ConsoleRole;
}

/** Creates a user of the tenant named by tenantSign (or id). */
export async function createConsoleUser(
  db: Database,
  input: { tenantSign?: string; tenantId?: number; username: string; password: string; role?: string },
  now = Date.now(),
): Promise<{ userId: number; username: string; role: ConsoleRole; tenantId: number }> {
  const username = checkUsername(input.username);
  const role = checkRole(input.role ?? 'member');
  checkPassword(input.password);
  const tenant = await findTenantByIdOrSign(db, { tenantId: input.tenantId, tenantSign: input.tenantSign });
  if (!tenant) throw notFound('tenant', input.tenantSign ?? String(input.tenantId));
  const passwordHash = await hashPassword(input.password);
  return db.transaction(async (trx) => {
    if (await findConsoleUserByName(trx, username)) throw invalidParameter('username', `"${username}" is taken`);
    const userId = await insertConsoleUser(trx, { tenantId: tenant.id, username, passwordHash, role, now });
    return { userId, username, role, tenantId: tenant.id };
  });
}

export async function listUsers(db: Database, tenantId?: number) {
  return listConsoleUsers(db, tenantId);
}

export async function findUser(db: Database, username: string) {
  return findConsoleUserByName(db, username);
}

/** Disabling signs the user out everywhere. */
export async function setUserEnabled(db: Database, username: string, enabled: boolean): Promise<void> {
  await db.transaction(async (trx) => {
    const user = await findConsoleUserByName(trx, username);
    if (!user) throw notFound('username', username);
    await updateConsoleUserEnabled(trx, username, enabled);
    if (!enabled) await deleteConsoleSessionsOfUser(trx, user.id);
  });
}

/** An operator's reset: the user's sessions end, and their failed sign-ins are forgotten. */
export async function resetPassword(db: Database, username: string, password: string, now = Date.now()): Promise<void> {
  checkPassword(password);
  const passwordHash = await hashPassword(password);
  await db.transaction(async (trx) => {
    const user = await findConsoleUserByName(trx, username);
    if (!user) throw notFound('username', username);
    await updateConsoleUserPassword(trx, user.id, passwordHash, now);
    await deleteConsoleSessionsOfUser(trx, user.id);
    await deleteLoginFailures(trx, `user:${username.toLowerCase()}`);
  });
}

/** The user's own change: the current password is checked; their other sessions end. */
export async function changePassword(
  db: Database,
  user: { userId: number; username: string },
  sessionId: string,
  currentPassword: string,
  newPassword: string,
  now = Date.now(),
): Promise<void> {
  checkPassword(newPassword, 'newPassword');
  const stored = await findConsoleUserByName(db, user.username);
  if (!stored || !(await verifyPassword(currentPassword, stored.password_hash)))
    throw invalidParameter('currentPassword', 'is not the current password');
  const passwordHash = await hashPassword(newPassword);
  await db.transaction(async (trx) => {
    await updateConsoleUserPassword(trx, user.userId, passwordHash, now);
    await deleteConsoleSessionsOfUser(trx, user.userId, sessionId);
  });
}

/** 429 with the seconds until another attempt may be made. */
export class TooManyLoginAttempts extends ServiceError {
  constructor(readonly retryAfterSeconds: number) {
    super(429, '请求过于频繁', `too many failed sign-ins; try again in ${retryAfterSeconds} s`);
  }
}

export interface LoginLimits {
  maxFailures: number;
  windowMs: number;
}

/** An address may fail this many times more than one username: an office shares one address. */
const ADDRESS_FACTOR = 4;

/**
 * Checks a sign-in. Refused with 429 once the username, or the client address, has failed too
 * often within the window (checked before the password, so guessing gets no answer); a wrong
 * password, an unknown or a disabled user are one and the same 401.
 */
export async function authenticateUser(
  db: Database,
  input: { username: string; password: string; clientIp: string },
  limits: LoginLimits,
  now: number,
) {
  const since = now - limits.windowMs;
  // Failures older than the window are purged by services/housekeeping.ts.
  const userSubject = `user:${input.username.trim().toLowerCase().slice(0, 100)}`;
  const ipSubject = `ip:${input.clientIp}`;
  const [byUser, byIp] = await Promise.all([
    countLoginFailures(db, userSubject, since),
    countLoginFailures(db, ipSubject, since),
  ]);
  const blocked = [
    byUser.failures >= limits.maxFailures ? byUser.earliest : null,
    byIp.failures >= limits.maxFailures * ADDRESS_FACTOR ? byIp.earliest : null,
  ].filter((t): t is number => t !== null);
  if (blocked.length > 0) {
    const until = Math.max(...blocked) + limits.windowMs;
    throw new TooManyLoginAttempts(Math.max(1, Math.ceil((until - now) / 1000)));
  }
  const user = await findConsoleUserByName(db, input.username.trim());
  decoyHash ??= hashPassword(randomBytes(16).toString('hex'));
  const ok = await verifyPassword(input.password, user?.password_hash ?? (await decoyHash));
  if (!user || !ok || !user.enabled) {
    await insertLoginFailures(db, [userSubject, ipSubject], now);
    throw unauthenticated('wrong username or password');
  }
  await deleteLoginFailures(db, userSubject);
  return user;
}

/**
 * The demo's console user (`serve --demo`): an admin of the demo tenant. Its password is kept when
 * `known` (the one the demo wrote down last time) still signs in, else a new random one is set.
 */
export async function ensureDemoUser(
  db: Database,
  tenantId: number,
  username: string,
  known: string | undefined,
  now = Date.now(),
): Promise<{ username: string; password: string }> {
  const existing = await findConsoleUserByName(db, username);
  if (existing && existing.tenant_id !== tenantId)
    throw invalidParameter('username', `"${username}" belongs to another tenant: the demo cannot use it`);
  if (existing?.enabled && known && (await verifyPassword(known, existing.password_hash)))
    return { username, password: known };
  const password = randomBytes(12).toString('base64url');
  if (!existing) await createConsoleUser(db, { tenantId, username, password, role: 'admin' }, now);
  else {
    await resetPassword(db, username, password, now);
    await setUserEnabled(db, username, true);
  }
  return { username, password };
}
