import { mkdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { consoleUser } from '../../test/consoleClient.js';
import { TenantFixture } from '../../test/fixtures.js';
import { allCallRecords, startTestServer, type TestServer } from '../../test/harness.js';
import { ENGLISH_FLOW, FIVE_TURNS } from '../../test/trainingFlow.js';
import { ensureConsoleBuilt, hasChromium, launchBrowser } from './browser.js';

/*
 * Script training in a real browser (docs/dialog-flows.md): a new user writes a flow in the
 * structured editor (the server's problem shown at its field, the variables previewed), trains it
 * in a five-turn chat — two questions answered, closed as interested, level A by the first rule —
 * and finds the chat among the training calls.
 */

const SHOTS = join(tmpdir(), 'outcall-console-training');

let server: TestServer;
let tenant: TenantFixture;
let user: { username: string; password: string };
let browser: Browser;
let page: Page;

beforeAll(async () => {
  if (!hasChromium) return;
  ensureConsoleBuilt();
  server = await startTestServer();
  tenant = await TenantFixture.create(server.database);
  user = await consoleUser(server.database, tenant.credentials.tenantSign, 'member');
  browser = await launchBrowser();
  page = await browser.newPage({ viewport: { width: 1360, height: 900 }, locale: 'zh-CN' });
  mkdirSync(SHOTS, { recursive: true });
}, 120_000);
afterAll(async () => {
  await browser?.close();
  await server?.close();
});

const shot = (name: string) => page.screenshot({ path: join(SHOTS, `${name}.png`), fullPage: true });
const lines = (list: string[]) => list.join('\n');

describe.skipIf(!hasChromium)('script training in the console', () => {
  it('writes a flow, trains it in five turns and lists the chat as a training call', async () => {
    await page.goto(`${server.url}/console/signin`);
    await page.fill('input[name=username]', user.username);
    await page.fill('input[name=password]', user.password);
    await page.click('.signin-submit');
    await page.waitForURL(/\/console\/jobs$/);
    await page.click('.nav-flows');
    await page.waitForURL(/\/console\/flows$/);
    await page.click('.new-flow');
    await page.waitForURL(/\/console\/flows\/new$/);

    const f = ENGLISH_FLOW;
    await page.fill('input[name=flowName]', '少儿英语');
    await page.fill('textarea[name=opening]', f.opening);
    await page.fill('textarea[name=pitch]', lines(f.pitch));
    await page.click('.add-question');
    for (const [i, q] of f.questions.entries()) {
      const question = page.locator(`[data-question="${i}"]`);
      await question.locator('input[name=concern]').fill(q.concern);
      await question.locator('textarea[name=keywords]').fill(lines(q.keywords));
      // The second question's phrasings are left out at first: the server names that field.
      if (i === 0) await question.locator('textarea[name=phrasings]').fill(lines(q.phrasings));
      await question.locator('input[name=answer]').fill(q.answer);
    }
    for (const k of ['interested', 'neutral', 'declined', 'busy'] as const)
      await page.fill(`input[name=closing-${k}]`, f.closings[k]);
    await page.locator('input[name=sample-姓名]').fill('王女士');
    await page.click('.save-flow');
    const problem = page.locator('[data-question="1"] .el-form-item__error');
    await expect.poll(() => problem.count()).toBe(1);
    expect(await problem.innerText()).toContain('flow.questions[1].phrasings');
    await page.locator('[data-question="1"] textarea[name=phrasings]').fill(lines(f.questions[1]!.phrasings));
    expect(await page.locator('.preview-line').first().innerText()).toBe(
      '您好王女士，这里是晨光英语，想跟您介绍一下少儿英语课程，方便吗？',
    );
    await shot('01-flow-editor');

    // "Train this version" saves the new flow first (version 1), then opens the chat.
    await page.click('.train-flow');
    await page.waitForURL(/\/console\/training\?/);
    const robot = page.locator('.bubble.robot');
    await expect.poll(() => robot.count()).toBe(1);
    expect(await robot.first().innerText()).toContain('您好王女士');
    for (const [i, said] of FIVE_TURNS.entries()) {
      await page.fill('input[name=utterance]', said);
      await page.click('.send');
      await expect.poll(() => robot.count()).toBe(i + 2);
    }
    expect(await robot.nth(2).innerText()).toContain(f.questions[0]!.answer);
    expect(await robot.nth(2).innerText()).toContain('关键词「多少钱」');
    expect(await robot.nth(3).innerText()).toContain(f.questions[1]!.answer);
    expect(await robot.nth(5).innerText()).toContain(f.closings.interested);
    await page.locator('.training-records').waitFor();
    expect(await page.locator('.intent-level').innerText()).toBe('A');
    expect(await page.locator('.concerns').innerText()).toBe('价格、地址');
    expect(await page.locator('.rule-why').innerText()).toContain('intentRules[0]');
    await shot('02-training-chat');

    await page.click('.training-records');
    await page.waitForURL(/\/records\?training=1/);
    await expect.poll(() => page.locator('.el-table__row').count()).toBe(1);
    await shot('03-training-records');

    const flows = await allCallRecords(server, tenant.credentials, {
      robotCallJobId: Number(/jobs\/(\d+)\/records/.exec(page.url())![1]),
      getTrainTaskList: true,
    });
    expect(flows).toMatchObject([{ intentLevel: 'A', customerConcern: ['价格', '地址'], chatRound: 5 }]);
  }, 60_000);
});
