import { sql, type RawBuilder } from 'kysely';

/**
 * `expr` contains `text` as a substring, case-sensitively on both databases (SQLite connections
 * set case_sensitive_like). LIKE's wildcards in `text` are escaped so they match literally.
 */
export function contains(expr: RawBuilder<unknown>, text: string): RawBuilder<boolean> {
  const pattern = `%${text.replace(/[\\%_]/g, (c) => `\\${c}`)}%`;
  return sql<boolean>`${expr} like ${pattern} escape '\\'`;
}
