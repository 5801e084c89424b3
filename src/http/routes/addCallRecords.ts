import type { Database } from '../../db/database.js';
import { Envelope } from '../../schemas/common.js';
import { AddCallRecordsBody, IncomingCallRecord, IngestResult } from '../../schemas/ingestion.js';
import { ingestCallRecords } from '../../services/callIngestion.js';
import type { App } from '../app.js';
import { maxJsonBytes } from '../bodyLimits.js';
import { success } from '../envelope.js';

/*
 * The largest body addCallRecords reads: a full batch of records with every field at its
 * schema's limit, in ASCII, less the transcript (callDetailList) and attributes. Their limits
 * (1,000 turns of 4,000 characters; 50 values of any shape) are there for the odd long call: a
 * batch of 5,000 of those would be gigabytes. A batch with long transcripts is sent in smaller
 * batches, or call by call (addCallRecord reads one record at its full size). About 39 MB: a
 * larger body is refused with 412 from its Content-Length, before it is read.
 */
export const ADD_CALL_RECORDS_BODY_LIMIT = maxJsonBytes(AddCallRecordsBody, {
  bytesPerChar: 1,
  unboundedStringChars: 20, // enum names and numeric codes
  unboundedValueBytes: 0,
  omit: ['callDetailList', 'attributes'],
});

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
      bodyLimit: ADD_CALL_RECORDS_BODY_LIMIT,
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
