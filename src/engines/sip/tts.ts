import { execFile, spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdir, readFile, rename, rm } from 'node:fs/promises';
import { join } from 'node:path';
import type { G711Codec } from './g711.js';

/*
 * Speech for the robot's lines: `espeak-ng -v cmn` (Mandarin) makes a WAV, sox turns it into raw
 * 8 kHz G.711, the bytes an RTP stream carries. Made at run time and cached per text and codec
 * under the data folder (`<dataDir>/tts/`), so a line a campaign speaks a thousand times is made
 * once; nothing generated is committed. The same text asked twice at once is made once.
 */

export interface SpeechOptions {
  /** The data folder; the cache is its `tts/` subfolder. */
  dataDir: string;
  codec: G711Codec;
  /** espeak-ng's voice (default `cmn`, Mandarin). */
  voice?: string;
  /** Words per minute (espeak-ng's default 175). */
  wordsPerMinute?: number;
}

const making = new Map<string, Promise<Buffer>>();

/** The cache file of a text: named by a hash of everything that changes the audio. */
export function speechFile(text: string, options: SpeechOptions): string {
  const voice = options.voice ?? 'cmn';
  const key = createHash('sha256')
    .update(JSON.stringify([text, voice, options.wordsPerMinute ?? 175, options.codec]))
    .digest('hex')
    .slice(0, 32);
  return join(options.dataDir, 'tts', `${key}.${options.codec === 'PCMA' ? 'al' : 'ul'}`);
}

/** The G.711 bytes of `text` spoken, from the cache or made now. */
export function speak(text: string, options: SpeechOptions): Promise<Buffer> {
  const file = speechFile(text, options);
  let pending = making.get(file);
  if (!pending) {
    pending = readFile(file)
      .catch(() => synthesize(text, file, options))
      .finally(() => making.delete(file));
    making.set(file, pending);
  }
  return pending;
}

async function synthesize(text: string, file: string, options: SpeechOptions): Promise<Buffer> {
  await mkdir(join(options.dataDir, 'tts'), { recursive: true });
  const wav = await run('espeak-ng', [
    '-v',
    options.voice ?? 'cmn',
    '-s',
    String(options.wordsPerMinute ?? 175),
    '--stdout',
    // `--` so that a line starting with "-" is spoken, not taken as an option.
    '--',
    text,
  ]);
  // Written under a temporary name and renamed: a reader never sees half a file.
  const partial = `${file}.${process.pid}.${Math.random().toString(36).slice(2)}.tmp`;
  const type = options.codec === 'PCMA' ? 'al' : 'ul';
  try {
    // -R: sox dithers when it reduces to G.711 and seeds the dither from the clock; seeded the
    // same, the same text gives the same bytes on every run (espeak-ng's WAV already does).
    await run('sox', ['-R', '-t', 'wav', '-', '-r', '8000', '-c', '1', '-t', type, partial], wav);
    await rename(partial, file);
  } finally {
    await rm(partial, { force: true });
  }
  return readFile(file);
}

/** Runs a program, writes `input` to its stdin, and resolves with its stdout (rejects with its stderr). */
export function run(program: string, args: string[], input?: Buffer): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const child =
      input === undefined
        ? execFile(program, args, { encoding: 'buffer', maxBuffer: 64 * 1024 * 1024 }, done)
        : spawnWithInput(program, args, input, done);
    child.on('error', reject);
    function done(error: Error | null, stdout: Buffer, stderr: Buffer) {
      if (error) reject(new Error(`${program} failed: ${stderr.toString().trim() || error.message}`));
      else resolve(stdout);
    }
  });
}

function spawnWithInput(
  program: string,
  args: string[],
  input: Buffer,
  done: (error: Error | null, stdout: Buffer, stderr: Buffer) => void,
) {
  const child = spawn(program, args, { stdio: ['pipe', 'pipe', 'pipe'] });
  const out: Buffer[] = [];
  const err: Buffer[] = [];
  child.stdout.on('data', (chunk: Buffer) => out.push(chunk));
  child.stderr.on('data', (chunk: Buffer) => err.push(chunk));
  // A program that exits before reading all its input makes the write fail: its exit code says why.
  child.stdin.on('error', () => {});
  child.stdin.end(input);
  child.on('close', (code) =>
    done(code === 0 ? null : new Error(`exit code ${code}`), Buffer.concat(out), Buffer.concat(err)),
  );
  return child;
}
