import type { Database } from '../db/database.js';
import { isSet } from './rows.js';

/** Console sessions (console_session); the id is the SHA-256 of the cookie's token. */

export interface NewConsoleSession {
  id: string;
  userId: number;
  csrfToken: string;
  now: number;
  expiresAt: number;
}

export async function insertConsoleSession(db: Database, s: NewConsoleSession): Promise<void> {
  await db.db
    .insertInto('console_session')
    .values({
      id: s.id,
      user_id: s.userId,
      csrf_token: s.csrfToken,
      created_at: s.now,
      last_seen_at: s.now,
      expires_at: s.expiresAt,
    })
    .execute();
}

/** A session with its user and the user's tenant. */
export async function findConsoleSession(db: Database, id: string) {
  const row = await db.db
    .selectFrom('console_session as s')
    .innerJoin('console_user as u', 'u.id', 's.user_id')
    .innerJoin('tenant as t', 't.id', 'u.tenant_id')
    .select([
      's.id',
      's.csrf_token',
      's.created_at',
      's.last_seen_at',
      's.expires_at',
      'u.id as user_id',
      'u.username',
      'u.role',
      'u.enabled',
      'u.tenant_id',
      't.name as tenant_name',
      't.tenant_sign',
      't.time_zone',
    ])
    .where('s.id', '=', id)
    .executeTakeFirst();
  return row && { ...row, enabled: isSet(row.enabled) };
}

/** Moves the idle expiry on (a request was seen). */
export async function touchConsoleSession(db: Database, id: string, now: number): Promise<void> {
  await db.db.updateTable('console_session').set({ last_seen_at: now }).where('id', '=', id).execute();
}

export async function deleteConsoleSession(db: Database, id: string): Promise<void> {
  await db.db.deleteFrom('console_session').where('id', '=', id).execute();
}

/** Signs a user out everywhere (disabled, or a new password); `except` keeps the session that changed the password. */
export async function deleteConsoleSessionsOfUser(db: Database, userId: number, except?: string): Promise<number> {
  let q = db.db.deleteFrom('console_session').where('user_id', '=', userId);
  if (except !== undefined) q = q.where('id', '!=', except);
  const result = await q.executeTakeFirst();
  return Number(result.numDeletedRows);
}

/** Sessions past their absolute expiry, or idle since `idleBefore`: removed now and then. */
export async function deleteExpiredConsoleSessions(db: Database, now: number, idleBefore: number): Promise<number> {
  const result = await db.db
    .deleteFrom('console_session')
    .where((eb) => eb.or([eb('expires_at', '<=', now), eb('last_seen_at', '<', idleBefore)]))
    .executeTakeFirst();
  return Number(result.numDeletedRows);
}
