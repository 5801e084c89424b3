import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TenantFixture } from '../../test/fixtures.js';
import { call, startTestServer, type TestServer } from '../../test/harness.js';
import { signedHeaders } from '../client/signing.js';

let server: TestServer;
let tenant: TenantFixture;

beforeAll(async () => {
  server = await startTestServer();
  tenant = await TenantFixture.create(server.database);
});
afterAll(() => server.close());

async function raw(method: string, path: string, init: { headers?: Record<string, string>; body?: string } = {}) {
  const response = await fetch(server.url + path, { method, headers: init.headers, body: init.body });
  return { status: response.status, type: response.headers.get('content-type'), body: await response.json() };
}

describe('every answer is the envelope, with HTTP status 200', () => {
  it('for an unknown path: 404', async () => {
    const r = await raw('GET', '/apiOpen/v1/task/nothingHere');
    expect(r.status).toBe(200);
    expect(r.type).toContain('application/json');
    expect(r.body).toEqual({
      code: 404,
      data: null,
      requestId: expect.stringMatching(/^[A-Z]{8}$/),
      resultMsg: expect.stringContaining('资源未找到'),
      errorStackTrace: null,
    });
  });

  it('for a known path with the wrong method: 404 that names the right one', async () => {
    const r = await raw('GET', '/apiOpen/v1/task/getCallRecordInfoList', {
      headers: await signedHeaders(tenant.credentials),
    });
    expect(r.body.code).toBe(404);
    expect(r.body.resultMsg).toContain('POST');
  });

  it('for a body that is not JSON: 412', async () => {
    const headers = { ...(await signedHeaders(tenant.credentials)), 'content-type': 'application/json' };
    const r = await raw('POST', '/apiOpen/v1/task/getCallRecordInfoList', { headers, body: '{"robotCallJobId": 1,' });
    expect(r.body.code).toBe(412);
    expect(r.body.resultMsg).toBe('参数错误: body is not valid JSON');
  });

  it('for a body sent as something other than JSON: 412', async () => {
    const headers = { ...(await signedHeaders(tenant.credentials)), 'content-type': 'text/plain' };
    const r = await raw('POST', '/apiOpen/v1/task/getCallRecordInfoList', { headers, body: 'robotCallJobId=1' });
    expect(r.body.code).toBe(412);
  });

  it('for a POST without a body: 412 naming the required parameter', async () => {
    const headers = { ...(await signedHeaders(tenant.credentials)), 'content-type': 'application/json' };
    const r = await raw('POST', '/apiOpen/v1/task/getCallRecordInfoList', { headers });
    expect(r.body.code).toBe(412);
    expect(r.body.resultMsg).toContain('robotCallJobId');
  });

  it('for a GET that carries Content-Type: application/json and no body: served', async () => {
    const r = await call(server, tenant.credentials, 'GET', '/apiOpen/v1/task/getTasks', undefined, {
      'content-type': 'application/json',
    });
    expect(r.code).toBe(200);
  });

  it('for an unexpected failure: 500 that reveals nothing', async () => {
    const broken = await startTestServer();
    const other = await TenantFixture.create(broken.database);
    const headers = await signedHeaders(other.credentials);
    // Break the data layer under the running server: the key lookup still works, the job query does not.
    await broken.database.db.schema.dropTable('job_day_stats').execute();
    const response = await fetch(`${broken.url}/apiOpen/v1/task/getTaskDetail?robotCallJobId=1`, { headers });
    const body = await response.json();
    expect(response.status).toBe(200);
    expect(body).toEqual({
      code: 500,
      data: null,
      requestId: expect.stringMatching(/^[A-Z]{8}$/),
      resultMsg: '未知错误',
      errorStackTrace: null,
    });
    await broken.close();
  });
});
