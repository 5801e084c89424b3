import type { Database } from '../../db/database.js';
import { CallDetail, CallDetailQuery } from '../../schemas/callRecords.js';
import { Envelope } from '../../schemas/common.js';
import { getCallDetail } from '../../services/callRecords.js';
import { cachedAnswer } from '../answerCache.js';
import type { App } from '../app.js';

export function registerCallDetail(app: App, db: Database): void {
  app.get(
    '/apiOpen/v1/task/callDetail',
    {
      config: { signed: true },
      schema: {
        summary: '获取一个通话的详情 — one call with its customer and transcript',
        tags: ['task'],
        querystring: CallDetailQuery,
        response: { 200: Envelope(CallDetail) },
      },
    },
    (request, reply) =>
      cachedAnswer(
        db,
        request,
        reply,
        request.query,
        () => getCallDetail(db, request.caller, request.query.callRecordId),
        '执行成功',
      ),
  );
}
