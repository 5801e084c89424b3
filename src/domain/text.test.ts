import { describe, expect, it } from 'vitest';
import { isWellFormedText, toWellFormed } from './text.js';
import { formatDateTime, formatIsoLocal, inSupportedYears, LATEST_INSTANT, localDate } from './time.js';

describe('text the databases store as JS holds it', () => {
  it.each([
    ['', true],
    ['客户 A-1', true],
    ['emoji 😀 is a surrogate pair', true],
    ['a\u0000b', false],
    ['\ud800', false],
    ['x\udc00', false],
    ['\ud800\ud800😀', false],
    ['\udc00\ud800', false],
  ])('%j is well-formed: %s', (text, ok) => {
    expect(isWellFormedText(text)).toBe(ok);
  });

  it('replaces each unpaired surrogate with U+FFFD, as PostgreSQL’s driver stores it, and keeps pairs', () => {
    expect(toWellFormed('\ud800x')).toBe('\ufffdx');
    expect(toWellFormed('a😀\udc00\ud800')).toBe('a😀\ufffd\ufffd');
    expect(Buffer.from(toWellFormed('\ud800x'), 'utf8').toString('utf8')).toBe(toWellFormed('\ud800x'));
  });
});

describe('instants the API takes, and those it shows', () => {
  it('takes dates of the years 1970 to 2100', () => {
    expect(inSupportedYears('1970-01-01')).toBe(true);
    expect(inSupportedYears('2100-12-31 23:59:59')).toBe(true);
    expect(inSupportedYears('1969-12-31')).toBe(false);
    expect(inSupportedYears('9999-12-31')).toBe(false);
    expect(new Date(LATEST_INSTANT).toISOString()).toBe('2100-12-31T23:59:59.999Z');
  });

  it('shows a stored instant that is not a date as a defined time rather than failing the read', () => {
    for (const bad of [8640000000000001, 2 ** 63, 1e308, Number.POSITIVE_INFINITY, Number.NaN, -1e17]) {
      expect(formatDateTime(bad, 'Asia/Shanghai')).toMatch(/^\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}$/);
      expect(formatIsoLocal(bad, 'Asia/Shanghai')).toMatch(/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}$/);
      expect(localDate(bad, 'UTC')).toMatch(/^\d{4}-\d{2}-\d{2}$/);
    }
    expect(formatDateTime(Date.UTC(2024, 4, 1, 2), 'Asia/Shanghai')).toBe('2024-05-01 10:00:00');
  });
});
