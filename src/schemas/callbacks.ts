import { type Static, Type } from '@sinclair/typebox';
import { Id, InputObject, NullableInteger, NullableString, Page, PageQuery, SafeText } from './common.js';

/** The callback delivery log and redelivery (docs/callbacks.md). */

const TimeText = (description: string) => SafeText({ maxLength: 19, description });

export const CallbackListQuery = Type.Object({
  state: Type.Optional(
    SafeText({
      maxLength: 20,
      description:
        'PENDING (not yet delivered: first attempt due, or waiting for a retry), WAITING (pending after a failed attempt), DELIVERED or FAILED (gave up)',
      examples: ['PENDING', 'WAITING', 'DELIVERED', 'FAILED'],
    }),
  ),
  dataType: Type.Optional(
    SafeText({ maxLength: 40, description: 'ROBOT_CALL_RECORD or ROBOT_CALL_JOB', examples: ['ROBOT_CALL_RECORD'] }),
  ),
  robotCallJobId: Type.Optional(Id('任务id: only this job’s events')),
  eventId: Type.Optional(SafeText({ maxLength: 64, description: 'one event, by its X-Outcall-Event-Id' })),
  earliestTime: Type.Optional(
    TimeText('events made from this time on, yyyy-MM-dd or yyyy-MM-dd HH:mm:ss, tenant-local, inclusive'),
  ),
  latestTime: Type.Optional(
    TimeText('events made up to this time, yyyy-MM-dd (the whole day) or yyyy-MM-dd HH:mm:ss, tenant-local, inclusive'),
  ),
  ...PageQuery,
});
export type CallbackListQuery = Static<typeof CallbackListQuery>;

export const CallbackAttempt = Type.Object({
  attempt: Type.Integer({ description: '1 for the first attempt' }),
  time: Type.String({ description: 'when it started, yyyy-MM-dd HH:mm:ss' }),
  durationMs: Type.Integer(),
  httpStatus: NullableInteger({ description: 'the receiver’s HTTP status; null when there was no answer' }),
  error: NullableString({ description: 'why the attempt failed; null when it succeeded' }),
});

export const CallbackEvent = Type.Object({
  eventId: Type.String({ description: 'the X-Outcall-Event-Id header: the same on every attempt' }),
  dataType: Type.String({ description: 'ROBOT_CALL_RECORD or ROBOT_CALL_JOB' }),
  robotCallJobId: NullableInteger(),
  callRecordId: NullableInteger({ description: 'ROBOT_CALL_RECORD: the call record' }),
  state: Type.String({ description: 'PENDING, WAITING, DELIVERED or FAILED' }),
  attempts: Type.Integer({ description: 'attempts made so far' }),
  creationTime: Type.String({ description: 'when the event was recorded, yyyy-MM-dd HH:mm:ss' }),
  nextAttemptTime: NullableString({ description: 'PENDING/WAITING: when the next attempt is due' }),
  lastAttemptTime: NullableString(),
  finishedTime: NullableString({ description: 'when it was delivered or given up' }),
  lastHttpStatus: NullableInteger(),
  lastError: NullableString(),
  payload: Type.Object(
    { dataType: Type.String(), data: Type.Object({}, { additionalProperties: true }) },
    { description: 'the body sent, as JSON' },
  ),
  attemptList: Type.Array(CallbackAttempt),
});
export type CallbackEvent = Static<typeof CallbackEvent>;

export const CallbackPage = Page(CallbackEvent);

export const CallbackRedeliverBody = InputObject({
  eventId: Type.Optional(SafeText({ maxLength: 64, description: 'one event (any state), by its X-Outcall-Event-Id' })),
  earliestTime: Type.Optional(
    TimeText('with latestTime: every FAILED or waiting event made in the range, yyyy-MM-dd or yyyy-MM-dd HH:mm:ss'),
  ),
  latestTime: Type.Optional(TimeText('the range’s end, inclusive (yyyy-MM-dd: the whole day)')),
});
export type CallbackRedeliverBody = Static<typeof CallbackRedeliverBody>;

export const CallbackRedeliverResult = Type.Object({
  redelivered: Type.Integer({ description: 'events made due now' }),
});
