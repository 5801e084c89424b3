import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { ConsoleBrowser, consoleUser } from '../../../test/consoleClient.js';
import { finishedCall, T0, TenantFixture } from '../../../test/fixtures.js';
import { call, getTaskDetail, startTestServer, type TestServer } from '../../../test/harness.js';

/*
 * The console's JSON API (/console/api/, docs/console.md) against the real server: sessions,
 * CSRF, roles, tenant isolation, and answers equal to the Open API's for the same job.
 */

let server: TestServer;
let tenant: TenantFixture;
let other: TenantFixture;
let admin: { username: string; password: string };
let member: { username: string; password: string };
/** Added to the server's clock: moves session expiry without waiting. */
let clockOffset = 0;
/** When set, the server's clock stands still there (a loaded machine must not let a 1 s back-off lapse). */
let frozen: number | undefined;

beforeAll(async () => {
  server = await startTestServer({
    now: () => frozen ?? Date.now() + clockOffset,
    env: { CONSOLE_SESSION_IDLE_MINUTES: '30', CONSOLE_SESSION_MAX_HOURS: '12', CONSOLE_LOGIN_MAX_FAILURES: '5' },
  });
  tenant = await TenantFixture.create(server.database);
  other = await TenantFixture.create(server.database);
  admin = await consoleUser(server.database, tenant.credentials.tenantSign, 'admin');
  member = await consoleUser(server.database, tenant.credentials.tenantSign, 'member');
});
afterAll(() => server.close());
afterEach(() => {
  clockOffset = 0;
  frozen = undefined;
});

async function signedIn(who = admin): Promise<ConsoleBrowser> {
  const browser = new ConsoleBrowser(server.url);
  const r = await browser.signIn(who.username, who.password);
  expect(r.code, r.resultMsg).toBe(200);
  return browser;
}

describe('signing in', () => {
  it('answers the user and a CSRF token, and sets an HttpOnly, SameSite=Strict cookie for /console', async () => {
    const browser = new ConsoleBrowser(server.url);
    const r = await browser.signIn(admin.username, admin.password);
    expect(r.code).toBe(200);
    expect(r.data.user).toEqual({
      username: admin.username,
      role: 'admin',
      tenantId: tenant.tenantId,
      tenantName: `公司${tenant.credentials.tenantSign}`,
      tenantSign: tenant.credentials.tenantSign,
    });
    expect(r.data.csrfToken).toMatch(/^[A-Za-z0-9_-]{20,}$/);
    const cookie = browser.lastSetCookie!;
    expect(cookie).toMatch(/^outcall_session=[A-Za-z0-9_-]{43}; /);
    expect(cookie).toContain('HttpOnly');
    expect(cookie).toContain('SameSite=Strict');
    expect(cookie).toContain('Path=/console');
    expect(cookie).toContain(`Max-Age=${12 * 3600}`);
    // Plain HTTP here: a Secure cookie would never come back.
    expect(cookie).not.toContain('Secure');
    const again = await browser.call('GET', '/console/api/session');
    expect(again.code).toBe(200);
    expect(again.data).toEqual(r.data);
  });

  it('finds the session cookie among the other cookies of the Cookie header', async () => {
    const token = (await signedIn()).cookie!.slice('outcall_session='.length);
    for (const header of [
      `theme=dark; outcall_session=${token}; lang=zh-CN`,
      `theme="dark"; outcall_session=${token}`,
      `outcall_session_old=x;outcall_session=${token}`,
    ]) {
      const r = await new ConsoleBrowser(server.url).call('GET', '/console/api/session', {
        headers: { cookie: header },
      });
      expect(r.code, header).toBe(200);
    }
  });

  it('marks the cookie Secure when the request came over HTTPS through a trusted proxy', async () => {
    const proxied = await startTestServer({ env: { TRUST_PROXY: '127.0.0.1' } });
    try {
      const t = await TenantFixture.create(proxied.database);
      const u = await consoleUser(proxied.database, t.credentials.tenantSign);
      const browser = new ConsoleBrowser(proxied.url);
      await browser.raw('POST', '/console/api/session', {
        body: u,
        headers: { 'x-forwarded-proto': 'https' },
      });
      expect(browser.lastSetCookie).toContain('; Secure');
    } finally {
      await proxied.close();
    }
  });

  it('refuses a wrong password and an unknown user alike with 401, and sets no cookie', async () => {
    const browser = new ConsoleBrowser(server.url);
    const wrong = await browser.signIn(member.username, 'not-the-password');
    const unknown = await browser.signIn('nobody-here', 'whatever-it-is');
    expect([wrong.code, unknown.code]).toEqual([401, 401]);
    expect(wrong.resultMsg).toBe(unknown.resultMsg);
    expect(browser.cookie).toBeUndefined();
  });

  it('refuses a disabled user', async () => {
    const u = await consoleUser(server.database, tenant.credentials.tenantSign);
    const browser = await signedIn(u);
    const { setUserEnabled } = await import('../../services/consoleUsers.js');
    await setUserEnabled(server.database, u.username, false);
    expect((await browser.call('GET', '/console/api/session')).code).toBe(401);
    expect((await new ConsoleBrowser(server.url).signIn(u.username, u.password)).code).toBe(401);
  });

  it('makes a sixth attempt right after five failures wait (429, Retry-After), even with the right password', async () => {
    const u = await consoleUser(server.database, tenant.credentials.tenantSign);
    const browser = new ConsoleBrowser(server.url);
    frozen = Date.now();
    for (let i = 0; i < 5; i++) expect((await browser.signIn(u.username, `wrong-${i}-password`)).code).toBe(401);
    const response = await browser.raw('POST', '/console/api/session', { body: u });
    const envelope = (await response.json()) as { code: number; resultMsg: string };
    expect(envelope.code).toBe(429);
    // The back-off's first step (services/signInLimit.test.ts follows it to the cap).
    expect(response.headers.get('retry-after')).toBe('1');
    frozen += 1000;
    expect((await browser.signIn(u.username, u.password)).code).toBe(200);
  });

  it('refuses a body without a password with 412 naming it', async () => {
    const r = await new ConsoleBrowser(server.url).call('POST', '/console/api/session', { body: { username: 'x' } });
    expect(r.code).toBe(412);
    expect(r.resultMsg).toContain('password');
  });
});

describe('sessions', () => {
  it('end after 30 idle minutes', async () => {
    const browser = await signedIn();
    clockOffset = 29 * 60_000;
    expect((await browser.call('GET', '/console/api/session')).code).toBe(200);
    // 29 minutes after that request (its last-seen time was written): still alive.
    clockOffset = 58 * 60_000;
    expect((await browser.call('GET', '/console/api/session')).code).toBe(200);
    clockOffset = 58 * 60_000 + 30 * 60_000;
    const r = await browser.call('GET', '/console/api/session');
    expect(r.code).toBe(401);
    // Gone for good, not only for now.
    clockOffset = 0;
    expect((await browser.call('GET', '/console/api/session')).code).toBe(401);
  });

  it('end 12 hours after sign-in however busy', async () => {
    const browser = await signedIn();
    for (let m = 25; m < 12 * 60; m += 25) {
      clockOffset = m * 60_000;
      expect((await browser.call('GET', '/console/api/jobs')).code, `after ${m} minutes`).toBe(200);
    }
    clockOffset = 12 * 3_600_000;
    expect((await browser.call('GET', '/console/api/jobs')).code).toBe(401);
  });

  it('end at sign-out: the cookie is cleared and the token no longer works', async () => {
    const browser = await signedIn();
    const cookie = browser.cookie;
    const r = await browser.call('DELETE', '/console/api/session');
    expect(r.code).toBe(200);
    expect(browser.lastSetCookie).toMatch(/^outcall_session=; .*Max-Age=0/);
    expect(browser.cookie).toBeUndefined();
    browser.cookie = cookie;
    expect((await browser.call('GET', '/console/api/session')).code).toBe(401);
  });

  it('are refused without a cookie, or with a made-up one, with 401', async () => {
    const browser = new ConsoleBrowser(server.url);
    expect((await browser.call('GET', '/console/api/jobs')).code).toBe(401);
    browser.cookie = `outcall_session=${'A'.repeat(43)}`;
    expect((await browser.call('GET', '/console/api/jobs')).code).toBe(401);
    browser.cookie = 'outcall_session=%00;;';
    expect((await browser.call('POST', '/console/api/jobs', { body: { name: 'x' } })).code).toBe(401);
  });

  it('are accepted by every server process on the database', async () => {
    const browser = await signedIn();
    const { buildApp } = await import('../app.js');
    const second = await buildApp({ database: server.database, config: server.config, logger: false });
    await second.listen({ port: 0, host: '127.0.0.1' });
    try {
      const address = second.server.address();
      const elsewhere = new ConsoleBrowser(
        `http://127.0.0.1:${typeof address === 'object' && address ? address.port : 0}`,
      );
      elsewhere.cookie = browser.cookie;
      expect((await elsewhere.call('GET', '/console/api/session')).data.user.username).toBe(admin.username);
    } finally {
      await second.close();
    }
  });
});

describe('CSRF', () => {
  it('refuses a changing request without the token, or with another, with 403; with it the request runs', async () => {
    const browser = await signedIn();
    const body = {
      name: 'CSRF',
      mode: 'MANUAL',
      dialogFlowId: tenant.flowId,
      phoneType: 'MOBILE',
      jobPhoneNumberIdList: [await tenant.phoneLine('13800138009')],
      dailyStartTime: '09:00',
      dailyEndTime: '20:00',
    };
    const without = await browser.call('POST', '/console/api/jobs', { body, csrf: false });
    expect(without.code).toBe(403);
    expect(without.resultMsg).toContain('X-CSRF-Token');
    const wrong = await browser.call('POST', '/console/api/jobs', { body, csrf: 'x'.repeat(32) });
    expect(wrong.code).toBe(403);
    expect((await browser.call('DELETE', '/console/api/session', { csrf: false })).code).toBe(403);
    const ok = await browser.call('POST', '/console/api/jobs', { body });
    expect(ok.code, ok.resultMsg).toBe(200);
    // Nothing was made by the refused ones.
    const list = await browser.call('GET', '/console/api/jobs?name=CSRF');
    expect(list.data.totalElements).toBe(1);
  });
});

describe('roles', () => {
  it('let a member run jobs but not see keys or settings (403)', async () => {
    const browser = await signedIn(member);
    expect((await browser.call('GET', '/console/api/jobs')).code).toBe(200);
    for (const [method, path] of [
      ['GET', '/console/api/keys'],
      ['POST', '/console/api/keys'],
      ['POST', `/console/api/keys/${tenant.credentials.appKey}/disable`],
      ['GET', '/console/api/settings'],
      ['PUT', '/console/api/settings'],
      ['GET', '/console/api/lines'],
      ['POST', '/console/api/lines'],
      ['PUT', '/console/api/lines/1'],
      ['POST', '/console/api/lines/1/disable'],
    ] as const) {
      const r = await browser.call(method, path, { body: method === 'PUT' ? { callbackUrl: null } : undefined });
      expect(r.code, `${method} ${path}`).toBe(403);
    }
  });

  it('let an admin list keys, create one (its secret shown once, and it signs requests), and disable it', async () => {
    const browser = await signedIn(admin);
    const keys = await browser.call('GET', '/console/api/keys');
    expect(keys.code).toBe(200);
    expect(keys.data.map((k: any) => k.appKey)).toEqual([tenant.credentials.appKey]);
    expect(JSON.stringify(keys.data)).not.toContain(tenant.credentials.appSecret);
    const created = await browser.call('POST', '/console/api/keys');
    expect(created.code).toBe(200);
    const { appKey, appSecret } = created.data;
    const credentials = { appKey, appSecret, tenantSign: tenant.credentials.tenantSign };
    expect((await call(server, credentials, 'GET', '/apiOpen/v1/task/getTasks')).code).toBe(200);
    const listed = await browser.call('GET', '/console/api/keys');
    expect(listed.data).toHaveLength(2);
    expect(JSON.stringify(listed.data)).not.toContain(appSecret);
    expect((await browser.call('POST', `/console/api/keys/${appKey}/disable`)).data).toEqual({
      appKey,
      enabled: false,
    });
    // A disabled key is refused as the Open API refuses it (403).
    expect((await call(server, credentials, 'GET', '/apiOpen/v1/task/getTasks')).code).toBe(403);
    expect((await browser.call('POST', `/console/api/keys/${appKey}/enable`)).data.enabled).toBe(true);
    // Another tenant's key is not found.
    expect((await browser.call('POST', `/console/api/keys/${other.credentials.appKey}/disable`)).code).toBe(404);
  });

  it('let an admin set the callback URL, refusing what is not an http(s) URL with 412', async () => {
    const browser = await signedIn(admin);
    expect((await browser.call('GET', '/console/api/settings')).data).toEqual({
      callbackUrl: null,
      timeZone: 'Asia/Shanghai',
    });
    const bad = await browser.call('PUT', '/console/api/settings', { body: { callbackUrl: 'ftp://x' } });
    expect(bad.code).toBe(412);
    expect(bad.resultMsg).toContain('callbackUrl');
    const url = 'https://example.test/hook';
    expect((await browser.call('PUT', '/console/api/settings', { body: { callbackUrl: url } })).code).toBe(200);
    expect((await browser.call('GET', '/console/api/settings')).data).toEqual({
      callbackUrl: url,
      timeZone: 'Asia/Shanghai',
    });
    expect((await browser.call('PUT', '/console/api/settings', { body: { callbackUrl: '' } })).data).toEqual({
      callbackUrl: null,
      timeZone: 'Asia/Shanghai',
    });
  });

  it('let an admin change the tenant’s time zone (an IANA zone) without touching the callback URL', async () => {
    const browser = await signedIn(admin);
    const url = 'https://example.test/zone-hook';
    await browser.call('PUT', '/console/api/settings', { body: { callbackUrl: url } });
    const bad = await browser.call('PUT', '/console/api/settings', { body: { timeZone: 'Nowhere/Land' } });
    expect(bad.code).toBe(412);
    expect(bad.resultMsg).toContain('timeZone');
    const moved = await browser.call('PUT', '/console/api/settings', { body: { timeZone: 'Europe/Berlin' } });
    expect(moved.data).toEqual({ callbackUrl: url, timeZone: 'Europe/Berlin' });
    // Times are shown in the new zone from the next request on.
    expect((await browser.call('GET', '/console/api/settings')).data.timeZone).toBe('Europe/Berlin');
    await browser.call('PUT', '/console/api/settings', { body: { timeZone: 'Asia/Shanghai', callbackUrl: '' } });
  });

  it('let an admin add, change, disable and enable caller lines, as the API’s phone/ does', async () => {
    const browser = await signedIn(admin);
    const added = await browser.call('POST', '/console/api/lines', {
      body: { phoneNumber: '057166660001', phoneName: '控制台线路', channels: 2, sipPassword: 'console-pw' },
    });
    expect(added.code, added.resultMsg).toBe(200);
    const id = added.data.phoneLine.phoneNumberId;
    expect(added.data.phoneLine).toMatchObject({ engine: 'external', channels: 2, hasSipPassword: true });
    const bad = await browser.call('PUT', `/console/api/lines/${id}`, { body: { maxCallSeconds: 5 } });
    expect(bad.code).toBe(412);
    expect(bad.resultMsg).toContain('maxCallSeconds');
    const changed = await browser.call('PUT', `/console/api/lines/${id}`, {
      body: { channels: 2, noLimit: ['callsPerSecond'], ringTimeoutSeconds: 30 },
    });
    expect(changed.data.changed).toEqual(['ringTimeoutSeconds']);
    expect((await browser.call('POST', `/console/api/lines/${id}/disable`)).data.phoneLine.enabled).toBe(false);
    const list = await browser.call('GET', '/console/api/lines');
    expect(list.data.find((l: { phoneNumberId: number }) => l.phoneNumberId === id)).toMatchObject({
      enabled: false,
      ringTimeoutSeconds: 30,
    });
    expect(JSON.stringify(list.data)).not.toContain('console-pw');
    expect((await browser.call('POST', `/console/api/lines/${id}/enable`)).data.phoneLine.enabled).toBe(true);
    // Another tenant's line is not found.
    const theirs = await call(server, other.credentials, 'POST', '/apiOpen/v1/phone/create', {
      phoneNumber: '057166660002',
    });
    expect((await browser.call('POST', `/console/api/lines/${theirs.data.phoneLine.phoneNumberId}/disable`)).code).toBe(
      404,
    );
  });

  it('let an admin read the callback delivery log, as /apiOpen/v1/callback/list answers it', async () => {
    const browser = await signedIn(admin);
    const log = await browser.call('GET', '/console/api/callbacks?pageSize=5');
    const open = await call(server, tenant.credentials, 'GET', '/apiOpen/v1/callback/list?pageSize=5');
    expect(log.code, log.resultMsg).toBe(200);
    expect(log.data).toEqual(open.data);
    expect((await (await signedIn(member)).call('GET', '/console/api/callbacks')).code).toBe(403);
  });
});

describe('jobs', () => {
  it('answer exactly getTaskDetail’s data, and a list whose numbers equal it', async () => {
    const c1 = await tenant.customer();
    const c2 = await tenant.customer();
    const { jobId, taskOf } = await tenant.job({ name: '数字核对', customers: [c1.id, c2.id] });
    await tenant.calls([
      finishedCall({ jobId, task: taskOf.get(c1.id), intent: 'A' }),
      finishedCall({ jobId, task: taskOf.get(c2.id), result: 'NO_ANSWER' }),
      finishedCall({ jobId, task: taskOf.get(c2.id), result: 'BUSY' }),
    ]);
    const browser = await signedIn(member);
    const detail = await browser.call('GET', `/console/api/jobs/${jobId}`);
    const open = await getTaskDetail(server, tenant.credentials, jobId);
    expect(detail.code).toBe(200);
    expect(detail.data).toEqual(open.data);
    const list = await browser.call('GET', '/console/api/jobs?name=数字核对');
    const item = list.data.content[0];
    expect(item).toEqual({
      robotCallJobId: jobId,
      name: '数字核对',
      status: open.data.robotCallJob.status,
      completedTask: open.data.completedTask,
      taskCallTotal: open.data.taskCallTotal,
      callCount: open.data.callJobStatsInfo.taskCallTotal,
      answeredRate: open.data.callJobStatsInfo.answeredRate,
      createdByUserName: open.data.createdByUserName,
      creationTime: open.data.robotCallJob.creationTime.slice(0, 16),
    });
    expect(item.callCount).toBe(3);
    expect(item.answeredRate).toBe(33.33);
  });

  it('are created, filled, started, paused, resumed and stopped through the Open API’s services', async () => {
    await tenant.phoneLine('13800138000');
    const browser = await signedIn(member);
    const lines = await browser.call('GET', '/console/api/phoneLines');
    const flows = await browser.call('GET', '/console/api/dialogFlows');
    expect(flows.data.map((f: any) => f.dialogFlowId)).toContain(tenant.flowId);
    const created = await browser.call('POST', '/console/api/jobs', {
      body: {
        name: '控制台任务',
        mode: 'MANUAL',
        dialogFlowId: tenant.flowId,
        phoneType: 'MOBILE',
        jobPhoneNumberIdList: lines.data.map((l: any) => l.phoneNumberId),
        dailyStartTime: '09:00',
        dailyEndTime: '20:00',
      },
    });
    expect(created.code, created.resultMsg).toBe(200);
    const jobId = created.data.robotCallJobId;
    const imported = await browser.call('POST', `/console/api/jobs/${jobId}/customers`, {
      body: { customers: [{ phoneNumber: '13912345678', name: '张三' }, { phoneNumber: '12345' }] },
    });
    expect(imported.code, imported.resultMsg).toBe(200);
    expect(imported.data.accepted).toHaveLength(1);
    expect(imported.data.rejected).toEqual([{ index: 1, phoneNumber: '12345', reason: expect.any(String) }]);
    for (const [action, status] of [
      ['start', 'IN_PROCESS'],
      ['pause', 'USER_PAUSE'],
      ['resume', 'IN_PROCESS'],
      ['stop', 'TERMINATE'],
    ] as const) {
      const r = await browser.call('POST', `/console/api/jobs/${jobId}/${action}`);
      expect(r.data, action).toEqual({ robotCallJobId: jobId, status });
    }
    expect((await browser.call('DELETE', `/console/api/jobs/${jobId}`)).data).toEqual({
      robotCallJobId: jobId,
      deleted: true,
    });
    expect((await browser.call('GET', `/console/api/jobs/${jobId}`)).code).toBe(404);
  });

  it('are created from the later job/create body: inactive windows and redial condition as job/getJobDetail shows them', async () => {
    const line = await tenant.phoneLine('13800138001');
    const browser = await signedIn(member);
    const created = await browser.call('POST', '/console/api/jobs', {
      body: {
        name: '两段免打扰',
        mode: 'MANUAL',
        dialogFlowId: tenant.flowId,
        phoneType: 'MOBILE',
        jobPhoneNumberIdList: [line],
        dailyStartTime: '09:30',
        dailyEndTime: '19:00',
        inactiveTimeList: [
          { startTime: '12:00', endTime: '13:30' },
          { startTime: '17:00', endTime: '17:30' },
        ],
        redialCondition: ['NO_ANSWER', 'BUSY'],
        redialInterval: 30,
        redialTimes: 2,
      },
    });
    expect(created.code, created.resultMsg).toBe(200);
    const jobId = created.data.robotCallJobId;
    const later = await call(server, tenant.credentials, 'GET', `/apiOpen/v1/job/getJobDetail?robotCallJobId=${jobId}`);
    expect(later.code, later.resultMsg).toBe(200);
    // The console's later detail (the job detail screen's windows and redial rule) is exactly it.
    expect((await browser.call('GET', `/console/api/jobs/${jobId}/later`)).data).toEqual(later.data);
    expect((await browser.call('GET', `/console/api/jobs/${jobId + 1000}/later`)).code).toBe(404);
    expect(later.data.robotCallJob).toMatchObject({
      name: '两段免打扰',
      inactiveTimeList: [
        { startTime: '12:00', endTime: '13:30' },
        { startTime: '17:00', endTime: '17:30' },
      ],
      redialCondition: ['NO_ANSWER', 'BUSY'],
      redialInterval: 30,
      redialTimes: 2,
    });
  });

  it('record the signed-in console user as the creator of the jobs created in the console', async () => {
    const line = await tenant.phoneLine('13800138003');
    const browser = await signedIn(member);
    const body = {
      name: '谁建的',
      mode: 'MANUAL',
      dialogFlowId: tenant.flowId,
      phoneType: 'MOBILE',
      jobPhoneNumberIdList: [line],
      dailyStartTime: '09:00',
      dailyEndTime: '20:00',
    };
    const created = await browser.call('POST', '/console/api/jobs', { body });
    expect(created.code, created.resultMsg).toBe(200);
    const jobId = created.data.robotCallJobId;
    // The console's detail and list, the 2018 detail and the later checkAll all name the creator.
    expect((await browser.call('GET', `/console/api/jobs/${jobId}`)).data.createdByUserName).toBe(member.username);
    const list = await browser.call('GET', '/console/api/jobs?name=谁建的');
    expect(list.data.content[0]).toMatchObject({ robotCallJobId: jobId, createdByUserName: member.username });
    expect((await getTaskDetail(server, tenant.credentials, jobId)).data.createdByUserName).toBe(member.username);
    const check = await call(server, tenant.credentials, 'POST', '/apiOpen/v1/job/checkAll', {
      operation: 'START',
      robotCallJobIdSet: [jobId],
    });
    expect(check.data.unexecutable[0]).toMatchObject({ robotCallJobId: jobId, createUserName: member.username });
    // A job created with an appKey has no person behind it: no creator.
    const open = await call(server, tenant.credentials, 'POST', '/apiOpen/v1/job/create', {
      concurrencyQuota: 1,
      jobPhoneNumberIdList: [line],
      robotCallJob: { ...body, name: '接口建的' },
    });
    expect(open.code, open.resultMsg).toBe(200);
    expect(
      (await getTaskDetail(server, tenant.credentials, open.data.robotCallJobId)).data.createdByUserName,
    ).toBeNull();
  });

  it('refuse what job/create refuses, with 412 naming the field (the later limits)', async () => {
    const line = await tenant.phoneLine('13800138002');
    const browser = await signedIn(member);
    const body = {
      name: '限制',
      mode: 'MANUAL',
      dialogFlowId: tenant.flowId,
      phoneType: 'MOBILE',
      jobPhoneNumberIdList: [line],
      dailyStartTime: '09:00',
      dailyEndTime: '20:00',
    };
    const window = { startTime: '12:00', endTime: '13:00' };
    for (const [change, field] of [
      [{ dailyStartTime: '08:30' }, 'dailyStartTime'],
      [{ dailyEndTime: '20:30' }, 'dailyEndTime'],
      [{ inactiveTimeList: [window, window, window, window] }, 'inactiveTimeList'],
      [{ inactiveTimeList: [{ startTime: '13:00', endTime: '12:00' }] }, 'inactiveTimeList[0].endTime'],
      [{ redialCondition: ['ANSWERED'], redialInterval: 30, redialTimes: 1 }, 'redialCondition'],
      [{ redialCondition: ['BUSY'], redialTimes: 1 }, 'redialInterval'],
      [{ redialCondition: ['BUSY'], redialInterval: 5, redialTimes: 1 }, 'redialInterval'],
      [{ jobPhoneNumberIdList: [] }, 'jobPhoneNumberIdList'],
    ] as const) {
      const r = await browser.call('POST', '/console/api/jobs', { body: { ...body, ...change } });
      expect(r.code, JSON.stringify(change)).toBe(412);
      expect(r.resultMsg, JSON.stringify(change)).toContain(field);
    }
  });

  it('refuse an illegal move with 412 and the same reason as the Open API', async () => {
    const browser = await signedIn(member);
    const { jobId } = await tenant.job({ status: 'NOT_STARTED' });
    const r = await browser.call('POST', `/console/api/jobs/${jobId}/resume`);
    const open = await call(server, tenant.credentials, 'POST', '/apiOpen/v1/task/resume', { robotCallJobId: jobId });
    expect(r.code).toBe(412);
    expect(r.resultMsg).toBe(open.resultMsg);
  });

  it('of another tenant are not found (404), for every route that names one', async () => {
    const browser = await signedIn(member);
    const c = await other.customer();
    const { jobId, taskOf } = await other.job({ customers: [c.id] });
    const recordId = await other.call(finishedCall({ jobId, task: taskOf.get(c.id) }));
    for (const [method, path, body] of [
      ['GET', `/console/api/jobs/${jobId}`],
      ['POST', `/console/api/jobs/${jobId}/pause`],
      ['DELETE', `/console/api/jobs/${jobId}`],
      ['POST', `/console/api/jobs/${jobId}/customers`, { customers: [{ phoneNumber: '13900001111' }] }],
      ['POST', `/console/api/jobs/${jobId}/records`, {}],
      ['GET', `/console/api/jobs/${jobId}/records.csv`],
      ['GET', `/console/api/jobs/${jobId}/records.xlsx`],
      ['GET', `/console/api/records/${recordId}`],
    ] as const) {
      const r = await browser.call(method, path, { body });
      expect(r.code, `${method} ${path}`).toBe(404);
    }
    // And nothing of it changed.
    expect((await getTaskDetail(server, other.credentials, jobId)).data.robotCallJob.status).toBe('IN_PROCESS');
  });

  it('refuse bad parameters with 412 naming them', async () => {
    const browser = await signedIn(member);
    expect((await browser.call('GET', '/console/api/jobs/abc')).resultMsg).toContain('id');
    expect((await browser.call('GET', '/console/api/jobs/0')).code).toBe(412);
    expect((await browser.call('GET', '/console/api/jobs?status=NOPE')).resultMsg).toContain('status');
    const r = await browser.call('POST', '/console/api/jobs', { body: { name: '' } });
    expect(r.code).toBe(412);
  });
});

describe('call records', () => {
  it('are getCallRecordInfoList’s page and callDetail’s data', async () => {
    const c = await tenant.customer({ name: '李四' });
    const { jobId, taskOf } = await tenant.job({ customers: [c.id] });
    const recordId = await tenant.call(finishedCall({ jobId, task: taskOf.get(c.id), intent: 'A' }));
    await tenant.call(finishedCall({ jobId, phone: '13700000000', result: 'BUSY' }));
    const browser = await signedIn(member);
    const filters = { resultStatuses: ['ANSWERED'], pageSize: 5 };
    const page = await browser.call('POST', `/console/api/jobs/${jobId}/records`, { body: filters });
    const open = await call(server, tenant.credentials, 'POST', '/apiOpen/v1/task/getCallRecordInfoList', {
      ...filters,
      robotCallJobId: jobId,
    });
    expect(page.code).toBe(200);
    expect(page.data).toEqual(open.data);
    expect(page.data.totalElements).toBe(1);
    const detail = await browser.call('GET', `/console/api/records/${recordId}`);
    const openDetail = await call(
      server,
      tenant.credentials,
      'GET',
      `/apiOpen/v1/task/callDetail?callRecordId=${recordId}`,
    );
    expect(detail.data).toEqual(openDetail.data);
  });
});

describe('call records with the later list’s filters', () => {
  const LATER_LIST = '/apiOpen/v1/callRecord/getCallRecordInfoList';
  let jobId: number;
  beforeAll(async () => {
    const customers = [await tenant.customer({ name: '王五' }), await tenant.customer({ name: '赵六' })];
    const job = await tenant.job({ customers: customers.map((c) => c.id) });
    jobId = job.jobId;
    const [a, b] = customers.map((c) => job.taskOf.get(c.id));
    await tenant.calls([
      finishedCall({ jobId, task: a, result: 'NO_ANSWER', at: T0 }),
      finishedCall({ jobId, task: a, duration: 20, at: T0 + 60_000, concerns: ['价格'] }),
      finishedCall({ jobId, task: b, duration: 90, at: T0 + 120_000, intent: 'A' }),
      finishedCall({ jobId, task: b, result: 'BUSY', at: T0 + 180_000 }),
      finishedCall({ jobId, phone: '13700000001', duration: 45, at: T0 + 240_000 }),
    ]);
  });

  const ids = (page: any) => page.data.content.map((r: any) => r.callRecordId);

  it('list the records the later callRecord/getCallRecordInfoList lists, in the 2018 list’s shape', async () => {
    const browser = await signedIn(member);
    for (const filters of [
      { chatDurationMin: 30 },
      { chatDurationMin: 10, chatDurationMax: 60 },
      { customerPersonName: '王' },
      { calledPhoneNumber: '13700000001' },
      { customerConcern: ['价格'] },
      { hangupBy: 'ROBOT_HANGUP' },
      { readStatus: 'NOT_READ' },
      { realIntent: false },
      { lastCallRecord: true },
      { lastCallRecord: true, redialTimes: 0 },
      { chatDurationMin: 1, resultStatuses: ['ANSWERED'], intentLevels: ['A'] },
    ]) {
      const page = await browser.call('POST', `/console/api/jobs/${jobId}/records`, { body: filters });
      const later = await call(server, tenant.credentials, 'POST', LATER_LIST, { ...filters, robotCallJobId: jobId });
      expect(page.code, page.resultMsg).toBe(200);
      expect(later.code, later.resultMsg).toBe(200);
      expect(ids(page), JSON.stringify(filters)).toEqual(ids(later));
      expect(page.data.totalElements).toBe(later.data.totalElements);
    }
    // The same items as the 2018 list's (customerPersonInfo, dialogFlowName…), only fewer.
    const all = await call(server, tenant.credentials, 'POST', '/apiOpen/v1/task/getCallRecordInfoList', {
      robotCallJobId: jobId,
    });
    const long = await browser.call('POST', `/console/api/jobs/${jobId}/records`, { body: { chatDurationMin: 30 } });
    expect(long.data.content).toEqual(all.data.content.filter((r: any) => r.chatDuration >= 30));
  });

  it('combine with the 2018 filters', async () => {
    const browser = await signedIn(member);
    const page = await browser.call('POST', `/console/api/jobs/${jobId}/records`, {
      body: { chatDurationMin: 1, searchWords: '赵' },
    });
    const all = await call(server, tenant.credentials, 'POST', '/apiOpen/v1/task/getCallRecordInfoList', {
      robotCallJobId: jobId,
      searchWords: '赵',
    });
    expect(ids(page)).toEqual(all.data.content.filter((r: any) => r.chatDuration >= 1).map((r: any) => r.callRecordId));
    expect(ids(page)).toHaveLength(1);
  });

  it('refuse what the later list refuses, with 412 naming the filter', async () => {
    const browser = await signedIn(member);
    for (const [filters, field] of [
      [{ redialTimes: 1 }, 'redialTimes'],
      [{ lastCallRecord: true, hangupBy: 'ROBOT_HANGUP' }, 'hangupBy'],
      [{ lastCallRecord: true, getTrainTaskList: true }, 'lastCallRecord'],
      [{ chatDurationMin: 60, chatDurationMax: 10 }, 'chatDurationMax'],
      [{ hangupBy: 'NOPE' }, 'hangupBy'],
    ] as const) {
      const r = await browser.call('POST', `/console/api/jobs/${jobId}/records`, { body: filters });
      expect(r.code, JSON.stringify(filters)).toBe(412);
      expect(r.resultMsg).toContain(field);
      const csv = await browser.raw(
        'GET',
        `/console/api/jobs/${jobId}/records.csv?${new URLSearchParams(filters as any)}`,
      );
      expect(((await csv.json()) as any).code).toBe(412);
    }
  });

  it('apply to the export too', async () => {
    const browser = await signedIn(member);
    const later = await call(server, tenant.credentials, 'POST', LATER_LIST, {
      robotCallJobId: jobId,
      chatDurationMin: 30,
      customerConcern: [],
    });
    const response = await browser.raw('GET', `/console/api/jobs/${jobId}/records.csv?chatDurationMin=30`);
    expect(response.status).toBe(200);
    const lines = (await response.text()).trim().split('\r\n').slice(1);
    expect(lines.map((l) => Number(l.split(',')[0]))).toEqual(ids(later));
    expect(lines).toHaveLength(2);
    const last = await browser.raw('GET', `/console/api/jobs/${jobId}/records.csv?lastCallRecord=true&redialTimes=1`);
    const lastIds = (await last.text())
      .trim()
      .split('\r\n')
      .slice(1)
      .map((l) => Number(l.split(',')[0]));
    const laterLast = await call(server, tenant.credentials, 'POST', LATER_LIST, {
      robotCallJobId: jobId,
      lastCallRecord: true,
      redialTimes: 1,
    });
    expect(lastIds).toEqual(ids(laterLast));
  });
});

describe('the audit log', () => {
  it('enters console actions with the user’s name', async () => {
    const browser = await signedIn(member);
    const { jobId } = await tenant.job({ status: 'NOT_STARTED' });
    await browser.call('POST', `/console/api/jobs/${jobId}/stop`);
    const log = await call(server, tenant.credentials, 'GET', `/apiOpen/v1/auditLog/list?robotCallJobId=${jobId}`);
    expect(log.code, log.resultMsg).toBe(200);
    expect(log.data.content[0]).toMatchObject({
      userName: member.username,
      appKey: 'console',
      action: 'console/jobs/:id/stop',
      code: 200,
    });
  });
});

describe('passwords', () => {
  it('change with the current one; the new one signs in, the old one no longer', async () => {
    const u = await consoleUser(server.database, tenant.credentials.tenantSign, 'member');
    const browser = await signedIn(u);
    const elsewhere = await signedIn(u);
    const wrong = await browser.call('POST', '/console/api/password', {
      body: { currentPassword: 'nope-nope', newPassword: 'a-new-password' },
    });
    expect(wrong.code).toBe(412);
    expect(wrong.resultMsg).toContain('currentPassword');
    const short = await browser.call('POST', '/console/api/password', {
      body: { currentPassword: u.password, newPassword: 'short' },
    });
    expect(short.code).toBe(412);
    expect(short.resultMsg).toContain('newPassword');
    const ok = await browser.call('POST', '/console/api/password', {
      body: { currentPassword: u.password, newPassword: 'a-new-password' },
    });
    expect(ok.code).toBe(200);
    // This session goes on; the user's other sessions end.
    expect((await browser.call('GET', '/console/api/session')).code).toBe(200);
    expect((await elsewhere.call('GET', '/console/api/session')).code).toBe(401);
    expect((await new ConsoleBrowser(server.url).signIn(u.username, u.password)).code).toBe(401);
    expect((await new ConsoleBrowser(server.url).signIn(u.username, 'a-new-password')).code).toBe(200);
  });
});

describe('paths under /console/api/ that are not routes', () => {
  it('are the 404 envelope, never the page', async () => {
    const r = await new ConsoleBrowser(server.url).call('GET', '/console/api/nothing-here');
    expect(r.code).toBe(404);
  });
});
