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
