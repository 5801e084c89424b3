import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TenantFixture } from '../../../../test/fixtures.js';
import { startTestServer, type TestServer } from '../../../../test/harness.js';
import { openZone } from '../../../../test/openHours.js';
import { EngineClient, type EngineCredentials } from '../../../client/engine.js';
import { OutcallError } from '../../../client/errors.js';
import { createEngineKey } from '../../../services/engineKeys.js';

/*
 * The protocol over HTTP (/engine/v1/, docs/engines.md) against the real server on loopback, with
 * the SDK's EngineClient: a whole session, the 412 and 409 envelopes, the long-poll, /metrics.
 * Short lease settings; a tenant time zone where it is now about 14:00, so the job's window is open.
 */

let server: TestServer;
let tenant: TenantFixture;
let key: EngineCredentials;
let client: EngineClient;
let lineId: number;

beforeAll(async () => {
  server = await startTestServer({
    env: {
      ENGINE_LEASE_TTL_MS: '6000',
      ENGINE_LEASE_GRACE_MS: '100',
      ENGINE_CLAIM_WAIT_MAX_MS: '3000',
      ENGINE_RATE_LIMIT_PER_SECOND: '0',
    },
  });
  tenant = await TenantFixture.create(server.database, { timeZone: openZone() });
  lineId = await tenant.phoneLine('057188880000', 'external');
  key = await createEngineKey(server.database, { name: 'sip farm', tenantId: tenant.tenantId });
  client = new EngineClient({ baseUrl: server.url, ...key, retries: 0 });
});
afterAll(() => server?.close());

async function envelopeError(work: Promise<unknown>): Promise<{ code: number; resultMsg: string }> {
  try {
    await work;
  } catch (error) {
    if (error instanceof OutcallError) return { code: error.code!, resultMsg: error.resultMsg! };
    throw error;
  }
  throw new Error('no error');
}

describe('/engine/v1/ over HTTP', () => {
  it('a session: claim, dial, heartbeat, result; a replay answers the same', async () => {
    const customer = await tenant.customer();
    const { jobId } = await tenant.job({ phoneLineIds: [lineId], customers: [customer.id] });
    const claim = await client.claim({ max: 5, waitMs: 0 });
    expect(claim.heartbeatIntervalMs).toBe(1000);
    expect(claim.tasks).toMatchObject([
      { robotCallJobId: jobId, calledPhoneNumber: customer.phone, attempt: 1, line: { phoneLineId: lineId } },
    ]);
    const leaseId = claim.tasks[0]!.leaseId;
    expect(await client.dial(leaseId)).toEqual({ leaseTtlMs: 6000 });
    expect(await client.heartbeat([{ leaseId, phase: 'answered' }])).toEqual({
      leases: [{ leaseId, leaseTtlMs: 6000, cancel: false }],
    });
    const now = Date.now();
    const report = {
      leaseId,
      sipCode: 200,
      answerAt: now - 20_000,
      endAt: now,
      endedBy: 'remote' as const,
      turns: [
        { type: 'ROBOT', text: '您好' },
        { type: 'PERSON', text: '你好' },
      ],
      intentLevel: 'B',
    };
    const result = await client.result(report);
    expect(result).toMatchObject({ resultStatus: 'ANSWERED' });
    expect(result.callRecordId).toBeGreaterThan(0);
    expect(await client.result(report)).toEqual(result);
  });

  it('batches: many dials and many results in one request each, every lease answered on its own, in order', async () => {
    const customers = [await tenant.customer(), await tenant.customer(), await tenant.customer()];
    const { jobId } = await tenant.job({ phoneLineIds: [lineId], customers: customers.map((c) => c.id) });
    const { tasks } = await client.claim({ max: 3, waitMs: 0 });
    expect(tasks).toHaveLength(3);
    const [a, b, c] = tasks.map((t) => t.leaseId) as [string, string, string];
    // One lease this engine does not hold, one it dialled already: each answered as /dial would.
    await client.dial(c);
    const dials = await client.dials([a, 'unknown-lease', b, c]);
    expect(dials.leases).toEqual([
      { leaseId: a, dial: true, leaseTtlMs: 6000 },
      { leaseId: 'unknown-lease', dial: false, leaseTtlMs: 0, resultCode: 404, reason: 'leaseId unknown-lease' },
      { leaseId: b, dial: true, leaseTtlMs: 6000 },
      // Dialled already: acknowledged again, with what is left of its lease.
      { leaseId: c, dial: true, leaseTtlMs: expect.any(Number) },
    ]);
    expect(dials.leases[3]!.leaseTtlMs).toBeGreaterThan(5000);
    const now = Date.now();
    const answered = { leaseId: a, sipCode: 200, answerAt: now - 5000, endAt: now, endedBy: 'remote' as const };
    const busy = { leaseId: b, sipCode: 486, endAt: now, endedBy: 'remote' as const };
    const cancelled = { leaseId: c, endAt: now, endedBy: 'cancel' as const };
    const results = await client.results([answered, busy, cancelled, { ...busy, leaseId: 'unknown-lease' }]);
    expect(results.results).toEqual([
      { leaseId: a, accepted: true, callRecordId: expect.any(Number), resultStatus: 'ANSWERED' },
      { leaseId: b, accepted: true, callRecordId: expect.any(Number), resultStatus: 'BUSY' },
      { leaseId: c, accepted: true, callRecordId: null, resultStatus: expect.any(String) },
      {
        leaseId: 'unknown-lease',
        accepted: false,
        callRecordId: null,
        resultCode: 404,
        reason: 'leaseId unknown-lease',
      },
    ]);
    // Sent again: the same answers (idempotent by lease), and two records, not four.
    expect(await client.results([answered, busy])).toEqual({ results: results.results.slice(0, 2) });
    const records = await server.database.db
      .selectFrom('call_record')
      .select('id')
      .where('job_id', '=', jobId)
      .execute();
    expect(records.map((r) => r.id).sort()).toEqual(
      [results.results[0]!.callRecordId, results.results[1]!.callRecordId].sort(),
    );
    // One bad result fails the whole request (412 naming it), recording nothing.
    expect(
      await envelopeError(
        client.results([
          { ...busy, leaseId: 'x' },
          { ...busy, resultHint: 'NOPE' as never },
        ]),
      ),
    ).toMatchObject({ code: 412, resultMsg: expect.stringMatching(/^参数错误: results\[1\]\.resultHint /) });
    expect(await envelopeError(client.dials([]))).toMatchObject({
      code: 412,
      resultMsg: expect.stringMatching(/leaseIds/),
    });
  });

  it('refuses bad input with 412 naming the parameter', async () => {
    expect(await envelopeError(client.claim({ max: 0, waitMs: 0 }))).toEqual({
      code: 412,
      resultMsg: '参数错误: max must be >= 1',
    });
    expect((await envelopeError(client.result({ leaseId: 'x', endedBy: 'nobody' as never }))).resultMsg).toMatch(
      /^参数错误: endedBy /,
    );
    expect((await envelopeError(client.heartbeat([{ leaseId: 'x', phase: 'talking' as never }]))).resultMsg).toMatch(
      /^参数错误: leases\[0\]\.phase /,
    );
    expect(await envelopeError(client.dial('unknown-lease'))).toEqual({
      code: 404,
      resultMsg: '资源未找到: leaseId unknown-lease',
    });
  });

  it('a refused dial and a late result answer the 409 envelope', async () => {
    const customer = await tenant.customer();
    const { jobId } = await tenant.job({ phoneLineIds: [lineId], customers: [customer.id] });
    await server.database.db
      .updateTable('phone_line')
      .set({ ring_timeout_seconds: 0, max_call_seconds: 0 })
      .where('id', '=', lineId)
      .execute();
    try {
      const [a] = (await client.claim({ max: 1, waitMs: 0 })).tasks;
      await client.dial(a!.leaseId);
      // Past its deadline (dial + 0 s + 0 s + 100 ms grace), the reaper records the call as lost.
      await new Promise((r) => setTimeout(r, 150));
      const { reapLeases } = await import('../../../services/callLeases.js');
      await reapLeases(server.database);
      expect(await envelopeError(client.result({ leaseId: a!.leaseId, sipCode: 200, endedBy: 'remote' }))).toEqual({
        code: 409,
        resultMsg: expect.stringMatching(/^状态冲突: lease was reaped as lost/),
      });
      // The task waits for its redial (SYSTEM_ERROR): pausing the job, a second claim gets nothing to dial.
      await server.database.db
        .updateTable('robot_call_job')
        .set({ status: 'USER_PAUSE' })
        .where('id', '=', jobId)
        .execute();
      expect((await client.claim({ max: 1, waitMs: 0 })).tasks).toEqual([]);
    } finally {
      await server.database.db
        .updateTable('phone_line')
        .set({ ring_timeout_seconds: 60, max_call_seconds: 600 })
        .where('id', '=', lineId)
        .execute();
    }
  });

  it('a claim waits for work, holding no database connection, and answers as soon as some is released', async () => {
    const customer = await tenant.customer();
    await tenant.job({ phoneLineIds: [lineId], customers: [customer.id] });
    const other = await createEngineKey(server.database, { name: 'second', tenantId: tenant.tenantId });
    const second = new EngineClient({ baseUrl: server.url, ...other, retries: 0 });
    const [mine] = (await client.claim({ max: 1, waitMs: 0 })).tasks;
    const started = Date.now();
    const waiting = second.claim({ max: 1, waitMs: 2500 });
    await new Promise((r) => setTimeout(r, 200));
    expect(await client.release([mine!.leaseId])).toEqual({ released: 1 });
    expect((await waiting).tasks).toMatchObject([{ callTaskId: mine!.callTaskId }]);
    expect(Date.now() - started).toBeLessThan(2000);
    // Nothing left: the wait runs to its end and answers empty.
    const emptyStart = Date.now();
    expect((await client.claim({ max: 1, waitMs: 300 })).tasks).toEqual([]);
    expect(Date.now() - emptyStart).toBeGreaterThanOrEqual(290);
  });

  it('turn: the robot’s next line from the job’s flow, with why; the outcome when the customer hangs up', async () => {
    const customer = await tenant.customer();
    await tenant.job({ phoneLineIds: [lineId], customers: [customer.id] });
    const [task] = (await client.claim({ max: 1, waitMs: 0 })).tasks;
    const flow = task!.dialogFlow.script as {
      opening: string;
      questions: { keywords: string[]; concern: string }[];
      recognise: { declined: { keywords: string[] } };
    };
    const opening = [{ type: 'ROBOT', text: flow.opening }];
    // A conversation starts once the call is dialled.
    expect((await envelopeError(client.turn({ leaseId: task!.leaseId, turns: opening, utterance: '喂' }))).code).toBe(
      409,
    );
    await client.dial(task!.leaseId);
    const asked = `请问，${flow.questions[0]!.keywords[0]}？`;
    const answer = await client.turn({ leaseId: task!.leaseId, turns: opening, utterance: asked });
    expect(answer).toMatchObject({
      action: 'answer',
      end: false,
      recognised: { as: 'question', question: 0, concern: flow.questions[0]!.concern },
    });
    expect(answer.say).toBeTruthy();
    expect(answer.why).toContain(flow.questions[0]!.keywords[0]);
    const conversation = [...opening, { type: 'PERSON', text: asked }, { type: 'ROBOT', text: answer.say! }];
    const last = await client.turn({ leaseId: task!.leaseId, turns: conversation, hungUp: true });
    expect(last).toMatchObject({
      action: 'hangup',
      say: null,
      end: true,
      outcome: { concerns: [flow.questions[0]!.concern] },
    });
    expect(last.outcome!.intentLevel).toMatch(/^[A-F]$/);
    // A declining customer is closed on; after the end no turn follows.
    const declined = flow.recognise.declined.keywords[0]!;
    const closing = await client.turn({ leaseId: task!.leaseId, turns: opening, utterance: declined });
    expect(closing).toMatchObject({ action: 'close', end: true, recognised: { as: 'declined' } });
    const ended = [...opening, { type: 'PERSON', text: declined }, { type: 'ROBOT', text: closing.say! }];
    expect((await envelopeError(client.turn({ leaseId: task!.leaseId, turns: ended, utterance: '等等' }))).code).toBe(
      409,
    );
    // An utterance is required unless the customer hung up.
    expect(await envelopeError(client.turn({ leaseId: task!.leaseId, turns: opening }))).toEqual({
      code: 412,
      resultMsg: '参数错误: utterance is required unless hungUp is true',
    });
  });

  it('the OpenAPI document lists its operations under the engine tag; /metrics counts claims and results', async () => {
    const doc = (await (await fetch(`${server.url}/openapi.json`)).json()) as {
      paths: Record<string, { post?: { tags?: string[] } }>;
    };
    for (const op of ['claim', 'dial', 'dials', 'release', 'heartbeat', 'result', 'results', 'turn'])
      expect(doc.paths[`/engine/v1/${op}`]?.post?.tags, op).toEqual(['engine']);
    const metrics = await (await fetch(`${server.url}/metrics`)).text();
    expect(metrics).toMatch(/^outcall_engine_claims_total \d+/m);
    expect(metrics).toMatch(
      new RegExp(
        `^outcall_engine_call_results_total\\{phone_line_id="${lineId}",result_status="ANSWERED"\\} \\d+`,
        'm',
      ),
    );
    expect(metrics).toMatch(/^outcall_engine_active_leases\{state="dialing"\} \d+/m);
    expect(metrics).not.toContain('057188880000');
  });
});

describe('a waiting claim at shutdown', () => {
  it('ends at once when the server closes', async () => {
    const own = await startTestServer({ env: { ENGINE_RATE_LIMIT_PER_SECOND: '0' } });
    const k = await createEngineKey(own.database, { name: 'closing', tenantId: null });
    const c = new EngineClient({ baseUrl: own.url, ...k, retries: 0 });
    const waiting = c.claim({ max: 1, waitMs: 20_000 });
    await new Promise((r) => setTimeout(r, 200));
    const started = Date.now();
    const closed = own.app.close();
    // Answered empty well before its 20 s wait, as the server closes.
    expect((await waiting).tasks).toEqual([]);
    expect(Date.now() - started).toBeLessThan(10_000);
    await closed;
    await own.close();
  });
});
