import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestServer, type TestServer, testDialect } from '../../test/harness.js';
import {
  fuzz,
  operationsOf,
  prepare,
  type RandomInputReport,
  type ReadBack,
  RequestPlanner,
  summaryLine,
} from '../../test/randomInput.js';

/*
 * The random-input test (test/randomInput.ts): requests for every endpoint of the OpenAPI document,
 * valid, mutated and hostile, signed and not, sent to the real server on loopback. A fixed seed and
 * a bounded count in CI (RANDOM_INPUT_SEED, RANDOM_INPUT_REQUESTS change them); big runs:
 * `npm run fuzz -- --requests 100000 --seed S --db sqlite|postgres`.
 */

const SEED = Number(process.env.RANDOM_INPUT_SEED ?? 20261126);
const REQUESTS = Number(process.env.RANDOM_INPUT_REQUESTS ?? 5000);

let server: TestServer;
let planner: RequestPlanner;
let report: RandomInputReport;
let back: ReadBack;

beforeAll(async () => {
  // Rate limits off: every request is to reach validation, not the limiter.
  server = await startTestServer({ env: { RATE_LIMIT_PER_SECOND: '0' } });
  const doc = server.app.swagger() as Record<string, any>;
  const { primary, other, signChanger, pools } = await prepare(server.database, server.url, doc);
  planner = new RequestPlanner(doc, pools, primary, other, SEED, signChanger);
  ({ report, back } = await fuzz({ url: server.url, planner, requests: REQUESTS }));
  console.info(summaryLine(`(${testDialect}, seed ${SEED})`, report, back));
}, 240_000);
afterAll(() => server.close());

describe(`${REQUESTS} random requests (seed ${SEED})`, () => {
  it('are each answered with the envelope, never with 500, and refused with 412 or 401 where no reading of them fits', () => {
    expect(report.failures.slice(0, 20)).toEqual([]);
    expect(report.byCode['500'] ?? 0).toBe(0);
  });

  it('get the envelope from the router too (bad URL encoding, unknown methods)', () => {
    expect(report.routerLevel.slice(0, 20)).toEqual([]);
  });

  it('leave every job and call record readable, with statistics equal to a recomputation from the list', () => {
    expect(back.problems.slice(0, 20)).toEqual([]);
    expect(back.jobs).toBeGreaterThan(20);
    expect(back.callRecords).toBeGreaterThan(50);
  });

  it('pollute nothing: "__proto__" in a body stays data', () => {
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
  });

  it('reach every endpoint and every kind of answer', async () => {
    const operations = operationsOf(server.app.swagger() as Record<string, any>);
    const reached = new Set<string>();
    for (let i = 0; i < REQUESTS; i++) {
      const p = await planner.plan(i);
      reached.add(p.operation);
    }
    for (const op of operations) expect(reached).toContain(`${op.method} ${op.path}`);
    for (const code of ['200', '401', '404', '412']) expect(report.byCode[code] ?? 0).toBeGreaterThan(REQUESTS / 100);
  });

  it('are the same requests for the same seed', async () => {
    const again = new RequestPlanner(
      planner.doc,
      planner.pools,
      planner.primary,
      planner.other,
      SEED,
      planner.signChanger,
    );
    for (const i of [0, 1, 17, 999]) {
      const [a, b] = [await planner.plan(i), await again.plan(i)];
      expect({ ...b, headers: undefined }).toEqual({ ...a, headers: undefined });
    }
  });
});
