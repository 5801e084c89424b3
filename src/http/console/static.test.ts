import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Fastify from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { App } from '../app.js';
import { registerConsoleStatic } from './static.js';

/*
 * The console's pages (console/static.ts) from a built folder laid out as Vite builds it: hashed
 * assets cached for good, index.html never, the page for any other path under /console.
 */

let dir: string;
let app: App;
let url: string;

async function serve(root: string): Promise<{ app: App; url: string }> {
  const a = Fastify() as unknown as App;
  registerConsoleStatic(a, root);
  await a.listen({ port: 0, host: '127.0.0.1' });
  const address = a.server.address();
  return { app: a, url: `http://127.0.0.1:${typeof address === 'object' && address ? address.port : 0}` };
}

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'outcall-console-'));
  mkdirSync(join(dir, 'assets'));
  writeFileSync(join(dir, 'index.html'), '<!doctype html><div id="app"></div>');
  writeFileSync(join(dir, 'assets', 'index-3f2a9c.js'), 'console.log(1)');
  writeFileSync(join(dir, 'favicon.svg'), '<svg/>');
  writeFileSync(join(tmpdir(), 'outside.txt'), 'secret');
  ({ app, url } = await serve(dir));
});
afterAll(async () => {
  await app.close();
  rmSync(dir, { recursive: true, force: true });
});

describe('the console pages', () => {
  it('serve index.html at /console and /console/, never cached', async () => {
    for (const path of ['/console', '/console/']) {
      const r = await fetch(`${url}${path}`);
      expect(r.status).toBe(200);
      expect(r.headers.get('content-type')).toBe('text/html; charset=utf-8');
      expect(r.headers.get('cache-control')).toBe('no-cache');
      expect(await r.text()).toContain('id="app"');
    }
  });

  it('serve hashed assets as immutable for a year, other files for an hour', async () => {
    const js = await fetch(`${url}/console/assets/index-3f2a9c.js`);
    expect(js.status).toBe(200);
    expect(js.headers.get('content-type')).toBe('text/javascript; charset=utf-8');
    expect(js.headers.get('cache-control')).toBe('public, max-age=31536000, immutable');
    const icon = await fetch(`${url}/console/favicon.svg`);
    expect(icon.headers.get('cache-control')).toBe('public, max-age=3600');
  });

  it('answer the page for a route of the page (SPA fallback), but 404 for a missing asset', async () => {
    const page = await fetch(`${url}/console/jobs/12/records?x=1`);
    expect(page.status).toBe(200);
    expect(page.headers.get('cache-control')).toBe('no-cache');
    expect(await page.text()).toContain('id="app"');
    expect((await fetch(`${url}/console/assets/index-old.js`)).status).toBe(404);
  });

  it('never serve a file outside the folder', async () => {
    for (const path of ['/console/../outside.txt', '/console/%2e%2e/outside.txt', '/console/..%2foutside.txt']) {
      const r = await fetch(`${url}${path}`);
      expect(await r.text()).not.toContain('secret');
    }
  });

  it('answer the 404 envelope under /console/api/, never the page', async () => {
    const r = await fetch(`${url}/console/api/nothing`);
    expect(((await r.json()) as { code: number }).code).toBe(404);
  });

  it('say how to build the console when it has not been built', async () => {
    const empty = mkdtempSync(join(tmpdir(), 'outcall-console-empty-'));
    const s = await serve(join(empty, 'missing'));
    try {
      const r = await fetch(`${s.url}/console/`);
      expect(r.status).toBe(503);
      expect(await r.text()).toContain('npm install');
    } finally {
      await s.app.close();
      rmSync(empty, { recursive: true, force: true });
    }
  });
});
