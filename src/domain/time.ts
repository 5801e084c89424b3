import { invalidParameter } from './errors.js';
/**
 * Times are stored as UTC epoch milliseconds and shown in the tenant's time zone, without offset,
 * in the formats of docs/api.md (Times and dates). Intl does the zone arithmetic (no dependency needed);
 * formatters are cached per zone because building one costs far more than using it.
 */

export const DEFAULT_TIME_ZONE = 'Asia/Shanghai';

/**
 * The years a date or time sent to the API may fall in (docs/api.md, Input limits). Every instant
 * of them, in any zone, fits a JS Date (±8.64e15 ms) and a bigint column with room to spare.
 */
export const FIRST_YEAR = 1970;
export const LAST_YEAR = 2100;
/** The last millisecond of LAST_YEAR (UTC): the largest epoch-millisecond instant the API takes. */
export const LATEST_INSTANT = Date.UTC(LAST_YEAR + 1, 0, 1) - 1;

/** Is the year of `yyyy-MM-dd…` within FIRST_YEAR–LAST_YEAR? */
export function inSupportedYears(date: string): boolean {
  const year = Number(date.slice(0, 4));
  return year >= FIRST_YEAR && year <= LAST_YEAR;
}

/*
 * What a stored instant that is not a usable date (written before input was range-checked, or by
 * hand) is shown as: clamped into years 1000–9999, so a read answers a defined, well-formed time
 * instead of failing. Migration 0006 repairs such rows; this only keeps a read from failing.
 */
const FORMATTABLE_MIN = Date.UTC(1000, 0, 2);
const FORMATTABLE_MAX = Date.UTC(9999, 11, 30);
const formattable = (epochMs: number) =>
  Number.isFinite(epochMs) ? Math.min(Math.max(epochMs, FORMATTABLE_MIN), FORMATTABLE_MAX) : 0;

interface LocalParts {
  year: string;
  month: string;
  day: string;
  hour: string;
  minute: string;
  second: string;
}

const formatters = new Map<string, Intl.DateTimeFormat>();

function formatterFor(timeZone: string): Intl.DateTimeFormat {
  let f = formatters.get(timeZone);
  if (!f) {
    f = new Intl.DateTimeFormat('en-CA', {
      timeZone,
      hourCycle: 'h23',
      year: 'numeric',
      month: '2-digit',
      day: '2-digit',
      hour: '2-digit',
      minute: '2-digit',
      second: '2-digit',
    });
    formatters.set(timeZone, f);
  }
  return f;
}

export function isValidTimeZone(timeZone: string): boolean {
  try {
    formatterFor(timeZone);
    return true;
  } catch {
    return false;
  }
}

/** The formatter's text, `yyyy-MM-dd, HH:mm:ss`: read back, it costs a third of its parts. */
const FORMATTED = /^(\d{4})-(\d{2})-(\d{2}), (\d{2}):(\d{2}):(\d{2})$/;

function localParts(epochMs: number, timeZone: string): LocalParts {
  const formatter = formatterFor(timeZone);
  const m = FORMATTED.exec(formatter.format(epochMs));
  if (m) return { year: m[1]!, month: m[2]!, day: m[3]!, hour: m[4]!, minute: m[5]!, second: m[6]! };
  // Another ICU writes en-CA otherwise: its parts say which is which.
  const parts: Record<string, string> = {};
  for (const p of formatter.formatToParts(epochMs)) parts[p.type] = p.value;
  return parts as unknown as LocalParts;
}

/** `yyyy-MM-dd HH:mm:ss` */
export function formatDateTime(epochMs: number, timeZone: string): string {
  const p = localParts(formattable(epochMs), timeZone);
  return `${p.year}-${p.month}-${p.day} ${p.hour}:${p.minute}:${p.second}`;
}

/** `yyyy-MM-ddTHH:mm:ss` (callDetail's start and end) */
export function formatIsoLocal(epochMs: number, timeZone: string): string {
  const p = localParts(formattable(epochMs), timeZone);
  return `${p.year}-${p.month}-${p.day}T${p.hour}:${p.minute}:${p.second}`;
}

/** `yyyy-MM-dd HH:mm` (task list, customer creation time) */
export function formatMinute(epochMs: number, timeZone: string): string {
  const p = localParts(formattable(epochMs), timeZone);
  return `${p.year}-${p.month}-${p.day} ${p.hour}:${p.minute}`;
}

/** `yyyy-MM-dd`: the tenant-local calendar day of an instant. */
export function localDate(epochMs: number, timeZone: string): string {
  const p = localParts(formattable(epochMs), timeZone);
  return `${p.year}-${p.month}-${p.day}`;
}

/** Seconds since local midnight of an instant, in the zone. */
export function localSecondOfDay(epochMs: number, timeZone: string): number {
  const p = localParts(formattable(epochMs), timeZone);
  return Number(p.hour) * 3600 + Number(p.minute) * 60 + Number(p.second);
}

/** Offset of the zone from UTC at an instant, in milliseconds. */
function zoneOffsetMs(epochMs: number, timeZone: string): number {
  const p = localParts(epochMs, timeZone);
  const asUtc = Date.UTC(+p.year, +p.month - 1, +p.day, +p.hour, +p.minute, +p.second);
  return asUtc - Math.floor(epochMs / 1000) * 1000;
}

const DATE_RE = /^(\d{4})-(\d{2})-(\d{2})$/;

/** Is `yyyy-MM-dd` a real calendar date? */
export function isCalendarDate(text: string): boolean {
  const m = DATE_RE.exec(text);
  if (!m) return false;
  const d = new Date(Date.UTC(+m[1]!, +m[2]! - 1, +m[3]!));
  return d.getUTCFullYear() === +m[1]! && d.getUTCMonth() === +m[2]! - 1 && d.getUTCDate() === +m[3]!;
}

/** The instant a wall-clock time (given as if it were UTC) shows in the zone; two passes settle DST edges. */
function instantOfWallClock(wallClock: number, timeZone: string): number {
  const guess = wallClock - zoneOffsetMs(wallClock, timeZone);
  return wallClock - zoneOffsetMs(guess, timeZone);
}

/** The instant local midnight of `yyyy-MM-dd` begins in the zone. */
export function startOfLocalDate(date: string, timeZone: string): number {
  const m = DATE_RE.exec(date);
  if (!m) throw new RangeError(`not a date: ${date}`);
  return instantOfWallClock(Date.UTC(+m[1]!, +m[2]! - 1, +m[3]!), timeZone);
}

/** `yyyy-MM-dd HH:mm:ss` (or with T) in the zone as an instant, or undefined when it is not a real date and time. */
export function parseLocalDateTime(text: string, timeZone: string): number | undefined {
  const m = /^(\d{4}-\d{2}-\d{2})[ T](\d{2}:\d{2}(?::\d{2})?)$/.exec(text.trim());
  if (!m || !isCalendarDate(m[1]!)) return undefined;
  const second = parseClockTime(m[2]!);
  if (second === undefined) return undefined;
  const [y, mo, d] = m[1]!.split('-').map(Number);
  return instantOfWallClock(Date.UTC(y!, mo! - 1, d!) + second * 1000, timeZone);
}

/** The next calendar day of `yyyy-MM-dd`. */
export function nextDate(date: string): string {
  const m = DATE_RE.exec(date);
  if (!m) throw new RangeError(`not a date: ${date}`);
  return new Date(Date.UTC(+m[1]!, +m[2]! - 1, +m[3]! + 1)).toISOString().slice(0, 10);
}

const CLOCK_RE = /^([01]\d|2[0-3]):([0-5]\d)(?::([0-5]\d))?$/;

/** Parses `HH:mm[:ss]` into seconds of the day, or undefined. */
export function parseClockTime(text: string): number | undefined {
  const m = CLOCK_RE.exec(text);
  if (!m) return undefined;
  return Number(m[1]) * 3600 + Number(m[2]) * 60 + Number(m[3] ?? 0);
}

/** Seconds of the day as `HH:mm:ss`. */
export function formatClockTime(secondOfDay: number): string {
  const h = Math.floor(secondOfDay / 3600);
  const m = Math.floor((secondOfDay % 3600) / 60);
  const s = secondOfDay % 60;
  return [h, m, s].map((n) => String(n).padStart(2, '0')).join(':');
}

/**
 * A bound of a list's time filter (audit log, callback log): `yyyy-MM-dd` (a whole day) or
 * `yyyy-MM-dd HH:mm[:ss]`, tenant-local, years 1970–2100; `end` makes it the exclusive end (the
 * next day, or the end of the second). Undefined when empty; a 412 naming `parameter` otherwise.
 */
export function timeBound(
  parameter: string,
  text: string | undefined,
  timeZone: string,
  end: boolean,
): number | undefined {
  const t = text?.trim();
  if (!t) return undefined;
  const year = Number(t.slice(0, 4));
  const refuse = () =>
    invalidParameter(parameter, `must be yyyy-MM-dd or yyyy-MM-dd HH:mm:ss from 1970 to 2100, got "${t}"`);
  if (!(year >= 1970 && year <= 2100)) throw refuse();
  if (isCalendarDate(t)) return startOfLocalDate(end ? nextDate(t) : t, timeZone);
  const at = parseLocalDateTime(t, timeZone);
  if (at === undefined) throw refuse();
  return end ? at + 1000 : at;
}
