import { Command, InvalidArgumentError } from 'commander';
import { loadConfig } from '../src/config.js';
import { startServer } from '../src/server.js';
import { benchFloor, MAX_FLOOR_BYTES } from './floor.js';

/*
 * The server the benchmark measures: `outcall serve` (src/server.ts: the same configuration from
 * the environment, database, migration and app) plus the floor route, GET /bench/floor.
 *
 *   node dist/.bench/bench/serve.js [--floor-bytes 4096] [--no-migrate]
 *
 * The floor answers GET /bench/floor?bytes=N with a body of N bytes; --floor-bytes is the size
 * without `bytes`.
 */

const program = new Command('bench-serve')
  .option(
    '--floor-bytes <n>',
    'bytes of the body GET /bench/floor answers without ?bytes=',
    (v) => {
      const n = Number(v);
      if (!Number.isInteger(n) || n < 0 || n > MAX_FLOOR_BYTES)
        throw new InvalidArgumentError(`must be an integer from 0 to ${MAX_FLOOR_BYTES}`);
      return n;
    },
    4096,
  )
  .option('--no-migrate', 'do not migrate the database on start')
  .option('--no-analyze', 'do not analyze what the service loads (src/db/analyze.ts): to measure without it')
  .parse();

const opts = program.opts<{ floorBytes: number; migrate: boolean; analyze: boolean }>();
// The service as deployed: the rate limit on, so every signed request writes its key's slot as in
// production. One key sends everything, so its budget is set above any load the bench makes
// (100,000 a second, the most RATE_LIMIT_PER_SECOND takes; a burst of 1,000,000): the limit is
// checked and written, and never refuses. RATE_LIMIT_PER_SECOND in the environment overrides it
// (0 switches the limit off, as the bench did before).
const env = {
  RATE_LIMIT_PER_SECOND: '100000',
  RATE_LIMIT_BURST: '1000000',
  ...process.env,
  ...(opts.migrate ? {} : { MIGRATE_ON_START: 'false' }),
};
await startServer(loadConfig(env), {
  demo: false,
  plugins: [benchFloor(opts.floorBytes)],
  analyze: opts.analyze,
});
