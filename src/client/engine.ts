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

  /** The data of a successful envelope; any other code rejects with OutcallError (kind `envelope`). */
  protected request<T>(method: HttpMethod, path: string, options: SendOptions = {}): Promise<T> {
    // The transport's own, private to the SDK's users but not to the SDK: the same errors, the attempts counted.
    // biome-ignore lint/complexity/useLiteralKeys: element access reaches the private member on purpose
    return this.transport['request']<T>(method, path, options);
  }
}
