import type { Database } from '../../db/database.js';
import { Envelope } from '../../schemas/common.js';
import {
  DoNotCallAddBody,
  DoNotCallAddResult,
  DoNotCallListQuery,
  DoNotCallPage,
  DoNotCallRemoveBody,
  DoNotCallRemoveResult,
} from '../../schemas/doNotCall.js';
import { addToDoNotCallList, getDoNotCallList, removeFromDoNotCallList } from '../../services/doNotCall.js';
import type { App } from '../app.js';
import { success } from '../envelope.js';

/** The do-not-call list (免打扰名单): add, remove, list. */
export function registerDoNotCall(app: App, db: Database): void {
  app.post(
    '/apiOpen/v1/doNotCall/add',
    {
      config: { signed: true },
      schema: {
        summary: '加入免打扰名单 — list numbers never to dial; their unfinished call tasks finish without a call',
        tags: ['do-not-call list'],
        body: DoNotCallAddBody,
        response: { 200: Envelope(DoNotCallAddResult) },
      },
    },
    async (request) =>
      success(
        request,
        await addToDoNotCallList(db, request.caller.tenantId, request.body, request.caller.appKey),
        '执行成功',
      ),
  );
  app.post(
    '/apiOpen/v1/doNotCall/remove',
    {
      config: { signed: true },
      schema: {
        summary: '移出免打扰名单 — take numbers off the list (finished call tasks stay finished)',
        tags: ['do-not-call list'],
        body: DoNotCallRemoveBody,
        response: { 200: Envelope(DoNotCallRemoveResult) },
      },
    },
    async (request) =>
      success(request, await removeFromDoNotCallList(db, request.caller.tenantId, request.body), '执行成功'),
  );
  app.get(
    '/apiOpen/v1/doNotCall/list',
    {
      config: { signed: true },
      schema: {
        summary: '免打扰名单 — the tenant’s listed numbers, most recently listed first',
        tags: ['do-not-call list'],
        querystring: DoNotCallListQuery,
        response: { 200: Envelope(DoNotCallPage) },
      },
    },
    async (request) => success(request, await getDoNotCallList(db, request.caller, request.query)),
  );
}
