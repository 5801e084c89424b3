import { DEMO_DIALOG_FLOWS } from '../src/demo/dialogFlows.js';
import { simulateCall } from '../src/simulator/conversation.js';
import { between, type Random } from '../src/simulator/random.js';

type Script = Parameters<typeof simulateCall>[1];

/**
 * One simulated finished call of the data set's ingestion job, as an item of an addCallRecords
 * body: the demo's first script, started up to a day before `now`. Shared by the ingestion
 * measurement (bench/ingest.ts) and the mixed load's writes (bench/mixed.ts).
 */
export function callRecordItem(
  random: Random,
  options: { idempotencyKey: string; jobId: number; calledPhoneNumber: string; now: number },
) {
  const call = simulateCall(random, DEMO_DIALOG_FLOWS[0]!.script as Script);
  const start = options.now - between(random, 60, 86_400) * 1000;
  return {
    idempotencyKey: options.idempotencyKey,
    robotCallJobId: options.jobId,
    calledPhoneNumber: options.calledPhoneNumber,
    resultStatus: call.resultStatus,
    intentLevel: call.intentLevel,
    customerConcern: call.customerConcern,
    analysisBasis: call.analysisBasis,
    startTime: start,
    endTime: start + (call.ringSeconds + call.chatDuration) * 1000,
    chatDuration: call.chatDuration,
    chatRound: call.chatRound,
    callDetailList: call.turns,
  };
}
