import type { Static } from '@sinclair/typebox';
import type {
  FollowStatus,
  IntentLevel,
  JobMode,
  JobStatus,
  PhoneType,
  ReadStatus,
  ResultStatus,
  TurnType,
} from '../domain/enums.js';
import type {
  AuditLogEntry as AuditLogEntrySchema,
  AuditLogListQuery as AuditLogListQuerySchema,
  AuditLogPage as AuditLogPageSchema,
} from '../schemas/auditLog.js';
import type {
  CallDetail as CallDetailSchema,
  CallRecordListBody as CallRecordListBodySchema,
  CallRecordListItem as CallRecordListItemSchema,
  CallRecordPage,
} from '../schemas/callRecords.js';
import type {
  DoNotCallAddResult as DoNotCallAddResultSchema,
  DoNotCallEntry as DoNotCallEntrySchema,
  DoNotCallListQuery as DoNotCallListQuerySchema,
  DoNotCallPage as DoNotCallPageSchema,
  DoNotCallRemoveResult as DoNotCallRemoveResultSchema,
} from '../schemas/doNotCall.js';
import type {
  AddCallRecordsBody as AddCallRecordsBodySchema,
  IncomingCallRecord as IncomingCallRecordSchema,
  IngestResult as IngestResultSchema,
} from '../schemas/ingestion.js';
import type {
  CreateJobBody as CreateJobBodySchema,
  DeletedJob as DeletedJobSchema,
  DialogFlowList,
  ImportResult as ImportResultSchema,
  ImportTaskCustomerBody as ImportTaskCustomerBodySchema,
  JobStatusResult as JobStatusResultSchema,
  PhoneLineList,
} from '../schemas/jobOperations.js';
import type {
  GetTasksQuery as GetTasksQuerySchema,
  JobDetail as JobDetailSchema,
  JobListItem as JobListItemSchema,
  JobPage,
} from '../schemas/jobs.js';

/*
 * The SDK's wire types, derived from the server's TypeBox schemas (type-only imports: nothing of the
 * server is loaded at run time). The server accepts an enum as its name or numeric code, so its
 * schema types those inputs as strings; the SDK narrows them to the names, so that a misspelled
 * filter (`resultStatuses: ['ANSWERD']`) is a compile error.
 */

export type {
  FollowStatus,
  IntentLevel,
  JobMode,
  JobStatus,
  PhoneType,
  ReadStatus,
  ResultStatus,
  TurnType,
} from '../domain/enums.js';

/** T with the fields of U replaced; U may only name fields T has, with narrower types. */
type Narrow<T, U extends Partial<T> & Record<Exclude<keyof U, keyof T>, never>> = Omit<T, keyof U> & U;

/** The platform's response envelope: always HTTP 200, the outcome in `code`. */
export interface Envelope<T> {
  code: number;
  data: T;
  requestId: string;
  resultMsg: string;
  errorStackTrace: null;
}

/** One page of a list: `number` is the page (from 1), `pages` how many there are. */
export interface Page<T> {
  number: number;
  pageSize: number;
  totalElements: number;
  pages: number;
  content: T[];
}

/** getTasks: `name` (substring), `status`, `pageNum`, `pageSize` (at most 100 is served). */
export type GetTasksQuery = Narrow<Static<typeof GetTasksQuerySchema>, { status?: JobStatus }>;
export type JobListItem = Static<typeof JobListItemSchema>;
export type JobListPage = Static<typeof JobPage>;
export type JobDetail = Static<typeof JobDetailSchema>;

/** getCallRecordInfoList: the filters of one job's finished calls. */
export type CallRecordListBody = Narrow<
  Static<typeof CallRecordListBodySchema>,
  { followStatus?: FollowStatus; resultStatuses?: ResultStatus[]; intentLevels?: IntentLevel[] }
>;
export type CallRecordListItem = Static<typeof CallRecordListItemSchema>;
export type CallRecordListPage = Static<typeof CallRecordPage>;
export type CallDetail = Static<typeof CallDetailSchema>;
/** One turn of a transcript (`callDetailList[]`). */
export type Turn = CallDetail['callDetailList'][number];

/** The filters of a paging iterator: the list's own, without the page it starts from. */
export type TasksFilter = Omit<GetTasksQuery, 'pageNum'>;
export type CallRecordsFilter = Omit<CallRecordListBody, 'pageNum'>;

/** create: a new job; enums narrowed to their names. */
export type CreateJobBody = Narrow<
  Static<typeof CreateJobBodySchema>,
  { mode?: JobMode; phoneType?: PhoneType; wechatAlertLevel?: IntentLevel[]; smsAlertLevel?: IntentLevel[] }
>;
export type JobStatusResult = Static<typeof JobStatusResultSchema>;
export type DeletedJob = Static<typeof DeletedJobSchema>;
export type ImportTaskCustomerBody = Static<typeof ImportTaskCustomerBodySchema>;
export type ImportResult = Static<typeof ImportResultSchema>;
export type DialogFlow = Static<typeof DialogFlowList>[number];
export type PhoneLine = Static<typeof PhoneLineList>[number];

/** A finished call reported by a call engine; enums narrowed to their names. */
export type IncomingCallRecord = Narrow<
  Static<typeof IncomingCallRecordSchema>,
  {
    resultStatus: ResultStatus;
    intentLevel: IntentLevel;
    realIntentLevel?: IntentLevel | null;
    readStatus?: ReadStatus;
    callDetailList?: { type: TurnType; text: string }[];
  }
>;
export type AddCallRecordsBody = Omit<Static<typeof AddCallRecordsBodySchema>, 'callRecords'> & {
  callRecords: IncomingCallRecord[];
};
export type IngestResult = Static<typeof IngestResultSchema>;

/** The do-not-call list (doNotCall/add, remove, list). */
export type DoNotCallAddResult = Static<typeof DoNotCallAddResultSchema>;
export type DoNotCallRemoveResult = Static<typeof DoNotCallRemoveResultSchema>;
export type DoNotCallListQuery = Static<typeof DoNotCallListQuerySchema>;
export type DoNotCallEntry = Static<typeof DoNotCallEntrySchema>;
export type DoNotCallPage = Static<typeof DoNotCallPageSchema>;

/** The audit log (auditLog/list). */
export type AuditLogListQuery = Static<typeof AuditLogListQuerySchema>;
export type AuditLogEntry = Static<typeof AuditLogEntrySchema>;
export type AuditLogPage = Static<typeof AuditLogPageSchema>;
