import { invalidParameter } from './errors.js';

/*
 * What a tenant owns and may set itself: its sign (part of every signature) and its intent-level
 * tag groups. One rule each, shared by the CLI (createTenant) and the API (isv/updateIsvInfo);
 * callback URLs have theirs in ./callbackUrl.ts.
 */

/** A tenantSign: 2–64 of letters, digits, _ and -. */
export const TENANT_SIGN_PATTERN = /^[A-Za-z0-9_-]{2,64}$/;

/** The sign as given; a 412 naming `tenantSign` when it breaks the rule. */
export function checkTenantSign(sign: string): string {
  if (!TENANT_SIGN_PATTERN.test(sign)) throw invalidParameter('tenantSign', 'must be 2–64 letters, digits, _ or -');
  return sign;
}

/** The group every tenant starts with, and its names of the six intent levels (code 0–5 = A–F). */
export const BUILT_IN_INTENT_LEVEL_TAG = {
  name: '内置意向分类标签',
  details: [
    { code: 0, name: 'A类' },
    { code: 1, name: 'B类' },
    { code: 2, name: 'C类' },
    { code: 3, name: 'D类' },
    { code: 4, name: 'E类' },
    { code: 5, name: 'F类' },
  ],
} as const;
