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

describe('calling hours with up to three inactive windows (inactiveTimeList)', () => {
  const three = {
    dailyStartTime: '09:00:00',
    dailyEndTime: '20:00:00',
    inactiveTimeList: [
      { startTime: '12:00', endTime: '13:00' },
      { startTime: '15:00:00', endTime: '15:30:00' },
      { startTime: '18:00', endTime: '18:45' },
    ],
  };

  it.each([
    ['11:59', true],
    ['12:00', false],
    ['13:00', true],
    ['14:59', true],
    ['15:00', false],
    ['15:29', false],
    ['15:30', true],
    ['17:59', true],
    ['18:00', false],
    ['18:44', false],
    ['18:45', true],
  ])('at %s local a job may dial: %s', (at, open) => {
    expect(isWithinCallingHours(three, shanghai(at), 'Asia/Shanghai')).toBe(open);
  });

  it('resume at the end of the window they are in, and after the daily window the next day', () => {
    expect(nextOpening(three, shanghai('12:30'), 'Asia/Shanghai')).toBe(shanghai('13:00'));
    expect(nextOpening(three, shanghai('15:10'), 'Asia/Shanghai')).toBe(shanghai('15:30'));
    expect(nextOpening(three, shanghai('18:10'), 'Asia/Shanghai')).toBe(shanghai('18:45'));
    expect(nextOpening(three, shanghai('20:10'), 'Asia/Shanghai')).toBe(shanghai('09:00', 2));
  });

  it('skip a window ending inside another, and a window covering the daily opening', () => {
    const overlapping = {
      dailyStartTime: '09:00',
      dailyEndTime: '20:00',
      inactiveTimeList: [
        { startTime: '08:00', endTime: '10:00' },
        { startTime: '12:00', endTime: '13:00' },
        { startTime: '12:30', endTime: '14:00' },
      ],
    };
    expect(isWithinCallingHours(overlapping, shanghai('09:30'), 'Asia/Shanghai')).toBe(false);
    expect(nextOpening(overlapping, shanghai('12:10'), 'Asia/Shanghai')).toBe(shanghai('14:00'));
    expect(nextOpening(overlapping, shanghai('07:00'), 'Asia/Shanghai')).toBe(shanghai('10:00'));
    expect(nextOpening(overlapping, shanghai('21:00'), 'Asia/Shanghai')).toBe(shanghai('10:00', 2));
  });

  it('treat empty or reversed windows as none', () => {
    const none = { ...three, inactiveTimeList: [{ startTime: '00:00', endTime: '00:00' }] };
    expect(isWithinCallingHours(none, shanghai('12:30'), 'Asia/Shanghai')).toBe(true);
    expect(isWithinCallingHours({ ...three, inactiveTimeList: [] }, shanghai('15:10'), 'Asia/Shanghai')).toBe(true);
  });
});
