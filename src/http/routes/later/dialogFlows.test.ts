import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TenantFixture } from '../../../../test/fixtures.js';
import { call, startTestServer, type TestServer } from '../../../../test/harness.js';
import { DEMO_DIALOG_FLOWS } from '../../../demo/dialogFlows.js';
import { nextTurn } from '../../../domain/dialogEngine.js';
import type { DialogFlowDefinition } from '../../../domain/dialogFlow.js';
import { findJobTexts, listJobsToDial } from '../../../repositories/jobs.js';
import { loadDialogFlowVersion } from '../../../services/dialogFlows.js';

/*
 * Dialog flows as tenant data through the API (docs/dialog-flows.md): the dialogFlow/ extensions
 * create, edit (a new version each time), copy, disable and read flows, every write checked against
 * the format with a 412 naming the path inside the flow; a job keeps the version it was made with,
 * and what dials it (listJobsToDial) and engines (loadDialogFlowVersion) get that version.
 */

const V1 = '/apiOpen/v1';
let server: TestServer;
let tenant: TenantFixture;
let other: TenantFixture;
const get = (path: string, credentials = tenant.credentials) => call(server, credentials, 'GET', `${V1}/${path}`);
const post = (path: string, body: unknown, credentials = tenant.credentials) =>
  call(server, credentials, 'POST', `${V1}/${path}`, body);

const flow = (): DialogFlowDefinition => structuredClone(DEMO_DIALOG_FLOWS[1]!.script);

beforeAll(async () => {
  server = await startTestServer();
  tenant = await TenantFixture.create(server.database, { sign: 'flows-a' });
  other = await TenantFixture.create(server.database, { sign: 'flows-b' });
});
afterAll(() => server?.close());

describe('dialogFlow/createDialogFlow', () => {
  it('makes a flow at version 1, listed by getDialogFlowList with its version', async () => {
    const made = await post('dialogFlow/createDialogFlow', {
      name: '  健身回访 v1 ',
      industry: 'HEALTH',
      subIndustry: 'FIT',
      flow: flow(),
    });
    expect(made).toMatchObject({ code: 200, data: { version: 1 } });
    const list = await get('dialogFlow/getDialogFlowList');
    expect(list.data.find((f: any) => f.dialogFlowId === made.data.dialogFlowId)).toMatchObject({
      name: '健身回访 v1',
      industry: 'HEALTH',
      subIndustry: 'FIT',
      status: 'APPROVED',
      version: 1,
      enabled: true,
    });
    const detail = await get(`dialogFlow/getDialogFlowDetail?dialogFlowId=${made.data.dialogFlowId}`);
    expect(detail.data).toMatchObject({ currentVersion: 1, version: 1, enabled: true, variables: [], flow: flow() });
  });

  it.each([
    ['a question without phrasings', (f: any) => (f.questions[2].phrasings = []), 'flow.questions[2].phrasings'],
    ['keywords that are not a list', (f: any) => (f.questions[1].keywords = { a: 1 }), 'flow.questions[1].keywords'],
    ['a closing missing', (f: any) => delete f.closings.busy, 'flow.closings.busy'],
    ['a field the format has not', (f: any) => (f.recognise.busy.regex = '.*'), 'flow.recognise.busy.regex'],
    ['an unknown intent level', (f: any) => (f.defaultIntentLevel = 'Z'), 'flow.defaultIntentLevel'],
    [
      'a keyword of fillers only',
      (f: any) => (f.recognise.interested.keywords = ['嗯嗯']),
      'flow.recognise.interested.keywords[0]',
    ],
    [
      'a rule on a concern no question has',
      (f: any) => (f.intentRules[0].when.concerns = ['学区']),
      'flow.intentRules[0].when.concerns[0]',
    ],
    ['a variable that does not close', (f: any) => (f.opening = '您好${姓名'), 'flow.opening'],
  ])('refuses %s: 412 naming the path inside the flow', async (_what, change, path) => {
    const f = flow() as any;
    change(f);
    const refused = await post('dialogFlow/createDialogFlow', { name: '坏话术', flow: f });
    expect(refused.code).toBe(412);
    expect(refused.resultMsg).toContain(`参数错误: ${path} `);
  });

  it('refuses a tag group of another tenant as not found', async () => {
    const theirs = (await get('dialogFlow/getDialogFlowList', other.credentials)).data[0].intentLevelTagId;
    const refused = await post('dialogFlow/createDialogFlow', { name: 'x', intentLevelTagId: theirs, flow: flow() });
    expect(refused).toMatchObject({ code: 404 });
  });
});

describe('versions', () => {
  let id: number;
  beforeAll(async () => {
    id = (await post('dialogFlow/createDialogFlow', { name: '版本话术', flow: flow() })).data.dialogFlowId;
  });

  it('an edit makes a new version; a job keeps the version it was made with, and dials it', async () => {
    const before = await tenant.job({ flowId: id, name: '老版本任务' });
    const edited = flow();
    // biome-ignore lint/suspicious/noTemplateCurlyInString: a dialog-flow variable, literally
    edited.opening = '您好${姓名}，这里是悦动健身，新版开场白，方便吗？';
    expect(await post('dialogFlow/updateDialogFlow', { dialogFlowId: id, flow: edited, baseVersion: 1 })).toMatchObject(
      { code: 200, data: { dialogFlowId: id, version: 2 } },
    );
    const after = await tenant.job({ flowId: id, name: '新版本任务' });

    const texts = async (jobId: number) => (await findJobTexts(server.database, tenant.tenantId, jobId))!.definition;
    expect((await texts(before.jobId)) as DialogFlowDefinition).toMatchObject({ opening: flow().opening });
    expect((await texts(after.jobId)) as DialogFlowDefinition).toMatchObject({ opening: edited.opening });
    const dialled = await listJobsToDial(server.database);
    expect(dialled.find((j) => j.id === before.jobId)).toMatchObject({ dialog_flow_id: id, dialog_flow_version: 1 });
    expect(dialled.find((j) => j.id === after.jobId)).toMatchObject({ dialog_flow_version: 2 });

    // What an engine gets for a claimed task: the flow version, executable as it is.
    const v2 = (await loadDialogFlowVersion(server.database, tenant.tenantId, id, 2))!;
    expect(nextTurn(v2, [{ type: 'ROBOT', text: 'x' }], '年卡多少钱', {}).say).toBe(flow().questions[0]!.answer);
    expect(await loadDialogFlowVersion(server.database, other.tenantId, id, 2)).toBeUndefined();

    const versions = await get(`dialogFlow/getDialogFlowVersionList?dialogFlowId=${id}`);
    expect(versions.data.map((v: any) => [v.version, v.current])).toEqual([
      [2, true],
      [1, false],
    ]);
    const v1 = await get(`dialogFlow/getDialogFlowDetail?dialogFlowId=${id}&version=1`);
    expect(v1.data).toMatchObject({ currentVersion: 2, version: 1, flow: { opening: flow().opening }, variables: [] });
    const current = await get(`dialogFlow/getDialogFlowDetail?dialogFlowId=${id}`);
    expect(current.data).toMatchObject({ version: 2, variables: ['姓名'] });
  });

  it('an edit from a version that is no longer current is refused, naming baseVersion', async () => {
    const stale = await post('dialogFlow/updateDialogFlow', { dialogFlowId: id, flow: flow(), baseVersion: 1 });
    expect(stale.code).toBe(412);
    expect(stale.resultMsg).toMatch(/baseVersion 1 is not the flow's current version 2/);
  });

  it('a new name alone renames without a new version', async () => {
    expect(await post('dialogFlow/updateDialogFlow', { dialogFlowId: id, name: '改名话术' })).toMatchObject({
      data: { version: 2 },
    });
    expect((await get(`dialogFlow/getDialogFlowDetail?dialogFlowId=${id}`)).data).toMatchObject({
      name: '改名话术',
      currentVersion: 2,
    });
  });

  it('a copy starts at version 1 with the version copied', async () => {
    const copy = await post('dialogFlow/copyDialogFlow', { dialogFlowId: id, version: 1 });
    expect(copy).toMatchObject({ code: 200, data: { version: 1 } });
    const detail = await get(`dialogFlow/getDialogFlowDetail?dialogFlowId=${copy.data.dialogFlowId}`);
    expect(detail.data).toMatchObject({ name: '改名话术 副本', currentVersion: 1, flow: { opening: flow().opening } });
    expect((await post('dialogFlow/copyDialogFlow', { dialogFlowId: id, version: 9 })).code).toBe(404);
  });

  it('a disabled flow is given to no new job, still read; enabled again it is', async () => {
    expect((await post('dialogFlow/disableDialogFlow', { dialogFlowId: id })).code).toBe(200);
    expect((await get(`dialogFlow/getDialogFlowDetail?dialogFlowId=${id}`)).data.enabled).toBe(false);
    const job = { name: '用停用话术', dialogFlowId: id };
    const refused = await post('task/create', job);
    expect(refused.code).toBe(412);
    expect(refused.resultMsg).toContain(`dialogFlowId ${id} is a disabled dialog flow`);
    expect((await post('dialogFlow/enableDialogFlow', { dialogFlowId: id })).code).toBe(200);
    expect((await post('task/create', job)).code).toBe(200);
  });

  it('another tenant’s flow is not found, for every function', async () => {
    const o = other.credentials;
    expect((await get(`dialogFlow/getDialogFlowDetail?dialogFlowId=${id}`, o)).code).toBe(404);
    expect((await get(`dialogFlow/getDialogFlowVersionList?dialogFlowId=${id}`, o)).code).toBe(404);
    expect((await post('dialogFlow/updateDialogFlow', { dialogFlowId: id, flow: flow() }, o)).code).toBe(404);
    expect((await post('dialogFlow/copyDialogFlow', { dialogFlowId: id }, o)).code).toBe(404);
    expect((await post('dialogFlow/disableDialogFlow', { dialogFlowId: id }, o)).code).toBe(404);
  });
});

describe('/docs', () => {
  it('shows the functions as outcall’s own, beside the platform’s dialogFlow/', () => {
    const doc = server.app.swagger() as any;
    const op = doc.paths['/apiOpen/v1/dialogFlow/createDialogFlow'].post;
    expect(op['x-generation']).toBe('outcall');
    expect(op.tags).toEqual(['dialogFlow (outcall)']);
    expect(doc.paths['/apiOpen/v1/dialogFlow/getDialogFlowList'].get['x-generation']).toBe('later API');
  });
});
