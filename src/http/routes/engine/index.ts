import type { Config } from '../../../config.js';
import type { Database } from '../../../db/database.js';
import type { App } from '../../app.js';
import { registerAnnouncements } from './announcements.js';
import { registerClaim } from './claim.js';
import { registerLeaseRoutes } from './leases.js';
import { installEngineMetrics } from './metrics.js';

/*
 * The call-engine protocol, /engine/v1/ (docs/engines.md): POST, JSON, the platform's envelope,
 * signed with an engine key (`config: { engine: true }`, http/engineAuthentication.ts). The rules
 * live in services/callLeases.ts; these routes only read the request and answer.
 */

export function registerEngineProtocol(app: App, database: Database, config: Config): void {
  registerClaim(app, database, config);
  registerLeaseRoutes(app, database, config);
  registerAnnouncements(app, database);
  installEngineMetrics(app, database);
}
