import type { Config } from '../../../config.js';
import type { Engine, LeaseSettings } from '../../../services/callLeases.js';

/** What the engine routes share. */

export const ENGINE_PREFIX = '/engine/v1';
export const ENGINE_TAG = 'engine';

/** The engine a request speaks for: its key, and the lines engines over HTTP dial (`external`). */
export const engineOf = (request: {
  engine: { engineKeyId: number; name: string; tenantId: number | null };
}): Engine => ({
  engineKeyId: request.engine.engineKeyId,
  name: request.engine.name,
  tenantId: request.engine.tenantId,
  kind: 'external',
});

export const leaseSettingsOf = (config: Config): LeaseSettings => ({
  leaseTtlMs: config.engineLeaseTtlMs,
  leaseGraceMs: config.engineLeaseGraceMs,
  lineFailureLimit: config.lineFailureLimit,
});
