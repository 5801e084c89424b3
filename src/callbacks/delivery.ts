import { createHmac } from 'node:crypto';
import http from 'node:http';
import https from 'node:https';
import type { LookupFunction } from 'node:net';
import { AddressRefused, ResolutionFailed, resolveDeliveryAddress } from './ssrf.js';

/*
 * One delivery attempt: POST the event's body to the callback URL, signed, bounded in every way
 * — connect and total timeouts, at most 64 KB of the answer read, redirects not followed — and
 * judged: only HTTP 2xx with a body that is `success` (trimmed, any case) is a delivery.
 *
 * node:http/https rather than fetch: the request must connect to the address the SSRF check
 * approved (the `lookup` option hands it over, so DNS is asked once per attempt and what was
 * checked is what is dialled, while TLS still verifies the certificate for the host name), and
 * fetch has no such hook without the undici package. Keep-alive agents reuse connections to a
 * receiver, which is most of the cost of a delivery.
 */

export const MAX_RESPONSE_BYTES = 64 * 1024;

export interface DeliveryOptions {
  /** Resolving the name (ssrf.ts) and connecting, together. */
  connectTimeoutMs: number;
  timeoutMs: number;
  /** CALLBACK_ALLOW_PRIVATE_NETWORKS. */
  allowPrivateNetworks: boolean;
  /** URLs exempt from the private-network rule (the demo's own receiver), compared as written. */
  allowedUrls?: ReadonlySet<string>;
  /** CALLBACK_DNS_SERVERS: the servers callback hosts are resolved with; empty or absent: the system's. */
  dnsServers?: readonly string[];
}

export interface DeliveryRequest {
  url: string;
  eventId: string;
  body: string;
  secret: string;
  /** Unix seconds, for X-Outcall-Timestamp. */
  timestamp: number;
  /** The tenant the event is for: name resolutions are bounded per tenant. */
  tenantId?: number;
  /** Aborts the attempt (shutdown). */
  signal?: AbortSignal;
}

export interface DeliveryResult {
  delivered: boolean;
  status: number | null;
  /** Why it failed; null when delivered. */
  error: string | null;
  durationMs: number;
}

/** X-Outcall-Signature: hex HMAC-SHA256 over `timestamp + "." + body` (docs/callbacks.md). */
export function callbackSignature(secret: string, timestamp: number | string, body: string): string {
  return createHmac('sha256', secret).update(`${timestamp}.${body}`).digest('hex');
}

/**
 * X-Outcall-Signature-V2: hex HMAC-SHA256 over `eventId + "." + timestamp + "." + body`. The first
 * signature leaves the event id out, so a captured delivery could be sent again under a new id and
 * pass a receiver that de-duplicates by id; this one covers it. Both are sent: receivers that check
 * only the first go on working. Neither an event id (a UUID) nor a timestamp (digits) holds a
 * ".", so the message is read one way only.
 */
export function callbackSignatureV2(secret: string, eventId: string, timestamp: number | string, body: string): string {
  return createHmac('sha256', secret).update(`${eventId}.${timestamp}.${body}`).digest('hex');
}

const agentOptions = {
  keepAlive: true,
  keepAliveMsecs: 10_000,
  maxSockets: 256,
  maxFreeSockets: 64,
  scheduling: 'lifo',
} as const;
const httpAgent = new http.Agent(agentOptions);
const httpsAgent = new https.Agent(agentOptions);

/** Whether an answer is the documented acknowledgement. */
export function isSuccessAnswer(status: number, body: string): boolean {
  return status >= 200 && status < 300 && body.trim().toLowerCase() === 'success';
}

export async function deliver(request: DeliveryRequest, options: DeliveryOptions): Promise<DeliveryResult> {
  const started = Date.now();
  const done = (status: number | null, error: string | null): DeliveryResult => ({
    delivered: error === null,
    status,
    error,
    durationMs: Date.now() - started,
  });
  let url: URL;
  try {
    url = new URL(request.url);
  } catch {
    return done(null, 'the callback URL is not a URL');
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') return done(null, 'the callback URL is not http or https');
  const allowPrivate = options.allowPrivateNetworks || (options.allowedUrls?.has(request.url) ?? false);
  let target: { address: string; family: 4 | 6 };
  // The attempt's deadlines run from here: resolving the name counts towards connecting.
  const connectBy = started + options.connectTimeoutMs;
  try {
    target = await resolveDeliveryAddress(url.hostname, allowPrivate, {
      servers: options.dnsServers ?? [],
      deadlineMs: Math.min(options.connectTimeoutMs, options.timeoutMs),
      signal: request.signal,
      tenantId: request.tenantId,
    });
  } catch (error) {
    if (error instanceof AddressRefused || error instanceof ResolutionFailed) return done(null, error.message);
    return done(null, `cannot resolve ${url.hostname}: ${(error as Error).message}`);
  }
  if (request.signal?.aborted) return done(null, 'abandoned: the dispatcher is stopping');
  const lookup: LookupFunction = (_host, opts, callback) => {
    if ((opts as { all?: boolean }).all) (callback as any)(null, [target]);
    else callback(null, target.address, target.family);
  };
  const signature = callbackSignature(request.secret, request.timestamp, request.body);
  const signatureV2 = callbackSignatureV2(request.secret, request.eventId, request.timestamp, request.body);
  const secure = url.protocol === 'https:';
  return new Promise<DeliveryResult>((resolve) => {
    let settled = false;
    const finish = (status: number | null, error: string | null) => {
      if (settled) return;
      settled = true;
      clearTimeout(total);
      clearTimeout(connect);
      request.signal?.removeEventListener('abort', onAbort);
      resolve(done(status, error));
    };
    const req = (secure ? https : http).request({
      method: 'POST',
      protocol: url.protocol,
      hostname: url.hostname.startsWith('[') ? url.hostname.slice(1, -1) : url.hostname,
      port: url.port || (secure ? 443 : 80),
      path: `${url.pathname}${url.search}`,
      agent: secure ? httpsAgent : httpAgent,
      lookup,
      headers: {
        'content-type': 'application/json; charset=utf-8',
        'content-length': Buffer.byteLength(request.body),
        'user-agent': 'outcall-callbacks/1',
        'x-outcall-event-id': request.eventId,
        'x-outcall-timestamp': String(request.timestamp),
        'x-outcall-signature': signature,
        'x-outcall-signature-v2': signatureV2,
      },
    });
    const fail = (message: string) => {
      finish(null, message);
      req.destroy();
    };
    const total = setTimeout(
      () => fail(`no complete answer within ${options.timeoutMs} ms`),
      Math.max(0, started + options.timeoutMs - Date.now()),
    );
    const connect = setTimeout(
      () => fail(`could not connect within ${options.connectTimeoutMs} ms`),
      Math.max(0, connectBy - Date.now()),
    );
    const onAbort = () => fail('abandoned: the dispatcher is stopping');
    request.signal?.addEventListener('abort', onAbort);
    req.on('socket', (socket) => {
      if (!socket.connecting) clearTimeout(connect);
      else socket.once(secure ? 'secureConnect' : 'connect', () => clearTimeout(connect));
    });
    req.on('error', (error) => finish(null, describe(error)));
    req.on('response', (res) => {
      const status = res.statusCode ?? 0;
      if (status >= 300 && status < 400) {
        res.resume();
        return finish(status, `HTTP ${status}: redirects are not followed`);
      }
      const parts: Buffer[] = [];
      let bytes = 0;
      res.on('data', (chunk: Buffer) => {
        bytes += chunk.length;
        if (bytes > MAX_RESPONSE_BYTES) {
          finish(status, `the answer is longer than ${MAX_RESPONSE_BYTES} bytes`);
          res.destroy();
          return;
        }
        parts.push(chunk);
      });
      res.on('error', (error) => finish(status, describe(error)));
      res.on('end', () => {
        const body = Buffer.concat(parts).toString('utf8');
        if (isSuccessAnswer(status, body)) return finish(status, null);
        if (status < 200 || status >= 300) return finish(status, `HTTP ${status}`);
        return finish(status, `the answer is not "success": ${JSON.stringify(body.slice(0, 100))}`);
      });
    });
    req.end(request.body);
  });
}

function describe(error: Error & { code?: string }): string {
  return error.code ? `${error.code}: ${error.message}` : error.message;
}
