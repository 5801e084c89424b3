import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { ConfigError, loadConfig } from './config.js';

/** The names of the settings loadConfig reads, in the order it reads them. */
function settingsRead(): string[] {
  const read = new Set<string>();
  const env = new Proxy({} as NodeJS.ProcessEnv, {
    get: (_, name) => {
      if (typeof name === 'string') read.add(name);
      return undefined;
    },
  });
  loadConfig(env);
  return [...read];
}

describe('.env.example', () => {
  const lines = readFileSync('.env.example', 'utf8').split('\n');
  const entries = lines.filter((l) => /^[A-Z_]+=/.test(l)).map((l) => l.split('=', 2) as [string, string]);

  it('lists every setting loadConfig reads, once each, and nothing else', () => {
    const names = entries.map(([name]) => name);
    expect(new Set(names).size).toBe(names.length);
    expect([...names].sort()).toEqual(settingsRead().sort());
  });

  it('gives each its default, under a comment', () => {
    expect(loadConfig(Object.fromEntries(entries))).toEqual(loadConfig({}));
    for (const [name] of entries) expect(lines[lines.findIndex((l) => l.startsWith(`${name}=`)) - 1]).toMatch(/^# /);
  });
});

describe('settings that are not numbers or flags', () => {
  const refusal = (env: NodeJS.ProcessEnv) => {
    try {
      loadConfig(env);
    } catch (error) {
      if (error instanceof ConfigError) return error.message;
      throw error;
    }
    return undefined;
  };

  it('HOST: an IP address or a host name', () => {
    for (const host of ['127.0.0.1', '0.0.0.0', '::', '::1', 'localhost', 'api.example.com', 'host-1.local.'])
      expect(refusal({ HOST: host }), host).toBeUndefined();
    for (const host of ['999.1.1.1', '10.0.0', 'a b', '-x.example', 'http://x', 'x_y.example'])
      expect(refusal({ HOST: host }), host).toMatch(/^HOST must be .*, got "/);
  });

  it('DATABASE_URL: sqlite: (a bare or file: path too) or postgres(ql)://, nothing else', () => {
    for (const url of ['sqlite:./data/x.db', 'sqlite:/srv/x.db', 'file:x.db', 'data/x.db', 'C:\\data\\x.db'])
      expect(refusal({ DATABASE_URL: url }), url).toBeUndefined();
    for (const url of ['postgres://u:p@h:5432/db', 'postgresql://h/db', 'POSTGRES://h/db'])
      expect(refusal({ DATABASE_URL: url }), url).toBeUndefined();
    for (const url of ['mysql://x', 'http://h/db', 'mongodb+srv://h', 'sqlite:', 'postgres:h/db', 'postgres://[x'])
      expect(refusal({ DATABASE_URL: url }), url).toMatch(/^DATABASE_URL must be sqlite:PATH or postgres:/);
    // A password in the URL is not repeated.
    expect(refusal({ DATABASE_URL: 'mysql://u:secret@h/db' })).not.toContain('secret');
  });

  it('LOG_LEVEL: one of pino’s', () => {
    expect(refusal({ LOG_LEVEL: 'debug' })).toBeUndefined();
    expect(refusal({ LOG_LEVEL: 'verbose' })).toMatch(/^LOG_LEVEL must be one of .*got "verbose"/);
  });
});
