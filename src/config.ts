import { DEFAULT_DATABASE_URL } from './db/database.js';

/** Settings read once from the environment, typed and frozen; a bad value stops start-up with a clear message. */
export interface Config {
  readonly port: number;
  readonly host: string;
  readonly databaseUrl: string;
  readonly databasePoolSize: number;
  /** How far a request's `timestamp` may be from the server clock. */
  readonly signatureWindowMs: number;
  readonly logLevel: string;
  /** Migrate the database when `serve` starts. */
  readonly migrateOnStart: boolean;
  /** Run the dialer inside `serve`. */
  readonly dialerEnabled: boolean;
  /** How much faster than real time the simulated calls pass. */
  readonly dialerSpeed: number;
  /** Serve the OpenAPI document (/openapi.json) and the interactive docs (/docs). */
  readonly docsEnabled: boolean;
}

export class ConfigError extends Error {}

function integer(env: NodeJS.ProcessEnv, name: string, fallback: number, min: number, max: number): number {
  const raw = env[name];
  if (raw === undefined || raw === '') return fallback;
  const value = Number(raw);
  if (!Number.isInteger(value) || value < min || value > max) {
    throw new ConfigError(`${name} must be an integer from ${min} to ${max}, got "${raw}"`);
  }
  return value;
}

function flag(env: NodeJS.ProcessEnv, name: string, fallback: boolean): boolean {
  const raw = env[name];
  if (raw === undefined || raw === '') return fallback;
  if (/^(1|true|yes|on)$/i.test(raw)) return true;
  if (/^(0|false|no|off)$/i.test(raw)) return false;
  throw new ConfigError(`${name} must be true or false, got "${raw}"`);
}

export function loadConfig(env: NodeJS.ProcessEnv = process.env): Config {
  return Object.freeze({
    port: integer(env, 'PORT', 8060, 0, 65535),
    host: env.HOST || '127.0.0.1',
    databaseUrl: env.DATABASE_URL || DEFAULT_DATABASE_URL,
    databasePoolSize: integer(env, 'DATABASE_POOL_SIZE', 10, 1, 1000),
    signatureWindowMs: integer(env, 'SIGNATURE_WINDOW_SECONDS', 300, 1, 86400) * 1000,
    logLevel: env.LOG_LEVEL || 'info',
    migrateOnStart: flag(env, 'MIGRATE_ON_START', true),
    dialerEnabled: flag(env, 'DIALER_ENABLED', true),
    dialerSpeed: integer(env, 'DIALER_SPEED', 1, 1, 100_000),
    docsEnabled: flag(env, 'DOCS_ENABLED', true),
  });
}
