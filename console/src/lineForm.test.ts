import { describe, expect, it } from 'vitest';
import type { CallerLine } from './api.js';
import { emptyLineForm, formOf, lineBody, validateLine } from './lineForm.js';

/* The caller-line dialog: what it checks before sending, and that a change sends only what changed. */

const line: CallerLine = {
  phoneNumberId: 4,
  phoneNumber: '057188880000',
  phoneType: 'LANDLINE',
  phoneName: '杭州中继',
  engine: 'external',
  channels: 2,
  callsPerSecond: 1,
  ringTimeoutSeconds: 60,
  maxCallSeconds: 600,
  dailyCapPerNumber: null,
  enabled: true,
  disabledReason: null,
  consecutiveFailures: 0,
  highWaterMark: 0,
  sipUri: 'sip:trunk.example.com',
  sipUsername: null,
  hasSipPassword: true,
  sipTransport: 'udp',
  sipCodecs: ['PCMA', 'PCMU'],
  creationTime: '2026-12-07 10:00:00',
};

describe('the caller-line form', () => {
  it('says what is missing or out of range, by field', () => {
    const f = { ...emptyLineForm(), channels: 0, ringTimeoutSeconds: 4, callsPerSecond: 0, sipUri: 'http://x' };
    expect(validateLine(f)).toEqual({
      phoneNumber: 'required',
      channels: 'range',
      ringTimeoutSeconds: 'range',
      callsPerSecond: 'range',
      sipUri: 'sipUri',
    });
    expect(validateLine({ ...emptyLineForm(), phoneNumber: '057188880000', channels: null })).toEqual({});
  });

  it('adds a line with what was filled in, and no empty text', () => {
    expect(lineBody({ ...emptyLineForm(), phoneNumber: ' 057188880000 ', channels: 2 })).toEqual({
      phoneNumber: '057188880000',
      engine: 'external',
      channels: 2,
      ringTimeoutSeconds: 60,
      maxCallSeconds: 600,
      enabled: true,
      sipTransport: 'udp',
      sipCodecs: ['PCMA', 'PCMU'],
    });
  });

  it('changes only what changed: a limit emptied is lifted, a blank password keeps the stored one', () => {
    const f = formOf(line);
    expect(lineBody(f, formOf(line))).toEqual({});
    f.callsPerSecond = null;
    f.ringTimeoutSeconds = 30;
    f.phoneName = '';
    expect(lineBody(f, formOf(line))).toEqual({ ringTimeoutSeconds: 30, phoneName: '', noLimit: ['callsPerSecond'] });
    f.clearSipPassword = true;
    expect(lineBody(f, formOf(line)).sipPassword).toBe('');
  });
});
