import { Type } from '@sinclair/typebox';
import { CallbackListQuery, CallbackPage } from '../../schemas/callbacks.js';
import { InputObject, SafeText } from '../../schemas/common.js';
import {
  ApiKeyInfo,
  AppKeyParams,
  ConsoleEnvelope,
  ConsoleSettings,
  KeyState,
  NewApiKey,
} from '../../schemas/console.js';
import { listCallbacks } from '../../services/callbacks.js';
import {
  createTenantKey,
  getConsoleSettings,
  listTenantKeys,
  setTenantKeyEnabled,
  updateConsoleSettings,
} from '../../services/console.js';
import type { App } from '../app.js';
import { success } from '../envelope.js';
import { type ConsoleDeps, requireSession } from './auth.js';

const TAGS = ['console'];

/** The tenant's API keys and settings: admins only (403 for members). */
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
        summary: 'settings (admin): the callback URL',
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
        summary: 'change settings (admin): the callback URL (http or https; empty for none)',
        tags: TAGS,
        body: InputObject({
          callbackUrl: Type.Optional(Type.Union([SafeText({ maxLength: 500 }), Type.Null()])),
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
}
