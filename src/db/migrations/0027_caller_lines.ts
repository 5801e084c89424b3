import { type Kysely, sql } from 'kysely';
import type { Dialect } from '../database.js';

/*
 * Caller lines become resources a tenant manages (docs/lines.md): each line says which
 * engine dials it and within which limits, and, for SIP engines, its trunk.
 *
 * - `engine`: 'simulated' (the built-in simulator dials it) or 'external' (engines dial it through
 *   /engine/v1/). A new line is external unless said otherwise; every line made before this
 *   migration was dialled by the simulator, so it stays 'simulated'.
 * - limits: `calls_per_second` (null: none), `ring_timeout_seconds`, `max_call_seconds`,
 *   `daily_cap_per_number` (calls to one number per line per tenant-local day; null: none).
 *   Channels stay `concurrency_quota`, the enabled flag stays `enabled_status`.
 * - health: `consecutive_failures` (FROM_PHONE_ERROR / CAN_NOT_CONNECT results in a row),
 *   `disabled_reason` (why outcall disabled it), `high_water_mark` (most calls ever live at once).
 * - trunk: `sip_uri`, `sip_username`, `sip_password` (encrypted at rest like the app secrets,
 *   services/secrets.ts), `sip_transport` (udp | tcp), `sip_codecs` (a JSON list of PCMA, PCMU).
 *
 * phone_line already has its data-version triggers (0026); new columns need none.
 * Frozen in time: later changes are new migrations.
 */
export async function up(db: Kysely<any>, _dialect: Dialect): Promise<void> {
  const add = (column: string, type: string, build: (c: any) => any = (c) => c) =>
    db.schema
      .alterTable('phone_line')
      .addColumn(column, type as any, build)
      .execute();
  await add('engine', 'text', (c) => c.notNull().defaultTo('external'));
  await sql`update phone_line set engine = 'simulated'`.execute(db);
  await add('calls_per_second', 'real');
  await add('ring_timeout_seconds', 'integer', (c) => c.notNull().defaultTo(60));
  await add('max_call_seconds', 'integer', (c) => c.notNull().defaultTo(600));
  await add('daily_cap_per_number', 'integer');
  await add('consecutive_failures', 'integer', (c) => c.notNull().defaultTo(0));
  await add('disabled_reason', 'text');
  await add('high_water_mark', 'integer', (c) => c.notNull().defaultTo(0));
  await add('sip_uri', 'text');
  await add('sip_username', 'text');
  await add('sip_password', 'text');
  await add('sip_transport', 'text', (c) => c.notNull().defaultTo('udp'));
  await add('sip_codecs', 'text', (c) => c.notNull().defaultTo('["PCMA","PCMU"]'));
}
