import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ensureConsoleBuilt, hasChromium, launchBrowser } from '../../../console/e2e/browser.js';
import { ConsoleBrowser, consoleUser } from '../../../test/consoleClient.js';
import { TenantFixture } from '../../../test/fixtures.js';
import { allCallRecords, getTaskDetail, startTestServer, type TestServer } from '../../../test/harness.js';
import { recomputeStats } from '../../../test/recompute.js';
import { freeSipPorts, startTestCarrier, type TestCarrier } from '../../../test/sipCarrier.js';
import { type CallbackDispatcher, startDispatcher } from '../../callbacks/dispatcher.js';
import { verifyCallback } from '../../client/callbacks.js';
import { EngineClient } from '../../client/engine.js';
import { loadConfig } from '../../config.js';
import { DEFAULT_DIALOG_FLOW } from '../../domain/dialogFlow.js';
import { countPendingCallbacks } from '../../repositories/callbacks.js';
import { insertDialogFlow } from '../../repositories/referenceData.js';
import { callbackSecretOf, setCallbackUrl } from '../../services/callbacks.js';
import { createEngineKey } from '../../services/engineKeys.js';
import { encryptSecret } from '../../services/secrets.js';
import { SipEngine } from './engine.js';
import { fingerprintG711 } from './fingerprint.js';
import { SipUserAgent } from './userAgent.js';

/*
 * `outcall engine sip` end to end on 127.0.0.1: outcall's server, the engine protocol over HTTP,
 * the engine, real SIP and RTP to the test carrier. One job on one line gets every customer's
 * outcome from the carrier; a second line with the wrong password gets FROM_PHONE_ERROR. What the
 * run left is then read from every side: the Open API's list and statistics, the callbacks a
 * receiver got, SIPp's own message counts, the call leases, the console's transcript.
 */

const dir = mkdtempSync(join(tmpdir(), 'outcall-sip-engine-'));
let server: TestServer;
let carrier: TestCarrier;
let agent: SipUserAgent;
let receiver: Receiver;
let dispatcher: CallbackDispatcher;

/** A fixed-offset zone where it is now about 14:00, inside the jobs' 09:00–20:00 window. */
function zoneAtTwoPm(): string {
  const offset = 14 - new Date().getUTCHours();
  return offset === 0 ? 'Etc/GMT' : `Etc/GMT${offset > 0 ? '-' : '+'}${Math.abs(offset)}`;
}

beforeAll(async () => {
  // The console's page is looked at in a browser at the end (built here: a build can take a while).
  if (hasChromium) ensureConsoleBuilt();
  [server, carrier, receiver] = await Promise.all([
    startTestServer(),
    startTestCarrier(join(dir, 'carrier')),
    startReceiver(),
  ]);
  agent = await SipUserAgent.start({ address: '127.0.0.1', port: await freeSipPorts() });
  // Callbacks delivered as `serve` delivers them, to a receiver on loopback.
  dispatcher = startDispatcher(server.database, loadConfig({ CALLBACK_ALLOW_PRIVATE_NETWORKS: 'true' }), undefined);
}, 120_000);

afterAll(async () => {
  agent?.close();
  await dispatcher?.stop();
  await Promise.all([carrier?.stop(), receiver?.close(), server?.close()]);
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

/**
 * The carrier's side of each outcome: the scenario's branch (examples/carrier/carrier.xml, by its
 * label) and the message in it that settles the call, with the result outcall should record.
 */
const CARRIER_OUTCOMES: Record<string, string> = {
  'busy:486': 'BUSY',
  'decline:603': 'REFUSED',
  'notFound:404': 'VACANT_NUMBER',
  'unavailable:480': 'NO_ANSWER',
  'serviceUnavailable:503': 'CAN_NOT_CONNECT',
  'challenge:403': 'FROM_PHONE_ERROR',
  'answer2:200': 'ANSWERED',
  'answer5:200': 'ANSWERED',
  'answer10:200': 'ANSWERED',
  'answer30:200': 'ANSWERED',
  // The caller gave up: the ring timeout, or the engine heard enough of the early media.
  'ringing:CANCEL': 'NO_ANSWER',
  'emVacant:CANCEL': 'VACANT_NUMBER',
  'emPowerOff:CANCEL': 'POWER_OFF',
  'emOutOfService:CANCEL': 'OUT_OF_SERVICE',
  'emRingback:CANCEL': 'NO_ANSWER',
};

/**
 * SIPp's running totals (carrier_<pid>_counts.csv, a row a second), each column named by the
 * scenario label its element is under: `<label>:<message>`, `:INVITE` for the first INVITE. A
 * column's index counts the scenario's send, recv and nop elements from 0 (labels are not elements).
 */
function carrierCounts(dir: string): Record<string, number> | undefined {
  const file = readdirSync(dir).find((name) => name.endsWith('_counts.csv'));
  if (!file) return undefined;
  const rows = readFileSync(join(dir, file), 'utf8').trim().split('\n');
  if (rows.length < 2) return undefined;
  const header = rows[0]!.split(';');
  const last = rows.at(-1)!.split(';');
  const scenario = readFileSync('examples/carrier/carrier.xml', 'utf8')
    .replace(/<!--[\s\S]*?-->/g, '')
    .replace(/<!\[CDATA\[[\s\S]*?\]\]>/g, '');
  const labels: string[] = [];
  let label = '';
  for (const [, tag, attributes] of scenario.matchAll(/<(label|send|recv|nop|pause)\b([^>]*)>/g)) {
    if (tag === 'label') label = /id="([^"]*)"/.exec(attributes!)![1]!;
    else labels.push(label);
  }
  const counts: Record<string, number> = {};
  header.forEach((name, column) => {
    const match = /^(\d+)_(.+)_(Sent|Recv)$/.exec(name);
    if (match) counts[`${labels[Number(match[1])]}:${match[2]}`] = Number(last[column]);
  });
  return counts;
}

/** The calls SIPp settled per outcome, by CARRIER_OUTCOMES. */
function carrierOutcomes(counts: Record<string, number>): Record<string, number> {
  const outcomes: Record<string, number> = {};
  for (const [key, status] of Object.entries(CARRIER_OUTCOMES)) {
    if (counts[key] === undefined) throw new Error(`SIPp counted no ${key}: has carrier.xml changed?`);
    if (counts[key]) outcomes[status] = (outcomes[status] ?? 0) + counts[key];
  }
  return outcomes;
}

/** How many of each value. */
function tally(values: readonly string[]): Record<string, number> {
  const counts: Record<string, number> = {};
  for (const value of values) counts[value] = (counts[value] ?? 0) + 1;
  return counts;
}

interface Receiver {
  url: string;
  received: { headers: IncomingHttpHeaders; body: string }[];
  close(): Promise<void>;
}

/** A callback receiver on 127.0.0.1 that keeps what it is sent and answers `success`. */
async function startReceiver(): Promise<Receiver> {
  const received: { headers: IncomingHttpHeaders; body: string }[] = [];
  const server: Server = createServer((req, res) => {
    const parts: Buffer[] = [];
    req.on('data', (part: Buffer) => parts.push(part));
    req.on('end', () => {
      received.push({ headers: req.headers, body: Buffer.concat(parts).toString('utf8') });
      res.end('success');
    });
  });
  await new Promise<void>((done) => server.listen(0, '127.0.0.1', done));
  const address = server.address();
  return {
    url: `http://127.0.0.1:${typeof address === 'object' && address ? address.port : 0}/hook`,
    received,
    close: () => new Promise<void>((done) => server.close(() => done())),
  };
}

/** Waits until `done()` holds, for at most `ms`. */
async function until(done: () => boolean | Promise<boolean>, ms: number): Promise<void> {
  const deadline = Date.now() + ms;
  while (!(await done()) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 100));
}

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
    const { jobId } = await tenant.job({ flowId, phoneLineIds: [line], customers: customers.map((c) => c.id) });
    const { jobId: wrongJobId } = await tenant.job({
      flowId,
      phoneLineIds: [wrongLine],
      customers: [wrongCustomer.id],
    });
    await setCallbackUrl(database, tenant.tenantId, receiver.url);

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
    const stored = await records();

    // The Open API's list says what the carrier made of each customer, and the job's statistics
    // are that list's: counts per result, totals, rates.
    for (const [id, expected] of [
      [jobId, EXPECTED],
      [wrongJobId, { [WRONG_PASSWORD_NUMBER]: 'FROM_PHONE_ERROR' }],
    ] as const) {
      const list = await allCallRecords(server, tenant.credentials, { robotCallJobId: id });
      expect(Object.fromEntries(list.map((r) => [r.calledPhoneNumber, r.resultStatus]))).toEqual(expected);
      const detail = (await getTaskDetail(server, tenant.credentials, id)).data;
      expect(detail.callJobStatsInfo).toEqual(recomputeStats(list, detail));
      expect(detail.callJobStatsInfo).toMatchObject({
        taskCallTotal: Object.keys(expected).length,
        dialResult: tally(Object.values(expected)),
      });
    }

    // One callback per call record, signed with the tenant's secret. Once the outbox is empty no
    // second delivery of any of them can follow.
    await until(async () => (await countPendingCallbacks(database, Date.now())).pending === 0, 10_000);
    await dispatcher.stop();
    expect((await countPendingCallbacks(database, Date.now())).pending).toBe(0);
    const delivered = receiver.received.filter((r) => JSON.parse(r.body).dataType === 'ROBOT_CALL_RECORD');
    expect(delivered.map((r) => JSON.parse(r.body).data.callRecordId).sort((a, b) => a - b)).toEqual(
      stored.map((r) => r.id).sort((a, b) => a - b),
    );
    const secret = await callbackSecretOf(database, tenant.tenantId);
    for (const r of delivered) expect(await verifyCallback(r.headers, r.body, secret)).toMatchObject({ valid: true });

    // SIPp's own counts: every call reached it once, and it settled as many calls per outcome as
    // outcall recorded. It writes its totals each second: waited for until they add up.
    let counts = carrierCounts(carrier.dir);
    await until(() => {
      counts = carrierCounts(carrier.dir);
      return counts?.[':INVITE'] === total && Object.values(carrierOutcomes(counts)).reduce((a, b) => a + b) === total;
    }, 5_000);
    expect(counts?.[':INVITE']).toBe(total);
    expect(carrierOutcomes(counts!)).toEqual(tally(stored.map((r) => r.result_status)));

    // No customer had two live calls: each one's leases, in the order claimed, each ended before the next.
    const leases = await db
      .selectFrom('call_lease')
      .select(['called_phone_number', 'claimed_at', 'ended_at'])
      .where('tenant_id', '=', tenant.tenantId)
      .orderBy('claimed_at')
      .execute();
    expect(new Set(leases.map((l) => l.called_phone_number))).toEqual(
      new Set([...Object.keys(EXPECTED), WRONG_PASSWORD_NUMBER]),
    );
    const lastEnd = new Map<string, number>();
    for (const lease of leases) {
      expect(lease.ended_at, `a lease of ${lease.called_phone_number} still live`).not.toBeNull();
      expect(lease.claimed_at).toBeGreaterThanOrEqual(lastEnd.get(lease.called_phone_number) ?? 0);
      lastEnd.set(lease.called_phone_number, lease.ended_at!);
    }

    // The console shows the answered call's transcript with the robot's lines: the flow's opening
    // and its closing.
    const user = await consoleUser(database, tenant.credentials.tenantSign, 'member');
    const browser = new ConsoleBrowser(server.url);
    expect((await browser.signIn(user.username, user.password)).code).toBe(200);
    const shown = await browser.call('GET', `/console/api/records/${answered.id}`);
    expect(shown.code).toBe(200);
    expect(shown.data).toMatchObject({ callRecordId: answered.id, resultStatus: 'ANSWERED' });
    expect(shown.data.callDetailList.map((t: { type: string; text: string }) => [t.type, t.text])).toEqual([
      ['ROBOT', '您好。'],
      ['ROBOT', '再见。'],
    ]);

    // And in a browser: the records page, the answered call opened, its transcript as drawn (the
    // screenshot is kept for a look: outcall-sip-transcript.png in the temporary folder).
    if (!hasChromium) return;
    const chromium = await launchBrowser();
    try {
      const context = await chromium.newContext({ viewport: { width: 1360, height: 900 }, locale: 'zh-CN' });
      const [name, value] = browser.cookie!.split('=');
      await context.addCookies([{ name: name!, value: value!, url: `${server.url}/console/` }]);
      const page = await context.newPage();
      await page.goto(`${server.url}/console/jobs/${jobId}/records`);
      await page.locator('.records-table .el-table__row', { hasText: '13800000205' }).click();
      const drawer = page.locator('.record-drawer');
      await drawer.locator('.turn').first().waitFor();
      expect(await drawer.locator('.turn').allInnerTexts()).toEqual(['机器人\n您好。', '机器人\n再见。']);
      // The drawer slides in: drawn once its transition is over.
      await page.waitForFunction(() => document.getAnimations().length === 0);
      await page.screenshot({ path: join(tmpdir(), 'outcall-sip-transcript.png') });
    } finally {
      await chromium.close();
    }
  });
});
