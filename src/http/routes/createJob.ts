import type { Database } from '../../db/database.js';
import { Envelope } from '../../schemas/common.js';
import { CreateJobBody, JobStatusResult } from '../../schemas/jobOperations.js';
import { createJob } from '../../services/jobOperations.js';
import type { App } from '../app.js';
import { success } from '../envelope.js';

export function registerCreateJob(app: App, db: Database): void {
  app.post(
    '/apiOpen/v1/task/create',
    {
      config: { signed: true },
      schema: {
        summary: '创建任务 — create a job (status NOT_STARTED until customers are imported)',
        tags: ['job operations'],
        body: CreateJobBody,
        response: { 200: Envelope(JobStatusResult) },
      },
    },
    async (request) => success(request, await createJob(db, request.caller, request.body), '创建成功'),
  );
}
