import type { Database } from '../db/database.js';

/** The tenant's settings the console shows (services/callbacks.ts changes the callback URL). */

export async function findCallbackUrl(db: Database, tenantId: number): Promise<string | null> {
  const row = await db.db.selectFrom('tenant').select('callback_url').where('id', '=', tenantId).executeTakeFirst();
  return row?.callback_url ?? null;
}
