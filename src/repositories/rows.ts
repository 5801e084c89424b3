import type { Flag } from '../db/schema.js';

/*
 * Conversions between stored and domain forms, used by the repositories only: flags are 0/1 and
 * JSON is text in the database, booleans and values above it.
 */

/** JSON columns come back as text from SQLite and parsed from PostgreSQL. */
export function parseJson<T>(value: unknown, fallback: T): T {
  if (value === null || value === undefined) return fallback;
  if (typeof value === 'string') return value === '' ? fallback : (JSON.parse(value) as T);
  return value as T;
}

export const toFlag = (value: boolean | undefined): Flag => (value ? 1 : 0);

export const isSet = (flag: number): boolean => flag === 1;

/** Splits a long list for statements with many parameters (IN lists, multi-row inserts). */
export function chunks<T>(items: readonly T[], size: number): T[][] {
  const out: T[][] = [];
  for (let i = 0; i < items.length; i += size) out.push(items.slice(i, i + size));
  return out;
}

/**
 * Rows in chunks of the given sizes only (largest first): a bulk insert's text then takes one of a
 * few shapes, kept prepared (db/database.ts `runPrepared`), instead of one per batch length.
 */
export function fixedChunks<T>(items: readonly T[], sizes: readonly number[]): T[][] {
  const out: T[][] = [];
  let i = 0;
  for (const size of sizes) for (; items.length - i >= size; i += size) out.push(items.slice(i, i + size));
  return out;
}

/** Code point order, as SQLite's BINARY and PostgreSQL's "C" collation compare text. */
const byCodePoint = (a: string, b: string) => Buffer.compare(Buffer.from(a), Buffer.from(b));

/**
 * A record's concern set as call_record_concern_count keys it (migration 0020): its distinct
 * concerns in code point order, as JSON text ('' when it mentions none, and is not counted there).
 */
export function concernSet(concerns: readonly string[]): string {
  const distinct = [...new Set(concerns)];
  return distinct.length === 0 ? '' : JSON.stringify(distinct.sort(byCodePoint));
}
