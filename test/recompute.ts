import { IntentLevel, ResultStatus } from '../src/domain/enums.js';

/** The statistics, recomputed from the job's call records as an integrator would from the list endpoint. */
export function recomputeStats(records: any[], job: { taskCallTotal: number; completedTask: number }) {
  const pct = (a: number, b: number, d: number) =>
    b === 0 ? 0 : Math.round(((a * 100) / b) * 10 ** d + 1e-9) / 10 ** d;
  const answered = records.filter((r) => r.resultStatus === 'ANSWERED');
  const count = <K extends string>(keys: readonly K[], of: (r: any) => K, from: any[]) =>
    Object.fromEntries(keys.map((k) => [k, from.filter((r) => of(r) === k).length]));
  const roundKey = (n: number) => (n < 3 ? 'LESS_3' : n < 6 ? 'F3_T6' : n < 10 ? 'F6_T10' : 'F10_MORE');
  const durationKey = (s: number) =>
    s < 10 ? 'LESS_10S' : s < 60 ? 'F10S_T1MIN' : s < 120 ? 'F1MIN_T2MIN' : s < 180 ? 'F2MIN_T3MIN' : 'F3MIN_TMORE';
  const days = [...new Set(records.map((r) => r.startTime.slice(0, 10)))].sort();
  const on = (d: string) => records.filter((r) => r.startTime.startsWith(d));
  const seconds = (rs: any[]) => rs.reduce((s, r) => s + r.chatDuration, 0);
  const concernHits = new Map<string, number>();
  for (const r of records)
    for (const c of new Set<string>(r.customerConcern)) concernHits.set(c, (concernHits.get(c) ?? 0) + 1);
  return {
    taskProgress: pct(job.completedTask, job.taskCallTotal, 1),
    answeredRate: pct(answered.length, records.length, 2),
    intentLevel: count(IntentLevel.names, (r) => r.intentLevel, records),
    taskCallTotal: records.length,
    answeredTask: answered.length,
    chatDurationTotal: seconds(records),
    completedTask: job.completedTask,
    customerConcern: [...concernHits]
      .sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : 1))
      .slice(0, 10)
      .map(([c]) => c),
    dialResult: count(ResultStatus.names, (r) => r.resultStatus, records),
    chatRound: count(['LESS_3', 'F3_T6', 'F6_T10', 'F10_MORE'], (r) => roundKey(r.chatRound), answered),
    chatDuration: count(
      ['LESS_10S', 'F10S_T1MIN', 'F1MIN_T2MIN', 'F2MIN_T3MIN', 'F3MIN_TMORE'],
      (r) => durationKey(r.chatDuration),
      answered,
    ),
    callJobStatsBrokenLine: {
      taskCallCompletedList: days.map((date) => ({ date, val: on(date).length })),
      answeredTaskList: days.map((date) => ({
        date,
        val: on(date).filter((r) => r.resultStatus === 'ANSWERED').length,
      })),
      answeredTaskRateList: days.map((date) => ({
        date,
        val: pct(on(date).filter((r) => r.resultStatus === 'ANSWERED').length, on(date).length, 2),
      })),
      chatDurationTotalList: days.map((date) => ({ date, val: seconds(on(date)) })),
      averageDurationList: days.map((date) => {
        const a = on(date).filter((r) => r.resultStatus === 'ANSWERED').length;
        return { date, val: a === 0 ? 0 : Math.floor((seconds(on(date)) * 100) / a) };
      }),
    },
  };
}
