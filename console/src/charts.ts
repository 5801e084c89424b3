import type { JobStats } from './api.js';
import { hundredthsToSeconds } from './format.js';

/* ECharts options of the job detail, from getTaskDetail's statistics as they are (no recomputation). */

type Label = (value: string) => string;

export function pieOption(counts: Record<string, number>, order: string[], labelOf: Label) {
  return {
    tooltip: { trigger: 'item', formatter: '{b}: {c} ({d}%)' },
    series: [
      {
        type: 'pie',
        radius: ['38%', '64%'],
        center: ['50%', '50%'],
        label: { formatter: '{b}\n{c}' },
        data: order.map((key) => ({ name: labelOf(key), value: counts[key] ?? 0 })).filter((d) => d.value > 0),
      },
    ],
  };
}

export function barOption(counts: Record<string, number>, order: string[], labelOf: Label, color = '#409eff') {
  return {
    tooltip: { trigger: 'axis' },
    grid: { left: 40, right: 16, top: 16, bottom: 48 },
    xAxis: {
      type: 'category',
      data: order.map(labelOf),
      axisLabel: { interval: 0, rotate: order.length > 6 ? 30 : 0 },
    },
    yAxis: { type: 'value', minInterval: 1 },
    series: [{ type: 'bar', data: order.map((key) => counts[key] ?? 0), itemStyle: { color }, barMaxWidth: 36 }],
  };
}

export const TREND_SERIES = [
  'taskCallCompletedList',
  'answeredTaskList',
  'answeredTaskRateList',
  'chatDurationTotalList',
  'averageDurationList',
] as const;

/** The five daily series; counts on the left axis, rate (%) and seconds on the right ones. */
export function trendOption(stats: JobStats, labelOf: (series: (typeof TREND_SERIES)[number]) => string) {
  const lines = stats.callJobStatsBrokenLine;
  const dates = (lines.taskCallCompletedList ?? []).map((p) => p.date);
  const axisOf = { taskCallCompletedList: 0, answeredTaskList: 0, answeredTaskRateList: 1 } as Record<string, number>;
  return {
    tooltip: { trigger: 'axis' },
    legend: { bottom: 0 },
    grid: { left: 48, right: 96, top: 24, bottom: 56 },
    xAxis: { type: 'category', data: dates },
    yAxis: [
      { type: 'value', minInterval: 1 },
      { type: 'value', max: 100, axisLabel: { formatter: '{value}%' } },
      { type: 'value', offset: 48, axisLabel: { formatter: '{value}s' } },
    ],
    series: TREND_SERIES.map((name) => ({
      name: labelOf(name),
      type: 'line',
      smooth: true,
      yAxisIndex: axisOf[name] ?? 2,
      data: (lines[name] ?? []).map((p) => (name === 'averageDurationList' ? hundredthsToSeconds(p.val) : p.val)),
    })),
  };
}
