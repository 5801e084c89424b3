/** Mainland China phone numbers, as a call task dials them. */

export const isMainlandMobile = (text: string): boolean => /^1[3-9]\d{9}$/.test(text);

/** Area code (0 + 2–3 digits) and a 7–8 digit subscriber number. */
const isLandline = (text: string): boolean => /^0\d{2,3}\d{7,8}$/.test(text);

/** The dialable form of a number (spaces, dashes, brackets and the +86/0086 prefix removed), or undefined when it is not one. */
export function normalizePhoneNumber(raw: string): string | undefined {
  let digits = raw.trim().replace(/[\s\-()（）]/g, '');
  if (digits.startsWith('+86')) digits = digits.slice(3);
  else if (digits.startsWith('0086')) digits = digits.slice(4);
  else if (digits.length === 13 && digits.startsWith('86')) digits = digits.slice(2);
  if (!/^\d+$/.test(digits)) return undefined;
  return isMainlandMobile(digits) || isLandline(digits) ? digits : undefined;
}

/** A number of a request's list that cannot be used, with its row and the reason. */
export interface RejectedNumber {
  index: number;
  phoneNumber: string;
  reason: string;
}

/**
 * Normalises each item's number (`numberOf`); a number that is not one, or repeats an earlier
 * row of the same request, is rejected with its reason. The others keep their row index.
 */
export function vetPhoneNumbers<T>(
  items: readonly T[],
  numberOf: (item: T) => string,
): { rows: { index: number; phoneNumber: string; item: T }[]; rejected: RejectedNumber[] } {
  const rows: { index: number; phoneNumber: string; item: T }[] = [];
  const rejected: RejectedNumber[] = [];
  const firstRowOf = new Map<string, number>();
  for (const [index, item] of items.entries()) {
    const phoneNumber = normalizePhoneNumber(numberOf(item));
    if (!phoneNumber) {
      rejected.push({ index, phoneNumber: numberOf(item), reason: 'not a mainland mobile or landline number' });
      continue;
    }
    const first = firstRowOf.get(phoneNumber);
    if (first !== undefined) {
      rejected.push({ index, phoneNumber, reason: `duplicate of row ${first} in this request` });
      continue;
    }
    firstRowOf.set(phoneNumber, index);
    rows.push({ index, phoneNumber, item });
  }
  return { rows, rejected };
}
