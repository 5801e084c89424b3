import type { Database } from '../../db/database.js';
import { CallRecordListBody, CallRecordPage } from '../../schemas/callRecords.js';
import { Envelope } from '../../schemas/common.js';
import { getCallRecordInfoList } from '../../services/callRecords.js';
import { cachedAnswer } from '../answerCache.js';
import type { App } from '../app.js';

export function registerGetCallRecordInfoList(app: App, db: Database): void {
  app.post(
    '/apiOpen/v1/task/getCallRecordInfoList',
    {
      // A POST that only reads: no audit log entry.
      config: { signed: true, readOnly: true },
      schema: {
        summary: '获取已经完成任务电话号码 — one job’s finished calls, newest first, with transcripts',
        tags: ['task'],
        body: CallRecordListBody,
        response: { 200: Envelope(CallRecordPage) },
      },
    },
    (request, reply) =>
      cachedAnswer(db, request, reply, request.body, () => getCallRecordInfoList(db, request.caller, request.body)),
  );
}
