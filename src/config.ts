import { isIP } from 'node:net';
import { DEFAULT_DATABASE_URL } from './db/database.js';
import { DEFAULT_SECRET_KEY_FILE, parseSecretKey, SecretKeyError } from './services/secrets.js';

/** Settings read once from the environment, typed and frozen; a bad value stops start-up with a clear message. */
export interface Config {
  readonly port: number;
  readonly host: string;
  readonly databaseUrl: string;
  readonly databasePoolSize: number;
  /** How far a request's `timestamp` may be from the server clock. */
  readonly signatureWindowMs: number;
  /** OUTCALL_SECRET_KEY: the key stored secrets are encrypted under (checked to be 32 bytes; never logged). */
  readonly secretKey: string | undefined;
  /** The key file used when OUTCALL_SECRET_KEY is not set; generated on first start. */
  readonly secretKeyFile: string;
  readonly logLevel: string;
  /** `json`, `pretty` (pino-pretty), or `auto`: pretty when stdout is a terminal. */
  readonly logFormat: 'auto' | 'json' | 'pretty';
  /** The most a request's headers may take to arrive. */
  readonly headersTimeoutMs: number;
  /** The most a whole request (headers and body) may take to arrive. */
  readonly requestTimeoutMs: number;
  /** How long a kept-alive connection may wait for its next request. */
  readonly keepAliveTimeoutMs: number;
  /** How long a connection may be silent (no byte either way) before it is closed. */
  readonly idleTimeoutMs: number;
  /** Requests one connection may carry before it is closed (0: no limit). */
  readonly maxRequestsPerConnection: number;
  /** Open connections per process; clamped below the file-descriptor limit at start. */
  readonly maxConnections: number;
  /** Which peers may set the client address with X-Forwarded-For: none (false), any (true), or these addresses/CIDRs. */
  readonly trustProxy: boolean | string[];
  /** Bytes of large request bodies (above 64 KiB) read and parsed at once; more wait their turn. */
  readonly bodyMemoryBytes: number;
  /** How long SIGTERM/SIGINT waits for requests and calls in progress before abandoning them. */
  readonly shutdownTimeoutMs: number;
  /** Serve /healthz and /readyz. */
  readonly probesEnabled: boolean;
  /** Serve Prometheus metrics at /metrics. */
  readonly metricsEnabled: boolean;
  /** Migrate the database when `serve` starts. */
  readonly migrateOnStart: boolean;
  /** Run the dialer inside `serve`. */
  readonly dialerEnabled: boolean;
  /** How much faster than real time the simulated calls pass. */
  readonly dialerSpeed: number;
  /** A caller line is disabled after this many failed calls in a row (docs/lines.md). */
  readonly lineFailureLimit: number;
  /** Serve the OpenAPI document (/openapi.json) and the interactive docs (/docs). */
  readonly docsEnabled: boolean;
  /** Signed requests per second per appKey, across every process on the database; 0 switches the limit off. */
  readonly rateLimitPerSecond: number;
  /** Requests per appKey allowed at once after a quiet spell. */
  readonly rateLimitBurst: number;
  /** Requests per second per engine key on /engine/v1/ (docs/engine-keys.md), all processes together; 0: off. */
  readonly engineRateLimitPerSecond: number;
  /** Requests per engine key allowed at once after a quiet spell. */
  readonly engineRateLimitBurst: number;
  /** Megabytes of serialized read answers kept while the data is unchanged (http/answerCache.ts); 0: off. */
  readonly answerCacheMb: number;
  /** Callbacks (docs/callbacks.md): run the dispatcher inside `serve`. */
  readonly callbackDispatcherEnabled: boolean;
  /** Deliver callbacks to loopback, private, link-local … addresses too (on-premises receivers, tests). */
  readonly callbackAllowPrivateNetworks: boolean;
  /**
   * CALLBACK_DNS_SERVERS: the DNS servers callback hosts are resolved with (address or
   * address:port, [IPv6]:port), comma-separated; empty: the system's (/etc/resolv.conf).
   */
  readonly callbackDnsServers: readonly string[];
  /** Days delivered callback events are kept, and failed ones. */
  readonly callbackRetentionDays: number;
  readonly callbackFailedRetentionDays: number;
  /** The retry schedule's unit (one minute): attempts follow failures after 1, 2, 4 … units. */
  readonly callbackRetryUnitMs: number;
  readonly callbackConnectTimeoutMs: number;
  /** The most one delivery attempt may take, answer included. */
  readonly callbackTimeoutMs: number;
  /** Deliveries at once per dispatcher, and per tenant. */
  readonly callbackConcurrency: number;
  readonly callbackConcurrencyPerTenant: number;
  /** A console session ends after this long without a request (CONSOLE_SESSION_IDLE_MINUTES). */
  readonly consoleSessionIdleMs: number;
  /** A console session ends this long after sign-in, however busy (CONSOLE_SESSION_MAX_HOURS). */
  readonly consoleSessionMaxMs: number;
  /** Failed console sign-ins per username (an address: 4×) before each further attempt waits (services/signInLimit.ts). */
  readonly consoleLoginMaxFailures: number;
  /** A username's or address's failures are forgotten after this long without one (CONSOLE_LOGIN_WINDOW_MINUTES). */
  readonly consoleLoginWindowMs: number;
  /** The longest wait between attempts once they back off (CONSOLE_LOGIN_MAX_DELAY_SECONDS). */
  readonly consoleLoginMaxDelayMs: number;
  /** scrypt's N = 2^this for console passwords (CONSOLE_PASSWORD_COST; r = 8, p = 1). */
  readonly consolePasswordCost: number;
  /** Call engines (docs/engines.md): how long a lease lives without a heartbeat (ENGINE_LEASE_TTL_MS). */
  readonly engineLeaseTtlMs: number;
  /** Added to a dialled call's ring timeout and maximum length before it is recorded as lost (ENGINE_LEASE_GRACE_MS). */
  readonly engineLeaseGraceMs: number;
  /** The longest a claim waits for work (ENGINE_CLAIM_WAIT_MAX_MS): an engine's `waitMs` is cut to it. */
  readonly engineClaimWaitMaxMs: number;
  /** The largest carrier announcement clip a tenant may store, in bytes of 8 kHz A-law (ANNOUNCEMENT_MAX_BYTES; 8,000 a second). */
  readonly announcementMaxBytes: number;
}

export class ConfigError extends Error {}

/**
 * TRUST_PROXY: false (default), true (any peer), or comma-separated addresses/CIDRs of the
 * proxies. No hop count: it cannot tell a proxy from a client that sends X-Forwarded-For itself.
 */
function trustProxy(env: NodeJS.ProcessEnv): boolean | string[] {
  const raw = (env.TRUST_PROXY ?? '').trim();
  if (raw === '' || /^(0|false|no|off)$/i.test(raw)) return false;
  if (/^(true|yes|on)$/i.test(raw)) return true;
  const list = raw.split(',').map((a) => a.trim());
  const address = /^(?=.*[.:])[0-9a-f:.]+(\/\d{1,3})?$|^(loopback|linklocal|uniquelocal)$/i;
  if (list.every((a) => address.test(a))) return list;
  throw new ConfigError(`TRUST_PROXY must be false, true or comma-separated addresses/CIDRs, got "${raw}"`);
}

/** CALLBACK_DNS_SERVERS: IP addresses with an optional port, as dns.Resolver#setServers takes them. */
function dnsServers(env: NodeJS.ProcessEnv): readonly string[] {
  const raw = (env.CALLBACK_DNS_SERVERS ?? '').trim();
  if (raw === '') return Object.freeze([]);
  const list = raw.split(',').map((s) => s.trim());
  for (const server of list) {
    const m = /^\[([^\]]+)\](?::(\d+))?$/.exec(server) ?? /^([^:]+)(?::(\d+))?$/.exec(server);
    const host = m ? m[1]! : server;
    const port = m?.[2] === undefined ? 53 : Number(m[2]);
    if (isIP(host) === 0 || !Number.isInteger(port) || port < 1 || port > 65535)
      throw new ConfigError(
        `CALLBACK_DNS_SERVERS must be comma-separated IP addresses, each with an optional port (1.1.1.1, 10.0.0.2:5353, [2001:db8::1]:53), got "${server}"`,
      );
  }
  return Object.freeze(list);
}

/** HOST: an IP address or a host name; `999.1.1.1` is neither (a name's last label is never all digits). */
function host(env: NodeJS.ProcessEnv): string {
  const raw = env.HOST || '127.0.0.1';
  const label = /^(?!-)[a-z0-9-]{1,63}(?<!-)$/i;
  const labels = raw.replace(/\.$/, '').split('.');
  const name = raw.length <= 253 && labels.every((l) => label.test(l)) && !/^\d+$/.test(labels.at(-1)!);
  if (isIP(raw) !== 0 || name) return raw;
  throw new ConfigError(`HOST must be an IP address of this machine or a host name, got "${raw}"`);
}

/**
 * DATABASE_URL: `sqlite:PATH` (`file:PATH` or a bare path too) or `postgres(ql)://…`. Any other
 * scheme is refused: it would otherwise be taken for a SQLite file name (`mysql://x` → ./mysql:/x).
 */
function databaseUrl(env: NodeJS.ProcessEnv): string {
  const raw = env.DATABASE_URL || DEFAULT_DATABASE_URL;
  const refuse = (why: string) =>
    new ConfigError(
      `DATABASE_URL must be sqlite:PATH or postgres://USER@HOST:5432/DB${why}, got "${raw.replace(/\/\/[^@/]*@/, '//…@')}"`,
    );
  // Two letters at least: a Windows drive (C:\…) is a path, not a scheme.
  const scheme = /^([a-z][a-z0-9+.-]+):/i.exec(raw)?.[1]?.toLowerCase();
  if (scheme === 'postgres' || scheme === 'postgresql') {
    if (!URL.canParse(raw) || !/^postgres(ql)?:\/\//i.test(raw)) throw refuse(' (not a valid URL)');
    return raw;
  }
  if (scheme !== undefined && scheme !== 'sqlite' && scheme !== 'file') throw refuse(` (${scheme}: is not supported)`);
  if (raw.replace(/^(sqlite|file):(\/\/)?/i, '').trim() === '') throw refuse(' (no file name)');
  return raw;
}

const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'];

function logLevel(env: NodeJS.ProcessEnv): string {
  const raw = env.LOG_LEVEL || 'info';
  if (LOG_LEVELS.includes(raw)) return raw;
  throw new ConfigError(`LOG_LEVEL must be one of ${LOG_LEVELS.join(', ')}, got "${raw}"`);
}

function logFormat(env: NodeJS.ProcessEnv): Config['logFormat'] {
  const raw = env.LOG_FORMAT || 'auto';
  if (raw === 'auto' || raw === 'json' || raw === 'pretty') return raw;
  throw new ConfigError(`LOG_FORMAT must be auto, json or pretty, got "${raw}"`);
}

function integer(env: NodeJS.ProcessEnv, name: string, fallback: number, min: number, max: number): number {
  const raw = env[name];
  if (raw === undefined || raw === '') return fallback;
  const value = Number(raw);
  if (!Number.isInteger(value) || value < min || value > max) {
    throw new ConfigError(`${name} must be an integer from ${min} to ${max}, got "${raw}"`);
  }
  return value;
}

function secretKey(env: NodeJS.ProcessEnv): string | undefined {
  const raw = env.OUTCALL_SECRET_KEY;
  if (raw === undefined || raw === '') return undefined;
  try {
    parseSecretKey(raw);
  } catch (error) {
    if (error instanceof SecretKeyError) throw new ConfigError(error.message);
    throw error;
  }
  return raw;
}

function flag(env: NodeJS.ProcessEnv, name: string, fallback: boolean): boolean {
  const raw = env[name];
  if (raw === undefined || raw === '') return fallback;
  if (/^(1|true|yes|on)$/i.test(raw)) return true;
  if (/^(0|false|no|off)$/i.test(raw)) return false;
  throw new ConfigError(`${name} must be true or false, got "${raw}"`);
}

export function loadConfig(env: NodeJS.ProcessEnv = process.env): Config {
  const rateLimitPerSecond = integer(env, 'RATE_LIMIT_PER_SECOND', 50, 0, 100_000);
  const engineRateLimitPerSecond = integer(env, 'ENGINE_RATE_LIMIT_PER_SECOND', 200, 0, 1_000_000);
  const consoleLoginWindowMs = integer(env, 'CONSOLE_LOGIN_WINDOW_MINUTES', 15, 1, 1440) * 60_000;
  const consoleLoginMaxDelayMs = integer(env, 'CONSOLE_LOGIN_MAX_DELAY_SECONDS', 300, 1, 86_400) * 1000;
  // Failures forgotten before the longest wait is over would let the back-off start again from nothing.
  if (consoleLoginMaxDelayMs > consoleLoginWindowMs)
    throw new ConfigError(
      `CONSOLE_LOGIN_MAX_DELAY_SECONDS (${consoleLoginMaxDelayMs / 1000}) must not exceed CONSOLE_LOGIN_WINDOW_MINUTES (${consoleLoginWindowMs / 60_000}) in seconds`,
    );
  return Object.freeze({
    port: integer(env, 'PORT', 8060, 0, 65535),
    host: host(env),
    databaseUrl: databaseUrl(env),
    databasePoolSize: integer(env, 'DATABASE_POOL_SIZE', 10, 1, 1000),
    signatureWindowMs: integer(env, 'SIGNATURE_WINDOW_SECONDS', 300, 1, 86400) * 1000,
    secretKey: secretKey(env),
    secretKeyFile: env.SECRET_KEY_FILE || DEFAULT_SECRET_KEY_FILE,
    logLevel: logLevel(env),
    logFormat: logFormat(env),
    headersTimeoutMs: integer(env, 'HEADERS_TIMEOUT_SECONDS', 10, 1, 3600) * 1000,
    requestTimeoutMs: integer(env, 'REQUEST_TIMEOUT_SECONDS', 60, 1, 3600) * 1000,
    keepAliveTimeoutMs: integer(env, 'KEEP_ALIVE_TIMEOUT_SECONDS', 72, 1, 3600) * 1000,
    idleTimeoutMs: integer(env, 'IDLE_TIMEOUT_SECONDS', 30, 1, 3600) * 1000,
    maxRequestsPerConnection: integer(env, 'MAX_REQUESTS_PER_CONNECTION', 0, 0, 1_000_000_000),
    maxConnections: integer(env, 'MAX_CONNECTIONS', 10_000, 10, 1_000_000),
    trustProxy: trustProxy(env),
    bodyMemoryBytes: integer(env, 'BODY_MEMORY_MB', 48, 1, 65536) * 1024 * 1024,
    shutdownTimeoutMs: integer(env, 'SHUTDOWN_TIMEOUT_SECONDS', 10, 1, 3600) * 1000,
    probesEnabled: flag(env, 'PROBES_ENABLED', true),
    metricsEnabled: flag(env, 'METRICS_ENABLED', true),
    migrateOnStart: flag(env, 'MIGRATE_ON_START', true),
    dialerEnabled: flag(env, 'DIALER_ENABLED', true),
    dialerSpeed: integer(env, 'DIALER_SPEED', 1, 1, 100_000),
    lineFailureLimit: integer(env, 'LINE_FAILURE_LIMIT', 20, 1, 1_000_000),
    docsEnabled: flag(env, 'DOCS_ENABLED', true),
    rateLimitPerSecond,
    answerCacheMb: integer(env, 'ANSWER_CACHE_MB', 16, 0, 4096),
    // A burst of two seconds' worth by default.
    rateLimitBurst: integer(env, 'RATE_LIMIT_BURST', Math.max(1, 2 * rateLimitPerSecond), 1, 1_000_000),
    engineRateLimitPerSecond,
    engineRateLimitBurst: integer(
      env,
      'ENGINE_RATE_LIMIT_BURST',
      Math.max(1, 2 * engineRateLimitPerSecond),
      1,
      10_000_000,
    ),
    callbackDispatcherEnabled: flag(env, 'CALLBACK_DISPATCHER_ENABLED', true),
    callbackAllowPrivateNetworks: flag(env, 'CALLBACK_ALLOW_PRIVATE_NETWORKS', false),
    callbackDnsServers: dnsServers(env),
    callbackRetentionDays: integer(env, 'CALLBACK_RETENTION_DAYS', 7, 1, 3650),
    callbackFailedRetentionDays: integer(env, 'CALLBACK_FAILED_RETENTION_DAYS', 30, 1, 3650),
    callbackRetryUnitMs: integer(env, 'CALLBACK_RETRY_UNIT_MS', 60_000, 10, 3_600_000),
    callbackConnectTimeoutMs: integer(env, 'CALLBACK_CONNECT_TIMEOUT_MS', 5000, 10, 120_000),
    callbackTimeoutMs: integer(env, 'CALLBACK_TIMEOUT_MS', 10_000, 10, 300_000),
    callbackConcurrency: integer(env, 'CALLBACK_CONCURRENCY', 128, 1, 10_000),
    callbackConcurrencyPerTenant: integer(env, 'CALLBACK_CONCURRENCY_PER_TENANT', 16, 1, 1000),
    consoleSessionIdleMs: integer(env, 'CONSOLE_SESSION_IDLE_MINUTES', 30, 1, 10_080) * 60_000,
    consoleSessionMaxMs: integer(env, 'CONSOLE_SESSION_MAX_HOURS', 12, 1, 8760) * 3_600_000,
    consoleLoginMaxFailures: integer(env, 'CONSOLE_LOGIN_MAX_FAILURES', 5, 1, 1000),
    consoleLoginWindowMs,
    consoleLoginMaxDelayMs,
    // 17 is OWASP's minimum for scrypt; lower only for tests (vitest.config.ts), higher costs 2× memory and time per step.
    consolePasswordCost: integer(env, 'CONSOLE_PASSWORD_COST', 17, 10, 20),
    engineLeaseTtlMs: integer(env, 'ENGINE_LEASE_TTL_MS', 30_000, 100, 600_000),
    engineLeaseGraceMs: integer(env, 'ENGINE_LEASE_GRACE_MS', 60_000, 0, 3_600_000),
    engineClaimWaitMaxMs: integer(env, 'ENGINE_CLAIM_WAIT_MAX_MS', 25_000, 0, 60_000),
    announcementMaxBytes: integer(env, 'ANNOUNCEMENT_MAX_BYTES', 80_000, 1_000, 1_000_000),
  });
}

/** Errors of reaching a database: the network, PostgreSQL's connection (08…), authorization (28…) and unknown-database classes, a SQLite file that is not one. */
const UNREACHABLE_DATABASE =
  /^(ECONNREFUSED|ENOTFOUND|EAI_AGAIN|EHOSTUNREACH|ENETUNREACH|ETIMEDOUT|ECONNRESET|08...|28...|3D000|SQLITE_CANTOPEN|SQLITE_NOTADB|SQLITE_READONLY|SQLITE_PERM)$/;
/** Errors of files and folders. */
const FILE_ERROR = /^(EACCES|EPERM|EEXIST|ENOTDIR|ENOENT|EROFS|EISDIR|ELOOP|ENAMETOOLONG)$/;

function codeOf(error: unknown): string {
  const code = (error as { code?: unknown } | null)?.code;
  return typeof code === 'string' ? code : '';
}

/**
 * The database DATABASE_URL names cannot be opened or reached: one line naming the setting (the
 * URL without its password), or undefined for any other error. `files`: count errors of files and
 * folders too (where only the SQLite file is being opened).
 */
export function databaseRefusal(error: unknown, databaseUrl: string, files = false): ConfigError | undefined {
  const code = codeOf(error);
  if (!UNREACHABLE_DATABASE.test(code) && !(files && FILE_ERROR.test(code))) return undefined;
  const shown = databaseUrl.replace(/\/\/[^@/]*@/, '//');
  return new ConfigError(`DATABASE_URL ${shown}: cannot open the database (${(error as Error).message})`);
}

/** The key file SECRET_KEY_FILE names cannot be read or written: one line naming the setting. */
export function secretKeyFileRefusal(error: unknown, config: Config): ConfigError | undefined {
  if (!FILE_ERROR.test(codeOf(error))) return undefined;
  return new ConfigError(
    `SECRET_KEY_FILE ${config.secretKeyFile}: cannot read or write the secret key file (${(error as Error).message}); or set OUTCALL_SECRET_KEY`,
  );
}
