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

export async function sha256Hex(text: string): Promise<string> {
  const digest = await globalThis.crypto.subtle.digest('SHA-256', new TextEncoder().encode(text));
  return Array.from(new Uint8Array(digest), (b) => b.toString(16).padStart(2, '0')).join('');
}

/** The four headers a signed request carries. */
export async function signedHeaders(credentials: ClientCredentials, timestamp: number = Date.now()): Promise<Record<string, string>> {
  const { appKey, appSecret, tenantSign } = credentials;
  const ts = String(timestamp);
  const signature = await sha256Hex(
    `${tenantSign}appKey=${appKey}&appSecret=${appSecret}&tenantSign=${tenantSign}&version=${API_VERSION}&timestamp=${ts}`,
  );
  return { appKey, version: API_VERSION, timestamp: ts, signature };
}
