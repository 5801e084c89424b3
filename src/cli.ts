#!/usr/bin/env node
import { readFileSync } from 'node:fs';
import { Command, InvalidArgumentError, Option } from 'commander';
import { privateCallbackReason } from './callbacks/ssrf.js';
import { registerAnnouncementCommands } from './cliAnnouncements.js';
import { registerEngineCommands } from './cliEngine.js';
import { EngineClient, type HttpMethod, OutcallClient, OutcallError } from './client/index.js';
import { registerFlowCommands } from './cliFlows.js';
import { registerLineCommands } from './cliLines.js';
import { readStdin, registerUserCommands } from './cliUsers.js';
import { ConfigError, databaseRefusal, loadConfig, secretKeyFileRefusal } from './config.js';
import { BackupError, backupSqlite } from './db/backup.js';
import { createDatabase, type Database, DEFAULT_DATABASE_URL } from './db/database.js';
import { lockDialer } from './db/dialerLock.js';
import { migrateToLatest, migrationStatus } from './db/migrate.js';
import { DEMO_CREDENTIALS_FILE, demoCredentialsFile } from './demo/credentials.js';
import { ServiceError } from './domain/errors.js';
import { registerSipEngineCommand } from './engines/sip/cli.js';
import { pruneAuditLog } from './services/auditLog.js';
import {
  callbackSecretOf,
  listCallbacks,
  redeliverCallbacks,
  rotateCallbackSecret,
  setCallbackUrl,
} from './services/callbacks.js';
import { addToDoNotCallList, getDoNotCallList, removeFromDoNotCallList } from './services/doNotCall.js';
import { prepareSecrets, rotateSecretKey, SecretKeyError } from './services/secrets.js';
import {
  createApiKey,
  createTenant,
  findTenantByIdOrSign,
  listKeys,
  setKeyEnabled,
  setKeySignatureVersion,
} from './services/tenants.js';

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

function positiveInteger(value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1 || n > 2147483647) throw new InvalidArgumentError('must be a whole number from 1');
  return n;
}

function port(value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 0 || n > 65535) throw new InvalidArgumentError('must be a port number (0–65535)');
  return n;
}

function signatureVersion(value: string): 'v1' | 'v2' {
  if (value !== 'v1' && value !== 'v2') throw new InvalidArgumentError('must be v1 or v2');
  return value;
}

/** The secret key for the stored secrets (services/secrets.ts), saying so when it was just generated. */
async function openSecrets(database: Database, config: ReturnType<typeof loadConfig>) {
  const secrets = await prepareSecrets(database, config).catch((error: unknown) => {
    throw secretKeyFileRefusal(error, config) ?? error;
  });
  if (secrets.generatedFile)
    console.error(
      `outcall: generated a new secret key in ${secrets.generatedFile} (key ${secrets.keyring.keyId}); the stored app secrets are encrypted with it: keep it and back it up apart from the database, or set OUTCALL_SECRET_KEY`,
    );
  if (secrets.warning) console.error(`outcall: ${secrets.warning}`);
  return secrets;
}

/** Runs `work` against the configured database, migrated, its secret key loaded, and closes it. */
async function withDatabase<T>(work: (database: Database) => Promise<T>): Promise<T> {
  const config = loadConfig();
  const database = createDatabase(config.databaseUrl, { poolSize: 2 });
  try {
    await migrateToLatest(database);
    await openSecrets(database, config);
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
  .option(
    '--no-dialer',
    'do not run the dialer (simulated calls) in this process (run `outcall dialer` elsewhere); jobs still move',
  )
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
      // The server's modules (Fastify and the rest) are loaded by the commands that serve only.
      const { startServer } = await import('./server.js');
      await startServer(loadConfig(env), { demo: opts.demo ?? false });
    },
  );

program
  .command('dialer')
  .description(
    'run only the dialer (IN_PROCESS jobs, simulated calls) and the scheduler, e.g. beside API processes on PostgreSQL',
  )
  .option('--speed <factor>', 'simulated calls pass this many times faster than real time', speed)
  .action(async (opts: { speed?: number }) => {
    const env = { ...process.env, ...(opts.speed !== undefined ? { DIALER_SPEED: String(opts.speed) } : {}) };
    const config = loadConfig(env);
    // One dialer per SQLite file (db/dialerLock.ts); released when the process ends.
    lockDialer(config.databaseUrl);
    const database = createDatabase(config.databaseUrl, { poolSize: config.databasePoolSize });
    await migrateToLatest(database);
    await openSecrets(database, config);
    const log = {
      info: (o: object, m: string) => console.log(m, o),
      error: (o: object, m: string) => console.error(m, o),
    };
    const { startDialer, startScheduler } = await import('./server.js');
    // The scheduler too, so that jobs move without a serve process: it works while it holds its lease.
    const scheduler = startScheduler(database, log);
    const dialer = startDialer(database, config, log);
    console.log(
      `dialer running on ${database.location} (speed ${config.dialerSpeed}); Ctrl-C stops it (calls still in progress after SHUTDOWN_TIMEOUT_SECONDS are released, to be dialled again)`,
    );
    for (const signal of ['SIGINT', 'SIGTERM'] as const) {
      process.once(
        signal,
        () =>
          void Promise.all([dialer.stop({ abandonAfterMs: config.shutdownTimeoutMs }), scheduler.stop()])
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
        // Secrets stored before they were encrypted at rest: a migration has no key, so it is done here.
        const { encrypted } = await openSecrets(database, config);
        if (encrypted > 0) console.log(`encrypted ${encrypted} stored app secret(s)`);
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
  .option('--json', 'print only one JSON line: {"tenantId","appKey","appSecret","tenantSign"}')
  .action(async (opts: { name: string; sign: string; timeZone: string; json?: boolean }) => {
    const c = await withDatabase((d) =>
      createTenant(d, { name: opts.name, tenantSign: opts.sign, timeZone: opts.timeZone }),
    );
    // --json prints only the JSON line, for `| jq`; the advice goes to standard error.
    const created = `created tenant ${c.tenantId} (${opts.name}); keep the appSecret: it is shown only here`;
    if (opts.json) {
      console.error(created);
      console.log(
        JSON.stringify({ tenantId: c.tenantId, appKey: c.appKey, appSecret: c.appSecret, tenantSign: c.tenantSign }),
      );
    } else console.log(`${created}\nappKey ${c.appKey}\nappSecret ${c.appSecret}\ntenantSign ${c.tenantSign}`);
  });

// Callbacks (docs/callbacks.md): where a tenant's pushes go, their signing secret, the delivery log.
tenant
  .command('set-callback')
  .description("set the tenant's callback URL (http/https); only events recorded from now on are pushed")
  .option('--tenant-sign <sign>', 'the tenant, by tenantSign')
  .option('--tenant-id <id>', 'the tenant, by id')
  .option('--url <url>', 'the callback URL')
  .option('--clear', 'push nothing any more (remove the URL)')
  .action(async (opts: { tenantSign?: string; tenantId?: string; url?: string; clear?: boolean }) => {
    if (opts.clear === (opts.url !== undefined)) throw new CliError('give --url <url> or --clear');
    const out = await withDatabase(async (d) => {
      const t = await tenantOf(d, opts);
      const url = await setCallbackUrl(d, t.id, opts.clear ? null : opts.url!);
      return { tenant: t, url, secret: url === null ? undefined : await callbackSecretOf(d, t.id) };
    });
    if (out.url === null) return console.log(`tenant ${out.tenant.id} (${out.tenant.tenant_sign}): callbacks off`);
    console.log(`tenant ${out.tenant.id} (${out.tenant.tenant_sign}): callbacks go to ${out.url}`);
    // Set all the same (an on-premises receiver is allowed by a setting), but every delivery would be refused as it stands.
    const config = loadConfig();
    const privateReason = config.callbackAllowPrivateNetworks
      ? undefined
      : await privateCallbackReason(out.url, {
          servers: config.callbackDnsServers,
          deadlineMs: config.callbackConnectTimeoutMs,
        });
    if (privateReason)
      console.error(
        `outcall: warning: ${privateReason}; every delivery will be refused until the dispatcher runs with CALLBACK_ALLOW_PRIVATE_NETWORKS=true (for receivers on your own network; docs/callbacks.md)`,
      );
    console.log(
      `callback secret ${out.secret} (checks X-Outcall-Signature-V2 and X-Outcall-Signature; rotate with \`outcall tenant callback-secret --rotate\`)`,
    );
  });
tenant
  .command('callback-secret')
  .description("show the tenant's callback signing secret, or replace it (--rotate: the old one stops at once)")
  .option('--tenant-sign <sign>', 'the tenant, by tenantSign')
  .option('--tenant-id <id>', 'the tenant, by id')
  .option('--rotate', 'make a new secret')
  .action(async (opts: { tenantSign?: string; tenantId?: string; rotate?: boolean }) => {
    const secret = await withDatabase(async (d) => {
      const t = await tenantOf(d, opts);
      return opts.rotate ? rotateCallbackSecret(d, t.id) : callbackSecretOf(d, t.id);
    });
    console.log(opts.rotate ? `new callback secret ${secret}` : `callback secret ${secret}`);
  });

program
  .command('dispatcher')
  .description('run only the callback dispatcher (delivers pushed events), e.g. beside API processes on PostgreSQL')
  .action(async () => {
    const config = loadConfig();
    const database = createDatabase(config.databaseUrl, { poolSize: config.databasePoolSize });
    await migrateToLatest(database);
    await openSecrets(database, config);
    const log = {
      info: (o: object, m: string) => console.log(m, o),
      warn: (o: object, m: string) => console.warn(m, o),
      error: (o: object, m: string) => console.error(m, o),
    };
    const { startDispatcher } = await import('./callbacks/dispatcher.js');
    const dispatcher = startDispatcher(database, config, log);
    console.log(
      `callback dispatcher running on ${database.location} (${config.callbackConcurrency} deliveries at once, ${config.callbackConcurrencyPerTenant} per tenant); Ctrl-C stops it`,
    );
    for (const signal of ['SIGINT', 'SIGTERM'] as const) {
      process.once(
        signal,
        () =>
          void dispatcher
            .stop({ abandonAfterMs: config.shutdownTimeoutMs })
            .then(() => database.destroy())
            .then(() => process.exit(0)),
      );
    }
  });

const key = program.command('key').description("a tenant's API keys");
key
  .command('create')
  .description('create another API key for a tenant')
  .option('--tenant-sign <sign>', 'the tenant, by tenantSign')
  .option('--tenant-id <id>', 'the tenant, by id')
  .option(
    '--signature <version>',
    'v2: the key refuses requests signed with v1 (default v1: accepts both)',
    signatureVersion,
  )
  .option('--json', 'print one JSON line')
  .action(async (opts: { tenantSign?: string; tenantId?: string; signature?: 'v1' | 'v2'; json?: boolean }) => {
    const out = await withDatabase(async (d) => {
      const t = await tenantOf(d, opts);
      const key = await createApiKey(d, t.id, Date.now(), { minSignatureVersion: opts.signature });
      return { tenantId: t.id, tenantSign: t.tenant_sign, ...key };
    });
    console.log(
      opts.json
        ? JSON.stringify(out)
        : `appKey ${out.appKey}\nappSecret ${out.appSecret}\ntenantSign ${out.tenantSign}\nsignatureVersion ${out.signatureVersion}`,
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
        `${k.app_key}  ${k.enabled ? 'enabled ' : 'disabled'}  ${k.min_signature_version === 'v2' ? 'v2 only ' : 'v1 or v2'}  tenant ${k.tenant_id} ${k.tenant_sign} (${k.tenant_name})  created ${new Date(k.created_at).toISOString()}`,
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

const dnc = program.command('dnc').description("a tenant's do-not-call list: numbers its jobs never dial");
const tenantOptions = (c: Command) =>
  c.option('--tenant-sign <sign>', 'the tenant, by tenantSign').option('--tenant-id <id>', 'the tenant, by id');

interface DncOptions {
  tenantSign?: string;
  tenantId?: string;
  file?: string;
  json?: boolean;
}

/** Numbers from the arguments and from --file (one per line, `-` for standard input). */
/** The numbers given, each with where it was given, as a person would look for it. */
function numbersOf(
  args: string[],
  file: string | undefined,
): { numbers: string[]; whereOf: (index: number) => string } {
  let lines: string[] = [];
  try {
    if (file !== undefined) lines = readFileSync(file === '-' ? 0 : file, 'utf8').split(/\r?\n/);
  } catch (e) {
    throw new CliError(`cannot read numbers from ${file}: ${(e as Error).message}`);
  }
  const given = [
    ...args.map((n, i) => ({ n: n.trim(), where: `argument ${i + 1}` })),
    ...lines.map((n, i) => ({ n: n.trim(), where: `line ${i + 1} of ${file === '-' ? 'standard input' : file}` })),
  ].filter((g) => g.n !== '');
  if (given.length === 0) throw new CliError('give the numbers as arguments or with --file');
  return { numbers: given.map((g) => g.n), whereOf: (index) => given[index]?.where ?? `row ${index + 1}` };
}

/** Runs `apply` over the numbers 1000 at a time (the API's batch); `start` is the batch's first row. */
async function inBatches<R>(numbers: string[], apply: (batch: string[], start: number) => Promise<R>): Promise<R[]> {
  const results: R[] = [];
  for (let start = 0; start < numbers.length; start += 1000)
    results.push(await apply(numbers.slice(start, start + 1000), start));
  return results;
}

/** Rows of a batch, numbered as rows of the whole list. */
const shifted = <T extends { index: number }>(rows: T[], start: number) =>
  rows.map((r) => ({ ...r, index: r.index + start }));

tenantOptions(dnc.command('add [numbers...]'))
  .description('list numbers; their unfinished call tasks finish without a call')
  .option('--reason <text>', 'why (shown in the list, up to 200 characters)')
  .option('-f, --file <file>', 'read numbers from a file, one per line (- for standard input)')
  .option('--json', 'print the result as JSON')
  .action(async (args: string[], opts: DncOptions & { reason?: string }) => {
    if (opts.reason !== undefined && opts.reason.length > 200)
      throw new CliError('--reason is longer than 200 characters');
    const { numbers, whereOf } = numbersOf(args, opts.file);
    const results = await withDatabase(async (d) => {
      const t = await tenantOf(d, opts);
      return inBatches(numbers, async (phoneNumbers, start) => {
        const r = await addToDoNotCallList(d, t.id, { phoneNumbers, reason: opts.reason }, 'cli');
        return { ...r, accepted: shifted(r.accepted, start), rejected: shifted(r.rejected, start) };
      });
    });
    const accepted = results.flatMap((r) => r.accepted);
    const rejected = results.flatMap((r) => r.rejected);
    const finished = results.reduce((n, r) => n + r.finishedCallTasks, 0);
    if (opts.json) return console.log(JSON.stringify({ accepted, rejected, finishedCallTasks: finished }));
    console.log(`listed ${accepted.length}; ${finished} call task(s) finished without a call`);
    for (const r of rejected) console.log(`  not listed: ${r.phoneNumber} (${whereOf(r.index)}): ${r.reason}`);
  });

tenantOptions(dnc.command('remove [numbers...]'))
  .description('take numbers off the list (call tasks already finished stay finished)')
  .option('-f, --file <file>', 'read numbers from a file, one per line (- for standard input)')
  .option('--json', 'print the result as JSON')
  .action(async (args: string[], opts: DncOptions) => {
    const { numbers, whereOf } = numbersOf(args, opts.file);
    const results = await withDatabase(async (d) => {
      const t = await tenantOf(d, opts);
      return inBatches(numbers, async (phoneNumbers, start) => {
        const r = await removeFromDoNotCallList(d, t.id, { phoneNumbers });
        return { removed: shifted(r.removed, start), rejected: shifted(r.rejected, start) };
      });
    });
    const removed = results.flatMap((r) => r.removed);
    const rejected = results.flatMap((r) => r.rejected);
    if (opts.json) return console.log(JSON.stringify({ removed, rejected }));
    console.log(`removed ${removed.length}`);
    for (const r of rejected) console.log(`  not removed: ${r.phoneNumber} (${whereOf(r.index)}): ${r.reason}`);
  });

tenantOptions(dnc.command('list'))
  .description('the listed numbers, most recently listed first')
  .option('--phone-number <digits>', 'only numbers containing these digits')
  .option('--page <n>', 'page (default 1)', positiveInteger)
  .option('--page-size <n>', 'numbers per page (default 20, at most 100)', positiveInteger)
  .option('--json', 'print the page as JSON')
  .action(
    async (opts: {
      tenantSign?: string;
      tenantId?: string;
      phoneNumber?: string;
      page?: number;
      pageSize?: number;
      json?: boolean;
    }) => {
      const page = await withDatabase(async (d) => {
        const t = await tenantOf(d, opts);
        return getDoNotCallList(
          d,
          { tenantId: t.id, timeZone: t.time_zone },
          { phoneNumber: opts.phoneNumber, pageNum: opts.page, pageSize: opts.pageSize },
        );
      });
      if (opts.json) return console.log(JSON.stringify(page));
      for (const e of page.content)
        console.log(`${e.phoneNumber}  listed ${e.creationTime} by ${e.addedBy}${e.reason ? `  ${e.reason}` : ''}`);
      console.log(`page ${page.number} of ${page.pages}, ${page.totalElements} number(s) in all`);
    },
  );

key
  .command('set-signature <appKey> <version>')
  .description('v2: refuse requests signed with v1 (401); v1: accept v1 and v2 again')
  .action(async (appKey: string, version: string) => {
    const v = signatureVersion(version);
    const found = await withDatabase((d) => setKeySignatureVersion(d, appKey, v));
    if (!found) throw new CliError(`no key ${appKey}`);
    console.log(v === 'v2' ? `${appKey} accepts only signature v2` : `${appKey} accepts signature v1 and v2`);
  });

program
  .command('secret-key')
  .description('the server key the stored app secrets are encrypted under')
  .command('rotate')
  .description('re-encrypt every stored secret under a new key, in one transaction')
  .option(
    '--new-key-stdin',
    'read the new key from standard input: 32 bytes as 64 hex digits or base64 (default: a generated one, written to the key file)',
  )
  .option('--new-key-file <path>', 'read the new key from this file')
  // Refused: a key on the command line is shown to anyone who can list processes (ps, /proc).
  .addOption(new Option('--new-key <key>').hideHelp())
  .action(async (opts: { newKey?: string; newKeyStdin?: boolean; newKeyFile?: string }) => {
    if (opts.newKey !== undefined)
      throw new CliError(
        '--new-key is refused: a key on the command line is visible to every user of the machine (ps). Give it with --new-key-stdin or --new-key-file PATH',
      );
    if (opts.newKeyStdin && opts.newKeyFile !== undefined)
      throw new CliError('give the new key with --new-key-stdin or with --new-key-file, not both');
    let newKey: string | undefined;
    if (opts.newKeyStdin) newKey = await readStdin();
    else if (opts.newKeyFile !== undefined) {
      try {
        newKey = readFileSync(opts.newKeyFile, 'utf8');
      } catch (error) {
        throw new CliError(`cannot read --new-key-file ${opts.newKeyFile}: ${(error as NodeJS.ErrnoException).code}`);
      }
    }
    const config = loadConfig();
    const database = createDatabase(config.databaseUrl, { poolSize: 2 });
    try {
      await migrateToLatest(database);
      await openSecrets(database, config);
      const r = await rotateSecretKey(database, config, newKey);
      console.log(`re-encrypted ${r.reencrypted} stored secret(s): key ${r.oldKeyId} → ${r.newKeyId}`);
      if (r.keyFile) console.log(`the new key is in ${r.keyFile}`);
      if (r.retiredFile)
        console.log(`the key it replaced is kept in ${r.retiredFile}: backups made before now need it`);
      console.log('next:');
      if (config.secretKey)
        console.log(
          `  - set OUTCALL_SECRET_KEY to the new key${r.keyFile ? ` (the content of ${r.keyFile})` : ''} for every outcall process and restart them; until then they answer 500 for every signed request`,
        );
      else
        console.log(
          `  - running processes that read ${r.keyFile} pick the new key up by themselves; copy the file to any other machine that serves this database`,
        );
      console.log('  - back the new key up, apart from the database backups');
      console.log(`  - keep the old key (${r.oldKeyId}) as long as you keep backups made before now`);
    } finally {
      await database.destroy();
    }
  });

program
  .command('backup <file>')
  .description(
    'copy the SQLite database, consistently, while it is being served (PostgreSQL: prints the pg_dump command)',
  )
  .option('--force', 'replace FILE if it exists')
  .action(async (file: string, opts: { force?: boolean }) => {
    const config = loadConfig();
    const r = await backupSqlite(config.databaseUrl, file, { overwrite: opts.force });
    console.log(
      `backed up ${config.databaseUrl} to ${r.file}: ${(r.bytes / 1024 / 1024).toFixed(1)} MB, ${r.pages} pages, checked, in ${(r.ms / 1000).toFixed(1)} s`,
    );
    console.log(
      `the app secrets in it are encrypted: keep the secret key (${config.secretKey ? 'OUTCALL_SECRET_KEY' : config.secretKeyFile}) too, apart from the backup`,
    );
  });

const audit = program
  .command('audit')
  .description('the audit log of changing requests (read it with GET /apiOpen/v1/auditLog/list)');
tenantOptions(audit.command('prune'))
  .description("remove entries made before a day (in each tenant's time zone): every tenant's, or one's")
  .requiredOption('--before <yyyy-MM-dd>', 'keep the entries of this day and later')
  .action(async (opts: { before: string; tenantSign?: string; tenantId?: string }) => {
    const removed = await withDatabase(async (d) => {
      const only = opts.tenantSign || opts.tenantId ? (await tenantOf(d, opts)).id : undefined;
      return pruneAuditLog(d, opts.before, only);
    });
    console.log(`removed ${removed} audit log entr${removed === 1 ? 'y' : 'ies'} made before ${opts.before}`);
  });

registerUserCommands(program, withDatabase, tenantOf, (message) => new CliError(message));
registerSipEngineCommand(registerEngineCommands(program, withDatabase, tenantOf, (message) => new CliError(message)));
registerLineCommands(program, { tenant, withDatabase, tenantOf, fail: (message) => new CliError(message) });
registerFlowCommands(program, withDatabase, tenantOf, (message) => new CliError(message));
registerAnnouncementCommands(program, { withDatabase, tenantOf, fail: (message) => new CliError(message) });

const callbacks = program.command('callbacks').description("a tenant's pushed events: the delivery log and redelivery");
tenantOptions(callbacks.command('list'))
  .description('events, newest first, with their attempts')
  .option('--state <state>', 'PENDING, WAITING, DELIVERED or FAILED')
  .option('--data-type <type>', 'ROBOT_CALL_RECORD or ROBOT_CALL_JOB')
  .option('--job <id>', 'only this job’s events', positiveInteger)
  .option('--from <time>', 'made from (yyyy-MM-dd or yyyy-MM-dd HH:mm:ss, tenant-local)')
  .option('--to <time>', 'made up to, inclusive')
  .option('--page <n>', 'page (default 1)', positiveInteger)
  .option('--page-size <n>', 'events per page (default 20, at most 100)', positiveInteger)
  .option('--json', 'print the page as JSON')
  .action(
    async (opts: {
      tenantSign?: string;
      tenantId?: string;
      state?: string;
      dataType?: string;
      job?: number;
      from?: string;
      to?: string;
      page?: number;
      pageSize?: number;
      json?: boolean;
    }) => {
      const page = await withDatabase(async (d) => {
        const t = await tenantOf(d, opts);
        return listCallbacks(
          d,
          { tenantId: t.id, timeZone: t.time_zone },
          {
            state: opts.state,
            dataType: opts.dataType,
            robotCallJobId: opts.job,
            earliestTime: opts.from,
            latestTime: opts.to,
            pageNum: opts.page,
            pageSize: opts.pageSize,
          },
        );
      });
      if (opts.json) return console.log(JSON.stringify(page));
      for (const e of page.content) {
        const last =
          e.lastHttpStatus !== null || e.lastError ? `  last: ${e.lastHttpStatus ?? '-'} ${e.lastError ?? ''}` : '';
        console.log(
          `${e.eventId}  ${e.creationTime}  ${e.dataType.padEnd(17)}  job ${e.robotCallJobId}${e.callRecordId ? ` record ${e.callRecordId}` : ''}  ${e.state}  ${e.attempts} attempt(s)${e.nextAttemptTime ? `  next ${e.nextAttemptTime}` : ''}${last}`,
        );
      }
      console.log(`page ${page.number} of ${page.pages}, ${page.totalElements} event(s) in all`);
    },
  );
tenantOptions(callbacks.command('redeliver'))
  .description('deliver now: one event (--event-id, any state), or every FAILED or waiting event made in --from … --to')
  .option('--event-id <id>', 'the event (X-Outcall-Event-Id)')
  .option('--from <time>', 'yyyy-MM-dd or yyyy-MM-dd HH:mm:ss, tenant-local')
  .option('--to <time>', 'inclusive')
  .action(async (opts: { tenantSign?: string; tenantId?: string; eventId?: string; from?: string; to?: string }) => {
    const r = await withDatabase(async (d) => {
      const t = await tenantOf(d, opts);
      return redeliverCallbacks(
        d,
        { tenantId: t.id, timeZone: t.time_zone },
        { eventId: opts.eventId, earliestTime: opts.from, latestTime: opts.to },
      );
    });
    console.log(`${r.redelivered} event(s) due now: a running dispatcher delivers them`);
  });

interface RequestOptions {
  data?: string;
  credentials?: string;
  baseUrl?: string;
  signature?: 'v1' | 'v2';
}

/** What `request -c FILE` reads (the demo writes one). */
interface CredentialsFile {
  baseUrl?: string;
  appKey: string;
  appSecret: string;
  /** None in an engine key's file (`outcall engine key create --json`): signed as engines sign (v2). */
  tenantSign?: string;
  signatureVersion?: 'v1' | 'v2';
}

program
  .command('request <method> <path>')
  .description(
    'send a signed request and print the response, e.g. request GET "/apiOpen/v1/task/getTaskDetail?robotCallJobId=1"',
  )
  .option('-d, --data <json>', 'JSON body (for POST)')
  .option(
    '-c, --credentials <file>',
    `credentials file {baseUrl, appKey, appSecret, tenantSign, signatureVersion?}, or an engine key's {appKey, appSecret} (signed v2) (default: the demo's of DATABASE_URL, ${DEMO_CREDENTIALS_FILE} for the default database)`,
  )
  .option('--base-url <url>', 'server address (default: the credentials file’s baseUrl)')
  .option(
    '--signature <version>',
    'sign with v1 or v2 (default: the credentials file’s signatureVersion, else v1)',
    signatureVersion,
  )
  .action(async (method: string, path: string, opts: RequestOptions) => {
    opts.credentials ??= demoCredentialsFile(process.env.DATABASE_URL || DEFAULT_DATABASE_URL);
    let creds: CredentialsFile;
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
    if (creds.tenantSign === undefined && opts.signature === 'v1')
      throw new InvalidArgumentError(
        `${opts.credentials} is an engine key's (no tenantSign): engine keys sign with v2 only`,
      );
    let client: OutcallClient | EngineClient;
    try {
      const baseUrl = opts.baseUrl ?? creds.baseUrl ?? 'http://127.0.0.1:8060';
      client =
        creds.tenantSign === undefined
          ? new EngineClient({ ...creds, baseUrl })
          : new OutcallClient({
              ...creds,
              tenantSign: creds.tenantSign,
              baseUrl,
              signatureVersion: opts.signature ?? creds.signatureVersion,
            });
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
  // A database that cannot be reached or opened, in any command: one line naming DATABASE_URL.
  const unreachable = databaseRefusal(error, process.env.DATABASE_URL || DEFAULT_DATABASE_URL);
  if (unreachable) error = unreachable;
  if (error instanceof ServiceError) {
    console.error(`outcall: ${error.reason}`);
  } else if (
    error instanceof ConfigError ||
    error instanceof CliError ||
    error instanceof InvalidArgumentError ||
    error instanceof SecretKeyError ||
    error instanceof BackupError
  ) {
    console.error(`outcall: ${error.message}`);
  } else {
    console.error('outcall:', error);
  }
  process.exit(1);
});
