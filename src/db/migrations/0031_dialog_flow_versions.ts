import { type Kysely, sql } from 'kysely';
import type { Dialect } from '../database.js';
import { versionTriggers } from './0026_answer_data_version.js';

/*
 * Dialog flows become versioned tenant data (docs/dialog-flows.md):
 *
 * - dialog_flow_version: every version of every flow (definition in the format of
 *   domain/dialogFlow.ts, as of this migration), 1, 2, 3 … per flow; an edit adds one.
 * - dialog_flow.version: the flow's current version (its definition is also in
 *   dialog_flow.definition, as before); dialog_flow.enabled: 0 once disabled (no new job may use it).
 * - robot_call_job.dialog_flow_version: the version the job speaks, recorded when the job is made
 *   (and when its flow is changed): later edits of the flow make versions for later jobs.
 * - Every stored flow is converted to the format as its version 1 (convert0031) and every job
 *   gets version 1. A flow that cannot be converted stops the migration, naming the flow and why:
 *   it is never replaced by a default script. Fix or delete it, then migrate again.
 *
 * The new table's writes move the tenant's data version on PostgreSQL (0026).
 * Frozen in time: later changes are new migrations (the conversion below included).
 */

const INTENT_RULES_0031 = [
  { level: 'A', when: { outcomes: ['interested'], minQuestions: 2 }, note: '有兴趣且问了两个以上问题' },
  { level: 'B', when: { outcomes: ['interested'] }, note: '有兴趣' },
  { level: 'B', when: { outcomes: ['neutral'], minQuestions: 1 }, note: '态度一般但问了问题' },
  { level: 'C', when: { outcomes: ['neutral'], maxTurns: 2 }, note: '态度一般，聊得不多' },
  { level: 'D', when: { outcomes: ['neutral'] }, note: '态度一般' },
  { level: 'E', when: { outcomes: ['busy'] }, note: '现在不方便，需要再次跟进' },
  { level: 'F', when: { outcomes: ['declined'] }, note: '明确拒绝' },
];

const RECOGNISERS_0031 = {
  interested: {
    keywords: ['可以', '好的', '不错', '兴趣', '加个微信', '加微信', '详细聊', '具体说说', '挺好'],
    phrasings: ['听起来不错', '可以加个微信详细聊'],
  },
  declined: {
    keywords: ['不需要', '没兴趣', '不感兴趣', '别再打', '不用', '不要', '不考虑', '算了', '不可以', '不行'],
    phrasings: ['不需要，谢谢'],
  },
  busy: {
    keywords: ['在开会', '开车', '不方便', '忙', '晚点再说', '回头再联系', '没空', '没时间'],
    phrasings: ['我现在在开会，晚点再说吧'],
  },
};

/** Lengths the format allows (domain/dialogFlow.ts as of this migration). */
const MAX_LINE = 500;
const MAX_PHRASE = 100;
const MAX_CONCERN = 50;

/**
 * A stored definition of the format before this migration (opening, pitch, questions of the
 * customer's words and the robot's answer, three closings) in the new format: each question
 * recognised by the customer's words as its one phrasing, the recognisers and intent rules the
 * simulator decided by, the declined closing also said when a conversation ends without interest
 * (as the simulator did), at most 12 customer turns. A definition already in the new format is
 * kept. Throws, saying why, for anything else.
 */
export function convert0031(stored: unknown): Record<string, unknown> {
  if (stored === null || typeof stored !== 'object' || Array.isArray(stored))
    throw new Error('the definition is not a JSON object');
  const d = stored as Record<string, unknown>;
  if ('closings' in d && 'recognise' in d && 'maxTurns' in d) return d; // written in the new format
  const text = (value: unknown, path: string, max: number): string => {
    if (typeof value !== 'string' || value.trim() === '') throw new Error(`${path} is not a non-empty text`);
    if (value.length > max) throw new Error(`${path} is longer than ${max} characters`);
    if (/\$\{\s*\}/.test(value) || /\$\{/.test(value.replace(/\$\{[^{}$]*\}/g, '')))
      throw new Error(`${path} has a malformed \${…} variable`);
    return value;
  };
  if (!Array.isArray(d.pitch) || d.pitch.length === 0) throw new Error('pitch is not a non-empty list');
  if (d.pitch.length > 20) throw new Error('pitch has more than 20 steps');
  if (!Array.isArray(d.questions)) throw new Error('questions is not a list');
  if (d.questions.length > 100) throw new Error('questions has more than 100 questions');
  const closing = d.closing;
  if (closing === null || typeof closing !== 'object' || Array.isArray(closing))
    throw new Error('closing is not an object');
  const c = closing as Record<string, unknown>;
  return {
    maxTurns: 12,
    opening: text(d.opening, 'opening', MAX_LINE),
    pitch: d.pitch.map((p, i) => text(p, `pitch[${i}]`, MAX_LINE)),
    questions: d.questions.map((q, i) => {
      if (q === null || typeof q !== 'object' || Array.isArray(q)) throw new Error(`questions[${i}] is not an object`);
      const r = q as Record<string, unknown>;
      const customer = text(r.customer, `questions[${i}].customer`, MAX_PHRASE);
      if (customer.replace(/[\p{P}\p{S}\p{Z}\s]/gu, '') === '')
        throw new Error(`questions[${i}].customer has no words to recognise the question by`);
      return {
        concern: text(r.concern, `questions[${i}].concern`, MAX_CONCERN),
        keywords: [],
        phrasings: [customer],
        answer: text(r.robot, `questions[${i}].robot`, MAX_LINE),
      };
    }),
    recognise: RECOGNISERS_0031,
    closings: {
      interested: text(c.interested, 'closing.interested', MAX_LINE),
      neutral: text(c.declined, 'closing.declined', MAX_LINE),
      declined: text(c.declined, 'closing.declined', MAX_LINE),
      busy: text(c.busy, 'closing.busy', MAX_LINE),
    },
    intentRules: INTENT_RULES_0031,
    defaultIntentLevel: 'D',
  };
}

export async function up(db: Kysely<any>, dialect: Dialect): Promise<void> {
  const json = dialect === 'postgres' ? 'jsonb' : 'text';
  await db.schema
    .createTable('dialog_flow_version')
    .addColumn('tenant_id', 'bigint', (c) => c.notNull().references('tenant.id'))
    .addColumn('dialog_flow_id', 'bigint', (c) => c.notNull().references('dialog_flow.id'))
    .addColumn('version', 'integer', (c) => c.notNull())
    .addColumn('definition', json, (c) => c.notNull())
    .addColumn('created_at', 'bigint', (c) => c.notNull())
    .addPrimaryKeyConstraint('dialog_flow_version_pkey', ['tenant_id', 'dialog_flow_id', 'version'])
    .execute();
  await db.schema
    .alterTable('dialog_flow')
    .addColumn('version', 'integer', (c) => c.notNull().defaultTo(1))
    .execute();
  await db.schema
    .alterTable('dialog_flow')
    .addColumn('enabled', 'integer', (c) => c.notNull().defaultTo(1))
    .execute();
  await db.schema.alterTable('robot_call_job').addColumn('dialog_flow_version', 'integer').execute();

  // One flow at a time, in id order: a tenant's flows are few, and the first that fails names itself.
  let after = 0;
  for (;;) {
    const flow = await db
      .selectFrom('dialog_flow')
      .select(['id', 'tenant_id', 'definition', 'created_at'])
      .where('id', '>', after)
      .orderBy('id')
      .limit(1)
      .executeTakeFirst();
    if (!flow) break;
    after = Number(flow.id);
    let converted: Record<string, unknown>;
    try {
      const stored = typeof flow.definition === 'string' ? JSON.parse(flow.definition) : flow.definition;
      converted = convert0031(stored);
    } catch (error) {
      throw new Error(
        `migration 0031: dialog flow ${flow.id} (tenant ${flow.tenant_id}) cannot be converted to the dialog-flow format: ${
          error instanceof Error ? error.message : String(error)
        }. Correct or delete its definition (dialog_flow.definition), then migrate again.`,
      );
    }
    const definition = JSON.stringify(converted);
    await db.updateTable('dialog_flow').set({ definition }).where('id', '=', flow.id).execute();
    await db
      .insertInto('dialog_flow_version')
      .values({
        tenant_id: flow.tenant_id,
        dialog_flow_id: flow.id,
        version: 1,
        definition,
        created_at: flow.created_at,
      })
      .execute();
  }
  await db.updateTable('robot_call_job').set({ dialog_flow_version: 1 }).execute();
  if (dialect === 'postgres')
    for (const statement of versionTriggers('dialog_flow_version')) await sql.raw(statement).execute(db);
}
