/*
 * Types of the npm package `sip` (SIP parsing, transports, transactions and digest), which ships
 * none: only what the engine uses. Headers are parsed into objects for the ones it knows (via,
 * from, to, contact, cseq, route, record-route, authenticate headers) and kept as text otherwise.
 */
declare module 'sip' {
  namespace sip {
    interface NameAddress {
      name?: string;
      uri: string;
      params: Record<string, string | null | undefined>;
    }
    interface Headers {
      to: NameAddress;
      from: NameAddress;
      'call-id': string;
      cseq: { method: string; seq: number };
      contact?: NameAddress[];
      via?: unknown[];
      route?: NameAddress[];
      'record-route'?: NameAddress[];
      [name: string]: unknown;
    }
    interface Message {
      method?: string;
      uri?: string;
      status?: number;
      reason?: string;
      headers: Headers;
      content?: string;
    }
    interface Remote {
      protocol: string;
      address: string;
      port: number;
    }
    interface Options {
      address?: string;
      port?: number;
      publicAddress?: string;
      hostname?: string;
      udp?: boolean;
      tcp?: boolean;
      rport?: boolean;
      logger?: { error?: (error: unknown) => void; send?: (m: Message) => void; recv?: (m: Message) => void };
    }
    interface Stack {
      send(message: Message, onResponse?: (response: Message) => void): void;
      destroy(): void;
      hostname(): string;
    }
    function create(options: Options, onRequest: (request: Message, remote: Remote) => void): Stack;
    function makeResponse(request: Message, status: number, reason?: string): Message;
    function stringify(message: Message): string;
    function parseUri(uri: string):
      | {
          schema: string;
          user?: string;
          host: string;
          port?: number;
          params: Record<string, string | null | undefined>;
        }
      | undefined;
  }
  export = sip;
}

declare module 'sip/digest.js' {
  import type sip from 'sip';
  /** Adds the (Proxy-)Authorization answering `challenge` (a 401 or 407) to `request`. */
  export function signRequest(
    context: object,
    request: sip.Message,
    challenge: sip.Message,
    credentials: { user: string; password: string },
  ): unknown;
}
