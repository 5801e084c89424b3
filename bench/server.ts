import { type ChildProcess, spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { fileURLToPath } from 'node:url';
import { FLOOR_PATH } from './scenarios.js';

/*
 * The real server as its own process — `outcall serve` with the floor route (bench/serve.ts,
 * compiled beside this file) with DATABASE_URL and PORT and the dialer off (it would add calls
 * while the bench measures) — and its resident memory, sampled from /proc while it works.
 */

export interface BenchServer {
  url: string;
  pid: number;
  stop(): Promise<void>;
}

export async function freePort(): Promise<number> {
  return new Promise((done, fail) => {
    const s = createServer();
    s.once('error', fail);
    s.listen(0, '127.0.0.1', () => {
      const address = s.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      s.close(() => done(port));
    });
  });
}

export async function startServer(options: {
  databaseUrl: string;
  /** The floor's body without ?bytes= (each run asks for its size). */
  floorBytes?: number;
  poolSize?: number;
  /** false: the service's own analyzing (src/db/analyze.ts) off. */
  analyze?: boolean;
  log: (m: string) => void;
}): Promise<BenchServer> {
  const port = await freePort();
  const serve = fileURLToPath(new URL('./serve.js', import.meta.url));
  const child: ChildProcess = spawn(
    process.execPath,
    [
      // Node's own flags for the server, e.g. "--cpu-prof --cpu-prof-dir=data/prof" to profile it.
      ...(process.env.BENCH_SERVER_NODE_ARGS?.split(/\s+/).filter(Boolean) ?? []),
      serve,
      '--no-migrate',
      ...(options.floorBytes === undefined ? [] : ['--floor-bytes', String(options.floorBytes)]),
      ...(options.analyze === false ? ['--no-analyze'] : []),
    ],
    {
      env: {
        ...process.env,
        DATABASE_URL: options.databaseUrl,
        PORT: String(port),
        HOST: '127.0.0.1',
        LOG_LEVEL: 'warn',
        DIALER_ENABLED: 'false',
        // Every case repeats one request over unchanged data, which the answer cache would serve
        // from memory after the first: the bench measures the queries unless told otherwise.
        ANSWER_CACHE_MB: process.env.ANSWER_CACHE_MB ?? '0',
        ...(options.poolSize ? { DATABASE_POOL_SIZE: String(options.poolSize) } : {}),
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    },
  );
  let output = '';
  child.stdout!.on('data', (d) => (output += d));
  child.stderr!.on('data', (d) => (output += d));
  const url = `http://127.0.0.1:${port}`;
  const deadline = Date.now() + 60_000;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`the server exited (${child.exitCode}):\n${output}`);
    try {
      const res = await fetch(url + FLOOR_PATH);
      if (res.status === 200) break;
    } catch {
      // not listening yet
    }
    if (Date.now() > deadline) {
      child.kill('SIGKILL');
      throw new Error(`the server did not answer within 60 s:\n${output}`);
    }
    await new Promise((r) => setTimeout(r, 200));
  }
  options.log(`server pid ${child.pid} on ${url}`);
  return {
    url,
    pid: child.pid!,
    stop: () =>
      new Promise<void>((done) => {
        if (child.exitCode !== null) return done();
        child.once('exit', () => done());
        child.kill('SIGTERM');
        setTimeout(() => child.kill('SIGKILL'), 10_000).unref();
      }),
  };
}

/** Resident set size of a process in MB, from /proc/PID/status (VmRSS). */
export function rssMb(pid: number): number {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const kb = Number(/VmRSS:\s+(\d+)\s+kB/.exec(status)?.[1] ?? 0);
  return Math.round((kb / 1024) * 10) / 10;
}

/** Samples the RSS every `everyMs` until stopped; `mark` starts a new window whose maximum is returned by `take`. */
export class RssSampler {
  private timer: NodeJS.Timeout;
  private windowMax = 0;
  max = 0;
  samples = 0;

  constructor(
    private readonly pid: number,
    everyMs = 200,
  ) {
    this.timer = setInterval(() => this.sample(), everyMs);
    this.timer.unref();
    this.sample();
  }

  private sample(): void {
    try {
      const mb = rssMb(this.pid);
      this.samples++;
      this.max = Math.max(this.max, mb);
      this.windowMax = Math.max(this.windowMax, mb);
    } catch {
      // the process is gone
    }
  }

  /** The largest sample since the last call. */
  take(): number {
    this.sample();
    const m = this.windowMax;
    this.windowMax = 0;
    return m;
  }

  stop(): void {
    clearInterval(this.timer);
  }
}
