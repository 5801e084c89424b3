/*
 * G.711, the two 8 kHz telephone codecs every trunk speaks: A-law (PCMA, RTP payload type 8, used in
 * China and Europe) and μ-law (PCMU, 0). One byte per sample, 160 bytes per 20 ms RTP packet.
 */

export type G711Codec = 'PCMA' | 'PCMU';

/** RTP's static payload type of each codec. */
export const PAYLOAD_TYPE: Record<G711Codec, number> = { PCMA: 8, PCMU: 0 };

/** The codec of a static payload type, or undefined when it is neither. */
export function codecOfPayloadType(payloadType: number): G711Codec | undefined {
  return payloadType === 8 ? 'PCMA' : payloadType === 0 ? 'PCMU' : undefined;
}

/** The byte that stands for silence: what a clip is padded with. */
export const SILENCE: Record<G711Codec, number> = { PCMA: 0xd5, PCMU: 0xff };

function alawToLinear(byte: number): number {
  const a = byte ^ 0x55;
  const exponent = (a & 0x70) >> 4;
  let magnitude = (a & 0x0f) << 4;
  magnitude += exponent === 0 ? 8 : 0x108;
  if (exponent > 1) magnitude <<= exponent - 1;
  return a & 0x80 ? magnitude : -magnitude;
}

function ulawToLinear(byte: number): number {
  const u = ~byte & 0xff;
  const exponent = (u >> 4) & 0x07;
  const magnitude = (((u & 0x0f) << 3) + 0x84) << exponent;
  return u & 0x80 ? 0x84 - magnitude : magnitude - 0x84;
}

const TABLES: Record<G711Codec, Int16Array> = {
  PCMA: Int16Array.from({ length: 256 }, (_, byte) => alawToLinear(byte)),
  PCMU: Int16Array.from({ length: 256 }, (_, byte) => ulawToLinear(byte)),
};

/** 16-bit linear samples of G.711 bytes. */
export function decodeG711(codec: G711Codec, bytes: Uint8Array): Int16Array {
  const table = TABLES[codec];
  const samples = new Int16Array(bytes.length);
  for (let i = 0; i < bytes.length; i++) samples[i] = table[bytes[i]!]!;
  return samples;
}

/** A WAV file (16-bit mono PCM) of samples at `sampleRate`: what fpcalc and players read. */
export function wavOf(samples: Int16Array, sampleRate = 8000): Buffer {
  const data = Buffer.from(samples.buffer, samples.byteOffset, samples.byteLength);
  const header = Buffer.alloc(44);
  header.write('RIFF', 0, 'ascii');
  header.writeUInt32LE(36 + data.length, 4);
  header.write('WAVEfmt ', 8, 'ascii');
  header.writeUInt32LE(16, 16);
  header.writeUInt16LE(1, 20);
  header.writeUInt16LE(1, 22);
  header.writeUInt32LE(sampleRate, 24);
  header.writeUInt32LE(sampleRate * 2, 28);
  header.writeUInt16LE(2, 32);
  header.writeUInt16LE(16, 34);
  header.write('data', 36, 'ascii');
  header.writeUInt32LE(data.length, 40);
  return Buffer.concat([header, data]);
}
