import { describe, expect, it } from 'vitest';
import { DEMO_DIALOG_FLOWS } from '../demo/dialogFlows.js';
import { runConversation } from '../domain/dialogEngine.js';
import { DEFAULT_DIALOG_FLOW } from '../domain/dialogFlow.js';
import { hangupSideOf, simulateCall } from './conversation.js';
import { seededRandom } from './random.js';

/*
 * Simulated calls talk to the dialog engine: every simulated transcript, replayed through the
 * engine from its customer turns alone, gives the same robot lines and the same outcome — the
 * simulator decides nothing the engine would not.
 */

const FLOWS = [...DEMO_DIALOG_FLOWS, DEFAULT_DIALOG_FLOW];

describe('simulated transcripts replayed through the dialog engine', () => {
  it('give the same robot lines, intent level, concerns and analysis', () => {
    const random = seededRandom(20261207);
    const levels = new Set<string>();
    for (let i = 0; i < 400; i++) {
      const flow = FLOWS[i % FLOWS.length]!.script;
      const call = simulateCall(random, flow, 'ANSWERED');
      const utterances: (string | null)[] = call.turns.filter((t) => t.type === 'PERSON').map((t) => t.text);
      if (call.hungUp) utterances.push(null);
      const replay = runConversation({ definition: flow }, utterances);
      expect(replay.transcript).toEqual(call.turns);
      expect(replay.outcome).toMatchObject({
        intentLevel: call.intentLevel,
        concerns: call.customerConcern,
        analysisBasis: call.analysisBasis,
        hungUp: call.hungUp,
      });
      expect(call.chatRound).toBeLessThanOrEqual(flow.maxTurns);
      expect(hangupSideOf(call)).toBe(
        call.hungUp || call.intentLevel === 'E' || call.intentLevel === 'F' ? 'REMOTE_HANGUP' : 'ROBOT_HANGUP',
      );
      levels.add(call.intentLevel);
    }
    // The customers' dispositions reach every level the rules give.
    expect([...levels].sort()).toEqual(['A', 'B', 'C', 'D', 'E', 'F']);
  });

  it('ask the flow’s questions, recognised as such: concerns come from questions asked', () => {
    const random = seededRandom(7);
    const flow = DEMO_DIALOG_FLOWS[0]!.script;
    const concerns = new Set<string>();
    for (let i = 0; i < 200; i++)
      for (const c of simulateCall(random, flow, 'ANSWERED').customerConcern) concerns.add(c);
    expect([...concerns].sort()).toEqual(flow.questions.map((q) => q.concern).sort());
  });

  it('fill the flow’s variables from the customer', () => {
    const flow = {
      ...DEFAULT_DIALOG_FLOW.script,
      // biome-ignore lint/suspicious/noTemplateCurlyInString: a dialog-flow variable, literally
      opening: '${姓名}您好，这里是客户服务中心，想花一分钟给您介绍一下，可以吗？',
    };
    const call = simulateCall(seededRandom(1), flow, 'ANSWERED', { 姓名: '李女士' });
    expect(call.turns[0]!.text).toBe('李女士您好，这里是客户服务中心，想花一分钟给您介绍一下，可以吗？');
  });
});
