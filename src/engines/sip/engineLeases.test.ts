import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TenantFixture } from '../../../test/fixtures.js';
import { startTestServer, type TestServer } from '../../../test/harness.js';
import { freeSipPorts, startTestCarrier, type TestCarrier } from '../../../test/sipCarrier.js';
import { EngineClient } from '../../client/engine.js';
import { reapLeases } from '../../services/callLeases.js';
import { createEngineKey } from '../../services/engineKeys.js';
import { encryptSecret } from '../../services/secrets.js';
import { SipEngine } from './engine.js';
import { SipUserAgent } from './userAgent.js';

/*
 * What happens to a line and a customer when things go wrong, with the real engine and the test
 * carrier on 127.0.0.1: an engine killed after `dial` (the customer is not dialled again by anyone
 * before the lease's deadline: ring timeout + maximum call length + grace), and a trunk answering
 * 503 LINE_FAILURE_LIMIT times in a row (the line is disabled; its other customers are not dialled).
 * Short settings: lease TTL 600 ms, grace 1 s, ring timeout and maximum call 1 s each.
 */

const dir = mkdtempSync(join(tmpdir(), 'outcall-sip-leases-'));
let server: TestServer;
let carrier: TestCarrier;
const GRACE_MS = 1000;

/** A fixed-offset zone where it is now about 14:00, inside the jobs' 09:00–20:00 window. */
function zoneAtTwoPm(): string {
  const offset = 14 - new Date().getUTCHours();
  return offset === 0 ? 'Etc/GMT' : `Etc/GMT${offset > 0 ? '-' : '+'}${Math.abs(offset)}`;
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

beforeAll(async () => {
  [server, carrier] = await Promise.all([
    startTestServer({
      env: {
        ENGINE_LEASE_TTL_MS: '600',
        ENGINE_LEASE_GRACE_MS: String(GRACE_MS),
        ENGINE_CLAIM_WAIT_MAX_MS: '300',
        ENGINE_RATE_LIMIT_PER_SECOND: '0',
        LINE_FAILURE_LIMIT: '3',
      },
    }),
    startTestCarrier(join(dir, 'carrier')),
  ]);
});

afterAll(async () => {
  await Promise.all([carrier?.stop(), server?.close()]);
  rmSync(dir, { recursive: true, force: true });
});

async function trunkLine(tenant: TenantFixture, number: string, channels: number): Promise<number> {
  const id = await tenant.phoneLine(number, 'external');
  await server.database.db
    .updateTable('phone_line')
    .set({
      concurrency_quota: channels,
      ring_timeout_seconds: 1,
      max_call_seconds: 1,
      sip_uri: `sip:127.0.0.1:${carrier.port}`,
      sip_username: 'outcall',
      sip_password: encryptSecret('right-password', `phone_line.sip_password:${id}`),
    } as never)
    .where('id', '=', id)
    .execute();
  return id;
}

describe('outcall engine sip, when things go wrong', () => {
  it('killed after dial: no engine gets the customer again before the lease’s deadline; then "engine lost" is recorded', async () => {
    const db = server.database.db;
    const tenant = await TenantFixture.create(server.database, { timeZone: zoneAtTwoPm() });
    const line = await trunkLine(tenant, '057188881001', 1);
    // Rings until CANCEL: the call is up when the engine dies.
    const customer = await tenant.customer({ phone: '13800000180' });
    const { taskOf } = await tenant.job({ phoneLineIds: [line], customers: [customer.id] });
    const taskId = taskOf.get(customer.id)!.id;

    const key = await createEngineKey(server.database, { name: 'doomed', tenantId: tenant.tenantId });
    const credentials = join(dir, 'engine.json');
    writeFileSync(credentials, JSON.stringify({ ...key, baseUrl: server.url }));
    const sipPort = await freeSipPorts();
    const child: ChildProcess = spawn(
      process.execPath,
      [
        'dist/cli.js',
        'engine',
        'sip',
        '-c',
        credentials,
        '--sip-address',
        '127.0.0.1',
        '--sip-port',
        String(sipPort),
        '--data-dir',
        join(dir, 'data'),
      ],
      { stdio: 'ignore' },
    );
    const lease = async () =>
      db.selectFrom('call_lease').selectAll().where('call_task_id', '=', taskId).orderBy('claimed_at').execute();
    let dialled: Awaited<ReturnType<typeof lease>>[number] | undefined;
    for (let i = 0; i < 150 && !dialled; i++) {
      dialled = (await lease()).find((l) => l.state === 'dialing');
      if (!dialled) await sleep(100);
    }
    child.kill('SIGKILL');
    expect(dialled, 'the engine dialled within 15 s').toBeDefined();
    const deadline = Number(dialled!.deadline_at);
    expect(deadline).toBe(Number(dialled!.dialled_at) + 1000 + 1000 + GRACE_MS);

    // Another engine of the tenant keeps claiming, and the scheduler's reaper runs, until the deadline.
    const other = await createEngineKey(server.database, { name: 'survivor', tenantId: tenant.tenantId });
    const client = new EngineClient({ baseUrl: server.url, ...other, retries: 0 });
    let polls = 0;
    while (Date.now() < deadline - 150) {
      expect((await reapLeases(server.database)).lost).toBe(0);
      expect((await client.claim({ max: 5, waitMs: 0 })).tasks).toEqual([]);
      polls++;
      await sleep(150);
    }
    // The TTL (600 ms) lapsed long ago without heartbeats; only the deadline frees the customer.
    expect(polls).toBeGreaterThan(5);
    expect(await lease()).toMatchObject([{ state: 'dialing', ended_at: null }]);

    await sleep(Math.max(0, deadline - Date.now() + 50));
    expect(await reapLeases(server.database)).toMatchObject({ lost: 1 });
    expect(await lease()).toMatchObject([{ ended_reason: 'lost' }]);
    const records = await db
      .selectFrom('call_record')
      .select(['called_phone_number', 'result_status'])
      .where('call_task_id', '=', taskId)
      .execute();
    expect(records).toEqual([{ called_phone_number: '13800000180', result_status: 'SYSTEM_ERROR' }]);
  });

  it('heartbeats at the interval its first claim gives (100 ms here), not its own 5 s: no lease lapses while its call is prepared', async () => {
    const tenant = await TenantFixture.create(server.database, { timeZone: zoneAtTwoPm() });
    const line = await trunkLine(tenant, '057188881003', 1);
    // Rings until CANCEL: the call stays up while the heartbeats are counted.
    const customer = await tenant.customer({ phone: '13800000180' });
    await tenant.job({ phoneLineIds: [line], customers: [customer.id] });
    const key = await createEngineKey(server.database, { name: 'sip-beats', tenantId: tenant.tenantId });
    const client = new EngineClient({ baseUrl: server.url, ...key });
    const beats: number[] = [];
    let claimedAt = 0;
    // The real client, with its claims and heartbeats timed.
    const api = Object.assign(Object.create(client) as EngineClient, {
      claim: async (...args: Parameters<EngineClient['claim']>) => {
        const answer = await client.claim(...args);
        if (answer.tasks.length > 0 && !claimedAt) claimedAt = Date.now();
        return answer;
      },
      heartbeat: (leases: Parameters<EngineClient['heartbeat']>[0]) => {
        beats.push(Date.now());
        return client.heartbeat(leases);
      },
    });
    const agent = await SipUserAgent.start({ address: '127.0.0.1', port: await freeSipPorts() });
    const engine = new SipEngine({
      api,
      agent,
      dataDir: join(dir, 'data'),
      channels: 1,
      callsPerSecond: 20,
      claimWaitMs: 200,
    });
    const running = engine.run();
    for (let i = 0; i < 100 && !claimedAt; i++) await sleep(50);
    await sleep(1000);
    await engine.stop();
    await running;
    agent.close();
    expect(claimedAt).toBeGreaterThan(0);
    expect(beats.filter((t) => t >= claimedAt && t < claimedAt + 1000).length).toBeGreaterThanOrEqual(3);
    const leases = await server.database.db
      .selectFrom('call_lease')
      .select('ended_reason')
      .where('tenant_id', '=', tenant.tenantId)
      .execute();
    expect(leases.map((l) => l.ended_reason)).not.toContain('expired_before_dial');
  });

  it('LINE_FAILURE_LIMIT 503s in a row disable the line; its next customer is not dialled', async () => {
    const db = server.database.db;
    const tenant = await TenantFixture.create(server.database, { timeZone: zoneAtTwoPm() });
    const line = await trunkLine(tenant, '057188881002', 1);
    // One channel: calls one after another, so the fourth is claimed only if the line is still up.
    const numbers = ['13800010503', '13800020503', '13800030503', '13800040503'];
    const customers = [];
    for (const phone of numbers) customers.push(await tenant.customer({ phone }));
    await tenant.job({ phoneLineIds: [line], customers: customers.map((c) => c.id) });
    const key = await createEngineKey(server.database, { name: 'sip-503', tenantId: tenant.tenantId });
    const agent = await SipUserAgent.start({ address: '127.0.0.1', port: await freeSipPorts() });
    const engine = new SipEngine({
      api: new EngineClient({ baseUrl: server.url, ...key }),
      agent,
      dataDir: join(dir, 'data'),
      channels: 4,
      callsPerSecond: 20,
      claimWaitMs: 200,
    });
    const running = engine.run();
    const records = () =>
      db
        .selectFrom('call_record')
        .select(['called_phone_number', 'result_status'])
        .where('tenant_id', '=', tenant.tenantId)
        .execute();
    for (let i = 0; i < 100 && (await records()).length < 3; i++) await sleep(100);
    // Time for a fourth call, were the line still enabled.
    await sleep(1000);
    await engine.stop();
    await running;
    agent.close();

    expect((await records()).map((r) => r.result_status)).toEqual([
      'CAN_NOT_CONNECT',
      'CAN_NOT_CONNECT',
      'CAN_NOT_CONNECT',
    ]);
    const row = await db
      .selectFrom('phone_line')
      .select(['enabled_status', 'disabled_reason', 'consecutive_failures'] as never)
      .where('id', '=', line)
      .executeTakeFirstOrThrow();
    expect(row).toMatchObject({ enabled_status: 0, consecutive_failures: 3 });
    expect(String((row as { disabled_reason: string }).disabled_reason)).toMatch(/3/);
    expect(engine.counters.calls).toBe(3);
  });
});
