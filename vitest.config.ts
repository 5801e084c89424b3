import { defineConfig } from 'vitest/config';
import SlowFirst from './test/sequencer.js';

/*
 * The suite runs once per database: always on SQLite, and on PostgreSQL too when
 * TEST_DATABASE_URL names a PostgreSQL database to create throw-away test databases from.
 */
const include = ['src/**/*.test.ts', 'test/**/*.test.ts', 'bench/**/*.test.ts', 'console/**/*.test.ts'];
const postgres = process.env.TEST_DATABASE_URL;

/*
 * Files whose subject is not the database run once, on SQLite: a second run on PostgreSQL would
 * prove nothing more. Each serves requests whose storage the route, repository and console API
 * tests already cover on both databases. A file that asserts anything of what is stored belongs
 * in neither list.
 */
const ONCE = [
  // Pure functions: no database at all.
  'src/domain/**/*.test.ts',
  'src/simulator/**/*.test.ts',
  'src/services/jobStats.test.ts',
  'src/services/signature.test.ts',
  'src/services/xlsx.test.ts',
  'src/db/redactDatabaseUrl.test.ts',
  'src/http/bodyLimits.test.ts',
  'src/http/docsSigning.test.ts',
  'src/http/console/static.test.ts',
  'console/src/**/*.test.ts',
  'bench/compare.test.ts',
  'bench/report.test.ts',
  // HTTP behaviour of the server and the SDK: framing, limits, retries, the docs page and the
  // browser journey through the console, not queries.
  'bench/floor.test.ts',
  'src/client/client.test.ts',
  // The SDK packed, installed from its tarball into an empty folder and used there.
  'test/sdkPackage.test.ts',
  'src/http/operations.test.ts',
  'src/startup.test.ts',
  'src/config.test.ts',
  'src/http/docs.test.ts',
  'console/e2e/journey.test.ts',
  // examples/engine.py run by python3 against a serve process: what it shows is the example's
  // protocol, whose storage the engine routes' and services' tests cover on both databases.
  'test/examplesEngine.test.ts',
  'console/e2e/training.test.ts',
  // The SIP engine's audio and the test carrier: programs and sockets on loopback, no database.
  'src/engines/sip/tts.test.ts',
  'src/engines/sip/fingerprint.test.ts',
  'src/engines/sip/carrier.test.ts',
  // The SIP engine end to end (real SIP and RTP to SIPp): its leases' storage is the protocol's,
  // which src/services/callLeases*.test.ts cover on both databases; a PostgreSQL pass adds only
  // start-up time.
  'src/engines/sip/engine.test.ts',
  'src/engines/sip/engineLeases.test.ts',
  // The CLI's commands, each a spawned process: the services they call are tested on both databases.
  'src/cliLines.test.ts',
  'src/cliEngine.test.ts',
  'src/cliFlows.test.ts',
  'src/cliAnnouncements.test.ts',
];

/*
 * Test files run side by side, the two databases' passes among them. Most of a file's time is
 * spent waiting on a child process, PostgreSQL, a browser or a socket, so on a 2-core machine three
 * workers finish well before one (Vitest's default there). TEST_WORKERS overrides it.
 */
const workers = Number(process.env.TEST_WORKERS ?? 3);

// A run without PostgreSQL must not pass quietly: said before the tests and again after the summary.
const SKIPPED = [
  '!'.repeat(78),
  '!! The PostgreSQL pass was SKIPPED: TEST_DATABASE_URL is not set; only SQLite was tested.',
  '!! Run both: TEST_DATABASE_URL=postgres://postgres@127.0.0.1:5432/postgres npm test',
  '!'.repeat(78),
].join('\n');
// Vitest may evaluate this file more than once in one process; the opening warning is said once.
const said = globalThis as { outcallSkipWarned?: boolean };
if (!postgres && !said.outcallSkipWarned) {
  said.outcallSkipWarned = true;
  console.warn(`\n${SKIPPED}\n`);
}

export default defineConfig({
  test: {
    // Rebuilds dist/ from the sources first: some tests run the built CLI and write path.
    globalSetup: ['test/globalSetup.ts'],
    testTimeout: 30_000,
    // The server key of the stored secrets, for the tests and the CLI processes they start (which
    // inherit it): a fixed test-only key, so no test writes a key file under the checkout's data/.
    // Console passwords at a cheap scrypt cost (N = 2^10): the production cost (2^17, 128 MiB a
    // hash) is tested once, in src/services/signInLimit.test.ts.
    env: {
      OUTCALL_SECRET_KEY: '7465737420736563726574206b6579206f66206f757463616c6c207465737473',
      CONSOLE_PASSWORD_COST: '10',
    },
    hookTimeout: 60_000,
    maxWorkers: workers,
    // A worker runs one file after another of its pass and keeps the modules it has loaded, rather
    // than a process per file: a file that starts the app spends about a second of CPU loading
    // Fastify, TypeBox, Kysely and the sources before its first test, and CI is bound by its two
    // cores. The tests mock nothing and change no environment variable; the module state they touch
    // is per database, or put back by the test. `--isolate` gives each file a process of its own.
    isolate: false,
    // The files slow for their size first (test/sequencer.ts).
    sequence: { sequencer: SlowFirst },
    reporters: [
      'default',
      './test/slowestFiles.ts',
      ...(postgres ? [] : [{ onTestRunEnd: () => console.warn(`\n${SKIPPED}\n`) }]),
    ],
    projects: [
      { extends: true, test: { name: 'sqlite', include, env: { OUTCALL_TEST_DIALECT: 'sqlite' } } },
      ...(postgres
        ? [
            {
              extends: true as const,
              test: { name: 'postgres', include, exclude: ONCE, env: { OUTCALL_TEST_DIALECT: 'postgres' } },
            },
          ]
        : []),
    ],
  },
});
