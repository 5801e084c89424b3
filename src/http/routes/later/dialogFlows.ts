import { Type } from '@sinclair/typebox';
import type { Database } from '../../../db/database.js';
import { checkDialogFlow } from '../../../domain/dialogFlow.js';
import { Envelope } from '../../../schemas/common.js';
import {
  CopyDialogFlowBody,
  CreateDialogFlowBody,
  DialogFlowDetail,
  DialogFlowDetailQuery,
  DialogFlowIdBody,
  DialogFlowVersionList,
  DialogFlowVersionRef,
  DialogFlowVersionsQuery,
  UpdateDialogFlowBody,
} from '../../../schemas/later/dialogFlows.js';
import {
  copyDialogFlow,
  createDialogFlow,
  getDialogFlowDetail,
  getDialogFlowVersionList,
  setDialogFlowEnabledFor,
  updateDialogFlow,
} from '../../../services/dialogFlows.js';
import type { App } from '../../app.js';
import { success } from '../../envelope.js';

/**
 * outcall's extensions of dialogFlow/ (docs/dialog-flows.md): the platform documents no way to
 * write a flow; these do, in its naming and envelope. Listed as outcall's in /docs (docs.ts
 * OUTCALL_FUNCTIONS).
 */
export function registerDialogFlowApi(app: App, db: Database): void {
  /*
   * The flow is checked as sent, before the schema's validation: that would drop the fields the
   * format does not have (removeAdditional) and store the rest, where a misspelt field must be
   * refused, naming its path inside the flow like every other problem.
   */
  const flowAsSent = async (request: { body: unknown }) => {
    const body = request.body as { flow?: unknown } | null;
    if (body !== null && typeof body === 'object' && body.flow !== undefined) checkDialogFlow(body.flow);
  };

  app.post(
    '/apiOpen/v1/dialogFlow/createDialogFlow',
    {
      config: { signed: true },
      preValidation: flowAsSent,
      schema: {
        summary: '创建话术 — a new dialog flow at version 1 (the flow is checked: 412 names the path inside it)',
        body: CreateDialogFlowBody,
        response: { 200: Envelope(DialogFlowVersionRef) },
      },
    },
    async (request) => success(request, await createDialogFlow(db, request.caller, request.body), '创建成功'),
  );
  app.post(
    '/apiOpen/v1/dialogFlow/updateDialogFlow',
    {
      config: { signed: true },
      preValidation: flowAsSent,
      schema: {
        summary: '修改话术 — a new version of the flow (jobs made before keep theirs), and/or a new name',
        body: UpdateDialogFlowBody,
        response: { 200: Envelope(DialogFlowVersionRef) },
      },
    },
    async (request) => success(request, await updateDialogFlow(db, request.caller, request.body), '修改成功'),
  );
  app.post(
    '/apiOpen/v1/dialogFlow/copyDialogFlow',
    {
      config: { signed: true },
      schema: {
        summary: '复制话术 — a new flow whose version 1 is a version of another',
        body: CopyDialogFlowBody,
        response: { 200: Envelope(DialogFlowVersionRef) },
      },
    },
    async (request) => success(request, await copyDialogFlow(db, request.caller, request.body), '复制成功'),
  );
  for (const [name, enabled, summary] of [
    ['disableDialogFlow', false, '停用话术 — no new job may use the flow; jobs that speak it go on'],
    ['enableDialogFlow', true, '启用话术 — new jobs may use the flow again'],
  ] as const)
    app.post(
      `/apiOpen/v1/dialogFlow/${name}`,
      {
        config: { signed: true },
        schema: { summary, body: DialogFlowIdBody, response: { 200: Envelope(Type.Null()) } },
      },
      async (request) => {
        await setDialogFlowEnabledFor(db, request.caller, request.body.dialogFlowId, enabled);
        return success(request, null, '执行成功');
      },
    );
  app.get(
    '/apiOpen/v1/dialogFlow/getDialogFlowDetail',
    {
      config: { signed: true },
      schema: {
        summary: '话术详情 — a flow with one of its versions (default the current one)',
        querystring: DialogFlowDetailQuery,
        response: { 200: Envelope(DialogFlowDetail) },
      },
    },
    async (request) => success(request, await getDialogFlowDetail(db, request.caller, request.query)),
  );
  app.get(
    '/apiOpen/v1/dialogFlow/getDialogFlowVersionList',
    {
      config: { signed: true },
      schema: {
        summary: '话术版本列表 — a flow’s versions, newest first',
        querystring: DialogFlowVersionsQuery,
        response: { 200: Envelope(DialogFlowVersionList) },
      },
    },
    async (request) => success(request, await getDialogFlowVersionList(db, request.caller, request.query.dialogFlowId)),
  );
}
