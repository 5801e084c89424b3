import type { ChildProcess } from 'node:child_process';
import http from 'node:http';
import { sql } from 'kysely';
import Papa from 'papaparse';
import { readSheet } from 'read-excel-file/node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ConsoleBrowser, consoleUser } from '../../../test/consoleClient.js';
import { finishedCall, T0, TenantFixture } from '../../../test/fixtures.js';
import { createTestDatabase, type TestDatabase } from '../../../test/harness.js';
import { serveProcess } from '../../../test/serveProcess.js';

/*
 * An export that ends early must end only its own response. The real process (`node dist/cli.js
 * serve`, on a pool of two connections) serves a job of RECORDS call records; downloads of its CSV
 * and XLSX are closed by the client some way into the rows, and exports that meet a
 * record whose row cannot be written half-way through are cut off. After each, the process must
 * still run and answer — a full export and a list — and have logged one line for that download.
 */

/** Enough that each export is still streaming (12 batches of 500) when its client goes away. */
const RECORDS = 6000;
const POOL = 2;
/** Bytes of the body a client takes before it closes the connection: some way into the rows. */
const CLOSE_AFTER = 16 * 1024;

let testDb: TestDatabase;
let tenant: TenantFixture;
let jobId: number;
let brokenJobId: number;
let child: ChildProcess;
let url: string;
let output: () => string = () => '';
let browser: ConsoleBrowser;

async function seed(job: number, count: number, keyPrefix: string): Promise<void> {
  for (let i = 0; i < count; i += 2000) {
    const calls = Array.from({ length: Math.min(2000, count - i) }, (_, k) => {
      const n = i + k;
      return {
        ...finishedCall({
          jobId: job,
          phone: `1390000${String(n % 10_000).padStart(4, '0')}`,
          at: T0 + n * 1000,
          turns: [
            { type: 'ROBOT', text: `您好，这里是第${n}通外呼` },
            { type: 'PERSON', text: '好的，请讲' },
          ],
        }),
        idempotencyKey: `${keyPrefix}-${n}`,
      };
    });
    await tenant.calls(calls);
  }
}

beforeAll(async () => {
  testDb = await createTestDatabase();
  tenant = await TenantFixture.create(testDb.database);
  jobId = (await tenant.job({ status: 'COMPLETED' })).jobId;
  await seed(jobId, RECORDS, 'whole');
  // A second job whose record in the middle has a turn of a type no row can be written for: its
  // export fails half-way, after the file has begun.
  brokenJobId = (await tenant.job({ status: 'COMPLETED' })).jobId;
  await seed(brokenJobId, RECORDS, 'broken');
  await sql`update call_detail set type = 'GHOST' where call_record_id = (
      select id from call_record where job_id = ${brokenJobId} and start_time = ${T0 + (RECORDS / 2) * 1000})`.execute(
    testDb.database.db,
  );
  const user = await consoleUser(testDb.database, tenant.credentials.tenantSign, 'member');

  const served = await serveProcess(['--no-dialer'], {
    DATABASE_URL: testDb.databaseUrl,
    DATABASE_POOL_SIZE: String(POOL),
  });
  child = served.child;
  url = served.url;
  output = served.output;
  browser = new ConsoleBrowser(url);
  expect((await browser.signIn(user.username, user.password)).code).toBe(200);
}, 180_000);

afterAll(async () => {
  if (child && child.exitCode === null) {
    const exited = new Promise((done) => child.once('exit', done));
    child.kill('SIGTERM');
    await exited;
  }
  await testDb?.drop();
});

/** The log lines of the process since `from` characters of its output, parsed. */
function logLines(from: number): { msg: string; [k: string]: unknown }[] {
  return output()
    .slice(from)
    .split('\n')
    .filter((l) => l.startsWith('{'))
    .map((l) => JSON.parse(l));
}

/**
 * GETs `path` and closes the connection once `closeAfter` bytes of the body have arrived (or reads
 * it to the end); resolves with the status, the bytes read and whether the body came whole.
 */
function download(path: string, closeAfter = Number.POSITIVE_INFINITY) {
  return new Promise<{ status: number; bytes: number; complete: boolean }>((done, fail) => {
    const request = http.get(`${url}${path}`, { headers: { cookie: browser.cookie! } }, (response) => {
      let bytes = 0;
      response.on('data', (chunk: Buffer) => {
        bytes += chunk.length;
        if (bytes >= closeAfter) {
          request.destroy();
          done({ status: response.statusCode!, bytes, complete: false });
        }
      });
      response.on('end', () => done({ status: response.statusCode!, bytes, complete: response.complete }));
      // A body cut off by the server: an "aborted" error on the response.
      response.on('error', () => done({ status: response.statusCode!, bytes, complete: false }));
    });
    request.on('error', (error) => {
      if (!request.destroyed || child.exitCode !== null) fail(error);
    });
  });
}

/** The process runs, and answers a list and a whole export. */
async function stillServes(format: 'csv' | 'xlsx'): Promise<void> {
  expect(child.exitCode, output().slice(-4000)).toBeNull();
  const list = await browser.call('POST', `/console/api/jobs/${jobId}/records`, { body: { pageNum: 1, pageSize: 5 } });
  expect(list.code, output().slice(-4000)).toBe(200);
  const response = await browser.raw('GET', `/console/api/jobs/${jobId}/records.${format}`);
  expect(response.status).toBe(200);
  const body = Buffer.from(await response.arrayBuffer());
  if (format === 'csv') {
    const rows = Papa.parse<string[]>(body.toString('utf8').replace(/^\ufeff/, ''), { skipEmptyLines: true }).data;
    expect(rows.length - 1).toBe(RECORDS);
  } else expect((await readSheet(body)).length - 1).toBe(RECORDS);
}

/** Waits for the process to say something about the request, and returns its lines for `route`. */
async function linesAbout(from: number, route: string) {
  for (const started = Date.now(); Date.now() - started < 3000; ) {
    const lines = logLines(from).filter((l) => String(l.route ?? '').includes(route) && l.msg !== 'request');
    if (lines.length > 0) {
      // Anything more it says about the same download comes at once.
      await new Promise((r) => setTimeout(r, 100));
      return logLines(from).filter((l) => String(l.route ?? '').includes(route) && l.msg !== 'request');
    }
    await new Promise((r) => setTimeout(r, 20));
  }
  return [];
}

describe.each(['csv', 'xlsx'] as const)('the %s export', (format) => {
  it('closed by the client mid-body, again and again, ends that download only', async () => {
    for (let round = 0; round < POOL + 2; round++) {
      const from = output().length;
      const cut = await download(`/console/api/jobs/${jobId}/records.${format}`, CLOSE_AFTER);
      expect(cut.status).toBe(200);
      expect(cut.complete).toBe(false);
      const lines = await linesAbout(from, `records.${format}`);
      expect(child.exitCode, output().slice(from)).toBeNull();
      expect(lines, output().slice(from)).toHaveLength(1);
      expect(lines[0]!.msg).toMatch(/closed by the client/);
    }
    await stillServes(format);
  });

  it('whose read fails half-way is cut off, logged once, and the process serves on', async () => {
    for (let round = 0; round < POOL + 1; round++) {
      const from = output().length;
      const broken = await download(`/console/api/jobs/${brokenJobId}/records.${format}`);
      expect(broken.status).toBe(200);
      // Cut off, not ended as if whole: a client must not take half a file for the file.
      expect(broken.complete).toBe(false);
      expect(broken.bytes).toBeGreaterThan(0);
      const lines = await linesAbout(from, `records.${format}`);
      expect(child.exitCode, output().slice(from)).toBeNull();
      expect(lines, output().slice(from)).toHaveLength(1);
      expect(lines[0]!.msg).toMatch(/export failed/);
    }
    await stillServes(format);
  });
});
