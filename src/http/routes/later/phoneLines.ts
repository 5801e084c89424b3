import type { Database } from '../../../db/database.js';
import { invalidParameter } from '../../../domain/errors.js';
import { Envelope } from '../../../schemas/common.js';
import {
  CreatePhoneLineBody,
  PhoneLineChange,
  PhoneLineDetail,
  PhoneLineIdBody,
  PhoneLineIdQuery,
  UpdatePhoneLineBody,
} from '../../../schemas/later/phoneLines.js';
import { addLine, getLine, type PhoneLineInput, setLine, setLineEnabled } from '../../../services/phoneLines.js';
import type { App } from '../../app.js';
import { success } from '../../envelope.js';

/** The service's input from a body: each limit named in `noLimit` lifted (null), unless also given a value. */
export function inputOf(body: CreatePhoneLineBody | Omit<UpdatePhoneLineBody, 'phoneNumberId'>): PhoneLineInput {
  const { noLimit, ...input } = body;
  const out: PhoneLineInput = { ...input };
  for (const [i, name] of (noLimit ?? []).entries()) {
    if (input[name] !== undefined)
      throw invalidParameter(`noLimit[${i}]`, `lifts ${name}, which the request also sets: send one or the other`);
    out[name] = null;
  }
  return out;
}

/**
 * outcall's extensions of the later API's phone/ (docs/lines.md): the platform has only
 * phone/getPhoneList (its answer unchanged, routes/later/tenant.ts); these manage the lines.
 * Signed like every path, and audited by the app's hook like every changing request.
 */
export function registerPhoneLineApi(app: App, db: Database): void {
  const tags = ['phone'];
  const ext = 'outcall extension (docs/lines.md): not in the platform’s API';

  app.get(
    '/apiOpen/v1/phone/getPhoneDetail',
    {
      config: { signed: true },
      schema: {
        summary: 'one caller line with its engine, limits, trunk (never its password) and health',
        description: ext,
        tags,
        querystring: PhoneLineIdQuery,
        response: { 200: Envelope(PhoneLineDetail) },
      },
    },
    async (request) => success(request, await getLine(db, request.caller, request.query.phoneNumberId)),
  );

  app.post(
    '/apiOpen/v1/phone/create',
    {
      config: { signed: true },
      schema: {
        summary: 'add a caller line (external unless engine says otherwise)',
        description: ext,
        tags,
        body: CreatePhoneLineBody,
        response: { 200: Envelope(PhoneLineChange) },
      },
    },
    async (request) => success(request, await addLine(db, request.caller, inputOf(request.body)), '创建成功'),
  );

  app.post(
    '/apiOpen/v1/phone/update',
    {
      config: { signed: true },
      schema: {
        summary: 'change a caller line: only the fields sent; a field sent as it is is no change',
        description: ext,
        tags,
        body: UpdatePhoneLineBody,
        response: { 200: Envelope(PhoneLineChange) },
      },
    },
    async (request) => {
      const { phoneNumberId, ...input } = request.body;
      return success(request, await setLine(db, request.caller, phoneNumberId, inputOf(input)), '修改成功');
    },
  );

  for (const action of ['disable', 'enable'] as const)
    app.post(
      `/apiOpen/v1/phone/${action}`,
      {
        config: { signed: true },
        schema: {
          summary:
            action === 'disable'
              ? 'disable a caller line: jobs no longer dial from it (calls in progress end as they would)'
              : 'enable a caller line again (clears why outcall disabled it and its failures in a row)',
          description: ext,
          tags,
          body: PhoneLineIdBody,
          response: { 200: Envelope(PhoneLineChange) },
        },
      },
      async (request) =>
        success(
          request,
          await setLineEnabled(db, request.caller, request.body.phoneNumberId, action === 'enable'),
          '执行成功',
        ),
    );
}
