import { formatClockTime, localDate, localSecondOfDay, nextDate, parseClockTime, parseLocalDateTime } from './time.js';

/**
 * When a job may dial: inside its daily window [dailyStart, dailyEnd) and outside each of its
 * inactive windows [startTime, endTime) (at most three; an empty window, e.g. 00:00–00:00, is
 * none), in the tenant's time zone. `inactiveStartTime`/`inactiveEndTime` is one more window, the
 * 2018 interface's single one.
 */
export interface CallingHours {
  dailyStartTime: string;
  dailyEndTime: string;
  inactiveTimeList?: readonly { startTime: string; endTime: string }[];
  inactiveStartTime?: string;
  inactiveEndTime?: string;
}

interface Seconds {
  dailyStart: number;
  dailyEnd: number;
  /** Non-empty windows [start, end) in seconds of the day. */
  inactive: [number, number][];
}

function seconds(h: CallingHours): Seconds {
  const windows = [...(h.inactiveTimeList ?? [])];
  if (h.inactiveStartTime !== undefined && h.inactiveEndTime !== undefined)
    windows.push({ startTime: h.inactiveStartTime, endTime: h.inactiveEndTime });
  const inactive: [number, number][] = [];
  for (const w of windows) {
    const start = parseClockTime(String(w.startTime)) ?? 0;
    const end = parseClockTime(String(w.endTime)) ?? 0;
    if (start < end) inactive.push([start, end]);
  }
  return {
    dailyStart: parseClockTime(h.dailyStartTime) ?? 0,
    dailyEnd: parseClockTime(h.dailyEndTime) ?? 86_400,
    inactive,
  };
}

function openAt(s: Seconds, second: number): boolean {
  if (second < s.dailyStart || second >= s.dailyEnd) return false;
  return !s.inactive.some(([start, end]) => second >= start && second < end);
}

export function isWithinCallingHours(h: CallingHours, epochMs: number, timeZone: string): boolean {
  return openAt(seconds(h), localSecondOfDay(epochMs, timeZone));
}

/** The next instant at or after `epochMs` when the job may dial again. */
export function nextOpening(h: CallingHours, epochMs: number, timeZone: string): number {
  const s = seconds(h);
  const second = localSecondOfDay(epochMs, timeZone);
  const today = localDate(epochMs, timeZone);
  const at = (date: string, sec: number) => parseLocalDateTime(`${date} ${formatClockTime(sec)}`, timeZone)!;
  // Dialling can only begin again at the daily opening or at the end of an inactive window.
  const candidates = [s.dailyStart, ...s.inactive.map(([, end]) => end)].sort((a, b) => a - b);
  for (const candidate of candidates) {
    if (candidate > second && openAt(s, candidate)) return at(today, candidate);
  }
  const tomorrow = nextDate(today);
  const first = candidates.find((candidate) => openAt(s, candidate));
  return at(tomorrow, first ?? s.dailyStart);
}
