import { type Static, Type } from '@sinclair/typebox';
import { ANSWERED_BY, EARLY_MEDIA_CLASSES, ENDED_BY } from '../domain/callOutcome.js';
import { IntentLevel, ResultStatus, TurnType } from '../domain/enums.js';
import { EnumInput, EnumName, EpochMs, Id, InputObject, Int, SafeText } from './common.js';

/*
 * The call-engine protocol (/engine/v1/, docs/engines.md): what engines send and what outcall
 * answers, one schema each for validation, serialization, the OpenAPI document and the SDK's
 * EngineClient (client/engine.ts).
 */

const LeaseId = SafeText({ minLength: 1, maxLength: 64, description: 'the lease id a claim answered' });
const Literals = <T extends readonly string[]>(values: T, description: string) =>
  Type.Unsafe<T[number]>({ type: 'string', enum: [...values], description });

export const ClaimBody = InputObject({
  lines: Type.Optional(
    Type.Array(Id('a caller line (phoneLineId) the engine dials'), {
      maxItems: 1000,
      description: 'the lines the engine serves; omitted: any of its tenants’ external lines',
    }),
  ),
  max: Int(1, 100, { description: 'at most this many tasks: the engine’s free channels' }),
  waitMs: Type.Optional(
    Int(0, 25_000, {
      description:
        'how long to wait for work when none is claimable (long-poll; default 25000, cut to ENGINE_CLAIM_WAIT_MAX_MS)',
    }),
  ),
});
export type ClaimBody = Static<typeof ClaimBody>;

const Trunk = Type.Object(
  {
    sipUri: Type.String(),
    username: Type.Union([Type.String(), Type.Null()]),
    password: Type.Union([Type.String(), Type.Null()]),
    transport: Type.String({ description: 'udp or tcp' }),
    codecs: Type.Array(Type.String(), { description: 'e.g. PCMA, PCMU' }),
  },
  { description: 'the SIP trunk to dial through (only when the line has one)' },
);

const ClaimedLine = Type.Object({
  phoneLineId: Type.Integer(),
  phoneNumber: Type.String(),
  phoneType: Type.String(),
  callerId: Type.String({ description: 'the number to present' }),
  ringTimeoutSeconds: Type.Integer({ description: 'cancel (CANCEL, endedBy ring_timeout) when not answered by then' }),
  maxCallSeconds: Type.Integer({ description: 'hang up when the call has lasted this long' }),
  trunk: Type.Optional(Trunk),
});

export const ClaimedTask = Type.Object({
  leaseId: Type.String(),
  leaseTtlMs: Type.Integer({
    description: 'the lease ends this long after the answer unless renewed (time it with a monotonic clock)',
  }),
  callTaskId: Type.Integer(),
  robotCallJobId: Type.Integer(),
  tenantId: Type.Integer(),
  calledPhoneNumber: Type.String({ description: 'the number to dial' }),
  attempt: Type.Integer({ description: '1 for the first call of the task, 2 for its first redial …' }),
  line: Type.Union([ClaimedLine, Type.Null()], { description: 'null only for a lineless job (the simulator’s)' }),
  dialogFlow: Type.Object({
    dialogFlowId: Type.Integer(),
    version: Type.Integer({ description: '1 until dialog flows have versions' }),
    name: Type.String(),
    script: Type.Unknown({ description: 'the dialog flow’s script (opening, pitch, questions, closing)' }),
  }),
  customer: Type.Object({
    customerPersonId: Type.Integer(),
    name: Type.String(),
    properties: Type.Record(Type.String(), Type.Unknown()),
  }),
});
export type ClaimedTask = Static<typeof ClaimedTask>;

export const ClaimResult = Type.Object({
  heartbeatIntervalMs: Type.Integer({ description: 'send heartbeats for live leases this often' }),
  tasks: Type.Array(ClaimedTask),
});
export type ClaimResult = Static<typeof ClaimResult>;

/** Most leases or results in one batched request (dials, results, release). */
export const MAX_BATCH = 100;

export const DialBody = InputObject({ leaseId: LeaseId });
export type DialBody = Static<typeof DialBody>;

export const DialResult = Type.Object({
  leaseTtlMs: Type.Integer({ description: 'the lease now lives this long unless renewed' }),
});
export type DialResult = Static<typeof DialResult>;

export const DialsBody = InputObject({
  leaseIds: Type.Array(LeaseId, {
    minItems: 1,
    maxItems: MAX_BATCH,
    description: 'leases about to be dialled, each acknowledged or refused on its own',
  }),
});
export type DialsBody = Static<typeof DialsBody>;

/** One answer per item of a batch, in the order sent: taken, or refused with the code the single request would answer. */
const Refusal = {
  resultCode: Type.Optional(Type.Integer({ description: 'when refused: 404 (not this engine’s lease) or 409' })),
  reason: Type.Optional(Type.String({ description: 'when refused: why' })),
};

export const DialsResult = Type.Object({
  leases: Type.Array(
    Type.Object({
      leaseId: Type.String(),
      dial: Type.Boolean({ description: 'true: acknowledged, dial now; false: refused, do not call' }),
      leaseTtlMs: Type.Integer({ description: 'the lease now lives this long unless renewed (0 when refused)' }),
      ...Refusal,
    }),
    { description: 'one per lease sent, in the order sent' },
  ),
});
export type DialsResult = Static<typeof DialsResult>;

export const ReleaseBody = InputObject({
  leaseIds: Type.Array(LeaseId, { minItems: 1, maxItems: MAX_BATCH, description: 'leases claimed and not dialled' }),
});
export type ReleaseBody = Static<typeof ReleaseBody>;

export const ReleaseResult = Type.Object({
  released: Type.Integer({ description: 'leases given back (others were dialled, ended or not this engine’s)' }),
});
export type ReleaseResult = Static<typeof ReleaseResult>;

/** Where a call stands, as a heartbeat tells it. */
export const LEASE_PHASES = ['ringing', 'early_media', 'answered'] as const;
const Phase = Literals(LEASE_PHASES, 'where the call stands');

/** How announcement clips travel (8 kHz A-law). */
export const ANNOUNCEMENT_CODECS = ['PCMA'] as const;

/** What the dialog engine's step does (turn). */
export const TURN_ACTIONS = ['open', 'answer', 'pitch', 'close', 'hangup'] as const;

/** The protocol's own word lists (not platform enums: no codes, no labels). */
export const ENGINE_WORD_LISTS: readonly (readonly string[])[] = [
  LEASE_PHASES,
  TURN_ACTIONS,
  ANNOUNCEMENT_CODECS,
  ENDED_BY,
  ANSWERED_BY,
  EARLY_MEDIA_CLASSES,
];

export const HeartbeatBody = InputObject({
  leases: Type.Array(InputObject({ leaseId: LeaseId, phase: Type.Optional(Phase) }), {
    minItems: 1,
    maxItems: 1000,
    description: 'every live lease of the engine',
  }),
});
export type HeartbeatBody = Static<typeof HeartbeatBody>;

export const HeartbeatResult = Type.Object({
  leases: Type.Array(
    Type.Object({
      leaseId: Type.String(),
      leaseTtlMs: Type.Integer({ description: '0 when the lease has ended' }),
      cancel: Type.Boolean({ description: 'true: do not dial, or hang up now' }),
      reason: Type.Optional(Type.String()),
    }),
  ),
});
export type HeartbeatResult = Static<typeof HeartbeatResult>;

const Turn = InputObject({
  type: EnumInput(TurnType, 'who spoke'),
  text: SafeText({ maxLength: 4000 }),
});

export const ResultBody = InputObject({
  leaseId: LeaseId,
  sipCode: Type.Optional(Int(100, 699, { description: 'the SIP final response code' })),
  sipReason: Type.Optional(SafeText({ maxLength: 200, description: 'its reason phrase' })),
  q850Cause: Type.Optional(Int(0, 127, { description: 'the Q.850 cause (Reason header or ISUP)' })),
  earlyMedia: Type.Optional(
    InputObject({
      class: Literals(EARLY_MEDIA_CLASSES, 'what the announcement in early media said'),
      confidence: Type.Number({ minimum: 0, maximum: 1 }),
    }),
  ),
  answeredBy: Type.Optional(Literals(ANSWERED_BY, 'who answered (recorded on the call)')),
  ringAt: Type.Optional(EpochMs('when it began to ring')),
  answerAt: Type.Optional(EpochMs('when it was answered')),
  endAt: Type.Optional(EpochMs('when it ended')),
  endedBy: Literals(ENDED_BY, 'who or what ended the call'),
  resultHint: Type.Optional(EnumInput(ResultStatus, 'the engine’s own reading, used when the signals say nothing')),
  turns: Type.Optional(Type.Array(Turn, { maxItems: 2000, description: 'the transcript, in order' })),
  intentLevel: Type.Optional(EnumInput(IntentLevel, 'the customer’s intent, if the engine decided it')),
  customerConcern: Type.Optional(Type.Array(SafeText({ maxLength: 100 }), { maxItems: 50 })),
  recordingUrl: Type.Optional(SafeText({ maxLength: 2000 })),
  analysisBasis: Type.Optional(SafeText({ maxLength: 2000 })),
});
export type ResultBody = Static<typeof ResultBody>;

export const ResultResult = Type.Object({
  callRecordId: Type.Union([Type.Integer(), Type.Null()], {
    description: 'the call record, or null when nothing was recorded (a call cancelled before answer)',
  }),
  resultStatus: EnumName(ResultStatus, 'the result outcall derived (docs/engines.md, the outcome table)'),
});
export type ResultResult = Static<typeof ResultResult>;

export const ResultsBody = InputObject({
  results: Type.Array(ResultBody, {
    minItems: 1,
    maxItems: MAX_BATCH,
    description: 'calls that ended, each taken or refused on its own (idempotent by lease)',
  }),
});
export type ResultsBody = Static<typeof ResultsBody>;

export const ResultsResult = Type.Object({
  results: Type.Array(
    Type.Object({
      leaseId: Type.String(),
      accepted: Type.Boolean({ description: 'true: taken (recorded, or a replay answered the same)' }),
      callRecordId: Type.Union([Type.Integer(), Type.Null()], {
        description: 'the call record, or null when nothing was recorded (refused, or cancelled before answer)',
      }),
      resultStatus: Type.Optional(EnumName(ResultStatus, 'the result outcall derived, when taken')),
      ...Refusal,
    }),
    { description: 'one per result sent, in the order sent' },
  ),
});
export type ResultsResult = Static<typeof ResultsResult>;

export const AnnouncementsBody = InputObject({});
export type AnnouncementsBody = Static<typeof AnnouncementsBody>;

export const AnnouncementsResult = Type.Object({
  announcements: Type.Array(
    Type.Object({
      tenantId: Type.Integer(),
      class: Type.String({ description: 'the early-media class a match is reported as, e.g. power_off' }),
      name: Type.String(),
      codec: Type.Literal('PCMA'),
      audio: Type.String({ description: '8 kHz A-law, base64' }),
    }),
    { description: 'the clips of the tenants the key serves; a tenant without clips: the engine’s own library' },
  ),
});
export type AnnouncementsResult = Static<typeof AnnouncementsResult>;

export const TurnBody = InputObject({
  leaseId: LeaseId,
  turns: Type.Array(Turn, {
    maxItems: 2000,
    description: 'the conversation so far, in order, from the robot’s opening (empty: the call was just answered)',
  }),
  utterance: Type.Optional(
    SafeText({ maxLength: 4000, description: 'what the customer just said (recognised text); absent with hungUp' }),
  ),
  hungUp: Type.Optional(
    Type.Boolean({ description: 'the customer hung up: the answer is the outcome, nothing to say' }),
  ),
});
export type TurnBody = Static<typeof TurnBody>;

export const TurnResult = Type.Object({
  action: Literals(TURN_ACTIONS, 'what the robot does'),
  say: Type.Union([Type.String(), Type.Null()], { description: 'the line to say, variables filled in; null: nothing' }),
  end: Type.Boolean({ description: 'hang up after saying it: the conversation is over' }),
  why: Type.String({ description: 'why this line: the rule, keyword or phrasing that decided it' }),
  recognised: Type.Optional(
    Type.Object({
      as: Type.String({ description: 'question, interested, declined, busy, neutral or hung up' }),
      question: Type.Optional(Type.Integer({ description: 'the question’s index in the flow' })),
      concern: Type.Optional(Type.String()),
      by: Type.Optional(
        Type.Object({ kind: Type.String(), phrase: Type.String(), similarity: Type.Optional(Type.Number()) }),
      ),
    }),
  ),
  missingVariables: Type.Optional(Type.Array(Type.String())),
  outcome: Type.Optional(
    Type.Object(
      {
        outcome: Type.String(),
        intentLevel: Type.String({ description: 'A–F, for the result' }),
        concerns: Type.Array(Type.String(), { description: 'for the result’s customerConcern' }),
        rule: Type.Union([Type.Integer(), Type.Null()], { description: 'the intent rule that gave the level' }),
        why: Type.String(),
        analysisBasis: Type.String({ description: 'for the result’s analysisBasis' }),
      },
      { description: 'at the end: how the conversation came out, ready for the result' },
    ),
  ),
});
export type TurnResult = Static<typeof TurnResult>;
