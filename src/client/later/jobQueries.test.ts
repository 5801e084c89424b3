import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { finishedCall, TenantFixture } from '../../../test/fixtures.js';
import { startTestServer, type TestServer } from '../../../test/harness.js';
import { OutcallClient, OutcallError } from '../index.js';

/** The SDK's later job queries (client.job.getJobs, …) against a real server. */

let server: TestServer;
let tenant: TenantFixture;
let client: OutcallClient;
let jobId: number;

beforeAll(async () => {
  server = await startTestServer();
  tenant = await TenantFixture.create(server.database);
  client = new OutcallClient({ baseUrl: server.url, ...tenant.credentials, retryDelayMs: 1 });
  const c = await tenant.customer();
  const job = await tenant.job({ name: 'SDK任务', status: 'USER_PAUSE', customers: [c.id] });
  jobId = job.jobId;
  await tenant.call(finishedCall({ jobId, task: job.taskOf.get(c.id) }));
});
afterAll(() => server.close());

describe('client.job queries', () => {
  it('lists, details and counts a job with typed answers', async () => {
    const page = await client.job.getJobs({ status: 'USER_PAUSE', pageSize: 10 });
    expect(page.content.map((j) => [j.robotCallJobId, j.name, j.status])).toEqual([[jobId, 'SDK任务', 'USER_PAUSE']]);
    expect((await client.job.getJobs({ status: 'MAINTAIN' })).totalElements).toBe(0);

    const detail = await client.job.getJobDetail(jobId);
    expect(detail.robotCallJob.name).toBe('SDK任务');
    expect(detail.policyGroupPhoneNumberList).toEqual([]);

    const stats = await client.job.getJobStats(jobId);
    expect([stats.taskCallTotal, stats.answeredTask, stats.completedTask]).toEqual([1, 1, 1]);
    expect(stats.intentLevelTagDetailList).toEqual(stats.callJobStatsBrokenLine.intentLevelTagDetailList);

    expect(await client.job.getJobProperties(jobId)).toEqual([]);
    expect(await client.job.getJobStatsInfoList([jobId, 999_999])).toEqual({
      [jobId]: { taskTotal: 1, taskCompleted: 1 },
    });
  });

  it('rejects another tenant’s job as not found', async () => {
    const other = await TenantFixture.create(server.database);
    const theirs = new OutcallClient({ baseUrl: server.url, ...other.credentials, retries: 0 });
    const error = await theirs.job.getJobDetail(jobId).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(OutcallError);
    expect((error as OutcallError).code).toBe(404);
  });
});
