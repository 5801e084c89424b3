import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { signedHeaders } from './client/signing.js';
import type { Config } from './config.js';
import { createDatabase, type Database } from './db/database.js';
import { migrateToLatest } from './db/migrate.js';
import { ensureDemoData } from './demo/seed.js';
import { Dialer, type DialerOptions } from './dialer/dialer.js';
import { SimulatedTelephony } from './dialer/telephony.js';
import { type App, type AppDependencies, buildApp } from './http/app.js';
import type { Credentials } from './services/tenants.js';

export const DEMO_CREDENTIALS_FILE = 'data/demo-credentials.json';

export interface ServeOptions {
  /** Create the demo tenant when it does not exist. */
  demo: boolean;
  /** More routes for the app (the benchmark's floor). */
  plugins?: AppDependencies['plugins'];
}

/** Opens the database, migrates, optionally seeds the demo, and listens. */
export async function startServer(
  config: Config,
  options: ServeOptions,
): Promise<{ app: App; url: string; close: () => Promise<void> }> {
  const database = createDatabase(config.databaseUrl, { poolSize: config.databasePoolSize });
  if (config.migrateOnStart) await migrateToLatest(database);
  const app = await buildApp({ database, config, plugins: options.plugins });
  let dialer: Dialer | undefined;
  const close = async () => {
    await dialer?.stop();
    await app.close();
    await database.destroy();
  };
  await app.listen({ port: config.port, host: config.host });
  const address = app.server.address();
  const port = typeof address === 'object' && address ? address.port : config.port;
  const url = `http://${config.host === '0.0.0.0' || config.host === '::' ? '127.0.0.1' : config.host}:${port}`;
  app.log.info({ database: database.location, dialect: database.dialect }, `outcall listening on ${url}`);

  if (options.demo) {
    const started = Date.now();
    const { credentials, created } = await ensureDemoData(database);
    if (created) app.log.info({ ms: Date.now() - started }, 'demo data created');
    await writeDemoCredentials(url, credentials);
    await printWelcome(url, credentials);
  }
  if (config.dialerEnabled) {
    dialer = startDialer(database, config, app.log);
    app.log.info({ speed: config.dialerSpeed }, 'dialer running (simulated calls)');
  }

  for (const signal of ['SIGINT', 'SIGTERM'] as const) {
    process.once(signal, () => {
      app.log.info(`${signal}: finishing the calls in progress, then closing`);
      void close().then(() => process.exit(0));
    });
  }
  return { app, url, close };
}

/** The dialer with the built-in simulated engine, ticking until stopped. */
export function startDialer(database: Database, config: Config, log: DialerOptions['log']): Dialer {
  const dialer = new Dialer({ database, telephony: new SimulatedTelephony({ speed: config.dialerSpeed }), log });
  dialer.run();
  return dialer;
}

async function writeDemoCredentials(baseUrl: string, c: Credentials): Promise<void> {
  const file = resolve(DEMO_CREDENTIALS_FILE);
  mkdirSync(dirname(file), { recursive: true });
  const body = { baseUrl, appKey: c.appKey, appSecret: c.appSecret, tenantSign: c.tenantSign, tenantId: c.tenantId };
  writeFileSync(file, `${JSON.stringify(body, null, 2)}\n`, { mode: 0o600 });
}

async function printWelcome(baseUrl: string, c: Credentials): Promise<void> {
  const h = await signedHeaders(c);
  const curl = [
    `curl -s '${baseUrl}/apiOpen/v1/task/getTasks?pageSize=5'`,
    ...Object.entries(h).map(([k, v]) => `  -H '${k}: ${v}'`),
  ].join(' \\\n');
  process.stdout.write(
    [
      '',
      'outcall demo tenant (credentials also in ' + DEMO_CREDENTIALS_FILE + '):',
      `  baseUrl     ${baseUrl}`,
      `  tenantId    ${c.tenantId}`,
      `  tenantSign  ${c.tenantSign}`,
      `  appKey      ${c.appKey}`,
      `  appSecret   ${c.appSecret}`,
      '',
      'Try it (the CLI signs each request for you):',
      '  npx outcall request GET /apiOpen/v1/task/getTasks',
      '',
      'Or with curl (this signature is valid for 5 minutes):',
      curl,
      '',
      '',
    ].join('\n'),
  );
}
