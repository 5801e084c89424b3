/*
 * Checking a callback's signature on the receiving side (docs/callbacks.md). Every delivery
 * carries X-Outcall-Event-Id, X-Outcall-Timestamp (Unix seconds) and two signatures keyed with the
 * tenant's callback secret, both hex HMAC-SHA256:
 *   X-Outcall-Signature-V2 over `eventId + "." + timestamp + "." + raw body`;
 *   X-Outcall-Signature over `timestamp + "." + raw body` (the first version; it does not cover the
 *   event id, so a captured delivery passes it under another id).
 * verifyCallback checks the second version when it is there and the first otherwise; with
 * `requireSignatureV2` a delivery without the second version is refused. WebCrypto only, like the
 * rest of the SDK: it runs in Node 20+, Deno, Bun and edge runtimes.
 *
 *   const check = await verifyCallback(request.headers, rawBody, secret, { requireSignatureV2: true });
 *   if (!check.valid) return reply.code(401).send(check.reason);
 *   // … process once per check.eventId, then answer the body `success`
 */

/** Header values as Node (string | string[] | undefined), a WHATWG Headers, or a plain record. */
export type CallbackHeaders = { get(name: string): string | null } | Record<string, string | string[] | undefined>;

export interface VerifyCallbackOptions {
  /** How far X-Outcall-Timestamp may be from now, in seconds (default 300); 0 skips the check. */
  toleranceSeconds?: number;
  /**
   * Refuse deliveries that carry only X-Outcall-Signature (default false). Servers of this version
   * send both; set it once yours do, or a delivery captured on the way could be replayed under a
   * new event id with the second signature removed.
   */
  requireSignatureV2?: boolean;
  /** The clock, in milliseconds (tests). */
  now?: number;
}

export type VerifyCallbackResult =
  | {
      valid: true;
      eventId: string;
      timestamp: number;
      /** Which signature was checked: `v2` (it covers the event id) or `v1`. */
      signatureVersion: 'v1' | 'v2';
    }
  | { valid: false; reason: string };

function header(headers: CallbackHeaders, name: string): string | undefined {
  if (typeof (headers as { get?: unknown }).get === 'function')
    return (headers as { get(name: string): string | null }).get(name) ?? undefined;
  const record = headers as Record<string, string | string[] | undefined>;
  const key = Object.keys(record).find((k) => k.toLowerCase() === name);
  const value = key === undefined ? undefined : record[key];
  return Array.isArray(value) ? value[0] : value;
}

const encoder = new TextEncoder();

async function hmacHex(secret: string, message: Uint8Array): Promise<string> {
  const subtle = globalThis.crypto?.subtle;
  if (!subtle) throw new Error('WebCrypto is not available as globalThis.crypto: run Node 20+');
  const key = await subtle.importKey('raw', encoder.encode(secret), { name: 'HMAC', hash: 'SHA-256' }, false, ['sign']);
  const mac = new Uint8Array(await subtle.sign('HMAC', key, message as Uint8Array<ArrayBuffer>));
  return Array.from(mac, (b) => b.toString(16).padStart(2, '0')).join('');
}

/** Compares two strings in time independent of where they differ. */
function sameText(a: string, b: string): boolean {
  if (a.length !== b.length) return false;
  let diff = 0;
  for (let i = 0; i < a.length; i++) diff |= a.charCodeAt(i) ^ b.charCodeAt(i);
  return diff === 0;
}

/**
 * Checks a callback: its signature under `secret` (or any of several, while a rotated secret is
 * being switched over) over the raw body exactly as received, and its timestamp against the clock.
 */
export async function verifyCallback(
  headers: CallbackHeaders,
  rawBody: string | Uint8Array,
  secret: string | readonly string[],
  options: VerifyCallbackOptions = {},
): Promise<VerifyCallbackResult> {
  const eventId = header(headers, 'x-outcall-event-id');
  const timestamp = header(headers, 'x-outcall-timestamp');
  const v2 = header(headers, 'x-outcall-signature-v2')?.trim().toLowerCase();
  const v1 = header(headers, 'x-outcall-signature')?.trim().toLowerCase();
  if (!eventId) return { valid: false, reason: 'no X-Outcall-Event-Id header' };
  if (!timestamp || !/^\d{1,12}$/.test(timestamp))
    return { valid: false, reason: 'no valid X-Outcall-Timestamp header' };
  // The second version when it is sent: a delivery that carries it is judged by it alone.
  const version = v2 !== undefined ? 'v2' : 'v1';
  const signature = version === 'v2' ? v2 : v1;
  const name = version === 'v2' ? 'X-Outcall-Signature-V2' : 'X-Outcall-Signature';
  if (version === 'v1' && options.requireSignatureV2)
    return { valid: false, reason: 'no X-Outcall-Signature-V2 header (the signature that covers the event id)' };
  if (!signature || !/^[0-9a-f]{64}$/.test(signature)) return { valid: false, reason: `no valid ${name} header` };
  const tolerance = options.toleranceSeconds ?? 300;
  const now = (options.now ?? Date.now()) / 1000;
  if (tolerance > 0 && Math.abs(now - Number(timestamp)) > tolerance)
    return { valid: false, reason: `the timestamp is more than ${tolerance} s from now` };
  const body = typeof rawBody === 'string' ? encoder.encode(rawBody) : rawBody;
  const prefix = encoder.encode(version === 'v2' ? `${eventId}.${timestamp}.` : `${timestamp}.`);
  const message = new Uint8Array(prefix.length + body.length);
  message.set(prefix);
  message.set(body, prefix.length);
  for (const s of typeof secret === 'string' ? [secret] : secret) {
    if (sameText(await hmacHex(s, message), signature))
      return { valid: true, eventId, timestamp: Number(timestamp), signatureVersion: version };
  }
  return {
    valid: false,
    reason:
      version === 'v2'
        ? 'the signature does not match (X-Outcall-Signature-V2 covers the event id, the timestamp and the body)'
        : 'the signature does not match',
  };
}
