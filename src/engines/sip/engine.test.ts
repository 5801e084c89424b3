import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TenantFixture } from '../../../test/fixtures.js';
import { startTestServer, type TestServer } from '../../../test/harness.js';
import { EngineClient } from '../../client/engine.js';
import { DEFAULT_DIALOG_FLOW } from '../../domain/dialogFlow.js';
import { insertDialogFlow } from '../../repositories/referenceData.js';
import { createEngineKey } from '../../services/engineKeys.js';
import { encryptSecret } from '../../services/secrets.js';
import { SipEngine } from './engine.js';
import { fingerprintG711 } from './fingerprint.js';
import { freeUdpPorts, startTestCarrier, type TestCarrier } from './testCarrier.js';
import { SipUserAgent } from './userAgent.js';

/*
 * `outcall engine sip` end to end on 127.0.0.1: outcall's server, the engine protocol over HTTP,
 * the engine, real SIP and RTP to the test carrier. One job on one line gets every customer's
 * outcome from the carrier; a second line with the wrong password gets FROM_PHONE_ERROR.
 */

const dir = mkdtempSync(join(tmpdir(), 'outcall-sip-engine-'));
let server: TestServer;
let carrier: TestCarrier;
let agent: SipUserAgent;

/** A fixed-offset zone where it is now about 14:00, inside the jobs' 09:00–20:00 window. */
function zoneAtTwoPm(): string {
  const offset = 14 - new Date().getUTCHours();
  return offset === 0 ? 'Etc/GMT' : `Etc/GMT${offset > 0 ? '-' : '+'}${Math.abs(offset)}`;
}

beforeAll(async () => {
  [server, carrier] = await Promise.all([startTestServer(), startTestCarrier(join(dir, 'carrier'))]);
  agent = await SipUserAgent.start({ address: '127.0.0.1', port: await freeUdpPorts() });
});

afterAll(async () => {
  agent?.close();
  await Promise.all([carrier?.stop(), server?.close()]);
  rmSync(dir, { recursive: true, force: true });
});

const EXPECTED: Record<string, string> = {
  '13800000205': 'ANSWERED',
  '13800010407': 'ANSWERED',
  '13800000486': 'BUSY',
  '13800000603': 'REFUSED',
  '13800000404': 'VACANT_NUMBER',
  '13800000480': 'NO_ANSWER',
  '13800000503': 'CAN_NOT_CONNECT',
  '13800000180': 'NO_ANSWER',
  '13800000184': 'POWER_OFF',
  '13800000186': 'NO_ANSWER',
};
const WRONG_PASSWORD_NUMBER = '13800020407';

describe('outcall engine sip', () => {
  it('dials every customer of a job through the trunk and records the outcome the carrier gives', async () => {
    const db = server.database.db;
    const database = server.database;
    const tenant = await TenantFixture.create(database, { timeZone: zoneAtTwoPm() });
    const flowId = await insertDialogFlow(database, {
      tenant_id: tenant.tenantId,
      created_at: Date.now(),
      name: '短话术',
      // The engine speaks the opening, then the neutral closing (it does not converse).
      definition: {
        ...DEFAULT_DIALOG_FLOW.script,
        opening: '您好。',
        closings: { ...DEFAULT_DIALOG_FLOW.script.closings, neutral: '再见。' },
      },
    });
    const trunkLine = async (number: string, password: string, channels: number) => {
      const id = await tenant.phoneLine(number);
      await db
        .updateTable('phone_line')
        .set({
          engine: 'external',
          concurrency_quota: channels,
          ring_timeout_seconds: 2,
          sip_uri: `sip:127.0.0.1:${carrier.port}`,
          sip_username: 'outcall',
          sip_password: encryptSecret(password, `phone_line.sip_password:${id}`),
        } as never)
        .where('id', '=', id)
        .execute();
      return id;
    };
    const line = await trunkLine('057188880001', 'right-password', 4);
    const wrongLine = await trunkLine('057188880002', 'wrong-password', 1);
    const customers = await Promise.all(Object.keys(EXPECTED).map((phone) => tenant.customer({ phone })));
    const wrongCustomer = await tenant.customer({ phone: WRONG_PASSWORD_NUMBER });
    await tenant.job({ flowId, phoneLineIds: [line], customers: customers.map((c) => c.id) });
    await tenant.job({ flowId, phoneLineIds: [wrongLine], customers: [wrongCustomer.id] });

    const key = await createEngineKey(database, { name: 'sip-test', tenantId: null });
    const library = ['vacant_number', 'power_off', 'out_of_service'].map((name) => ({
      class: name,
      fingerprint: fingerprintG711('PCMA', readFileSync(join(carrier.dir, `${name}.al`))),
    }));
    const log: string[] = [];
    const engine = new SipEngine({
      api: new EngineClient({ baseUrl: server.url, appKey: key.appKey, appSecret: key.appSecret }),
      agent,
      dataDir: join(dir, 'data'),
      channels: 8,
      callsPerSecond: 20,
      claimWaitMs: 300,
      library,
      log: (line) => log.push(line),
    });
    const running = engine.run();

    const total = Object.keys(EXPECTED).length + 1;
    const records = async () =>
      db
        .selectFrom('call_record')
        .select(['id', 'called_phone_number', 'result_status', 'phone_line_id'])
        .where('tenant_id', '=', tenant.tenantId)
        .execute();
    const deadline = Date.now() + 30_000;
    while ((await records()).length < total && Date.now() < deadline) await new Promise((r) => setTimeout(r, 200));
    await engine.stop();
    await running;

    const byNumber = Object.fromEntries((await records()).map((r) => [r.called_phone_number, r.result_status]));
    expect(byNumber).toEqual({ ...EXPECTED, [WRONG_PASSWORD_NUMBER]: 'FROM_PHONE_ERROR' });
    expect(log.filter((l) => l.startsWith('call '))).toHaveLength(total);
    expect(log.find((l) => l.includes('callee=138****0184'))).toMatch(/earlyMedia=power_off\/1 outcome=POWER_OFF/);

    // The robot's lines are the answered calls' turns.
    const answered = (await records()).find((r) => r.called_phone_number === '13800000205')!;
    const turns = await db.selectFrom('call_detail').selectAll().where('call_record_id', '=', answered.id).execute();
    expect(turns.sort((a, b) => a.seq - b.seq).map((t) => [t.type, t.text])).toEqual([
      ['ROBOT', '您好。'],
      ['ROBOT', '再见。'],
    ]);

    // Never more calls on the line at once than its channels.
    const mark = await db.selectFrom('phone_line').selectAll().where('id', '=', line).executeTakeFirst();
    expect((mark as { high_water_mark: number }).high_water_mark).toBeLessThanOrEqual(4);
    expect(engine.counters.calls).toBe(total);
    expect(engine.counters.answered).toBe(2);
  });
});
