#!/usr/bin/env node
import { readFileSync } from 'node:fs';
import { Command, InvalidArgumentError } from 'commander';
import { type HttpMethod, OutcallClient, OutcallError } from './client/index.js';
import { ConfigError, loadConfig } from './config.js';
import { createDatabase, type Database } from './db/database.js';
import { migrateToLatest, migrationStatus } from './db/migrate.js';
import { ServiceError } from './domain/errors.js';
import { DEMO_CREDENTIALS_FILE, startDialer, startServer } from './server.js';
import { createApiKey, createTenant, findTenantByIdOrSign, listKeys, setKeyEnabled } from './services/tenants.js';

/** `outcall`: serve the API, manage tenants and keys, and send signed requests. */

/** A command that cannot do what it was asked: printed as `outcall: message`, exit code 1. */
class CliError extends Error {}

const program = new Command('outcall')
  .description('Open API service for AI outbound-calling platforms')
  .showHelpAfterError();

function speed(value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1 || n > 100_000)
    throw new InvalidArgumentError('must be a whole number from 1 to 100000');
  return n;
}

function port(value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 0 || n > 65535) throw new InvalidArgumentError('must be a port number (0–65535)');
  return n;
}

/** Runs `work` against the configured database, migrated, and closes it. */
async function withDatabase<T>(work: (database: Database) => Promise<T>): Promise<T> {
  const config = loadConfig();
  const database = createDatabase(config.databaseUrl, { poolSize: 2 });
  try {
    await migrateToLatest(database);
    return await work(database);
  } finally {
    await database.destroy();
  }
}

/** The tenant named by --tenant-id or --tenant-sign. */
async function tenantOf(database: Database, opts: { tenantSign?: string; tenantId?: string }) {
  if (!opts.tenantId && !opts.tenantSign) throw new CliError('name the tenant with --tenant-sign or --tenant-id');
  if (opts.tenantId && !/^\d{1,15}$/.test(opts.tenantId))
    throw new CliError(`--tenant-id must be a number, got "${opts.tenantId}"`);
  const tenant = await findTenantByIdOrSign(database, {
    tenantId: opts.tenantId ? Number(opts.tenantId) : undefined,
    tenantSign: opts.tenantSign,
  });
  if (!tenant)
    throw new CliError(
      opts.tenantId ? `no tenant with id ${opts.tenantId}` : `no tenant with tenantSign "${opts.tenantSign}"`,
    );
  return tenant;
}

program
  .command('serve')
  .description('serve the API (database from DATABASE_URL, default a SQLite file under ./data/)')
  .option('-p, --port <port>', 'port to listen on (default: PORT or 8060)', port)
  .option('--host <host>', 'address to listen on (default: HOST or 127.0.0.1)')
  .option('--demo', 'create the demo tenant and its data when it does not exist')
  .option('--no-migrate', 'do not migrate the database on start')
  .option('--no-dialer', 'do not run the dialer in this process (run `outcall dialer` elsewhere)')
  .option(
    '--speed <factor>',
    'simulated calls pass this many times faster than real time (default: DIALER_SPEED or 1)',
    speed,
  )
  .action(
    async (opts: {
      port?: number;
      host?: string;
      demo?: boolean;
      migrate: boolean;
      dialer: boolean;
      speed?: number;
    }) => {
      const env = { ...process.env };
      if (opts.port !== undefined) env.PORT = String(opts.port);
      if (opts.host) env.HOST = opts.host;
      if (!opts.migrate) env.MIGRATE_ON_START = 'false';
      if (!opts.dialer) env.DIALER_ENABLED = 'false';
      if (opts.speed !== undefined) env.DIALER_SPEED = String(opts.speed);
      await startServer(loadConfig(env), { demo: opts.demo ?? false });
    },
  );

program
  .command('dialer')
  .description('run only the dialer (IN_PROCESS jobs, simulated calls), e.g. beside API processes on PostgreSQL')
  .option('--speed <factor>', 'simulated calls pass this many times faster than real time', speed)
  .action(async (opts: { speed?: number }) => {
    const env = { ...process.env, ...(opts.speed !== undefined ? { DIALER_SPEED: String(opts.speed) } : {}) };
    const config = loadConfig(env);
    const database = createDatabase(config.databaseUrl, { poolSize: config.databasePoolSize });
    await migrateToLatest(database);
    const log = {
      info: (o: object, m: string) => console.log(m, o),
      error: (o: object, m: string) => console.error(m, o),
    };
    const dialer = startDialer(database, config, log);
    console.log(
      `dialer running on ${database.location} (speed ${config.dialerSpeed}); Ctrl-C stops it after the calls in progress`,
    );
    for (const signal of ['SIGINT', 'SIGTERM'] as const) {
      process.once(
        signal,
        () =>
          void dialer
            .stop()
            .then(() => database.destroy())
            .then(() => process.exit(0)),
      );
    }
  });

program
  .command('migrate')
  .description('bring the database schema up to date')
  .option('--status', 'only list migrations and whether each is applied')
  .action(async (opts: { status?: boolean }) => {
    const config = loadConfig();
    const database = createDatabase(config.databaseUrl, { poolSize: 2 });
    try {
      if (!opts.status) {
        const result = await migrateToLatest(database);
        const applied = result.results?.filter((r) => r.status === 'Success').map((r) => r.migrationName) ?? [];
        console.log(applied.length ? `applied: ${applied.join(', ')}` : 'already up to date');
      }
      for (const m of await migrationStatus(database))
        console.log(`${m.executedAt ? 'applied ' : 'pending '} ${m.name}`);
    } finally {
      await database.destroy();
    }
  });

const tenant = program.command('tenant').description('tenants (companies)');
tenant
  .command('create')
  .description('create a tenant and its first API key')
  .requiredOption('--name <name>', 'company name')
  .requiredOption('--sign <tenantSign>', 'tenantSign, part of every signature')
  .option('--time-zone <zone>', 'IANA time zone times are shown in', 'Asia/Shanghai')
  .option('--json', 'end with one JSON line: {"tenantId","appKey","appSecret","tenantSign"}')
  .action(async (opts: { name: string; sign: string; timeZone: string; json?: boolean }) => {
    const c = await withDatabase((d) =>
      createTenant(d, { name: opts.name, tenantSign: opts.sign, timeZone: opts.timeZone }),
    );
    console.log(`created tenant ${c.tenantId} (${opts.name}); keep the appSecret: it is shown only here`);
    if (opts.json)
      console.log(
        JSON.stringify({ tenantId: c.tenantId, appKey: c.appKey, appSecret: c.appSecret, tenantSign: c.tenantSign }),
      );
    else console.log(`appKey ${c.appKey}\nappSecret ${c.appSecret}\ntenantSign ${c.tenantSign}`);
  });

const key = program.command('key').description("a tenant's API keys");
key
  .command('create')
  .description('create another API key for a tenant')
  .option('--tenant-sign <sign>', 'the tenant, by tenantSign')
  .option('--tenant-id <id>', 'the tenant, by id')
  .option('--json', 'print one JSON line')
  .action(async (opts: { tenantSign?: string; tenantId?: string; json?: boolean }) => {
    const out = await withDatabase(async (d) => {
      const t = await tenantOf(d, opts);
      return { tenantId: t.id, tenantSign: t.tenant_sign, ...(await createApiKey(d, t.id)) };
    });
    console.log(
      opts.json
        ? JSON.stringify(out)
        : `appKey ${out.appKey}\nappSecret ${out.appSecret}\ntenantSign ${out.tenantSign}`,
    );
  });
key
  .command('list')
  .description('list API keys (secrets are not shown)')
  .option('--tenant-sign <sign>', 'only this tenant')
  .option('--tenant-id <id>', 'only this tenant')
  .action(async (opts: { tenantSign?: string; tenantId?: string }) => {
    const keys = await withDatabase(async (d) =>
      listKeys(d, opts.tenantSign || opts.tenantId ? (await tenantOf(d, opts)).id : undefined),
    );
    for (const k of keys) {
      console.log(
        `${k.app_key}  ${k.enabled ? 'enabled ' : 'disabled'}  tenant ${k.tenant_id} ${k.tenant_sign} (${k.tenant_name})  created ${new Date(k.created_at).toISOString()}`,
      );
    }
    if (keys.length === 0) console.log('no keys');
  });
for (const [name, enabled] of [
  ['disable', false],
  ['enable', true],
] as const) {
  key
    .command(`${name} <appKey>`)
    .description(enabled ? 'allow a disabled key again' : 'refuse every request signed with this key (403)')
    .action(async (appKey: string) => {
      const found = await withDatabase((d) => setKeyEnabled(d, appKey, enabled));
      if (!found) throw new CliError(`no key ${appKey}`);
      console.log(`${appKey} ${enabled ? 'enabled' : 'disabled'}`);
    });
}

program
  .command('request <method> <path>')
  .description(
    'send a signed request and print the response, e.g. request GET "/apiOpen/v1/task/getTaskDetail?robotCallJobId=1"',
  )
  .option('-d, --data <json>', 'JSON body (for POST)')
  .option(
    '-c, --credentials <file>',
    'credentials file {baseUrl, appKey, appSecret, tenantSign}',
    DEMO_CREDENTIALS_FILE,
  )
  .option('--base-url <url>', 'server address (default: the credentials file’s baseUrl)')
  .action(async (method: string, path: string, opts: { data?: string; credentials: string; baseUrl?: string }) => {
    let creds: { baseUrl?: string; appKey: string; appSecret: string; tenantSign: string };
    try {
      creds = JSON.parse(readFileSync(opts.credentials, 'utf8'));
    } catch (e) {
      throw new InvalidArgumentError(
        `cannot read credentials from ${opts.credentials} (run \`npm start\` once for the demo's): ${(e as Error).message}`,
      );
    }
    if (opts.data !== undefined) {
      try {
        JSON.parse(opts.data);
      } catch {
        throw new InvalidArgumentError('--data must be JSON');
      }
    }
    const methods: readonly HttpMethod[] = ['GET', 'POST', 'PUT', 'PATCH', 'DELETE'];
    const upper = method.toUpperCase() as HttpMethod;
    if (!methods.includes(upper)) throw new InvalidArgumentError(`method must be one of ${methods.join(', ')}`);
    let client: OutcallClient;
    try {
      client = new OutcallClient({ ...creds, baseUrl: opts.baseUrl ?? creds.baseUrl ?? 'http://127.0.0.1:8060' });
    } catch (e) {
      throw new InvalidArgumentError(`cannot send with ${opts.credentials}: ${(e as Error).message}`);
    }
    try {
      const envelope = await client.send(upper, path, { bodyText: opts.data });
      console.log(JSON.stringify(envelope, null, 2));
      // Exit status 1 unless the platform said 200, so scripts can tell.
      if (envelope.code !== 200) process.exitCode = 1;
    } catch (e) {
      if (!(e instanceof OutcallError)) throw e;
      console.error(`outcall: ${e.message}`);
      process.exitCode = 1;
    }
  });

program.parseAsync().catch((error: unknown) => {
  if (error instanceof ServiceError) {
    console.error(`outcall: ${error.reason}`);
  } else if (error instanceof ConfigError || error instanceof CliError || error instanceof InvalidArgumentError) {
    console.error(`outcall: ${error.message}`);
  } else {
    console.error('outcall:', error);
  }
  process.exit(1);
});
