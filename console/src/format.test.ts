import { describe, expect, it } from 'vitest';
import { barOption, pieOption, trendOption } from './charts.js';
import { allowedActions, formatDuration, formatPercent, progressOf, statusTagType } from './format.js';
import { createBody, emptyJobForm, isDateTime, validateJob } from './jobForm.js';
import { emptyFilters, filterBody } from './records.js';

/* The console's small rules: how numbers are shown, what a job form may send, which filters are sent. */

describe('formatting', () => {
  it('shows durations as clock text and the server percentages as they are', () => {
    expect([0, 9, 62, 3723, -5].map(formatDuration)).toEqual(['0:00', '0:09', '1:02', '1:02:03', '0:00']);
    expect(formatPercent(12.5)).toBe('12.5%');
    expect(formatPercent(Number.NaN)).toBe('0%');
  });

  it('draws progress from completed / customers, 0 for an empty job, never above 100', () => {
    expect(progressOf(1, 3)).toBe(33.3);
    expect(progressOf(0, 0)).toBe(0);
    expect(progressOf(5, 4)).toBe(100);
  });

  it('offers the moves of the status table and colours the statuses', () => {
    expect(allowedActions('RUNNABLE')).toEqual(['start', 'stop', 'delete']);
    expect(allowedActions('IN_PROCESS')).toEqual(['pause', 'stop']);
    expect(allowedActions('USER_PAUSE')).toEqual(['resume', 'stop', 'delete']);
    expect(allowedActions('COMPLETED')).toEqual(['delete']);
    expect(statusTagType('IN_PROCESS')).toBe('primary');
    expect(statusTagType('TERMINATE')).toBe('danger');
  });
});

describe('the new job form', () => {
  const valid = () => ({ ...emptyJobForm(), name: ' 春季回访 ', dialogFlowId: 3 });

  it('accepts the defaults with a name and a dialog flow, and sends only what is set', () => {
    expect(validateJob(valid())).toEqual({});
    const body = createBody(valid());
    expect(body).toMatchObject({ name: '春季回访', dialogFlowId: 3, mode: 'MANUAL', robotCount: 1 });
    expect(body).not.toHaveProperty('startTime');
    expect(body).not.toHaveProperty('phoneNumberIds');
    expect(body).not.toHaveProperty('description');
  });

  it('checks what the API checks: names, counts, windows, and a start time for an automatic job', () => {
    const errors = validateJob({
      ...emptyJobForm(),
      name: 'x'.repeat(101),
      mode: 'AUTO',
      robotCount: 201,
      dailyStartTime: '20:00:00',
      dailyEndTime: '09:00',
      inactiveStartTime: '12:00:00',
      inactiveEndTime: '11:00:00',
      redialTimes: 11,
      redialIntervalMinutes: 0,
      phoneNumberIds: Array.from({ length: 51 }, (_, i) => i + 1),
    });
    expect(Object.keys(errors).sort()).toEqual(
      [
        'dailyEndTime',
        'dialogFlowId',
        'inactiveEndTime',
        'name',
        'phoneNumberIds',
        'redialIntervalMinutes',
        'redialTimes',
        'robotCount',
        'startTime',
      ].sort(),
    );
    expect(validateJob({ ...valid(), name: '   ' }).name).toBe('required');
    expect(validateJob({ ...valid(), dailyStartTime: '24:00:00' }).dailyStartTime).toBeDefined();
  });

  it('takes yyyy-MM-dd HH:mm[:ss] start times within 1970–2100 only', () => {
    expect(isDateTime('2025-02-28 09:30:00')).toBe(true);
    expect(isDateTime('2025-02-28T09:30')).toBe(true);
    expect(isDateTime('2025-02-29 09:30:00')).toBe(false);
    expect(isDateTime('9999-12-31 00:00:00')).toBe(false);
    expect(createBody({ ...valid(), mode: 'AUTO', startTime: '2030-01-01T08:00:00' }).startTime).toBe(
      '2030-01-01 08:00:00',
    );
  });
});

describe('record filters', () => {
  it('sends only the filters that are set, with the dates as the day range', () => {
    expect(filterBody(emptyFilters())).toEqual({});
    expect(
      filterBody({
        ...emptyFilters(),
        searchWords: ' 张 ',
        resultStatuses: ['ANSWERED'],
        dates: ['2024-05-01', '2024-05-02'],
        getTrainTaskList: true,
        dialogFlowId: 2,
      }),
    ).toEqual({
      searchWords: '张',
      resultStatuses: ['ANSWERED'],
      earliestCreationTime: '2024-05-01',
      latestCreationTime: '2024-05-02',
      getTrainTaskList: true,
      dialogFlowId: 2,
    });
  });
});

describe('chart options', () => {
  it('plot the server counts in enum order, leaving empty slices out of pies', () => {
    const pie = pieOption({ A: 2, B: 0, C: 1 }, ['A', 'B', 'C'], (k) => `L${k}`);
    expect(pie.series[0]!.data).toEqual([
      { name: 'LA', value: 2 },
      { name: 'LC', value: 1 },
    ]);
    expect(barOption({ LESS_3: 4 }, ['LESS_3', 'F3_T6'], (k) => k).series[0]!.data).toEqual([4, 0]);
  });

  it('draws the five daily series, average length in seconds from hundredths', () => {
    const point = (val: number) => [{ date: '2024-05-01', val }];
    const option = trendOption(
      {
        callJobStatsBrokenLine: {
          taskCallCompletedList: point(10),
          answeredTaskList: point(4),
          answeredTaskRateList: point(40),
          chatDurationTotalList: point(100),
          averageDurationList: point(2500),
        },
      } as never,
      (s) => s,
    );
    expect(option.xAxis.data).toEqual(['2024-05-01']);
    expect(option.series.map((s) => s.data[0])).toEqual([10, 4, 40, 100, 25]);
  });
});
