import type { CallerLine } from './api.js';

/*
 * The caller-line dialog of the settings screen (docs/lines.md): its form, the checks it makes
 * before sending (the server makes them all again, and its message is shown as it is), and the
 * body it sends — on a change, only what changed; a limit left empty is lifted (noLimit).
 */

export const LINE_LIMITS = {
  channels: [1, 100_000],
  ringTimeoutSeconds: [5, 300],
  maxCallSeconds: [10, 14_400],
  dailyCapPerNumber: [1, 10_000],
  callsPerSecond: [0, 10_000],
} as const;

export interface LineForm {
  phoneNumber: string;
  phoneType: '' | 'MOBILE' | 'LANDLINE';
  phoneName: string;
  engine: 'external' | 'simulated';
  /** Empty (null or undefined, as the number input leaves it): no limit. */
  channels: number | null | undefined;
  callsPerSecond: number | null | undefined;
  ringTimeoutSeconds: number;
  maxCallSeconds: number;
  dailyCapPerNumber: number | null | undefined;
  enabled: boolean;
  sipUri: string;
  sipUsername: string;
  /** Empty: the stored password stays (on a change) or none (on add). */
  sipPassword: string;
  clearSipPassword: boolean;
  sipTransport: 'udp' | 'tcp';
  sipCodecs: string[];
}

export function emptyLineForm(): LineForm {
  return {
    phoneNumber: '',
    phoneType: '',
    phoneName: '',
    engine: 'external',
    channels: undefined,
    callsPerSecond: undefined,
    ringTimeoutSeconds: 60,
    maxCallSeconds: 600,
    dailyCapPerNumber: undefined,
    enabled: true,
    sipUri: '',
    sipUsername: '',
    sipPassword: '',
    clearSipPassword: false,
    sipTransport: 'udp',
    sipCodecs: ['PCMA', 'PCMU'],
  };
}

export function formOf(line: CallerLine): LineForm {
  return {
    phoneNumber: line.phoneNumber,
    phoneType: line.phoneType as LineForm['phoneType'],
    phoneName: line.phoneName ?? '',
    engine: line.engine as LineForm['engine'],
    channels: line.channels ?? undefined,
    callsPerSecond: line.callsPerSecond ?? undefined,
    ringTimeoutSeconds: line.ringTimeoutSeconds,
    maxCallSeconds: line.maxCallSeconds,
    dailyCapPerNumber: line.dailyCapPerNumber ?? undefined,
    enabled: line.enabled,
    sipUri: line.sipUri ?? '',
    sipUsername: line.sipUsername ?? '',
    sipPassword: '',
    clearSipPassword: false,
    sipTransport: line.sipTransport as LineForm['sipTransport'],
    sipCodecs: [...line.sipCodecs],
  };
}

/** What is wrong, by field: 'required', 'range' or 'sipUri'. */
export function validateLine(f: LineForm): Record<string, string> {
  const out: Record<string, string> = {};
  if (f.phoneNumber.trim() === '') out.phoneNumber = 'required';
  const inRange = (v: number | null | undefined, [min, max]: readonly [number, number]) =>
    v === undefined || v === null || (v >= min && v <= max && Number.isInteger(v));
  if (!inRange(f.channels, LINE_LIMITS.channels)) out.channels = 'range';
  if (!inRange(f.ringTimeoutSeconds, LINE_LIMITS.ringTimeoutSeconds)) out.ringTimeoutSeconds = 'range';
  if (!inRange(f.maxCallSeconds, LINE_LIMITS.maxCallSeconds)) out.maxCallSeconds = 'range';
  if (!inRange(f.dailyCapPerNumber, LINE_LIMITS.dailyCapPerNumber)) out.dailyCapPerNumber = 'range';
  if (
    f.callsPerSecond !== undefined &&
    f.callsPerSecond !== null &&
    !(f.callsPerSecond > 0 && f.callsPerSecond <= LINE_LIMITS.callsPerSecond[1])
  )
    out.callsPerSecond = 'range';
  if (f.sipUri.trim() !== '' && !/^sips?:\S+$/i.test(f.sipUri.trim())) out.sipUri = 'sipUri';
  if (f.sipCodecs.length === 0) out.sipCodecs = 'required';
  return out;
}

const LIFTABLE = ['channels', 'callsPerSecond', 'dailyCapPerNumber'] as const;

/** The body of phone/create (no `before`) or of a change (only the fields that differ from `before`). */
export function lineBody(f: LineForm, before?: LineForm): Record<string, unknown> {
  const now: Record<string, unknown> = {
    phoneNumber: f.phoneNumber.trim(),
    phoneType: f.phoneType || undefined,
    phoneName: f.phoneName.trim(),
    engine: f.engine,
    channels: f.channels ?? undefined,
    callsPerSecond: f.callsPerSecond ?? undefined,
    ringTimeoutSeconds: f.ringTimeoutSeconds,
    maxCallSeconds: f.maxCallSeconds,
    dailyCapPerNumber: f.dailyCapPerNumber ?? undefined,
    enabled: f.enabled,
    sipUri: f.sipUri.trim(),
    sipUsername: f.sipUsername.trim(),
    sipTransport: f.sipTransport,
    sipCodecs: f.sipCodecs,
  };
  const body: Record<string, unknown> = {};
  const noLimit: string[] = [];
  const was = before ? (lineBody(before) as Record<string, unknown>) : undefined;
  for (const [key, value] of Object.entries(now)) {
    if (was && JSON.stringify(was[key]) === JSON.stringify(value)) continue;
    if (value === undefined) {
      if (was && (LIFTABLE as readonly string[]).includes(key)) noLimit.push(key);
      continue;
    }
    if (!was && value === '') continue;
    body[key] = value;
  }
  if (noLimit.length > 0) body.noLimit = noLimit;
  if (f.clearSipPassword) body.sipPassword = '';
  else if (f.sipPassword !== '') body.sipPassword = f.sipPassword;
  return body;
}
