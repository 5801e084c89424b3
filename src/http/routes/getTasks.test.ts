import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { T0, TenantFixture } from '../../../test/fixtures.js';
import { getTasks, startTestServer, type TestServer } from '../../../test/harness.js';

let server: TestServer;
let tenant: TenantFixture;
let other: TenantFixture;
const HOUR = 3_600_000;

beforeAll(async () => {
  server = await startTestServer();
  tenant = await TenantFixture.create(server.database);
  other = await TenantFixture.create(server.database);
  const customers = [await tenant.customer(), await tenant.customer(), await tenant.customer()];
  // 25 jobs an hour apart; job k has status k % 8. Two share a creation time to test the tie-break.
  for (let k = 0; k < 25; k++) {
    const status = (
      [
        'NOT_STARTED',
        'IN_PROCESS',
        'COMPLETED',
        'RUNNABLE',
        'USER_PAUSE',
        'SYSTEM_SUSPENDED',
        'TERMINATE',
        'IN_QUEUE',
      ] as const
    )[k % 8];
    await tenant.job({
      name: k === 3 ? '100%_达标 推广' : `推广任务${k}`,
      status,
      createdAt: T0 + Math.min(k, 23) * HOUR,
      customers: k === 0 ? customers.map((c) => c.id) : [],
    });
  }
  await other.job({ name: '推广任务 other tenant' });
});
afterAll(() => server.close());

describe('getTasks', () => {
  it('lists the tenant’s jobs newest first, 20 to a page by default', async () => {
    const r = await getTasks(server, tenant.credentials);
    expect(r.code).toBe(200);
    expect(r.resultMsg).toBe('获取成功');
    expect(r.data).toMatchObject({ number: 1, pageSize: 20, totalElements: 25, pages: 2 });
    expect(r.data.content).toHaveLength(20);
    const names = r.data.content.map((j: any) => j.name);
    // Jobs 23 and 24 share a creation time: the higher id comes first.
    expect(names.slice(0, 3)).toEqual(['推广任务24', '推广任务23', '推广任务22']);
  });

  it('shows each job with the fields and formats of docs/api.md', async () => {
    const r = await getTasks(server, tenant.credentials, '?pageNum=2');
    const first = r.data.content.at(-1);
    expect(first).toEqual({
      robotCallJobId: expect.any(Number),
      name: '推广任务0',
      status: 'NOT_STARTED',
      completedTask: 0,
      taskCallTotal: 3,
      creationTime: '2024-05-01 10:00',
      createdByUserName: '王经理',
      organizationName: '销售部',
    });
  });

  it('never shows another tenant’s jobs', async () => {
    const mine = await getTasks(server, tenant.credentials, '?pageSize=100');
    expect(mine.data.content.some((j: any) => j.name.includes('other tenant'))).toBe(false);
    const theirs = await getTasks(server, other.credentials);
    expect(theirs.data.totalElements).toBe(1);
  });

  it('filters by a substring of the name, taking % and _ literally', async () => {
    const r = await getTasks(server, tenant.credentials, `?name=${encodeURIComponent('任务1')}`);
    expect(r.data.content.map((j: any) => j.name).sort()).toEqual(
      [
        '推广任务1',
        '推广任务10',
        '推广任务11',
        '推广任务12',
        '推广任务13',
        '推广任务14',
        '推广任务15',
        '推广任务16',
        '推广任务17',
        '推广任务18',
        '推广任务19',
      ].sort(),
    );
    const literal = await getTasks(server, tenant.credentials, `?name=${encodeURIComponent('100%_')}`);
    expect(literal.data.content.map((j: any) => j.name)).toEqual(['100%_达标 推广']);
    const none = await getTasks(server, tenant.credentials, `?name=${encodeURIComponent('%')}`);
    expect(none.data.totalElements).toBe(1);
  });

  it('filters by status given as a name or a numeric code', async () => {
    const byName = await getTasks(server, tenant.credentials, '?status=IN_PROCESS');
    const byCode = await getTasks(server, tenant.credentials, '?status=1');
    expect(byName.data.totalElements).toBe(3); // jobs 1, 9 and 17
    expect(byCode.data).toEqual(byName.data);
    expect(byName.data.content.every((j: any) => j.status === 'IN_PROCESS')).toBe(true);
  });

  it('combines the name and status filters', async () => {
    const r = await getTasks(server, tenant.credentials, `?status=COMPLETED&name=${encodeURIComponent('任务1')}`);
    expect(r.data.content.map((j: any) => j.name)).toEqual(['推广任务18', '推广任务10']);
  });

  it('treats an empty parameter as absent', async () => {
    const r = await getTasks(server, tenant.credentials, '?status=&name=&pageNum=');
    expect(r.data.totalElements).toBe(25);
  });

  it('serves a page past the end empty, with the right totals', async () => {
    const r = await getTasks(server, tenant.credentials, '?pageNum=9&pageSize=10');
    expect(r.data).toEqual({ number: 9, pageSize: 10, totalElements: 25, pages: 3, content: [] });
  });

  it('serves at most 100 to a page, and says so', async () => {
    const r = await getTasks(server, tenant.credentials, '?pageSize=1000');
    expect(r.data.pageSize).toBe(100);
    expect(r.data.pages).toBe(1);
  });

  it('answers an empty tenant with an empty first page', async () => {
    const empty = await TenantFixture.create(server.database);
    const r = await getTasks(server, empty.credentials);
    expect(r.data).toEqual({ number: 1, pageSize: 20, totalElements: 0, pages: 0, content: [] });
  });

  it.each([
    ['?pageNum=0', 'pageNum'],
    ['?pageNum=-1', 'pageNum'],
    ['?pageNum=abc', 'pageNum'],
    ['?pageSize=0', 'pageSize'],
    ['?pageSize=1.5', 'pageSize'],
    ['?pageNum=99999999999', 'pageNum'],
    ['?status=DONE', 'status'],
    ['?status=42', 'status'],
  ])('refuses %s with 412 naming %s', async (query, parameter) => {
    const r = await getTasks(server, tenant.credentials, query);
    expect(r.code).toBe(412);
    expect(r.resultMsg).toMatch(new RegExp(`^参数错误: ${parameter} `));
    expect(r.data).toBeNull();
  });
});
