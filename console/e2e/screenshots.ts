import { type ChildProcess, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CONSOLE_INDEX, hasChromium, launchBrowser, ROOT } from './browser.js';

/*
 * `npm run screenshots`: starts the demo (`outcall serve --demo`, in a throw-away folder with its
 * own database), signs in with the demo's console login, and saves a PNG of every screen to the
 * OS temp dir; the two the README shows are also written to docs/images/.
 */

const OUT = join(tmpdir(), 'outcall-console-screenshots');
const README_IMAGES = join(ROOT, 'docs', 'images');

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.listen(0, '127.0.0.1', () => {
      const address = s.address();
      s.close(() => (typeof address === 'object' && address ? resolve(address.port) : reject(new Error('no port'))));
    });
  });
}

async function startDemo(
  dir: string,
  port: number,
): Promise<{ child: ChildProcess; login: { username: string; password: string } }> {
  const child = spawn(
    process.execPath,
    [join(ROOT, 'dist', 'cli.js'), 'serve', '--demo', '--port', String(port), '--speed', '20'],
    {
      cwd: dir,
      env: { ...process.env, OUTCALL_SECRET_KEY: randomBytes(32).toString('hex'), LOG_LEVEL: 'warn' },
      stdio: ['ignore', 'ignore', 'inherit'],
    },
  );
  const file = join(dir, 'data', 'demo-credentials.json');
  for (let i = 0; i < 600; i++) {
    if (child.exitCode !== null) throw new Error(`the demo server exited (${child.exitCode})`);
    if (existsSync(file)) {
      const saved = JSON.parse(readFileSync(file, 'utf8')) as { console?: { username: string; password: string } };
      if (saved.console) return { child, login: saved.console };
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  child.kill('SIGTERM');
  throw new Error('the demo did not write its console login within 60 s');
}

/** Stops the demo: SIGTERM, and SIGKILL if it has not exited within 10 s. */
async function stop(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null) return;
  const exited = new Promise((r) => child.once('exit', r));
  child.kill('SIGTERM');
  const timer = setTimeout(() => child.kill('SIGKILL'), 10_000);
  await exited;
  clearTimeout(timer);
}

async function main(): Promise<void> {
  if (!hasChromium) throw new Error('/usr/bin/chromium is needed (apt-get install -y chromium fonts-noto-cjk)');
  if (!existsSync(CONSOLE_INDEX)) throw new Error('dist/console is not built: run npm run build:console');
  mkdirSync(OUT, { recursive: true });
  mkdirSync(README_IMAGES, { recursive: true });
  const dir = mkdtempSync(join(tmpdir(), 'outcall-screenshots-'));
  const port = await freePort();
  const base = `http://127.0.0.1:${port}/console`;
  const { child, login } = await startDemo(dir, port);
  const browser = await launchBrowser();
  const saved: string[] = [];
  try {
    const page = await browser.newPage({ viewport: { width: 1360, height: 860 }, locale: 'zh-CN' });
    const shot = async (name: string, options: { fullPage?: boolean; readme?: string } = {}) => {
      await page.waitForTimeout(600); // transitions and chart animations
      const path = join(OUT, `${name}.png`);
      await page.screenshot({ path, fullPage: options.fullPage ?? false });
      saved.push(path);
      if (options.readme) {
        const readmePath = join(README_IMAGES, options.readme);
        await page.screenshot({ path: readmePath, fullPage: false });
        saved.push(readmePath);
      }
    };

    await page.goto(`${base}/`);
    await page.locator('.signin-submit').waitFor();
    await shot('signin');
    await page.fill('input[name=username]', login.username);
    await page.fill('input[name=password]', login.password);
    await page.click('.signin-submit');
    await page.locator('.jobs-table .el-table__row').first().waitFor();
    await shot('jobs', { readme: 'console-jobs.png' });

    // The demo job with the most calls shows the charts best.
    const jobs = await page.evaluate(async () => {
      const r = await fetch('/console/api/jobs?pageSize=100');
      return ((await r.json()) as { data: { content: { robotCallJobId: number; callCount: number }[] } }).data.content;
    });
    const best = [...jobs].sort((a, b) => b.callCount - a.callCount)[0]!;
    await page.goto(`${base}/jobs/${best.robotCallJobId}`);
    await page.locator('.charts canvas').first().waitFor();
    await shot('job-detail', { readme: 'console-job-detail.png' });
    await shot('job-detail-full', { fullPage: true });

    await page.goto(`${base}/jobs/${best.robotCallJobId}/records`);
    await page.locator('.records-table .el-table__row').first().waitFor();
    await shot('records');
    await page.locator('.records-table .el-table__row').first().click();
    await page.locator('.record-drawer .el-descriptions').waitFor();
    await shot('record-transcript');
    await page.keyboard.press('Escape');

    await page.goto(`${base}/jobs/new`);
    await page.locator('.flow-select').waitFor();
    await page.fill('input[name=name]', '截图示例任务');
    await shot('new-job', { fullPage: true });
    await page.click('.create-job');
    await page.waitForURL(/\/import$/);
    const csv = [
      '电话号码,姓名,性别,城市',
      '13800138000,张三,男,杭州',
      '13900139000,李四,女,上海',
      '138-0013-8001,王五,男,北京',
      '12345,号码有误,女,广州',
      '13800138000,张三重复,男,杭州',
    ].join('\n');
    await page.setInputFiles('.file-input', { name: '客户.csv', mimeType: 'text/csv', buffer: Buffer.from(csv) });
    await page.locator('.preview').waitFor();
    await shot('import-preview');
    await page.click('.import-submit');
    await page.locator('.outcomes').waitFor();
    await page.locator('.summary .el-radio-button', { hasText: '全部' }).click();
    await shot('import-result');

    await page.goto(`${base}/settings`);
    await page.locator('.keys-table .el-table__row').first().waitFor();
    await shot('settings');

    await page.goto(`${base}/jobs`);
    await page.locator('.locale-switch .el-radio-button', { hasText: 'EN' }).click();
    await page.locator('.jobs-table .el-table__row').first().waitFor();
    await shot('jobs-english');
  } catch (error) {
    console.error(error);
    process.exitCode = 1;
  } finally {
    await browser.close();
    await stop(child);
    rmSync(dir, { recursive: true, force: true });
  }
  for (const path of saved) console.log(path);
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
