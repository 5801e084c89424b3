import { DialogSession, type Step } from '../domain/dialogEngine.js';
import type { DialogFlowDefinition } from '../domain/dialogFlow.js';
import type { HangupBy, IntentLevel, ResultStatus, TurnType } from '../domain/enums.js';
import type { FinishedCall } from '../services/callResults.js';
import { between, pick, type Random, weighted } from './random.js';

/*
 * Simulated calls: a dial outcome, and for answered calls a conversation between a simulated
 * customer and the dialog engine (domain/dialogEngine.ts) executing the job's dialog flow — the
 * same logic a real call's turns go through. The customer picks what to say (replies of their
 * disposition, the flow's questions in their own words); the robot's lines, the intent level, the
 * concerns and the analysis are the engine's.
 */

type Disposition = 'interested' | 'neutral' | 'busy' | 'declined';

/** What simulated customers say besides questions; each is recognised as its disposition by the default recognisers. */
export const REPLIES: Record<Disposition, string[]> = {
  interested: ['嗯，可以，你说', '好的，听起来不错', '有点兴趣，具体说说', '可以啊', '嗯嗯，挺好的'],
  neutral: ['嗯', '哦', '你说', '嗯，知道了', '然后呢'],
  busy: ['我现在在开会，晚点再说吧', '在开车，不方便', '现在忙，回头再联系'],
  declined: ['不需要，谢谢', '没兴趣', '别再打了', '不用了'],
};

/** How customers wrap a question's keyword when they do not use one of its phrasings. */
const ASKING = ['那个，{}呢？', '{}怎么样啊', '就是，{}？', '嗯，我想问一下{}'];

export interface SimulatedTurn {
  type: TurnType;
  text: string;
}

export interface SimulatedCall {
  resultStatus: ResultStatus;
  intentLevel: IntentLevel;
  customerConcern: string[];
  analysisBasis: string;
  /** Seconds from dialling to the end of the call. */
  ringSeconds: number;
  chatDuration: number;
  chatRound: number;
  turns: SimulatedTurn[];
  /** The customer hung up before the robot closed (an answered call the engine did not end). */
  hungUp?: boolean;
}

/** Dial outcomes as robot-call platforms see them on mainland mobile lists. */
export const RESULT_WEIGHTS: Readonly<Record<ResultStatus, number>> = {
  ANSWERED: 40,
  NO_ANSWER: 18,
  BUSY: 8,
  POWER_OFF: 6,
  OUT_OF_SERVICE: 3,
  REFUSED: 8,
  VACANT_NUMBER: 5,
  CAN_NOT_CONNECT: 5,
  FROM_PHONE_ERROR: 1,
  SYSTEM_ERROR: 2,
};

const UNANSWERED_NOTE: Record<Exclude<ResultStatus, 'ANSWERED'>, string> = {
  NO_ANSWER: '呼叫号码未接听',
  BUSY: '呼叫号码占线',
  POWER_OFF: '呼叫号码关机',
  OUT_OF_SERVICE: '呼叫号码停机',
  REFUSED: '呼叫号码拒接',
  VACANT_NUMBER: '呼叫的号码是空号',
  CAN_NOT_CONNECT: '呼叫的号码无法接通',
  FROM_PHONE_ERROR: '主叫号码不可用',
  SYSTEM_ERROR: '外呼失败',
};

/** Numbers that cannot be reached are not worth another call (F); the rest are (E). */
const DEAD_NUMBER: ReadonlySet<ResultStatus> = new Set(['VACANT_NUMBER', 'OUT_OF_SERVICE', 'REFUSED']);

/** Seconds a line of speech takes: about four characters a second, plus the pause before the other side answers. */
const speakingSeconds = (random: Random, text: string) => Math.ceil(text.length / 4) + between(random, 2, 5);

export function simulateCall(
  random: Random,
  script: DialogFlowDefinition,
  resultStatus: ResultStatus = weighted(random, RESULT_WEIGHTS),
  variables: Record<string, string> = {},
): SimulatedCall {
  if (resultStatus !== 'ANSWERED') {
    return {
      resultStatus,
      intentLevel: DEAD_NUMBER.has(resultStatus) ? 'F' : 'E',
      customerConcern: [],
      analysisBasis: UNANSWERED_NOTE[resultStatus],
      ringSeconds: resultStatus === 'NO_ANSWER' ? between(random, 40, 60) : between(random, 3, 20),
      chatDuration: 0,
      chatRound: 0,
      turns: [],
      hungUp: false,
    };
  }
  return converse(
    random,
    script,
    weighted<Disposition>(random, { interested: 30, neutral: 35, busy: 12, declined: 23 }),
    variables,
  );
}

/** A question of the flow as a customer asks it: one of its phrasings, or a keyword in their own words. */
function askQuestion(random: Random, q: DialogFlowDefinition['questions'][number]): string {
  if (q.keywords.length === 0 || random() < 0.5) {
    const phrasing = pick(random, q.phrasings);
    // Sometimes spoken with a filler first, or typed with half-width punctuation.
    const r = random();
    return r < 0.2 ? `嗯，${phrasing}` : r < 0.35 ? phrasing.replace(/？/g, '?').replace(/，/g, ',') : phrasing;
  }
  return pick(random, ASKING).replace('{}', pick(random, q.keywords));
}

function converse(
  random: Random,
  flow: DialogFlowDefinition,
  disposition: Disposition,
  variables: Record<string, string>,
): SimulatedCall {
  const session = new DialogSession({ definition: flow }, variables);
  const first = session.opening();
  const turns: SimulatedTurn[] = [{ type: 'ROBOT', text: first.say! }];
  const questions = flow.questions.length;
  const asked = new Set<number>();
  const wanted =
    disposition === 'interested'
      ? between(random, Math.min(1, questions), Math.min(4, questions))
      : questions > 0 && random() < 0.3
        ? 1
        : 0;
  // A neutral customer may hang up before the pitch is over.
  const patience = disposition === 'neutral' && random() < 0.4 ? between(random, 1, flow.pitch.length) : Infinity;
  const keen = disposition === 'interested' && random() < 0.8;
  let pitched = 0;
  let replies = 0;
  let last: Step = first;
  while (!last.end) {
    let utterance: string | null;
    if (disposition === 'busy') utterance = pick(random, REPLIES.busy);
    else if (disposition === 'declined')
      utterance = replies === 0 && random() < 0.5 ? pick(random, REPLIES.neutral) : pick(random, REPLIES.declined);
    else if (replies >= patience) utterance = null;
    else if (asked.size < wanted && (random() < 0.5 || pitched === flow.pitch.length)) {
      let q = between(random, 0, questions - 1);
      while (asked.has(q)) q = (q + 1) % questions;
      asked.add(q);
      utterance = askQuestion(random, flow.questions[q]!);
    } else if (pitched === flow.pitch.length)
      utterance = keen ? '好的，可以加个微信详细聊' : pick(random, REPLIES.neutral);
    else utterance = pick(random, REPLIES[disposition]);
    last = session.hear(utterance);
    if (utterance !== null) {
      turns.push({ type: 'PERSON', text: utterance });
      replies++;
    }
    if (last.say !== null) turns.push({ type: 'ROBOT', text: last.say });
    if (last.action === 'pitch') pitched++;
  }
  const outcome = last.outcome!;
  const chatRound = turns.filter((t) => t.type === 'PERSON').length;
  const chatDuration = turns.reduce((s, t) => s + speakingSeconds(random, t.text), 0);
  return {
    resultStatus: 'ANSWERED',
    intentLevel: outcome.intentLevel,
    customerConcern: outcome.concerns,
    analysisBasis: outcome.analysisBasis,
    ringSeconds: between(random, 5, 25),
    chatDuration,
    chatRound,
    turns,
    hungUp: outcome.hungUp,
  };
}

/** A simulated call as the write path records it. */
export function asFinishedCall(
  call: SimulatedCall,
  at: {
    idempotencyKey: string;
    robotCallJobId: number;
    callTaskId: number | null;
    calledPhoneNumber: string;
    phoneLineId: number | null;
    dialledAt: number;
    training?: boolean;
  },
): FinishedCall {
  const startTime = at.dialledAt;
  return {
    idempotencyKey: at.idempotencyKey,
    robotCallJobId: at.robotCallJobId,
    callTaskId: at.callTaskId,
    calledPhoneNumber: at.calledPhoneNumber,
    phoneLineId: at.phoneLineId,
    resultStatus: call.resultStatus,
    intentLevel: call.intentLevel,
    customerConcern: call.customerConcern,
    analysisBasis: call.analysisBasis,
    startTime,
    endTime: startTime + (call.ringSeconds + call.chatDuration) * 1000,
    chatDuration: call.chatDuration,
    chatRound: call.chatRound,
    training: at.training ?? false,
    turns: call.turns,
    hangupBy: hangupSideOf(call),
  };
}

/**
 * Which side ended a simulated call: a customer who hung up, declined or was busy (intent E or F)
 * hangs up; otherwise the robot closes the conversation. An unanswered call is ended by the network,
 * except a refused one, which the customer rejected.
 */
export function hangupSideOf(call: SimulatedCall): HangupBy {
  if (call.resultStatus === 'REFUSED') return 'REMOTE_HANGUP';
  if (call.resultStatus !== 'ANSWERED') return 'SYSTEM_HANGUP';
  return call.hungUp || call.intentLevel === 'E' || call.intentLevel === 'F' ? 'REMOTE_HANGUP' : 'ROBOT_HANGUP';
}
