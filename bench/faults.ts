import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { request as httpRequest } from 'node:http';
import { connect, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Command, InvalidArgumentError } from 'commander';
import { type ClientCredentials, signedHeaders } from '../src/client/signing.js';
import { ADD_CALL_RECORDS_BODY_LIMIT } from '../src/http/routes/addCallRecords.js';
import { runEngineFaults } from './engineFaults.js';
import { RssSampler, rssMb, startServer } from './server.js';

/*
 * `npm run faults` — the server under hostile clients, measured, not asserted. The real server
 * runs as its own process (bench/serve.ts, the dialer off) on 127.0.0.1 over a fresh SQLite file;
 * every count and duration is bounded, and the script stops by itself. For each attack it
 * measures legitimate signed requests (GET getTasks, each on a new connection, so that each
 * needs a free slot): answered or not, and how fast (the target: every one within 1 s).
 *
 *   (a) idle connections up to the cap (MAX_CONNECTIONS), fresh and kept-alive;
 *   (b) hundreds of slow-header and slow-body connections (a byte a second): are they closed, when;
 *   (c) 16 concurrent 60 MB addCallRecords bodies, with Content-Length and chunked, and 16
 *       concurrent bodies just under the limit: refused how early, the server's RSS.
 *
 * Figures go to stdout as a table and to bench/results/faults-<timestamp>.json.
 *
 *   npm run faults                           cap 10000 (the default), 500 slow connections of each kind
 *   npm run faults -- --cap 4000 --slow 200
 *   npm run faults -- --engines              only the engine case: 4 processes on PostgreSQL, 8 engines
 *                                            killed at random before and after dial, 10,000 tasks
 */

const positive = (v: string) => {
  const n = Number(v);
  if (!Number.isInteger(n) || n <= 0) throw new InvalidArgumentError('must be a positive integer');
  return n;
};

const opts = new Command('faults')
  .option('--cap <n>', 'MAX_CONNECTIONS of the server, and idle connections opened', positive, 10_000)
  .option('--slow <n>', 'slow-header and slow-body connections (each)', positive, 500)
  .option('--probes <n>', 'legitimate requests measured during each attack', positive, 40)
  .option('--body-mb <n>', 'size of each oversized addCallRecords body', positive, 60)
  .option('--engines', 'only the engine case (bench/engineFaults.ts): engines killed before and after dial')
  .option('--engine-tasks <n>', 'with --engines: call tasks of the job', positive, 10_000)
  .option(
    '--postgres-url <url>',
    'with --engines: PostgreSQL database to create the throw-away database from',
    process.env.BENCH_POSTGRES_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres',
  )
  .parse()
  .opts<{
    cap: number;
    slow: number;
    probes: number;
    bodyMb: number;
    engines?: boolean;
    engineTasks: number;
    postgresUrl: string;
  }>();

const log = (m: string) => process.stdout.write(`${m}\n`);
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const root = fileURLToPath(new URL('../../..', import.meta.url));
const cli = join(root, 'dist/cli.js');

interface ProbeResult {
  sent: number;
  answered: number;
  failed: number;
  within1s: number;
  p50Ms: number;
  maxMs: number;
  errors: string[];
}

/** One signed GET on a new connection; resolves with the latency or the error. */
async function signedGet(url: string, creds: ClientCredentials, path: string): Promise<number | string> {
  const headers = await signedHeaders(creds);
  const started = performance.now();
  return new Promise((resolve) => {
    const req = httpRequest(
      `${url}${path}`,
      { method: 'GET', headers: { ...headers, connection: 'close' }, agent: false, timeout: 5000 },
      (res) => {
        let body = '';
        res.on('data', (d) => (body += d));
        res.on('end', () => {
          const ms = performance.now() - started;
          try {
            const code = JSON.parse(body).code;
            resolve(code === 200 ? ms : `envelope ${code}`);
          } catch {
            resolve(`HTTP ${res.statusCode}`);
          }
        });
      },
    );
    req.on('timeout', () => req.destroy(new Error('no answer in 5 s')));
    req.on('error', (e) => resolve((e as NodeJS.ErrnoException).code ?? e.message));
    req.end();
  });
}

/** `count` legitimate requests, one after another, 50 ms apart. */
async function probe(url: string, creds: ClientCredentials, count: number): Promise<ProbeResult> {
  const times: number[] = [];
  const errors: string[] = [];
  for (let i = 0; i < count; i++) {
    const r = await signedGet(url, creds, '/apiOpen/v1/task/getTasks?pageSize=5');
    if (typeof r === 'number') times.push(r);
    else errors.push(r);
    await sleep(50);
  }
  times.sort((a, b) => a - b);
  return {
    sent: count,
    answered: times.length,
    failed: errors.length,
    within1s: times.filter((t) => t < 1000).length,
    p50Ms: Math.round(times[Math.floor(times.length / 2)] ?? 0),
    maxMs: Math.round(times.at(-1) ?? 0),
    errors: [...new Set(errors)],
  };
}

interface Held {
  sockets: Set<Socket>;
  closedAt: number[];
}

/** Opens `count` connections (in waves of 200), each sending `first` once connected. */
async function openMany(url: string, count: number, first: (s: Socket) => void): Promise<Held> {
  const { port } = new URL(url);
  const held: Held = { sockets: new Set(), closedAt: [] };
  for (let opened = 0; opened < count; ) {
    const wave = Math.min(200, count - opened);
    await Promise.all(
      Array.from(
        { length: wave },
        () =>
          new Promise<void>((resolve) => {
            const s = connect(Number(port), '127.0.0.1', () => {
              first(s);
              resolve();
            });
            s.on('error', () => resolve());
            s.on('close', () => {
              if (held.sockets.delete(s)) held.closedAt.push(Date.now());
            });
            held.sockets.add(s);
          }),
      ),
    );
    opened += wave;
  }
  return held;
}

function closeAll(held: Held): void {
  for (const s of held.sockets) s.destroy();
  held.sockets.clear();
}

async function main(): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'outcall-faults-'));
  const databaseUrl = `sqlite:${join(dir, 'faults.db')}`;
  // The secret key of the stored app secrets lives with the throw-away database.
  const env = { ...process.env, DATABASE_URL: databaseUrl, SECRET_KEY_FILE: join(dir, 'secret.key') };
  // Two tenants through the CLI (it migrates and stores their secrets as the server reads them).
  const tenant = (sign: string): ClientCredentials =>
    JSON.parse(
      execFileSync(process.execPath, [cli, 'tenant', 'create', '--name', sign, '--sign', sign, '--json'], { env })
        .toString()
        .trim()
        .split('\n')
        .at(-1)!,
    );
  const legit = tenant('legit');
  const attacker = tenant('attacker');

  Object.assign(process.env, { MAX_CONNECTIONS: String(opts.cap), SECRET_KEY_FILE: env.SECRET_KEY_FILE });
  const server = await startServer({ databaseUrl, floorBytes: 16, log });
  const { url, pid } = server;
  const rss = new RssSampler(pid, 100);
  const results: Record<string, unknown> = {
    when: new Date().toISOString(),
    cap: opts.cap,
    ulimit: Number(execFileSync('sh', ['-c', 'ulimit -n']).toString().trim()),
    rssAtStartMb: rssMb(pid),
  };
  const table: string[][] = [];
  const row = (attack: string, p: ProbeResult, notes: string) =>
    table.push([
      attack,
      `${p.answered}/${p.sent}`,
      `${p.within1s}/${p.sent}`,
      String(p.p50Ms),
      String(p.maxMs),
      notes + (p.errors.length ? `; errors: ${p.errors.join(', ')}` : ''),
    ]);

  try {
    log('baseline…');
    const baseline = await probe(url, legit, opts.probes);
    results.baseline = baseline;
    row('none (baseline)', baseline, '');

    // (a) idle connections up to the cap: half never send a byte, half made one request and stay kept-alive.
    log(`(a) ${opts.cap} idle connections…`);
    const fresh = await openMany(url, Math.floor(opts.cap / 2), () => undefined);
    const kept = await openMany(url, Math.ceil(opts.cap / 2), (s) =>
      s.write('GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n'),
    );
    await sleep(500);
    const heldBefore = fresh.sockets.size + kept.sockets.size;
    const idle = await probe(url, legit, opts.probes);
    const heldAfter = fresh.sockets.size + kept.sockets.size;
    results.idle = { opened: opts.cap, heldBefore, heldAfter, probe: idle };
    row(
      `(a) ${opts.cap} idle (fresh + kept-alive)`,
      idle,
      `${heldBefore} of ${opts.cap} held when measured, ${heldAfter} after (the rest closed to make room)`,
    );
    closeAll(fresh);
    closeAll(kept);
    await sleep(1000);

    // (b) slow headers and slow bodies: a byte a second.
    log(`(b) ${opts.slow} slow-header + ${opts.slow} slow-body connections…`);
    const headers = await signedHeaders(attacker);
    const bodyHead = `${[
      'POST /apiOpen/v1/task/getCallRecordInfoList HTTP/1.1',
      'Host: x',
      'Content-Type: application/json',
      'Content-Length: 60000', // within the endpoint's limit (64 KiB): read, slowly
      ...Object.entries(headers).map(([k, v]) => `${k}: ${v}`),
    ].join('\r\n')}\r\n\r\n{`;
    const started = Date.now();
    const slowHeaders = await openMany(url, opts.slow, (s) => s.write('GET /apiOpen/v1/task/getTasks HTTP/1.1\r\n'));
    const slowBodies = await openMany(url, opts.slow, (s) => s.write(bodyHead));
    const trickle = setInterval(() => {
      for (const s of slowHeaders.sockets) s.write('X');
      for (const s of slowBodies.sockets) s.write(' ');
    }, 1000);
    await sleep(500);
    const slow = await probe(url, legit, opts.probes);
    // Wait (bounded) for the server to close them: headers after HEADERS_TIMEOUT, bodies after REQUEST_TIMEOUT.
    for (let s = 0; s < 90 && slowHeaders.sockets.size + slowBodies.sockets.size > 0; s++) await sleep(1000);
    clearInterval(trickle);
    const closedAfter = (h: Held) => ({
      stillOpen: h.sockets.size,
      closed: h.closedAt.length,
      lastClosedAfterS: h.closedAt.length ? Math.round((Math.max(...h.closedAt) - started) / 100) / 10 : null,
    });
    results.slow = { headers: closedAfter(slowHeaders), bodies: closedAfter(slowBodies), probe: slow };
    const sh = closedAfter(slowHeaders);
    const sb = closedAfter(slowBodies);
    row(
      `(b) ${opts.slow} slow headers + ${opts.slow} slow bodies`,
      slow,
      `closed by the server: headers ${sh.closed}/${opts.slow} (last at ${sh.lastClosedAfterS} s), bodies ${sb.closed}/${opts.slow} (last at ${sb.lastClosedAfterS} s)`,
    );
    closeAll(slowHeaders);
    closeAll(slowBodies);

    // (c) large bodies.
    const api = async (method: string, path: string, body?: unknown) => {
      const r = await fetch(`${url}/apiOpen/v1/task/${path}`, {
        method,
        headers: { ...(await signedHeaders(attacker)), 'content-type': 'application/json' },
        body: body === undefined ? undefined : JSON.stringify(body),
      });
      return (await r.json()) as { code: number; data: any };
    };
    const flows = await api('GET', 'getDialogFlows');
    const job = await api('POST', 'create', { name: 'faults', dialogFlowId: flows.data[0].dialogFlowId });
    const jobId: number = job.data.robotCallJobId;
    const record = (i: number, pad: number) =>
      JSON.stringify({
        idempotencyKey: `fault-${i}`,
        robotCallJobId: jobId,
        calledPhoneNumber: `1380000${String(i % 10000).padStart(4, '0')}`,
        resultStatus: 'ANSWERED',
        intentLevel: 'B',
        startTime: 1714528800000,
        endTime: 1714528830000,
        chatDuration: 30,
        chatRound: 3,
        analysisBasis: 'x'.repeat(Math.min(pad, 2000)),
        fullAudioUrl: `https://example.com/${'a'.repeat(Math.min(Math.max(pad - 2000, 0), 1900))}`,
        customerAudioUrl: `https://example.com/${'b'.repeat(Math.min(Math.max(pad - 3900, 0), 1900))}`,
        customerConcern: Array.from({ length: 20 }, () => 'c'.repeat(Math.min(Math.max(pad - 5800, 0), 50))),
      });
    /** `count` records of about `bytes` in all. */
    const bodyOf = (bytes: number, count: number) => {
      const pad = Math.max(0, Math.floor(bytes / count) - record(0, 0).length);
      return Buffer.from(`{"callRecords":[${Array.from({ length: count }, (_, i) => record(i, pad)).join(',')}]}`);
    };

    const send = async (body: Buffer, chunked: boolean) => {
      const h = await signedHeaders(attacker);
      const startedAt = performance.now();
      return new Promise<{ outcome: string; ms: number; sentMb: number }>((resolve) => {
        let written = 0;
        const req = httpRequest(
          `${url}/apiOpen/v1/task/addCallRecords`,
          {
            method: 'POST',
            agent: false,
            headers: {
              ...h,
              'content-type': 'application/json',
              ...(chunked ? { 'transfer-encoding': 'chunked' } : { 'content-length': String(body.length) }),
            },
          },
          (res) => {
            let text = '';
            res.on('data', (d) => (text += d));
            res.on('end', () => {
              let outcome = `HTTP ${res.statusCode}`;
              try {
                const e = JSON.parse(text);
                outcome = `${e.code} ${String(e.resultMsg).slice(0, 60)}`;
              } catch {}
              resolve({ outcome, ms: Math.round(performance.now() - startedAt), sentMb: written / 1048576 });
            });
          },
        );
        req.on('error', (e) =>
          resolve({
            outcome: (e as NodeJS.ErrnoException).code ?? e.message,
            ms: Math.round(performance.now() - startedAt),
            sentMb: written / 1048576,
          }),
        );
        // 1 MB at a time: what was sent before the answer is counted.
        const pump = () => {
          while (written < body.length) {
            const piece = body.subarray(written, written + 1048576);
            written += piece.length;
            if (!req.write(piece)) return void req.once('drain', pump);
          }
          req.end();
        };
        pump();
      });
    };

    const attack = async (label: string, body: Buffer, chunked: boolean) => {
      log(`(c) ${label}…`);
      await sleep(1000);
      const before = rssMb(pid);
      rss.take();
      const during = probe(url, legit, opts.probes);
      const sent = await Promise.all(Array.from({ length: 16 }, () => send(body, chunked)));
      const p = await during;
      const peak = rss.take();
      await sleep(3000);
      const after = rssMb(pid);
      const outcomes: Record<string, number> = {};
      for (const s of sent) outcomes[s.outcome] = (outcomes[s.outcome] ?? 0) + 1;
      const figures = {
        bodyMb: Math.round((body.length / 1048576) * 10) / 10,
        rssBeforeMb: before,
        rssPeakMb: peak,
        rssAfterMb: after,
        answeredWithinMs: Math.max(...sent.map((s) => s.ms)),
        maxSentMbBeforeAnswer: Math.round(Math.max(...sent.map((s) => s.sentMb)) * 10) / 10,
        outcomes,
        probe: p,
      };
      row(
        `(c) 16 × ${figures.bodyMb} MB ${label}`,
        p,
        `RSS ${before} → peak ${peak} → ${after} MB; ${Object.entries(outcomes)
          .map(([k, v]) => `${v}× ${k}`)
          .join(', ')}; slowest answer ${figures.answeredWithinMs} ms`,
      );
      return figures;
    };

    // Many small records (an attacker does not care for maxItems).
    const huge = bodyOf(opts.bodyMb * 1048576, Math.floor((opts.bodyMb * 1048576) / (record(0, 0).length + 1)));
    results.bodiesWithLength = await attack('with Content-Length', huge, false);
    results.bodiesChunked = await attack('chunked', huge, true);
    // 5,000 records as large as they get without a transcript: read, parsed and ingested, one budget at a time.
    results.bodiesUnderLimit = await attack('valid, 5000 records', bodyOf(ADD_CALL_RECORDS_BODY_LIMIT, 5000), false);
    results.rssAtEndMb = rssMb(pid);
  } finally {
    rss.stop();
    await server.stop();
    rmSync(dir, { recursive: true, force: true });
  }

  const head = ['attack', 'answered', 'within 1 s', 'p50 ms', 'max ms', 'notes'];
  const widths = head.map((h, i) => Math.max(h.length, ...table.map((r) => (i === 5 ? 0 : r[i]!.length))));
  const fmt = (r: string[]) => r.map((c, i) => (i === 5 ? c : c.padEnd(widths[i]!))).join(' | ');
  log('');
  log(`legitimate signed requests (GET getTasks, a new connection each) during each attack; cap ${opts.cap}`);
  log(fmt(head));
  for (const r of table) log(fmt(r));
  const outDir = join(root, 'bench/results');
  mkdirSync(outDir, { recursive: true });
  const file = join(outDir, `faults-${new Date().toISOString().replace(/[:.]/g, '-')}.json`);
  writeFileSync(file, `${JSON.stringify(results, null, 2)}\n`);
  log(`\nfigures written to ${file}`);
}

async function mainEngines(): Promise<void> {
  const result = await runEngineFaults({ postgresUrl: opts.postgresUrl, tasks: opts.engineTasks, log });
  log(JSON.stringify(result, null, 2));
  const outDir = join(root, 'bench/results');
  mkdirSync(outDir, { recursive: true });
  const file = join(outDir, `faults-engines-${new Date().toISOString().replace(/[:.]/g, '-')}.json`);
  writeFileSync(file, `${JSON.stringify(result, null, 2)}\n`);
  log(
    `${result.passed ? 'PASSED' : 'FAILED'}: ${result.tasks} tasks, ${result.kills.beforeDial} engines killed before dial and ${result.kills.afterDial} after; ${result.tasksWithoutRecord} lost, ${result.tasksWithSeveralRecords} recorded twice, ${result.overlappingLeases} claimed twice → ${file}`,
  );
  if (!result.passed) process.exitCode = 1;
}

if (opts.engines) await mainEngines();
else await main();
