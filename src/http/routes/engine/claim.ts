import type { Config } from '../../../config.js';
import type { Database } from '../../../db/database.js';
import { Envelope } from '../../../schemas/common.js';
import { ClaimBody, ClaimResult } from '../../../schemas/engine.js';
import { claimWithWait } from '../../../services/callLeases.js';
import type { App } from '../../app.js';
import { success } from '../../envelope.js';
import { ENGINE_PREFIX, ENGINE_TAG, engineOf, leaseSettingsOf } from './common.js';

/** Claims that may wait at once per engine key; more answer at once (with what is claimable then). */
export const MAX_WAITING_CLAIMS_PER_KEY = 8;

/**
 * POST /engine/v1/claim: up to `max` call tasks, each under a lease. A long-poll: when nothing is
 * claimable it waits up to `waitMs` (at most ENGINE_CLAIM_WAIT_MAX_MS, and less than the
 * connection's idle timeout) holding no database connection, woken by work made claimable in this
 * process and re-checking on a short timer; it ends at once when the client goes or the server
 * closes.
 */
export function registerClaim(app: App, database: Database, config: Config): void {
  const settings = leaseSettingsOf(config);
  const waiting = new Map<number, number>();
  const closing = new AbortController();
  app.addHook('preClose', async () => closing.abort());

  app.post(
    `${ENGINE_PREFIX}/claim`,
    {
      config: { engine: true },
      schema: {
        summary: 'claim call tasks to dial, each under a lease (long-poll)',
        tags: [ENGINE_TAG],
        body: ClaimBody,
        response: { 200: Envelope(ClaimResult) },
      },
    },
    async (request, reply) => {
      const engine = engineOf(request);
      const keyId = engine.engineKeyId!;
      const asked = request.body.waitMs ?? 25_000;
      const busy = (waiting.get(keyId) ?? 0) >= MAX_WAITING_CLAIMS_PER_KEY;
      const waitMs = busy ? 0 : Math.max(0, Math.min(asked, config.engineClaimWaitMaxMs, config.idleTimeoutMs - 1000));
      // The wait ends when the client goes away (its socket closes) or the server closes.
      const gone = new AbortController();
      const onClose = () => gone.abort();
      request.raw.socket?.once('close', onClose);
      const signal = AbortSignal.any([gone.signal, closing.signal]);
      waiting.set(keyId, (waiting.get(keyId) ?? 0) + 1);
      try {
        const answer = await claimWithWait(
          database,
          engine,
          { lines: request.body.lines, max: request.body.max, waitMs },
          settings,
          { signal },
        );
        // Answered because the server is closing: the connection closes too (it was busy when the
        // server closed its idle ones, and would otherwise be kept alive and hold the close up).
        if (closing.signal.aborted) reply.header('connection', 'close');
        return success(request, answer);
      } finally {
        request.raw.socket?.off('close', onClose);
        const left = (waiting.get(keyId) ?? 1) - 1;
        if (left > 0) waiting.set(keyId, left);
        else waiting.delete(keyId);
      }
    },
  );
}
