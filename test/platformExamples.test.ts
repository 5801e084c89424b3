import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { OutcallClient } from '../src/client/index.js';
import { ensureDemoData } from '../src/demo/seed.js';
import type { Credentials } from '../src/services/tenants.js';
import { PLATFORM_EXAMPLES, type PlatformExample } from './fixtures/platformExamples.js';
import { startTestServer, type TestServer } from './harness.js';

/*
 * Every request example of the platform's documentation (test/fixtures/platformExamples.ts), sent
 * signed to a server holding the demo data: none is refused as malformed (412); a 404 only names
 * an id the demo does not hold, or a path outcall documents as not served.
 */

let server: TestServer;
let credentials: Credentials;

const send = (example: Pick<PlatformExample, 'method' | 'path' | 'query' | 'body'>) =>
  new OutcallClient({ baseUrl: server.url, ...credentials, retries: 0 })
    .send<any>(example.method, example.path, {
      query: example.query,
      ...(example.body === undefined ? {} : { bodyText: example.body }),
    })
    .catch((error: { envelope?: unknown }) => {
      if (error.envelope) return error.envelope as any;
      throw error;
    });

beforeAll(async () => {
  server = await startTestServer();
  credentials = (await ensureDemoData(server.database, { seed: 20241015 })).credentials;
}, 60_000);
afterAll(() => server.close());

/** A job of the demo tenant in `status`, for an example of an operation that needs one. */
async function jobIn(status: 'NOT_STARTED' | 'RUNNABLE' | 'IN_PROCESS'): Promise<number> {
  const line = (await send({ method: 'GET', path: '/apiOpen/v1/phone/getPhoneList' })).data.find(
    (l: any) => l.phoneType === 'LANDLINE',
  );
  const flow = (await send({ method: 'GET', path: '/apiOpen/v1/dialogFlow/getDialogFlowList' })).data[0];
  const created = await send({
    method: 'POST',
    path: '/apiOpen/v1/job/create',
    body: JSON.stringify({
      concurrencyQuota: 1,
      jobPhoneNumberIdList: [line.tenantPhoneNumberId],
      robotCallJob: {
        name: '示例用任务',
        mode: 'MANUAL',
        dailyStartTime: '09:00',
        dailyEndTime: '20:00',
        dialogFlowId: flow.dialogFlowId ?? flow.id,
        phoneType: 'LANDLINE',
        robotCount: 1,
      },
    }),
  });
  expect(created.code, created.resultMsg).toBe(200);
  const jobId = created.data.robotCallJobId;
  if (status === 'NOT_STARTED') return jobId;
  const imported = await send({
    method: 'POST',
    path: '/apiOpen/v1/job/importCustomer',
    body: JSON.stringify({ robotCallJobId: jobId, customerPersons: [{ phoneNumber: '13900139000', name: '示例' }] }),
  });
  expect(imported.code, imported.resultMsg).toBe(200);
  if (status === 'IN_PROCESS') {
    const started = await send({
      method: 'POST',
      path: '/apiOpen/v1/job/start',
      body: JSON.stringify({ robotCallJobId: jobId }),
    });
    expect(started.code, started.resultMsg).toBe(200);
  }
  return jobId;
}

describe('the platform’s documented request examples', () => {
  it.each(PLATFORM_EXAMPLES.map((e) => [`${e.method} ${e.path} (${e.page})`, e] as const))('%s', async (_, example) => {
    let sent: PlatformExample = example;
    if (example.onJob) {
      const jobId = await jobIn(example.onJob);
      sent = {
        ...example,
        body: example.body?.replace(/"robotCallJobId"(\s*):(\s*)"?\d+"?/, `"robotCallJobId"$1:$2${jobId}`),
      };
    }
    const r = await send(sent);
    if (example.unsupported) {
      expect(r.code).toBe(404);
      expect(r.resultMsg).toContain('not supported');
      return;
    }
    expect(r.code, r.resultMsg).not.toBe(412);
    if (r.code === 404) {
      // Only an id the demo does not hold: the answer names the parameter and the id.
      expect(r.resultMsg).toMatch(/\w*Id\w* \d+/);
    } else expect(r.code, r.resultMsg).toBe(200);
    if (example.path.endsWith('/isv/updateIsvInfo')) credentials = { ...credentials, tenantSign: 'yiwise' };
  });

  it('takes null for every other field the body declares as that field absent', async () => {
    const openapi = await (await fetch(`${server.url}/openapi.json`)).json();
    const safe = PLATFORM_EXAMPLES.filter(
      (e) =>
        e.body?.trim().startsWith('{') &&
        !e.unsupported &&
        !e.onJob &&
        !/\/(delete|deleteRobotCallTask|updateIsvInfo)$/.test(e.path),
    );
    expect(safe.length).toBeGreaterThanOrEqual(5);
    const nullsFor = (schema: any, given: Record<string, unknown>) => {
      const out: Record<string, unknown> = { ...given };
      for (const [name, property] of Object.entries<any>(schema?.properties ?? {})) {
        if (!(name in out)) out[name] = null;
        else if (property?.properties && typeof out[name] === 'object' && out[name] !== null)
          out[name] = nullsFor(property, out[name] as Record<string, unknown>);
      }
      return out;
    };
    for (const example of safe) {
      const operation = openapi.paths[example.path][example.method.toLowerCase()];
      const schema = operation.requestBody.content['application/json'].schema;
      const body = nullsFor(schema, JSON.parse(example.body!));
      const r = await send({ ...example, body: JSON.stringify(body) });
      expect(r.code, `${example.path}: ${r.resultMsg}`).not.toBe(412);
      if (r.code !== 200) expect(r.resultMsg).toMatch(/\w*Id\w* \d+/);
    }
  });

  it('renames the demo’s running AUTO job when the client sends back its mode, and its queued job by name alone', async () => {
    const jobs = (await send({ method: 'GET', path: '/apiOpen/v1/job/getJobs', query: { pageSize: '100' } })).data
      .content;
    const running = jobs.find((j: any) => j.name === '悦动健身 老会员续卡回访');
    // Outside its calling hours the dialer holds it SYSTEM_SUSPENDED.
    await server.database.db
      .updateTable('robot_call_job')
      .set({ status: 'SYSTEM_SUSPENDED' })
      .where('id', '=', running.robotCallJobId)
      .execute();
    const renamed = await send({
      method: 'PATCH',
      path: '/apiOpen/v1/job/modify',
      body: JSON.stringify({ robotCallJob: { robotCallJobId: running.robotCallJobId, name: 'x2', mode: 'AUTO' } }),
    });
    expect(renamed.code, renamed.resultMsg).toBe(200);
    const queued = jobs.find((j: any) => j.name === '启航英语 寒假班预热');
    const described = await send({
      method: 'PATCH',
      path: '/apiOpen/v1/job/modify',
      body: JSON.stringify({ robotCallJob: { robotCallJobId: queued.robotCallJobId, name: 'x6', description: 'd' } }),
    });
    expect(described.code, described.resultMsg).toBe(200);
  });

  it('lists every repair with its reason', () => {
    for (const e of PLATFORM_EXAMPLES.filter((x) => x.repairs))
      for (const repair of e.repairs!) expect(repair).toMatch(/: |, /);
  });
});
