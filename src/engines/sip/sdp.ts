import { codecOfPayloadType, type G711Codec, PAYLOAD_TYPE } from './g711.js';

/*
 * The little SDP a G.711 call needs: an offer of PCMA and/or PCMU, and from the far end's answer
 * (or its 183's early-media description) where to send audio and in which codec.
 */

/** An SDP offer of `codecs` (in order of preference) at address:port. */
export function sdpOffer(address: string, port: number, codecs: readonly G711Codec[], sessionId: number): string {
  const types = codecs.map((codec) => PAYLOAD_TYPE[codec]);
  return [
    'v=0',
    `o=outcall ${sessionId} ${sessionId} IN IP4 ${address}`,
    's=outcall',
    `c=IN IP4 ${address}`,
    't=0 0',
    `m=audio ${port} RTP/AVP ${types.join(' ')}`,
    ...codecs.map((codec) => `a=rtpmap:${PAYLOAD_TYPE[codec]} ${codec}/8000`),
    'a=ptime:20',
    'a=sendrecv',
    '',
  ].join('\r\n');
}

export interface RemoteMedia {
  address: string;
  port: number;
  /** The first codec of the answer that was offered. */
  codec: G711Codec;
}

/** Where and how to send audio, from an SDP answer; undefined when it has no usable audio. */
export function remoteMedia(sdp: string | undefined, offered: readonly G711Codec[]): RemoteMedia | undefined {
  if (!sdp) return undefined;
  let sessionAddress: string | undefined;
  let mediaAddress: string | undefined;
  let media: { port: number; types: number[] } | undefined;
  for (const line of sdp.split(/\r?\n/)) {
    const connection = /^c=IN IP[46] (\S+)/.exec(line);
    if (connection) {
      if (media) mediaAddress = connection[1];
      else sessionAddress = connection[1];
    }
    const audio = /^m=audio (\d+) RTP\/AVP ([\d ]+)/.exec(line);
    if (audio && !media) media = { port: Number(audio[1]), types: audio[2]!.trim().split(/\s+/).map(Number) };
    else if (/^m=/.test(line) && media) break;
  }
  const address = mediaAddress ?? sessionAddress;
  if (!media || !address || media.port === 0) return undefined;
  const codec = media.types.map(codecOfPayloadType).find((c) => c !== undefined && offered.includes(c));
  return codec ? { address, port: media.port, codec } : undefined;
}
