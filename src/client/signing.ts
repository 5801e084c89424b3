/**
 * The platform's request signature, computed with WebCrypto so it runs in Node 18+ and browsers.
 * signature = hex(SHA-256(tenantSign + "appKey=…&appSecret=…&tenantSign=…&version=…&timestamp=…"))
 */

export interface ClientCredentials {
  appKey: string;
  appSecret: string;
  tenantSign: string;
}

export const API_VERSION = 'v1';

/** WebCrypto's digest: `globalThis.crypto.subtle` unless given (Node 18 has it only as `require('node:crypto').webcrypto.subtle`). */
export interface Digest {
  digest(algorithm: 'SHA-256', data: Uint8Array<ArrayBuffer>): Promise<ArrayBuffer>;
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

export async function sha256Hex(text: string, subtle: Digest = defaultSubtle()): Promise<string> {
  const digest = await subtle.digest('SHA-256', new TextEncoder().encode(text));
  return Array.from(new Uint8Array(digest), (b) => b.toString(16).padStart(2, '0')).join('');
}

/** The four headers a signed request carries. */
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
