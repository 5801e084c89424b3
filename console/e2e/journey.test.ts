import { mkdirSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Papa from 'papaparse';
import type { Browser, Page, Request } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Dialer } from '../../src/dialer/dialer.js';
import { SimulatedTelephony } from '../../src/dialer/telephony.js';
import { type Cell, writeXlsx } from '../../src/services/xlsx.js';
import { consoleUser } from '../../test/consoleClient.js';
import { TenantFixture } from '../../test/fixtures.js';
import { allCallRecords, call, getTaskDetail, startTestServer, type TestServer } from '../../test/harness.js';
import { ensureConsoleBuilt, hasChromium, launchBrowser } from './browser.js';

/*
 * An operator's whole day in the console, in a real browser against the real server and database:
 * sign in, create a job, import customers (one bad row), start it, watch it progress while the
 * dialer calls, read its numbers (equal to getTaskDetail's), its records and a transcript, and
 * export them (equal to the API's list). And what must not work: a wrong password, another
 * tenant's job, a move the status forbids, a request without the CSRF token, an expired session.
 */

if (!hasChromium) console.warn('\n*** /usr/bin/chromium is missing: the console browser journey is SKIPPED. ***\n');

/** All of a stream's bytes. */
async function buffer(stream: NodeJS.ReadableStream): Promise<Buffer> {
  const parts: Buffer[] = [];
  for await (const part of stream) parts.push(Buffer.from(part as Buffer));
  return Buffer.concat(parts);
}

const SHOTS = join(tmpdir(), 'outcall-console-journey');
// 2024-05-01 10:00 in Asia/Shanghai: inside the default calling hours, whatever the time of the run.
const DIAL_T0 = Date.UTC(2024, 4, 1, 2, 0, 0);

let server: TestServer;
let tenant: TenantFixture;
let otherJobId: number;
let user: { username: string; password: string };
let browser: Browser;
let page: Page;
/** Added to the server's clock: expires the session without waiting. */
let clockOffset = 0;

beforeAll(async () => {
  if (!hasChromium) return;
  ensureConsoleBuilt();
  server = await startTestServer({ now: () => Date.now() + clockOffset });
  tenant = await TenantFixture.create(server.database);
  // A caller line: the later job/create (the console's) needs at least one.
  await tenant.phoneLine('13800138000');
  user = await consoleUser(server.database, tenant.credentials.tenantSign, 'admin');
  const other = await TenantFixture.create(server.database);
  otherJobId = (await other.job({ name: '别人的任务' })).jobId;
  browser = await launchBrowser();
  page = await browser.newPage({ viewport: { width: 1360, height: 900 }, acceptDownloads: true, locale: 'zh-CN' });
  mkdirSync(SHOTS, { recursive: true });
}, 120_000);
afterAll(async () => {
  await browser?.close();
  await server?.close();
});

const shot = (name: string) => page.screenshot({ path: join(SHOTS, `${name}.png`), fullPage: true });
const text = async (selector: string) => (await page.locator(selector).first().innerText()).trim();
const confirmDialog = () => page.locator('.el-message-box__btns .el-button--primary').click();

const customersCsv = [
  '电话号码,姓名,性别,城市',
  ...Array.from({ length: 8 }, (_, i) => `1391234${String(i).padStart(4, '0')},客户${i},${i % 2 ? '女' : '男'},杭州`),
  '12345,坏号码,男,上海',
].join('\n');

describe.skipIf(!hasChromium)('the console in a browser', () => {
  it('refuses a wrong password and says so', async () => {
    await page.goto(`${server.url}/console/`);
    await page.waitForURL(/\/console\/signin/);
    await page.fill('input[name=username]', user.username);
    await page.fill('input[name=password]', 'not-the-password');
    await page.click('.signin-submit');
    await expect.poll(() => text('.signin-error')).not.toBe('');
    await shot('01-signin-wrong-password');
    expect(page.url()).toMatch(/\/console\/signin/);
  });

  let jobId: number;

  it('signs in, creates a job, and imports customers, showing the bad row with its reason', async () => {
    await page.fill('input[name=password]', user.password);
    await page.click('.signin-submit');
    await page.waitForURL(/\/console\/jobs$/);
    await page.locator('.jobs-table').waitFor();
    await shot('02-jobs-empty');

    await page.click('.new-job');
    await page.waitForURL(/\/console\/jobs\/new$/);
    await page.locator('.flow-select').waitFor();
    await page.click('.create-job'); // nothing filled in: the form says what is missing
    await expect.poll(() => page.locator('.el-form-item__error').count()).toBeGreaterThan(0);
    await page.fill('input[name=name]', '春季回访');
    // Two inactive windows (their first guesses: 12:00–13:30, 17:30–18:30) and a redial condition.
    await page.click('.add-window');
    await page.click('.add-window');
    await page.click('.redial-switch');
    await page.locator('.redial-interval input').fill('6');
    await page.locator('.redial-interval input').blur();
    await shot('03-new-job');
    await page.click('.create-job');
    await page.waitForURL(/\/console\/jobs\/\d+\/import$/);
    jobId = Number(/jobs\/(\d+)\/import/.exec(page.url())![1]);
    const later = await call(server, tenant.credentials, 'GET', `/apiOpen/v1/job/getJobDetail?robotCallJobId=${jobId}`);
    expect(later.data.robotCallJob).toMatchObject({
      inactiveTimeList: [
        { startTime: '12:00', endTime: '13:30' },
        { startTime: '17:30', endTime: '18:30' },
      ],
      redialCondition: ['NO_ANSWER', 'BUSY'],
      redialInterval: 6,
      redialTimes: 1,
    });

    await page.setInputFiles('.file-input', {
      name: 'customers.csv',
      mimeType: 'text/csv',
      buffer: Buffer.from(`\ufeff${customersCsv}`),
    });
    await page.locator('.preview').waitFor();
    expect(await page.locator('.preview .el-table__row').count()).toBe(9);
    await shot('04-import-preview');
    await page.click('.import-submit');
    await page.locator('.outcomes').waitFor();
    expect(await text('.accepted-count')).toContain('8');
    expect(await text('.rejected-count')).toContain('1');
    const rejected = page.locator('.outcomes .el-table__row');
    expect(await rejected.count()).toBe(1);
    expect(await rejected.first().innerText()).toContain('not a mainland mobile or landline number');
    expect(await rejected.first().innerText()).toContain('10'); // line 10 of the file
    await shot('05-import-result');

    const detail = (await getTaskDetail(server, tenant.credentials, jobId)).data;
    expect(detail.robotCallJob.name).toBe('春季回访');
    expect(detail.taskCallTotal).toBe(8);
    expect(detail.robotCallJob.status).toBe('RUNNABLE');
  });

  it('imports a large XLSX in requests of at most 1000 rows, with every row accounted for', async () => {
    const created = await call(server, tenant.credentials, 'POST', '/apiOpen/v1/task/create', {
      name: '大批量导入',
      dialogFlowId: tenant.flowId,
    });
    const bigJobId: number = created.data.robotCallJobId;
    const rows: Cell[][] = Array.from({ length: 1200 }, (_, i) => [`1370000${String(i).padStart(4, '0')}`, `批量${i}`]);
    rows.splice(1100, 0, ['0000', '坏号码']); // file line 1102
    rows.push(['13700000000', '重复']); // repeats line 2, in the second request
    const xlsx = await buffer(
      writeXlsx(
        '客户',
        ['手机号码', '姓名'],
        (async function* () {
          yield rows;
        })(),
      ),
    );
    const imports: number[] = [];
    const onRequest = (request: Request) => {
      if (request.url().endsWith(`/console/api/jobs/${bigJobId}/customers`))
        imports.push((JSON.parse(request.postData() ?? '{}') as { customers: unknown[] }).customers.length);
    };
    page.on('request', onRequest);
    await page.goto(`${server.url}/console/jobs/${bigJobId}/import`);
    await page.setInputFiles('.file-input', {
      name: '客户.xlsx',
      mimeType: 'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet',
      buffer: xlsx,
    });
    await page.locator('.preview').waitFor();
    await page.click('.import-submit');
    await page.locator('.outcomes').waitFor();
    page.off('request', onRequest);
    expect(imports).toEqual([1000, 202]);
    expect(await text('.accepted-count')).toContain('1200');
    expect(await text('.rejected-count')).toContain('2');
    const reasons = await page.locator('.outcomes .el-table__row').allInnerTexts();
    expect(reasons).toHaveLength(2);
    expect(reasons[0]).toContain('1102');
    expect(reasons[0]).toContain('not a mainland mobile or landline number');
    expect(reasons[1]).toContain('1203');
    expect(reasons[1]).toContain('already in this job');
    expect(await page.locator('.import-progress').getAttribute('aria-valuenow')).toBe('100');
    await shot('05b-import-xlsx');
    expect((await getTaskDetail(server, tenant.credentials, bigJobId)).data.taskCallTotal).toBe(1200);
  });

  it('starts the job, refuses an illegal move with the server reason, and shows progress live', async () => {
    await page.goto(`${server.url}/console/jobs/${jobId}`);
    await page.locator('.action-start').waitFor();
    await page.click('.action-start');
    await confirmDialog();
    await expect.poll(() => text('.page-title .job-status')).toBe('进行中');

    // Resuming a running job: the server's 412 reason is shown as it is.
    await page.click('.action-resume');
    await confirmDialog();
    await expect.poll(() => text('.action-error')).toContain('cannot resume a job in status IN_PROCESS');
    await shot('06-illegal-move');

    expect(await text('[data-stat=taskCallTotal]')).toBe('0');
    let now = DIAL_T0;
    const clock = { now: () => now, sleep: async () => undefined };
    const dialer = new Dialer({
      database: server.database,
      telephony: new SimulatedTelephony({ speed: 1_000_000, seed: 7, clock }),
      clock,
    });
    const dial = async () => {
      await dialer.tick();
      await dialer.idle();
      now += 60_000;
    };
    await dial();
    await dial();
    // The page polls every 3 s while the job runs: the new calls appear without a reload.
    await expect.poll(() => text('[data-stat=taskCallTotal]'), { timeout: 10_000 }).toBe('2');
    await shot('07-detail-running');
    // Failed calls are redialled once, 6 minutes later: more rounds than the 8 customers.
    for (let i = 0; i < 40 && (await getTaskDetail(server, tenant.credentials, jobId)).data.completedTask < 8; i++)
      await dial();
    await dial(); // the dialer marks the job COMPLETED once nothing is left

    await page.reload();
    await page.locator('[data-stat=taskCallTotal]').waitFor();
    const api = (await getTaskDetail(server, tenant.credentials, jobId)).data;
    const stats = api.callJobStatsInfo;
    expect(stats.taskCallTotal).toBeGreaterThanOrEqual(8);
    expect({
      taskProgress: await text('[data-stat=taskProgress]'),
      completedTask: await text('[data-stat=completedTask]'),
      jobTaskCallTotal: await text('[data-stat=jobTaskCallTotal]'),
      taskCallTotal: await text('[data-stat=taskCallTotal]'),
      answeredTask: await text('[data-stat=answeredTask]'),
      answeredRate: await text('[data-stat=answeredRate]'),
      chatDurationTotal: await text('[data-stat=chatDurationTotal]'),
    }).toEqual({
      taskProgress: String(stats.taskProgress),
      completedTask: String(api.completedTask),
      jobTaskCallTotal: String(api.taskCallTotal),
      taskCallTotal: String(stats.taskCallTotal),
      answeredTask: String(stats.answeredTask),
      answeredRate: String(stats.answeredRate),
      chatDurationTotal: String(stats.chatDurationTotal),
    });
    expect(await text('.page-title .job-status')).toBe('已完成');
    // The settings: every inactive window and the redial rule (the later detail's), and who created the job.
    expect({
      windows: await text('[data-setting=inactiveWindows]'),
      redial: await text('[data-setting=redialRule]'),
      condition: await text('[data-setting=redialCondition]'),
    }).toEqual({
      windows: '12:00 – 13:30, 17:30 – 18:30',
      redial: '最多重拨 1 次，间隔 6 分钟',
      condition: '未接、占线',
    });
    expect(await page.locator('.settings').innerText()).toContain(user.username);
    // …and in English.
    await page.locator('.locale-switch').getByText('EN').click();
    await expect.poll(() => text('[data-setting=redialRule]')).toBe('At most 1 redial(s), 6 minutes apart');
    expect(await page.locator('.settings').innerText()).toContain('Inactive windows');
    await page.locator('.locale-switch').getByText('中文').click();
    await expect.poll(() => text('[data-setting=redialRule]')).toBe('最多重拨 1 次，间隔 6 分钟');
    // The charts (loaded on demand) are drawn.
    await expect.poll(() => page.locator('.charts canvas').count()).toBeGreaterThanOrEqual(4);
    await page.waitForTimeout(800); // chart animations
    await shot('08-detail');

    await page.goto(`${server.url}/console/jobs`);
    await page.locator('.jobs-table .el-table__row').first().waitFor();
    expect(await page.locator('.jobs-table .el-table__row').count()).toBe(2);
    await page.fill('input[name=jobName]', '春季');
    await page.keyboard.press('Enter');
    await expect.poll(() => page.locator('.jobs-table .el-table__row').count()).toBe(1);
    const row = page.locator('.jobs-table .el-table__row', { hasText: '春季回访' });
    await row.waitFor();
    expect(await row.innerText()).toContain(`${api.completedTask} / ${api.taskCallTotal}`);
    expect(await row.innerText()).toContain('已完成');
    await shot('09-jobs');
  });

  it('filters the records, opens a transcript, and exports the filtered records as the API lists them', async () => {
    const all = await allCallRecords(server, tenant.credentials, { robotCallJobId: jobId });
    const withTranscript = all.find((r) => r.callDetailList.length > 0);
    expect(withTranscript, 'some call has a transcript').toBeDefined();
    const status: string = withTranscript.resultStatus;
    const expected = await allCallRecords(server, tenant.credentials, {
      robotCallJobId: jobId,
      resultStatuses: [status],
    });

    await page.goto(`${server.url}/console/jobs/${jobId}/records`);
    await page.locator('.records-table .el-table__row').first().waitFor();
    expect(await page.locator('.records-table .el-table__row').count()).toBe(Math.min(20, all.length));
    await page.click('.result-filter');
    const labels: Record<string, string> = { ANSWERED: '已接听', NO_ANSWER: '未接', BUSY: '占线', REFUSED: '拒接' };
    await page
      .locator('.el-select-dropdown__item:visible', { hasText: labels[status] ?? status })
      .first()
      .click();
    await page.keyboard.press('Escape');
    await page.click('.records-search');
    await expect.poll(() => page.locator('.records-table .el-table__row').count()).toBe(Math.min(20, expected.length));
    const ids = await page.locator('.records-table .el-table__row td:first-child').allInnerTexts();
    expect(ids.map(Number)).toEqual(expected.slice(0, 20).map((r) => r.callRecordId));
    await shot('10-records');

    await page
      .locator('.records-table .el-table__row', { hasText: String(withTranscript.callRecordId) })
      .first()
      .click();
    const drawer = page.locator('.record-drawer');
    await drawer.locator('.turn').first().waitFor();
    const detail = (
      await call(
        server,
        tenant.credentials,
        'GET',
        `/apiOpen/v1/task/callDetail?callRecordId=${withTranscript.callRecordId}`,
      )
    ).data;
    const turns = await drawer.locator('.turn').allInnerTexts();
    expect(turns).toHaveLength(detail.callDetailList.length);
    expect(turns[0]).toContain(detail.callDetailList[0].type === 'ROBOT' ? '机器人' : '客户');
    expect(turns[0]).toContain(detail.callDetailList[0].text);
    expect(await drawer.innerText()).toContain(detail.customerPerson.name);
    await shot('11-transcript');
    await page.keyboard.press('Escape');

    const [download] = await Promise.all([page.waitForEvent('download'), page.click('.export-csv')]);
    const csv = readFileSync((await download.path())!, 'utf8');
    expect(csv.startsWith('\ufeff')).toBe(true);
    const rows = Papa.parse<string[]>(csv.slice(1), { skipEmptyLines: true }).data;
    expect(rows[0]![0]).toBe('通话ID');
    expect(rows.slice(1).map((r) => Number(r[0]))).toEqual(expected.map((r) => r.callRecordId));
    expect(rows.slice(1).every((r) => r[4] === status)).toBe(true);

    // A later list's filter, under "more filters": the records of at least 10 seconds, as callRecord/getCallRecordInfoList lists them.
    await page.click('.el-form .el-button:has-text("重置")');
    await page.click('.more-filters-toggle');
    await page.locator('.duration-min input').fill('10');
    await page.locator('.duration-min input').blur();
    const later = await call(server, tenant.credentials, 'POST', '/apiOpen/v1/callRecord/getCallRecordInfoList', {
      robotCallJobId: jobId,
      chatDurationMin: 10,
      pageSize: 20,
    });
    expect(later.code, later.resultMsg).toBe(200);
    expect(later.data.totalElements).toBeGreaterThan(0);
    expect(later.data.totalElements).toBeLessThan(all.length);
    await page.click('.records-search');
    await expect.poll(() => page.locator('.records-table .el-table__row').count()).toBe(later.data.content.length);
    const longIds = await page.locator('.records-table .el-table__row td:first-child').allInnerTexts();
    expect(longIds.map(Number)).toEqual(later.data.content.map((r: { callRecordId: number }) => r.callRecordId));
    await shot('10b-records-more-filters');
  });

  it('shows another tenant’s job as not found', async () => {
    await page.goto(`${server.url}/console/jobs/${otherJobId}`);
    await expect.poll(() => text('.load-error')).toContain('没有找到');
    expect(await page.locator('.job-name').count()).toBe(0);
    await shot('12-other-tenant');
  });

  it('refuses a changing request without the CSRF token', async () => {
    const answer = await page.evaluate(async (id) => {
      const r = await fetch(`/console/api/jobs/${id}/pause`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: '{}',
      });
      return (await r.json()) as { code: number };
    }, jobId);
    expect(answer.code).toBe(403);
  });

  it('lets an admin create an API key (its secret shown once) and disable it', async () => {
    await page.goto(`${server.url}/console/settings`);
    await page.locator('.keys-table .el-table__row').first().waitFor();
    const before = await page.locator('.keys-table .el-table__row').count();
    await page.click('.create-key');
    const secret = (await text('.app-secret')).trim();
    expect(secret.length).toBeGreaterThanOrEqual(16);
    await expect.poll(() => page.locator('.keys-table .el-table__row').count()).toBe(before + 1);
    await shot('13-settings');
    const appKey = (await page.locator('.secret-once code').first().innerText()).trim();
    const row = page.locator('.keys-table .el-table__row', { hasText: appKey });
    await row.locator('.el-button').click();
    await confirmDialog();
    await expect.poll(() => row.locator('.el-tag').innerText()).toBe('停用');
    // The secret is never shown again: the list has the appKey only.
    await page.reload();
    await page.locator('.keys-table .el-table__row').first().waitFor();
    expect(await page.locator('body').innerText()).not.toContain(secret);
  });

  it('lets an admin add a caller line, saying what is missing first', async () => {
    await page.goto(`${server.url}/console/settings`);
    await page.locator('.lines-table .el-table__row').first().waitFor();
    const before = await page.locator('.lines-table .el-table__row').count();
    await page.click('.add-line');
    const dialog = page.locator('.line-dialog');
    await dialog.locator('.save-line').click(); // no number: the form says so
    await expect.poll(() => dialog.locator('.el-form-item__error').count()).toBeGreaterThan(0);
    await dialog.locator('input[name=phoneNumber]').fill('0571-8888-6666');
    await dialog.locator('input[name=phoneName]').fill('杭州中继');
    await dialog.locator('.line-channels input').fill('2');
    await dialog.locator('.line-channels input').blur();
    await dialog.locator('input[name=sipUri]').fill('sip:trunk.example.com');
    await dialog.locator('input[name=sipPassword]').fill('trunk-password');
    await shot('14-line-dialog');
    await dialog.locator('.save-line').click();
    await dialog.waitFor({ state: 'hidden' });
    await expect.poll(() => page.locator('.lines-table .el-table__row').count()).toBe(before + 1);
    const row = page.locator('.lines-table .el-table__row', { hasText: '057188886666' });
    expect(await row.innerText()).toContain('杭州中继');
    await shot('15-lines');
    const lines = await call(server, tenant.credentials, 'GET', '/apiOpen/v1/phone/getPhoneList');
    const id = lines.data.find((l: { phoneNumber: string }) => l.phoneNumber === '057188886666').tenantPhoneNumberId;
    const detail = await call(
      server,
      tenant.credentials,
      'GET',
      `/apiOpen/v1/phone/getPhoneDetail?phoneNumberId=${id}`,
    );
    expect(detail.data).toMatchObject({ engine: 'external', channels: 2, hasSipPassword: true, phoneName: '杭州中继' });
    expect(await page.locator('body').innerText()).not.toContain('trunk-password');
  });

  it('changes the password, signs out, and signs in with the new one', async () => {
    await page.goto(`${server.url}/console/jobs`);
    await page.locator('.jobs-table').waitFor();
    await page.click('.user');
    await page.locator('.el-dropdown-menu__item', { hasText: '修改密码' }).click();
    const dialog = page.locator('.el-dialog');
    await dialog.locator('input').nth(0).fill(user.password);
    await dialog.locator('input').nth(1).fill('short');
    await dialog.locator('input').nth(2).fill('short');
    await dialog.locator('.el-button--primary').click();
    await expect.poll(() => dialog.locator('.el-alert').innerText()).toContain('至少 8 个字符');
    const newPassword = `${user.password}-new`;
    await dialog.locator('input').nth(1).fill(newPassword);
    await dialog.locator('input').nth(2).fill(newPassword);
    await dialog.locator('.el-button--primary').click();
    await dialog.waitFor({ state: 'hidden' });
    await page.click('.user');
    await page.locator('.el-dropdown-menu__item', { hasText: '退出登录' }).click();
    await page.waitForURL(/\/console\/signin/);
    await page.fill('input[name=username]', user.username);
    await page.fill('input[name=password]', user.password);
    await page.click('.signin-submit');
    await expect.poll(() => text('.signin-error')).not.toBe('');
    await page.fill('input[name=password]', newPassword);
    await page.click('.signin-submit');
    await page.waitForURL(/\/console\/jobs$/);
    user = { ...user, password: newPassword };
  });

  it('sends the user back to sign-in when the session has expired', async () => {
    await page.goto(`${server.url}/console/jobs`);
    await page.locator('.jobs-table').waitFor();
    clockOffset = 13 * 3600_000; // past idle and absolute expiry
    await page.click('.new-job');
    await page.waitForURL(/\/console\/signin/);
    await page.locator('.signin-submit').waitFor();
    clockOffset = 0;
  });
});
