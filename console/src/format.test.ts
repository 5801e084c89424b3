import { describe, expect, it } from 'vitest';
import { barOption, pieOption, trendOption } from './charts.js';
import { allowedActions, formatDuration, formatPercent, progressOf, statusTagType } from './format.js';
import { createBody, emptyJobForm, isDateTime, validateJob } from './jobForm.js';
import { emptyFilters, filterBody, laterFilterCount, validateFilters } from './records.js';

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
  const valid = () => ({ ...emptyJobForm(), name: ' 春季回访 ', dialogFlowId: 3, phoneNumberIds: [7] });

  it('accepts the defaults with a name, a dialog flow and a line, and sends the later job/create body', () => {
    expect(validateJob(valid())).toEqual({});
    const body = createBody(valid());
    expect(body).toMatchObject({
      name: '春季回访',
      dialogFlowId: 3,
      mode: 'MANUAL',
      robotCount: 1,
      phoneType: 'MOBILE',
      jobPhoneNumberIdList: [7],
      dailyStartTime: '09:00',
      dailyEndTime: '20:00',
      inactiveTimeList: [],
    });
    for (const absent of ['startTime', 'description', 'concurrencyQuota', 'redialCondition', 'redialTimes'])
      expect(body).not.toHaveProperty(absent);
  });

  it('sends the inactive windows and, when redial is on, its condition, interval and times together', () => {
    const form = {
      ...valid(),
      inactiveTimeList: [
        { startTime: '12:00:00', endTime: '13:30:00' },
        { startTime: '17:00', endTime: '17:30' },
      ],
      redial: true,
      redialCondition: ['BUSY'],
      redialInterval: 30,
      redialTimes: 2,
    };
    expect(validateJob(form)).toEqual({});
    expect(createBody(form)).toMatchObject({
      inactiveTimeList: [
        { startTime: '12:00', endTime: '13:30' },
        { startTime: '17:00', endTime: '17:30' },
      ],
      redialCondition: ['BUSY'],
      redialInterval: 30,
      redialTimes: 2,
    });
    expect(createBody({ ...valid(), phoneType: 'LANDLINE', concurrencyQuota: 5 }).concurrencyQuota).toBe(5);
  });

  it('checks what the API checks: names, lines, the 09:00–20:00 hours, three windows, redial limits, a start time', () => {
    const window = { startTime: '12:00', endTime: '13:00' };
    const errors = validateJob({
      ...emptyJobForm(),
      name: 'x'.repeat(101),
      mode: 'AUTO',
      robotCount: 201,
      dailyStartTime: '08:30',
      dailyEndTime: '20:30',
      inactiveTimeList: [window, window, window, { startTime: '12:00', endTime: '11:00' }],
      redial: true,
      redialCondition: [],
      redialTimes: 11,
      redialInterval: 5,
    });
    expect(Object.keys(errors).sort()).toEqual(
      [
        'dailyEndTime',
        'dailyStartTime',
        'dialogFlowId',
        'inactiveTimeList',
        'inactiveTimeList.3',
        'name',
        'phoneNumberIds',
        'redialCondition',
        'redialInterval',
        'redialTimes',
        'robotCount',
        'startTime',
      ].sort(),
    );
    expect(validateJob({ ...valid(), name: '   ' }).name).toBe('required');
    expect(validateJob({ ...valid(), dailyStartTime: '24:00' }).dailyStartTime).toBeDefined();
    expect(validateJob({ ...valid(), phoneType: 'LANDLINE', phoneNumberIds: [1, 2] }).phoneNumberIds).toBeDefined();
    expect(validateJob({ ...valid(), robotCount: 2 }).robotCount).toContain('MOBILE');
    expect(validateJob({ ...valid(), redial: false, redialTimes: 99 })).toEqual({});
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

  it('sends the later list’s filters, and with "latest call only" only those it combines with', () => {
    const more = {
      ...emptyFilters(),
      hangupBy: 'REMOTE_HANGUP',
      calledPhoneNumber: ' 13800000000 ',
      customerPersonName: '王',
      readStatus: 'NOT_READ',
      realIntent: 'true' as const,
      customerConcern: ['价格'],
      chatDurationMin: 10,
      chatDurationMax: 60,
      redialTimes: 1,
    };
    expect(filterBody(more)).toEqual({
      hangupBy: 'REMOTE_HANGUP',
      calledPhoneNumber: '13800000000',
      customerPersonName: '王',
      readStatus: 'NOT_READ',
      realIntent: true,
      customerConcern: ['价格'],
      chatDurationMin: 10,
      chatDurationMax: 60,
    });
    expect(laterFilterCount(more)).toBe(8);
    expect(filterBody({ ...more, lastCallRecord: true, dialogFlowId: 3 })).toEqual({
      chatDurationMin: 10,
      chatDurationMax: 60,
      lastCallRecord: true,
      redialTimes: 1,
    });
    expect(validateFilters({ ...more, chatDurationMin: 61 })).toHaveProperty('chatDurationMax');
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
