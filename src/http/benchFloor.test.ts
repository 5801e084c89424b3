import { afterEach, describe, expect, it } from 'vitest';
import { startTestServer, type TestServer } from '../../test/harness.js';

/* The benchmark's floor route exists only when BENCH_FLOOR_BYTES asks for it. */

let server: TestServer | undefined;
afterEach(async () => {
  await server?.close();
  server = undefined;
});

describe('the benchmark floor route', () => {
  it('answers a constant JSON body of the configured size, without a signature', async () => {
    server = await startTestServer({ env: { BENCH_FLOOR_BYTES: '3000' } });
    const res = await fetch(`${server.url}/bench/floor`);
    const text = await res.text();
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toContain('application/json');
    expect(Buffer.byteLength(text)).toBe(3000);
    expect(JSON.parse(text).code).toBe(200);
    expect(await (await fetch(`${server.url}/bench/floor`)).text()).toBe(text);
  });

  it('does not exist otherwise', async () => {
    server = await startTestServer();
    const body = await (await fetch(`${server.url}/bench/floor`)).json();
    expect(body.code).toBe(404);
  });
});
