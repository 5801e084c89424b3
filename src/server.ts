import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { type CallbackDispatcher, callbackMetrics, startDispatcher } from './callbacks/dispatcher.js';
import { signedHeaders } from './client/signing.js';
import { type Config, ConfigError, databaseRefusal, secretKeyFileRefusal } from './config.js';
import { startAnalyzer } from './db/analyze.js';
import { createDatabase, type Database } from './db/database.js';
import { lockDialer } from './db/dialerLock.js';
import { migrateToLatest, migrationStatus } from './db/migrate.js';
import { DEMO_CREDENTIALS_FILE, demoCredentialsFile } from './demo/credentials.js';
import { ensureDemoData } from './demo/seed.js';
import { Simulator, type SimulatorOptions } from './engines/simulator.js';
import { SimulatedTelephony } from './engines/telephony.js';
import { type App, type AppDependencies, buildApp } from './http/app.js';
import { dialerMetrics, schedulerMetrics } from './http/probes.js';
import { DEMO_RECEIVER_PATH, type DemoReceiverState, demoReceiver } from './http/routes/demoReceiver.js';
import { Scheduler } from './scheduler/scheduler.js';
import { callbackSecretOf, setCallbackUrl } from './services/callbacks.js';
import { reapLeases } from './services/callLeases.js';
import { ensureDemoUser } from './services/consoleUsers.js';
import { prepareSecrets } from './services/secrets.js';
import { type Credentials, findTenantByIdOrSign } from './services/tenants.js';

export interface ServeOptions {
  /** Create the demo tenant when it does not exist. */
  demo: boolean;
  /** More routes for the app (the benchmark's floor). */
  plugins?: AppDependencies['plugins'];
  /**
   * Analyze on PostgreSQL what the service loads (src/db/analyze.ts; default true). The benchmark
   * turns it off to measure what it is worth.
   */
  analyze?: boolean;
}

/** Opens the database, migrates, optionally seeds the demo, and listens. */
export async function startServer(
  config: Config,
  options: ServeOptions,
): Promise<{ app: App; url: string; close: () => Promise<void> }> {
  // First: a second dialer on the same SQLite file is refused before anything is touched.
  const dialerLock = config.dialerEnabled ? lockDialer(config.databaseUrl) : undefined;
  let database: Database | undefined;
  let migrated: Awaited<ReturnType<typeof migrateToLatest>> | undefined;
  let schema: boolean;
  let secrets: Awaited<ReturnType<typeof prepareSecrets>>;
  try {
    try {
      database = createDatabase(config.databaseUrl, { poolSize: config.databasePoolSize });
      migrated = config.migrateOnStart ? await migrateToLatest(database) : undefined;
      // Migrated here or not: it checks that the key reads the stored secrets, and encrypts those stored before 0007.
      schema = config.migrateOnStart || (await migrationStatus(database)).some((m) => m.executedAt !== null);
    } catch (error) {
      throw databaseRefusal(error, config.databaseUrl, true) ?? error;
    }
    try {
      secrets = await prepareSecrets(database, config, { schema });
    } catch (error) {
      throw secretKeyFileRefusal(error, config) ?? error;
    }
  } catch (error) {
    await database?.destroy().catch(() => {});
    throw error;
  }
  // The demo's own callback receiver (docs/callbacks.md), told the demo tenant once it exists.
  const demoReceived: DemoReceiverState = { received: [] };
  const plugins = [...(options.plugins ?? []), ...(options.demo ? [demoReceiver(database, demoReceived)] : [])];
  const app = await buildApp({ database, config, plugins });
  const analyzer = options.analyze === false ? undefined : startAnalyzer(database, app.log);
  // In the background: the first requests are served meanwhile, and a failure is only logged.
  if (migrated?.results?.some((r) => r.status === 'Success')) void analyzer?.analyzeAll('migrations applied');
  else void analyzer?.analyzeStale('start');
  if (secrets.generatedFile)
    app.log.warn(
      { file: secrets.generatedFile, keyId: secrets.keyring.keyId },
      'generated a new secret key for the stored app secrets: keep it, and back it up apart from the database (without it they cannot be read); in production set OUTCALL_SECRET_KEY instead',
    );
  if (secrets.warning) app.log.warn(secrets.warning);
  if (secrets.encrypted > 0) app.log.info({ encrypted: secrets.encrypted }, 'encrypted the stored app secrets');
  app.log.info({ keyId: secrets.keyring.keyId, source: secrets.keyring.source }, 'secret key loaded');
  let dialer: Simulator | undefined;
  let scheduler: Scheduler | undefined;
  let dispatcher: CallbackDispatcher | undefined;
  let closing: Promise<void> | undefined;
  /**
   * Shutdown within SHUTDOWN_TIMEOUT_SECONDS: /readyz turns 503 and no connection is accepted;
   * requests in progress are answered (each closing its connection); calls in progress may end
   * and be recorded until shortly before the deadline, when the rest are abandoned and their call
   * tasks released; at the deadline the connections still open are closed. A request cut off
   * there was not acknowledged: its client sends it again, and its idempotency key records it once.
   */
  const shutdown = async () => {
    const started = Date.now();
    const deadline = config.shutdownTimeoutMs;
    app.lifecycle.shuttingDown = true;
    const dialerStopped = dialer?.stop({ abandonAfterMs: Math.max(0, deadline - Math.min(2000, deadline / 4)) });
    // Deliveries still running near the deadline are abandoned: their events stay due in the outbox.
    const dispatcherStopped = dispatcher?.stop({
      abandonAfterMs: Math.max(0, deadline - Math.min(2000, deadline / 4)),
    });
    const force = setTimeout(() => app.server.closeAllConnections(), Math.max(0, deadline - 500));
    try {
      await Promise.all([app.close(), dialerStopped, dispatcherStopped, scheduler?.stop()]);
    } finally {
      clearTimeout(force);
    }
    await analyzer?.stop();
    await database.destroy();
    dialerLock?.release();
    app.log.info({ ms: Date.now() - started, ...dialer?.stats() }, 'stopped');
  };
  const close = () => {
    closing ??= shutdown();
    return closing;
  };
  try {
    await app.listen({ port: config.port, host: config.host });
  } catch (error) {
    const refusal = listenRefusal(error, config);
    if (!refusal) throw error;
    // Closed, so that the SQLite file is left checkpointed and no timer keeps the process alive.
    await app.close();
    await analyzer?.stop();
    await database.destroy();
    throw refusal;
  }
  const address = app.server.address();
  const port = typeof address === 'object' && address ? address.port : config.port;
  const url = `http://${config.host === '0.0.0.0' || config.host === '::' ? '127.0.0.1' : config.host}:${port}`;
  app.log.info({ database: database.location, dialect: database.dialect }, `outcall listening on ${url}`);
  app.log.info(`console at ${url}/console`);

  let demoReceiverUrl: string | undefined;
  if (options.demo) {
    const started = Date.now();
    const { credentials, created } = await ensureDemoData(database);
    if (created) {
      app.log.info({ ms: Date.now() - started }, 'demo data created');
      void analyzer?.analyzeAll('demo seeded');
    }
    const file = demoCredentialsFile(config.databaseUrl);
    const login = await ensureDemoUser(database, credentials.tenantId, DEMO_USERNAME, previousDemoPassword(file), {
      log2N: config.consolePasswordCost,
    });
    await writeDemoCredentials(file, url, credentials, login);
    await printWelcome(file, url, credentials, login);
    demoReceived.tenantId = credentials.tenantId;
    demoReceiverUrl = await pointDemoAtReceiver(database, credentials.tenantId, `${url}${DEMO_RECEIVER_PATH}`);
  }
  if (config.callbackDispatcherEnabled) {
    // The demo's receiver is on this machine: allowed as that one URL, not by opening private networks to every tenant.
    dispatcher = startDispatcher(database, config, app.log, demoReceiverUrl ? [demoReceiverUrl] : []);
    app.metrics?.addSource(callbackMetrics(dispatcher));
    app.log.info(
      { concurrency: config.callbackConcurrency, allowPrivateNetworks: config.callbackAllowPrivateNetworks },
      'callback dispatcher running',
    );
  }
  // Every serve process runs the scheduler, with or without the simulator: one of them at a time does its work.
  scheduler = startScheduler(database, app.log);
  app.metrics?.addSource(schedulerMetrics(scheduler));
  if (config.dialerEnabled) {
    const running = startDialer(database, config, app.log);
    dialer = running;
    app.metrics?.addSource(dialerMetrics(running));
    app.log.info({ speed: config.dialerSpeed }, 'dialer running (simulated calls)');
  }

  for (const signal of ['SIGINT', 'SIGTERM'] as const) {
    process.on(signal, () => {
      if (closing) {
        app.log.warn(`${signal} again: exiting now`);
        process.exit(1);
      }
      app.log.info(
        { deadlineMs: config.shutdownTimeoutMs },
        `${signal}: stopping; requests and calls in progress have until the deadline`,
      );
      // The last resort, should anything hang past the deadline.
      setTimeout(() => {
        app.log.error('shutdown did not finish in time: exiting');
        process.exit(1);
      }, config.shutdownTimeoutMs + 5000).unref();
      close().then(
        () => process.exit(0),
        (error: unknown) => {
          app.log.error({ err: error }, 'shutdown failed');
          process.exit(1);
        },
      );
    });
  }
  return { app, url, close };
}

/** Why the server cannot listen where it was told to, as one line naming the setting; undefined for other errors. */
function listenRefusal(error: unknown, config: Config): ConfigError | undefined {
  const code = (error as { code?: unknown })?.code;
  const where = `${config.host}:${config.port}`;
  switch (code) {
    case 'EADDRINUSE':
      return new ConfigError(
        `PORT ${config.port} is already in use on ${config.host} (another process listens there); choose another with PORT=… or serve --port`,
      );
    case 'EACCES':
      return new ConfigError(
        `PORT ${config.port} may not be used by this user (ports below 1024 need privileges); choose another with PORT=…`,
      );
    case 'EADDRNOTAVAIL':
      return new ConfigError(
        `HOST "${config.host}" is not an address of this machine (cannot listen on ${where}); use 127.0.0.1, 0.0.0.0 (every address) or one of its own`,
      );
    case 'ENOTFOUND':
    case 'EAI_AGAIN':
    case 'EAI_FAIL':
      return new ConfigError(
        `HOST "${config.host}" is not a name that resolves here (${code}); use an address such as 127.0.0.1 or 0.0.0.0`,
      );
    default:
      return undefined;
  }
}

/** The scheduler, ticking until stopped (it works while this process holds its lease), reaping engines' lost leases. */
export function startScheduler(database: Database, log: SimulatorOptions['log']): Scheduler {
  const scheduler = new Scheduler({ database, log, reap: (db, now) => reapLeases(db, now) });
  scheduler.run();
  return scheduler;
}

/** The built-in simulator (the dialer of `simulated` lines and lineless jobs), claiming until stopped. */
export function startDialer(database: Database, config: Config, log: SimulatorOptions['log']): Simulator {
  const dialer = new Simulator({
    database,
    telephony: new SimulatedTelephony({ speed: config.dialerSpeed }),
    settings: {
      leaseTtlMs: config.engineLeaseTtlMs,
      leaseGraceMs: config.engineLeaseGraceMs,
      lineFailureLimit: config.lineFailureLimit,
    },
    log,
  });
  dialer.run();
  return dialer;
}

/**
 * Points the demo tenant's callbacks at the receiver this server hosts, unless the user pointed
 * them elsewhere (a URL not ending in the receiver's path is theirs, and kept). Prints where
 * pushes go. Returns the receiver's URL when the demo uses it.
 */
async function pointDemoAtReceiver(database: Database, tenantId: number, receiverUrl: string) {
  const tenant = await findTenantByIdOrSign(database, { tenantId });
  const current = tenant?.callback_url ?? null;
  const ours = current === null || current.endsWith(DEMO_RECEIVER_PATH);
  if (ours && current !== receiverUrl) await setCallbackUrl(database, tenantId, receiverUrl);
  const secret = await callbackSecretOf(database, tenantId);
  process.stdout.write(
    [
      ours
        ? `Callbacks: every finished call and completed job is pushed to the demo receiver ${receiverUrl}`
        : `Callbacks: pushed to ${current} (set for the demo tenant; the demo receiver ${receiverUrl} is not used)`,
      `  callback secret  ${secret}   (X-Outcall-Signature; docs/callbacks.md)`,
      '  what the demo receiver got:  npx outcall request GET /demo/callback-receiver/received',
      '  the delivery log:            npx outcall request GET /apiOpen/v1/callback/list',
      '',
      '',
    ].join('\n'),
  );
  return ours ? receiverUrl : undefined;
}

/** The demo's console user (an admin of the demo tenant). */
export const DEMO_USERNAME = 'demo';

interface ConsoleLogin {
  username: string;
  password: string;
}

/** The console password the demo wrote down last time, if any: kept while it still signs in. */
function previousDemoPassword(file: string): string | undefined {
  try {
    const saved = JSON.parse(readFileSync(resolve(file), 'utf8')) as {
      console?: { password?: unknown };
    };
    return typeof saved.console?.password === 'string' ? saved.console.password : undefined;
  } catch {
    return undefined;
  }
}

async function writeDemoCredentials(
  shown: string,
  baseUrl: string,
  c: Credentials,
  login: ConsoleLogin,
): Promise<void> {
  const file = resolve(shown);
  mkdirSync(dirname(file), { recursive: true });
  const body = {
    baseUrl,
    appKey: c.appKey,
    appSecret: c.appSecret,
    tenantSign: c.tenantSign,
    tenantId: c.tenantId,
    console: { url: `${baseUrl}/console/`, username: login.username, password: login.password },
  };
  writeFileSync(file, `${JSON.stringify(body, null, 2)}\n`, { mode: 0o600 });
}

async function printWelcome(file: string, baseUrl: string, c: Credentials, login: ConsoleLogin): Promise<void> {
  const h = await signedHeaders(c);
  const curl = [
    `curl -s '${baseUrl}/apiOpen/v1/task/getTasks?pageSize=5'`,
    ...Object.entries(h).map(([k, v]) => `  -H '${k}: ${v}'`),
  ].join(' \\\n');
  process.stdout.write(
    [
      '',
      `outcall demo tenant (credentials also in ${file}):`,
      `  baseUrl     ${baseUrl}`,
      `  tenantId    ${c.tenantId}`,
      `  tenantSign  ${c.tenantSign}`,
      `  appKey      ${c.appKey}`,
      `  appSecret   ${c.appSecret}`,
      '',
      'Console (sign in with the demo user):',
      `  url         ${baseUrl}/console/`,
      `  username    ${login.username}`,
      `  password    ${login.password}`,
      '',
      'Try it (the CLI signs each request for you):',
      `  npx outcall request GET /apiOpen/v1/task/getTasks${file === DEMO_CREDENTIALS_FILE ? '' : ` -c ${file}`}`,
      '',
      'Or with curl (this signature is valid for 5 minutes):',
      curl,
      '',
      '',
    ].join('\n'),
  );
}
