import { type Static, type TSchema, Type } from '@sinclair/typebox';
import { Value } from '@sinclair/typebox/value';
import { InputObject, Int, SafeText } from '../schemas/common.js';
import { invalidParameter } from './errors.js';

/*
 * A dialog flow's (话术) definition: what the robot says, what it recognises in what the customer
 * says, and how a conversation's intent level (意向等级) and concerns (关注点) are decided at its
 * end. docs/dialog-flows.md describes the format; docs/dialog-flow.schema.json is this schema as
 * JSON Schema (written by a test, so it cannot drift). The dialog engine (dialogEngine.ts)
 * executes it.
 *
 * One schema serves validation on every write (the API's body, `outcall flow import`, the
 * migration of stored flows), the TypeScript types and the OpenAPI document.
 */

/** A robot's line: text spoken as is, `${name}` replaced by the customer's property of that name. */
const Line = (description: string) => SafeText({ minLength: 1, maxLength: 500, description });

/** Words or phrases; each matched after normalising (docs/dialog-flows.md, Matching). */
const Phrases = (description: string, minItems = 0) =>
  Type.Array(SafeText({ minLength: 1, maxLength: 100 }), { minItems, maxItems: 100, description });

/** What the engine recognises an utterance by: any keyword it contains, or a phrasing it resembles. */
const Recogniser = (description: string) =>
  InputObject(
    {
      keywords: Phrases('words or phrases: the utterance contains one of them'),
      phrasings: Type.Optional(
        Phrases('whole sentences a customer says: the utterance is, contains or closely resembles one of them'),
      ),
    },
    { additionalProperties: false, description },
  );

export const FLOW_OUTCOMES = ['interested', 'neutral', 'busy', 'declined'] as const;
/** How a conversation ended, before the intent rules turn it into a level. */
export type FlowOutcome = (typeof FLOW_OUTCOMES)[number];

/**
 * One of a few words. A pattern rather than an enum: /docs holds every enum of the API to be one of
 * the platform's enums, and these are outcall's own words.
 */
const OneOf = <T extends string>(values: readonly T[], description: string) =>
  SafeText({
    maxLength: 20,
    pattern: `^(${values.join('|')})$`,
    description: `${description}: one of ${values.join(', ')}`,
  }) as unknown as TSchema & { static: T };

const IntentLevelName = OneOf(['A', 'B', 'C', 'D', 'E', 'F'] as const, '意向等级 A–F');

const IntentRule = InputObject(
  {
    level: IntentLevelName,
    when: InputObject(
      {
        outcomes: Type.Optional(
          Type.Array(OneOf(FLOW_OUTCOMES, 'how the conversation ended'), {
            minItems: 1,
            maxItems: 4,
            description: 'the conversation ended so (any of them)',
          }),
        ),
        minQuestions: Type.Optional(Int(0, 100, { description: 'at least this many of the questions were asked' })),
        maxQuestions: Type.Optional(Int(0, 100, { description: 'at most this many of the questions were asked' })),
        minTurns: Type.Optional(Int(0, 100, { description: 'the customer spoke at least this many times' })),
        maxTurns: Type.Optional(Int(0, 100, { description: 'the customer spoke at most this many times' })),
        concerns: Type.Optional(
          Type.Array(SafeText({ minLength: 1, maxLength: 50 }), {
            minItems: 1,
            maxItems: 100,
            description: 'the customer asked about one of these concerns',
          }),
        ),
        hungUp: Type.Optional(Type.Boolean({ description: 'the customer hung up before the robot closed (or not)' })),
      },
      { additionalProperties: false, description: 'every condition given must hold; none given: always' },
    ),
    note: Type.Optional(SafeText({ maxLength: 200, description: 'why, in the flow author’s words' })),
  },
  { additionalProperties: false },
);

const Question = InputObject(
  {
    concern: SafeText({ minLength: 1, maxLength: 50, description: '关注点: the concern the question is about' }),
    keywords: Phrases('words that recognise the question (多少钱, 价格, …)'),
    phrasings: Phrases('how customers ask it, whole sentences (具体多少钱？)', 1),
    answer: Line('the robot’s answer'),
  },
  { additionalProperties: false },
);

export const DialogFlowDefinition = InputObject(
  {
    maxTurns: Int(1, 50, {
      description: 'the most times the customer speaks: at the last one the robot closes, whatever was said',
    }),
    opening: Line('开场白: the robot’s first line'),
    pitch: Type.Array(Line('a pitch step'), {
      minItems: 1,
      maxItems: 20,
      description: 'the pitch, one line per step, said in order as the customer lets the robot go on',
    }),
    questions: Type.Array(Question, {
      maxItems: 100,
      description: 'questions a customer may ask, each about one concern, with the robot’s answer',
    }),
    recognise: InputObject(
      {
        interested: Recogniser('what counts as interested (可以, 感兴趣, 加微信)'),
        declined: Recogniser('what counts as declined (不需要, 没兴趣): the robot closes'),
        busy: Recogniser('what counts as busy (在开会, 不方便): the robot closes'),
      },
      { additionalProperties: false, description: 'what the customer’s replies are recognised as' },
    ),
    fillers: Type.Optional(
      Phrases('filler words left out before matching, besides the built-in ones (嗯, 啊, 那个, 就是, …)'),
    ),
    closings: InputObject(
      {
        interested: Line('the closing when the customer is interested'),
        neutral: Line('the closing when the pitch is over and the customer showed no interest'),
        declined: Line('the closing when the customer declines'),
        busy: Line('the closing when the customer is busy'),
      },
      { additionalProperties: false },
    ),
    intentRules: Type.Array(IntentRule, {
      maxItems: 100,
      description: 'the rules giving the intent level at the end, in order: the first whose conditions hold wins',
    }),
    defaultIntentLevel: IntentLevelName,
  },
  {
    additionalProperties: false,
    title: 'outcall dialog flow',
    description: 'A dialog flow (话术) as outcall stores and executes it: docs/dialog-flows.md.',
  },
);
export type DialogFlowDefinition = Static<typeof DialogFlowDefinition>;
export type IntentRule = DialogFlowDefinition['intentRules'][number];
export type FlowQuestion = DialogFlowDefinition['questions'][number];

/** Kept for the callers that name a flow's definition its script (the dialer, the simulator). */
export type DialogFlowScript = DialogFlowDefinition;

/** `flow.questions[2].keywords` from `/questions/2/keywords`. */
function pathName(pointer: string): string {
  return `flow${pointer
    .split('/')
    .filter(Boolean)
    .map((p) => (/^\d+$/.test(p) ? `[${p}]` : `.${p.replace(/~1/g, '/').replace(/~0/g, '~')}`))
    .join('')}`;
}

/** The problems of a definition, each naming its path inside the flow (`flow.questions[2].keywords`); none: valid. */
export function dialogFlowProblems(definition: unknown): { path: string; problem: string }[] {
  const first = Value.Errors(DialogFlowDefinition, definition).First();
  if (first) {
    // A pattern's own message shows the pattern: name the words it allows instead.
    const oneOf = typeof first.schema.pattern === 'string' && /^\^\((.*)\)\$$/.exec(first.schema.pattern);
    const problem =
      oneOf && typeof first.value === 'string'
        ? `must be one of ${oneOf[1]!.split('|').join(', ')}`
        : first.message
            .replace(/^Expected/, 'must be')
            .replace(/^Unexpected property$/, 'is not a field of the format');
    return [{ path: pathName(first.path), problem }];
  }
  const flow = definition as DialogFlowDefinition;
  const out: { path: string; problem: string }[] = [];
  const lines: [string, string][] = [
    ['flow.opening', flow.opening],
    ...flow.pitch.map((t, i): [string, string] => [`flow.pitch[${i}]`, t]),
    ...flow.questions.map((q, i): [string, string] => [`flow.questions[${i}].answer`, q.answer]),
    ...Object.entries(flow.closings).map(([k, t]): [string, string] => [`flow.closings.${k}`, t]),
  ];
  for (const [path, text] of lines) {
    const bad = malformedVariable(text);
    if (bad) out.push({ path, problem: bad });
  }
  const recognisers: [string, { keywords: string[]; phrasings?: string[] }][] = [
    ...flow.questions.map((q, i): [string, FlowQuestion] => [`flow.questions[${i}]`, q]),
    ...Object.entries(flow.recognise).map(([k, r]): [string, (typeof flow.recognise)['busy']] => [
      `flow.recognise.${k}`,
      r,
    ]),
  ];
  for (const [path, r] of recognisers)
    for (const field of ['keywords', 'phrasings'] as const)
      for (const [i, phrase] of (r[field] ?? []).entries())
        if (normalizeUtterance(phrase, flow.fillers).length === 0)
          out.push({
            path: `${path}.${field}[${i}]`,
            problem: `"${phrase}" is nothing but punctuation and filler words: it would match every reply`,
          });
  for (const [i, rule] of flow.intentRules.entries()) {
    const w = rule.when;
    if (w.minQuestions !== undefined && w.maxQuestions !== undefined && w.minQuestions > w.maxQuestions)
      out.push({ path: `flow.intentRules[${i}].when.maxQuestions`, problem: 'must not be less than minQuestions' });
    if (w.minTurns !== undefined && w.maxTurns !== undefined && w.minTurns > w.maxTurns)
      out.push({ path: `flow.intentRules[${i}].when.maxTurns`, problem: 'must not be less than minTurns' });
    const known = new Set(flow.questions.map((q) => q.concern));
    for (const [j, c] of (w.concerns ?? []).entries())
      if (!known.has(c))
        out.push({
          path: `flow.intentRules[${i}].when.concerns[${j}]`,
          problem: `"${c}" is the concern of none of the flow's questions`,
        });
  }
  return out;
}

/** Checks a definition written by anyone; 412 naming the first problem's path inside the flow. */
export function checkDialogFlow(definition: unknown): DialogFlowDefinition {
  const [first] = dialogFlowProblems(definition);
  if (first) throw invalidParameter(first.path, first.problem);
  return definition as DialogFlowDefinition;
}

/**
 * A stored definition, for what speaks it (the dialer, the simulator, the engine). Every stored
 * definition was checked when it was written (or migrated, 0031): one that is not valid is a
 * fault, never replaced by a default script.
 */
export function scriptOf(definition: unknown): DialogFlowDefinition {
  const [first] = dialogFlowProblems(definition);
  if (first) throw new Error(`a stored dialog flow is not valid: ${first.path} ${first.problem}`);
  return definition as DialogFlowDefinition;
}

/**
 * A valid definition with its fields in the format's order (PostgreSQL's jsonb keeps its own
 * order of keys): what is shown and exported reads the same on both databases.
 */
export function inFormatOrder(definition: DialogFlowDefinition): DialogFlowDefinition {
  const order = (schema: TSchema, value: unknown): unknown => {
    if (Array.isArray(value)) return value.map((v) => order(schema.items as TSchema, v));
    if (value === null || typeof value !== 'object' || !schema.properties) return value;
    const out: Record<string, unknown> = {};
    for (const [key, property] of Object.entries(schema.properties as Record<string, TSchema>))
      if (key in value) out[key] = order(property, (value as Record<string, unknown>)[key]);
    return out;
  };
  return order(DialogFlowDefinition, definition) as DialogFlowDefinition;
}

/** Why a line's variables are malformed, or undefined: each names something and closes. */
function malformedVariable(text: string): string | undefined {
  if (/\$\{\s*\}/.test(text)) return 'has a variable without a name';
  if (/\$\{/.test(text.replace(/\$\{[^{}$]*\}/g, ''))) return 'has a variable that does not close with }';
  return undefined;
}

/** The names of the `${name}` variables in a text, in order. */
export function variablesIn(text: string): string[] {
  const names: string[] = [];
  for (const m of text.matchAll(/\$\{([^{}$]*)\}/g)) {
    const name = m[1]!.trim();
    if (name) names.push(name);
  }
  return names;
}

/** What the robot says in a dialog flow, in speaking order. */
export function robotTexts(definition: unknown): string[] {
  const flow = scriptOf(definition);
  return [
    flow.opening,
    ...flow.pitch,
    ...flow.questions.map((q) => q.answer),
    flow.closings.interested,
    flow.closings.neutral,
    flow.closings.declined,
    flow.closings.busy,
  ];
}

/** The variables a flow's lines use, each once, in speaking order. */
export function flowVariables(definition: DialogFlowDefinition): string[] {
  return [...new Set(robotTexts(definition).flatMap(variablesIn))];
}

/*
 * Matching (docs/dialog-flows.md): an utterance and every keyword or phrasing are compared after
 * the same normalisation — full-width forms to half-width and compatibility forms folded (NFKC),
 * Latin letters in lower case, punctuation, symbols and spaces left out, and filler words left
 * out — so "那个，多少钱？" and "多少钱" are the same words.
 */

/** Filler words (语气词 and hesitations) left out before matching, longest first. */
export const BUILT_IN_FILLERS = [
  '就是说',
  '那个',
  '这个',
  '就是',
  '然后',
  '嗯',
  '啊',
  '呃',
  '额',
  '哦',
  '噢',
  '喔',
  '唉',
  '哎',
  '诶',
  '欸',
  '呀',
  '嘛',
  '呢',
  '哈',
  '吧',
] as const;

const NOT_WORDS = /[\p{P}\p{S}\p{Z}\s]/gu;

const fold = (text: string) => text.normalize('NFKC').toLowerCase().replace(NOT_WORDS, '');

/** The pattern that leaves out the built-in fillers and a flow's own, longest first. */
export function fillerPattern(extraFillers: readonly string[] = []): RegExp {
  const fillers = [...new Set([...extraFillers.map(fold), ...BUILT_IN_FILLERS])]
    .filter(Boolean)
    .sort((a, b) => b.length - a.length)
    .map((f) => f.replace(/[.*+?^${}()|[\]\\]/g, '\\$&'));
  return new RegExp(fillers.join('|'), 'gu');
}

/** An utterance (or a keyword, or a phrasing) as the engine compares it. */
export function normalizeUtterance(text: string, extraFillers: readonly string[] | RegExp = []): string {
  const fillers = extraFillers instanceof RegExp ? extraFillers : fillerPattern(extraFillers);
  return fold(text).replace(fillers, '');
}

/** The default intent rules: what outcall's simulator always decided, now data a flow can change. */
export const DEFAULT_INTENT_RULES: IntentRule[] = [
  { level: 'A', when: { outcomes: ['interested'], minQuestions: 2 }, note: '有兴趣且问了两个以上问题' },
  { level: 'B', when: { outcomes: ['interested'] }, note: '有兴趣' },
  { level: 'B', when: { outcomes: ['neutral'], minQuestions: 1 }, note: '态度一般但问了问题' },
  { level: 'C', when: { outcomes: ['neutral'], maxTurns: 2 }, note: '态度一般，聊得不多' },
  { level: 'D', when: { outcomes: ['neutral'] }, note: '态度一般' },
  { level: 'E', when: { outcomes: ['busy'] }, note: '现在不方便，需要再次跟进' },
  { level: 'F', when: { outcomes: ['declined'] }, note: '明确拒绝' },
];

/** What recognises interest, refusal and "busy" in flows that do not say otherwise (and migrated ones). */
export const DEFAULT_RECOGNISERS: DialogFlowDefinition['recognise'] = {
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

/** The flow every new tenant starts with, so a job can be created at once. */
export const DEFAULT_DIALOG_FLOW: { name: string; script: DialogFlowDefinition } = {
  name: '通用邀约话术',
  script: {
    maxTurns: 12,
    opening: '您好，这里是客户服务中心，我们最近有一个新的优惠活动，想花一分钟给您介绍一下，可以吗？',
    pitch: [
      '这次活动是给老客户的专属福利，名额有限。',
      '活动期间办理可以享受八折优惠，还有礼品赠送。',
      '您可以到门店了解，也可以让顾问加您微信发资料。',
    ],
    questions: [
      {
        concern: '价格',
        keywords: ['多少钱', '价格', '价钱', '收费', '优惠'],
        phrasings: ['具体多少钱？'],
        answer: '具体价格顾问会根据您的需求报给您，活动价是平时的八折。',
      },
      {
        concern: '地理位置',
        keywords: ['在哪', '地址', '位置', '门店'],
        phrasings: ['门店在哪里？'],
        answer: '我们在市中心和城东各有一家门店，都可以办理。',
      },
      {
        concern: '时间',
        keywords: ['到什么时候', '截止', '几号结束', '多久'],
        phrasings: ['活动到什么时候？'],
        answer: '活动到本月底结束。',
      },
    ],
    recognise: DEFAULT_RECOGNISERS,
    closings: {
      interested: '好的，稍后顾问会联系您，祝您生活愉快！',
      neutral: '好的，打扰您了，祝您生活愉快，再见！',
      declined: '好的，打扰您了，祝您生活愉快，再见！',
      busy: '好的，那我晚点再联系您，再见！',
    },
    intentRules: DEFAULT_INTENT_RULES,
    defaultIntentLevel: 'D',
  },
};
