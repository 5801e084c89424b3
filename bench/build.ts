import { Command } from 'commander';
import { type BenchDialect, benchDatabase, DEFAULT_POSTGRES_URL, ensureDataset } from './db.js';

/** Builds (or rebuilds) a data set without measuring anything: `node dist/.bench/bench/build.js --records N --db D`. */
const program = new Command('bench-build')
  .option('--records <n>', 'call records of the largest job', (v) => Number(v), 100_000)
  .option('--db <dialect>', 'sqlite or postgres', 'sqlite')
  .option(
    '--postgres-url <url>',
    'PostgreSQL database to create the bench database from',
    process.env.BENCH_POSTGRES_URL ?? DEFAULT_POSTGRES_URL,
  )
  .option('--rebuild', 'build anew even when a data set of this size exists', false)
  .parse();
const o = program.opts<{ records: number; db: BenchDialect; postgresUrl: string; rebuild: boolean }>();
const b = benchDatabase(o.db, o.records, o.postgresUrl);
const log = (m: string) => console.log(`[${new Date().toISOString().slice(11, 19)}] ${m}`);
await ensureDataset(b, { records: o.records, adminUrl: o.postgresUrl, rebuild: o.rebuild, log });
