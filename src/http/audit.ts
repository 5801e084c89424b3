import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { Database } from '../db/database.js';
import { auditEntryOf, writeAuditEntry } from '../services/auditLog.js';
import { CHANGING_METHODS } from './methods.js';

/*
 * Enters every authenticated changing request under /apiOpen/ in the audit log (a changing
 * method, or a route marked `changing`)
 * (services/auditLog.ts) — every route, including routes added later, since the hooks are the
 * app's. The answer's envelope is taken as it is serialized (preSerialization, success and
 * failure alike) and the entry is written in onSend: after the answer is decided, before it
 * leaves, so a client never sees an answer whose entry is still to be written. The write cannot
 * change the answer: a failure is logged at error level with the entry, and the answer goes out.
 */

declare module 'fastify' {
  interface FastifyContextConfig {
    /** A POST that only reads (getCallRecordInfoList): not entered in the audit log. */
    readOnly?: boolean;
    /**
     * A GET that changes data (callRecord/deleteRobotCallTaskList, a GET as the platform defines
     * it): entered in the audit log all the same. Named on the route, so the method set below
     * stays the rule and this the marked exception.
     */
    changing?: boolean;
  }
}

interface Outcome {
  code: number;
  resultMsg: string;
  data: unknown;
}

function envelopeOf(payload: unknown): Outcome | undefined {
  if (typeof payload !== 'object' || payload === null) return undefined;
  const e = payload as Record<string, unknown>;
  if (typeof e.code !== 'number') return undefined;
  return { code: e.code, resultMsg: typeof e.resultMsg === 'string' ? e.resultMsg : '', data: e.data };
}

/** An answer serialized elsewhere (a string payload): read back when it is small. */
function parsedEnvelope(payload: unknown): Outcome | undefined {
  if (typeof payload !== 'string' || payload.length > 1_000_000) return undefined;
  try {
    return envelopeOf(JSON.parse(payload));
  } catch {
    return undefined;
  }
}

/** The fields the route's body schema declares (a client may send others; they are not counted). */
function declaredFields(request: FastifyRequest): string[] {
  const body = (request.routeOptions.schema as { body?: { properties?: Record<string, unknown> } } | undefined)?.body;
  return Object.keys(body?.properties ?? {});
}

export function installAuditLog(app: FastifyInstance, db: Database, now: () => number): void {
  const outcomes = new WeakMap<FastifyRequest, Outcome>();
  const audited = (request: FastifyRequest) =>
    (CHANGING_METHODS.has(request.method) || request.routeOptions.config?.changing === true) &&
    Boolean(request.caller) &&
    !request.routeOptions.config?.readOnly &&
    /^\/(apiOpen|console\/api)\//.test(request.routeOptions.url ?? '');

  app.addHook('preSerialization', async (request, _reply, payload) => {
    if (audited(request)) {
      const outcome = envelopeOf(payload);
      if (outcome) outcomes.set(request, outcome);
    }
    return payload;
  });

  app.addHook('onSend', async (request, reply, payload) => {
    if (!audited(request)) return payload;
    const outcome = outcomes.get(request) ??
      parsedEnvelope(payload) ?? { code: reply.statusCode, resultMsg: `HTTP ${reply.statusCode}`, data: null };
    // A rate-limited request did nothing (services/auditLog.ts says why it is not entered).
    if (outcome.code === 429) return payload;
    const entry = auditEntryOf({
      caller: request.caller,
      // The console's signed-in user (console/auth.ts); null for requests signed with an appKey.
      userName: request.consoleUser?.username ?? null,
      method: request.method,
      routeUrl: request.routeOptions.url ?? request.url,
      body: request.body,
      bodyFields: declaredFields(request),
      query: request.query,
      code: outcome.code,
      resultMsg: outcome.resultMsg,
      data: outcome.data,
      clientIp: request.ip,
      requestId: request.id,
      at: now(),
    });
    try {
      await writeAuditEntry(db, entry);
    } catch (error) {
      request.log.error(
        { err: error, auditEntry: entry },
        'AUDIT LOG WRITE FAILED: this request is missing from the audit log',
      );
    }
    return payload;
  });
}
