import { type Static, Type } from '@sinclair/typebox';
import { HangupBy, IntentLevel, ReadStatus, ResultStatus, TurnType } from '../domain/enums.js';
import { EnumInput, EpochMs, Id, InputObject, Int, JsonValue, SafeText } from './common.js';

/** Finished calls sent by external call engines. */

const Instant = (description: string) =>
  Type.Union([EpochMs('epoch milliseconds'), SafeText({ maxLength: 30 })], {
    description: `${description}: epoch milliseconds (or the same digits as a string), or yyyy-MM-dd HH:mm:ss in the tenant's time zone; from 1970 to 2100`,
    examples: [1714528800000, '2024-05-01 10:00:00'],
  });

export const IncomingCallRecord = InputObject({
  idempotencyKey: SafeText({
    minLength: 1,
    maxLength: 128,
    description: 'unique per tenant; a call sent again is recorded once',
  }),
  robotCallJobId: Id('任务id'),
  robotCallTaskId: Type.Optional(Id('call task dialled; found by job and calledPhoneNumber when absent')),
  calledPhoneNumber: SafeText({ minLength: 1, maxLength: 30 }),
  phoneNumberId: Type.Optional(Id('caller line id')),
  resultStatus: EnumInput(ResultStatus, '通话结果'),
  intentLevel: EnumInput(IntentLevel, '意向等级'),
  realIntentLevel: Type.Optional(Type.Union([EnumInput(IntentLevel, '真实意向等级'), Type.Null()])),
  customerConcern: Type.Optional(Type.Array(SafeText({ minLength: 1, maxLength: 50 }), { maxItems: 20 })),
  fullAudioUrl: Type.Optional(Type.Union([SafeText({ maxLength: 2000 }), Type.Null()])),
  customerAudioUrl: Type.Optional(Type.Union([SafeText({ maxLength: 2000 }), Type.Null()])),
  analysisBasis: Type.Optional(SafeText({ maxLength: 2000 })),
  startTime: Instant('开始拨打时间'),
  endTime: Instant('结束拨打时间'),
  chatDuration: Int(0, 86400, { description: 'seconds talked' }),
  chatRound: Int(0, 10000),
  manualMarked: Type.Optional(Type.Boolean()),
  readStatus: Type.Optional(EnumInput(ReadStatus, '是否已读')),
  hangupBy: Type.Optional(
    Type.Union([EnumInput(HangupBy, '挂机状态 (which side ended the call; absent or null: unknown)'), Type.Null()]),
  ),
  attributes: Type.Optional(Type.Array(JsonValue(3, 'attribute'), { maxItems: 50 })),
  training: Type.Optional(
    Type.Boolean({ description: 'a script-training call: listed with getTrainTaskList, kept out of statistics' }),
  ),
  callDetailList: Type.Optional(
    Type.Array(InputObject({ type: EnumInput(TurnType, '说话方'), text: SafeText({ maxLength: 4000 }) }), {
      maxItems: 1000,
    }),
  ),
});
export type IncomingCallRecord = Static<typeof IncomingCallRecord>;

export const MAX_INGEST_BATCH = 5000;

export const AddCallRecordsBody = InputObject({
  callRecords: Type.Array(IncomingCallRecord, { minItems: 1, maxItems: MAX_INGEST_BATCH }),
});
export type AddCallRecordsBody = Static<typeof AddCallRecordsBody>;

export const IngestResult = Type.Object({
  accepted: Type.Integer({ description: 'calls recorded by this request' }),
  duplicates: Type.Integer({ description: 'calls whose idempotencyKey was already recorded: nothing changed' }),
  results: Type.Array(
    Type.Object({ idempotencyKey: Type.String(), callRecordId: Type.Integer(), duplicate: Type.Boolean() }),
  ),
});
export type IngestResult = Static<typeof IngestResult>;
