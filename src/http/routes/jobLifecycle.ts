import type { Database } from '../../db/database.js';
import { Envelope } from '../../schemas/common.js';
import { DeletedJob, JobRef, JobStatusResult } from '../../schemas/jobOperations.js';
import { changeJobStatus, deleteJob } from '../../services/jobOperations.js';
import type { App } from '../app.js';
import { success } from '../envelope.js';

const ACTIONS = {
  start: '启动任务 — start dialling (NOT_STARTED, RUNNABLE or IN_QUEUE → IN_PROCESS)',
  pause: '暂停任务 — pause (IN_PROCESS, SYSTEM_SUSPENDED or IN_QUEUE → USER_PAUSE)',
  resume: '恢复任务 — resume a paused job (USER_PAUSE → IN_PROCESS)',
  stop: '终止任务 — stop for good (→ TERMINATE)',
} as const;

/** start, pause, resume, stop and delete: each takes `{ robotCallJobId }`. */
export function registerJobLifecycle(app: App, db: Database): void {
  for (const [action, summary] of Object.entries(ACTIONS) as [keyof typeof ACTIONS, string][]) {
    app.post(
      `/apiOpen/v1/task/${action}`,
      {
        config: { signed: true },
        schema: { summary, tags: ['job operations'], body: JobRef, response: { 200: Envelope(JobStatusResult) } },
      },
      async (request) =>
        success(request, await changeJobStatus(db, request.caller, action, request.body.robotCallJobId), '执行成功'),
    );
  }
  app.post(
    '/apiOpen/v1/task/delete',
    {
      config: { signed: true },
      schema: {
        summary: '删除任务 — delete a job that is not running, with its call tasks and call records',
        tags: ['job operations'],
        body: JobRef,
        response: { 200: Envelope(DeletedJob) },
      },
    },
    async (request) => success(request, await deleteJob(db, request.caller, request.body.robotCallJobId), '删除成功'),
  );
}
