import { loadConfig } from '../src/config.js';
import type { Database } from '../src/db/database.js';
import { createConsoleUser } from '../src/services/consoleUsers.js';

/** A browser's part in the console's JSON API, for tests: it keeps the session cookie and the CSRF token. */
export class ConsoleBrowser {
  cookie: string | undefined;
  csrfToken: string | undefined;
  /** The Set-Cookie header of the last answer that had one. */
  lastSetCookie: string | undefined;

  constructor(readonly baseUrl: string) {}

  /** Sends a request; `csrf: false` leaves the token out, a string sends that one instead. */
  async raw(
    method: string,
    path: string,
    options: { body?: unknown; csrf?: boolean | string; headers?: Record<string, string> } = {},
  ): Promise<Response> {
    const headers: Record<string, string> = { ...options.headers };
    if (this.cookie) headers.cookie = this.cookie;
    if (options.body !== undefined) headers['content-type'] = 'application/json';
    const csrf = options.csrf ?? true;
    if (typeof csrf === 'string') headers['x-csrf-token'] = csrf;
    else if (csrf && this.csrfToken) headers['x-csrf-token'] = this.csrfToken;
    const response = await fetch(`${this.baseUrl}${path}`, {
      method,
      headers,
      body: options.body === undefined ? undefined : JSON.stringify(options.body),
    });
    const setCookie = response.headers.get('set-cookie');
    if (setCookie) {
      this.lastSetCookie = setCookie;
      const [pair] = setCookie.split(';');
      this.cookie = /=$/.test(pair!) ? undefined : pair;
    }
    return response;
  }

  /** The envelope of a JSON answer (HTTP 200 always). */
  async call<T = any>(
    method: string,
    path: string,
    options: { body?: unknown; csrf?: boolean | string; headers?: Record<string, string> } = {},
  ): Promise<{ code: number; data: T; resultMsg: string; requestId: string; errorStackTrace: null }> {
    const response = await this.raw(method, path, options);
    if (response.status !== 200) throw new Error(`HTTP ${response.status} for ${method} ${path}`);
    return (await response.json()) as never;
  }

  async signIn(username: string, password: string) {
    const r = await this.call('POST', '/console/api/session', { body: { username, password } });
    if (r.code === 200) this.csrfToken = r.data.csrfToken;
    return r;
  }
}

let users = 0;

/** A console user of the tenant, with a password of its own. */
export async function consoleUser(
  db: Database,
  tenantSign: string,
  role: 'admin' | 'member' = 'admin',
): Promise<{ username: string; password: string }> {
  const username = `u${++users}${Math.random().toString(36).slice(2, 7)}`;
  const password = `pw-${Math.random().toString(36).slice(2)}`;
  await createConsoleUser(db, { tenantSign, username, password, role }, { log2N: loadConfig().consolePasswordCost });
  return { username, password };
}
