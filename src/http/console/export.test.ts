import Papa from 'papaparse';
import { readSheet } from 'read-excel-file/node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ConsoleBrowser, consoleUser } from '../../../test/consoleClient.js';
import { finishedCall, T0, TenantFixture } from '../../../test/fixtures.js';
import { allCallRecords, startTestServer, type TestServer } from '../../../test/harness.js';
import { EXPORT_BATCH, EXPORT_COLUMNS, exportRow } from '../../services/export.js';

/*
 * The export (GET /console/api/jobs/:id/records.csv|.xlsx): every record of the filter, one row
 * each, equal to getCallRecordInfoList's list walked page by page, in its order — across batch
 * boundaries, including a run of records that started at the same instant longer than a batch.
 */

const RECORDS = 3000;
/** Records sharing one start time: more than a batch, so a batch boundary falls among them. */
const SAME_INSTANT = EXPORT_BATCH + 150;

let server: TestServer;
let tenant: TenantFixture;
let jobId: number;
let browser: ConsoleBrowser;

beforeAll(async () => {
  server = await startTestServer();
  tenant = await TenantFixture.create(server.database);
  const customers: { id: number; phone: string }[] = [];
  for (let i = 0; i < 20; i++) customers.push(await tenant.customer({ name: i === 0 ? '=SUM(A1)' : `客户${i}` }));
  const job = await tenant.job({ customers: customers.map((c) => c.id) });
  jobId = job.jobId;
  const results = ['ANSWERED', 'NO_ANSWER', 'BUSY', 'ANSWERED', 'REFUSED'] as const;
  const calls = Array.from({ length: RECORDS }, (_, k) => {
    const c = customers[k % customers.length]!;
    return finishedCall({
      jobId,
      task: job.taskOf.get(c.id),
      result: results[k % results.length],
      intent: 'ABCDEF'[k % 6] as 'A',
      at: k < SAME_INSTANT ? T0 : T0 + (k % 700) * 60_000,
      concerns: k % 3 === 0 ? ['价格', '交通'] : [],
      turns:
        results[k % results.length] === 'ANSWERED'
          ? [
              { type: 'ROBOT', text: '您好，请问是"张先生"吗？' },
              { type: 'PERSON', text: `是的,\n第${k}通` },
            ]
          : [],
    });
  });
  for (let i = 0; i < calls.length; i += 500) await tenant.calls(calls.slice(i, i + 500));
  const user = await consoleUser(server.database, tenant.credentials.tenantSign, 'member');
  browser = new ConsoleBrowser(server.url);
  await browser.signIn(user.username, user.password);
}, 120_000);
afterAll(() => server.close());

async function csvRows(query = ''): Promise<{ response: Response; rows: string[][]; text: string }> {
  const response = await browser.raw('GET', `/console/api/jobs/${jobId}/records.csv${query}`);
  const bytes = Buffer.from(await response.arrayBuffer());
  const text = bytes.toString('utf8');
  const parsed = Papa.parse<string[]>(text.replace(/^\ufeff/, ''), { skipEmptyLines: true });
  return { response, rows: parsed.data, text };
}

/** A row as the CSV holds it: numbers as text, and a formula-like text with its leading apostrophe. */
const asCsv = (cells: ReturnType<typeof exportRow>) =>
  cells.map((c) => (c === null ? '' : typeof c === 'number' ? String(c) : /^[=@]/.test(c) ? `'${c}` : c));

describe('the CSV export', () => {
  it('holds every record of the job, one row each, equal to the list walked page by page', async () => {
    const list = await allCallRecords(server, tenant.credentials, { robotCallJobId: jobId });
    expect(list).toHaveLength(RECORDS);
    const { response, rows, text } = await csvRows();
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toBe('text/csv; charset=utf-8');
    expect(response.headers.get('content-disposition')).toContain(`records-job-${jobId}.csv`);
    expect(text.startsWith('\ufeff')).toBe(true);
    expect(rows[0]).toEqual([...EXPORT_COLUMNS]);
    expect(rows.slice(1)).toEqual(list.map((item) => asCsv(exportRow(item))));
    // The transcript in one column, one line per turn.
    const answered = rows.find((r) => r[4] === 'ANSWERED')!;
    expect(answered[12]).toMatch(/^机器人: 您好，请问是"张先生"吗？\n客户: 是的,\n第\d+通$/);
  });

  it('applies the list’s filters, given as query parameters', async () => {
    const filters = { resultStatuses: ['BUSY', 'REFUSED'], intentLevels: ['A', 'B', 'C'] };
    const list = await allCallRecords(server, tenant.credentials, { robotCallJobId: jobId, ...filters });
    const { rows } = await csvRows(
      '?resultStatuses=BUSY&resultStatuses=REFUSED&intentLevels=A&intentLevels=B&intentLevels=C',
    );
    expect(rows.length - 1).toBe(list.length);
    expect(rows.slice(1)).toEqual(list.map((item) => asCsv(exportRow(item))));
    const one = await csvRows('?intentLevels=F&resultStatuses=ANSWERED');
    const answeredF = await allCallRecords(server, tenant.credentials, {
      robotCallJobId: jobId,
      intentLevels: ['F'],
      resultStatuses: ['ANSWERED'],
    });
    expect(one.rows.slice(1)).toEqual(answeredF.map((item) => asCsv(exportRow(item))));
  });

  it('refuses a bad filter with the 412 envelope before sending anything', async () => {
    const response = await browser.raw('GET', `/console/api/jobs/${jobId}/records.csv?resultStatuses=NOPE`);
    const envelope = (await response.json()) as { code: number; resultMsg: string };
    expect(envelope.code).toBe(412);
    expect(envelope.resultMsg).toContain('resultStatuses');
  });
});

describe('the XLSX export', () => {
  it('holds the same rows as the list, readable by a spreadsheet reader', async () => {
    const list = await allCallRecords(server, tenant.credentials, { robotCallJobId: jobId });
    const response = await browser.raw('GET', `/console/api/jobs/${jobId}/records.xlsx`);
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toBe(
      'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet',
    );
    const sheet = await readSheet(Buffer.from(await response.arrayBuffer()));
    expect(sheet[0]).toEqual([...EXPORT_COLUMNS]);
    const expected = list.map((item) => exportRow(item).map((c) => (c === '' ? null : c)));
    expect(sheet.slice(1)).toEqual(expected);
  });
});
