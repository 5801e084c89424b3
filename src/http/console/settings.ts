import { Type } from '@sinclair/typebox';
import { CallbackListQuery, CallbackPage } from '../../schemas/callbacks.js';
import { Id, InputObject, SafeText } from '../../schemas/common.js';
import {
  ApiKeyInfo,
  AppKeyParams,
  ConsoleEnvelope,
  ConsoleSettings,
  KeyState,
  NewApiKey,
} from '../../schemas/console.js';
import {
  CreatePhoneLineBody,
  PhoneLineChange,
  PhoneLineDetail,
  UpdatePhoneLineBody,
} from '../../schemas/later/phoneLines.js';
import { listCallbacks } from '../../services/callbacks.js';
import {
  createTenantKey,
  getConsoleSettings,
  listTenantKeys,
  setTenantKeyEnabled,
  updateConsoleSettings,
} from '../../services/console.js';
import { addLine, listLines, setLine, setLineEnabled } from '../../services/phoneLines.js';
import type { App } from '../app.js';
import { success } from '../envelope.js';
import { inputOf } from '../routes/later/phoneLines.js';
import { type ConsoleDeps, requireSession } from './auth.js';

const TAGS = ['console'];

const LineParams = InputObject({ phoneNumberId: Id('the line') });
const { phoneNumberId: _, ...lineChanges } = UpdatePhoneLineBody.properties;
/** phone/update's body without the id (it is in the path). */
const LineChangesBody = InputObject(lineChanges);

/** The tenant's API keys, caller lines and settings: admins only (403 for members). */
export function registerConsoleSettings(app: App, deps: ConsoleDeps): void {
  const { database: db, now } = deps;
  const admin = requireSession(deps, { admin: true });

  app.get(
    '/console/api/keys',
    {
      onRequest: admin,
      schema: {
        summary: 'API keys (admin) — without secrets',
        tags: TAGS,
        response: { 200: ConsoleEnvelope(Type.Array(ApiKeyInfo)) },
      },
    },
    async (request) => success(request, await listTenantKeys(db, request.caller)),
  );
  app.post(
    '/console/api/keys',
    {
      onRequest: admin,
      schema: {
        summary: 'new API key (admin) — the secret is shown in this answer only',
        tags: TAGS,
        response: { 200: ConsoleEnvelope(NewApiKey) },
      },
    },
    async (request) => success(request, await createTenantKey(db, request.caller, now()), '创建成功'),
  );
  for (const action of ['disable', 'enable'] as const) {
    app.post(
      `/console/api/keys/:appKey/${action}`,
      {
        onRequest: admin,
        schema: {
          summary: `${action} an API key (admin); another tenant's key is not found`,
          tags: TAGS,
          params: AppKeyParams,
          response: { 200: ConsoleEnvelope(KeyState) },
        },
      },
      async (request) =>
        success(
          request,
          await setTenantKeyEnabled(db, request.caller, request.params.appKey, action === 'enable', now()),
          '执行成功',
        ),
    );
  }

  app.get(
    '/console/api/settings',
    {
      onRequest: admin,
      schema: {
        summary: 'settings (admin): the callback URL and the time zone',
        tags: TAGS,
        response: { 200: ConsoleEnvelope(ConsoleSettings) },
      },
    },
    async (request) => success(request, await getConsoleSettings(db, request.caller)),
  );
  app.put(
    '/console/api/settings',
    {
      onRequest: admin,
      schema: {
        summary:
          'change settings (admin): the callback URL (http or https; empty for none) and the time zone (IANA; each only when sent)',
        tags: TAGS,
        body: InputObject({
          callbackUrl: Type.Optional(Type.Union([SafeText({ maxLength: 500 }), Type.Null()])),
          timeZone: Type.Optional(SafeText({ maxLength: 64, description: 'IANA time zone, e.g. Asia/Shanghai' })),
        }),
        response: { 200: ConsoleEnvelope(ConsoleSettings) },
      },
    },
    async (request) => success(request, await updateConsoleSettings(db, request.caller, request.body), '修改成功'),
  );

  app.get(
    '/console/api/callbacks',
    {
      onRequest: admin,
      schema: {
        summary: 'callback delivery log (admin) — as /apiOpen/v1/callback/list',
        tags: TAGS,
        querystring: CallbackListQuery,
        response: { 200: ConsoleEnvelope(CallbackPage) },
      },
    },
    async (request) => success(request, await listCallbacks(db, request.caller, request.query)),
  );

  // Caller lines (docs/lines.md): the same rules as the API's phone/ extensions.
  app.get(
    '/console/api/lines',
    {
      onRequest: admin,
      schema: {
        summary: 'caller lines (admin) — their engine, limits, trunk (never its password) and health',
        tags: TAGS,
        response: { 200: ConsoleEnvelope(Type.Array(PhoneLineDetail)) },
      },
    },
    async (request) => success(request, await listLines(db, request.caller)),
  );
  app.post(
    '/console/api/lines',
    {
      onRequest: admin,
      schema: {
        summary: 'add a caller line (admin) — as phone/create',
        tags: TAGS,
        body: CreatePhoneLineBody,
        response: { 200: ConsoleEnvelope(PhoneLineChange) },
      },
    },
    async (request) => success(request, await addLine(db, request.caller, inputOf(request.body), now()), '创建成功'),
  );
  app.put(
    '/console/api/lines/:phoneNumberId',
    {
      onRequest: admin,
      schema: {
        summary: 'change a caller line (admin) — as phone/update: only the fields sent',
        tags: TAGS,
        params: LineParams,
        body: LineChangesBody,
        response: { 200: ConsoleEnvelope(PhoneLineChange) },
      },
    },
    async (request) =>
      success(
        request,
        await setLine(db, request.caller, request.params.phoneNumberId, inputOf(request.body)),
        '修改成功',
      ),
  );
  for (const action of ['disable', 'enable'] as const)
    app.post(
      `/console/api/lines/:phoneNumberId/${action}`,
      {
        onRequest: admin,
        schema: {
          summary: `${action} a caller line (admin)`,
          tags: TAGS,
          params: LineParams,
          response: { 200: ConsoleEnvelope(PhoneLineChange) },
        },
      },
      async (request) =>
        success(
          request,
          await setLineEnabled(db, request.caller, request.params.phoneNumberId, action === 'enable'),
          '执行成功',
        ),
    );
}
