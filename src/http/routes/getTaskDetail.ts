import type { Database } from '../../db/database.js';
import { Envelope } from '../../schemas/common.js';
import { GetTaskDetailQuery, JobDetail } from '../../schemas/jobs.js';
import { getTaskDetail } from '../../services/jobs.js';
import { cachedAnswer } from '../answerCache.js';
import type { App } from '../app.js';

export function registerGetTaskDetail(app: App, db: Database): void {
  app.get(
    '/apiOpen/v1/task/getTaskDetail',
    {
      config: { signed: true },
      schema: {
        summary: '获取任务详情 — one job with its live statistics',
        tags: ['task'],
        querystring: GetTaskDetailQuery,
        response: { 200: Envelope(JobDetail) },
      },
    },
    (request, reply) =>
      cachedAnswer(db, request, reply, request.query, () =>
        getTaskDetail(db, request.caller, request.query.robotCallJobId),
      ),
  );
}
