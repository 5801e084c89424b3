import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { T0, TenantFixture } from '../../test/fixtures.js';
import { allCallRecords, call, getTaskDetail, startTestServer, type TestServer } from '../../test/harness.js';
import { recomputeStats } from '../../test/recompute.js';
import { IntentLevel, ResultStatus } from '../domain/enums.js';
import { Simulator } from '../engines/simulator.js';
import type { Telephony } from '../engines/telephony.js';
import { simulateCall } from '../simulator/conversation.js';
import { seededRandom } from '../simulator/random.js';

/*
 * Whatever mix of imports, calls reported by external engines (retries included) and dialer runs
 * a job sees, getTaskDetail's statistics equal a recomputation from its call records, and its
 * counters equal its call tasks.
 */

let server: TestServer;
let tenant: TenantFixture;
let flowId: number;
let run = 0;

const post = (path: string, body: unknown) =>
  call(server, tenant.credentials, 'POST', `/apiOpen/v1/task/${path}`, body);

const op = fc.oneof(
  fc.record({
    kind: fc.constant('import' as const),
    numbers: fc.array(fc.integer({ min: 0, max: 30 }), { minLength: 1, maxLength: 6 }),
  }),
  fc.record({
    kind: fc.constant('ingest' as const),
    calls: fc.array(
      fc.record({
        number: fc.integer({ min: 0, max: 30 }),
        result: fc.constantFrom(...ResultStatus.names),
        intent: fc.constantFrom(...IntentLevel.names),
        minute: fc.integer({ min: 0, max: 3 * 24 * 60 }),
        duration: fc.integer({ min: 0, max: 300 }),
        resend: fc.boolean(),
      }),
      { minLength: 1, maxLength: 5 },
    ),
  }),
  fc.record({ kind: fc.constant('dial' as const), ticks: fc.integer({ min: 1, max: 3 }), seed: fc.nat() }),
);

beforeAll(async () => {
  server = await startTestServer();
  tenant = await TenantFixture.create(server.database);
  flowId = (await call(server, tenant.credentials, 'GET', '/apiOpen/v1/task/getDialogFlows')).data[0].dialogFlowId;
});
afterAll(() => server.close());

describe('the write path', () => {
  it('keeps statistics equal to a recomputation from the call records, through any sequence of operations', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(op, { minLength: 1, maxLength: 8 }),
        fc.integer({ min: 0, max: 2 }),
        async (ops, redialTimes) => {
          run += 1;
          const created = await post('create', {
            name: `性质${run}`,
            dialogFlowId: flowId,
            robotCount: 3,
            redialTimes,
            redialIntervalMinutes: 1,
          });
          const jobId: number = created.data.robotCallJobId;
          const phone = (n: number) => `139${String(run).padStart(4, '0')}${String(n).padStart(4, '0')}`;
          const sent: Record<string, unknown>[] = [];
          let key = 0;
          for (const o of ops) {
            if (o.kind === 'import') {
              await post('importTaskCustomer', {
                robotCallJobId: jobId,
                customers: o.numbers.map((n) => ({ phoneNumber: phone(n) })),
              });
            } else if (o.kind === 'ingest') {
              const batch = o.calls.map((c) => {
                if (c.resend && sent.length > 0) return sent[c.number % sent.length]!; // an engine retrying
                const answered = c.result === 'ANSWERED';
                const start = T0 + c.minute * 60_000;
                const item = {
                  idempotencyKey: `p${run}-${key++}`,
                  robotCallJobId: jobId,
                  calledPhoneNumber: phone(c.number),
                  resultStatus: c.result,
                  intentLevel: c.intent,
                  startTime: start,
                  endTime: start + (c.duration + 5) * 1000,
                  chatDuration: answered ? c.duration : 0,
                  chatRound: answered ? Math.floor(c.duration / 20) : 0,
                  customerConcern: answered ? [['价格', '交通'][c.number % 2]] : [],
                };
                sent.push(item);
                return item;
              });
              const r = await post('addCallRecords', { callRecords: batch });
              expect(r.code, r.resultMsg).toBe(200);
            } else {
              const status = (await getTaskDetail(server, tenant.credentials, jobId)).data.robotCallJob.status;
              if (status === 'RUNNABLE') await post('start', { robotCallJobId: jobId });
              const random = seededRandom(o.seed);
              const telephony: Telephony = { dial: async (request) => simulateCall(random, request.script) };
              const clock = { now: () => T0 + run * 60_000 + o.seed, sleep: async () => undefined };
              const dialer = new Simulator({ database: server.database, telephony, clock });
              for (let t = 0; t < o.ticks; t++) {
                await dialer.tick();
                await dialer.idle();
              }
            }
          }
          const detail = (await getTaskDetail(server, tenant.credentials, jobId)).data;
          const records = await allCallRecords(server, tenant.credentials, { robotCallJobId: jobId });
          expect(detail.callJobStatsInfo).toEqual(recomputeStats(records, detail));
          const tasks = await server.database.db
            .selectFrom('call_task')
            .select(['status'])
            .where('job_id', '=', jobId)
            .execute();
          expect(detail.taskCallTotal).toBe(tasks.length);
          expect(detail.completedTask).toBe(tasks.filter((t) => t.status === 'FINISHED').length);
          // Leave the dialer of later runs alone.
          await server.database.db
            .updateTable('robot_call_job')
            .set({ status: 'TERMINATE' })
            .where('id', '=', jobId)
            .execute();
        },
      ),
      { numRuns: 25 },
    );
  });
});
