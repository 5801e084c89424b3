import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  type CallSignals,
  CONFIDENT,
  callOutcome,
  defaultIntentLevel,
  EARLY_MEDIA_CLASSES,
  ENDED_BY,
  statusOfQ850Cause,
  statusOfSipCode,
} from './callOutcome.js';
import { ResultStatus } from './enums.js';

/** The outcome table (docs/engines.md): every row, then its order of precedence over any input. */

const remote = (s: Partial<CallSignals>): CallSignals => ({ endedBy: 'remote', ...s });

describe('the outcome table, row by row', () => {
  const sipRows: [number[], string][] = [
    [[200], 'ANSWERED'],
    [[486, 600], 'BUSY'],
    [[480, 408], 'NO_ANSWER'],
    [[404, 604, 484, 485, 410], 'VACANT_NUMBER'],
    [[603], 'REFUSED'],
    [[401, 403, 407], 'FROM_PHONE_ERROR'],
    [[500, 502, 503, 504, 599], 'CAN_NOT_CONNECT'],
  ];
  for (const [codes, status] of sipRows)
    it(`SIP ${codes.join('/')} → ${status}`, () => {
      for (const sipCode of codes) expect(callOutcome(remote({ sipCode })).resultStatus, String(sipCode)).toBe(status);
    });

  const q850Rows: [number[], string][] = [
    [[17], 'BUSY'],
    [[18, 19, 20], 'NO_ANSWER'],
    [[1, 3, 22, 28], 'VACANT_NUMBER'],
    [[21], 'REFUSED'],
    [[34, 38, 41, 42], 'CAN_NOT_CONNECT'],
  ];
  for (const [causes, status] of q850Rows)
    it(`Q.850 ${causes.join('/')} → ${status}`, () => {
      for (const q850Cause of causes)
        expect(callOutcome(remote({ q850Cause })).resultStatus, String(q850Cause)).toBe(status);
    });

  it('our CANCEL at the ring timeout (487) → NO_ANSWER; a 487 for any other reason says nothing', () => {
    expect(callOutcome({ endedBy: 'ring_timeout', sipCode: 487 }).resultStatus).toBe('NO_ANSWER');
    expect(callOutcome({ endedBy: 'ring_timeout' }).resultStatus).toBe('NO_ANSWER');
    expect(callOutcome({ endedBy: 'remote', sipCode: 487 }).resultStatus).toBe('SYSTEM_ERROR');
  });

  const earlyRows: [(typeof EARLY_MEDIA_CLASSES)[number], string][] = [
    ['power_off', 'POWER_OFF'],
    ['out_of_service', 'OUT_OF_SERVICE'],
    ['vacant_number', 'VACANT_NUMBER'],
    ['busy', 'BUSY'],
    ['no_answer', 'NO_ANSWER'],
  ];
  for (const [cls, status] of earlyRows)
    it(`early media ${cls} (confident) → ${status}, over the final code`, () => {
      expect(callOutcome(remote({ earlyMedia: { class: cls, confidence: 0.9 }, sipCode: 480 })).resultStatus).toBe(
        status,
      );
    });

  it('an early-media class below 0.8 confidence, or "unknown", gives way to the final code', () => {
    expect(
      callOutcome(remote({ earlyMedia: { class: 'power_off', confidence: 0.79 }, sipCode: 486 })).resultStatus,
    ).toBe('BUSY');
    expect(callOutcome(remote({ earlyMedia: { class: 'unknown', confidence: 1 }, sipCode: 486 })).resultStatus).toBe(
      'BUSY',
    );
  });

  it('the SIP code before the Q.850 cause; a SIP code the table lacks lets the cause decide', () => {
    expect(callOutcome(remote({ sipCode: 486, q850Cause: 1 })).resultStatus).toBe('BUSY');
    expect(callOutcome(remote({ sipCode: 499, q850Cause: 1 })).resultStatus).toBe('VACANT_NUMBER');
  });

  it('the hint only when the signals say nothing; else SYSTEM_ERROR', () => {
    expect(callOutcome(remote({ resultHint: 'REFUSED' })).resultStatus).toBe('REFUSED');
    expect(callOutcome(remote({ resultHint: 'REFUSED', sipCode: 480 })).resultStatus).toBe('NO_ANSWER');
    expect(callOutcome(remote({}))).toEqual({ resultStatus: 'SYSTEM_ERROR', source: 'none' });
  });

  it('an engine without SIP that says when the call was answered: ANSWERED', () => {
    expect(callOutcome(remote({ answerAt: 1 })).resultStatus).toBe('ANSWERED');
  });
});

describe('the intent level when the engine gives none', () => {
  it('unanswered: F for dead numbers, E for the rest', () => {
    for (const s of ['VACANT_NUMBER', 'OUT_OF_SERVICE', 'REFUSED'] as const) expect(defaultIntentLevel(s, 0)).toBe('F');
    for (const s of ['NO_ANSWER', 'BUSY', 'POWER_OFF', 'CAN_NOT_CONNECT', 'FROM_PHONE_ERROR', 'SYSTEM_ERROR'] as const)
      expect(defaultIntentLevel(s, 0)).toBe('E');
  });
  it('answered: by what the customer said — C silent, D a little, B more', () => {
    expect([0, 1, 2, 3, 9].map((n) => defaultIntentLevel('ANSWERED', n))).toEqual(['C', 'D', 'D', 'B', 'B']);
  });
});

describe('over any input', () => {
  const signals = fc.record(
    {
      sipCode: fc.option(fc.integer({ min: 100, max: 699 }), { nil: undefined }),
      q850Cause: fc.option(fc.integer({ min: 0, max: 127 }), { nil: undefined }),
      earlyMedia: fc.option(
        fc.record({
          class: fc.constantFrom(...EARLY_MEDIA_CLASSES),
          confidence: fc.double({ min: 0, max: 1, noNaN: true }),
        }),
        { nil: undefined },
      ),
      endedBy: fc.constantFrom(...ENDED_BY),
      answerAt: fc.option(fc.nat(), { nil: undefined }),
      resultHint: fc.option(fc.constantFrom(...ResultStatus.names), { nil: undefined }),
    },
    { requiredKeys: ['endedBy'] },
  );

  it('every input gives one of the ten result statuses', () => {
    fc.assert(fc.property(signals, (s) => ResultStatus.names.includes(callOutcome(s).resultStatus)));
  });

  it('holds the order: confident early media, then SIP, then Q.850, then the hint, then SYSTEM_ERROR', () => {
    fc.assert(
      fc.property(signals, (s) => {
        const { resultStatus, source } = callOutcome(s);
        const early =
          s.earlyMedia && s.earlyMedia.confidence >= CONFIDENT && s.earlyMedia.class !== 'unknown'
            ? s.earlyMedia
            : undefined;
        const sip = s.sipCode === undefined ? undefined : statusOfSipCode(s.sipCode, s.endedBy);
        const q850 = s.q850Cause === undefined ? undefined : statusOfQ850Cause(s.q850Cause);
        if (early) return source === 'early_media';
        if (sip) return source === 'sip' && resultStatus === sip;
        if (q850) return source === 'q850' && resultStatus === q850;
        // A hint decides only when nothing the network said did.
        if (source === 'hint') return resultStatus === s.resultHint && s.answerAt === undefined;
        if (source === 'none') return resultStatus === 'SYSTEM_ERROR' && !s.resultHint;
        return source === 'answered' || source === 'ring_timeout';
      }),
    );
  });
});
