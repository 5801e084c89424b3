import { type Kysely, type Migration, Migrator } from 'kysely';
import { afterEach, describe, expect, it } from 'vitest';
import { type ScratchDatabase, scratchDatabase } from '../../../test/databases.js';
import { T0 } from '../../../test/fixtures.js';
import { testDialect } from '../../../test/harness.js';
import { runConversation } from '../../domain/dialogEngine.js';
import { checkDialogFlow, dialogFlowProblems } from '../../domain/dialogFlow.js';
import { REDIAL_ON_EVERY_FAILURE } from '../../domain/enums.js';
import { createDatabase, type Database } from '../database.js';
import { MIGRATIONS, migrateToLatest } from '../migrate.js';
import { convert0031 } from './0031_dialog_flow_versions.js';

/*
 * Migration 0031 on a database as the code before it left it: flows stored in the old script
 * format become version 1 in today's format, and jobs speak version 1; a flow that cannot be
 * converted stops the migration with its id and the reason, and nothing of it is kept.
 */

const OLD_SCRIPT = {
  opening: '您好，这里是客户服务中心，想给您介绍一下新活动，可以吗？',
  pitch: ['活动期间八折。', '还有礼品赠送。'],
  questions: [
    { concern: '价格', customer: '具体多少钱？', robot: '活动价是平时的八折。' },
    { concern: '地理位置', customer: '门店在哪里？', robot: '市中心和城东各有一家。' },
  ],
  closing: { interested: '好的，顾问会联系您！', declined: '打扰了，再见！', busy: '晚点再联系您，再见！' },
};

let scratch: ScratchDatabase | undefined;
let database: Database | undefined;
afterEach(async () => {
  await database?.destroy();
  await scratch?.drop();
  database = undefined;
  scratch = undefined;
});

/** A database migrated up to the migration before 0031. */
async function before0031(): Promise<Kysely<any>> {
  scratch = await scratchDatabase(testDialect);
  database = createDatabase(scratch.url, { poolSize: 2 });
  const d = database;
  const migrations: Record<string, Migration> = {};
  for (const [name, m] of Object.entries(MIGRATIONS))
    if (name < '0031') migrations[name] = { up: (k) => m.up(k, d.dialect) };
  const result = await new Migrator({
    db: d.db,
    provider: { getMigrations: async () => migrations },
  }).migrateToLatest();
  if (result.error) throw result.error;
  return d.db as unknown as Kysely<any>;
}

/** A stored JSON value: text on SQLite, parsed already on PostgreSQL. */
const parse = (v: unknown) => (typeof v === 'string' ? JSON.parse(v) : v);

async function insert(db: Kysely<any>, table: string, row: Record<string, unknown>): Promise<number> {
  return Number((await db.insertInto(table).values(row).returning('id').executeTakeFirstOrThrow()).id);
}

async function tenantWithFlows(db: Kysely<any>, definitions: unknown[]) {
  const tenantId = await insert(db, 'tenant', {
    name: '旧话术公司',
    tenant_sign: `f${Date.now().toString(36)}`,
    time_zone: 'Asia/Shanghai',
    created_at: T0,
  });
  const flows: number[] = [];
  for (const d of definitions)
    flows.push(
      await insert(db, 'dialog_flow', {
        tenant_id: tenantId,
        name: '话术',
        definition: JSON.stringify(d),
        created_at: T0,
      }),
    );
  return { tenantId, flows };
}

async function oldJob(db: Kysely<any>, tenantId: number, flowId: number): Promise<number> {
  const json = JSON.stringify;
  return insert(db, 'robot_call_job', {
    tenant_id: tenantId,
    dialog_flow_id: flowId,
    name: '旧任务',
    mode: 'MANUAL',
    robot_count: 1,
    phone_type: 'LANDLINE',
    daily_start_time: '09:00:00',
    daily_end_time: '20:00:00',
    inactive_time_list: '[]',
    redial_condition: json([...REDIAL_ON_EVERY_FAILURE]),
    wechat_alert_level: '[]',
    sms_alert_level: '[]',
    alert_users: '[]',
    early_warning_alert_users: '[]',
    wechat_send_method: 'SENDTOALL',
    status: 'IN_PROCESS',
    redial_times: 0,
    created_at: T0,
    last_modified_at: T0,
  });
}

describe('migration 0031', () => {
  it('stops at a flow that cannot be converted, naming it; once corrected, makes every flow version 1 and every job speak it', async () => {
    const db = await before0031();
    const { tenantId, flows } = await tenantWithFlows(db, [
      OLD_SCRIPT,
      // biome-ignore lint/suspicious/noTemplateCurlyInString: a dialog-flow variable, literally
      { ...OLD_SCRIPT, opening: '${姓名}您好' },
      { ...OLD_SCRIPT, pitch: [] },
    ]);
    const jobId = await oldJob(db, tenantId, flows[0]!);

    // No silent fallback: the migration stops, naming the flow and why, and keeps nothing of itself.
    await expect(migrateToLatest(database!)).rejects.toThrow(
      new RegExp(
        `dialog flow ${flows[2]} \\(tenant ${tenantId}\\) cannot be converted .*: pitch is not a non-empty list`,
      ),
    );
    const [first] = await db.selectFrom('dialog_flow').select('definition').orderBy('id').execute();
    expect(parse(first!.definition)).toEqual(OLD_SCRIPT);
    await expect(db.selectFrom('dialog_flow_version').selectAll().execute()).rejects.toThrow();

    // The operator corrects the flow and migrates again.
    await db
      .updateTable('dialog_flow')
      .set({ definition: JSON.stringify({ ...OLD_SCRIPT, pitch: ['补上的介绍。'] }) })
      .where('id', '=', flows[2]!)
      .execute();
    await migrateToLatest(database!);

    const stored = await db
      .selectFrom('dialog_flow')
      .select(['id', 'definition', 'version', 'enabled'])
      .orderBy('id')
      .execute();
    expect(stored.map((f) => [Number(f.version), Number(f.enabled)])).toEqual([
      [1, 1],
      [1, 1],
      [1, 1],
    ]);
    const definition = checkDialogFlow(parse(stored[0]!.definition));
    expect(definition).toMatchObject({
      opening: OLD_SCRIPT.opening,
      pitch: OLD_SCRIPT.pitch,
      questions: [
        { concern: '价格', keywords: [], phrasings: ['具体多少钱？'], answer: '活动价是平时的八折。' },
        { concern: '地理位置', keywords: [], phrasings: ['门店在哪里？'], answer: '市中心和城东各有一家。' },
      ],
      closings: { interested: '好的，顾问会联系您！', neutral: '打扰了，再见！', declined: '打扰了，再见！' },
    });
    expect(parse(stored[2]!.definition)).toMatchObject({ pitch: ['补上的介绍。'] });
    const versions = await db
      .selectFrom('dialog_flow_version')
      .select(['dialog_flow_id', 'version', 'definition', 'tenant_id'])
      .orderBy('dialog_flow_id')
      .execute();
    expect(versions.map((v) => [Number(v.dialog_flow_id), Number(v.version), Number(v.tenant_id)])).toEqual(
      flows.map((id) => [id, 1, tenantId]),
    );
    expect(parse(versions[0]!.definition)).toEqual(definition);
    const job = await db
      .selectFrom('robot_call_job')
      .select('dialog_flow_version')
      .where('id', '=', jobId)
      .executeTakeFirst();
    expect(Number(job!.dialog_flow_version)).toBe(1);

    // The converted flow runs: its questions are recognised by what customers said in the old script.
    const { outcome } = runConversation({ definition }, ['可以', '具体多少钱', '门店在哪里', '好的', '好的']);
    expect(outcome).toMatchObject({ intentLevel: 'A', concerns: ['价格', '地理位置'] });
  });
});

describe('the conversion of 0031', () => {
  it.each([
    ['not an object', [], 'the definition is not a JSON object'],
    ['nothing at all', {}, 'pitch is not a non-empty list'],
    ['no opening', { ...OLD_SCRIPT, opening: ' ' }, 'opening is not a non-empty text'],
    [
      'a question without the customer’s words',
      { ...OLD_SCRIPT, questions: [{ concern: '价格', robot: '八折' }] },
      'questions[0].customer is not a non-empty text',
    ],
    [
      'a question of punctuation only',
      { ...OLD_SCRIPT, questions: [{ concern: '价格', customer: '？', robot: '八折' }] },
      'questions[0].customer has no words',
    ],
    [
      'no busy closing',
      { ...OLD_SCRIPT, closing: { interested: 'a', declined: 'b' } },
      'closing.busy is not a non-empty text',
    ],
    // biome-ignore lint/suspicious/noTemplateCurlyInString: a dialog-flow variable, literally
    ['a malformed variable', { ...OLD_SCRIPT, opening: '${}您好' }, 'opening has a malformed'],
  ])('refuses %s, saying why', (_what, old, why) => {
    expect(() => convert0031(old)).toThrow(why);
  });

  it('gives what today’s format accepts', () => {
    expect(dialogFlowProblems(convert0031(OLD_SCRIPT))).toEqual([]);
    expect(dialogFlowProblems(convert0031({ ...OLD_SCRIPT, questions: [] }))).toEqual([]);
  });
});
