import type { Static } from '@sinclair/typebox';
import type { LaterJobStatus } from '../../domain/enums.js';
import type {
  CheckAllBody,
  CheckAllResult,
  ExecuteJobsBody,
  ExecuteJobsResult,
  ImportCustomerBody,
  JobIdResult,
  LaterCreateJobBody,
  LaterDeletedJob,
  LaterImportResult,
  LaterJobStatusResult,
  ModifyJobBody,
  ReAddCustomerBody,
  ReAddResult,
} from '../../schemas/later/jobOperations.js';
import type {
  GetJobsQuery as GetJobsQuerySchema,
  JobProperties,
  JobStatsInfoMap,
  LaterJobDetail,
  LaterJobListItem,
  LaterJobPage,
  LaterJobStats,
} from '../../schemas/later/jobs.js';
import type { CallOptions } from '../client.js';
import { LATER_BASE, type Send } from './resource.js';

/** The later API's job/ paths: queries (getJobs, getJobDetail, getJobStats, …) and operations (create, modify, start, …). */
export class JobResource {
  constructor(private readonly send: Send) {}

  // ---- queries ----

  /** 获取任务列表: one page of the tenant's jobs, newest first (`pageSize` above 100 is served as 100). */
  getJobs(query: GetJobsQuery = {}, options?: CallOptions): Promise<LaterJobPage> {
    return this.send('GET', `${LATER_BASE}/job/getJobs`, { ...options, query });
  }

  /** 获取任务详情: one job with its caller lines and call-task counters. */
  getJobDetail(robotCallJobId: number, options?: CallOptions): Promise<LaterJobDetail> {
    return this.send('GET', `${LATER_BASE}/job/getJobDetail`, { ...options, query: { robotCallJobId } });
  }

  /** 获取任务统计: a job's statistics with its dialog flow's intent-level names. */
  getJobStats(robotCallJobId: number, options?: CallOptions): Promise<LaterJobStats> {
    return this.send('GET', `${LATER_BASE}/job/getJobStats`, { ...options, query: { robotCallJobId } });
  }

  /** 获取任务中的变量: the variable names of the job's dialog flow and SMS template. */
  getJobProperties(robotCallJobId: number, options?: CallOptions): Promise<JobProperties> {
    return this.send('GET', `${LATER_BASE}/job/getJobProperties`, { ...options, query: { robotCallJobId } });
  }

  /** 获取任务统计相关信息: call-task totals of up to 100 jobs, by id; ids not the tenant's are left out. */
  getJobStatsInfoList(robotCallJobIds: number[], options?: CallOptions): Promise<JobStatsInfoMap> {
    return this.send('POST', `${LATER_BASE}/job/getJobStatsInfoList`, {
      ...options,
      body: { robotCallJobId: robotCallJobIds },
    });
  }

  // ---- operations (not retried by default: sending one twice is not the same as once) ----

  /** 创建任务: a new NOT_STARTED job; its fields in `robotCallJob` (or flat). */
  create(body: LaterCreateJobBody, options?: CallOptions): Promise<JobIdResult> {
    return this.send('POST', `${LATER_BASE}/job/create`, { retries: 0, ...options, body });
  }

  /** 修改任务: changes the fields sent (those the job's status allows); the others stay. */
  modify(body: ModifyJobBody, options?: CallOptions): Promise<JobIdResult> {
    return this.send('PATCH', `${LATER_BASE}/job/modify`, { retries: 0, ...options, body });
  }

  /** 启动任务: starts a job, or resumes a paused one. */
  start(robotCallJobId: number, options?: CallOptions): Promise<LaterJobStatusResult> {
    return this.send('POST', `${LATER_BASE}/job/start`, { retries: 0, ...options, body: { robotCallJobId } });
  }

  /** 暂停任务. */
  pause(robotCallJobId: number, options?: CallOptions): Promise<LaterJobStatusResult> {
    return this.send('POST', `${LATER_BASE}/job/pause`, { retries: 0, ...options, body: { robotCallJobId } });
  }

  /** 停止任务: for good (TERMINATE). */
  stop(robotCallJobId: number, options?: CallOptions): Promise<LaterJobStatusResult> {
    return this.send('POST', `${LATER_BASE}/job/stop`, { retries: 0, ...options, body: { robotCallJobId } });
  }

  /** 删除任务: a job not running, with its call tasks and records. */
  delete(robotCallJobId: number, options?: CallOptions): Promise<LaterDeletedJob> {
    return this.send('POST', `${LATER_BASE}/job/delete`, { retries: 0, ...options, body: { robotCallJobId } });
  }

  /** 向任务中导入客户: at most 100 per call; per-row accepted and rejected. */
  importCustomer(body: ImportCustomerBody, options?: CallOptions): Promise<LaterImportResult> {
    return this.send('POST', `${LATER_BASE}/job/importCustomer`, { retries: 0, ...options, body });
  }

  /** 修改任务并发数: the job's robots (calls at once, 1–200). */
  updateAiCount(robotCallJobId: number, robotCount: number, options?: CallOptions): Promise<JobIdResult> {
    return this.send('POST', `${LATER_BASE}/job/updateAiCount`, {
      retries: 0,
      ...options,
      body: { robotCallJobId, robotCount },
    });
  }

  /** 重新添加客户到呼叫任务: called customers matching the filters are dialled again in the job. */
  reAddCustomerToJob(body: ReAddCustomerBody, options?: CallOptions): Promise<ReAddResult> {
    return this.send('POST', `${LATER_BASE}/job/reAddCustomerToJob`, { retries: 0, ...options, body });
  }

  /** 检查所有任务: which of the jobs selected the operation can be applied to (reads only: retried). */
  checkAll(body: CheckAllBody, options?: CallOptions): Promise<CheckAllResult> {
    return this.send('POST', `${LATER_BASE}/job/checkAll`, { ...options, body });
  }

  /** 执行所有任务: applies the operation to each job listed; one result per job. */
  executeJobs(body: ExecuteJobsBody, options?: CallOptions): Promise<ExecuteJobsResult> {
    return this.send('POST', `${LATER_BASE}/job/executeJobs`, { retries: 0, ...options, body });
  }
}

/** job/getJobs: `name` (substring), `status` (a later job status name), `pageNum`, `pageSize`. */
export type GetJobsQuery = Omit<Static<typeof GetJobsQuerySchema>, 'status'> & { status?: LaterJobStatus };
export type {
  CallOptions,
  JobProperties,
  JobStatsInfoMap,
  LaterJobDetail,
  LaterJobListItem,
  LaterJobPage,
  LaterJobStats,
};
export { LATER_BASE };
