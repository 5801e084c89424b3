import type { Database } from '../src/db/database.js';
import {
  type FollowStatus,
  type IntentLevel,
  type JobStatus,
  REDIAL_ON_EVERY_FAILURE,
  type ResultStatus,
} from '../src/domain/enums.js';
import { listCallTasks } from '../src/repositories/callTasks.js';
import { insertCustomer } from '../src/repositories/customers.js';
import { insertJob } from '../src/repositories/jobs.js';
import { insertDialogFlow, insertReference } from '../src/repositories/referenceData.js';
import { type FinishedCall, recordFinishedCalls } from '../src/services/callResults.js';
import { addCallTasks } from '../src/services/jobOperations.js';
import { type Credentials, createTenant } from '../src/services/tenants.js';

/** Builds a tenant's data for a test through the same repositories and write path the service uses. */

let counter = 0;
const T0 = Date.UTC(2024, 4, 1, 2, 0, 0); // 2024-05-01 10:00 in Asia/Shanghai

export interface CustomerSpec {
  name?: string;
  phone?: string;
  groupId?: number | null;
  followStatus?: FollowStatus;
}

export interface JobSpec {
  name?: string;
  status?: JobStatus;
  createdAt?: number;
  flowId?: number;
  redialTimes?: number;
  phoneLineIds?: number[];
  customers?: number[];
}

export class TenantFixture {
  /** The phone number of each customer made here, by id. */
  private readonly phoneOf = new Map<number, string>();

  private constructor(
    readonly database: Database,
    readonly credentials: Credentials,
    readonly flowId: number,
    readonly userId: number,
    readonly orgId: number,
  ) {}

  get tenantId(): number {
    return this.credentials.tenantId;
  }

  static async create(database: Database, options: { sign?: string; timeZone?: string } = {}): Promise<TenantFixture> {
    const sign = options.sign ?? `t${++counter}${Math.random().toString(36).slice(2, 8)}`;
    const credentials = await createTenant(
      database,
      { name: `公司${sign}`, tenantSign: sign, timeZone: options.timeZone },
      T0 - 86_400_000,
    );
    const base = { tenant_id: credentials.tenantId, created_at: T0 };
    const orgId = await insertReference(database, 'organization', { ...base, name: '销售部' });
    const userId = await insertReference(database, 'app_user', { ...base, name: '王经理', organization_id: orgId });
    const flowId = await insertDialogFlow(database, { ...base, name: '默认话术', definition: {} });
    return new TenantFixture(database, credentials, flowId, userId, orgId);
  }

  async flow(name: string): Promise<number> {
    return insertDialogFlow(this.database, { tenant_id: this.tenantId, created_at: T0, name, definition: {} });
  }

  async group(name: string): Promise<number> {
    return insertReference(this.database, 'customer_group', { tenant_id: this.tenantId, created_at: T0, name });
  }

  /** A caller line; `simulated` (the built-in simulator dials it) unless said otherwise. */
  async phoneLine(phoneNumber: string, engine: 'simulated' | 'external' = 'simulated'): Promise<number> {
    return insertReference(this.database, 'phone_line', {
      tenant_id: this.tenantId,
      created_at: T0,
      phone_number: phoneNumber,
      phone_type: 'LANDLINE',
      name: `线路${phoneNumber.slice(-4)}`,
      engine,
    });
  }

  async customer(spec: CustomerSpec = {}): Promise<{ id: number; phone: string }> {
    const phone = spec.phone ?? `139${String(++counter).padStart(8, '0')}`;
    const id = await insertCustomer(this.database, {
      tenant_id: this.tenantId,
      customer_group_id: spec.groupId ?? null,
      name: spec.name ?? `客户${counter}`,
      phone_number: phone,
      wechat_number: null,
      source: 'UPLOADED_BY_YOURSELF',
      last_emotion: 'UNKNOWN',
      customer_level: 'UNKNOWN',
      gender: 'UNKNOWN',
      follow_user_id: this.userId,
      follow_status: spec.followStatus ?? 'AI_INITIAL_VISIT',
      properties: { 来源: '测试' },
      attributes: [],
      last_follow_time: null,
      assign_time: T0,
      created_at: T0,
    });
    this.phoneOf.set(id, phone);
    return { id, phone };
  }

  /** A job with a call task for each customer id given; returns the job id and its call tasks by customer. */
  async job(spec: JobSpec = {}): Promise<{ jobId: number; taskOf: Map<number, { id: number; phone: string }> }> {
    const db = this.database;
    const createdAt = spec.createdAt ?? T0;
    const jobId = await insertJob(
      db,
      {
        tenant_id: this.tenantId,
        dialog_flow_id: spec.flowId ?? this.flowId,
        name: spec.name ?? `任务${++counter}`,
        mode: 'MANUAL',
        robot_count: 5,
        sms_template_id: null,
        phone_type: 'LANDLINE',
        daily_start_time: '09:00:00',
        daily_end_time: '20:00:00',
        inactive_time_list: [],
        redial_condition: [...REDIAL_ON_EVERY_FAILURE],
        description: null,
        wechat_alert_level: [],
        sms_alert_level: [],
        alert_users: [],
        early_warning_alert_users: [],
        wechat_send_method: 'SENDTOALL',
        status: spec.status ?? 'IN_PROCESS',
        start_time: null,
        next_start_time: null,
        system_pause_next_start: null,
        redial_times: spec.redialTimes ?? 0,
        created_by_user_id: this.userId,
        organization_id: this.orgId,
        created_at: createdAt,
        last_modified_at: createdAt,
      },
      spec.phoneLineIds ?? [],
    );
    const customers = (spec.customers ?? []).map((id) => ({
      customerPersonId: id,
      phoneNumber: this.phoneOf.get(id)!,
    }));
    await addCallTasks(db, this.tenantId, jobId, customers, createdAt);
    const taskOf = new Map<number, { id: number; phone: string }>();
    for (const t of await listCallTasks(db, this.tenantId, jobId))
      taskOf.set(t.customer_person_id, { id: t.id, phone: t.called_phone_number });
    return { jobId, taskOf };
  }

  /** Records one finished call through the write path; returns its call record id. */
  async call(call: FinishedCall): Promise<number> {
    return (await this.calls([call]))[0]!;
  }

  /** Records finished calls through the write path. */
  async calls(calls: FinishedCall[]): Promise<number[]> {
    const out = await recordFinishedCalls(this.database, this.tenantId, calls);
    return out.map((r) => r.callRecordId);
  }
}

export interface CallSpec {
  jobId: number;
  task?: { id: number; phone: string };
  phone?: string;
  result?: ResultStatus;
  intent?: IntentLevel;
  /** Epoch ms. */
  at?: number;
  duration?: number;
  rounds?: number;
  concerns?: string[];
  training?: boolean;
  turns?: FinishedCall['turns'];
}

/** A finished call with sensible defaults: answered, one minute, two turns. */
export function finishedCall(spec: CallSpec): FinishedCall {
  const result = spec.result ?? 'ANSWERED';
  const at = spec.at ?? T0;
  const duration = spec.duration ?? (result === 'ANSWERED' ? 60 : 0);
  return {
    idempotencyKey: `k${++counter}-${Math.random().toString(36).slice(2)}`,
    robotCallJobId: spec.jobId,
    callTaskId: spec.task?.id ?? null,
    calledPhoneNumber: spec.task?.phone ?? spec.phone ?? '13800000000',
    resultStatus: result,
    intentLevel: spec.intent ?? (result === 'ANSWERED' ? 'B' : 'E'),
    customerConcern: spec.concerns ?? [],
    analysisBasis: '',
    startTime: at,
    endTime: at + (duration + 10) * 1000,
    chatDuration: duration,
    chatRound: spec.rounds ?? (result === 'ANSWERED' ? 4 : 0),
    training: spec.training ?? false,
    turns:
      spec.turns ??
      (result === 'ANSWERED'
        ? [
            { type: 'ROBOT', text: '您好' },
            { type: 'PERSON', text: '嗯' },
          ]
        : []),
  };
}

export { T0 };
