import type { Database } from '../../db/database.js';
import {
  CallbackListQuery,
  CallbackPage,
  CallbackRedeliverBody,
  CallbackRedeliverResult,
} from '../../schemas/callbacks.js';
import { Envelope } from '../../schemas/common.js';
import { listCallbacks, redeliverCallbacks } from '../../services/callbacks.js';
import type { App } from '../app.js';
import { success } from '../envelope.js';

/** The callback delivery log and redelivery (docs/callbacks.md). */
export function registerCallbacks(app: App, db: Database): void {
  app.get(
    '/apiOpen/v1/callback/list',
    {
      config: { signed: true },
      schema: {
        summary: '回调记录 — pushed events (newest first), each with its attempts, last HTTP status and error',
        tags: ['callback'],
        querystring: CallbackListQuery,
        response: { 200: Envelope(CallbackPage) },
      },
    },
    async (request) => success(request, await listCallbacks(db, request.caller, request.query)),
  );
  app.post(
    '/apiOpen/v1/callback/redeliver',
    {
      config: { signed: true },
      schema: {
        summary:
          '重新回调 — deliver one event (by eventId, any state) or every FAILED or waiting event of a time range, now',
        tags: ['callback'],
        body: CallbackRedeliverBody,
        response: { 200: Envelope(CallbackRedeliverResult) },
      },
    },
    async (request) => success(request, await redeliverCallbacks(db, request.caller, request.body), '操作成功'),
  );
}
