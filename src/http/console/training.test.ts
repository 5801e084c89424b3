import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ConsoleBrowser, consoleUser } from '../../../test/consoleClient.js';
import { TenantFixture } from '../../../test/fixtures.js';
import { allCallRecords, call, getTaskDetail, startTestServer, type TestServer } from '../../../test/harness.js';
import { ENGLISH_FLOW, FIVE_TURNS } from '../../../test/trainingFlow.js';
import { listJobsToDial } from '../../repositories/jobs.js';

/*
 * Script training in the console (docs/dialog-flows.md, Script training): a chat with a flow version
 * through the engine, kept by the client and replayed by the server each turn, saved as a training
 * call record of a job — the flow's own training job (made once, never dialled) or the job it was
 * started from — listed with getTrainTaskList=true and never counted by statistics.
 */

let server: TestServer;
let tenant: TenantFixture;
let other: TenantFixture;
let browser: ConsoleBrowser;

beforeAll(async () => {
  server = await startTestServer();
  tenant = await TenantFixture.create(server.database);
  other = await TenantFixture.create(server.database);
  const user = await consoleUser(server.database, tenant.credentials.tenantSign);
  browser = new ConsoleBrowser(server.url);
  expect((await browser.signIn(user.username, user.password)).code).toBe(200);
});
afterAll(() => server?.close());

const post = (path: string, body: unknown) => browser.call('POST', `/console/api/${path}`, { body });
const targetOf = ({ robotCallJobId, dialogFlowId, version }: any) => ({ robotCallJobId, dialogFlowId, version });
const newFlow = async (name: string) => {
  const r = await post('dialogFlow/createDialogFlow', { name, flow: ENGLISH_FLOW });
  expect(r.code, r.resultMsg).toBe(200);
  return r.data.dialogFlowId as number;
};

describe('a training chat from the flow editor', () => {
  it('answers each turn with why, closes as the rules say, and saves a training record of the flow’s training job', async () => {
    const flowId = await newFlow('少儿英语');
    const variables = { 姓名: '王女士' };
    const start = await post('training/start', { dialogFlowId: flowId, variables });
    expect(start.code, start.resultMsg).toBe(200);
    expect(start.data).toMatchObject({
      dialogFlowId: flowId,
      version: 1,
      jobName: '话术训练 · 少儿英语',
      variables: ['姓名'],
      opening: { action: 'open', say: '您好王女士，这里是晨光英语，想跟您介绍一下少儿英语课程，方便吗？' },
    });
    const target = { robotCallJobId: start.data.robotCallJobId, dialogFlowId: flowId, version: 1 };

    const steps = [];
    for (let i = 1; i <= FIVE_TURNS.length; i++) {
      const r = await post('training/turn', { ...target, utterances: FIVE_TURNS.slice(0, i), variables });
      expect(r.code, r.resultMsg).toBe(200);
      steps.push(r.data);
    }
    expect(steps.map((s) => s.action)).toEqual(['pitch', 'answer', 'answer', 'pitch', 'close']);
    expect(steps[1].why).toContain('关键词「多少钱」');
    expect(steps[2].why).toContain('你们在哪里上课');
    expect(steps[4]).toMatchObject({
      end: true,
      say: '好的，稍后课程顾问加您微信，再见！',
      outcome: { outcome: 'interested', intentLevel: 'A', rule: 0, concerns: ['价格', '地址'] },
    });
    const after = await post('training/turn', { ...target, utterances: [...FIVE_TURNS, '还有吗'] });
    expect(after).toMatchObject({ code: 412 });
    expect(after.resultMsg).toContain('utterances[5]');

    const saved = await post('training/finish', {
      ...target,
      utterances: FIVE_TURNS,
      variables,
      sessionKey: 'chat-0001',
    });
    expect(saved.code, saved.resultMsg).toBe(200);
    expect(saved.data.outcome).toMatchObject({ intentLevel: 'A', concerns: ['价格', '地址'] });
    // Sent twice (a retried click): one record.
    const again = await post('training/finish', {
      ...target,
      utterances: FIVE_TURNS,
      variables,
      sessionKey: 'chat-0001',
    });
    expect(again.data.callRecordId).toBe(saved.data.callRecordId);

    const training = await allCallRecords(server, tenant.credentials, {
      robotCallJobId: target.robotCallJobId,
      getTrainTaskList: true,
    });
    expect(training).toHaveLength(1);
    expect(training[0]).toMatchObject({ intentLevel: 'A', chatRound: 5 });
    const real = await allCallRecords(server, tenant.credentials, { robotCallJobId: target.robotCallJobId });
    expect(real).toHaveLength(0);
    const detail = (await getTaskDetail(server, tenant.credentials, target.robotCallJobId)).data;
    expect(detail.callJobStatsInfo).toMatchObject({
      answeredTask: 0,
      chatDurationTotal: 0,
      customerConcern: [],
      intentLevel: { A: 0, B: 0, C: 0, D: 0, E: 0, F: 0 },
    });
    // The training job never dials.
    expect((await listJobsToDial(server.database)).map((j) => j.id)).not.toContain(target.robotCallJobId);

    // The next chat (a new version) uses the same training job.
    await post('dialogFlow/updateDialogFlow', { dialogFlowId: flowId, flow: { ...ENGLISH_FLOW, maxTurns: 3 } });
    const next = await post('training/start', { dialogFlowId: flowId });
    expect(next.data).toMatchObject({ robotCallJobId: target.robotCallJobId, version: 2 });
    // Ended by the operator before the robot closed: the customer hung up.
    const ended = await post('training/finish', {
      ...targetOf(next.data),
      utterances: ['嗯'],
      sessionKey: 'chat-0002',
    });
    expect(ended.data.outcome).toMatchObject({ hungUp: true, outcome: 'neutral', intentLevel: 'D' });
  });
});

describe('a training chat from a job', () => {
  it('speaks the job’s version and is recorded on that job', async () => {
    const flowId = await newFlow('少儿英语 二');
    const { jobId } = await tenant.job({ flowId });
    await post('dialogFlow/updateDialogFlow', { dialogFlowId: flowId, flow: { ...ENGLISH_FLOW, pitch: ['新的'] } });
    const start = await post('training/start', { robotCallJobId: jobId });
    expect(start.data).toMatchObject({ robotCallJobId: jobId, dialogFlowId: flowId, version: 1 });
    const step = await post('training/turn', { ...targetOf(start.data), utterances: ['你说'] });
    expect(step.data.say).toBe(ENGLISH_FLOW.pitch[0]);
  });

  it('refuses another tenant’s job and flow, a flow the job does not speak, and neither given', async () => {
    const { jobId } = await other.job();
    expect(await post('training/start', { robotCallJobId: jobId })).toMatchObject({ code: 404 });
    expect(await post('training/start', { dialogFlowId: other.flowId })).toMatchObject({ code: 404 });
    expect((await post('training/start', {})).resultMsg).toContain('robotCallJobId');
    const flowId = await newFlow('少儿英语 三');
    const mine = await tenant.job();
    const r = await post('training/turn', {
      robotCallJobId: mine.jobId,
      dialogFlowId: flowId,
      version: 1,
      utterances: ['a'],
    });
    expect(r.code).toBe(412);
    expect(r.resultMsg).toContain('dialogFlowId');
    const api = await call(server, other.credentials, 'POST', '/apiOpen/v1/task/getCallRecordInfoList', {
      robotCallJobId: mine.jobId,
      getTrainTaskList: true,
    });
    expect(api.code).toBe(404);
  });
});
