import { spawn } from 'node:child_process';
import { createSocket } from 'node:dgram';

/*
 * For tests: the test carrier of examples/carrier/ on free ports of 127.0.0.1 (the SQLite and
 * PostgreSQL passes run side by side, each with its own).
 */

/** A UDP port P of 127.0.0.1 with P+1..P+`span` free too. */
export async function freeUdpPorts(span = 4): Promise<number> {
  for (;;) {
    const base = await bind(0);
    if (base === undefined || base > 65535 - span) continue;
    const others = await Promise.all(Array.from({ length: span }, (_, i) => bind(base + i + 1)));
    if (others.every((port) => port !== undefined)) return base;
  }
}

function bind(port: number): Promise<number | undefined> {
  return new Promise((resolve) => {
    const socket = createSocket('udp4');
    socket.once('error', () => resolve(undefined));
    socket.bind(port, '127.0.0.1', () => {
      const bound = socket.address().port;
      socket.close(() => resolve(bound));
    });
  });
}

export interface TestCarrier {
  port: number;
  dir: string;
  stop(): Promise<void>;
}

/** Starts the carrier with its work folder `dir`; resolves once it listens. */
export async function startTestCarrier(dir: string, password = 'right-password'): Promise<TestCarrier> {
  const port = await freeUdpPorts();
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
