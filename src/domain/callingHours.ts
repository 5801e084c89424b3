import { formatClockTime, localDate, localSecondOfDay, nextDate, parseClockTime, parseLocalDateTime } from './time.js';

/**
 * When a job may dial: inside its daily window [dailyStart, dailyEnd) and outside its inactive
 * window [inactiveStart, inactiveEnd) (an empty inactive window, e.g. 00:00–00:00, means none),
 * in the tenant's time zone.
 */
export interface CallingHours {
  dailyStartTime: string;
  dailyEndTime: string;
  inactiveStartTime: string;
  inactiveEndTime: string;
}

interface Seconds {
  dailyStart: number;
  dailyEnd: number;
  inactiveStart: number;
  inactiveEnd: number;
}

function seconds(h: CallingHours): Seconds {
  return {
    dailyStart: parseClockTime(h.dailyStartTime) ?? 0,
    dailyEnd: parseClockTime(h.dailyEndTime) ?? 86_400,
    inactiveStart: parseClockTime(h.inactiveStartTime) ?? 0,
    inactiveEnd: parseClockTime(h.inactiveEndTime) ?? 0,
  };
}

function openAt(s: Seconds, second: number): boolean {
  const inactive = s.inactiveStart < s.inactiveEnd && second >= s.inactiveStart && second < s.inactiveEnd;
  return second >= s.dailyStart && second < s.dailyEnd && !inactive;
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
  // Candidates in order: today's window opening, the end of today's inactive window, tomorrow's opening.
  for (const candidate of [s.dailyStart, s.inactiveEnd]) {
    if (candidate > second && openAt(s, candidate)) return at(today, candidate);
  }
  const tomorrow = nextDate(today);
  return openAt(s, s.dailyStart) ? at(tomorrow, s.dailyStart) : at(tomorrow, s.inactiveEnd);
}
