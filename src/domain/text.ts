/*
 * Text the databases store exactly as JS holds it. An unpaired UTF-16 surrogate cannot be encoded
 * as UTF-8: both drivers replace it (PostgreSQL's with one U+FFFD, better-sqlite3's with up to
 * three), so a stored key no longer equals the JS string it came from. PostgreSQL also refuses NUL
 * in text and jsonb. The API refuses both (schemas/keywords.ts `x-text`); internal writers
 * normalise keys with `toWellFormed` so that what they compare is what is stored.
 */

/** NUL, or a surrogate that is not half of a pair. */
const ILL_FORMED = /\0|[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;
const UNPAIRED = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/g;

/** Is `text` free of NUL characters and unpaired surrogates? */
export function isWellFormedText(text: string): boolean {
  return !ILL_FORMED.test(text);
}

/** `text` with each unpaired surrogate replaced by U+FFFD (String.prototype.toWellFormed, ES2024). */
export function toWellFormed(text: string): string {
  return text.replace(UNPAIRED, '\uFFFD');
}
