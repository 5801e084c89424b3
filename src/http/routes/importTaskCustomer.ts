import type { Database } from '../../db/database.js';
import { Envelope } from '../../schemas/common.js';
import { ImportResult, ImportTaskCustomerBody } from '../../schemas/jobOperations.js';
import { importTaskCustomers } from '../../services/jobOperations.js';
import type { App } from '../app.js';
import { success } from '../envelope.js';

export function registerImportTaskCustomer(app: App, db: Database): void {
  app.post(
    '/apiOpen/v1/task/importTaskCustomer',
    {
      config: { signed: true },
      schema: {
        summary: '导入客户 — add up to 1000 customers to a job; lists accepted and rejected rows',
        tags: ['job operations'],
        body: ImportTaskCustomerBody,
        response: { 200: Envelope(ImportResult) },
      },
    },
    async (request) => success(request, await importTaskCustomers(db, request.caller, request.body), '导入成功'),
  );
}
