import { randomBytes, type ScryptOptions, scrypt, timingSafeEqual } from 'node:crypto';
import type { Database } from '../db/database.js';
import type { ConsoleRole } from '../db/schema.js';
import { invalidParameter, notFound, unauthenticated } from '../domain/errors.js';
import { deleteConsoleSessionsOfUser } from '../repositories/consoleSessions.js';
import {
  findConsoleUserByName,
  insertConsoleUser,
  listConsoleUsers,
  updateConsoleUserEnabled,
  updateConsoleUserPassword,
} from '../repositories/consoleUsers.js';
import { forgetFailures, limitedCheck, type SignInLimits } from './signInLimit.js';
import { findTenantByIdOrSign } from './tenants.js';

export { TooManyLoginAttempts } from './signInLimit.js';

/*
 * Console users: people who sign in to the console, each belonging to one tenant, as `admin`
 * (manages keys and settings too) or `member` (runs and reads jobs). Passwords are stored as
 * scrypt hashes with a salt of their own; the parameters are kept in the hash string, so they can
 * be raised later without invalidating the hashes already stored (each is raised at its user's
 * next sign-in).
 */

export const CONSOLE_ROLES: readonly ConsoleRole[] = ['admin', 'member'];
export const MIN_PASSWORD_LENGTH = 8;
const MAX_PASSWORD_LENGTH = 200;

/**
 * The scrypt cost: N = 2^log2N, r = 8, p = 1 (CONSOLE_PASSWORD_COST = log2N). The default, 17, is
 * OWASP's current minimum for scrypt (128 MiB per hash); the tests use a cheap one.
 */
export interface PasswordCost {
  log2N: number;
}
export const DEFAULT_PASSWORD_COST: PasswordCost = { log2N: 17 };
const R = 8;
const P = 1;
const KEY_LENGTH = 32;

/** Password checks run (scrypt verifications): the console's metric `outcall_console_password_checks_total`. */
let checks = 0;
export const passwordChecks = () => checks;

function scryptAsync(password: string, salt: Buffer, keyLength: number, options: ScryptOptions): Promise<Buffer> {
  // scrypt needs 128·N·r bytes; Node refuses above 32 MiB unless told it may use more.
  const maxmem = 128 * options.N! * options.r! * options.p! + 16 * 1024 * 1024;
  return new Promise((resolve, reject) =>
    scrypt(password, salt, keyLength, { ...options, maxmem }, (error, key) => (error ? reject(error) : resolve(key))),
  );
}

/** `scrypt$N$r$p$salt$hash`, salt and hash in base64url. */
export async function hashPassword(password: string, cost: PasswordCost): Promise<string> {
  const salt = randomBytes(16);
  const N = 2 ** cost.log2N;
  const key = await scryptAsync(password, salt, KEY_LENGTH, { N, r: R, p: P });
  return ['scrypt', N, R, P, salt.toString('base64url'), key.toString('base64url')].join('$');
}

/** Checks a password against a stored hash, at the parameters stored with it (an older cost keeps working). */
export async function verifyPassword(password: string, stored: string): Promise<boolean> {
  const [scheme, n, r, p, salt, hash] = stored.split('$');
  if (scheme !== 'scrypt' || !salt || !hash) return false;
  checks++;
  const expected = Buffer.from(hash, 'base64url');
  const key = await scryptAsync(password, Buffer.from(salt, 'base64url'), expected.length, {
    N: Number(n),
    r: Number(r),
    p: Number(p),
  });
  return timingSafeEqual(key, expected);
}

/** Whether a stored hash is below the cost now set (it is hashed again at the next successful check). */
export function weakerThan(stored: string, cost: PasswordCost): boolean {
  const [, n, r, p] = stored.split('$');
  return Number(n) < 2 ** cost.log2N || Number(r) < R || Number(p) < P;
}

/** Checked against when the username is unknown, so that the answer takes as long as for a known one (per cost). */
const decoyHashes = new Map<number, Promise<string>>();
const decoyHash = (cost: PasswordCost) => {
  let decoy = decoyHashes.get(cost.log2N);
  if (!decoy) {
    decoy = hashPassword(randomBytes(16).toString('hex'), cost);
    decoyHashes.set(cost.log2N, decoy);
  }
  return decoy;
};

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
  cost: PasswordCost,
  now = Date.now(),
): Promise<{ userId: number; username: string; role: ConsoleRole; tenantId: number }> {
  const username = checkUsername(input.username);
  const role = checkRole(input.role ?? 'member');
  checkPassword(input.password);
  const tenant = await findTenantByIdOrSign(db, { tenantId: input.tenantId, tenantSign: input.tenantSign });
  if (!tenant) throw notFound('tenant', input.tenantSign ?? String(input.tenantId));
  const passwordHash = await hashPassword(input.password, cost);
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
export async function resetPassword(
  db: Database,
  username: string,
  password: string,
  cost: PasswordCost,
  now = Date.now(),
): Promise<void> {
  checkPassword(password);
  const passwordHash = await hashPassword(password, cost);
  await db.transaction(async (trx) => {
    const user = await findConsoleUserByName(trx, username);
    if (!user) throw notFound('username', username);
    await updateConsoleUserPassword(trx, user.id, passwordHash, now);
    await deleteConsoleSessionsOfUser(trx, user.id);
    await forgetFailures(trx, username);
  });
}

/** What a password check needs besides the database: the sign-in limits and the scrypt cost. */
export interface PasswordPolicy {
  limits: SignInLimits;
  cost: PasswordCost;
}

/**
 * The user's own change: the current password is checked — as a counted attempt, like a sign-in,
 * so a stolen session cannot be used to guess it; their other sessions end.
 */
export async function changePassword(
  db: Database,
  user: { userId: number; username: string },
  sessionId: string,
  passwords: { current: string; new: string },
  clientIp: string,
  policy: PasswordPolicy,
  now = Date.now(),
): Promise<void> {
  checkPassword(passwords.new, 'newPassword');
  const stored = await findConsoleUserByName(db, user.username);
  const ok = await limitedCheck(db, { username: user.username, clientIp }, policy.limits, now, () =>
    verifyPassword(passwords.current, stored?.password_hash ?? ''),
  );
  if (!stored || !ok) throw invalidParameter('currentPassword', 'is not the current password');
  const passwordHash = await hashPassword(passwords.new, policy.cost);
  await db.transaction(async (trx) => {
    await updateConsoleUserPassword(trx, user.userId, passwordHash, now);
    await deleteConsoleSessionsOfUser(trx, user.userId, sessionId);
  });
}

/**
 * Checks a sign-in, as a counted attempt (services/signInLimit.ts): 429 while the username or the
 * client address must wait; a wrong password, an unknown or a disabled user are one and the same
 * 401. A hash stored at a lower cost than the one set is replaced at the right password.
 */
export async function authenticateUser(
  db: Database,
  input: { username: string; password: string; clientIp: string },
  policy: PasswordPolicy,
  now: number,
) {
  const user = await findConsoleUserByName(db, input.username.trim());
  const stored = user?.password_hash ?? (await decoyHash(policy.cost));
  const ok = await limitedCheck(db, input, policy.limits, now, () => verifyPassword(input.password, stored));
  if (!user || !ok || !user.enabled) throw unauthenticated('wrong username or password');
  if (weakerThan(user.password_hash, policy.cost))
    await updateConsoleUserPassword(
      db,
      user.id,
      await hashPassword(input.password, policy.cost),
      user.password_changed_at,
    );
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
  cost: PasswordCost,
  now = Date.now(),
): Promise<{ username: string; password: string }> {
  const existing = await findConsoleUserByName(db, username);
  if (existing && existing.tenant_id !== tenantId)
    throw invalidParameter('username', `"${username}" belongs to another tenant: the demo cannot use it`);
  if (existing?.enabled && known && (await verifyPassword(known, existing.password_hash)))
    return { username, password: known };
  const password = randomBytes(12).toString('base64url');
  if (!existing) await createConsoleUser(db, { tenantId, username, password, role: 'admin' }, cost, now);
  else {
    await resetPassword(db, username, password, cost, now);
    await setUserEnabled(db, username, true);
  }
  return { username, password };
}
