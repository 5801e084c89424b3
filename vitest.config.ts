import { defineConfig } from 'vitest/config';

/*
 * The suite runs once per database: always on SQLite, and on PostgreSQL too when
 * TEST_DATABASE_URL names a PostgreSQL database to create throw-away test databases from.
 */
const include = ['src/**/*.test.ts', 'test/**/*.test.ts'];
const postgres = process.env.TEST_DATABASE_URL;

if (!postgres) {
  console.warn('\n*** TEST_DATABASE_URL is not set: the PostgreSQL pass is SKIPPED; only SQLite is tested. ***\n');
}

export default defineConfig({
  test: {
    testTimeout: 30_000,
    hookTimeout: 60_000,
    projects: [
      { extends: true, test: { name: 'sqlite', include, env: { OUTCALL_TEST_DIALECT: 'sqlite' } } },
      ...(postgres ? [{ extends: true as const, test: { name: 'postgres', include, env: { OUTCALL_TEST_DIALECT: 'postgres' } } }] : []),
    ],
  },
});
