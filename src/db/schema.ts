import type { ColumnType, Generated, Insertable, Selectable } from 'kysely';
import type {
  CallTaskStatus,
  FollowStatus,
  HangupBy,
  IntentLevel,
  JobMode,
  JobStatus,
  PhoneType,
  ReadStatus,
  ResultStatus,
  TurnType,
} from '../domain/enums.js';
import type { LineEngine, SipTransport } from '../domain/phoneLine.js';

/** The signature versions an appKey may be set to require at least (docs/signature.md). */
export type SignatureVersion = 'v1' | 'v2';

/*
 * Row types of every table, as Kysely sees them. Enum columns hold the enum's name and are typed
 * as its union. Instants are epoch milliseconds. Flags are 0/1 and JSON columns are JSON text
 * (read back parsed on PostgreSQL): the repositories convert both, so nothing above them sees
 * either form (see repositories/rows.ts).
 */

type Id = Generated<number>;
/** 0 or 1 (SQLite has no boolean; the same column type serves both databases). */
export type Flag = 0 | 1;
/** Written as JSON text; read back as text (SQLite) or parsed (PostgreSQL). */
type Json = ColumnType<unknown, string, string>;
/** A JSON column with a default ('[]'): optional on insert. */
type JsonList = ColumnType<unknown, string | undefined, string>;

export interface TenantTable {
  id: Id;
  name: string;
  tenant_sign: string;
  time_zone: string;
  created_at: number;
  /** Where finished calls and completed jobs are pushed (isv/updateIsvInfo; migration 0009). */
  callback_url: string | null;
  sms_callback_url: string | null;
  /** The callback signature key, encrypted (services/secrets.ts); null until first needed (migration 0014). */
  callback_secret: string | null;
}

export interface ApiKeyTable {
  id: Id;
  tenant_id: number;
  app_key: string;
  app_secret: string;
  enabled: Flag;
  created_at: number;
  disabled_at: number | null;
  /** 'v2' refuses requests signed with v1 (migration 0007). */
  min_signature_version: Generated<SignatureVersion>;
}

/** An engine's credentials (migration 0029, docs/engine-keys.md): every tenant's (tenant_id null) or one's. */
export interface EngineKeyTable {
  id: Id;
  /** `EK` and 14 letters or digits. */
  app_key: string;
  /** Encrypted (services/secrets.ts, context `engine_key.app_secret:<appKey>`). */
  app_secret: string;
  name: string;
  tenant_id: number | null;
  enabled: Flag;
  created_at: number;
  /** Written at most every few seconds per key (services/engineKeys.ts). */
  last_seen_at: number | null;
  disabled_at: number | null;
}

/** A carrier announcement of a tenant's library (migration 0032, docs/sip-engine.md). */
export interface AnnouncementClipTable {
  id: Id;
  tenant_id: number;
  /** What early media matching it is: power_off, vacant_number, out_of_service, busy, … */
  class: string;
  /** Unique per tenant. */
  name: string;
  /** 8 kHz A-law, base64. */
  audio: string;
  audio_bytes: number;
  created_at: number;
}

/** A v2 signature nonce seen, kept until its request's timestamp leaves the window (migration 0007). */
export interface SignatureNonceTable {
  app_key: string;
  nonce: string;
  expires_at: number;
}

export interface NamedTable {
  id: Id;
  tenant_id: number;
  name: string;
  created_at: number;
}

export interface AppUserTable extends NamedTable {
  organization_id: number | null;
}

export interface DialogFlowTable extends NamedTable {
  definition: Json;
  /** Industry, sub-industry and review status, as the later API lists them (migration 0009). */
  industry: Generated<string>;
  sub_industry: Generated<string>;
  status: Generated<string>;
  intent_level_tag_id: number | null;
  /** The current version (its definition is also `definition`) and whether new jobs may use it (migration 0031). */
  version: Generated<number>;
  enabled: Generated<number>;
}

/** Every version of a dialog flow, 1, 2, 3 …; an edit adds one (migration 0031). */
export interface DialogFlowVersionTable {
  tenant_id: number;
  dialog_flow_id: number;
  version: number;
  definition: Json;
  created_at: number;
}

/** A tenant's named group of intent-level names (migration 0009). */
export interface IntentLevelTagTable extends NamedTable {}

/** The name one intent level (code 0–5 = A–F) has in a tag group. */
export interface IntentLevelTagDetailTable {
  id: Id;
  tenant_id: number;
  intent_level_tag_id: number;
  code: number;
  name: string;
}

export interface SmsTemplateTable extends NamedTable {
  content: string;
}

export interface PhoneLineTable {
  id: Id;
  tenant_id: number;
  phone_number: string;
  phone_type: PhoneType;
  name: string | null;
  created_at: number;
  /** Billing and location facts the later API's getPhoneList answers (migration 0009). */
  local_bill_rate: Generated<number>;
  other_bill_rate: Generated<number>;
  call_out_industry: Generated<string>;
  area_code: string | null;
  province: string | null;
  city: string | null;
  enabled_status: Generated<Flag>;
  /** Channels: calls at once on the line, across the tenant's jobs (null: no limit). */
  concurrency_quota: number | null;
  /** Who dials the line and within which limits (migration 0027, docs/lines.md). */
  engine: Generated<LineEngine>;
  calls_per_second: number | null;
  ring_timeout_seconds: Generated<number>;
  max_call_seconds: Generated<number>;
  daily_cap_per_number: number | null;
  consecutive_failures: Generated<number>;
  disabled_reason: string | null;
  high_water_mark: Generated<number>;
  sip_uri: string | null;
  sip_username: string | null;
  /** Encrypted (services/secrets.ts), context `phone_line.sip_password:<id>`. */
  sip_password: string | null;
  sip_transport: Generated<SipTransport>;
  /** A JSON list of codecs as text (both databases), e.g. ["PCMA","PCMU"]. */
  sip_codecs: Generated<string>;
}

export type { LineEngine, SipTransport };

export interface CustomerPersonTable {
  id: Id;
  tenant_id: number;
  customer_group_id: number | null;
  name: string;
  phone_number: string;
  wechat_number: string | null;
  source: string;
  last_emotion: string;
  customer_level: string;
  gender: string;
  follow_user_id: number | null;
  follow_status: FollowStatus;
  properties: Json;
  attributes: Json;
  last_follow_time: number | null;
  last_chat_duration: Generated<number>;
  last_start_time: number | null;
  last_intent_level: IntentLevel | null;
  last_dial_status: ResultStatus | null;
  assign_time: number | null;
  created_at: number;
}

export interface RobotCallJobTable {
  id: Id;
  tenant_id: number;
  dialog_flow_id: number;
  /** The version of its dialog flow the job speaks: set when it is made or its flow is changed (migration 0031). */
  dialog_flow_version: number | null;
  name: string;
  mode: JobMode;
  robot_count: number;
  sms_template_id: number | null;
  phone_type: PhoneType;
  daily_start_time: string;
  daily_end_time: string;
  description: string | null;
  wechat_alert_level: Json;
  sms_alert_level: Json;
  alert_users: Json;
  early_warning_alert_users: Json;
  wechat_send_method: string;
  status: JobStatus;
  start_time: number | null;
  next_start_time: string | null;
  system_pause_next_start: number | null;
  /** Why the scheduler suspended the job, when not for its calling hours (migration 0030). */
  system_pause_reason: Generated<string | null>;
  redial_times: Generated<number>;
  redial_interval_minutes: Generated<number>;
  created_by_user_id: number | null;
  /** The console user who created the job in the console (migration 0024); null otherwise. */
  created_by_console_user_id: number | null;
  organization_id: number | null;
  task_call_total: Generated<number>;
  completed_task: Generated<number>;
  created_at: number;
  last_modified_at: number;
  /** Windows [{startTime, endTime}] (clock times, HH:mm:ss or HH:mm) the job does not dial, at most three (migration 0009;
   * the only calling-hours exception since 0011 dropped the 2018 inactive_start_time/inactive_end_time). */
  inactive_time_list: JsonList;
  /** Result names that make a call task wait for a redial (at most redial_times redials). */
  redial_condition: JsonList;
  transfer_phone_number: JsonList;
  wechat_condition_alert_level: JsonList;
  concurrency_quota: number | null;
  cs_staff_group_id: number | null;
}

export interface JobPhoneLineTable {
  tenant_id: number;
  job_id: number;
  phone_line_id: number;
}

export interface CallTaskTable {
  id: Id;
  tenant_id: number;
  job_id: number;
  customer_person_id: number;
  called_phone_number: string;
  status: CallTaskStatus;
  attempts: Generated<number>;
  /** The attempts made before the current round (a re-added customer's task starts a new one). */
  round_start_attempts: Generated<number>;
  next_attempt_at: number | null;
  last_result_status: ResultStatus | null;
  created_at: number;
  finished_at: number | null;
}

export interface CallRecordTable {
  id: Id;
  tenant_id: number;
  job_id: number;
  call_task_id: number | null;
  customer_person_id: number | null;
  customer_group_id: number | null;
  dialog_flow_id: number;
  called_phone_number: string;
  phone_line_id: number | null;
  result_status: ResultStatus;
  intent_level: IntentLevel;
  real_intent_level: IntentLevel | null;
  customer_concern: Json;
  full_audio_url: string | null;
  customer_audio_url: string | null;
  analysis_basis: string;
  start_time: number;
  end_time: number;
  chat_duration: number;
  chat_round: number;
  manual_marked: Flag;
  read_status: ReadStatus;
  attributes: Json;
  is_training: Flag;
  /** Unique per tenant: a finished call is recorded once, however often it is sent. */
  idempotency_key: string;
  created_at: number;
  /** Which side ended the call (HangupBy); null for calls recorded before migration 0010. */
  hangup_by: HangupBy | null;
  /** Which redial of its call task the call was: 0 for the first attempt (migration 0010). */
  redial_times: Generated<number>;
  /** 1 on the latest call of its call task, and on a call without one (lastCallRecord; migration 0010). */
  is_last: Generated<Flag>;
}

export interface CallDetailTable {
  id: Id;
  tenant_id: number;
  call_record_id: number;
  seq: number;
  type: TurnType;
  text: string;
}

/** One tenant-local day of one job's statistics; every counter column is a plain count or sum. */
export interface JobDayStatsTable {
  tenant_id: number;
  job_id: number;
  day: string;
  records: number;
  answered: number;
  chat_duration_total: number;
  intent_a: number;
  intent_b: number;
  intent_c: number;
  intent_d: number;
  intent_e: number;
  intent_f: number;
  result_answered: number;
  result_no_answer: number;
  result_busy: number;
  result_power_off: number;
  result_out_of_service: number;
  result_refused: number;
  result_vacant_number: number;
  result_can_not_connect: number;
  result_from_phone_error: number;
  result_system_error: number;
  chat_round_less_3: number;
  chat_round_f3_t6: number;
  chat_round_f6_t10: number;
  chat_round_f10_more: number;
  chat_duration_less_10s: number;
  chat_duration_f10s_t1min: number;
  chat_duration_f1min_t2min: number;
  chat_duration_f2min_t3min: number;
  chat_duration_f3min_tmore: number;
}

export interface JobConcernStatsTable {
  tenant_id: number;
  job_id: number;
  concern: string;
  hits: number;
}

/** Each distinct substring of one or two characters of a customer's name (migration 0019). */
export interface CustomerNameGramTable {
  tenant_id: number;
  gram: string;
  customer_person_id: number;
}

/** Call records per job and training flag whose called number contains `gram`, 1–3 characters (migration 0019). */
export interface CallRecordPhoneGramTable {
  tenant_id: number;
  job_id: number;
  is_training: Flag;
  gram: string;
  records: number;
}

/** Call records per job, UTC day and filter value (migration 0003): exact list totals without counting rows. */
export interface CallRecordCountTable {
  tenant_id: number;
  job_id: number;
  is_training: Flag;
  /** start_time / 86 400 000, truncated. */
  utc_day: number;
  result_status: ResultStatus;
  intent_level: IntentLevel;
  /** 0 when the record has no customer group. */
  customer_group_id: number;
  dialog_flow_id: number;
  /** The customer's follow status; '' when the record has no customer. */
  follow_status: FollowStatus | '';
  /** Which side hung up; '' when the record does not say (migration 0016, as are the two below). */
  hangup_by: HangupBy | '';
  read_status: ReadStatus;
  manual_marked: Flag;
  records: number;
}

/** The record columns call_record_count shares with the duration and concern rollups (migration 0020). */
export interface RecordDimensions {
  result_status: ResultStatus;
  intent_level: IntentLevel;
  /** 0 when the record has no customer group. */
  customer_group_id: number;
  dialog_flow_id: number;
  /** '' when the record does not say who hung up. */
  hangup_by: HangupBy | '';
  read_status: ReadStatus;
  manual_marked: Flag;
}

/** Call records per job, training flag, chat duration and record columns (migration 0020): chatDuration totals. */
export interface CallRecordDurationCountTable extends RecordDimensions {
  tenant_id: number;
  job_id: number;
  is_training: Flag;
  /** Seconds. */
  chat_duration: number;
  records: number;
}

/** Call records per job, training flag, concern set and record columns (migration 0020): customerConcern totals. */
export interface CallRecordConcernCountTable extends RecordDimensions {
  tenant_id: number;
  job_id: number;
  is_training: Flag;
  /**
   * The record's distinct concerns in code point order, as a JSON array: text on SQLite, jsonb
   * (read back as an array) on PostgreSQL. Records without one are not counted.
   */
  concerns: string | string[];
  records: number;
}

/**
 * The latest calls of call tasks (is_last) per job, redial number, chat duration and record
 * columns (migration 0022): lastCallRecord totals.
 */
export interface CallRecordLastCountTable extends RecordDimensions {
  tenant_id: number;
  job_id: number;
  redial_times: number;
  /** Seconds. */
  chat_duration: number;
  records: number;
}

/** One appKey's rate-limit state (migration 0008): the GCRA theoretical arrival time, in microseconds. */
export interface RateLimitTable {
  app_key: string;
  tat: number;
}

/** A number the tenant never dials (migration 0008). */
export interface DoNotCallTable {
  tenant_id: number;
  phone_number: string;
  reason: string | null;
  /** The appKey that listed it, or `cli`. */
  added_by: string;
  created_at: number;
}

/** One changing request (migration 0008). */
export interface AuditLogTable {
  id: Id;
  tenant_id: number;
  app_key: string;
  /** The console user, once there is a console; null for appKey-signed requests. */
  user_name: string | null;
  method: string;
  /** The route below /apiOpen/v1/, e.g. `task/start`. */
  action: string;
  robot_call_job_id: number | null;
  /** The envelope code answered. */
  code: number;
  result_msg: string;
  summary: string | null;
  client_ip: string;
  request_id: string;
  created_at: number;
}

/** A console user (migration 0015): one tenant's; the username is unique across the installation. */
export interface ConsoleUserTable {
  id: Id;
  tenant_id: number;
  username: string;
  /** `scrypt$N$r$p$salt$hash` (base64url): the parameters travel with the hash. */
  password_hash: string;
  role: ConsoleRole;
  enabled: Generated<Flag>;
  created_at: number;
  password_changed_at: number;
}

export type ConsoleRole = 'admin' | 'member';

/** A signed-in browser (migration 0015); `id` is the SHA-256 (hex) of the cookie's token. */
export interface ConsoleSessionTable {
  id: string;
  user_id: number;
  csrf_token: string;
  created_at: number;
  last_seen_at: number;
  expires_at: number;
}

/** One failed sign-in (migration 0015), under `user:NAME` and under `ip:ADDRESS`. */
export interface LoginAttemptTable {
  id: Id;
  subject: string;
  created_at: number;
}

/** Rows taken out by migration 0006 because no read could serve them, kept for operators. */
export interface QuarantineTable {
  id: Id;
  tenant_id: number;
  table_name: string;
  row_id: number;
  reason: string;
  /** The row (a call record with its `turns`) as JSON text; infinities as the strings "Infinity". */
  content: string;
  quarantined_at: number;
}

/** PENDING: due at next_attempt_at; DELIVERED; FAILED: gave up (migration 0014). */
export type CallbackState = 'PENDING' | 'DELIVERED' | 'FAILED';

/** The callback outbox: one event to push to its tenant (migration 0014). */
export interface CallbackEventTable {
  id: Id;
  tenant_id: number;
  /** Stable across attempts: the X-Outcall-Event-Id header. */
  event_id: string;
  data_type: string;
  job_id: number | null;
  call_record_id: number | null;
  /** The body exactly as it is sent. */
  payload: string;
  state: CallbackState;
  attempts: Generated<number>;
  cycle_attempts: Generated<number>;
  cycle_started_at: number;
  next_attempt_at: number;
  claimed_by: string | null;
  claimed_until: number | null;
  last_attempt_at: number | null;
  last_status: number | null;
  last_error: string | null;
  created_at: number;
  finished_at: number | null;
}

/**
 * The events of one recording transaction, not yet expanded into callback_event rows by a
 * dispatcher (migration 0018). `events` is JSON: [{eventId, robotCallJobId, callRecordId, payload}].
 */
export interface CallbackBatchTable {
  id: Id;
  tenant_id: number;
  event_count: number;
  events: string;
  created_at: number;
}

/** One delivery attempt of a callback event (migration 0014). */
export interface CallbackAttemptTable {
  id: Id;
  callback_event_id: number;
  tenant_id: number;
  attempt: number;
  started_at: number;
  duration_ms: number;
  http_status: number | null;
  error: string | null;
}

/** Which process holds the scheduler's work (migration 0030; scheduler/scheduler.ts). */
export interface SchedulerLeaseTable {
  name: string;
  holder: string | null;
  expires_at: number;
}

/** One claim of one call task by one call engine (migration 0028; services/callLeases.ts). */
export interface CallLeaseTable {
  id: string;
  tenant_id: number;
  job_id: number;
  call_task_id: number;
  /** Null only for a lineless job's simulated call. */
  phone_line_id: number | null;
  /** Null: the built-in simulator. */
  engine_key_id: number | null;
  called_phone_number: string;
  /** The task's attempts + 1 at claim. */
  attempt: number;
  state: 'claimed' | 'dialing' | 'ended';
  phase: 'ringing' | 'early_media' | 'answered' | null;
  claimed_at: number;
  dialled_at: number | null;
  expires_at: number;
  deadline_at: number | null;
  ended_at: number | null;
  ended_reason: 'result' | 'released' | 'expired_before_dial' | 'poisoned' | 'lost' | 'cancelled' | null;
  result_status: ResultStatus | null;
}

export interface DB {
  tenant: TenantTable;
  api_key: ApiKeyTable;
  organization: NamedTable;
  customer_group: NamedTable;
  app_user: AppUserTable;
  dialog_flow: DialogFlowTable;
  dialog_flow_version: DialogFlowVersionTable;
  intent_level_tag: IntentLevelTagTable;
  intent_level_tag_detail: IntentLevelTagDetailTable;
  sms_template: SmsTemplateTable;
  phone_line: PhoneLineTable;
  customer_person: CustomerPersonTable;
  robot_call_job: RobotCallJobTable;
  job_phone_line: JobPhoneLineTable;
  call_task: CallTaskTable;
  call_record: CallRecordTable;
  call_detail: CallDetailTable;
  job_day_stats: JobDayStatsTable;
  job_concern_stats: JobConcernStatsTable;
  call_record_count: CallRecordCountTable;
  customer_name_gram: CustomerNameGramTable;
  call_record_phone_gram: CallRecordPhoneGramTable;
  call_record_duration_count: CallRecordDurationCountTable;
  call_record_concern_count: CallRecordConcernCountTable;
  call_record_last_count: CallRecordLastCountTable;
  quarantine: QuarantineTable;
  signature_nonce: SignatureNonceTable;
  rate_limit: RateLimitTable;
  do_not_call: DoNotCallTable;
  audit_log: AuditLogTable;
  callback_event: CallbackEventTable;
  callback_attempt: CallbackAttemptTable;
  callback_batch: CallbackBatchTable;
  console_user: ConsoleUserTable;
  console_session: ConsoleSessionTable;
  login_attempt: LoginAttemptTable;
  call_lease: CallLeaseTable;
  engine_key: EngineKeyTable;
  scheduler_lease: SchedulerLeaseTable;
  announcement_clip: AnnouncementClipTable;
}

export type Tenant = Selectable<TenantTable>;
export type ApiKey = Selectable<ApiKeyTable>;
export type RobotCallJob = Selectable<RobotCallJobTable>;
export type CallRecord = Selectable<CallRecordTable>;
export type CustomerPerson = Selectable<CustomerPersonTable>;
export type JobDayStats = Selectable<JobDayStatsTable>;
export type NewCallRecord = Insertable<CallRecordTable>;
