import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Command, InvalidArgumentError } from 'commander';
import pg from 'pg';
import { loadConfig } from '../src/config.js';
import { createDatabase } from '../src/db/database.js';
import { migrateToLatest } from '../src/db/migrate.js';
import { buildApp } from '../src/http/app.js';
import { generateSecretKey, loadSecretKeyring, useSecretKeyring } from '../src/services/secrets.js';
import { fuzz, prepare, RequestPlanner, summaryLine } from '../test/randomInput.js';
import { DEFAULT_POSTGRES_URL } from './db.js';

/*
 * `npm run fuzz` — the random-input test (test/randomInput.ts) at any size:
 *
 *   npm run fuzz -- --requests 100000 --seed 7 --db postgres
 *
 * A fresh database (a temporary SQLite file, or a PostgreSQL database created from --postgres-url
 * and dropped afterwards), the real app listening on 127.0.0.1 in this process, the requests of
 * the seed sent over loopback, every stored row read back at checkpoints. Prints one summary line
 * and the failures; exits 1 when there is any (a 500, an answer that is not the envelope, a
 * hostile value not refused, a row a read cannot serve).
 */

const positive = (v: string) => {
  const n = Number(v);
  if (!Number.isSafeInteger(n) || n <= 0) throw new InvalidArgumentError('must be a positive integer');
  return n;
};

const opts = new Command('fuzz')
  .option('--requests <n>', 'requests to send', positive, 100_000)
  .option('--seed <n>', 'the run’s seed (default: chosen and printed)', (v) => {
    const n = Number(v);
    if (!Number.isSafeInteger(n) || n < 0) throw new InvalidArgumentError('must be a non-negative integer');
    return n;
  })
  .option(
    '--db <dialect>',
    'sqlite or postgres',
    (v) => {
      if (v !== 'sqlite' && v !== 'postgres') throw new InvalidArgumentError('must be sqlite or postgres');
      return v;
    },
    'sqlite',
  )
  .option(
    '--postgres-url <url>',
    'PostgreSQL database to create the run’s database from',
    process.env.BENCH_POSTGRES_URL ?? DEFAULT_POSTGRES_URL,
  )
  .option('--concurrency <n>', 'requests in flight', positive, 8)
  .option(
    '--checkpoints <n>',
    'read everything back this many times (default: one per 10,000 requests, at least 4)',
    positive,
  )
  .parse()
  .opts<{
    requests: number;
    seed?: number;
    db: 'sqlite' | 'postgres';
    postgresUrl: string;
    concurrency: number;
    checkpoints?: number;
  }>();

const seed = opts.seed ?? Math.floor(Math.random() * 2 ** 31);
const log = (line: string) => process.stderr.write(`${line}\n`);

async function scratch(): Promise<{ url: string; drop: () => Promise<void> }> {
  if (opts.db === 'sqlite') {
    const dir = mkdtempSync(join(tmpdir(), 'outcall-fuzz-'));
    return { url: `sqlite:${join(dir, 'fuzz.db')}`, drop: async () => rmSync(dir, { recursive: true, force: true }) };
  }
  const name = `outcall_fuzz_${process.pid}_${Date.now().toString(36)}`;
  const admin = async (statement: string) => {
    const client = new pg.Client({ connectionString: opts.postgresUrl });
    await client.connect();
    try {
      await client.query(statement);
    } finally {
      await client.end();
    }
  };
  await admin(`create database ${name}`);
  const url = new URL(opts.postgresUrl);
  url.pathname = `/${name}`;
  return { url: url.toString(), drop: () => admin(`drop database if exists ${name} with (force)`) };
}

async function main(): Promise<number> {
  // A key of its own for this run's throw-away secrets: nothing is written under data/.
  useSecretKeyring(loadSecretKeyring({ secretKey: generateSecretKey(), secretKeyFile: '' }).keyring);
  const db = await scratch();
  const database = createDatabase(db.url, { poolSize: 10 });
  try {
    await migrateToLatest(database);
    // Rate limits off: every request is to reach validation, not the limiter. Errors go to stderr.
    const app = await buildApp({
      database,
      config: loadConfig({ ...process.env, RATE_LIMIT_PER_SECOND: '0' }),
      logger: { level: 'error', stream: process.stderr },
    });
    await app.listen({ port: 0, host: '127.0.0.1' });
    const address = app.server.address();
    const url = `http://127.0.0.1:${typeof address === 'object' && address ? address.port : 0}`;
    try {
      const doc = app.swagger() as Record<string, any>;
      const { primary, other, signChanger, pools } = await prepare(database, url, doc);
      const planner = new RequestPlanner(doc, pools, primary, other, seed, signChanger);
      log(`fuzz: ${opts.requests} requests, seed ${seed}, ${opts.db}, ${planner.operations.length} operations, ${url}`);
      const { report, back } = await fuzz({
        url,
        planner,
        requests: opts.requests,
        concurrency: opts.concurrency,
        checkpoints: opts.checkpoints ?? Math.max(4, Math.ceil(opts.requests / 10_000)),
        onProgress: (n) => {
          if (n % 10_000 === 0) log(`  ${n} sent`);
        },
      });
      console.log(summaryLine(`(${opts.db}, seed ${seed})`, report, back));
      const problems = [...report.failures, ...back.problems];
      for (const line of problems.slice(0, 50)) console.log(`  failure: ${line}`);
      for (const line of report.routerLevel.slice(0, 50)) console.log(`  router-level: ${line}`);
      return problems.length + report.routerLevel.length === 0 ? 0 : 1;
    } finally {
      await app.close();
    }
  } finally {
    await database.destroy();
    await db.drop();
  }
}

main().then(
  (code) => process.exit(code),
  (error) => {
    console.error(error);
    process.exit(2);
  },
);
