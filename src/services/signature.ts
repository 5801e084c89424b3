import { createHash, createHmac, timingSafeEqual } from 'node:crypto';

/** The platform's request signature, v1, and outcall's v2 (docs/signature.md). */

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

// ---- v2 ----------------------------------------------------------------------------------------
/*
 * This is the server's own implementation of the canonical form, on Node's Buffer; the SDK has its
 * own on WebCrypto and TextEncoder (src/client/signing.ts). A property test checks that they agree,
 * and the test vector of docs/signature.md that both follow the page.
 */

/** A v2 nonce: 16–64 of A–Z a–z 0–9 _ -. */
export const NONCE_PATTERN = /^[A-Za-z0-9_-]{16,64}$/;

/** What v2 signs besides the credentials: the request as the server received it. */
export interface SignedRequestParts {
  method: string;
  /** The request-target as received: path and query, e.g. `/apiOpen/v1/task/getTasks?pageNum=2`. */
  url: string;
  /** The body as received ('' when there is none). */
  body: string | Buffer;
}

export interface SignatureV2Input extends SignedRequestParts {
  appKey: string;
  appSecret: string;
  timestamp: string;
  nonce: string;
}

const UNRESERVED = new Uint8Array(256);
for (const c of 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-._~') UNRESERVED[c.charCodeAt(0)] = 1;
const ALREADY_CANONICAL = /^[A-Za-z0-9\-._~]*$/;
const isHex = (c: number) => (c >= 48 && c <= 57) || (c >= 65 && c <= 70) || (c >= 97 && c <= 102);

/**
 * One path segment, query name or value in canonical form: percent-escapes decoded to bytes (`+`
 * to a space in the query), every other character taken as its UTF-8 bytes, then every byte
 * outside A–Z a–z 0–9 - . _ ~ written as %XX (upper-case hex). A `%` not followed by two hex
 * digits is a literal `%`. So `%7e`, `%7E` and `~` are one thing; `%2B` and `+` are not.
 */
export function canonicalComponent(text: string, plusIsSpace: boolean): string {
  if (ALREADY_CANONICAL.test(text)) return text; // most names and values: nothing to decode or escape
  const bytes: number[] = [];
  let plain = '';
  const flush = () => {
    if (plain) bytes.push(...Buffer.from(plain, 'utf8'));
    plain = '';
  };
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c === 0x25 && i + 2 < text.length && isHex(text.charCodeAt(i + 1)) && isHex(text.charCodeAt(i + 2))) {
      flush();
      bytes.push(Number.parseInt(text.slice(i + 1, i + 3), 16));
      i += 2;
    } else if (c === 0x2b && plusIsSpace) {
      flush();
      bytes.push(0x20);
    } else plain += text[i];
  }
  flush();
  let out = '';
  for (const b of bytes)
    out += UNRESERVED[b] ? String.fromCharCode(b) : `%${b.toString(16).toUpperCase().padStart(2, '0')}`;
  return out;
}

/** The path, segment by segment in canonical form; `/` when empty. */
export function canonicalPath(path: string): string {
  return path === ''
    ? '/'
    : path
        .split('/')
        .map((s) => canonicalComponent(s, false))
        .join('/');
}

/**
 * The query string (without `?`): split at `&`, empty pieces dropped; each piece split at its first
 * `=` (none: the value is empty); name and value in canonical form; pairs sorted by name, then
 * value (byte order); joined as `name=value` with `&`. Repeated names are all kept.
 */
export function canonicalQuery(query: string): string {
  return query
    .split('&')
    .filter((p) => p !== '')
    .map((p) => {
      const eq = p.indexOf('=');
      const name = eq < 0 ? p : p.slice(0, eq);
      const value = eq < 0 ? '' : p.slice(eq + 1);
      return [canonicalComponent(name, true), canonicalComponent(value, true)] as const;
    })
    .sort(([an, av], [bn, bv]) => (an < bn ? -1 : an > bn ? 1 : av < bv ? -1 : av > bv ? 1 : 0))
    .map(([n, v]) => `${n}=${v}`)
    .join('&');
}

/** The text v2 signs: eight lines joined by `\n` (no newline at the end). */
export function stringToSignV2(i: Omit<SignatureV2Input, 'appSecret'>): string {
  const hashAt = i.url.indexOf('#');
  const target = hashAt < 0 ? i.url : i.url.slice(0, hashAt);
  const q = target.indexOf('?');
  const path = q < 0 ? target : target.slice(0, q);
  const query = q < 0 ? '' : target.slice(q + 1);
  return [
    'v2',
    i.appKey,
    i.timestamp,
    i.nonce,
    i.method.toUpperCase(),
    canonicalPath(path),
    canonicalQuery(query),
    createHash('sha256').update(i.body).digest('hex'),
  ].join('\n');
}

/** v2: lower-case hex HMAC-SHA256, keyed with the app secret's UTF-8 bytes, of stringToSignV2. */
export function computeSignatureV2(i: SignatureV2Input): string {
  return createHmac('sha256', Buffer.from(i.appSecret, 'utf8')).update(stringToSignV2(i), 'utf8').digest('hex');
}
