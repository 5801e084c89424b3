/*
 * searchWords of one to three characters are answered from grams (migration 0019): the distinct
 * substrings of a few characters of each customer's name and each call record's called number.
 * "Character" is a Unicode code point, as SQLite's and PostgreSQL's length() and substr() count.
 */

/** Names are indexed by their substrings of up to this many characters (longer: trigram indexes). */
export const NAME_GRAM_MAX = 2;
/** Called numbers are counted per job by their substrings of up to this many characters. */
export const PHONE_GRAM_MAX = 3;

/** The number of characters of `text`, as the databases count them. */
export const characterCount = (text: string): number => [...text].length;

/** The distinct substrings of `text` of 1..max characters. */
export function gramsOf(text: string, max: number): Set<string> {
  const chars = [...text];
  const out = new Set<string>();
  for (let length = 1; length <= max; length++)
    for (let start = 0; start + length <= chars.length; start++) out.add(chars.slice(start, start + length).join(''));
  return out;
}
