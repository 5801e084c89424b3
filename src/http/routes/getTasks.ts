import type { Database } from '../../db/database.js';
import { Envelope } from '../../schemas/common.js';
import { GetTasksQuery, JobPage } from '../../schemas/jobs.js';
import { getTasks } from '../../services/jobs.js';
import { cachedAnswer } from '../answerCache.js';
import type { App } from '../app.js';

export function registerGetTasks(app: App, db: Database): void {
  app.get(
    '/apiOpen/v1/task/getTasks',
    {
      config: { signed: true },
      schema: {
        summary: '获取任务列表 — the tenant’s jobs, newest first',
        tags: ['task'],
        querystring: GetTasksQuery,
        response: { 200: Envelope(JobPage) },
      },
    },
    (request, reply) =>
      cachedAnswer(db, request, reply, request.query, () => getTasks(db, request.caller, request.query)),
  );
}
