import type { Database } from '../../db/database.js';
import { AuditLogListQuery, AuditLogPage } from '../../schemas/auditLog.js';
import { Envelope } from '../../schemas/common.js';
import { getAuditLog } from '../../services/auditLog.js';
import type { App } from '../app.js';
import { success } from '../envelope.js';

export function registerAuditLog(app: App, db: Database): void {
  app.get(
    '/apiOpen/v1/auditLog/list',
    {
      config: { signed: true },
      schema: {
        summary: '操作日志 — the tenant’s changing requests (who, what, which job, outcome), newest first',
        tags: ['audit log'],
        querystring: AuditLogListQuery,
        response: { 200: Envelope(AuditLogPage) },
      },
    },
    async (request) => success(request, await getAuditLog(db, request.caller, request.query)),
  );
}
