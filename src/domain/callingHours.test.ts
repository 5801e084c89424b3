import { describe, expect, it } from 'vitest';
import { isWithinCallingHours, nextOpening } from './callingHours.js';

const hours = {
  dailyStartTime: '09:00:00',
  dailyEndTime: '20:00:00',
  inactiveStartTime: '12:00:00',
  inactiveEndTime: '13:30:00',
};
const shanghai = (hhmm: string, day = 1) =>
  Date.UTC(2024, 4, day, Number(hhmm.slice(0, 2)) - 8, Number(hhmm.slice(3, 5)));

describe('calling hours', () => {
  it.each([
    ['08:59', false],
    ['09:00', true],
    ['11:59', true],
    ['12:00', false],
    ['13:29', false],
    ['13:30', true],
    ['19:59', true],
    ['20:00', false],
  ])('at %s local a job may dial: %s', (at, open) => {
    expect(isWithinCallingHours(hours, shanghai(at), 'Asia/Shanghai')).toBe(open);
  });

  it('are read in the tenant’s time zone', () => {
    // 10:00 in Shanghai is 22:00 the day before in New York.
    expect(isWithinCallingHours(hours, shanghai('10:00'), 'America/New_York')).toBe(false);
  });

  it('treat an empty inactive window as none', () => {
    const allDay = { ...hours, inactiveStartTime: '00:00:00', inactiveEndTime: '00:00:00' };
    expect(isWithinCallingHours(allDay, shanghai('12:30'), 'Asia/Shanghai')).toBe(true);
  });

  it('say when dialling may go on', () => {
    expect(nextOpening(hours, shanghai('07:00'), 'Asia/Shanghai')).toBe(shanghai('09:00'));
    expect(nextOpening(hours, shanghai('12:10'), 'Asia/Shanghai')).toBe(shanghai('13:30'));
    expect(nextOpening(hours, shanghai('21:00'), 'Asia/Shanghai')).toBe(shanghai('09:00', 2));
  });
});
