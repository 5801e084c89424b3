import type { JobDayStats } from '../db/schema.js';
import {
  bucketOf,
  CHAT_DURATION_BUCKETS,
  CHAT_ROUND_BUCKETS,
  type ChatDurationBucket,
  type ChatRoundBucket,
  IntentLevel,
  ResultStatus,
} from '../domain/enums.js';
import type { DayCounter } from '../repositories/jobStats.js';

/*
 * getTaskDetail's statistics (docs/statistics.md). They are read from rollups kept per job and
 * tenant-local day, so a job's detail costs the same at ten calls or ten million.
 */

const intentColumn = (level: IntentLevel) => `intent_${level.toLowerCase()}` as DayCounter;
const resultColumn = (status: ResultStatus) => `result_${status.toLowerCase()}` as DayCounter;
const roundColumn = (bucket: ChatRoundBucket) => `chat_round_${bucket.toLowerCase()}` as DayCounter;
const durationColumn = (bucket: ChatDurationBucket) => `chat_duration_${bucket.toLowerCase()}` as DayCounter;

export const DAY_COUNTERS: readonly DayCounter[] = [
  'records',
  'answered',
  'chat_duration_total',
  ...IntentLevel.names.map(intentColumn),
  ...ResultStatus.names.map(resultColumn),
  ...CHAT_ROUND_BUCKETS.map((b) => roundColumn(b.key)),
  ...CHAT_DURATION_BUCKETS.map((b) => durationColumn(b.key)),
];

export interface CountedCall {
  resultStatus: ResultStatus;
  intentLevel: IntentLevel;
  chatDuration: number;
  chatRound: number;
}

export type DayCounters = Record<DayCounter, number>;

export function emptyCounters(): DayCounters {
  return Object.fromEntries(DAY_COUNTERS.map((c) => [c, 0])) as DayCounters;
}

/** Adds one finished call to a day's counters. */
export function countCall(into: DayCounters, call: CountedCall): void {
  into.records += 1;
  into.chat_duration_total += call.chatDuration;
  into[intentColumn(call.intentLevel)] += 1;
  into[resultColumn(call.resultStatus)] += 1;
  if (call.resultStatus === 'ANSWERED') {
    into.answered += 1;
    into[roundColumn(bucketOf(CHAT_ROUND_BUCKETS, call.chatRound))] += 1;
    into[durationColumn(bucketOf(CHAT_DURATION_BUCKETS, call.chatDuration))] += 1;
  }
}

/** numerator ÷ denominator × 100, rounded half up to `decimals`, computed in integers; 0 when the denominator is 0. */
export function percent(numerator: number, denominator: number, decimals: number): number {
  if (denominator <= 0) return 0;
  const scale = 10 ** decimals;
  const scaled = Math.floor((2 * numerator * 100 * scale + denominator) / (2 * denominator));
  return scaled / scale;
}

export interface DatePoint {
  date: string;
  val: number;
}

export interface CallJobStatsInfo {
  taskProgress: number;
  answeredRate: number;
  intentLevel: Record<IntentLevel, number>;
  taskCallTotal: number;
  answeredTask: number;
  chatDurationTotal: number;
  completedTask: number;
  customerConcern: string[];
  dialResult: Record<ResultStatus, number>;
  chatRound: Record<ChatRoundBucket, number>;
  chatDuration: Record<ChatDurationBucket, number>;
  callJobStatsBrokenLine: {
    taskCallCompletedList: DatePoint[];
    answeredTaskList: DatePoint[];
    answeredTaskRateList: DatePoint[];
    chatDurationTotalList: DatePoint[];
    averageDurationList: DatePoint[];
  };
}

export interface JobCounters {
  /** Call tasks in the job. */
  taskCallTotal: number;
  /** Call tasks whose dialing is finished. */
  completedTask: number;
}

/** What the broken lines show of one day the job made calls. */
export type DayPoint = Pick<JobDayStats, 'day' | 'records' | 'answered' | 'chat_duration_total'>;

/**
 * `total`: the job's day counters summed over its days; `days`: the days it made calls, in order
 * (repositories/jobStats.ts reads both).
 */
export function buildCallJobStatsInfo(
  job: JobCounters,
  total: DayCounters,
  days: readonly DayPoint[],
  concerns: string[],
): CallJobStatsInfo {
  const series = (val: (d: DayPoint) => number): DatePoint[] => days.map((d) => ({ date: d.day, val: val(d) }));
  return {
    taskProgress: percent(job.completedTask, job.taskCallTotal, 1),
    answeredRate: percent(total.answered, total.records, 2),
    intentLevel: Object.fromEntries(IntentLevel.names.map((l) => [l, total[intentColumn(l)]])) as Record<
      IntentLevel,
      number
    >,
    taskCallTotal: total.records,
    answeredTask: total.answered,
    chatDurationTotal: total.chat_duration_total,
    completedTask: job.completedTask,
    customerConcern: concerns,
    dialResult: Object.fromEntries(ResultStatus.names.map((s) => [s, total[resultColumn(s)]])) as Record<
      ResultStatus,
      number
    >,
    chatRound: Object.fromEntries(CHAT_ROUND_BUCKETS.map((b) => [b.key, total[roundColumn(b.key)]])) as Record<
      ChatRoundBucket,
      number
    >,
    chatDuration: Object.fromEntries(CHAT_DURATION_BUCKETS.map((b) => [b.key, total[durationColumn(b.key)]])) as Record<
      ChatDurationBucket,
      number
    >,
    callJobStatsBrokenLine: {
      taskCallCompletedList: series((d) => Number(d.records)),
      answeredTaskList: series((d) => Number(d.answered)),
      answeredTaskRateList: series((d) => percent(Number(d.answered), Number(d.records), 2)),
      chatDurationTotalList: series((d) => Number(d.chat_duration_total)),
      averageDurationList: series((d) =>
        Number(d.answered) > 0 ? Math.floor((Number(d.chat_duration_total) * 100) / Number(d.answered)) : 0,
      ),
    },
  };
}
