import type {
  AnnouncementsResult,
  ClaimBody,
  ClaimResult,
  DialResult,
  DialsResult,
  HeartbeatBody,
  HeartbeatResult,
  ReleaseResult,
  ResultBody,
  ResultResult,
  ResultsResult,
  TurnBody,
  TurnResult,
} from '../schemas/engine.js';
import { type HttpMethod, OutcallClient, type OutcallClientOptions, type SendOptions } from './client.js';
import { type Digest, type RandomSource, type RequestToSign, signedHeadersV2 } from './signing.js';
import type { Envelope } from './types.js';

/*
 * The engine side of the SDK (docs/engine-keys.md): a call engine signs its requests to
 * /engine/v1/ with an engine key — signature v2 only, with the key's appKey and appSecret (there is
 * no tenantSign). `EngineClient` is the transport (signing, retries, timeouts, the envelope) that
 * the protocol's typed methods use; `signEngineRequest` gives the headers alone, for an engine that
 * sends with its own HTTP client.
 */

export interface EngineCredentials {
  /** The engine key's appKey (`EK…`). */
  appKey: string;
  appSecret: string;
}

/** The five headers of one engine request (a fresh timestamp and nonce each time: sign every attempt anew). */
export function signEngineRequest(
  credentials: EngineCredentials,
  request: RequestToSign,
  options: { timestamp?: number; nonce?: string; subtle?: Digest; random?: RandomSource } = {},
): Promise<Record<string, string>> {
  return signedHeadersV2({ appKey: credentials.appKey, appSecret: credentials.appSecret }, request, options);
}

export interface EngineClientOptions
  extends EngineCredentials,
    Omit<OutcallClientOptions, 'appKey' | 'appSecret' | 'tenantSign' | 'signatureVersion'> {}

export class EngineClient {
  readonly baseUrl: string;
  /** The SDK's transport, signing v2 (which signs no tenantSign: the placeholder is never sent nor signed). */
  private readonly transport: OutcallClient;

  constructor(options: EngineClientOptions) {
    for (const name of ['appKey', 'appSecret'] as const) {
      if (typeof options[name] !== 'string' || options[name] === '') throw new TypeError(`${name} is required`);
    }
    this.transport = new OutcallClient({ ...options, tenantSign: '-', signatureVersion: 'v2' });
    this.baseUrl = this.transport.baseUrl;
  }

  /**
   * Sends one signed request and returns the envelope as it came, whatever its code (retrying as
   * configured). Rejects with OutcallError only when no envelope arrived.
   */
  send<T = unknown>(method: HttpMethod, path: string, options: SendOptions = {}): Promise<Envelope<T>> {
    return this.transport.send<T>(method, path, options);
  }

  /**
   * POST /engine/v1/claim: up to `max` call tasks under leases; waits up to `waitMs` (default
   * 25 s) for work. The transport's timeout must exceed the wait (it is raised for this call).
   */
  claim(body: ClaimBody, options: Pick<SendOptions, 'signal'> = {}): Promise<ClaimResult> {
    const waitMs = body.waitMs ?? 25_000;
    return this.request<ClaimResult>('POST', '/engine/v1/claim', { ...options, body, timeoutMs: waitMs + 10_000 });
  }

  /** POST /engine/v1/dial, before the INVITE; a refusal rejects with OutcallError (code 409): do not call. */
  dial(leaseId: string): Promise<DialResult> {
    return this.request<DialResult>('POST', '/engine/v1/dial', { body: { leaseId } });
  }

  /**
   * POST /engine/v1/dials: many leases at once (at most 100), before their INVITEs; each answers
   * `dial: true` (call it) or `dial: false` with the refusal's code and reason (do not call it).
   */
  dials(leaseIds: string[]): Promise<DialsResult> {
    return this.request<DialsResult>('POST', '/engine/v1/dials', { body: { leaseIds } });
  }

  /** POST /engine/v1/release: gives back leases claimed and not dialled. */
  release(leaseIds: string[]): Promise<ReleaseResult> {
    return this.request<ReleaseResult>('POST', '/engine/v1/release', { body: { leaseIds } });
  }

  /** POST /engine/v1/heartbeat: renews live leases; `cancel` says which calls to end. */
  heartbeat(leases: HeartbeatBody['leases']): Promise<HeartbeatResult> {
    return this.request<HeartbeatResult>('POST', '/engine/v1/heartbeat', { body: { leases } });
  }

  /** POST /engine/v1/result: reports a dialled call (idempotent by lease: safe to retry). */
  result(body: ResultBody): Promise<ResultResult> {
    return this.request<ResultResult>('POST', '/engine/v1/result', { body });
  }

  /**
   * POST /engine/v1/results: many calls at once (at most 100); each answers `accepted` with its
   * record, or the refusal's code and reason. Idempotent by lease: safe to send again.
   */
  results(results: ResultBody[]): Promise<ResultsResult> {
    return this.request<ResultsResult>('POST', '/engine/v1/results', { body: { results } });
  }

  /**
   * POST /engine/v1/turn: the robot's next line on a dialled call, from the job's dialog flow
   * (engines with speech recognition and synthesis but no dialog logic). Reads only: safe to retry.
   */
  turn(body: TurnBody): Promise<TurnResult> {
    return this.request<TurnResult>('POST', '/engine/v1/turn', { body });
  }

  /** POST /engine/v1/announcements: the carrier announcement clips of the tenants the key serves. */
  announcements(): Promise<AnnouncementsResult> {
    return this.request<AnnouncementsResult>('POST', '/engine/v1/announcements', { body: {} });
  }

  /** The data of a successful envelope; any other code rejects with OutcallError (kind `envelope`). */
  protected request<T>(method: HttpMethod, path: string, options: SendOptions = {}): Promise<T> {
    // The transport's own, private to the SDK's users but not to the SDK: the same errors, the attempts counted.
    // biome-ignore lint/complexity/useLiteralKeys: element access reaches the private member on purpose
    return this.transport['request']<T>(method, path, options);
  }
}
