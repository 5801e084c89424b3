import { afterEach, describe, expect, it } from 'vitest';
import { loadConfig } from '../src/config.js';
import { type App, buildApp } from '../src/http/app.js';
import { createTestDatabase, type TestDatabase } from '../test/harness.js';
import { benchFloor, classLabel, floorBody, floorClass, MIN_FLOOR_BYTES } from './floor.js';
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

  it('answers the size asked for with ?bytes=, an envelope like the API’s, the same body each time', async () => {
    const url = await start([benchFloor(3000)]);
    for (const bytes of [1024, 7179, 32_768]) {
      const res = await fetch(`${url}${FLOOR_PATH}?bytes=${bytes}`);
      const text = await res.text();
      expect(Buffer.byteLength(text)).toBe(bytes);
      expect(JSON.parse(text)).toMatchObject({ code: 200, requestId: expect.any(String), data: {} });
      expect(await (await fetch(`${url}${FLOOR_PATH}?bytes=${bytes}`)).text()).toBe(text);
    }
    // Below the envelope's own size: the envelope alone.
    expect(Buffer.byteLength(await (await fetch(`${url}${FLOOR_PATH}?bytes=10`)).text())).toBe(MIN_FLOOR_BYTES);
    expect(floorBody(0)).toBe(floorBody(MIN_FLOOR_BYTES));
  });

  it('refuses a size that is not a whole number of bytes up to 10 MB', async () => {
    const url = await start([benchFloor(3000)]);
    for (const bad of ['-1', 'x', '1.5', '10000001']) {
      const body = await (await fetch(`${url}${FLOOR_PATH}?bytes=${bad}`)).json();
      expect(body.code).not.toBe(200);
    }
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

describe('the floor size classes', () => {
  it('round an answer’s size to the nearest power of two on a log scale, from 1 KB', () => {
    expect(floorClass(120)).toBe(1024);
    expect(floorClass(1037)).toBe(1024);
    expect(floorClass(1448)).toBe(1024); // just under 1 KB × √2
    expect(floorClass(1449)).toBe(2048);
    expect(floorClass(4608)).toBe(4096);
    expect(floorClass(7179)).toBe(8192);
    expect(floorClass(23_000)).toBe(16_384);
    expect(floorClass(23_618)).toBe(32_768); // 16 KB × 1.44 is past the half-way point of 16 KB × √2
    expect(floorClass(27_002)).toBe(32_768);
    // A body is always within a factor √2 of its class.
    for (let bytes = 1024; bytes < 200_000; bytes += 977) {
      const c = floorClass(bytes);
      expect(Math.max(c / bytes, bytes / c)).toBeLessThanOrEqual(Math.SQRT2 + 1e-9);
    }
  });

  it('are named in KB, an older result’s single floor in bytes', () => {
    expect(classLabel(1024)).toBe('1 KB');
    expect(classLabel(32_768)).toBe('32 KB');
    expect(classLabel(2 ** 21)).toBe('2 MB');
    expect(classLabel(7179)).toBe('7179 B');
  });
});
