import type { Kysely } from 'kysely';
import type { Dialect } from '../database.js';

/*
 * The console's users, sessions and login attempts. Frozen in time: later changes are new migrations.
 *
 * 1. `console_user`: a person who signs in to the console, belonging to one tenant. The username is
 *    unique across the installation, so signing in needs no company field. `password_hash` holds
 *    the scrypt parameters, salt and hash in one string (services/consoleUsers.ts).
 * 2. `console_session`: one signed-in browser. The id is the SHA-256 of the random cookie token, so
 *    a copy of the table does not let anyone sign in; sessions live in the database so that every
 *    server process on it accepts them.
 * 3. `login_attempt`: failed sign-ins, by username and by client address, counted over a window
 *    to refuse guessing (services/consoleUsers.ts).
 */
export async function up(db: Kysely<any>, dialect: Dialect): Promise<void> {
  const pg = dialect === 'postgres';
  const id = pg ? 'bigserial' : 'integer';
  const idColumn = (c: any) => (pg ? c.primaryKey() : c.primaryKey().autoIncrement());

  await db.schema
    .createTable('console_user')
    .addColumn('id', id, idColumn)
    .addColumn('tenant_id', 'bigint', (c) => c.notNull().references('tenant.id'))
    .addColumn('username', 'text', (c) => c.notNull().unique())
    .addColumn('password_hash', 'text', (c) => c.notNull())
    .addColumn('role', 'text', (c) => c.notNull())
    .addColumn('enabled', 'integer', (c) => c.notNull().defaultTo(1))
    .addColumn('created_at', 'bigint', (c) => c.notNull())
    .addColumn('password_changed_at', 'bigint', (c) => c.notNull())
    .execute();
  await db.schema.createIndex('console_user_tenant').on('console_user').columns(['tenant_id', 'username']).execute();

  await db.schema
    .createTable('console_session')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('user_id', 'bigint', (c) => c.notNull().references('console_user.id'))
    .addColumn('csrf_token', 'text', (c) => c.notNull())
    .addColumn('created_at', 'bigint', (c) => c.notNull())
    .addColumn('last_seen_at', 'bigint', (c) => c.notNull())
    .addColumn('expires_at', 'bigint', (c) => c.notNull())
    .execute();
  await db.schema.createIndex('console_session_user').on('console_session').column('user_id').execute();
  await db.schema.createIndex('console_session_expires').on('console_session').column('expires_at').execute();

  await db.schema
    .createTable('login_attempt')
    .addColumn('id', id, idColumn)
    // `user:NAME` or `ip:ADDRESS`: one row per failure for each.
    .addColumn('subject', 'text', (c) => c.notNull())
    .addColumn('created_at', 'bigint', (c) => c.notNull())
    .execute();
  await db.schema.createIndex('login_attempt_subject').on('login_attempt').columns(['subject', 'created_at']).execute();
}
