import type { IntentLevel, ResultStatus } from './enums.js';

/*
 * The outcome table: how outcall reads what an engine saw of a call (SIP final code, Q.850 cause,
 * a classified early-media announcement, its own hint) into the platform's result status
 * (docs/engines.md, "The outcome table"). In this order:
 *   1. a confident early-media class (confidence >= 0.8): Chinese carriers announce 空号 / 关机 /
 *      停机 in early media and then send a generic final code, so the announcement wins;
 *   2. the SIP final code, then the Q.850 cause;
 *   3. the engine's own hint;
 *   4. SYSTEM_ERROR (外呼失败): nothing said what happened.
 * Pure: the service calls it, the tests walk every row.
 */

/** What an engine heard in early media before the final answer (an announcement's class). */
export const EARLY_MEDIA_CLASSES = [
  'vacant_number',
  'power_off',
  'out_of_service',
  'busy',
  'no_answer',
  'refused',
  'unreachable',
  'unknown',
] as const;
export type EarlyMediaClass = (typeof EARLY_MEDIA_CLASSES)[number];

export const ENDED_BY = ['remote', 'local', 'ring_timeout', 'cancel', 'shutdown'] as const;
export type EndedBy = (typeof ENDED_BY)[number];

export const ANSWERED_BY = ['human', 'machine', 'unknown'] as const;
export type AnsweredBy = (typeof ANSWERED_BY)[number];

/** How sure a classification must be to win over the final code. */
export const CONFIDENT = 0.8;

export interface CallSignals {
  sipCode?: number | null;
  q850Cause?: number | null;
  earlyMedia?: { class: EarlyMediaClass; confidence: number } | null;
  endedBy: EndedBy;
  /** Set when the call was answered (the engine's answer instant). */
  answerAt?: number | null;
  resultHint?: ResultStatus | null;
}

/** Why the status was chosen: which row of the table decided it. */
export type OutcomeSource = 'early_media' | 'sip' | 'q850' | 'answered' | 'ring_timeout' | 'hint' | 'none';

const EARLY_MEDIA: Readonly<Record<EarlyMediaClass, ResultStatus | undefined>> = {
  vacant_number: 'VACANT_NUMBER', // 空号
  power_off: 'POWER_OFF', // 关机
  out_of_service: 'OUT_OF_SERVICE', // 停机
  busy: 'BUSY', // 正在通话中
  no_answer: 'NO_ANSWER', // 无人接听
  refused: 'REFUSED',
  unreachable: 'CAN_NOT_CONNECT', // 不在服务区 / 无法接通
  unknown: undefined,
};

const SIP: ReadonlyMap<number, ResultStatus> = new Map([
  [200, 'ANSWERED'],
  [486, 'BUSY'],
  [600, 'BUSY'],
  [480, 'NO_ANSWER'],
  [408, 'NO_ANSWER'],
  [404, 'VACANT_NUMBER'],
  [604, 'VACANT_NUMBER'],
  [484, 'VACANT_NUMBER'],
  [485, 'VACANT_NUMBER'],
  [410, 'VACANT_NUMBER'],
  [603, 'REFUSED'],
  [401, 'FROM_PHONE_ERROR'],
  [403, 'FROM_PHONE_ERROR'],
  [407, 'FROM_PHONE_ERROR'],
]);

const Q850: ReadonlyMap<number, ResultStatus> = new Map([
  [17, 'BUSY'],
  [18, 'NO_ANSWER'],
  [19, 'NO_ANSWER'],
  [20, 'NO_ANSWER'],
  [1, 'VACANT_NUMBER'],
  [3, 'VACANT_NUMBER'],
  [22, 'VACANT_NUMBER'],
  [28, 'VACANT_NUMBER'],
  [21, 'REFUSED'],
  [34, 'CAN_NOT_CONNECT'],
  [38, 'CAN_NOT_CONNECT'],
  [41, 'CAN_NOT_CONNECT'],
  [42, 'CAN_NOT_CONNECT'],
]);

/** The SIP final code's reading, or undefined when the table has no row for it. */
export function statusOfSipCode(code: number, endedBy: EndedBy): ResultStatus | undefined {
  // Our own CANCEL at the ring timeout comes back as 487 Request Terminated: nobody answered.
  if (code === 487) return endedBy === 'ring_timeout' ? 'NO_ANSWER' : undefined;
  if (code >= 500 && code <= 599) return 'CAN_NOT_CONNECT';
  return SIP.get(code);
}

export function statusOfQ850Cause(cause: number): ResultStatus | undefined {
  return Q850.get(cause);
}

/** The result status of a call from its signals, with the row that decided it. */
export function callOutcome(signals: CallSignals): { resultStatus: ResultStatus; source: OutcomeSource } {
  const early = signals.earlyMedia;
  if (early && early.confidence >= CONFIDENT) {
    const status = EARLY_MEDIA[early.class];
    if (status) return { resultStatus: status, source: 'early_media' };
  }
  if (signals.sipCode != null) {
    const status = statusOfSipCode(signals.sipCode, signals.endedBy);
    if (status) return { resultStatus: status, source: 'sip' };
  }
  if (signals.q850Cause != null) {
    const status = statusOfQ850Cause(signals.q850Cause);
    if (status) return { resultStatus: status, source: 'q850' };
  }
  // An engine without SIP (a voice-agent framework) says the call was answered by its instant.
  if (signals.answerAt != null) return { resultStatus: 'ANSWERED', source: 'answered' };
  // The ring timeout is ours: whatever the network said (or did not), nobody answered in time.
  if (signals.endedBy === 'ring_timeout') return { resultStatus: 'NO_ANSWER', source: 'ring_timeout' };
  if (signals.resultHint) return { resultStatus: signals.resultHint, source: 'hint' };
  return { resultStatus: 'SYSTEM_ERROR', source: 'none' };
}

/** Numbers that cannot be reached are not worth another call (F); the rest are (E) — as the simulator rates them. */
const DEAD_NUMBER: ReadonlySet<ResultStatus> = new Set(['VACANT_NUMBER', 'OUT_OF_SERVICE', 'REFUSED']);

/**
 * The intent level of a call whose engine gave none: unanswered, F for a dead number and E for the
 * rest (today's rule); answered, from the transcript as the simulator's analysis reads it — no word
 * from the customer is C (无法判断), one or two short turns D (很少), more B (一般).
 */
export function defaultIntentLevel(resultStatus: ResultStatus, customerTurns: number): IntentLevel {
  if (resultStatus !== 'ANSWERED') return DEAD_NUMBER.has(resultStatus) ? 'F' : 'E';
  if (customerTurns === 0) return 'C';
  return customerTurns <= 2 ? 'D' : 'B';
}
