import { randomBytes } from 'node:crypto';
import { createSocket, type Socket } from 'node:dgram';
import { codecOfPayloadType, type G711Codec, PAYLOAD_TYPE, SILENCE } from './g711.js';

/*
 * One call's RTP: a UDP socket of its own, G.711 sent in 20 ms packets (160 bytes), and the far
 * end's audio kept while the call is in early media (the announcement a carrier plays before its
 * final answer), up to a limit.
 */

const FRAME_BYTES = 160;
const FRAME_MS = 20;

export class RtpSession {
  private readonly socket: Socket;
  private readonly ssrc = randomBytes(4).readUInt32BE(0);
  private sequence = randomBytes(2).readUInt16BE(0);
  private timestamp = randomBytes(4).readUInt32BE(0);
  private captured: Buffer[] = [];
  private capturedBytes = 0;
  private captureLimit = 0;
  private capturedCodec: G711Codec | undefined;
  private playing: { timer: NodeJS.Timeout | undefined; done: () => void } | undefined;
  private closed = false;
  /** RTP packets received, all kinds. */
  packetsReceived = 0;

  private constructor(socket: Socket) {
    this.socket = socket;
    socket.on('message', (packet) => this.receive(packet));
    // A send to a closed port answers ICMP; a UDP socket reports it as an error: not fatal to the call.
    socket.on('error', () => {});
  }

  /** A session on a free port of `address`. */
  static open(address: string): Promise<RtpSession> {
    return new Promise((resolve, reject) => {
      const socket = createSocket('udp4');
      socket.once('error', reject);
      socket.bind(0, address, () => {
        socket.off('error', reject);
        resolve(new RtpSession(socket));
      });
    });
  }

  get port(): number {
    return this.socket.address().port;
  }

  /** Keeps the far end's G.711 audio from now on, up to `bytes` (8,000 a second). */
  startCapture(bytes: number): void {
    this.captureLimit = bytes;
  }

  /** Stops keeping audio; answers what was kept and its codec. */
  stopCapture(): { codec: G711Codec; audio: Buffer } | undefined {
    this.captureLimit = 0;
    if (!this.capturedCodec || this.capturedBytes === 0) return undefined;
    return { codec: this.capturedCodec, audio: Buffer.concat(this.captured) };
  }

  get capturedSeconds(): number {
    return this.capturedBytes / 8000;
  }

  private receive(packet: Buffer): void {
    this.packetsReceived++;
    if (this.capturedBytes >= this.captureLimit || packet.length <= 12 || packet[0]! >> 6 !== 2) return;
    const codec = codecOfPayloadType(packet[1]! & 0x7f);
    if (!codec || (this.capturedCodec && codec !== this.capturedCodec)) return;
    this.capturedCodec = codec;
    // Header: 12 bytes plus 4 per contributing source; an extension, when flagged, after them.
    let offset = 12 + 4 * (packet[0]! & 0x0f);
    if (packet[0]! & 0x10 && packet.length >= offset + 4) offset += 4 + 4 * packet.readUInt16BE(offset + 2);
    const payload = packet.subarray(offset, offset + (this.captureLimit - this.capturedBytes));
    this.captured.push(Buffer.from(payload));
    this.capturedBytes += payload.length;
  }

  /**
   * Sends `audio` (G.711 in `codec`) to address:port in real time, one packet per 20 ms (paced
   * against the clock, so timer lateness does not stretch the speech). Resolves when all is sent,
   * or at once when stopped or closed. One clip at a time: a new one stops the one playing.
   */
  play(audio: Buffer, codec: G711Codec, address: string, port: number): Promise<void> {
    this.stopPlaying();
    if (this.closed) return Promise.resolve();
    return new Promise((resolve) => {
      const started = Date.now();
      let frame = 0;
      const frames = Math.ceil(audio.length / FRAME_BYTES);
      const state: { timer: NodeJS.Timeout | undefined; done: () => void } = {
        timer: undefined,
        done: () => {
          clearTimeout(state.timer);
          if (this.playing === state) this.playing = undefined;
          resolve();
        },
      };
      this.playing = state;
      const tick = () => {
        // Sends every frame that is due by now, then sleeps until the next one.
        const due = Math.min(frames, Math.floor((Date.now() - started) / FRAME_MS) + 1);
        for (; frame < due; frame++) {
          let payload = audio.subarray(frame * FRAME_BYTES, (frame + 1) * FRAME_BYTES);
          if (payload.length < FRAME_BYTES) {
            payload = Buffer.concat([payload, Buffer.alloc(FRAME_BYTES - payload.length, SILENCE[codec])]);
          }
          this.send(payload, codec, frame === 0, address, port);
        }
        if (frame >= frames) {
          state.done();
          return;
        }
        state.timer = setTimeout(tick, started + frame * FRAME_MS - Date.now());
      };
      tick();
    });
  }

  private send(payload: Buffer, codec: G711Codec, first: boolean, address: string, port: number): void {
    const header = Buffer.alloc(12);
    header[0] = 0x80;
    header[1] = PAYLOAD_TYPE[codec] | (first ? 0x80 : 0);
    header.writeUInt16BE(this.sequence, 2);
    header.writeUInt32BE(this.timestamp, 4);
    header.writeUInt32BE(this.ssrc, 8);
    this.sequence = (this.sequence + 1) & 0xffff;
    this.timestamp = (this.timestamp + FRAME_BYTES) >>> 0;
    if (!this.closed) this.socket.send(Buffer.concat([header, payload]), port, address);
  }

  stopPlaying(): void {
    this.playing?.done();
  }

  close(): void {
    if (this.closed) return;
    this.stopPlaying();
    this.closed = true;
    this.socket.close();
  }
}
