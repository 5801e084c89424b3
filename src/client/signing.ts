/**
 * Request signatures, computed with WebCrypto so they run in Node 18+ and browsers (docs/signature.md).
 * v1 (the platform's): signature = hex(SHA-256(tenantSign + "appKey=…&appSecret=…&tenantSign=…&version=…&timestamp=…"))
 * v2: signature = hex(HMAC-SHA256(appSecret, "v2\n" + appKey + "\n" + timestamp + "\n" + nonce + "\n"
 *     + METHOD + "\n" + canonical path + "\n" + canonical query + "\n" + hex(SHA-256(body))))
 */

export interface ClientCredentials {
  appKey: string;
  appSecret: string;
  tenantSign: string;
}

export type SignatureVersion = 'v1' | 'v2';

/** The version `signedHeaders` signs (the platform's). */
export const API_VERSION = 'v1';

/** The part of WebCrypto's SubtleCrypto the signatures use: SHA-256 (v1, v2) and HMAC (v2). */
export interface Digest {
  digest(algorithm: 'SHA-256', data: Uint8Array<ArrayBuffer>): Promise<ArrayBuffer>;
  importKey?(
    format: 'raw',
    keyData: Uint8Array<ArrayBuffer>,
    algorithm: { name: 'HMAC'; hash: 'SHA-256' },
    extractable: false,
    usages: ['sign'],
  ): Promise<CryptoKey>;
  sign?(algorithm: 'HMAC', key: CryptoKey, data: Uint8Array<ArrayBuffer>): Promise<ArrayBuffer>;
}

/** WebCrypto's random source (for v2 nonces). */
export interface RandomSource {
  getRandomValues<T extends Uint8Array<ArrayBuffer>>(array: T): T;
}

function defaultSubtle(): Digest {
  const subtle = globalThis.crypto?.subtle;
  if (!subtle) {
    throw new Error(
      "WebCrypto is not available as globalThis.crypto (Node 18): pass { crypto: require('node:crypto').webcrypto } to the client, or run Node 20+",
    );
  }
  return subtle;
}

const hex = (buffer: ArrayBuffer) =>
  Array.from(new Uint8Array(buffer), (b) => b.toString(16).padStart(2, '0')).join('');

export async function sha256Hex(text: string, subtle: Digest = defaultSubtle()): Promise<string> {
  return hex(await subtle.digest('SHA-256', new TextEncoder().encode(text)));
}

/** The four headers a v1-signed request carries. */
export async function signedHeaders(
  credentials: ClientCredentials,
  timestamp: number = Date.now(),
  subtle?: Digest,
): Promise<Record<string, string>> {
  const { appKey, appSecret, tenantSign } = credentials;
  const ts = String(timestamp);
  const signature = await sha256Hex(
    `${tenantSign}appKey=${appKey}&appSecret=${appSecret}&tenantSign=${tenantSign}&version=${API_VERSION}&timestamp=${ts}`,
    subtle,
  );
  return { appKey, version: API_VERSION, timestamp: ts, signature };
}

// ---- v2 ----------------------------------------------------------------------------------------

const UNRESERVED = /^[A-Za-z0-9\-._~]$/;
const HEX2 = /^[0-9A-Fa-f]{2}$/;

/**
 * A path segment, query name or value in canonical form: percent-escapes decoded to bytes (`+` to a
 * space in the query), other characters taken as their UTF-8 bytes, then every byte outside
 * A–Z a–z 0–9 - . _ ~ written as %XX in upper-case hex; a `%` without two hex digits is literal.
 */
export function canonicalComponent(text: string, plusIsSpace: boolean): string {
  const encoder = new TextEncoder();
  const bytes: number[] = [];
  let plain = '';
  const flush = () => {
    if (plain) for (const b of encoder.encode(plain)) bytes.push(b);
    plain = '';
  };
  for (let i = 0; i < text.length; i++) {
    const ch = text[i]!;
    if (ch === '%' && HEX2.test(text.slice(i + 1, i + 3))) {
      flush();
      bytes.push(Number.parseInt(text.slice(i + 1, i + 3), 16));
      i += 2;
    } else if (ch === '+' && plusIsSpace) {
      flush();
      bytes.push(0x20);
    } else plain += ch;
  }
  flush();
  return bytes
    .map((b) => {
      const c = String.fromCharCode(b);
      return UNRESERVED.test(c) ? c : `%${b.toString(16).toUpperCase().padStart(2, '0')}`;
    })
    .join('');
}

/** The path in canonical form, segment by segment; `/` when empty. */
export function canonicalPath(path: string): string {
  return path === ''
    ? '/'
    : path
        .split('/')
        .map((segment) => canonicalComponent(segment, false))
        .join('/');
}

/** The query string (without `?`) in canonical form: pairs in canonical form, sorted by name then value. */
export function canonicalQuery(query: string): string {
  const pairs = query
    .split('&')
    .filter((piece) => piece !== '')
    .map((piece) => {
      const eq = piece.indexOf('=');
      return [
        canonicalComponent(eq < 0 ? piece : piece.slice(0, eq), true),
        canonicalComponent(eq < 0 ? '' : piece.slice(eq + 1), true),
      ] as [string, string];
    });
  const order = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0);
  pairs.sort((a, b) => order(a[0], b[0]) || order(a[1], b[1]));
  return pairs.map(([name, value]) => `${name}=${value}`).join('&');
}

/** What v2 signs of a request: its method, its path and query as the server receives them, and its body. */
export interface RequestToSign {
  method: string;
  /** The path as the server receives it, e.g. `/apiOpen/v1/task/getTasks`. */
  path: string;
  /** The query string without `?` ('' for none), exactly as sent. */
  query: string;
  /** The body as sent (none: the empty string). */
  body?: string;
}

/** The text a v2 signature signs (eight lines, no newline at the end). */
export async function stringToSignV2(
  appKey: string,
  timestamp: string,
  nonce: string,
  request: RequestToSign,
  subtle: Digest = defaultSubtle(),
): Promise<string> {
  return [
    'v2',
    appKey,
    timestamp,
    nonce,
    request.method.toUpperCase(),
    canonicalPath(request.path),
    canonicalQuery(request.query),
    await sha256Hex(request.body ?? '', subtle),
  ].join('\n');
}

/** A fresh nonce: 16 random bytes as 22 base64url characters. */
export function newNonce(random: RandomSource | undefined = globalThis.crypto): string {
  if (!random?.getRandomValues)
    throw new Error(
      "no WebCrypto random source for the v2 nonce: pass { crypto: require('node:crypto').webcrypto } to the client, or run Node 20+",
    );
  const bytes = random.getRandomValues(new Uint8Array(16));
  return btoa(String.fromCharCode(...bytes))
    .replace(/\+/g, '-')
    .replace(/\//g, '_')
    .replace(/=+$/, '');
}

/** The five headers a v2-signed request carries. */
export async function signedHeadersV2(
  credentials: Omit<ClientCredentials, 'tenantSign'>,
  request: RequestToSign,
  options: { timestamp?: number; nonce?: string; subtle?: Digest; random?: RandomSource } = {},
): Promise<Record<string, string>> {
  const subtle = options.subtle ?? defaultSubtle();
  if (!subtle.importKey || !subtle.sign)
    throw new Error('signature v2 needs WebCrypto HMAC (crypto.subtle.importKey and sign)');
  const { appKey, appSecret } = credentials;
  const timestamp = String(options.timestamp ?? Date.now());
  const nonce = options.nonce ?? newNonce(options.random);
  const text = await stringToSignV2(appKey, timestamp, nonce, request, subtle);
  const encoder = new TextEncoder();
  const key = await subtle.importKey('raw', encoder.encode(appSecret), { name: 'HMAC', hash: 'SHA-256' }, false, [
    'sign',
  ]);
  const signature = hex(await subtle.sign('HMAC', key, encoder.encode(text)));
  return { appKey, version: 'v2', timestamp, nonce, signature };
}
