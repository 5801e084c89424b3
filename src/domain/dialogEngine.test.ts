import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { DEMO_DIALOG_FLOWS } from '../demo/dialogFlows.js';
import { REPLIES } from '../simulator/conversation.js';
import { ConversationEnded, DialogSession, nextTurn, recognise, runConversation, type Step } from './dialogEngine.js';
import {
  DEFAULT_DIALOG_FLOW,
  type DialogFlowDefinition,
  dialogFlowProblems,
  normalizeUtterance,
} from './dialogFlow.js';

/*
 * The dialog engine on the demo's flows: fixture conversations with the robot's expected lines
 * and outcome, matching that survives punctuation, full/half width and filler words, the reasons
 * every step gives, and a property test: any utterances get valid steps, every conversation ends
 * within the flow's maxTurns, and a step computed from the transcript alone equals the one the
 * running conversation gave.
 */

const [complex, fitness, english] = DEMO_DIALOG_FLOWS.map((f) => ({ definition: f.script })) as [
  { definition: DialogFlowDefinition },
  { definition: DialogFlowDefinition },
  { definition: DialogFlowDefinition },
];

/** The robot's lines of a conversation, after the opening. */
const robotLines = (steps: Step[]) => steps.slice(1).map((s) => s.say);

describe('fixture conversations', () => {
  it('商业综合体: interested, two questions asked → A, with both concerns', () => {
    const f = complex.definition;
    const { steps, outcome } = runConversation(complex, [
      '嗯，可以，你说',
      '那个，多少钱一平啊？',
      '交通方便吗',
      '好的',
      '嗯',
      '可以加个微信详细聊',
    ]);
    expect(steps[0]!.say).toBe(f.opening);
    expect(robotLines(steps)).toEqual([
      f.pitch[0],
      f.questions[0]!.answer,
      f.questions[2]!.answer,
      f.pitch[1],
      f.pitch[2],
      f.closings.interested,
    ]);
    expect(steps.map((s) => s.action)).toEqual(['open', 'pitch', 'answer', 'answer', 'pitch', 'pitch', 'close']);
    expect(outcome).toMatchObject({
      outcome: 'interested',
      intentLevel: 'A',
      concerns: ['价格', '交通'],
      rule: 0,
      hungUp: false,
      customerTurns: 6,
      questionsAsked: 2,
      analysisBasis: '客户询问了价格、交通，表示有兴趣（A级）',
    });
    expect(outcome!.why).toContain('intentRules[0]');
  });

  it('商业综合体: busy at once → the busy closing, E', () => {
    const { steps, outcome } = runConversation(complex, ['我在开车，不太方便']);
    expect(robotLines(steps)).toEqual([complex.definition.closings.busy]);
    expect(steps[1]!.recognised).toEqual({ as: 'busy', by: { kind: 'keyword', phrase: '开车' } });
    expect(outcome).toMatchObject({ outcome: 'busy', intentLevel: 'E', rule: 5, concerns: [] });
  });

  it('商业综合体: declines after the first pitch step → F', () => {
    const { steps, outcome } = runConversation(complex, ['嗯', '不需要，谢谢！']);
    expect(robotLines(steps)).toEqual([complex.definition.pitch[0], complex.definition.closings.declined]);
    expect(outcome).toMatchObject({ outcome: 'declined', intentLevel: 'F', rule: 6 });
  });

  it('商业综合体: hangs up after one neutral reply → C (said little), the robot says nothing', () => {
    const { steps, outcome } = runConversation(complex, ['哦', null]);
    expect(steps[2]).toMatchObject({ action: 'hangup', say: null, end: true });
    expect(outcome).toMatchObject({ outcome: 'neutral', intentLevel: 'C', rule: 3, hungUp: true, customerTurns: 1 });
  });

  it('健身会所: two recognised questions among five turns, closing as interested → A', () => {
    const f = fitness.definition;
    const { steps, outcome } = runConversation(fitness, [
      '可以',
      '年卡多少钱',
      '停车方便吗？',
      '好的',
      '好的，加个微信吧',
    ]);
    expect(robotLines(steps)).toEqual([
      f.pitch[0],
      f.questions[0]!.answer,
      f.questions[2]!.answer,
      f.pitch[1],
      f.pitch[2],
    ]);
    expect(steps[2]!.recognised).toEqual({
      as: 'question',
      question: 0,
      concern: '价格',
      by: { kind: 'keyword', phrase: '多少钱' },
    });
    expect(steps[3]!.recognised).toMatchObject({ as: 'question', by: { kind: 'phrasing', phrase: '停车方便吗？' } });
    expect(outcome).toBeUndefined();
    const last = nextTurn(
      fitness,
      transcriptOf(steps, ['可以', '年卡多少钱', '停车方便吗？', '好的', '好的，加个微信吧']),
      '行，可以',
    );
    expect(last).toMatchObject({ action: 'close', say: f.closings.interested, end: true });
    expect(last.outcome).toMatchObject({ intentLevel: 'A', concerns: ['价格', '交通'] });
  });

  it('少儿英语: a question that says 可以 is a question; no interest shown → the neutral closing, D', () => {
    const f = english.definition;
    const { steps, outcome } = runConversation(english, ['嗯', '孩子五岁可以上吗', '嗯', '哦', '你说']);
    expect(robotLines(steps)).toEqual([f.pitch[0], f.questions[3]!.answer, f.pitch[1], f.pitch[2], f.closings.neutral]);
    expect(outcome).toMatchObject({ outcome: 'neutral', intentLevel: 'B', rule: 2, concerns: ['年龄'] });
    const quiet = runConversation(english, ['嗯', '嗯', '嗯', '嗯']);
    expect(quiet.outcome).toMatchObject({ outcome: 'neutral', intentLevel: 'D', rule: 4, customerTurns: 4 });
    expect(quiet.steps.at(-1)!.why).toContain('closings.neutral');
  });

  it('the default flow: what a new tenant starts with runs too', () => {
    const { outcome } = runConversation({ definition: DEFAULT_DIALOG_FLOW.script }, [
      '好的',
      '门店在哪',
      '活动到什么时候',
      '可以',
      '可以',
      '好的',
    ]);
    expect(outcome).toMatchObject({ intentLevel: 'A', concerns: ['地理位置', '时间'] });
  });
});

/** The transcript a run's steps and utterances make. */
function transcriptOf(steps: Step[], utterances: string[]) {
  const turns = [{ type: 'ROBOT' as const, text: steps[0]!.say! }];
  utterances.forEach((u, i) => {
    turns.push({ type: 'PERSON' as never, text: u });
    if (steps[i + 1]!.say !== null) turns.push({ type: 'ROBOT', text: steps[i + 1]!.say! });
  });
  return turns;
}

describe('matching', () => {
  const f = complex.definition;
  it.each([
    ['多少钱一平？', 0],
    ['多少钱一平?', 0],
    ['多少钱一平 ？！', 0],
    ['嗯，那个，就是，多少钱一平啊', 0],
    ['ｄｕｏ 多少钱一平', 0],
    ['具体在哪个位置呀', 1],
    ['具体在哪个位置？', 1],
    ['有没有学区', 4],
    ['小区安全吗', 3],
  ])('%s is question %i', (utterance, question) => {
    expect(recognise(f, utterance)).toMatchObject({ as: 'question', question });
  });

  it('full-width letters and digits are their half-width forms', () => {
    expect(normalizeUtterance('ＨＩＩＴ课，１２３！')).toBe('hiit课123');
    expect(recognise(fitness.definition, '有ＨＩＩＴ吗，减脂的')).toMatchObject({ as: 'question', concern: '健身' });
  });

  it('a reply of nothing but fillers and punctuation is neutral', () => {
    for (const u of ['嗯', '嗯嗯。。。', '啊？', '那个……就是', '', '   '])
      expect(recognise(f, u)).toEqual({ as: 'neutral' });
  });

  it('busy and declined win over a question or interest in the same reply', () => {
    expect(recognise(f, '不需要，多少钱都不要')).toMatchObject({ as: 'declined' });
    expect(recognise(f, '在开会，价格回头再说')).toMatchObject({ as: 'busy' });
  });

  it('a phrasing recognises what resembles it closely without containing it', () => {
    const r = recognise(f, '交通方便不');
    expect(r).toMatchObject({ as: 'question', concern: '交通' });
    const plain = recognise({ ...f, questions: [{ ...f.questions[0]!, keywords: [] }] }, '多少钱一平米');
    expect(plain).toMatchObject({ as: 'question', by: { kind: 'phrasing', phrase: '多少钱一平？' } });
  });

  it("a flow's own fillers are left out too", () => {
    const withFillers = { ...f, fillers: ['请问'] };
    expect(normalizeUtterance('请问，多少钱', ['请问'])).toBe('多少钱');
    expect(recognise(withFillers, '请问')).toEqual({ as: 'neutral' });
  });

  it('every simulated reply is recognised as its disposition', () => {
    for (const [as, replies] of Object.entries(REPLIES))
      for (const reply of replies) expect(recognise(f, reply).as, reply).toBe(as);
  });
});

describe('flow settings', () => {
  it('at maxTurns the robot closes, answering a question first', () => {
    const short = { definition: { ...complex.definition, maxTurns: 2 } };
    const { steps, outcome } = runConversation(short, ['可以', '多少钱一平', '这句不会被听到']);
    expect(steps).toHaveLength(3);
    expect(steps[2]).toMatchObject({
      action: 'close',
      say: complex.definition.questions[0]!.answer + complex.definition.closings.interested,
      end: true,
    });
    expect(steps[2]!.why).toContain('maxTurns 2');
    expect(outcome).toMatchObject({ outcome: 'interested', intentLevel: 'B', customerTurns: 2 });
    expect(() => nextTurn(short, transcriptOf(steps, ['可以', '多少钱一平']), '还有吗')).toThrow(ConversationEnded);
  });

  it('variables are filled from the customer; a missing one is said as nothing and named', () => {
    const flow = {
      definition: {
        ...complex.definition,
        // biome-ignore-start lint/suspicious/noTemplateCurlyInString: dialog-flow variables, literally
        opening: '您好，请问是${姓名}吗？',
        pitch: ['${姓名}，您在${城市}的房子考虑出租吗？'],
        // biome-ignore-end lint/suspicious/noTemplateCurlyInString: dialog-flow variables, literally
      },
    };
    const session = new DialogSession(flow, { 姓名: '王先生' });
    expect(session.opening().say).toBe('您好，请问是王先生吗？');
    expect(session.hear('是的')).toMatchObject({ say: '王先生，您在的房子考虑出租吗？', missingVariables: ['城市'] });
  });

  it('intent rules are data: the first that holds gives the level, none → the default level', () => {
    const rules: DialogFlowDefinition['intentRules'] = [
      { level: 'A', when: { concerns: ['学区'] }, note: '问学区的都是刚需' },
      { level: 'E', when: { hungUp: true } },
    ];
    const flow = { definition: { ...complex.definition, intentRules: rules, defaultIntentLevel: 'C' as const } };
    expect(runConversation(flow, ['有学区吗', '不要']).outcome).toMatchObject({
      outcome: 'declined',
      intentLevel: 'A',
      rule: 0,
    });
    expect(runConversation(flow, ['嗯', null]).outcome).toMatchObject({ intentLevel: 'E', rule: 1 });
    const fallback = runConversation(flow, ['不要']).outcome!;
    expect(fallback).toMatchObject({ intentLevel: 'C', rule: null });
    expect(fallback.why).toContain('defaultIntentLevel C');
  });
});

describe('checking a flow', () => {
  const valid = complex.definition;
  const problem = (change: (f: any) => void) => {
    const f = structuredClone(valid) as any;
    change(f);
    return dialogFlowProblems(f)[0];
  };

  it('names the path inside the flow of what is wrong', () => {
    expect(dialogFlowProblems(valid)).toEqual([]);
    expect(problem((f) => (f.questions[2].keywords = '交通'))).toEqual({
      path: 'flow.questions[2].keywords',
      problem: 'must be array',
    });
    expect(problem((f) => (f.questions[1].phrasings = []))?.path).toBe('flow.questions[1].phrasings');
    expect(problem((f) => delete f.closings.neutral)?.path).toBe('flow.closings.neutral');
    expect(problem((f) => (f.questions[0].extra = 1))).toEqual({
      path: 'flow.questions[0].extra',
      problem: 'is not a field of the format',
    });
    expect(problem((f) => (f.intentRules[1].level = 'G'))).toEqual({
      path: 'flow.intentRules[1].level',
      problem: 'must be one of A, B, C, D, E, F',
    });
    expect(problem((f) => (f.maxTurns = 0))?.path).toBe('flow.maxTurns');
    expect(problem((f) => (f.pitch[1] = '您好${'))).toEqual({
      path: 'flow.pitch[1]',
      problem: 'has a variable that does not close with }',
    });
    expect(problem((f) => (f.questions[3].keywords = ['嗯？']))?.path).toBe('flow.questions[3].keywords[0]');
    expect(problem((f) => (f.intentRules[0].when.concerns = ['价格', '装修']))?.path).toBe(
      'flow.intentRules[0].when.concerns[1]',
    );
    const turns = problem((f) => {
      f.intentRules[0].when.maxTurns = 1;
      f.intentRules[0].when.minTurns = 3;
    });
    expect(turns?.path).toBe('flow.intentRules[0].when.maxTurns');
    expect(dialogFlowProblems(null)[0]).toMatchObject({ path: 'flow' });
  });
});

describe('any conversation', () => {
  const flows = [complex, fitness, english, { definition: { ...english.definition, maxTurns: 4 } }];
  const known = [
    ...Object.values(REPLIES).flat(),
    ...flows.flatMap((f) => f.definition.questions.flatMap((q) => [...q.phrasings, ...q.keywords])),
  ];
  const utterance = fc.oneof(
    { weight: 5, arbitrary: fc.constantFrom(...known) },
    { weight: 2, arbitrary: fc.string({ maxLength: 20 }) },
    { weight: 1, arbitrary: fc.string({ unit: 'grapheme', maxLength: 10 }) },
    { weight: 1, arbitrary: fc.constant(null) },
  );

  it('gets a valid step at every turn and ends within maxTurns; a step from the transcript equals the running one', () => {
    fc.assert(
      fc.property(fc.constantFrom(...flows), fc.array(utterance, { maxLength: 30 }), (flow, utterances) => {
        const session = new DialogSession(flow);
        const opening = session.opening();
        const transcript = [{ type: 'ROBOT' as const, text: opening.say! }] as {
          type: 'ROBOT' | 'PERSON';
          text: string;
        }[];
        let heard = 0;
        for (const u of utterances) {
          if (session.ended) break;
          const step = session.hear(u);
          expect(nextTurn(flow, transcript, u)).toEqual(step);
          expect(['answer', 'pitch', 'close', 'hangup']).toContain(step.action);
          expect(step.why.length).toBeGreaterThan(0);
          if (step.action === 'hangup') expect(step.say).toBeNull();
          else expect(step.say!.length).toBeGreaterThan(0);
          expect(step.end).toBe(step.action === 'close' || step.action === 'hangup');
          if (step.end) expect(['A', 'B', 'C', 'D', 'E', 'F']).toContain(step.outcome!.intentLevel);
          if (u !== null) {
            heard++;
            transcript.push({ type: 'PERSON', text: u });
          }
          if (step.say !== null) transcript.push({ type: 'ROBOT', text: step.say });
          expect(heard).toBeLessThanOrEqual(flow.definition.maxTurns);
        }
        // Said enough, the conversation is over.
        if (utterances.length >= flow.definition.maxTurns) expect(session.ended).toBe(true);
      }),
      { numRuns: 300 },
    );
  });
});
