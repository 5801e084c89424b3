import { createHash } from 'node:crypto';
import { runInNewContext } from 'node:vm';
import { describe, expect, it } from 'vitest';
import { signedHeaders } from '../client/signing.js';
import { DOCS_SIGNING_SCRIPT, sha256Hex, signatureV1 } from './docsSigning.js';

/* The SHA-256 and v1 signature the /docs page computes, checked against Node's own. */

const nodeSha256 = (text: string) => createHash('sha256').update(text, 'utf8').digest('hex');

/** A deterministic pseudo-random source (mulberry32), so a failure can be replayed. */
function random(seed: number): () => number {
  return () => {
    seed = (seed + 0x6d2b79f5) | 0;
    let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 2 ** 32;
  };
}

/** Code points of each width in UTF-8: ASCII, Latin and Greek, CJK (3 bytes), emoji (4 bytes, a surrogate pair). */
const RANGES: [number, number][] = [
  [0x20, 0x7e],
  [0x00, 0x1f],
  [0xa0, 0x3ff],
  [0x4e00, 0x9fff],
  [0x3000, 0x303f],
  [0x1f300, 0x1f64f],
  [0x1f900, 0x1f9ff],
];

function randomText(next: () => number): string {
  // Lengths up to 150 code points: up to 600 bytes, so one to ten blocks and every padding case.
  const length = Math.floor(next() ** 2 * 150);
  let text = '';
  for (let i = 0; i < length; i++) {
    const [from, to] = RANGES[Math.floor(next() * RANGES.length)]!;
    text += String.fromCodePoint(from + Math.floor(next() * (to - from + 1)));
  }
  return text;
}

describe('sha256Hex (the /docs page’s SHA-256)', () => {
  it('gives the FIPS 180-4 examples', () => {
    expect(sha256Hex('')).toBe('e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855');
    expect(sha256Hex('abc')).toBe('ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad');
    expect(sha256Hex('abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq')).toBe(
      '248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1',
    );
  });

  it('agrees with node:crypto at every length around the block and padding edges', () => {
    for (let n = 0; n <= 200; n++) expect(sha256Hex('a'.repeat(n)), `${n} bytes`).toBe(nodeSha256('a'.repeat(n)));
    // 55 and 56 bytes: the last that pads within the block, the first that needs another; in 3-byte characters too.
    for (const text of [`${'中'.repeat(18)}a`, `${'中'.repeat(18)}ab`, `${'中'.repeat(21)}x`, '😀'.repeat(16)])
      expect(sha256Hex(text), text).toBe(nodeSha256(text));
  });

  it('agrees with node:crypto on 400 random strings of ASCII, CJK and emoji', () => {
    const next = random(20180101);
    for (let i = 0; i < 400; i++) {
      const text = randomText(next);
      expect(sha256Hex(text), JSON.stringify(text)).toBe(nodeSha256(text));
    }
  });

  it('hashes a long text (several thousand blocks) like node:crypto', () => {
    const text = '外呼任务🤖 robot call; '.repeat(10_000);
    expect(sha256Hex(text)).toBe(nodeSha256(text));
  });
});

describe('signatureV1 (the /docs page’s signature)', () => {
  it('is the signature the SDK computes, with a Chinese tenantSign too', async () => {
    const next = random(7);
    for (const tenantSign of ['acme', '一知智能', 'tenant_😀-1']) {
      const credentials = { appKey: 'Ab3dEf6hIj9kLm2n', appSecret: randomText(next) || 's', tenantSign };
      const timestamp = 1_700_000_000_000 + Math.floor(next() * 1e9);
      const expected = await signedHeaders(credentials, timestamp);
      expect(signatureV1(sha256Hex, credentials, String(timestamp))).toBe(expected.signature);
    }
  });
});

describe('the served script', () => {
  it('is plain JavaScript that runs on its own (no imports, no names from this module)', () => {
    // Run without a DOM, it fails only where it first touches the page, not for want of a module name.
    expect(() => runInNewContext(DOCS_SIGNING_SCRIPT, { TextEncoder })).toThrow(/document is not defined/);
    expect(DOCS_SIGNING_SCRIPT).not.toMatch(/\bimport\b|\brequire\(|localStorage|sessionStorage|document\.cookie/);
  });
});
