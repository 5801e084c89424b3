import { Command, InvalidArgumentError } from 'commander';
import { loadConfig } from '../src/config.js';
import { startServer } from '../src/server.js';
import { benchFloor } from './floor.js';

/*
 * The server the benchmark measures: `outcall serve` (src/server.ts: the same configuration from
 * the environment, database, migration and app) plus the floor route, GET /bench/floor.
 *
 *   node dist/.bench/bench/serve.js --floor-bytes 4096 [--no-migrate]
 */

const program = new Command('bench-serve')
  .requiredOption('--floor-bytes <n>', 'bytes of the constant body GET /bench/floor answers', (v) => {
    const n = Number(v);
    if (!Number.isInteger(n) || n < 0 || n > 10_000_000)
      throw new InvalidArgumentError('must be an integer from 0 to 10000000');
    return n;
  })
  .option('--no-migrate', 'do not migrate the database on start')
  .parse();

const opts = program.opts<{ floorBytes: number; migrate: boolean }>();
// The benchmark measures the service, not its rate limit (one key sends everything), unless RATE_LIMIT_PER_SECOND is set.
const env = {
  RATE_LIMIT_PER_SECOND: '0',
  ...process.env,
  ...(opts.migrate ? {} : { MIGRATE_ON_START: 'false' }),
};
await startServer(loadConfig(env), { demo: false, plugins: [benchFloor(opts.floorBytes)] });
