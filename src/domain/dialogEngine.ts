import {
  type DialogFlowDefinition,
  type FlowOutcome,
  fillerPattern,
  type IntentRule,
  normalizeUtterance,
  variablesIn,
} from './dialogFlow.js';
import type { IntentLevel, TurnType } from './enums.js';

/*
 * The dialog engine: executes a dialog flow's definition on what the customer says (text). Pure and
 * stateless — the state of a conversation is what its customer turns lead to from the opening, so
 * a caller keeps nothing but the transcript: the simulator, a real engine's turn endpoint and the
 * console's training chat all hand in the conversation so far and the customer's new utterance,
 * and get the robot's next step. Every step says why (which keyword, phrasing or rule), and the
 * last one carries the outcome: intent level and concerns, with the rule that gave the level.
 * docs/dialog-flows.md describes the behaviour.
 */

export interface Turn {
  type: TurnType;
  text: string;
}

/** What recognised an utterance: a keyword it contains, or a phrasing it contains or resembles. */
export interface Match {
  kind: 'keyword' | 'phrasing';
  /** The keyword or phrasing as the flow has it. */
  phrase: string;
  /** For a phrasing the utterance resembles without containing it: the similarity, 0–1. */
  similarity?: number;
}

/** What the customer's utterance was taken for. */
export type Recognition =
  | { as: 'question'; question: number; concern: string; by: Match }
  | { as: 'busy' | 'declined' | 'interested'; by: Match }
  | { as: 'neutral' }
  | { as: 'hung up' };

export interface Outcome {
  outcome: FlowOutcome;
  intentLevel: IntentLevel;
  /** The concerns of the questions asked, each once, in the order first asked. */
  concerns: string[];
  /** The rule that gave the level (its index in intentRules), or null: the flow's defaultIntentLevel. */
  rule: number | null;
  hungUp: boolean;
  customerTurns: number;
  questionsAsked: number;
  /** The level's explanation in words. */
  why: string;
  /** 分析依据: what the call records keep. */
  analysisBasis: string;
}

export interface Step {
  /** open: the opening; answer: a question's answer; pitch: the next pitch step; close: a closing; hangup: the customer hung up, the robot says nothing. */
  action: 'open' | 'answer' | 'pitch' | 'close' | 'hangup';
  /** What the robot says, variables filled in; null when it says nothing. */
  say: string | null;
  /** Whether the conversation is over (the robot hangs up after saying `say`). */
  end: boolean;
  /** What the customer's utterance was taken for (none for the opening). */
  recognised?: Recognition;
  /** Why this line, in words. */
  why: string;
  /** Variables the line uses that the customer's properties lack (said as nothing). */
  missingVariables?: string[];
  /** At the end: how the conversation came out. */
  outcome?: Outcome;
}

/** A flow version as engines receive it: its id and version travel with it, the engine needs the definition. */
export interface FlowVersionLike {
  definition: DialogFlowDefinition;
  dialogFlowId?: number;
  version?: number;
}

/** Where a conversation stands after some customer turns. */
interface State {
  /** Pitch steps said so far. */
  pitched: number;
  interested: boolean;
  /** Question indexes, in the order asked (repeats included). */
  asked: number[];
  customerTurns: number;
  ended: boolean;
}

/** The most similar phrasing recognises an utterance that does not contain it from this similarity on. */
export const PHRASING_SIMILARITY = 0.75;

/** The robot's first line. */
export function openingTurn(flow: FlowVersionLike, variables: Record<string, string> = {}): Step {
  return { action: 'open', ...spoken(flow.definition.opening, variables), end: false, why: '开场白 (opening)' };
}

/**
 * One conversation as it goes: the opening, then the robot's step after each thing the customer
 * says. What nextTurn does from a transcript, kept as it goes (the simulator talks through one).
 */
export class DialogSession {
  private readonly flow: CompiledFlow;
  private readonly state: State = { pitched: 0, interested: false, asked: [], customerTurns: 0, ended: false };

  constructor(
    flow: FlowVersionLike,
    private readonly variables: Record<string, string> = {},
  ) {
    this.flow = compile(flow.definition);
  }

  opening(): Step {
    return openingTurn({ definition: this.flow.definition }, this.variables);
  }

  /** The robot's step after the customer's `utterance` (null: the customer hung up). Throws once the conversation has ended. */
  hear(utterance: string | null): Step {
    if (this.state.ended) throw new ConversationEnded(this.state.customerTurns);
    return advance(this.flow, this.state, utterance, this.variables);
  }

  get ended(): boolean {
    return this.state.ended;
  }
}

/**
 * The robot's next step after the customer's `utterance` (null: the customer hung up), given the
 * conversation so far (the customer's turns in it are replayed from the opening; the robot's are
 * what the engine said, not read). Throws if the conversation had already ended.
 */
export function nextTurn(
  flow: FlowVersionLike,
  conversation: readonly Turn[],
  utterance: string | null,
  variables: Record<string, string> = {},
): Step {
  const session = new DialogSession(flow, variables);
  for (const turn of conversation) if (turn.type === 'PERSON') session.hear(turn.text);
  return session.hear(utterance);
}

export class ConversationEnded extends Error {
  constructor(readonly customerTurns: number) {
    super(`the conversation ended at the customer's turn ${customerTurns}: no turn follows`);
  }
}

/**
 * A whole conversation's customer utterances run through the engine: the opening and each step.
 * Utterances after the end are not heard (the robot has hung up).
 */
export function runConversation(
  flow: FlowVersionLike,
  utterances: readonly (string | null)[],
  variables: Record<string, string> = {},
): { steps: Step[]; transcript: Turn[]; outcome: Outcome | undefined } {
  const session = new DialogSession(flow, variables);
  const opening = session.opening();
  const steps = [opening];
  const transcript: Turn[] = [{ type: 'ROBOT', text: opening.say! }];
  for (const u of utterances) {
    if (session.ended) break;
    const step = session.hear(u);
    steps.push(step);
    if (u !== null) transcript.push({ type: 'PERSON', text: u });
    if (step.say !== null) transcript.push({ type: 'ROBOT', text: step.say });
  }
  return { steps, transcript, outcome: steps[steps.length - 1]!.outcome };
}

/** A recogniser with its phrases normalised once. */
interface CompiledRecogniser {
  keywords: { phrase: string; norm: string }[];
  phrasings: { phrase: string; norm: string; grams: Grams }[];
}

/** A definition with what matching needs worked out once (kept per definition object). */
interface CompiledFlow {
  definition: DialogFlowDefinition;
  fillers: RegExp;
  questions: CompiledRecogniser[];
  busy: CompiledRecogniser;
  declined: CompiledRecogniser;
  interested: CompiledRecogniser;
}

const compiledFlows = new WeakMap<DialogFlowDefinition, CompiledFlow>();

function compile(definition: DialogFlowDefinition): CompiledFlow {
  const known = compiledFlows.get(definition);
  if (known) return known;
  const fillers = fillerPattern(definition.fillers);
  const recogniser = (r: { keywords: string[]; phrasings?: string[] }): CompiledRecogniser => ({
    keywords: r.keywords.map((phrase) => ({ phrase, norm: normalizeUtterance(phrase, fillers) })).filter((k) => k.norm),
    phrasings: (r.phrasings ?? [])
      .map((phrase) => {
        const norm = normalizeUtterance(phrase, fillers);
        return { phrase, norm, grams: gramsOf(norm) };
      })
      .filter((p) => p.norm),
  });
  const flow: CompiledFlow = {
    definition,
    fillers,
    questions: definition.questions.map(recogniser),
    busy: recogniser(definition.recognise.busy),
    declined: recogniser(definition.recognise.declined),
    interested: recogniser(definition.recognise.interested),
  };
  compiledFlows.set(definition, flow);
  return flow;
}

function advance(compiled: CompiledFlow, state: State, utterance: string | null, vars: Record<string, string>): Step {
  const flow = compiled.definition;
  if (utterance === null) {
    state.ended = true;
    return {
      action: 'hangup',
      say: null,
      end: true,
      recognised: { as: 'hung up' },
      why: '客户挂断 (the customer hung up)',
      outcome: outcomeOf(flow, state, state.interested ? 'interested' : 'neutral', true),
    };
  }
  state.customerTurns++;
  const recognised = recogniseIn(compiled, utterance);
  const last = state.customerTurns >= flow.maxTurns;
  const heard = describe(recognised);
  const close = (outcome: FlowOutcome, why: string, before?: string): Step => {
    state.ended = true;
    const closing = spoken(flow.closings[outcome], vars);
    const say = before === undefined ? closing.say : `${before}${closing.say}`;
    return {
      action: 'close',
      say,
      ...(closing.missingVariables ? { missingVariables: closing.missingVariables } : {}),
      end: true,
      recognised,
      why: `${heard}；${why}`,
      outcome: outcomeOf(flow, state, outcome, false),
    };
  };
  const maxTurnsWhy = `客户已说了 ${state.customerTurns} 次，达到 maxTurns ${flow.maxTurns}，结束通话`;

  switch (recognised.as) {
    case 'busy':
      return close('busy', '说 closings.busy');
    case 'declined':
      return close('declined', '说 closings.declined');
    case 'question': {
      state.asked.push(recognised.question);
      const answer = spoken(flow.questions[recognised.question]!.answer, vars);
      if (last)
        return {
          ...close(
            state.interested ? 'interested' : 'neutral',
            `答 questions[${recognised.question}]；${maxTurnsWhy}`,
            answer.say!,
          ),
          missingVariables: merge(
            answer.missingVariables,
            spoken(flow.closings[state.interested ? 'interested' : 'neutral'], vars).missingVariables,
          ),
        };
      return {
        action: 'answer',
        ...answer,
        end: false,
        recognised,
        why: `${heard}；答 questions[${recognised.question}].answer`,
      };
    }
    case 'interested':
    case 'neutral': {
      if (recognised.as === 'interested') state.interested = true;
      if (last) return close(state.interested ? 'interested' : 'neutral', maxTurnsWhy);
      if (state.pitched < flow.pitch.length) {
        const i = state.pitched++;
        return {
          action: 'pitch',
          ...spoken(flow.pitch[i]!, vars),
          end: false,
          recognised,
          why: `${heard}；继续介绍 pitch[${i}]`,
        };
      }
      return state.interested
        ? close('interested', '介绍已完，客户有兴趣，说 closings.interested')
        : close('neutral', '介绍已完，客户未表示兴趣，说 closings.neutral');
    }
    case 'hung up':
      throw new Error('recognise() never takes an utterance for a hang-up');
  }
}

function merge(a: string[] | undefined, b: string[] | undefined): string[] | undefined {
  const all = [...new Set([...(a ?? []), ...(b ?? [])])];
  return all.length > 0 ? all : undefined;
}

/** A line with its variables filled from the customer's properties; a missing one is said as nothing. */
function spoken(text: string, vars: Record<string, string>): { say: string; missingVariables?: string[] } {
  const missing = variablesIn(text).filter((name) => vars[name] === undefined);
  const say = text.replace(/\$\{([^{}$]*)\}/g, (whole, name: string) =>
    name.trim() ? (vars[name.trim()] ?? '') : whole,
  );
  return missing.length > 0 ? { say, missingVariables: [...new Set(missing)] } : { say };
}

function describe(r: Recognition): string {
  const by = (m: Match) =>
    m.kind === 'keyword'
      ? `关键词「${m.phrase}」`
      : m.similarity === undefined
        ? `说法「${m.phrase}」`
        : `相似说法「${m.phrase}」(${m.similarity.toFixed(2)})`;
  switch (r.as) {
    case 'question':
      return `识别为问题 questions[${r.question}]（关注点：${r.concern}），${by(r.by)}`;
    case 'busy':
      return `识别为忙碌 (recognise.busy)，${by(r.by)}`;
    case 'declined':
      return `识别为拒绝 (recognise.declined)，${by(r.by)}`;
    case 'interested':
      return `识别为有兴趣 (recognise.interested)，${by(r.by)}`;
    case 'neutral':
      return '未识别到问题、兴趣、拒绝或忙碌';
    case 'hung up':
      return '客户挂断';
  }
}

/**
 * What an utterance is taken for, in this order: busy, declined (both end the call), a question
 * (the best match among them), interested; anything else is neutral.
 */
export function recognise(flow: DialogFlowDefinition, utterance: string): Recognition {
  return recogniseIn(compile(flow), utterance);
}

function recogniseIn(flow: CompiledFlow, utterance: string): Recognition {
  const said = normalizeUtterance(utterance, flow.fillers);
  if (said.length === 0) return { as: 'neutral' };
  const saidGrams = gramsOf(said);
  for (const as of ['busy', 'declined'] as const) {
    const m = bestMatch(said, saidGrams, flow[as]);
    if (m) return { as, by: m.match };
  }
  let best: { question: number; score: number; match: Match } | undefined;
  for (const [i, q] of flow.questions.entries()) {
    const m = bestMatch(said, saidGrams, q);
    if (m && (!best || m.score > best.score)) best = { question: i, ...m };
  }
  if (best)
    return {
      as: 'question',
      question: best.question,
      concern: flow.definition.questions[best.question]!.concern,
      by: best.match,
    };
  const interested = bestMatch(said, saidGrams, flow.interested);
  if (interested) return { as: 'interested', by: interested.match };
  return { as: 'neutral' };
}

/**
 * The best of a recogniser's matches: a phrasing the utterance contains (score 3), else its longest
 * keyword it contains (2 + length/1000), else the most similar phrasing from PHRASING_SIMILARITY
 * on (the similarity, ≤ 1).
 */
function bestMatch(said: string, saidGrams: Grams, r: CompiledRecogniser): { score: number; match: Match } | undefined {
  let best: { score: number; match: Match } | undefined;
  const offer = (score: number, match: Match) => {
    if (!best || score > best.score) best = { score, match };
  };
  for (const p of r.phrasings) {
    if (said.includes(p.norm)) offer(3, { kind: 'phrasing', phrase: p.phrase });
    else {
      const similarity = dice(saidGrams, p.grams);
      if (similarity >= PHRASING_SIMILARITY)
        offer(similarity, { kind: 'phrasing', phrase: p.phrase, similarity: Math.round(similarity * 100) / 100 });
    }
  }
  for (const k of r.keywords)
    if (said.includes(k.norm)) offer(2 + k.norm.length / 1000, { kind: 'keyword', phrase: k.phrase });
  return best;
}

/** A text's character pairs (its characters, for a one-character text), counted. */
interface Grams {
  counts: Map<string, number>;
  size: number;
}

function gramsOf(s: string): Grams {
  const chars = [...s];
  const items = chars.length < 2 ? chars : chars.slice(1).map((c, i) => chars[i]! + c);
  const counts = new Map<string, number>();
  for (const g of items) counts.set(g, (counts.get(g) ?? 0) + 1);
  return { counts, size: items.length };
}

function dice(x: Grams, y: Grams): number {
  if (x.size + y.size === 0) return 0;
  let shared = 0;
  for (const [g, n] of x.counts) shared += Math.min(n, y.counts.get(g) ?? 0);
  return (2 * shared) / (x.size + y.size);
}

/** Sørensen–Dice similarity of two texts' character pairs (of their characters, for one-character texts). */
export function diceSimilarity(a: string, b: string): number {
  return dice(gramsOf(a), gramsOf(b));
}

/** The end of a conversation: the first intent rule that holds gives the level (else the flow's default). */
function outcomeOf(flow: DialogFlowDefinition, state: State, outcome: FlowOutcome, hungUp: boolean): Outcome {
  const concerns = [...new Set(state.asked.map((i) => flow.questions[i]!.concern))];
  const questionsAsked = new Set(state.asked).size;
  const facts = { outcome, concerns, questionsAsked, customerTurns: state.customerTurns, hungUp };
  const rule = flow.intentRules.findIndex((r) => holds(r, facts));
  const intentLevel = rule >= 0 ? flow.intentRules[rule]!.level : flow.defaultIntentLevel;
  const why =
    rule >= 0
      ? `intentRules[${rule}]${flow.intentRules[rule]!.note ? `（${flow.intentRules[rule]!.note}）` : ''} → ${intentLevel}`
      : `no intent rule holds → defaultIntentLevel ${intentLevel}`;
  return {
    outcome,
    intentLevel,
    concerns,
    rule: rule >= 0 ? rule : null,
    hungUp,
    customerTurns: state.customerTurns,
    questionsAsked,
    why: `结果 ${outcome}，问了 ${questionsAsked} 个问题，客户说了 ${state.customerTurns} 次${hungUp ? '，客户挂断' : ''}：${why}`,
    analysisBasis: analysisOf(outcome, concerns, intentLevel, hungUp),
  };
}

function holds(
  rule: IntentRule,
  f: { outcome: FlowOutcome; concerns: string[]; questionsAsked: number; customerTurns: number; hungUp: boolean },
): boolean {
  const w = rule.when;
  return (
    (w.outcomes === undefined || w.outcomes.includes(f.outcome)) &&
    (w.minQuestions === undefined || f.questionsAsked >= w.minQuestions) &&
    (w.maxQuestions === undefined || f.questionsAsked <= w.maxQuestions) &&
    (w.minTurns === undefined || f.customerTurns >= w.minTurns) &&
    (w.maxTurns === undefined || f.customerTurns <= w.maxTurns) &&
    (w.concerns === undefined || w.concerns.some((c) => f.concerns.includes(c))) &&
    (w.hungUp === undefined || w.hungUp === f.hungUp)
  );
}

function analysisOf(outcome: FlowOutcome, concerns: string[], level: IntentLevel, hungUp: boolean): string {
  const asked = concerns.length > 0 ? `客户询问了${concerns.join('、')}` : '客户未提出问题';
  const ending = hungUp ? '，中途挂断' : '';
  switch (outcome) {
    case 'interested':
      return `${asked}，表示有兴趣${ending}（${level}级）`;
    case 'neutral':
      return `${asked}，态度一般${ending}（${level}级）`;
    case 'busy':
      return '客户表示现在不方便，需要再次跟进';
    case 'declined':
      return '客户明确拒绝';
  }
}
