import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freeSipPorts, startTestCarrier, type TestCarrier } from '../../../test/sipCarrier.js';
import { type Announcement, classify, fingerprintG711 } from './fingerprint.js';
import type { G711Codec } from './g711.js';
import { type CallRequest, SipUserAgent } from './userAgent.js';

/*
 * The test carrier of examples/carrier/ (SIPp) against the engine's user agent, over real SIP and
 * RTP on 127.0.0.1: each number's outcome as the carrier's README promises, what the engine reads
 * of it (code, Q.850 cause, who ended the call, early media), and SIPp's own log of the calls.
 */

const dir = mkdtempSync(join(tmpdir(), 'outcall-carrier-'));
let carrier: TestCarrier;
let carrierPort: number;
let agent: SipUserAgent;

beforeAll(async () => {
  carrier = await startTestCarrier(dir);
  carrierPort = carrier.port;
  agent = await SipUserAgent.start({ address: '127.0.0.1', port: await freeSipPorts() });
});

afterAll(async () => {
  agent?.close();
  await carrier?.stop();
  rmSync(dir, { recursive: true, force: true });
});

const second = (seconds: number) => Buffer.alloc(seconds * 8000, 0xd5);

function call(number: string, overrides: Partial<CallRequest> = {}) {
  return agent.placeCall({
    requestUri: `sip:${number}@127.0.0.1:${carrierPort}`,
    callerId: '057188880000',
    fromHost: '127.0.0.1',
    credentials: { user: 'outcall', password: 'right-password' },
    codecs: ['PCMA', 'PCMU'] as G711Codec[],
    ringTimeoutMs: 1500,
    maxCallMs: 20_000,
    earlyMediaBytes: 4 * 8000,
    onAnswered: async (answered) => {
      await answered.play(second(1));
    },
    ...overrides,
  });
}

describe('the test carrier', () => {
  it('answers each number as its README says, and the user agent reads each ending', async () => {
    const phases: string[] = [];
    const started = Date.now();
    const calls = await Promise.all([
      call('13800000486'),
      call('13800000603'),
      call('13800000404'),
      call('13800000480'),
      call('13800000503'),
      call('13800000180', { onPhase: (phase) => phases.push(phase) }),
      // The callee hangs up after 2 s while the robot still has 5 s to say.
      call('13800000202', { onAnswered: (answered) => answered.play(second(5)) }),
      // The robot says its 1 s and hangs up before the callee's 5 s.
      call('13800000205'),
      call('13800010407'),
      call('13800020407', { credentials: { user: 'outcall', password: 'wrong' } }),
      call('13800030407', { credentials: undefined }),
    ]);
    const [busy, decline, notFound, unavailable, failure, ringing, calleeHangsUp, robotHangsUp, ...auth] =
      await Promise.all(calls.map((c) => c.outcome));

    expect(busy).toMatchObject({ sipCode: 486, q850Cause: 17, endedBy: 'remote' });
    expect(decline).toMatchObject({ sipCode: 603, q850Cause: 21, endedBy: 'remote' });
    expect(notFound).toMatchObject({ sipCode: 404, q850Cause: 1, endedBy: 'remote' });
    expect(unavailable).toMatchObject({ sipCode: 480, q850Cause: 18, endedBy: 'remote' });
    // The `sip` package answers a 503 by trying the trunk's next address (RFC 3263) and, with none
    // left, makes its own 503: the carrier's Reason header (cause 41) does not reach the engine.
    expect(failure).toMatchObject({ sipCode: 503, endedBy: 'remote' });
    for (const outcome of [busy, decline, notFound, unavailable, failure]) expect(outcome!.answerAt).toBeUndefined();

    // Rings until our CANCEL at the ring timeout: 487, ended by the ring timeout.
    expect(ringing).toMatchObject({ sipCode: 487, endedBy: 'ring_timeout' });
    expect(ringing!.ringAt).toBeDefined();
    expect(ringing!.endAt - started).toBeGreaterThanOrEqual(1500);
    expect(phases).toEqual(['ringing']);

    expect(calleeHangsUp).toMatchObject({ sipCode: 200, q850Cause: 16, endedBy: 'remote' });
    const talked = calleeHangsUp!.endAt - calleeHangsUp!.answerAt!;
    expect(talked).toBeGreaterThanOrEqual(1900);
    expect(talked).toBeLessThan(4000);
    expect(robotHangsUp).toMatchObject({ sipCode: 200, endedBy: 'local' });
    expect(robotHangsUp!.endAt - robotHangsUp!.answerAt!).toBeLessThan(3000);

    // 407: the right credentials get through, wrong ones get 403, none leave the 407 as the answer.
    expect(auth[0]).toMatchObject({ sipCode: 200, endedBy: 'local' });
    expect(auth[1]).toMatchObject({ sipCode: 403, endedBy: 'remote' });
    expect(auth[2]).toMatchObject({ sipCode: 407, endedBy: 'remote' });
  });

  it('plays announcements as early media before 480, which the fingerprint tells apart from ringback', async () => {
    const library: Announcement[] = ['vacant_number', 'power_off', 'out_of_service'].map((name) => ({
      class: name,
      fingerprint: fingerprintG711('PCMA', readFileSync(join(dir, `${name}.al`))),
    }));
    const phases: string[] = [];
    const calls = await Promise.all([
      call('13800000183', { ringTimeoutMs: 10_000, onPhase: (phase) => phases.push(phase) }),
      call('13800000184', { ringTimeoutMs: 10_000 }),
      call('13800000186', { ringTimeoutMs: 10_000 }),
    ]);
    const [vacant, powerOff, ringback] = await Promise.all(calls.map((c) => c.outcome));
    for (const outcome of [vacant, powerOff, ringback]) {
      expect(outcome).toMatchObject({ sipCode: 480, endedBy: 'remote' });
      expect(outcome!.earlyMedia!.codec).toBe('PCMA');
      // The first 4 s, or the whole clip when shorter (关机 is 3.9 s).
      expect(outcome!.earlyMedia!.audio.length).toBeGreaterThan(3.5 * 8000);
      expect(outcome!.earlyMedia!.audio.length).toBeLessThanOrEqual(4 * 8000);
    }
    expect(phases).toEqual(['early_media']);
    expect(classify(fingerprintG711('PCMA', vacant!.earlyMedia!.audio), library)).toMatchObject({
      class: 'vacant_number',
    });
    const powerOffClass = classify(fingerprintG711('PCMA', powerOff!.earlyMedia!.audio), library);
    expect(powerOffClass.class).toBe('power_off');
    expect(powerOffClass.confidence).toBeGreaterThanOrEqual(0.8);
    expect(classify(fingerprintG711('PCMA', ringback!.earlyMedia!.audio), library).class).toBe('unknown');
  });

  it('ends a ringing call with CANCEL and an answered one with BYE when told to', async () => {
    const ringing = await call('13800010180', { ringTimeoutMs: 10_000 });
    const answered = await call('13800010200', { onAnswered: (c) => c.play(second(10)) });
    await new Promise((resolve) => setTimeout(resolve, 600));
    expect(agent.activeCalls).toBe(2);
    ringing.end('cancel');
    answered.end('shutdown');
    expect(await ringing.outcome).toMatchObject({ sipCode: 487, endedBy: 'cancel' });
    const shutdown = await answered.outcome;
    expect(shutdown).toMatchObject({ sipCode: 200, endedBy: 'shutdown' });
    expect(shutdown.answerAt).toBeDefined();
    expect(agent.activeCalls).toBe(0);
  });

  it("logs one line per outcome in SIPp's log", () => {
    const log = readFileSync(join(dir, 'outcomes.log'), 'utf8');
    const count = (line: string) => log.split('\n').filter((l) => l.trim() === line).length;
    for (const code of ['486', '603', '404', '480', '503']) expect(count(`13800000${code} ${code}`)).toBe(1);
    expect(count('13800000180 cancelled')).toBe(1);
    expect(count('13800000202 callee hung up')).toBe(1);
    expect(count('13800000205 caller hung up')).toBe(1);
    expect(count('13800010407 200 talk 5')).toBe(1);
    expect(count('13800020407 403')).toBe(1);
    expect(count('13800000183 480')).toBe(1);
    expect(count('13800010180 cancelled')).toBe(1);
    expect(count('13800010200 caller hung up')).toBe(1);
  });
});
