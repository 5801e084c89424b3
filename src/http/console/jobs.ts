import type { ServerResponse } from 'node:http';
import type { Readable } from 'node:stream';
import { Type } from '@sinclair/typebox';
import type { FastifyRequest } from 'fastify';
import { CallDetail, CallRecordPage } from '../../schemas/callRecords.js';
import { InputObject } from '../../schemas/common.js';
import {
  ConsoleEnvelope,
  ConsoleJobPage,
  ConsoleRecordsBody,
  CreatedJob,
  ExportQuery,
  JobIdParams,
  RecordIdParams,
} from '../../schemas/console.js';
import {
  DeletedJob,
  DialogFlowList,
  ImportResult,
  ImportTaskCustomerBody,
  JobStatusResult,
} from '../../schemas/jobOperations.js';
import { GetTasksQuery, JobDetail } from '../../schemas/jobs.js';
import { LaterCreateJobBody } from '../../schemas/later/jobOperations.js';
import { LaterJobDetail } from '../../schemas/later/jobs.js';
import { getCallDetail } from '../../services/callRecords.js';
import { listConsoleJobs, listConsoleRecords } from '../../services/console.js';
import { exportCsv, exportFilter, exportXlsx } from '../../services/export.js';
import {
  changeJobStatus,
  deleteJob,
  getDialogFlows,
  getPhoneNumbers,
  importTaskCustomers,
} from '../../services/jobOperations.js';
import { getTaskDetail } from '../../services/jobs.js';
import { createLaterJob } from '../../services/laterJobOperations.js';
import { getJobDetail } from '../../services/laterJobs.js';
import type { App } from '../app.js';
import { success } from '../envelope.js';
import { type ConsoleDeps, requireSession } from './auth.js';

const TAGS = ['console'];

/*
 * An export that does not reach its end, because its client went away or a read failed, ends that
 * response only: Fastify destroys the file stream when the response closes (the export's reads
 * stop, batch by batch, with nothing left open) and cuts the response off when the stream fails
 * (a client never takes half a file for the whole). Fastify's own line for that is off with its
 * request logging (app.ts), so this says it: one line per download.
 */
function logEarlyEnd(request: FastifyRequest, response: ServerResponse, file: Readable): void {
  const route = request.routeOptions.url;
  let failed = false;
  file.once('error', (err) => {
    failed = true;
    request.log.warn({ route, err }, 'export failed; the response was cut off');
  });
  response.once('close', () => {
    if (!failed && !response.writableFinished)
      request.log.info({ route }, 'export closed by the client before its end');
  });
}

/** Reference data, jobs, their moves, customers and call records: each through the Open API's own service. */
export function registerConsoleJobs(app: App, deps: ConsoleDeps): void {
  const db = deps.database;
  const session = requireSession(deps);

  app.get(
    '/console/api/dialogFlows',
    {
      onRequest: session,
      schema: { summary: '话术列表', tags: TAGS, response: { 200: ConsoleEnvelope(DialogFlowList) } },
    },
    async (request) => success(request, await getDialogFlows(db, request.caller)),
  );
  app.get(
    '/console/api/phoneLines',
    {
      onRequest: session,
      schema: {
        summary: '线路列表',
        tags: TAGS,
        response: {
          200: ConsoleEnvelope(
            Type.Array(
              Type.Object({
                phoneNumberId: Type.Integer(),
                phoneNumber: Type.String(),
                phoneType: Type.String(),
                phoneName: Type.Union([Type.String(), Type.Null()]),
              }),
            ),
          ),
        },
      },
    },
    async (request) => success(request, await getPhoneNumbers(db, request.caller)),
  );

  app.get(
    '/console/api/jobs',
    {
      onRequest: session,
      schema: {
        summary: '任务列表 — jobs, newest first, with calls and answered rate',
        tags: TAGS,
        querystring: GetTasksQuery,
        response: { 200: ConsoleEnvelope(ConsoleJobPage) },
      },
    },
    async (request) => success(request, await listConsoleJobs(db, request.caller, request.query)),
  );

  app.get(
    '/console/api/jobs/:id',
    {
      onRequest: session,
      schema: {
        summary: '任务详情 — exactly getTaskDetail’s data',
        tags: TAGS,
        params: JobIdParams,
        response: { 200: ConsoleEnvelope(JobDetail) },
      },
    },
    async (request) => success(request, await getTaskDetail(db, request.caller, request.params.id)),
  );
  app.get(
    '/console/api/jobs/:id/later',
    {
      onRequest: session,
      schema: {
        summary: '任务详情 (后续接口) — exactly job/getJobDetail’s data: every inactive window, the redial rule',
        tags: TAGS,
        params: JobIdParams,
        response: { 200: ConsoleEnvelope(LaterJobDetail) },
      },
    },
    async (request) => success(request, await getJobDetail(db, request.caller, request.params.id)),
  );

  app.post(
    '/console/api/jobs',
    {
      onRequest: session,
      schema: {
        summary: '新建任务 — the later API’s job/create body (docs/later/jobs-operations.md)',
        tags: TAGS,
        body: LaterCreateJobBody,
        response: { 200: ConsoleEnvelope(CreatedJob) },
      },
    },
    async (request) => {
      const created = await createLaterJob(db, request.caller, request.body, {
        consoleUserId: request.consoleUser?.userId,
      });
      return success(request, { robotCallJobId: created.robotCallJobId }, '创建成功');
    },
  );

  for (const action of ['start', 'pause', 'resume', 'stop'] as const) {
    app.post(
      `/console/api/jobs/:id/${action}`,
      {
        onRequest: session,
        schema: {
          summary: `${action} — as /apiOpen/v1/task/${action}; an illegal move is 412 with the reason`,
          tags: TAGS,
          params: JobIdParams,
          response: { 200: ConsoleEnvelope(JobStatusResult) },
        },
      },
      async (request) =>
        success(request, await changeJobStatus(db, request.caller, action, request.params.id), '执行成功'),
    );
  }

  app.delete(
    '/console/api/jobs/:id',
    {
      onRequest: session,
      schema: {
        summary: '删除任务 — as /apiOpen/v1/task/delete',
        tags: TAGS,
        params: JobIdParams,
        response: { 200: ConsoleEnvelope(DeletedJob) },
      },
    },
    async (request) => success(request, await deleteJob(db, request.caller, request.params.id), '删除成功'),
  );

  const { robotCallJobId: _job, ...importFields } = ImportTaskCustomerBody.properties;
  app.post(
    '/console/api/jobs/:id/customers',
    {
      onRequest: session,
      schema: {
        summary: '导入客户 — up to 1000 customers, as importTaskCustomer',
        tags: TAGS,
        params: JobIdParams,
        body: InputObject(importFields),
        response: { 200: ConsoleEnvelope(ImportResult) },
      },
    },
    async (request) =>
      success(
        request,
        await importTaskCustomers(db, request.caller, { ...request.body, robotCallJobId: request.params.id }),
        '导入成功',
      ),
  );

  app.post(
    '/console/api/jobs/:id/records',
    {
      onRequest: session,
      // Reads only: no audit log entry.
      config: { readOnly: true },
      schema: {
        summary: '通话记录 — getCallRecordInfoList’s page for the job; also takes the later list’s own filters',
        tags: TAGS,
        params: JobIdParams,
        body: ConsoleRecordsBody,
        response: { 200: ConsoleEnvelope(CallRecordPage) },
      },
    },
    async (request) => success(request, await listConsoleRecords(db, request.caller, request.params.id, request.body)),
  );

  app.get(
    '/console/api/records/:callRecordId',
    {
      onRequest: session,
      schema: {
        summary: '通话详情 — callDetail’s data',
        tags: TAGS,
        params: RecordIdParams,
        response: { 200: ConsoleEnvelope(CallDetail) },
      },
    },
    async (request) => success(request, await getCallDetail(db, request.caller, request.params.callRecordId)),
  );

  for (const format of ['csv', 'xlsx'] as const) {
    app.get(
      `/console/api/jobs/:id/records.${format}`,
      {
        onRequest: session,
        schema: {
          summary: `导出 — the job's call records for the filters as ${format.toUpperCase()}, streamed (not the envelope when it succeeds)`,
          tags: TAGS,
          params: JobIdParams,
          querystring: ExportQuery,
          // The file on success (not serialized: a stream); the envelope when refused before it starts.
          response: { 200: ConsoleEnvelope(Type.Null()) },
        },
      },
      async (request, reply) => {
        const jobId = request.params.id;
        const query = request.query as ExportQuery;
        const filter = await exportFilter(db, request.caller, jobId, query);
        const name = `通话记录-任务${jobId}.${format}`;
        reply
          .header(
            'content-disposition',
            `attachment; filename="records-job-${jobId}.${format}"; filename*=UTF-8''${encodeURIComponent(name)}`,
          )
          .header('cache-control', 'no-store');
        // A stream is sent as it is: the response schema (the envelope, for refusals) does not apply to it.
        const file =
          format === 'csv'
            ? exportCsv(db, request.caller, filter)
            : exportXlsx(db, request.caller, filter, `任务${jobId}`);
        logEarlyEnd(request, reply.raw, file);
        return reply
          .type(
            format === 'csv'
              ? 'text/csv; charset=utf-8'
              : 'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet',
          )
          .send(file as never);
      },
    );
  }
}
