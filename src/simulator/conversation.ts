import type { DialogFlowScript } from '../domain/dialogFlow.js';
import type { HangupBy, IntentLevel, ResultStatus, TurnType } from '../domain/enums.js';
import type { FinishedCall } from '../services/callResults.js';
import { between, pick, type Random, weighted } from './random.js';

/*
 * Simulated calls: a dial outcome, and for answered calls a conversation walked from the job's
 * dialog flow (话术). Intent level, concerns and analysis are derived from what the customer
 * said, as the platform's own analysis would, so the data reads consistently.
 */

type Disposition = 'interested' | 'neutral' | 'busy' | 'declined';

const REPLIES: Record<Disposition, string[]> = {
  interested: ['嗯，可以，你说', '好的，听起来不错', '有点兴趣，具体说说', '可以啊', '嗯嗯，然后呢'],
  neutral: ['嗯', '哦', '还行吧', '你说', '嗯，知道了'],
  busy: ['我现在在开会，晚点再说吧', '在开车，不方便', '现在忙，回头再联系'],
  declined: ['不需要，谢谢', '没兴趣', '别再打了', '不用了'],
};

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
  script: DialogFlowScript,
  resultStatus: ResultStatus = weighted(random, RESULT_WEIGHTS),
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
    };
  }
  return converse(
    random,
    script,
    weighted<Disposition>(random, { interested: 30, neutral: 35, busy: 12, declined: 23 }),
  );
}

function converse(random: Random, script: DialogFlowScript, disposition: Disposition): SimulatedCall {
  const turns: SimulatedTurn[] = [];
  const robot = (text: string) => turns.push({ type: 'ROBOT', text });
  const person = (text: string) => turns.push({ type: 'PERSON', text });
  const concerns: string[] = [];

  robot(script.opening);
  if (disposition === 'busy') {
    person(pick(random, REPLIES.busy));
    robot(script.closing.busy);
  } else if (disposition === 'declined') {
    if (random() < 0.5) {
      person(pick(random, REPLIES.neutral));
      robot(script.pitch[0] ?? script.opening);
    }
    person(pick(random, REPLIES.declined));
    robot(script.closing.declined);
  } else {
    const steps = disposition === 'interested' ? script.pitch.length : between(random, 1, script.pitch.length);
    const asked = new Set<number>();
    const wanted =
      disposition === 'interested' ? between(random, 1, Math.min(4, script.questions.length)) : random() < 0.3 ? 1 : 0;
    for (let i = 0; i < steps; i++) {
      person(pick(random, REPLIES[disposition]));
      robot(script.pitch[i]!);
      if (asked.size < wanted && (random() < 0.6 || i === steps - 1)) {
        let q = between(random, 0, script.questions.length - 1);
        while (asked.has(q)) q = (q + 1) % script.questions.length;
        asked.add(q);
        const question = script.questions[q]!;
        person(question.customer);
        robot(question.robot);
        concerns.push(question.concern);
      }
    }
    const keen = disposition === 'interested' && random() < 0.8;
    person(keen ? '好的，可以加个微信详细聊' : pick(random, REPLIES.neutral));
    robot(keen ? script.closing.interested : script.closing.declined);
  }

  const chatRound = turns.filter((t) => t.type === 'PERSON').length;
  const chatDuration = turns.reduce((s, t) => s + speakingSeconds(random, t.text), 0);
  const intentLevel = intentOf(disposition, concerns.length, chatRound);
  return {
    resultStatus: 'ANSWERED',
    intentLevel,
    customerConcern: concerns,
    analysisBasis: analysisOf(disposition, concerns, intentLevel),
    ringSeconds: between(random, 5, 25),
    chatDuration,
    chatRound,
    turns,
  };
}

function intentOf(disposition: Disposition, questions: number, rounds: number): IntentLevel {
  switch (disposition) {
    case 'interested':
      return questions >= 2 ? 'A' : 'B';
    case 'neutral':
      if (questions > 0) return 'B';
      return rounds <= 2 ? 'C' : 'D';
    case 'busy':
      return 'E';
    case 'declined':
      return 'F';
  }
}

function analysisOf(disposition: Disposition, concerns: string[], level: IntentLevel): string {
  const asked = concerns.length > 0 ? `客户询问了${concerns.join('、')}` : '客户未提出问题';
  switch (disposition) {
    case 'interested':
      return `${asked}，表示有兴趣（${level}级）`;
    case 'neutral':
      return `${asked}，态度一般（${level}级）`;
    case 'busy':
      return '客户表示现在不方便，需要再次跟进';
    case 'declined':
      return '客户明确拒绝';
  }
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
 * Which side ended a simulated call: a customer who declined or was busy (intent E or F) hangs
 * up; otherwise the robot closes the conversation. An unanswered call is ended by the network,
 * except a refused one, which the customer rejected.
 */
export function hangupSideOf(call: SimulatedCall): HangupBy {
  if (call.resultStatus === 'REFUSED') return 'REMOTE_HANGUP';
  if (call.resultStatus !== 'ANSWERED') return 'SYSTEM_HANGUP';
  return call.intentLevel === 'E' || call.intentLevel === 'F' ? 'REMOTE_HANGUP' : 'ROBOT_HANGUP';
}
