import { mkdtempSync, readdirSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { decodeG711 } from './g711.js';
import { speak, speechFile } from './tts.js';

const dataDir = mkdtempSync(join(tmpdir(), 'outcall-tts-'));
afterAll(() => rmSync(dataDir, { recursive: true, force: true }));

const seconds = (audio: Buffer) => audio.length / 8000;
const loudness = (audio: Buffer) => Math.max(...decodeG711('PCMA', audio).map(Math.abs));

describe('speaking a line as 8 kHz G.711', () => {
  it('makes a clip as long as the speech and not silent, and keeps it under the data folder', async () => {
    const audio = await speak('您好，这里是外呼平台的测试电话。', { dataDir, codec: 'PCMA' });
    expect(seconds(audio)).toBeGreaterThan(1.5);
    expect(seconds(audio)).toBeLessThan(8);
    expect(loudness(audio)).toBeGreaterThan(1000);
    expect(statSync(speechFile('您好，这里是外呼平台的测试电话。', { dataDir, codec: 'PCMA' })).size).toBe(
      audio.length,
    );
  });

  it('answers the same text from the cache, without making it again', async () => {
    const options = { dataDir, codec: 'PCMA' as const };
    const first = await speak('再见。', options);
    const made = statSync(speechFile('再见。', options)).mtimeMs;
    const second = await speak('再见。', options);
    expect(second.equals(first)).toBe(true);
    expect(statSync(speechFile('再见。', options)).mtimeMs).toBe(made);
  });

  it('makes a text asked for twice at once only once', async () => {
    const options = { dataDir, codec: 'PCMU' as const };
    const [a, b] = await Promise.all([speak('谢谢您的接听。', options), speak('谢谢您的接听。', options)]);
    expect(a.equals(b)).toBe(true);
    const files = readdirSync(join(dataDir, 'tts'));
    expect(files.filter((file) => file.endsWith('.tmp'))).toEqual([]);
  });

  it('keeps one file per text and codec', () => {
    const pcma = speechFile('再见。', { dataDir, codec: 'PCMA' });
    const pcmu = speechFile('再见。', { dataDir, codec: 'PCMU' });
    expect(pcma).not.toBe(pcmu);
    expect(pcma.endsWith('.al') && pcmu.endsWith('.ul')).toBe(true);
    expect(speechFile('再见！', { dataDir, codec: 'PCMA' })).not.toBe(pcma);
  });

  it('speaks a line that starts with a dash instead of taking it as an option', async () => {
    const audio = await speak('-v 是一个选项', { dataDir, codec: 'PCMA' });
    expect(seconds(audio)).toBeGreaterThan(0.5);
  });
});
