import { randomBytes } from 'node:crypto';
import { createSocket } from 'node:dgram';
import { createServer } from 'node:net';
import { hostname } from 'node:os';
import sip from 'sip';
import { signRequest } from 'sip/digest.js';
import type { G711Codec } from './g711.js';
import { RtpSession } from './rtp.js';
import { type RemoteMedia, remoteMedia, sdpOffer } from './sdp.js';

/*
 * The engine's SIP user agent: one `sip` stack (one port, UDP and TCP) places every call of the
 * process, each a dialog with its own RTP socket. It only calls out: it answers in-dialog requests
 * (the callee's BYE, a re-INVITE, OPTIONS) and refuses calls in.
 *
 * A call follows RFC 3261's caller side: INVITE with an SDP offer; a 401/407 answered once with
 * the digest of the trunk's credentials; provisional answers mark ringing (a 183 with SDP is early
 * media, kept for the fingerprint); CANCEL at the ring timeout or when told to stop (sent once a
 * provisional answer has come, as the RFC asks); on 200, ACK, then the caller's script plays its
 * audio and the call ends with BYE, unless the callee hangs up first.
 */

export type EndedBy = 'remote' | 'local' | 'ring_timeout' | 'cancel' | 'shutdown';
export type CallPhase = 'ringing' | 'early_media' | 'answered';

export interface UserAgentOptions {
  /** The local address to bind SIP and RTP to. */
  address: string;
  /** The SIP port (UDP and TCP). */
  port: number;
  /** The address the far end reaches us at (Contact, SDP); default `address`. */
  contactAddress?: string;
  /**
   * The host in Via. Default: this machine's name. It must not equal a trunk's host as written in
   * its URI: the `sip` package takes a request to its own host for one to a flow token.
   */
  viaHost?: string;
}

export interface CallRequest {
  /** `sip:<number>@<trunk host:port>`, with `;transport=tcp` for TCP. */
  requestUri: string;
  /** The caller id presented (From's user part). */
  callerId: string;
  /** The From header's host: the trunk's domain. */
  fromHost: string;
  credentials?: { user: string; password: string } | undefined;
  codecs: readonly G711Codec[];
  ringTimeoutMs: number;
  maxCallMs: number;
  /** Bytes of early media to keep (8,000 a second). */
  earlyMediaBytes: number;
  /** The script once answered: play audio; the call is hung up (BYE) when it resolves, if still up. */
  onAnswered: (call: AnsweredCall) => Promise<void>;
  onPhase?: (phase: CallPhase) => void;
}

export interface AnsweredCall {
  /** The codec the far end chose: audio given to `play` must be in it. */
  readonly codec: G711Codec;
  /** Plays audio in real time; resolves when played, or at once when the call has ended. */
  play(audio: Buffer): Promise<void>;
  /** Has the call ended (either side hung up, or it was told to stop)? */
  readonly ended: boolean;
}

export interface CallOutcome {
  /** The final SIP status: 200 when answered, else the failure (487 after our CANCEL). */
  sipCode?: number;
  sipReason?: string;
  /** The Q.850 cause of the Reason header of the final response or of the callee's BYE. */
  q850Cause?: number;
  endedBy: EndedBy;
  ringAt?: number;
  answerAt?: number;
  endAt: number;
  /** The far end's audio before the answer, up to `earlyMediaBytes`. */
  earlyMedia?: { codec: G711Codec; audio: Buffer };
}

/** How long a CANCEL or BYE may go unanswered before the call is taken as ended. */
const GIVE_UP_MS = 4000;

export class SipUserAgent {
  private readonly calls = new Map<string, OutgoingCall>();

  private constructor(
    readonly stack: sip.Stack,
    readonly options: Required<UserAgentOptions>,
  ) {}

  /** Starts the stack on address:port; rejects when the port is taken (UDP or TCP). */
  static async start(options: UserAgentOptions): Promise<SipUserAgent> {
    // The `sip` package binds without an error listener: a taken port would crash the process, so
    // both are tried first.
    await portFree(options.address, options.port);
    const settings = {
      contactAddress: options.contactAddress ?? options.address,
      viaHost: options.viaHost ?? hostname(),
      ...options,
    } as Required<UserAgentOptions>;
    let agent: SipUserAgent | undefined;
    const stack = sip.create(
      {
        address: options.address,
        port: options.port,
        publicAddress: settings.viaHost,
        udp: true,
        tcp: true,
        logger: { error: () => {} },
      },
      (request) => agent?.onRequest(request),
    );
    agent = new SipUserAgent(stack, settings);
    return agent;
  }

  /** Calls in progress. */
  get activeCalls(): number {
    return this.calls.size;
  }

  /** Places a call; its `outcome` resolves when it has ended, however it ends. */
  async placeCall(request: CallRequest): Promise<OutgoingCall> {
    const rtp = await RtpSession.open(this.options.address);
    const call = new OutgoingCall(this, rtp, request, () => this.calls.delete(call.callId));
    this.calls.set(call.callId, call);
    call.start();
    return call;
  }

  private onRequest(request: sip.Message): void {
    const call = this.calls.get(request.headers['call-id']);
    if (request.method === 'ACK') return;
    if (request.method === 'OPTIONS') {
      this.stack.send(sip.makeResponse(request, 200, 'OK'));
    } else if (!call) {
      this.stack.send(
        request.method === 'INVITE'
          ? sip.makeResponse(request, 403, 'Outbound only')
          : sip.makeResponse(request, 481, 'Call/Transaction Does Not Exist'),
      );
    } else if (request.method === 'BYE') {
      this.stack.send(sip.makeResponse(request, 200, 'OK'));
      call.remoteHangup(request);
    } else if (request.method === 'INVITE') {
      // A session refresh: the same media as before.
      const response = sip.makeResponse(request, 200, 'OK');
      response.headers.contact = [{ uri: call.contact, params: {} }];
      response.headers['content-type'] = 'application/sdp';
      response.content = call.localSdp;
      this.stack.send(response);
    } else {
      this.stack.send(sip.makeResponse(request, 200, 'OK'));
    }
  }

  /** Stops the stack. Calls still up are not ended first: end them (`end('shutdown')`) before. */
  close(): void {
    this.stack.destroy();
  }
}

function portFree(address: string, port: number): Promise<void> {
  return new Promise((resolve, reject) => {
    const udp = createSocket('udp4');
    udp.once('error', (error) => reject(new Error(`SIP port ${address}:${port}/udp: ${error.message}`)));
    udp.bind(port, address, () => {
      udp.close();
      const tcp = createServer();
      tcp.once('error', (error) => reject(new Error(`SIP port ${address}:${port}/tcp: ${error.message}`)));
      tcp.listen(port, address, () => tcp.close(() => resolve()));
    });
  });
}

const token = (bytes: number) => randomBytes(bytes).toString('hex');

/** The Q.850 cause of Reason headers (`Reason: Q.850;cause=17;text="…"`), when one is there. */
export function q850CauseOf(message: sip.Message): number | undefined {
  const reason = message.headers.reason;
  const text = Array.isArray(reason) ? reason.join(',') : typeof reason === 'string' ? reason : '';
  const match = /Q\.850\s*;(?:[^,]*;)?\s*cause\s*=\s*(\d+)/i.exec(text);
  return match ? Number(match[1]) : undefined;
}

export class OutgoingCall {
  readonly callId = `${token(12)}@outcall`;
  readonly outcome: Promise<CallOutcome>;
  readonly contact: string;
  readonly localSdp: string;
  private resolveOutcome!: (outcome: CallOutcome) => void;
  private readonly fromTag = token(6);
  private sequence = 1;
  private invite: sip.Message;
  private authenticated = false;
  private provisional = false;
  private ringAt: number | undefined;
  private answerAt: number | undefined;
  private earlyMedia: RemoteMedia | undefined;
  private media: RemoteMedia | undefined;
  private dialog: { to: sip.NameAddress; target: string; routes: sip.NameAddress[] } | undefined;
  private stopping: EndedBy | undefined;
  private cancelPending = false;
  private byeSent = false;
  private captured: { codec: G711Codec; audio: Buffer } | undefined;
  private finished = false;
  private readonly timers = new Set<NodeJS.Timeout>();

  constructor(
    private readonly agent: SipUserAgent,
    private readonly rtp: RtpSession,
    private readonly request: CallRequest,
    private readonly forget: () => void,
  ) {
    this.outcome = new Promise((resolve) => {
      this.resolveOutcome = resolve;
    });
    const { contactAddress, port } = agent.options;
    const transport = /;transport=tcp/i.test(request.requestUri) ? ';transport=tcp' : '';
    this.contact = `sip:${request.callerId}@${contactAddress}:${port}${transport}`;
    this.localSdp = sdpOffer(contactAddress, rtp.port, request.codecs, Date.now() % 1e9);
    this.invite = this.makeInvite();
  }

  get ended(): boolean {
    return this.finished || this.stopping !== undefined;
  }

  private makeInvite(): sip.Message {
    const { requestUri, callerId, fromHost } = this.request;
    return {
      method: 'INVITE',
      uri: requestUri,
      headers: {
        to: { uri: requestUri.replace(/;.*$/, ''), params: {} },
        from: { uri: `sip:${callerId}@${fromHost}`, params: { tag: this.fromTag } },
        'call-id': this.callId,
        cseq: { method: 'INVITE', seq: this.sequence },
        contact: [{ uri: this.contact, params: {} }],
        'max-forwards': 70,
        'p-asserted-identity': `<sip:${callerId}@${fromHost}>`,
        'user-agent': 'outcall',
        'content-type': 'application/sdp',
      },
      content: this.localSdp,
    };
  }

  start(): void {
    this.rtp.startCapture(this.request.earlyMediaBytes);
    this.after(this.request.ringTimeoutMs, () => {
      if (this.answerAt === undefined) this.stop('ring_timeout');
    });
    this.agent.stack.send(this.invite, (response) => this.onResponse(response));
  }

  private after(ms: number, action: () => void): void {
    const timer = setTimeout(() => {
      this.timers.delete(timer);
      action();
    }, ms);
    this.timers.add(timer);
  }

  private onResponse(response: sip.Message): void {
    const status = response.status ?? 0;
    if (status >= 200 && status < 300) {
      this.onAnswer(response);
      return;
    }
    if (this.finished) return;
    if (status < 200) {
      if (status === 100) return;
      this.provisional = true;
      this.ringAt ??= Date.now();
      const media = remoteMedia(response.content, this.request.codecs);
      if (media) this.earlyMedia = media;
      this.request.onPhase?.(media ? 'early_media' : 'ringing');
      if (this.cancelPending) this.sendCancel();
      return;
    }
    if ((status === 401 || status === 407) && this.request.credentials && !this.authenticated && !this.stopping) {
      // Once: a second challenge means the credentials are wrong, and is the call's answer.
      this.authenticated = true;
      this.sequence++;
      this.invite = this.makeInvite();
      signRequest({}, this.invite, response, this.request.credentials);
      this.agent.stack.send(this.invite, (next) => this.onResponse(next));
      return;
    }
    this.finish({
      sipCode: status,
      ...(response.reason ? { sipReason: response.reason } : {}),
      ...optional('q850Cause', q850CauseOf(response)),
      endedBy: this.stopping ?? 'remote',
    });
  }

  private onAnswer(response: sip.Message): void {
    const to = response.headers.to;
    const target = response.headers.contact?.[0]?.uri ?? this.request.requestUri;
    const routes = [...(response.headers['record-route'] ?? [])].reverse();
    // Every 200 is acknowledged, retransmissions too (they mean our ACK was lost).
    this.sendAck(response, target, routes);
    if (this.dialog) return;
    this.dialog = { to, target, routes };
    if (this.finished || this.stopping) {
      // The 200 crossed our CANCEL: the call is up at the far end, so it is ended with BYE.
      this.answerAt ??= Date.now();
      this.sendBye();
      if (!this.finished) this.finish({ sipCode: 200, endedBy: this.stopping ?? 'local' });
      return;
    }
    this.answerAt = Date.now();
    this.captured = this.rtp.stopCapture();
    this.media = remoteMedia(response.content, this.request.codecs) ?? this.earlyMedia;
    this.request.onPhase?.('answered');
    this.after(this.request.maxCallMs, () => this.hangup('local'));
    const media = this.media;
    const outgoing = this;
    const call: AnsweredCall = {
      codec: media?.codec ?? this.request.codecs[0] ?? 'PCMA',
      play: (audio) =>
        media && !this.ended ? this.rtp.play(audio, media.codec, media.address, media.port) : Promise.resolve(),
      get ended() {
        return outgoing.ended;
      },
    };
    this.request.onAnswered(call).then(
      () => this.hangup('local'),
      () => this.hangup('local'),
    );
  }

  private sendAck(response: sip.Message, target: string, routes: sip.NameAddress[]): void {
    this.agent.stack.send({
      method: 'ACK',
      uri: target,
      headers: {
        to: response.headers.to,
        from: this.invite.headers.from,
        'call-id': this.callId,
        cseq: { method: 'ACK', seq: response.headers.cseq.seq },
        ...(routes.length ? { route: routes } : {}),
        'max-forwards': 70,
        via: [],
      },
    });
  }

  /** The callee's BYE. */
  remoteHangup(bye: sip.Message): void {
    if (this.finished) return;
    this.finish({ sipCode: 200, ...optional('q850Cause', q850CauseOf(bye)), endedBy: 'remote' });
  }

  /** Ends the call because it was told to: CANCEL before the answer, BYE after. */
  end(reason: 'cancel' | 'shutdown' | 'local'): void {
    this.stop(reason);
  }

  private stop(reason: EndedBy): void {
    if (this.finished || this.stopping) return;
    if (this.answerAt !== undefined) {
      this.hangup(reason);
      return;
    }
    this.stopping = reason;
    if (this.provisional) this.sendCancel();
    else this.cancelPending = true;
    // The 487 normally ends it; a far end that answers nothing does not hold the call.
    this.after(GIVE_UP_MS, () => this.finish({ endedBy: reason }));
  }

  private sendCancel(): void {
    this.cancelPending = false;
    this.agent.stack.send(
      {
        method: 'CANCEL',
        uri: this.invite.uri,
        headers: {
          to: this.invite.headers.to,
          from: this.invite.headers.from,
          'call-id': this.callId,
          cseq: { method: 'CANCEL', seq: this.sequence },
          via: this.invite.headers.via?.slice(0, 1),
          'max-forwards': 70,
        },
      },
      () => {},
    );
  }

  private hangup(reason: EndedBy): void {
    if (this.finished || !this.dialog || this.byeSent) return;
    this.stopping = reason;
    this.rtp.stopPlaying();
    const done = () => this.finish({ sipCode: 200, endedBy: reason });
    this.sendBye(done);
    this.after(GIVE_UP_MS, done);
  }

  private sendBye(onAnswer: () => void = () => {}): void {
    if (!this.dialog || this.byeSent) return;
    this.byeSent = true;
    const { to, target, routes } = this.dialog;
    this.sequence++;
    this.agent.stack.send(
      {
        method: 'BYE',
        uri: target,
        headers: {
          to,
          from: this.invite.headers.from,
          'call-id': this.callId,
          cseq: { method: 'BYE', seq: this.sequence },
          ...(routes.length ? { route: routes } : {}),
          'max-forwards': 70,
        },
      },
      (response) => {
        if ((response.status ?? 0) >= 200) onAnswer();
      },
    );
  }

  private finish(outcome: Omit<CallOutcome, 'endAt' | 'ringAt' | 'answerAt' | 'earlyMedia'>): void {
    if (this.finished) return;
    this.finished = true;
    for (const timer of this.timers) clearTimeout(timer);
    this.timers.clear();
    const earlyMedia = this.captured ?? this.rtp.stopCapture();
    this.rtp.close();
    this.forget();
    this.resolveOutcome({
      ...outcome,
      ...optional('ringAt', this.ringAt),
      ...optional('answerAt', this.answerAt),
      endAt: Date.now(),
      ...optional('earlyMedia', earlyMedia),
    });
  }
}

/** `{ [key]: value }` when value is defined, else `{}` (exactOptionalPropertyTypes-friendly spreads). */
function optional<K extends string, V>(key: K, value: V | undefined): { [P in K]?: V } {
  return (value === undefined ? {} : { [key]: value }) as { [P in K]?: V };
}
