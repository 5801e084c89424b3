import { type Static, type TSchema, Type } from '@sinclair/typebox';
import { JobStatus } from '../domain/enums.js';
import { CallRecordListBody } from './callRecords.js';
import { EnumName, Envelope, ErrorEnvelope, Id, InputObject, NullableString, Page, SafeText } from './common.js';
import { LaterCallRecordListBody } from './later/callRecords.js';

/** A console answer as the OpenAPI document shows it: the success, or the error envelope (as signed routes show theirs). */
export const ConsoleEnvelope = <T extends TSchema>(data: T) =>
  Type.Union([Envelope(data), ErrorEnvelope], {
    description:
      'The envelope, always HTTP 200: code 200 with `data`, or an error code (401, 403, 404, 412, 429, 500) with `data: null`.',
  });

/** The console's own JSON (/console/api/): the session, and what the console adds to the Open API's answers. */

export const LoginBody = InputObject({
  username: SafeText({ maxLength: 64, description: '用户名' }),
  password: SafeText({ maxLength: 200, description: '密码' }),
});
export type LoginBody = Static<typeof LoginBody>;

export const ConsoleUserInfo = Type.Object({
  username: Type.String(),
  role: Type.Unsafe<'admin' | 'member'>({ type: 'string', description: 'admin or member' }),
  tenantId: Type.Integer(),
  tenantName: Type.String(),
  tenantSign: Type.String(),
});

export const SessionInfo = Type.Object({
  user: ConsoleUserInfo,
  csrfToken: Type.String({ description: 'send it as the X-CSRF-Token header of every POST, PUT, PATCH and DELETE' }),
});

export const PasswordBody = InputObject({
  currentPassword: SafeText({ maxLength: 200 }),
  newPassword: SafeText({ maxLength: 200, description: 'at least 8 characters' }),
});
export type PasswordBody = Static<typeof PasswordBody>;

export const JobIdParams = InputObject({ id: Id('任务id') });
export const RecordIdParams = InputObject({ callRecordId: Id('通话记录id') });
export const AppKeyParams = InputObject({ appKey: SafeText({ maxLength: 64 }) });

export const ConsoleJobItem = Type.Object({
  robotCallJobId: Type.Integer(),
  name: Type.String(),
  status: EnumName(JobStatus, '任务状态'),
  completedTask: Type.Integer(),
  taskCallTotal: Type.Integer(),
  callCount: Type.Integer({ description: 'call records of the job (finished dial attempts)' }),
  answeredRate: Type.Number({ description: 'answered ÷ calls × 100, 2 decimals (as getTaskDetail)' }),
  createdByUserName: NullableString(),
  creationTime: Type.String({ description: 'yyyy-MM-dd HH:mm' }),
});
export type ConsoleJobItem = Static<typeof ConsoleJobItem>;
export const ConsoleJobPage = Page(ConsoleJobItem);

export const CreatedJob = Type.Object({ robotCallJobId: Type.Integer() });

/** The later API's list filters the 2018 list lacks (callRecord/getCallRecordInfoList, docs/later/call-records.md). */
export const LATER_ONLY_RECORD_FILTERS = [
  'hangupBy',
  'calledPhoneNumber',
  'callRecordId',
  'customerPersonName',
  'realIntent',
  'customerConcern',
  'readStatus',
  'chatDurationMin',
  'chatDurationMax',
  'lastCallRecord',
  'redialTimes',
] as const;
const later = LaterCallRecordListBody.properties;
const laterOnlyFilters = {
  hangupBy: later.hangupBy,
  calledPhoneNumber: later.calledPhoneNumber,
  callRecordId: later.callRecordId,
  customerPersonName: later.customerPersonName,
  realIntent: later.realIntent,
  customerConcern: later.customerConcern,
  readStatus: later.readStatus,
  chatDurationMin: later.chatDurationMin,
  chatDurationMax: later.chatDurationMax,
  lastCallRecord: later.lastCallRecord,
  redialTimes: later.redialTimes,
};

/**
 * getCallRecordInfoList's filters (2018) and the later list's own ones, all combinable; the job is
 * the path's. resultStatuses are the 2018 names (the stored results).
 */
const { robotCallJobId: _job, ...recordFilters } = CallRecordListBody.properties;
export const ConsoleRecordsBody = InputObject({ ...recordFilters, ...laterOnlyFilters });
export type ConsoleRecordsBody = Static<typeof ConsoleRecordsBody>;
/** The same filters as query parameters (export links). */
const { pageNum: _n, pageSize: _s, ...exportFilters } = recordFilters;
export const ExportQuery = InputObject({ ...exportFilters, ...laterOnlyFilters });
export type ExportQuery = Static<typeof ExportQuery>;

export const ApiKeyInfo = Type.Object({
  appKey: Type.String(),
  enabled: Type.Boolean(),
  createdAt: Type.String({ description: 'yyyy-MM-dd HH:mm:ss' }),
  signatureVersion: Type.String({ description: 'the lowest signature version the key accepts: v1 or v2' }),
});
export const NewApiKey = Type.Object({
  appKey: Type.String(),
  appSecret: Type.String({ description: 'shown this once; never again' }),
});
export const KeyState = Type.Object({ appKey: Type.String(), enabled: Type.Boolean() });

export const ConsoleSettings = Type.Object({
  callbackUrl: NullableString(),
  timeZone: Type.String({ description: 'the tenant’s IANA time zone (docs/statistics.md: what a change does)' }),
});
