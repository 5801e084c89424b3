import type { Database } from '../../../db/database.js';
import { Envelope } from '../../../schemas/common.js';
import {
  GetJobStatsInfoListBody,
  GetJobsQuery,
  JobIdQuery,
  JobProperties,
  JobStatsInfoMap,
  LaterJobDetail,
  LaterJobPage,
  LaterJobStats,
} from '../../../schemas/later/jobs.js';
import {
  getJobDetail,
  getJobProperties,
  getJobStats,
  getJobStatsInfoList,
  getJobs,
} from '../../../services/laterJobs.js';
import type { App } from '../../app.js';
import { success } from '../../envelope.js';

/** The later API's job/ queries: getJobs, getJobDetail, getJobStats, getJobProperties, getJobStatsInfoList. */
export function registerJobQueries(app: App, db: Database): void {
  const tags = ['job'];

  app.get(
    '/apiOpen/v1/job/getJobs',
    {
      config: { signed: true },
      schema: {
        summary: '获取任务列表 — the tenant’s jobs, newest first',
        tags,
        querystring: GetJobsQuery,
        response: { 200: Envelope(LaterJobPage) },
      },
    },
    async (request) => success(request, await getJobs(db, request.caller, request.query)),
  );

  app.get(
    '/apiOpen/v1/job/getJobDetail',
    {
      config: { signed: true },
      schema: {
        summary: '获取任务详情 — one job with its caller lines',
        tags,
        querystring: JobIdQuery,
        response: { 200: Envelope(LaterJobDetail) },
      },
    },
    async (request) => success(request, await getJobDetail(db, request.caller, request.query.robotCallJobId)),
  );

  app.get(
    '/apiOpen/v1/job/getJobStats',
    {
      config: { signed: true },
      schema: {
        summary: '获取任务统计 — a job’s statistics (docs/statistics.md)',
        tags,
        querystring: JobIdQuery,
        response: { 200: Envelope(LaterJobStats) },
      },
    },
    async (request) => success(request, await getJobStats(db, request.caller, request.query.robotCallJobId)),
  );

  app.get(
    '/apiOpen/v1/job/getJobProperties',
    {
      config: { signed: true },
      schema: {
        summary: '获取任务中的变量 — the variables of the job’s dialog flow and SMS template',
        tags,
        querystring: JobIdQuery,
        response: { 200: Envelope(JobProperties) },
      },
    },
    async (request) =>
      success(request, await getJobProperties(db, request.caller, request.query.robotCallJobId), '获取自定义属性成功'),
  );

  app.post(
    '/apiOpen/v1/job/getJobStatsInfoList',
    {
      config: { signed: true },
      schema: {
        summary: '获取任务统计相关信息 — call-task totals of up to 100 jobs',
        tags,
        body: GetJobStatsInfoListBody,
        response: { 200: Envelope(JobStatsInfoMap) },
      },
      // The platform's clients send the bare list of ids: it is read as {"robotCallJobId": [...]}.
      preValidation: async (request) => {
        if (Array.isArray(request.body)) request.body = { robotCallJobId: request.body };
      },
    },
    async (request) => success(request, await getJobStatsInfoList(db, request.caller, request.body.robotCallJobId)),
  );
}
