/*
 * The new-job form's rules: the same limits the API checks for the later `job/create`
 * (docs/later/jobs-operations.md: calling hours within 09:00–20:00, up to three inactive windows,
 * the redial condition with its interval and times), so the user learns of a mistake before
 * sending; the server still decides, and its 412 is shown.
 */

export interface InactiveWindow {
  startTime: string;
  endTime: string;
}

export interface JobForm {
  name: string;
  dialogFlowId: number | null;
  mode: 'MANUAL' | 'AUTO';
  startTime: string;
  robotCount: number;
  concurrencyQuota: number;
  phoneType: string;
  phoneNumberIds: number[];
  dailyStartTime: string;
  dailyEndTime: string;
  inactiveTimeList: InactiveWindow[];
  /** Redial failed calls: then redialCondition, redialInterval and redialTimes are sent together. */
  redial: boolean;
  redialCondition: string[];
  redialTimes: number;
  redialInterval: number;
  description: string;
  smsTemplateId: number | null;
  wechatAlertLevel: string[];
  smsAlertLevel: string[];
  wechatSendMethod: string;
}

/** The later API's limits (job/create). */
export const LIMITS = {
  earliestStart: '09:00',
  latestEnd: '20:00',
  maxInactiveWindows: 3,
  redialTimes: [1, 10],
  redialInterval: [6, 1440],
} as const;

/** Results a redial condition may name: every stored result but ANSWERED (an answered call is never redialled). */
export const REDIAL_RESULTS = [
  'NO_ANSWER',
  'BUSY',
  'POWER_OFF',
  'OUT_OF_SERVICE',
  'REFUSED',
  'VACANT_NUMBER',
  'CAN_NOT_CONNECT',
  'FROM_PHONE_ERROR',
  'SYSTEM_ERROR',
] as const;

export function emptyJobForm(): JobForm {
  return {
    name: '',
    dialogFlowId: null,
    mode: 'MANUAL',
    startTime: '',
    robotCount: 1,
    concurrencyQuota: 1,
    phoneType: 'MOBILE',
    phoneNumberIds: [],
    dailyStartTime: '09:00',
    dailyEndTime: '20:00',
    inactiveTimeList: [],
    redial: false,
    redialCondition: ['NO_ANSWER', 'BUSY'],
    redialTimes: 1,
    redialInterval: 60,
    description: '',
    smsTemplateId: null,
    wechatAlertLevel: [],
    smsAlertLevel: [],
    wechatSendMethod: 'SENDTOALL',
  };
}

const CLOCK = /^([01]\d|2[0-3]):[0-5]\d(:[0-5]\d)?$/;
const DATE_TIME = /^(\d{4})-(\d{2})-(\d{2})[ T]([01]\d|2[0-3]):([0-5]\d)(:([0-5]\d))?$/;

/** Seconds since midnight of `HH:mm[:ss]`, or null when it is not a clock time. */
export function clockSeconds(text: string): number | null {
  if (!CLOCK.test(text)) return null;
  const [h, m, s] = text.split(':').map(Number);
  return h! * 3600 + m! * 60 + (s ?? 0);
}

/** A valid `yyyy-MM-dd HH:mm:ss` within 1970–2100 (also `HH:mm`, or `T` for the space). */
export function isDateTime(text: string): boolean {
  const m = DATE_TIME.exec(text);
  if (!m) return false;
  const [year, month, day] = [Number(m[1]), Number(m[2]), Number(m[3])];
  if (year < 1970 || year > 2100) return false;
  const date = new Date(Date.UTC(year, month - 1, day));
  return date.getUTCMonth() === month - 1 && date.getUTCDate() === day;
}

const isInt = (n: unknown, min: number, max: number) =>
  typeof n === 'number' && Number.isInteger(n) && n >= min && n <= max;

/** How many caller lines a phone type takes: MOBILE 1–200 (one call per SIM), LANDLINE exactly 1, UNFIXED_CALL 1–50. */
export function lineLimit(phoneType: string): number {
  return phoneType === 'MOBILE' ? 200 : phoneType === 'UNFIXED_CALL' ? 50 : 1;
}

/** Problems by field name (message keys with their values, in English: the UI translates the field). */
export function validateJob(form: JobForm): Record<string, string> {
  const errors: Record<string, string> = {};
  const name = form.name.trim();
  if (!name) errors.name = 'required';
  else if ([...name].length > 100) errors.name = 'must be at most 100 characters';
  if (form.dialogFlowId === null) errors.dialogFlowId = 'required';
  if (form.mode === 'AUTO') {
    if (!form.startTime) errors.startTime = 'required for an automatic job';
    else if (!isDateTime(form.startTime)) errors.startTime = 'must be yyyy-MM-dd HH:mm:ss';
  }
  const mobile = form.phoneType === 'MOBILE';
  const max = lineLimit(form.phoneType);
  const lines = form.phoneNumberIds.length;
  if (lines < 1 || lines > max)
    errors.phoneNumberIds = max === 1 ? 'exactly 1 line for this phone type' : `1 to ${max} lines for this phone type`;
  if (!isInt(form.robotCount, 1, 200)) errors.robotCount = 'must be an integer from 1 to 200';
  else if (mobile && lines > 0 && form.robotCount > lines)
    errors.robotCount = `must not exceed the ${lines} MOBILE lines (each places one call at a time)`;
  if (!mobile && !isInt(form.concurrencyQuota, 1, 10_000))
    errors.concurrencyQuota = 'must be an integer from 1 to 10000';
  const dailyStart = clockSeconds(form.dailyStartTime);
  const dailyEnd = clockSeconds(form.dailyEndTime);
  if (dailyStart === null) errors.dailyStartTime = 'must be HH:mm';
  else if (dailyStart < 9 * 3600) errors.dailyStartTime = 'must not be earlier than 09:00';
  if (dailyEnd === null) errors.dailyEndTime = 'must be HH:mm';
  else if (dailyEnd > 20 * 3600) errors.dailyEndTime = 'must not be later than 20:00';
  if (dailyStart !== null && dailyEnd !== null && dailyStart >= dailyEnd && !errors.dailyEndTime)
    errors.dailyEndTime = 'must be later than the start';
  if (form.inactiveTimeList.length > LIMITS.maxInactiveWindows) errors.inactiveTimeList = 'at most three windows';
  form.inactiveTimeList.forEach((w, i) => {
    const start = clockSeconds(w.startTime);
    const end = clockSeconds(w.endTime);
    if (start === null || end === null) errors[`inactiveTimeList.${i}`] = 'must be HH:mm';
    else if (end <= start) errors[`inactiveTimeList.${i}`] = 'the end must be later than the start';
  });
  if (form.redial) {
    if (form.redialCondition.length === 0) errors.redialCondition = 'choose at least one result';
    else if (form.redialCondition.includes('ANSWERED')) errors.redialCondition = 'an answered call is never redialled';
    if (!isInt(form.redialTimes, 1, 10)) errors.redialTimes = 'must be an integer from 1 to 10';
    if (!isInt(form.redialInterval, 6, 1440)) errors.redialInterval = 'must be an integer from 6 to 1440';
  }
  if ([...form.description].length > 500) errors.description = 'must be at most 500 characters';
  if (form.smsTemplateId !== null && !isInt(form.smsTemplateId, 1, Number.MAX_SAFE_INTEGER))
    errors.smsTemplateId = 'must be an id';
  if (!['SENDTOALL', 'SENDTOONE', 'SENDTONONE'].includes(form.wechatSendMethod))
    errors.wechatSendMethod = 'must be SENDTOALL, SENDTOONE or SENDTONONE';
  return errors;
}

/** `HH:mm` of `HH:mm[:ss]` (the later API's clock times). */
const hhmm = (text: string) => text.slice(0, 5);

/** The later job/create body of a valid form: optional fields left out when not given (the API's defaults apply). */
export function createBody(form: JobForm): Record<string, unknown> {
  const body: Record<string, unknown> = {
    name: form.name.trim(),
    dialogFlowId: form.dialogFlowId,
    mode: form.mode,
    robotCount: form.robotCount,
    phoneType: form.phoneType,
    jobPhoneNumberIdList: [...form.phoneNumberIds],
    dailyStartTime: hhmm(form.dailyStartTime),
    dailyEndTime: hhmm(form.dailyEndTime),
    inactiveTimeList: form.inactiveTimeList.map((w) => ({ startTime: hhmm(w.startTime), endTime: hhmm(w.endTime) })),
    wechatAlertLevel: form.wechatAlertLevel,
    smsAlertLevel: form.smsAlertLevel,
    wechatSendMethod: form.wechatSendMethod || 'SENDTOALL',
  };
  if (form.phoneType !== 'MOBILE') body.concurrencyQuota = form.concurrencyQuota;
  if (form.redial) {
    body.redialCondition = [...form.redialCondition];
    body.redialInterval = form.redialInterval;
    body.redialTimes = form.redialTimes;
  }
  if (form.mode === 'AUTO') body.startTime = form.startTime.replace('T', ' ');
  if (form.description.trim()) body.description = form.description;
  if (form.smsTemplateId !== null) body.smsTemplateId = form.smsTemplateId;
  return body;
}
