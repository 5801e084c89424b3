import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { verifyCallback } from '../../client/callbacks.js';
import type { Database } from '../../db/database.js';
import { callbackSecretOf } from '../../services/callbacks.js';
import { success } from '../envelope.js';

/*
 * The demo's own callback receiver (`serve --demo` only): the demo tenant's callback URL points
 * here, so a newcomer sees pushes arrive without running a server of their own. It checks each
 * delivery's signature as a real receiver should (with the SDK's verifyCallback, the version that
 * covers the event id required), logs it with the version checked, keeps
 * the last 200 in memory and answers `success`. GET …/received (signed) lists them.
 */

export const DEMO_RECEIVER_PATH = '/demo/callback-receiver';
const KEEP = 200;

export interface DemoReceived {
  receivedAt: string;
  eventId: string | null;
  dataType: string | null;
  signatureValid: boolean;
  /** Which signature was checked: `v2` (X-Outcall-Signature-V2, covering the event id) or `v1`. */
  signatureVersion: 'v1' | 'v2' | null;
  /** Why the signature was refused, when it was. */
  problem: string | null;
  robotCallJobId: number | null;
  callRecordId: number | null;
  body: unknown;
}

export interface DemoReceiverState {
  /** The demo tenant, once it exists. */
  tenantId?: number;
  received: DemoReceived[];
}

export function demoReceiver(db: Database, state: DemoReceiverState): FastifyPluginAsyncTypebox {
  return async (app) => {
    // The raw body, exactly as sent: the signature covers its bytes.
    app.removeContentTypeParser('application/json');
    app.addContentTypeParser('application/json', { parseAs: 'string' }, (_request, body, done) => done(null, body));

    app.post(DEMO_RECEIVER_PATH, { schema: { hide: true } }, async (request, reply) => {
      const raw = typeof request.body === 'string' ? request.body : '';
      let body: any = null;
      try {
        body = JSON.parse(raw);
      } catch {
        // kept as null: listed as received all the same
      }
      const check =
        state.tenantId === undefined
          ? { valid: false as const, reason: 'the demo tenant does not exist yet' }
          : await verifyCallback(request.headers, raw, await callbackSecretOf(db, state.tenantId), {
              toleranceSeconds: 300,
              // This server sends both signatures: one without the event id's is not from it.
              requireSignatureV2: true,
            });
      const entry: DemoReceived = {
        receivedAt: new Date().toISOString(),
        eventId: (request.headers['x-outcall-event-id'] as string | undefined) ?? null,
        dataType: typeof body?.dataType === 'string' ? body.dataType : null,
        signatureValid: check.valid,
        signatureVersion: check.valid ? check.signatureVersion : null,
        problem: check.valid ? null : check.reason,
        robotCallJobId: typeof body?.data?.robotCallJobId === 'number' ? body.data.robotCallJobId : null,
        callRecordId: typeof body?.data?.callRecordId === 'number' ? body.data.callRecordId : null,
        body,
      };
      state.received.unshift(entry);
      state.received.length = Math.min(state.received.length, KEEP);
      request.log.info(
        {
          eventId: entry.eventId,
          dataType: entry.dataType,
          robotCallJobId: entry.robotCallJobId,
          callRecordId: entry.callRecordId,
          signatureValid: entry.signatureValid,
          signatureVersion: entry.signatureVersion,
        },
        'demo callback receiver: event received',
      );
      return reply.type('text/plain').send('success');
    });

    app.get(`${DEMO_RECEIVER_PATH}/received`, { config: { signed: true }, schema: { hide: true } }, async (request) =>
      success(request, request.caller.tenantId === state.tenantId ? state.received : []),
    );
  };
}
