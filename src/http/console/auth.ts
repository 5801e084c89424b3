import { parseCookie, stringifySetCookie } from 'cookie';
import type { FastifyReply, FastifyRequest, onRequestHookHandler } from 'fastify';
import type { Config } from '../../config.js';
import type { Database } from '../../db/database.js';
import { forbidden, unauthenticated } from '../../domain/errors.js';
import { type ConsoleUser, csrfMatches, resumeSession, type SessionLimits } from '../../services/consoleSessions.js';
import { CHANGING_METHODS } from '../methods.js';

/*
 * Sessions of the console's JSON endpoints: the cookie `outcall_session` names the session
 * (services/consoleSessions.ts); a changing request must also carry the session's CSRF token in
 * the `X-CSRF-Token` header. The cookie is SameSite=Strict and HttpOnly, and the token is read by
 * the page from the session endpoints: another site can neither send the cookie nor know the token.
 */

declare module 'fastify' {
  interface FastifyRequest {
    /** Set on the console's routes once the session is checked. */
    consoleUser: ConsoleUser | undefined;
  }
}

export const SESSION_COOKIE = 'outcall_session';
export const COOKIE_PATH = '/console';
/** `caller.appKey` of console requests (audit_log.app_key): the user's name is in audit_log.user_name. */
export const CONSOLE_APP_KEY = 'console';

export interface ConsoleDeps {
  database: Database;
  config: Config;
  now: () => number;
}

export const sessionLimits = (config: Config): SessionLimits => ({
  idleMs: config.consoleSessionIdleMs,
  maxMs: config.consoleSessionMaxMs,
});

/*
 * The Cookie and Set-Cookie headers are read and written by `cookie` (jshttp/cookie, the parser
 * Fastify's own cookie plugin and light-my-request use): one session cookie does not call for the
 * plugin, and the header's grammar (quoting, spaces, several cookies) is not ours to re-implement.
 */

/** The session token of the request's Cookie header, if any. */
export function sessionToken(request: FastifyRequest): string | undefined {
  const header = request.headers.cookie;
  return header ? parseCookie(header)[SESSION_COOKIE] : undefined;
}

/** The session cookie: HttpOnly, SameSite=Strict, for the console's paths only; Secure over https. */
function sessionCookie(request: FastifyRequest, value: string, maxAgeSeconds: number): string {
  return stringifySetCookie({
    name: SESSION_COOKIE,
    value,
    path: COOKIE_PATH,
    maxAge: maxAgeSeconds,
    httpOnly: true,
    sameSite: 'strict',
    secure: request.protocol === 'https',
  });
}

export function setSessionCookie(request: FastifyRequest, reply: FastifyReply, token: string, maxAgeMs: number): void {
  reply.header('set-cookie', sessionCookie(request, token, Math.floor(maxAgeMs / 1000)));
}

export function clearSessionCookie(request: FastifyRequest, reply: FastifyReply): void {
  reply.header('set-cookie', sessionCookie(request, '', 0));
}

/** Makes the request speak for the session's user, as a signed request speaks for its key's tenant. */
export function actAs(request: FastifyRequest, user: ConsoleUser): void {
  request.consoleUser = user;
  request.caller = { tenantId: user.tenantId, timeZone: user.timeZone, appKey: CONSOLE_APP_KEY };
}

/**
 * The onRequest check of a console route: a live session (else 401), the CSRF token on a
 * changing request (else 403), and the role when the route is for admins (else 403). It runs
 * before the body is read or validated, so a request without a session learns nothing else.
 */
export function requireSession(
  deps: ConsoleDeps,
  options: { admin?: boolean; csrf?: boolean } = {},
): onRequestHookHandler {
  return async (request) => {
    const token = sessionToken(request);
    const user = token ? await resumeSession(deps.database, token, sessionLimits(deps.config), deps.now()) : undefined;
    if (!user) throw unauthenticated('not signed in, or the session has expired: sign in again');
    if (options.csrf !== false && CHANGING_METHODS.has(request.method)) {
      const given = request.headers['x-csrf-token'];
      if (!csrfMatches(user.csrfToken, Array.isArray(given) ? given[0] : given))
        throw forbidden('the X-CSRF-Token header is missing or does not match the session');
    }
    if (options.admin && user.role !== 'admin') throw forbidden('only an admin may do this');
    actAs(request, user);
  };
}

/** What a session answer says of its user. */
export function sessionInfo(user: ConsoleUser) {
  return {
    user: {
      username: user.username,
      role: user.role,
      tenantId: user.tenantId,
      tenantName: user.tenantName,
      tenantSign: user.tenantSign,
    },
    csrfToken: user.csrfToken,
  };
}
