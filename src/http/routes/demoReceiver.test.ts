import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { TenantFixture } from '../../../test/fixtures.js';
import { startTestServer, type TestServer } from '../../../test/harness.js';
import { callbackSignature, callbackSignatureV2 } from '../../callbacks/delivery.js';
import { callbackSecretOf } from '../../services/callbacks.js';
import { DEMO_RECEIVER_PATH, type DemoReceiverState, demoReceiver } from './demoReceiver.js';

/* The demo's receiver (`serve --demo`): it requires the signature that covers the event id, and says which it checked. */

const state: DemoReceiverState = { received: [] };
let server: TestServer;
let secret: string;

beforeAll(async () => {
  server = await startTestServer({ plugins: (db) => [demoReceiver(db, state)] });
  const tenant = await TenantFixture.create(server.database);
  state.tenantId = tenant.tenantId;
  secret = await callbackSecretOf(server.database, tenant.tenantId);
});
afterAll(() => server?.close());

async function deliver(headers: Record<string, string>, body: string): Promise<string> {
  const res = await fetch(server.url + DEMO_RECEIVER_PATH, {
    method: 'POST',
    headers: { 'content-type': 'application/json; charset=utf-8', ...headers },
    body,
  });
  return res.text();
}

it('accepts a delivery by X-Outcall-Signature-V2 and refuses one replayed under a new id or without it', async () => {
  const body = JSON.stringify({ dataType: 'ROBOT_CALL_JOB', data: { robotCallJobId: 7, tenantId: state.tenantId } });
  const id = randomUUID();
  const timestamp = Math.floor(Date.now() / 1000);
  const headers = {
    'x-outcall-event-id': id,
    'x-outcall-timestamp': String(timestamp),
    'x-outcall-signature': callbackSignature(secret, timestamp, body),
    'x-outcall-signature-v2': callbackSignatureV2(secret, id, timestamp, body),
  };
  expect(await deliver(headers, body)).toBe('success');
  expect(state.received[0]).toMatchObject({ eventId: id, signatureValid: true, signatureVersion: 'v2', problem: null });

  await deliver({ ...headers, 'x-outcall-event-id': randomUUID() }, body);
  expect(state.received[0]).toMatchObject({ signatureValid: false, signatureVersion: null });
  expect(state.received[0]!.problem).toMatch(/^the signature does not match/);

  const { 'x-outcall-signature-v2': _, ...v1Only } = headers;
  await deliver(v1Only, body);
  expect(state.received[0]).toMatchObject({ signatureValid: false, signatureVersion: null });
  expect(state.received[0]!.problem).toMatch(/^no X-Outcall-Signature-V2 header/);
});
