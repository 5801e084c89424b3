import { Type } from '@sinclair/typebox';
import type { Config } from '../../config.js';
import { ConsoleEnvelope, LoginBody, PasswordBody, SessionInfo } from '../../schemas/console.js';
import { endSession, startSession } from '../../services/consoleSessions.js';
import {
  authenticateUser,
  changePassword,
  type PasswordPolicy,
  TooManyLoginAttempts,
} from '../../services/consoleUsers.js';
import type { App } from '../app.js';
import { success } from '../envelope.js';
import {
  actAs,
  type ConsoleDeps,
  clearSessionCookie,
  requireSession,
  sessionInfo,
  sessionLimits,
  setSessionCookie,
} from './auth.js';

const TAGS = ['console'];

/** The sign-in limits and scrypt cost from the settings. */
export const passwordPolicy = (config: Config): PasswordPolicy => ({
  limits: {
    maxFailures: config.consoleLoginMaxFailures,
    windowMs: config.consoleLoginWindowMs,
    maxDelayMs: config.consoleLoginMaxDelayMs,
  },
  cost: { log2N: config.consolePasswordCost },
});

/** Sign in, who am I, sign out, change my password. */
export function registerConsoleSession(app: App, deps: ConsoleDeps): void {
  const { database: db, config, now } = deps;

  app.post(
    '/console/api/session',
    {
      schema: {
        summary: '登录 — sign in to the console; sets the session cookie',
        tags: TAGS,
        body: LoginBody,
        response: { 200: ConsoleEnvelope(SessionInfo) },
      },
    },
    async (request, reply) => {
      let user: Awaited<ReturnType<typeof authenticateUser>>;
      try {
        user = await authenticateUser(
          db,
          { username: request.body.username, password: request.body.password, clientIp: request.ip },
          passwordPolicy(config),
          now(),
        );
      } catch (error) {
        if (error instanceof TooManyLoginAttempts) reply.header('retry-after', String(error.retryAfterSeconds));
        throw error;
      }
      const limits = sessionLimits(config);
      const session = await startSession(db, user.id, limits, now());
      setSessionCookie(request, reply, session.token, limits.maxMs);
      const consoleUser = {
        sessionId: session.sessionId,
        userId: user.id,
        username: user.username,
        role: user.role,
        tenantId: user.tenant_id,
        tenantName: user.tenant_name,
        tenantSign: user.tenant_sign,
        timeZone: user.time_zone,
        csrfToken: session.csrfToken,
      };
      // Entered in the audit log as the user's.
      actAs(request, consoleUser);
      return success(request, sessionInfo(consoleUser), '登录成功');
    },
  );

  app.get(
    '/console/api/session',
    {
      onRequest: requireSession(deps),
      schema: {
        summary: '当前会话 — the signed-in user and the CSRF token',
        tags: TAGS,
        response: { 200: ConsoleEnvelope(SessionInfo) },
      },
    },
    async (request) => success(request, sessionInfo(request.consoleUser!)),
  );

  app.delete(
    '/console/api/session',
    {
      onRequest: requireSession(deps),
      schema: {
        summary: '退出 — sign out; clears the cookie',
        tags: TAGS,
        response: { 200: ConsoleEnvelope(Type.Null()) },
      },
    },
    async (request, reply) => {
      await endSession(db, request.consoleUser!.sessionId);
      clearSessionCookie(request, reply);
      return success(request, null, '已退出');
    },
  );

  app.post(
    '/console/api/password',
    {
      onRequest: requireSession(deps),
      schema: {
        summary: '修改密码 — change my password (at least 8 characters); my other sessions end',
        tags: TAGS,
        body: PasswordBody,
        response: { 200: ConsoleEnvelope(Type.Null()) },
      },
    },
    async (request, reply) => {
      const user = request.consoleUser!;
      const passwords = { current: request.body.currentPassword, new: request.body.newPassword };
      try {
        await changePassword(db, user, user.sessionId, passwords, request.ip, passwordPolicy(config), now());
      } catch (error) {
        if (error instanceof TooManyLoginAttempts) reply.header('retry-after', String(error.retryAfterSeconds));
        throw error;
      }
      return success(request, null, '修改成功');
    },
  );
}
