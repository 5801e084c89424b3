import { type Static, Type } from '@sinclair/typebox';
import { IntentLevel, ReadStatus, ResultStatus, TurnType } from '../domain/enums.js';
import { EnumInput, Id } from './common.js';

/** Finished calls sent by external call engines. */

const Instant = (description: string) =>
  Type.Union([Type.Integer({ minimum: 0 }), Type.String({ maxLength: 30 })], {
    description: `${description}: epoch milliseconds, or yyyy-MM-dd HH:mm:ss in the tenant's time zone`,
  });

export const IncomingCallRecord = Type.Object({
  idempotencyKey: Type.String({
    minLength: 1,
    maxLength: 128,
    description: 'unique per tenant; a call sent again is recorded once',
  }),
  robotCallJobId: Id('任务id'),
  robotCallTaskId: Type.Optional(Id('call task dialled; found by job and calledPhoneNumber when absent')),
  calledPhoneNumber: Type.String({ minLength: 1, maxLength: 30 }),
  phoneNumberId: Type.Optional(Id('caller line id')),
  resultStatus: EnumInput(ResultStatus, '通话结果'),
  intentLevel: EnumInput(IntentLevel, '意向等级'),
  realIntentLevel: Type.Optional(Type.Union([EnumInput(IntentLevel, '真实意向等级'), Type.Null()])),
  customerConcern: Type.Optional(Type.Array(Type.String({ minLength: 1, maxLength: 50 }), { maxItems: 20 })),
  fullAudioUrl: Type.Optional(Type.Union([Type.String({ maxLength: 2000 }), Type.Null()])),
  customerAudioUrl: Type.Optional(Type.Union([Type.String({ maxLength: 2000 }), Type.Null()])),
  analysisBasis: Type.Optional(Type.String({ maxLength: 2000 })),
  startTime: Instant('开始拨打时间'),
  endTime: Instant('结束拨打时间'),
  chatDuration: Type.Integer({ minimum: 0, maximum: 86400, description: 'seconds talked' }),
  chatRound: Type.Integer({ minimum: 0, maximum: 10000 }),
  manualMarked: Type.Optional(Type.Boolean()),
  readStatus: Type.Optional(EnumInput(ReadStatus, '是否已读')),
  attributes: Type.Optional(Type.Array(Type.Unknown(), { maxItems: 50 })),
  training: Type.Optional(
    Type.Boolean({ description: 'a script-training call: listed with getTrainTaskList, kept out of statistics' }),
  ),
  callDetailList: Type.Optional(
    Type.Array(Type.Object({ type: EnumInput(TurnType, '说话方'), text: Type.String({ maxLength: 4000 }) }), {
      maxItems: 1000,
    }),
  ),
});
export type IncomingCallRecord = Static<typeof IncomingCallRecord>;

export const MAX_INGEST_BATCH = 5000;

export const AddCallRecordsBody = Type.Object({
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
