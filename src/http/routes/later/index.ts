import type { Database } from '../../../db/database.js';
import type { App } from '../../app.js';
import { registerCallRecordApi } from './callRecords.js';
import { registerJobOperations } from './jobOperations.js';
import { registerJobQueries } from './jobQueries.js';
import { registerPhoneLineApi } from './phoneLines.js';
import { registerTenantApi } from './tenant.js';

/**
 * The platform's later Open API, /apiOpen/v1/<resource>/<function>, beside the 2018 /task/ paths:
 * the same envelope, signature and tenant scoping, over the same services; its own codes, limits
 * and answer shapes (docs/generations.md).
 */
export function registerLaterApi(app: App, db: Database): void {
  registerTenantApi(app, db);
  registerPhoneLineApi(app, db);
  registerJobQueries(app, db);
  registerJobOperations(app, db);
  registerCallRecordApi(app, db);
}
