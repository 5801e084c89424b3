import { afterEach, describe, expect, it } from 'vitest';
import { loadConfig } from '../src/config.js';
import { type App, buildApp } from '../src/http/app.js';
import { createTestDatabase, type TestDatabase } from '../test/harness.js';
import { benchFloor } from './floor.js';
import { FLOOR_PATH } from './scenarios.js';

/* The benchmark's floor route: added by the bench server (bench/serve.ts) only, never by the app itself. */

let testDb: TestDatabase | undefined;
let app: App | undefined;
afterEach(async () => {
  await app?.close();
  await testDb?.drop();
  app = testDb = undefined;
});

async function start(plugins: Parameters<typeof buildApp>[0]['plugins']): Promise<string> {
  testDb = await createTestDatabase();
  app = await buildApp({ database: testDb.database, config: loadConfig({}), logger: false, plugins });
  return app.listen({ port: 0, host: '127.0.0.1' });
}

describe('the benchmark floor route', () => {
  it('answers a constant JSON body of the configured size, without a signature', async () => {
    const url = await start([benchFloor(3000)]);
    const res = await fetch(url + FLOOR_PATH);
    const text = await res.text();
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toContain('application/json');
    expect(Buffer.byteLength(text)).toBe(3000);
    expect(JSON.parse(text).code).toBe(200);
    expect(await (await fetch(url + FLOOR_PATH)).text()).toBe(text);
  });

  it('is left out of the OpenAPI document', async () => {
    const url = await start([benchFloor(100)]);
    const doc = await (await fetch(`${url}/openapi.json`)).json();
    expect(Object.keys(doc.paths)).not.toContain(FLOOR_PATH);
  });

  it('does not exist in the app without it', async () => {
    const url = await start(undefined);
    const body = await (await fetch(url + FLOOR_PATH)).json();
    expect(body.code).toBe(404);
  });
});
