import { existsSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { compileErrors, validate } from '@readme/openapi-parser';
import { type Browser, chromium } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TenantFixture } from '../../test/fixtures.js';
import { createTestDatabase, startTestServer, type TestServer } from '../../test/harness.js';
import { signedHeaders } from '../client/signing.js';
import { loadConfig } from '../config.js';
import type { PlatformEnum } from '../domain/enums.js';
import * as enums from '../domain/enums.js';
import { ENGINE_WORD_LISTS } from '../schemas/engine.js';
import { type App, buildApp } from './app.js';
import { classifyPath, DOCS_PATH, GENERATIONS, OPENAPI_PATH, TAGS } from './docs.js';
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
  tags?: string[];
  'x-generation'?: string;
  security?: Record<string, string[]>[];
  responses: Record<string, { content?: Record<string, { schema: Schema }> }>;
};
type Schema = Record<string, unknown>;
type Document = {
  openapi: string;
  tags: { name: string; description: string; 'x-generation': string }[];
  paths: Record<string, Record<string, Operation>>;
  components: { securitySchemes: Record<string, Schema>; schemas: Record<string, Schema> };
};

let server: TestServer;
let doc: Document;
/** Screenshots of the page, to look at (not compared): a fresh folder under the OS's temporary directory. */
const shots = mkdtempSync(join(tmpdir(), 'outcall-docs-'));

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
    // The document writes path parameters as {id}, the router as :id.
    const path = stack.join('').replace(/:(\w+)/g, '{$1}');
    for (const method of m[3]?.split(', ') ?? []) if (method !== 'HEAD') routes.push(`${method} ${path}`);
  }
  return routes.sort();
}

function launchBrowser(): Promise<Browser> {
  return chromium.launch({
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
    // The console's pages (/console, /console/*) are files, not API operations; its JSON API is listed.
    const pages = ['GET /console', 'GET /console/*', 'GET /console*'];
    const served = registeredRoutes(server.app).filter(
      (r) =>
        !r.includes(` ${DOCS_PATH}`) &&
        !r.endsWith(` ${OPENAPI_PATH}`) &&
        !probes.some((p) => r.endsWith(p)) &&
        !pages.includes(r),
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
      // The console's API answers 401 without a session: a cookie, not a signature.
      // The engine protocol's routes take engine keys, which sign with v2 only (docs/engine-keys.md).
      if (code === 401 && path.startsWith('/engine/'))
        expect(op.security, `${method} ${path}`).toEqual([
          { appKey: [], version: [], timestamp: [], signature: [], nonce: [] },
        ]);
      else if (code === 401 && !path.startsWith('/console/api/'))
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
      // The engine protocol's word lists (endedBy, phase, …) are its own, with no codes or labels.
      if (ENGINE_WORD_LISTS.some((list) => JSON.stringify(list) === JSON.stringify(schema.enum))) continue;
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

  it('groups every Open API operation by its resource and marks its generation, from the path alone', () => {
    const expected: Record<string, [string, string]> = {
      '/apiOpen/v1/task/getTasks': ['task', '2018 API'],
      '/apiOpen/v1/task/getTaskDetail': ['task', '2018 API'],
      '/apiOpen/v1/task/getCallRecordInfoList': ['task', '2018 API'],
      '/apiOpen/v1/task/callDetail': ['task', '2018 API'],
      '/apiOpen/v1/task/create': ['task (outcall)', 'outcall'],
      '/apiOpen/v1/task/importTaskCustomer': ['task (outcall)', 'outcall'],
      '/apiOpen/v1/task/addCallRecords': ['task (outcall)', 'outcall'],
      '/apiOpen/v1/doNotCall/add': ['doNotCall', 'outcall'],
      '/apiOpen/v1/auditLog/list': ['auditLog', 'outcall'],
      '/apiOpen/v1/job/getJobs': ['job', 'later API'],
      '/apiOpen/v1/callRecord/getCallRecordInfoList': ['callRecord', 'later API'],
      '/apiOpen/v1/callStats/callCostStatsInfo': ['callStats', 'later API'],
      '/apiOpen/v1/tenant/getTenant': ['tenant', 'later API'],
    };
    for (const [path, [tag, generation]] of Object.entries(expected))
      expect(classifyPath(path), path).toEqual({ tag, generation });
    expect(classifyPath('/healthz')).toBeUndefined();

    let apiOperations = 0;
    for (const { key, path, op } of operations()) {
      const kind = classifyPath(path);
      if (!kind) continue;
      apiOperations++;
      // Whatever tags the route declared (e.g. 'job operations'), the path decides.
      expect(op.tags, key).toEqual([kind.tag]);
      expect(op['x-generation'], key).toBe(kind.generation);
      expect(op.summary, key).toMatch(new RegExp(`^\\[${kind.generation}\\] \\S`));
      if (path in expected) expect([op.tags![0], op['x-generation']], key).toEqual(expected[path]);
    }
    expect(apiOperations).toBeGreaterThanOrEqual(15);
    // The seed's four are the 2018 API; outcall's own job operations are not.
    expect(doc.paths['/apiOpen/v1/task/getTasks']!.get!['x-generation']).toBe('2018 API');
    expect(doc.paths['/apiOpen/v1/task/start']!.post!['x-generation']).toBe('outcall');
  });

  it('lists the tags in use with their descriptions: the later API first, then the 2018 API, then outcall’s own', () => {
    const used = new Set(operations().flatMap(({ op }) => op.tags ?? []));
    expect(doc.tags.map((t) => t.name).sort()).toEqual([...used].sort());
    const order = TAGS.map((t) => t.name);
    const names = doc.tags.map((t) => t.name);
    const listed = order.filter((name) => used.has(name));
    // Routes outside the Open API (e.g. /console) keep their own tags, after these.
    expect(names.slice(0, listed.length)).toEqual(listed);
    for (const name of names.slice(listed.length)) expect(order).not.toContain(name);
    for (const tag of doc.tags.slice(0, listed.length)) {
      const listed = TAGS.find((t) => t.name === tag.name)!;
      expect(tag['x-generation']).toBe(listed.generation);
      expect(tag.description).toBe(`**${listed.generation}.** ${listed.description}`);
    }
    // Generations in the order integrators meet them.
    const generations = doc.tags.slice(0, listed.length).map((t) => GENERATIONS.indexOf(t['x-generation'] as never));
    expect(generations).toEqual([...generations].sort((a, b) => a - b));
  });

  it('groups a route another engineer adds by its path, whatever tags it sets', async () => {
    const testDb = await createTestDatabase();
    const app = await buildApp({
      database: testDb.database,
      config: loadConfig({}),
      logger: false,
      plugins: [
        async (app) => {
          const schema = { summary: '[2018 API] 话单计费统计 — example', tags: ['statistics', 'extra'] };
          app.get('/apiOpen/v1/callStats/docsExample', { schema, config: { signed: true } }, async () => ({}));
          app.get('/apiOpen/v1/somethingNew/docsExample', { schema: { summary: 'new' } }, async () => ({}));
        },
      ],
    });
    try {
      const extra = app.swagger() as unknown as Document;
      expect(extra.paths['/apiOpen/v1/callStats/docsExample']!.get).toMatchObject({
        tags: ['callStats'],
        'x-generation': 'later API',
        summary: '[later API] 话单计费统计 — example',
      });
      expect(extra.paths['/apiOpen/v1/somethingNew/docsExample']!.get).toMatchObject({
        tags: ['somethingNew'],
        'x-generation': 'outcall',
        summary: '[outcall] new',
      });
      // A tag not in the list comes after the listed ones.
      expect(extra.tags.map((t) => t.name).slice(-1)).toEqual(['somethingNew']);
      const names = extra.tags.map((t) => t.name);
      expect(names.indexOf('callStats')).toBeLessThan(names.indexOf('task'));
    } finally {
      await app.close();
      await testDb.drop();
    }
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
      const browser = await launchBrowser();
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
        // A CSP refusal is reported on the console.
        page.on('console', (m) => m.type() === 'error' && errors.push(m.text()));
        await page.goto(server.url + DOCS_PATH);
        await page.locator('.opblock').first().waitFor({ timeout: 30_000 });
        await expect(page.locator('.information-container .title').innerText()).resolves.toContain('outcall Open API');
        const shown = await page.locator('.opblock-summary-path').allInnerTexts();
        // One row per operation: a path with two methods shows twice.
        expect([...new Set(shown.map((p) => p.replace(/\u200b/g, '')))].sort()).toEqual(Object.keys(doc.paths).sort());
        // Grouped by resource, in the document's order of tags.
        const groups = await page
          .locator('.opblock-tag')
          .evaluateAll((tags) => tags.map((t) => t.getAttribute('data-tag')));
        expect(groups).toEqual(doc.tags.map((t) => t.name));
        await page.screenshot({ path: join(shots, 'operations.png'), fullPage: true });
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

describe('Try it out on /docs', () => {
  let tenant: TenantFixture;
  let browser: Browser;

  beforeAll(async () => {
    tenant = await TenantFixture.create(server.database);
    await tenant.job({ name: '文档页试用任务' });
    if (hasChromium) browser = await launchBrowser();
  });
  afterAll(() => browser?.close());

  /** Open /docs (WebCrypto removed from the page or not), enter the key, and execute GET getTasks. */
  async function tryGetTasks(withWebCrypto: boolean) {
    const context = await browser.newContext({ viewport: { width: 1280, height: 900 } });
    const sent: { url: string; headers: Record<string, string>; body: string | null }[] = [];
    await context.route('**/*', (route) => {
      const request = route.request();
      if (new URL(request.url()).hostname !== '127.0.0.1') return route.abort();
      sent.push({ url: request.url(), headers: request.headers(), body: request.postData() });
      return route.continue();
    });
    const page = await context.newPage();
    const errors: string[] = [];
    page.on('pageerror', (e) => errors.push(e.message));
    page.on('console', (m) => m.type() === 'error' && errors.push(m.text()));
    // As on a plain-HTTP LAN address, where the browser offers no crypto.subtle.
    if (!withWebCrypto) await page.addInitScript(() => delete (Crypto.prototype as { subtle?: unknown }).subtle);
    await page.goto(server.url + DOCS_PATH);
    const form = page.locator('form.outcall-signing');
    await form.waitFor({ timeout: 30_000 });
    expect(await page.evaluate(() => typeof crypto.subtle)).toBe(withWebCrypto ? 'object' : 'undefined');
    await expect(form.locator('[role=status]').innerText()).resolves.toContain('Not signing');

    const { appKey, appSecret, tenantSign } = tenant.credentials;
    await form.getByLabel('appKey').fill(appKey);
    await form.getByLabel('appSecret').fill(appSecret);
    await form.getByLabel('tenantSign').fill(tenantSign);
    await expect(form.locator('[role=status]').innerText()).resolves.toContain(
      `Signing every request as appKey ${appKey}`,
    );
    const suffix = withWebCrypto ? 'webcrypto' : 'no-webcrypto';
    await page.screenshot({ path: join(shots, `form-${suffix}.png`) });

    const operation = page.locator('.opblock', { hasText: '/apiOpen/v1/task/getTasks' }).first();
    await operation.locator('.opblock-summary').click();
    await operation.locator('button.try-out__btn').click();
    // Swagger UI fills a parameter in with its first example (status NOT_STARTED): all jobs, as a user would ask.
    await operation.locator('tr[data-param-name="status"] input').fill('');
    await operation.locator('button.execute').click();
    const body = operation.locator('.live-responses-table .response-col_description pre').first();
    await body.waitFor({ timeout: 30_000 });
    const shown = JSON.parse(await body.innerText());
    await operation.screenshot({ path: join(shots, `executed-${suffix}.png`) });

    // Forget clears the key: requests go unsigned again.
    await form.getByRole('button', { name: 'Forget' }).click();
    await form.locator('[role=status]', { hasText: 'Not signing' }).waitFor({ timeout: 5_000 });
    await expect(form.getByLabel('appSecret').inputValue()).resolves.toBe('');

    const stored = await page.evaluate(() => ({
      local: localStorage.length,
      session: sessionStorage.length,
      cookie: document.cookie,
    }));
    await context.close();
    return { shown, sent, stored, errors };
  }

  for (const withWebCrypto of [true, false])
    it.skipIf(!hasChromium)(
      `signs the request with the key entered once, ${withWebCrypto ? 'with' : 'without'} WebCrypto in the page`,
      { timeout: 90_000 },
      async () => {
        const before = Date.now();
        const { shown, sent, stored, errors } = await tryGetTasks(withWebCrypto);
        // The answer shown is the success envelope with the tenant's job.
        expect(shown).toMatchObject({ code: 200, resultMsg: '获取成功', data: { totalElements: 1 } });
        expect(shown.data.content[0].name).toBe('文档页试用任务');

        // The server got the four headers, signed right for the timestamp sent.
        const apiRequests = sent.filter((r) => new URL(r.url).pathname === '/apiOpen/v1/task/getTasks');
        expect(apiRequests).toHaveLength(1);
        const { headers } = apiRequests[0]!;
        const timestamp = Number(headers.timestamp);
        expect(timestamp).toBeGreaterThanOrEqual(before);
        expect(timestamp).toBeLessThanOrEqual(Date.now());
        const expected = await signedHeaders(tenant.credentials, timestamp);
        expect({
          appKey: headers.appkey,
          version: headers.version,
          timestamp: headers.timestamp,
          signature: headers.signature,
        }).toEqual(expected);

        // The secret and the tenant's sign never left the page, and nothing was stored.
        for (const r of sent) {
          const wire = JSON.stringify(r);
          expect(wire).not.toContain(tenant.credentials.appSecret);
          expect(wire).not.toContain(tenant.credentials.tenantSign);
        }
        expect(sent.filter((r) => r.headers.signature).map((r) => new URL(r.url).pathname)).toEqual([
          '/apiOpen/v1/task/getTasks',
        ]);
        expect(stored).toEqual({ local: 0, session: 0, cookie: '' });
        expect(errors).toEqual([]);
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
