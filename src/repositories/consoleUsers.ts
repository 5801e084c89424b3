import type { Database } from '../db/database.js';
import type { ConsoleRole } from '../db/schema.js';
import { isSet, toFlag } from './rows.js';

/** Console users (console_user) and failed sign-ins (login_attempt). */

export interface NewConsoleUser {
  tenantId: number;
  username: string;
  passwordHash: string;
  role: ConsoleRole;
  now: number;
}

export async function insertConsoleUser(db: Database, u: NewConsoleUser): Promise<number> {
  const row = await db.db
    .insertInto('console_user')
    .values({
      tenant_id: u.tenantId,
      username: u.username,
      password_hash: u.passwordHash,
      role: u.role,
      enabled: 1,
      created_at: u.now,
      password_changed_at: u.now,
    })
    .returning('id')
    .executeTakeFirstOrThrow();
  return row.id;
}

/** A user with the tenant's names and time zone (signing in, and every request of a session). */
export async function findConsoleUserByName(db: Database, username: string) {
  const row = await db.db
    .selectFrom('console_user as u')
    .innerJoin('tenant as t', 't.id', 'u.tenant_id')
    .selectAll('u')
    .select(['t.name as tenant_name', 't.tenant_sign', 't.time_zone'])
    .where('u.username', '=', username)
    .executeTakeFirst();
  return row && { ...row, enabled: isSet(row.enabled) };
}

/** Users with their tenants: every tenant's, or one's; by tenant, then name. */
export async function listConsoleUsers(db: Database, tenantId?: number) {
  let q = db.db
    .selectFrom('console_user as u')
    .innerJoin('tenant as t', 't.id', 'u.tenant_id')
    .select([
      'u.id',
      'u.tenant_id',
      'u.username',
      'u.role',
      'u.enabled',
      'u.created_at',
      'u.password_changed_at',
      't.tenant_sign',
    ])
    .orderBy('u.tenant_id')
    .orderBy('u.username');
  if (tenantId !== undefined) q = q.where('u.tenant_id', '=', tenantId);
  return (await q.execute()).map((u) => ({ ...u, enabled: isSet(u.enabled) }));
}

/** False when there is no such user. */
export async function updateConsoleUserEnabled(db: Database, username: string, enabled: boolean): Promise<boolean> {
  const result = await db.db
    .updateTable('console_user')
    .set({ enabled: toFlag(enabled) })
    .where('username', '=', username)
    .executeTakeFirst();
  return Number(result.numUpdatedRows) > 0;
}

/** False when there is no such user. */
export async function updateConsoleUserPassword(
  db: Database,
  userId: number,
  passwordHash: string,
  now: number,
): Promise<boolean> {
  const result = await db.db
    .updateTable('console_user')
    .set({ password_hash: passwordHash, password_changed_at: now })
    .where('id', '=', userId)
    .executeTakeFirst();
  return Number(result.numUpdatedRows) > 0;
}

/** Records one attempt under each subject (`user:NAME`, `ip:ADDRESS`); their ids. */
export async function insertLoginFailures(db: Database, subjects: string[], now: number): Promise<number[]> {
  const rows = await db.db
    .insertInto('login_attempt')
    .values(subjects.map((subject) => ({ subject, created_at: now })))
    .returning('id')
    .execute();
  return rows.map((r) => Number(r.id));
}

/** Attempts counted under a subject, but for `exceptIds`, and the latest of them. */
export async function countLoginFailures(
  db: Database,
  subject: string,
  exceptIds: number[],
): Promise<{ failures: number; latest: number | null }> {
  let q = db.db
    .selectFrom('login_attempt')
    .select((eb) => [eb.fn.countAll<number>().as('n'), eb.fn.max('created_at').as('latest')])
    .where('subject', '=', subject);
  if (exceptIds.length > 0) q = q.where('id', 'not in', exceptIds);
  const row = await q.executeTakeFirstOrThrow();
  return { failures: Number(row.n), latest: row.latest === null ? null : Number(row.latest) };
}

/** A successful check forgets the username's failures. */
export async function deleteLoginFailures(db: Database, subject: string): Promise<void> {
  await db.db.deleteFrom('login_attempt').where('subject', '=', subject).execute();
}

/** A subject's failures from before `before` (forgotten: the subject has had none since). */
export async function deleteLoginFailuresBefore(db: Database, subject: string, before: number): Promise<void> {
  await db.db.deleteFrom('login_attempt').where('subject', '=', subject).where('created_at', '<', before).execute();
}

/** An attempt refused, or one that succeeded: not a failure. */
export async function deleteLoginAttempts(db: Database, ids: number[]): Promise<void> {
  if (ids.length > 0) await db.db.deleteFrom('login_attempt').where('id', 'in', ids).execute();
}

/** The subjects without a failure since `before` are forgotten: removed now and then. */
export async function deleteQuietLoginSubjects(db: Database, before: number): Promise<number> {
  const result = await db.db
    .deleteFrom('login_attempt')
    .where('subject', 'in', (eb) =>
      eb
        .selectFrom('login_attempt')
        .select('subject')
        .groupBy('subject')
        .having((h) => h.fn.max('created_at'), '<', before),
    )
    .executeTakeFirst();
  return Number(result.numDeletedRows);
}
