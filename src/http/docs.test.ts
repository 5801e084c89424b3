import { existsSync } from 'node:fs';
import { compileErrors, validate } from '@readme/openapi-parser';
import { chromium } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestServer, type TestServer } from '../../test/harness.js';
import type { PlatformEnum } from '../domain/enums.js';
import * as enums from '../domain/enums.js';
import type { App } from './app.js';
import { DOCS_PATH, OPENAPI_PATH } from './docs.js';
import { HEALTH_PATH, METRICS_PATH, READY_PATH } from './probes.js';

/* The OpenAPI document and Swagger UI of the real app: valid, complete, public, offline, switchable. */

const CHROMIUM = '/usr/bin/chromium';
const hasChromium = existsSync(CHROMIUM);
if (!hasChromium) {
  console.warn(
    `\n*** ${CHROMIUM} is missing: the test that /docs renders in a browser is SKIPPED (apt-get install -y chromium). ***\n`,
  );
}

type Operation = {
  summary?: string;
  security?: Record<string, string[]>[];
  responses: Record<string, { content?: Record<string, { schema: Schema }> }>;
};
type Schema = Record<string, unknown>;
type Document = {
  openapi: string;
  paths: Record<string, Record<string, Operation>>;
  components: { securitySchemes: Record<string, Schema>; schemas: Record<string, Schema> };
};

let server: TestServer;
let doc: Document;

beforeAll(async () => {
  server = await startTestServer();
  const response = await fetch(server.url + OPENAPI_PATH);
  expect(response.status).toBe(200);
  doc = (await response.json()) as Document;
});
afterAll(() => server.close());

/** "METHOD /path" of every route the app serves, read from Fastify's own route tree (HEAD left out). */
function registeredRoutes(app: App): string[] {
  const routes: string[] = [];
  const stack: string[] = [];
  for (const line of app.printRoutes({ commonPrefix: false }).split('\n')) {
    const m = /^([│ ]*)[├└]── (.*?)(?: \(([A-Z, ]+)\))?$/.exec(line);
    if (!m) continue;
    stack.length = m[1]!.length / 4;
    stack.push(m[2]!);
    for (const method of m[3]?.split(', ') ?? []) if (method !== 'HEAD') routes.push(`${method} ${stack.join('')}`);
  }
  return routes.sort();
}

const operations = () =>
  Object.entries(doc.paths).flatMap(([path, methods]) =>
    Object.entries(methods).map(([method, op]) => ({ key: `${method.toUpperCase()} ${path}`, method, path, op })),
  );

/** Every schema object in a part of the document. */
function* schemasIn(value: unknown): Generator<Schema> {
  if (Array.isArray(value)) for (const v of value) yield* schemasIn(v);
  else if (value && typeof value === 'object') {
    yield value as Schema;
    for (const v of Object.values(value)) yield* schemasIn(v);
  }
}

const platformEnums = Object.entries(enums as Record<string, unknown>).filter(
  (e): e is [string, PlatformEnum<string>] => typeof e[1] === 'object' && e[1] !== null && 'describe' in e[1],
);

describe('GET /openapi.json', () => {
  it('is a valid OpenAPI 3.1 document', async () => {
    expect(doc.openapi).toBe('3.1.0');
    const result = await validate(structuredClone(doc) as never);
    expect(result.valid, result.valid ? '' : compileErrors(result)).toBe(true);
    expect(result.warnings).toEqual([]);
  });

  it('lists every route the app serves, and nothing else (the docs themselves and the probes aside)', () => {
    const probes = [HEALTH_PATH, READY_PATH, METRICS_PATH].map((p) => ` ${p}`);
    const served = registeredRoutes(server.app).filter(
      (r) => !r.includes(` ${DOCS_PATH}`) && !r.endsWith(` ${OPENAPI_PATH}`) && !probes.some((p) => r.endsWith(p)),
    );
    expect(served.length).toBeGreaterThanOrEqual(4);
    expect(
      operations()
        .map((o) => o.key)
        .sort(),
    ).toEqual(served);
  });

  it('marks exactly the routes that need a signature with the four signature headers', async () => {
    const schemes = doc.components.securitySchemes;
    for (const name of ['appKey', 'version', 'timestamp', 'signature', 'nonce'])
      expect(schemes[name]).toMatchObject({ type: 'apiKey', in: 'header', name });
    for (const { method, path, op } of operations()) {
      // Unsigned, a signed route answers 401; the document must say it needs the headers exactly then.
      const response = await fetch(server.url + path, { method: method.toUpperCase() });
      const { code } = (await response.json()) as { code: number };
      expect(code, `${method} ${path}`).not.toBe(404);
      if (code === 401)
        expect(op.security, `${method} ${path}`).toEqual([
          { appKey: [], version: [], timestamp: [], signature: [] },
          { appKey: [], version: [], timestamp: [], signature: [], nonce: [] },
        ]);
      else expect(op.security, `${method} ${path}`).toBeUndefined();
    }
  });

  it('describes the envelope of every answer: the success and the error', () => {
    expect(doc.components.schemas.ErrorEnvelope).toMatchObject({
      required: ['code', 'data', 'requestId', 'resultMsg', 'errorStackTrace'],
    });
    for (const { key, op } of operations()) {
      const schema = op.responses['200']?.content?.['application/json']?.schema;
      const variants = (schema?.anyOf ?? []) as Schema[];
      expect(variants, key).toHaveLength(2);
      for (const v of variants)
        expect(Object.keys(v.properties as Schema), key).toEqual([
          'code',
          'data',
          'requestId',
          'resultMsg',
          'errorStackTrace',
        ]);
      expect((variants[1]!.properties as Record<string, Schema>).data).toEqual({ type: 'null' });
    }
  });

  it('has every enum with its codes and Chinese labels, and each use of one describes it', () => {
    for (const [name, e] of platformEnums) {
      const schema = doc.components.schemas[name];
      expect(schema, name).toMatchObject({
        type: 'string',
        enum: [...e.names],
        'x-enum-codes': e.members.map((m) => m.code),
        'x-enum-descriptions': e.members.map((m) => m.label),
      });
      for (const m of e.members) expect(schema!.description).toContain(`${m.name}(${m.code}, ${m.label})`);
    }
    let uses = 0;
    for (const schema of schemasIn(doc.paths)) {
      if (!Array.isArray(schema.enum)) continue;
      const e = platformEnums.find(([, pe]) => JSON.stringify(pe.names) === JSON.stringify(schema.enum));
      expect(e, `an enum of unknown names ${JSON.stringify(schema.enum)}`).toBeDefined();
      expect(schema.description).toContain(e![1].describe());
      uses++;
    }
    expect(uses).toBeGreaterThan(10);
    // Inputs take names or codes; their descriptions list them with labels too.
    expect(JSON.stringify(doc.paths['/apiOpen/v1/task/getCallRecordInfoList'])).toContain(
      enums.ResultStatus.describe(),
    );
    expect(JSON.stringify(doc.paths['/apiOpen/v1/task/getTasks'])).toContain(enums.JobStatus.describe());
  });

  it('is public: no signature needed, and not an envelope', async () => {
    const response = await fetch(server.url + OPENAPI_PATH);
    expect(response.headers.get('content-type')).toContain('application/json');
    expect(await response.json()).not.toHaveProperty('code');
  });
});

describe('GET /docs', () => {
  it('serves Swagger UI and its assets from the package, with no address off this machine', async () => {
    const response = await fetch(server.url + DOCS_PATH);
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toContain('text/html');
    const html = await response.text();
    const assets = [...html.matchAll(/(?:src|href)="([^"]+)"/g)].map((m) => m[1]!);
    expect(assets.length).toBeGreaterThan(3);
    for (const asset of assets) {
      expect(asset).not.toMatch(/^(https?:)?\/\//);
      expect((await fetch(new URL(asset, server.url + DOCS_PATH))).status, asset).toBe(200);
    }
  });

  it('a missing asset is the 404 envelope', async () => {
    const response = await fetch(`${server.url}${DOCS_PATH}/static/nothing.js`);
    expect(await response.json()).toMatchObject({ code: 404, data: null });
  });

  it.skipIf(!hasChromium)(
    'renders every operation in a real browser, with no request leaving 127.0.0.1',
    { timeout: 90_000 },
    async () => {
      const browser = await chromium.launch({
        executablePath: CHROMIUM,
        args: [
          '--headless',
          '--no-sandbox',
          '--disable-gpu',
          '--disable-quic',
          '--no-first-run',
          '--disable-background-networking',
          '--disable-component-update',
          '--disable-sync',
        ],
      });
      try {
        const context = await browser.newContext();
        const requested: string[] = [];
        const offMachine: string[] = [];
        // Every request of the page passes here: loopback ones go on, any other is refused and recorded.
        await context.route('**/*', (route) => {
          const url = route.request().url();
          requested.push(url);
          if (new URL(url).hostname === '127.0.0.1') return route.continue();
          offMachine.push(url);
          return route.abort();
        });
        const page = await context.newPage();
        const errors: string[] = [];
        page.on('pageerror', (e) => errors.push(e.message));
        await page.goto(server.url + DOCS_PATH);
        await page.locator('.opblock').first().waitFor({ timeout: 30_000 });
        await expect(page.locator('.information-container .title').innerText()).resolves.toContain('outcall Open API');
        const shown = await page.locator('.opblock-summary-path').allInnerTexts();
        expect(shown.map((p) => p.replace(/\u200b/g, '')).sort()).toEqual(Object.keys(doc.paths).sort());
        // Opening an operation shows its parameters with the enum labels.
        await page.locator('.opblock-summary', { hasText: '/apiOpen/v1/task/getTasks' }).first().click();
        await page.locator('.parameters').first().waitFor();
        expect(await page.locator('.opblock.is-open').innerText()).toContain('IN_PROCESS(1, 进行中)');
        expect(requested.some((u) => u.endsWith(`${DOCS_PATH}/json`))).toBe(true);
        expect(offMachine).toEqual([]);
        expect(errors).toEqual([]);
      } finally {
        await browser.close();
      }
    },
  );
});

describe('DOCS_ENABLED=false', () => {
  let off: TestServer;
  beforeAll(async () => {
    off = await startTestServer({ env: { DOCS_ENABLED: 'false' } });
  });
  afterAll(() => off.close());

  it('leaves both paths out: they get the 404 envelope', async () => {
    for (const path of [OPENAPI_PATH, DOCS_PATH, `${DOCS_PATH}/json`, `${DOCS_PATH}/static/swagger-ui.css`]) {
      const response = await fetch(off.url + path);
      expect(response.status).toBe(200);
      expect(await response.json(), path).toMatchObject({
        code: 404,
        data: null,
        resultMsg: expect.stringContaining('资源未找到'),
      });
    }
  });

  it('and the API is served as before', async () => {
    const response = await fetch(`${off.url}/apiOpen/v1/task/getTasks`);
    expect(await response.json()).toMatchObject({ code: 401 });
  });
});
