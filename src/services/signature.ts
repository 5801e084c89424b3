import { createHash, timingSafeEqual } from 'node:crypto';

/** The platform's request signature (docs/signature.md). */

export interface SignatureInput {
  appKey: string;
  appSecret: string;
  tenantSign: string;
  version: string;
  timestamp: string;
}

export function computeSignature(i: SignatureInput): string {
  const text = `${i.tenantSign}appKey=${i.appKey}&appSecret=${i.appSecret}&tenantSign=${i.tenantSign}&version=${i.version}&timestamp=${i.timestamp}`;
  return createHash('sha256').update(text, 'utf8').digest('hex');
}

/** Constant-time comparison of a presented signature with the expected one (case-insensitive hex). */
export function signatureMatches(presented: string, expected: string): boolean {
  const a = Buffer.from(presented.toLowerCase(), 'utf8');
  const b = Buffer.from(expected, 'utf8');
  return a.length === b.length && timingSafeEqual(a, b);
}
