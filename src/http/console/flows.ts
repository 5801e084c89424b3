import { Type } from '@sinclair/typebox';
import { checkDialogFlow } from '../../domain/dialogFlow.js';
import { invalidParameter } from '../../domain/errors.js';
import { Id, InputObject, Int, SafeText } from '../../schemas/common.js';
import { ConsoleEnvelope } from '../../schemas/console.js';
import {
  CopyDialogFlowBody,
  CreateDialogFlowBody,
  DialogFlowDetail,
  DialogFlowDetailQuery,
  DialogFlowIdBody,
  DialogFlowVersionList,
  DialogFlowVersionRef,
  DialogFlowVersionsQuery,
  MAX_VERSION,
  UpdateDialogFlowBody,
} from '../../schemas/later/dialogFlows.js';
import { LaterDialogFlowList } from '../../schemas/later/tenant.js';
import {
  copyDialogFlow,
  createDialogFlow,
  getDialogFlowDetail,
  getDialogFlowVersionList,
  setDialogFlowEnabledFor,
  updateDialogFlow,
} from '../../services/dialogFlows.js';
import { getDialogFlowList } from '../../services/tenantInfo.js';
import { finishTraining, startFlowTraining, startJobTraining, trainingTurn } from '../../services/training.js';
import type { App } from '../app.js';
import { success } from '../envelope.js';
import { type ConsoleDeps, requireSession } from './auth.js';

const TAGS = ['console'];

/** The engine's step as the console shows it (dialogEngine.ts Step): the line, why, and at the end the outcome. */
const Step = Type.Object(
  {
    action: Type.String(),
    say: Type.Union([Type.String(), Type.Null()]),
    end: Type.Boolean(),
    recognised: Type.Optional(Type.Any()),
    why: Type.String(),
    missingVariables: Type.Optional(Type.Array(Type.String())),
    outcome: Type.Optional(Type.Any()),
  },
  { description: 'the robot’s step (docs/dialog-flows.md, How the engine runs a flow)' },
);

const Variables = Type.Optional(
  Type.Record(Type.String({ maxLength: 100 }), SafeText({ maxLength: 500 }), {
    description: 'sample customer properties for the flow variables',
  }),
);
const Target = {
  robotCallJobId: Id('the job the chat is recorded on'),
  dialogFlowId: Id('话术ID'),
  version: Int(1, MAX_VERSION, { description: 'the flow version spoken' }),
};
const Utterances = Type.Array(SafeText({ maxLength: 500 }), {
  maxItems: 50,
  description: 'the customer’s utterances so far, in order',
});

const TrainingStartBody = InputObject({
  robotCallJobId: Type.Optional(Id('from a job’s detail: the job (its flow version)')),
  dialogFlowId: Type.Optional(Id('from the flow editor: the flow (its training job)')),
  version: Type.Optional(Int(1, MAX_VERSION, { description: 'with dialogFlowId: the version (default current)' })),
  variables: Variables,
});
const TrainingStart = Type.Object({
  ...Target,
  jobName: Type.String(),
  flowName: Type.String(),
  variables: Type.Array(Type.String()),
  opening: Step,
});
const TrainingTurnBody = InputObject({ ...Target, utterances: Utterances, variables: Variables });
const TrainingFinishBody = InputObject({
  ...Target,
  utterances: Utterances,
  variables: Variables,
  sessionKey: SafeText({ minLength: 8, maxLength: 64, description: 'one per chat: a chat sent twice is one record' }),
  startTime: Type.Optional(Type.Integer({ minimum: 0, description: 'when the chat began, epoch ms' })),
});
const TrainingRecord = Type.Object({
  callRecordId: Type.Integer(),
  steps: Type.Array(Step),
  outcome: Type.Any(),
});

/**
 * Dialog flows in the console (docs/dialog-flows.md): the API's dialogFlow/ functions for the
 * signed-in user's tenant, and script training, a chat with a flow version recorded as a training call.
 */
export function registerConsoleFlows(app: App, deps: ConsoleDeps): void {
  const db = deps.database;
  const session = requireSession(deps);
  // As the API: the flow is checked as sent, so a field the format has not is refused at its path.
  const flowAsSent = async (request: { body: unknown }) => {
    const body = request.body as { flow?: unknown } | null;
    if (body !== null && typeof body === 'object' && body.flow !== undefined) checkDialogFlow(body.flow);
  };
  const base = '/console/api/dialogFlow';

  app.get(
    `${base}/getDialogFlowList`,
    { onRequest: session, schema: { tags: TAGS, response: { 200: ConsoleEnvelope(LaterDialogFlowList) } } },
    async (request) => success(request, await getDialogFlowList(db, request.caller)),
  );
  app.get(
    `${base}/getDialogFlowDetail`,
    {
      onRequest: session,
      schema: { tags: TAGS, querystring: DialogFlowDetailQuery, response: { 200: ConsoleEnvelope(DialogFlowDetail) } },
    },
    async (request) => success(request, await getDialogFlowDetail(db, request.caller, request.query)),
  );
  app.get(
    `${base}/getDialogFlowVersionList`,
    {
      onRequest: session,
      schema: {
        tags: TAGS,
        querystring: DialogFlowVersionsQuery,
        response: { 200: ConsoleEnvelope(DialogFlowVersionList) },
      },
    },
    async (request) => success(request, await getDialogFlowVersionList(db, request.caller, request.query.dialogFlowId)),
  );
  app.post(
    `${base}/createDialogFlow`,
    {
      onRequest: session,
      preValidation: flowAsSent,
      schema: { tags: TAGS, body: CreateDialogFlowBody, response: { 200: ConsoleEnvelope(DialogFlowVersionRef) } },
    },
    async (request) => success(request, await createDialogFlow(db, request.caller, request.body), '创建成功'),
  );
  app.post(
    `${base}/updateDialogFlow`,
    {
      onRequest: session,
      preValidation: flowAsSent,
      schema: { tags: TAGS, body: UpdateDialogFlowBody, response: { 200: ConsoleEnvelope(DialogFlowVersionRef) } },
    },
    async (request) => success(request, await updateDialogFlow(db, request.caller, request.body), '修改成功'),
  );
  app.post(
    `${base}/copyDialogFlow`,
    {
      onRequest: session,
      schema: { tags: TAGS, body: CopyDialogFlowBody, response: { 200: ConsoleEnvelope(DialogFlowVersionRef) } },
    },
    async (request) => success(request, await copyDialogFlow(db, request.caller, request.body), '复制成功'),
  );
  for (const [name, enabled] of [
    ['disableDialogFlow', false],
    ['enableDialogFlow', true],
  ] as const)
    app.post(
      `${base}/${name}`,
      {
        onRequest: session,
        schema: { tags: TAGS, body: DialogFlowIdBody, response: { 200: ConsoleEnvelope(Type.Null()) } },
      },
      async (request) => {
        await setDialogFlowEnabledFor(db, request.caller, request.body.dialogFlowId, enabled);
        return success(request, null, '执行成功');
      },
    );

  app.post(
    '/console/api/training/start',
    {
      onRequest: session,
      schema: {
        summary: '话术训练 — start a chat: a job’s version, or a flow’s version on its training job',
        tags: TAGS,
        body: TrainingStartBody,
        response: { 200: ConsoleEnvelope(TrainingStart) },
      },
    },
    async (request) => {
      const { robotCallJobId, dialogFlowId, version, variables } = request.body;
      if (robotCallJobId !== undefined)
        return success(request, await startJobTraining(db, request.caller, robotCallJobId, variables));
      if (dialogFlowId === undefined) throw invalidParameter('robotCallJobId', 'or dialogFlowId is required');
      return success(
        request,
        await startFlowTraining(db, request.caller, dialogFlowId, version, variables, deps.now()),
      );
    },
  );
  app.post(
    '/console/api/training/turn',
    {
      onRequest: session,
      schema: {
        summary: '话术训练 — the robot’s step after the customer’s last utterance',
        tags: TAGS,
        body: TrainingTurnBody,
        response: { 200: ConsoleEnvelope(Step) },
      },
    },
    async (request) => {
      const { utterances, variables, ...target } = request.body;
      return success(request, await trainingTurn(db, request.caller, target, utterances, variables));
    },
  );
  app.post(
    '/console/api/training/finish',
    {
      onRequest: session,
      schema: {
        summary: '话术训练 — save the chat as a training call record of the job',
        tags: TAGS,
        body: TrainingFinishBody,
        response: { 200: ConsoleEnvelope(TrainingRecord) },
      },
    },
    async (request) => {
      const { utterances, variables, sessionKey, startTime, ...target } = request.body;
      const now = deps.now();
      return success(
        request,
        await finishTraining(db, request.caller, target, sessionKey, utterances, variables, startTime ?? now, now),
        '已保存',
      );
    },
  );
}
