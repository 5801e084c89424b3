import { type RawBuilder, sql } from 'kysely';

/**
 * `expr` contains `text` as a substring, case-sensitively on both databases (SQLite connections
 * set case_sensitive_like). LIKE's wildcards in `text` are escaped so they match literally.
 */
export function contains(expr: RawBuilder<unknown>, text: string): RawBuilder<boolean> {
  return sql<boolean>`${expr} like ${likePattern(text)} escape '\\'`;
}

/** The LIKE pattern of `contains`: `text` anywhere, its wildcards escaped. */
export function likePattern(text: string): string {
  return `%${text.replace(/[\\%_]/g, (c) => `\\${c}`)}%`;
}

/**
 * An FTS5 query for `text` as one phrase. With the trigram tokenizer a phrase matches exactly
 * where `text` occurs as a substring (three characters or more).
 */
export function ftsPhrase(text: string): string {
  return `"${text.replace(/"/g, '""')}"`;
}
