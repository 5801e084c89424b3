import type { Database } from '../../../db/database.js';
import { Envelope } from '../../../schemas/common.js';
import {
  CheckAllBody,
  CheckAllResult,
  ExecuteJobsBody,
  ExecuteJobsResult,
  ImportCustomerBody,
  JobIdResult,
  LaterCreateJobBody,
  LaterDeletedJob,
  LaterImportResult,
  LaterJobRef,
  LaterJobStatusResult,
  ModifyJobBody,
  ReAddCustomerBody,
  ReAddResult,
  UpdateAiCountBody,
} from '../../../schemas/later/jobOperations.js';
import { deleteJob } from '../../../services/jobOperations.js';
import {
  checkAll,
  createLaterJob,
  executeJobs,
  importLaterCustomers,
  laterJobAction,
  modifyLaterJob,
  reAddCustomersToJob,
  updateAiCount,
} from '../../../services/laterJobOperations.js';
import type { App } from '../../app.js';
import { success } from '../../envelope.js';

const BASE = '/apiOpen/v1/job';
const tags = ['job'];

const ACTIONS = {
  start: '启动任务 — start a job, or resume a paused one (USER_PAUSE)',
  pause: '暂停任务 — pause a job (IN_PROCESS, SYSTEM_SUSPENDED or IN_QUEUE → USER_PAUSE)',
  stop: '停止任务 — stop a job for good (→ TERMINATE)',
} as const;

/** The later API's job/ operations: create, modify, start, pause, stop, delete, importCustomer, updateAiCount, reAddCustomerToJob, checkAll, executeJobs. */
export function registerJobOperations(app: App, db: Database): void {
  app.post(
    `${BASE}/create`,
    {
      config: { signed: true },
      schema: {
        summary: '创建任务 — create a job (its fields in robotCallJob, or flat)',
        tags,
        body: LaterCreateJobBody,
        response: { 200: Envelope(JobIdResult) },
      },
    },
    async (request) => success(request, await createLaterJob(db, request.caller, request.body), '创建成功'),
  );
  app.patch(
    `${BASE}/modify`,
    {
      config: { signed: true },
      schema: {
        summary: '修改任务 — change some of a job’s fields (those its status allows); the rest stay',
        tags,
        body: ModifyJobBody,
        response: { 200: Envelope(JobIdResult) },
      },
    },
    async (request) => success(request, await modifyLaterJob(db, request.caller, request.body), '修改成功'),
  );
  for (const [action, summary] of Object.entries(ACTIONS) as [keyof typeof ACTIONS, string][]) {
    app.post(
      `${BASE}/${action}`,
      {
        config: { signed: true },
        schema: { summary, tags, body: LaterJobRef, response: { 200: Envelope(LaterJobStatusResult) } },
      },
      async (request) =>
        success(request, await laterJobAction(db, request.caller, action, request.body.robotCallJobId), '修改成功'),
    );
  }
  app.post(
    `${BASE}/delete`,
    {
      config: { signed: true },
      schema: {
        summary: '删除任务 — delete a job that is not running, with its call tasks and call records',
        tags,
        body: LaterJobRef,
        response: { 200: Envelope(LaterDeletedJob) },
      },
    },
    async (request) => success(request, await deleteJob(db, request.caller, request.body.robotCallJobId), '删除成功'),
  );
  app.post(
    `${BASE}/importCustomer`,
    {
      config: { signed: true },
      schema: {
        summary: '向任务中导入客户 — add up to 100 customers to a job; lists accepted and rejected rows',
        tags,
        body: ImportCustomerBody,
        response: { 200: Envelope(LaterImportResult) },
      },
    },
    async (request) => success(request, await importLaterCustomers(db, request.caller, request.body), '导入成功'),
  );
  app.post(
    `${BASE}/updateAiCount`,
    {
      config: { signed: true },
      schema: {
        summary: '修改任务并发数 — set a job’s robots (calls at once, 1–200); the dialer follows at its next tick',
        tags,
        body: UpdateAiCountBody,
        response: { 200: Envelope(JobIdResult) },
      },
    },
    async (request) =>
      success(
        request,
        await updateAiCount(db, request.caller, request.body.robotCallJobId, request.body.robotCount),
        '修改成功',
      ),
  );
  app.post(
    `${BASE}/reAddCustomerToJob`,
    {
      config: { signed: true },
      schema: {
        summary: '重新添加客户到呼叫任务 — dial called customers (matching the filters) again in a job',
        tags,
        body: ReAddCustomerBody,
        response: { 200: Envelope(ReAddResult) },
      },
    },
    async (request) => success(request, await reAddCustomersToJob(db, request.caller, request.body), '添加成功'),
  );
  app.post(
    `${BASE}/checkAll`,
    {
      config: { signed: true },
      schema: {
        summary: '检查所有任务 — which of the jobs selected can be started, paused or stopped',
        tags,
        body: CheckAllBody,
        response: { 200: Envelope(CheckAllResult) },
      },
    },
    async (request) => success(request, await checkAll(db, request.caller, request.body), '操作成功'),
  );
  app.post(
    `${BASE}/executeJobs`,
    {
      config: { signed: true },
      schema: {
        summary: '执行所有任务 — start, pause or stop each job listed; one result per job',
        tags,
        body: ExecuteJobsBody,
        response: { 200: Envelope(ExecuteJobsResult) },
      },
    },
    async (request) => success(request, await executeJobs(db, request.caller, request.body), '操作成功'),
  );
}
