import type { Database } from '../db/database.js';
import type { CallRecordPhoneGramTable } from '../db/schema.js';
import { gramsOf, PHONE_GRAM_MAX } from '../domain/search.js';
import { chunks, toFlag } from './rows.js';

/*
 * The grams of short searches (migration 0019). Names' grams are kept by triggers; the called
 * numbers' counts of new records are added here, by the write path, a batch per statement.
 */

/**
 * Counts each new record under every distinct substring of 1–3 characters of its called number,
 * per job and training flag. Rows are upserted in key order, the order every batch locks them in.
 */
export async function addPhoneGramCounts(
  db: Database,
  tenantId: number,
  records: readonly { job_id: number; is_training: boolean; called_phone_number: string }[],
): Promise<void> {
  const counts = new Map<string, CallRecordPhoneGramTable>();
  for (const r of records) {
    const isTraining = toFlag(r.is_training);
    for (const gram of gramsOf(r.called_phone_number, PHONE_GRAM_MAX)) {
      const key = `${r.job_id}\u0000${isTraining}\u0000${gram}`;
      const row = counts.get(key);
      if (row) row.records++;
      else counts.set(key, { tenant_id: tenantId, job_id: r.job_id, is_training: isTraining, gram, records: 1 });
    }
  }
  const rows = [...counts.values()].sort(
    (a, b) => a.job_id - b.job_id || a.is_training - b.is_training || (a.gram < b.gram ? -1 : a.gram > b.gram ? 1 : 0),
  );
  for (const chunk of chunks(rows, 1000)) {
    await db.db
      .insertInto('call_record_phone_gram')
      .values(chunk)
      .onConflict((oc) =>
        oc.columns(['tenant_id', 'job_id', 'is_training', 'gram']).doUpdateSet((eb) => ({
          records: eb(eb.ref('call_record_phone_gram.records'), '+', eb.ref('excluded.records')),
        })),
      )
      .execute();
  }
}

/** How many of the job's records (training or not) have `gram` (1–3 characters) in their called number. */
export async function countPhoneGram(
  db: Database,
  tenantId: number,
  jobId: number,
  training: boolean,
  gram: string,
): Promise<number> {
  const row = await db.db
    .selectFrom('call_record_phone_gram')
    .select('records')
    .where('tenant_id', '=', tenantId)
    .where('job_id', '=', jobId)
    .where('is_training', '=', toFlag(training))
    .where('gram', '=', gram)
    .executeTakeFirst();
  return Number(row?.records ?? 0);
}
