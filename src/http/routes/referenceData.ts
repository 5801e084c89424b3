import { Type } from '@sinclair/typebox';
import type { Database } from '../../db/database.js';
import { Envelope } from '../../schemas/common.js';
import { DialogFlowList, PhoneLineList } from '../../schemas/jobOperations.js';
import { getDialogFlows, getPhoneNumbers } from '../../services/jobOperations.js';
import type { App } from '../app.js';
import { success } from '../envelope.js';

/** What a job can refer to when it is created: the tenant's dialog flows and caller lines. */
export function registerReferenceData(app: App, db: Database): void {
  app.get(
    '/apiOpen/v1/task/getDialogFlows',
    {
      config: { signed: true },
      schema: {
        summary: '话术列表 — the tenant’s dialog flows a new job may use (disabled ones are left out)',
        tags: ['job operations'],
        querystring: Type.Object({}),
        response: { 200: Envelope(DialogFlowList) },
      },
    },
    async (request) => success(request, await getDialogFlows(db, request.caller)),
  );
  app.get(
    '/apiOpen/v1/task/getPhoneNumbers',
    {
      config: { signed: true },
      schema: {
        summary: '线路列表 — the tenant’s caller lines',
        tags: ['job operations'],
        querystring: Type.Object({}),
        response: { 200: Envelope(PhoneLineList) },
      },
    },
    async (request) => success(request, await getPhoneNumbers(db, request.caller)),
  );
}
