import { type Static, Type } from '@sinclair/typebox';
import { Id, Int, NullableInteger, NullableString, Page, PageQuery, SafeText } from './common.js';

/** The audit log's list. */

export const AuditLogListQuery = Type.Object({
  action: Type.Optional(
    SafeText({ maxLength: 100, description: 'the route below /apiOpen/v1/, e.g. task/start or doNotCall/add' }),
  ),
  robotCallJobId: Type.Optional(Id('任务id the request named')),
  code: Type.Optional(Int(100, 999, { description: 'the envelope code answered (outcome), e.g. 200 or 412' })),
  earliestTime: Type.Optional(
    SafeText({
      maxLength: 19,
      description: 'from this time on, yyyy-MM-dd or yyyy-MM-dd HH:mm:ss, tenant-local, inclusive',
    }),
  ),
  latestTime: Type.Optional(
    SafeText({
      maxLength: 19,
      description: 'up to this time, yyyy-MM-dd (the whole day) or yyyy-MM-dd HH:mm:ss, tenant-local, inclusive',
    }),
  ),
  ...PageQuery,
});
export type AuditLogListQuery = Static<typeof AuditLogListQuery>;

export const AuditLogEntry = Type.Object({
  auditLogId: Type.Integer(),
  creationTime: Type.String({ description: 'when the request was answered, yyyy-MM-dd HH:mm:ss' }),
  appKey: Type.String({ description: 'the key that signed it' }),
  userName: NullableString({ description: 'the console user (null for appKey-signed requests)' }),
  method: Type.String(),
  action: Type.String({ description: 'the route below /apiOpen/v1/' }),
  robotCallJobId: NullableInteger({ description: 'the job the request named, or created' }),
  code: Type.Integer({ description: 'the envelope code answered' }),
  resultMsg: Type.String({ description: 'the envelope resultMsg (shortened to 300 characters)' }),
  summary: NullableString({ description: 'what the request carried and did, in counts (never its content)' }),
  clientIp: Type.String(),
  requestId: Type.String(),
});
export type AuditLogEntry = Static<typeof AuditLogEntry>;

export const AuditLogPage = Page(AuditLogEntry);
