import { spawn } from 'node:child_process';
import { createSocket } from 'node:dgram';
import { freePort } from './harness.js';

/*
 * For tests: the test carrier of examples/carrier/ on free ports of 127.0.0.1 (the SQLite and
 * PostgreSQL passes run side by side, each with its own).
 */

/**
 * A port P of 127.0.0.1 free for TCP and UDP, with P+1..P+`span` free for UDP too: the SIP engine
 * listens on both transports of its port; the carrier takes P+1.. for SIPp's control and media.
 */
export async function freeSipPorts(span = 4): Promise<number> {
  for (;;) {
    const base = await freePort();
    const free = await Promise.all(Array.from({ length: span + 1 }, (_, i) => udpFree(base + i)));
    if (free.every(Boolean)) return base;
  }
}

function udpFree(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = createSocket('udp4');
    socket.once('error', () => resolve(false));
    socket.bind(port, '127.0.0.1', () => socket.close(() => resolve(true)));
  });
}

export interface TestCarrier {
  port: number;
  dir: string;
  stop(): Promise<void>;
}

/** Starts the carrier with its work folder `dir`; resolves once it listens. */
export async function startTestCarrier(dir: string, password = 'right-password'): Promise<TestCarrier> {
  const port = await freeSipPorts();
  const carrier = spawn(
    process.execPath,
    ['examples/carrier/start.mjs', '--port', String(port), '--dir', dir, '--password', password],
    { stdio: ['ignore', 'pipe', 'inherit'] },
  );
  await new Promise<void>((resolve, reject) => {
    carrier.stdout!.on('data', (chunk: Buffer) => {
      if (chunk.toString().includes('carrier listening')) resolve();
    });
    carrier.once('exit', (code) => reject(new Error(`the carrier exited (${code})`)));
  });
  return {
    port,
    dir,
    async stop() {
      if (carrier.exitCode !== null || carrier.signalCode !== null) return;
      const exited = new Promise((resolve) => carrier.once('exit', resolve));
      carrier.kill('SIGTERM');
      await exited;
    },
  };
}
