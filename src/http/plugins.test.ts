import { Type } from '@sinclair/typebox';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TenantFixture } from '../../test/fixtures.js';
import { createTestDatabase, type TestDatabase } from '../../test/harness.js';
import { signedHeaders } from '../client/signing.js';
import { loadConfig } from '../config.js';
import { forbidden } from '../domain/errors.js';
import { type App, buildApp } from './app.js';

/* Routes added through buildApp's `plugins` pass the same hooks and error handling as the API's own. */

let testDb: TestDatabase;
let app: App;
let tenant: TenantFixture;

beforeAll(async () => {
  testDb = await createTestDatabase();
  tenant = await TenantFixture.create(testDb.database);
  app = await buildApp({
    database: testDb.database,
    config: loadConfig({}),
    logger: false,
    plugins: [
      async (extra) => {
        extra.get(
          '/extra/query',
          {
            schema: { querystring: Type.Object({ n: Type.Optional(Type.Integer()), s: Type.Optional(Type.String()) }) },
          },
          async (request) => ({ code: 200, data: request.query }),
        );
        extra.get('/extra/signed', { config: { signed: true } }, async (request) => ({
          code: 200,
          data: request.caller.tenantId,
        }));
        extra.get('/extra/refused', async () => {
          throw forbidden('not for you');
        });
        extra.get('/extra/broken', async () => {
          throw new Error('a bug');
        });
      },
    ],
  });
});
afterAll(async () => {
  await app.close();
  await testDb.drop();
});

const get = async (url: string, headers: Record<string, string> = {}) =>
  JSON.parse((await app.inject({ method: 'GET', url, headers })).body);

describe("buildApp's plugins", () => {
  it('get the signature check when their route asks for it', async () => {
    const unsigned = await get('/extra/signed');
    expect(unsigned.code).toBe(401);
    expect(unsigned).toMatchObject({
      code: (await get('/apiOpen/v1/task/getTasks')).code,
      resultMsg: (await get('/apiOpen/v1/task/getTasks')).resultMsg,
    });
    expect((await get('/extra/signed', await signedHeaders(tenant.credentials))).data).toBe(
      tenant.credentials.tenantId,
    );
  });

  it('get the hooks: an empty query parameter is absent', async () => {
    expect((await get('/extra/query?n=3&s=')).data).toEqual({ n: 3 });
  });

  it('get the error handling: validation, service errors, internal errors, wrong methods', async () => {
    expect(await get('/extra/query?n=x')).toMatchObject({ code: 412, resultMsg: '参数错误: n must be integer' });
    expect(await get('/extra/refused')).toMatchObject({ code: 403, resultMsg: '权限不足: not for you', data: null });
    expect(await get('/extra/broken')).toMatchObject({ code: 500, resultMsg: '未知错误' });
    const wrongMethod = JSON.parse((await app.inject({ method: 'POST', url: '/extra/refused' })).body);
    expect(wrongMethod.code).toBe(404);
    expect(wrongMethod.resultMsg).toContain('served for GET');
  });
});
