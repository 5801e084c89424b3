import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { finishedCall, T0, TenantFixture } from '../../../test/fixtures.js';
import { startTestServer, type TestServer } from '../../../test/harness.js';
import { OutcallClient } from '../client.js';
import { OutcallError } from '../errors.js';

let server: TestServer;
let tenant: TenantFixture;
let client: OutcallClient;

beforeAll(async () => {
  server = await startTestServer();
  tenant = await TenantFixture.create(server.database);
  client = new OutcallClient({ baseUrl: server.url, ...tenant.credentials, retryDelayMs: 1 });
});
afterAll(() => server.close());

describe('client.callRecord', () => {
  it('lists, details and removes through typed methods', async () => {
    const a = await tenant.customer({ name: '周杰' });
    const b = await tenant.customer({ name: '吴磊' });
    const c = await tenant.customer({ name: '郑爽' });
    const job = await tenant.job({ redialTimes: 1, customers: [a.id, b.id, c.id] });
    const [first] = await tenant.calls([
      { ...finishedCall({ jobId: job.jobId, task: job.taskOf.get(a.id), at: T0 }), hangupBy: 'REMOTE_HANGUP' },
    ]);

    const page = await client.callRecord.getCallRecordInfoList({
      robotCallJobId: job.jobId,
      hangupBy: 'REMOTE_HANGUP',
      lastCallRecord: null,
    });
    expect(page).toMatchObject({
      totalElements: 1,
      content: [{ callRecordId: first, hangupBy: 'REMOTE_HANGUP', redialTimes: 0 }],
    });
    expect(await client.callRecord.callDetail(first!)).toMatchObject({ callRecordId: first, intentLevelName: 'B类' });

    const pending = await client.callRecord.toBeCalledList({ robotCallJobId: job.jobId, taskStatus: 'NOT_STARTED' });
    expect(pending.content.map((t) => t.customerPersonName)).toEqual(['吴磊', '郑爽']);

    expect(await client.callRecord.deleteRobotCallTask(job.taskOf.get(b.id)!.id)).toBe(job.taskOf.get(b.id)!.id);
    expect(
      await client.callRecord.deleteRobotCallTaskList({
        robotCallJobId: job.jobId,
        robotCallTaskIds: [job.taskOf.get(a.id)!.id, job.taskOf.get(c.id)!.id],
      }),
    ).toBe(1);
    expect((await client.callRecord.toBeCalledList({ robotCallJobId: job.jobId })).totalElements).toBe(0);
  });

  it('rejects a refused removal with the envelope’s 412', async () => {
    const a = await tenant.customer();
    const job = await tenant.job({ customers: [a.id] });
    const task = job.taskOf.get(a.id)!;
    await tenant.calls([finishedCall({ jobId: job.jobId, task, result: 'BUSY', at: T0 })]);
    const error = await client.callRecord.deleteRobotCallTask(task.id).catch((e) => e);
    expect(error).toBeInstanceOf(OutcallError);
    expect(error).toMatchObject({ code: 412 });
  });
});
