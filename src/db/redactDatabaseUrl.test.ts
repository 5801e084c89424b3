import fc from 'fast-check';
import { parse } from 'pg-connection-string';
import { describe, expect, it } from 'vitest';
import { createDatabase, redactDatabaseUrl } from './database.js';

/* The database URL as logged: no password, wherever the URL carries one. */

/** Percent-encodes what would end the user part or the value early, but leaves `@` raw, as people type it. */
const inUserPart = (s: string) => encodeURIComponent(s).replaceAll('%40', '@');

describe('redactDatabaseUrl', () => {
  it('hides a password holding `@`, and password-like query parameters, whole', () => {
    expect(redactDatabaseUrl('postgres://app:p@ss@word@db.example:5432/outcall')).toBe(
      'postgres://app:***@db.example:5432/outcall',
    );
    expect(redactDatabaseUrl('postgres://app@db.example/outcall?sslmode=require&password=hunter22')).toBe(
      'postgres://app@db.example/outcall?sslmode=require&password=***',
    );
    expect(redactDatabaseUrl('postgresql://db.example/outcall?sslpassword=keypass&sslkey=/k.pem')).toBe(
      'postgresql://db.example/outcall?sslpassword=***&sslkey=%2Fk.pem',
    );
    expect(redactDatabaseUrl('postgres://db.example/outcall')).toBe('postgres://db.example/outcall');
    // Not a URL at all: nothing of it but the scheme.
    expect(redactDatabaseUrl('postgres://app:se cret@[bad/outcall')).toBe('postgres://***');
  });

  it('is what a PostgreSQL database gives as its location (the start-up log line)', async () => {
    // The pool connects on first use: nothing here reaches a server.
    const database = createDatabase('postgres://app:p@ss@db.example/outcall?password=hunter22');
    try {
      expect(database.location).toBe('postgres://app:***@db.example/outcall?password=***');
    } finally {
      await database.destroy();
    }
  });

  it('leaves none of any password pg would read (property)', () => {
    fc.assert(
      fc.property(
        fc.string({ minLength: 1, maxLength: 30, unit: 'grapheme-ascii' }),
        fc.string({ minLength: 1, maxLength: 30 }),
        fc.constantFrom('password', 'sslpassword', 'PASSWORD'),
        (password, queryPassword, parameter) => {
          const url = `postgres://app:${inUserPart(password)}@db.example:5432/outcall?${parameter}=${encodeURIComponent(queryPassword)}&sslmode=require`;
          // The URL means what the test says: pg reads this password from it.
          expect(decodeURIComponent(new URL(url).password)).toBe(password);
          expect(parse(url)).toMatchObject({ host: 'db.example', database: 'outcall' });
          expect(redactDatabaseUrl(url)).toBe(
            `postgres://app:***@db.example:5432/outcall?${parameter}=***&sslmode=require`,
          );
        },
      ),
      { numRuns: 200 },
    );
  });
});
