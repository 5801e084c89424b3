import { describe, expect, it } from 'vitest';
import {
  formatDateTime,
  formatIsoLocal,
  formatMinute,
  isCalendarDate,
  localDate,
  nextDate,
  parseLocalDateTime,
  startOfLocalDate,
} from './time.js';

const instant = Date.UTC(2018, 9, 2, 8, 54, 8); // 2018-10-02 16:54:08 in Shanghai

describe('times in the tenant’s zone', () => {
  it('are formatted as each seed example shows them', () => {
    expect(formatDateTime(instant, 'Asia/Shanghai')).toBe('2018-10-02 16:54:08');
    expect(formatIsoLocal(instant, 'Asia/Shanghai')).toBe('2018-10-02T16:54:08');
    expect(formatMinute(instant, 'Asia/Shanghai')).toBe('2018-10-02 16:54');
    expect(formatDateTime(instant, 'UTC')).toBe('2018-10-02 08:54:08');
  });

  it('put an instant on its local calendar day', () => {
    expect(localDate(Date.UTC(2018, 9, 2, 16, 30), 'Asia/Shanghai')).toBe('2018-10-03');
    expect(localDate(Date.UTC(2018, 9, 2, 16, 30), 'America/New_York')).toBe('2018-10-02');
  });

  it('find the instant a local day starts, across DST changes', () => {
    expect(startOfLocalDate('2018-10-02', 'Asia/Shanghai')).toBe(Date.UTC(2018, 9, 1, 16));
    expect(startOfLocalDate('2024-03-10', 'America/New_York')).toBe(Date.UTC(2024, 2, 10, 5)); // EST
    expect(startOfLocalDate('2024-03-11', 'America/New_York')).toBe(Date.UTC(2024, 2, 11, 4)); // EDT
  });

  it('know real dates from look-alikes', () => {
    expect(isCalendarDate('2018-07-25')).toBe(true);
    expect(isCalendarDate('2018-02-30')).toBe(false);
    expect(isCalendarDate('2018-7-25')).toBe(false);
    expect(nextDate('2018-12-31')).toBe('2019-01-01');
  });

  it('read a local date and time back as the instant it names', () => {
    expect(parseLocalDateTime('2018-10-02 16:54:08', 'Asia/Shanghai')).toBe(instant);
    expect(parseLocalDateTime('2018-10-02T16:54', 'Asia/Shanghai')).toBe(instant - 8000);
    expect(parseLocalDateTime('2018-10-02 24:00:00', 'Asia/Shanghai')).toBeUndefined();
    expect(parseLocalDateTime('2018-02-30 10:00:00', 'Asia/Shanghai')).toBeUndefined();
    expect(parseLocalDateTime('yesterday', 'Asia/Shanghai')).toBeUndefined();
  });
});
