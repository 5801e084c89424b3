import type { Database } from '../../db/database.js';
import { Envelope } from '../../schemas/common.js';
import { AddCallRecordsBody, IncomingCallRecord, IngestResult } from '../../schemas/ingestion.js';
import { ingestCallRecords } from '../../services/callIngestion.js';
import type { App } from '../app.js';
import { success } from '../envelope.js';

/** Finished calls from external call engines: one at a time, or thousands per request. */
export function registerAddCallRecords(app: App, db: Database): void {
  app.post(
    '/apiOpen/v1/task/addCallRecord',
    {
      config: { signed: true },
      schema: {
        summary: '上报通话记录 — record one finished call (idempotent by idempotencyKey)',
        tags: ['call engines'],
        body: IncomingCallRecord,
        response: { 200: Envelope(IngestResult) },
      },
    },
    async (request) =>
      success(request, await ingestCallRecords(db, request.caller, [request.body], () => ''), '执行成功'),
  );
  app.post(
    '/apiOpen/v1/task/addCallRecords',
    {
      config: { signed: true },
      bodyLimit: 64 * 1024 * 1024,
      schema: {
        summary: '批量上报通话记录 — record up to 5000 finished calls at once; all or nothing',
        tags: ['call engines'],
        body: AddCallRecordsBody,
        response: { 200: Envelope(IngestResult) },
      },
    },
    async (request) =>
      success(
        request,
        await ingestCallRecords(db, request.caller, request.body.callRecords, (i) => `callRecords[${i}]`),
        '执行成功',
      ),
  );
}
