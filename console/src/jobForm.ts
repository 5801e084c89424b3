/*
 * The new-job form's rules: the same limits the API checks for `create` (docs/api.md#create), so
 * the user learns of a mistake before sending; the server still decides, and its 412 is shown.
 */

export interface JobForm {
  name: string;
  dialogFlowId: number | null;
  mode: 'MANUAL' | 'AUTO';
  startTime: string;
  robotCount: number;
  phoneType: string;
  phoneNumberIds: number[];
  dailyStartTime: string;
  dailyEndTime: string;
  inactiveStartTime: string;
  inactiveEndTime: string;
  redialTimes: number;
  redialIntervalMinutes: number;
  description: string;
  smsTemplateId: number | null;
  wechatAlertLevel: string[];
  smsAlertLevel: string[];
  wechatSendMethod: string;
}

export function emptyJobForm(): JobForm {
  return {
    name: '',
    dialogFlowId: null,
    mode: 'MANUAL',
    startTime: '',
    robotCount: 1,
    phoneType: 'MOBILE',
    phoneNumberIds: [],
    dailyStartTime: '09:00:00',
    dailyEndTime: '20:00:00',
    inactiveStartTime: '00:00:00',
    inactiveEndTime: '00:00:00',
    redialTimes: 0,
    redialIntervalMinutes: 60,
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
  if (!isInt(form.robotCount, 1, 200)) errors.robotCount = 'must be an integer from 1 to 200';
  if (form.phoneNumberIds.length > 50) errors.phoneNumberIds = 'at most 50 lines';
  const dailyStart = clockSeconds(form.dailyStartTime);
  const dailyEnd = clockSeconds(form.dailyEndTime);
  if (dailyStart === null) errors.dailyStartTime = 'must be HH:mm:ss';
  if (dailyEnd === null) errors.dailyEndTime = 'must be HH:mm:ss';
  if (dailyStart !== null && dailyEnd !== null && dailyStart >= dailyEnd)
    errors.dailyEndTime = 'must be later than the start';
  const inactiveStart = clockSeconds(form.inactiveStartTime);
  const inactiveEnd = clockSeconds(form.inactiveEndTime);
  if (inactiveStart === null) errors.inactiveStartTime = 'must be HH:mm:ss';
  if (inactiveEnd === null) errors.inactiveEndTime = 'must be HH:mm:ss';
  if (inactiveStart !== null && inactiveEnd !== null && inactiveEnd < inactiveStart)
    errors.inactiveEndTime = 'must not be earlier than the start';
  if (!isInt(form.redialTimes, 0, 10)) errors.redialTimes = 'must be an integer from 0 to 10';
  if (!isInt(form.redialIntervalMinutes, 1, 1440)) errors.redialIntervalMinutes = 'must be an integer from 1 to 1440';
  if ([...form.description].length > 500) errors.description = 'must be at most 500 characters';
  if (form.smsTemplateId !== null && !isInt(form.smsTemplateId, 1, Number.MAX_SAFE_INTEGER))
    errors.smsTemplateId = 'must be an id';
  if ([...form.wechatSendMethod].length > 30) errors.wechatSendMethod = 'must be at most 30 characters';
  return errors;
}

/** The create body of a valid form: optional fields left out when not given (the API's defaults apply). */
export function createBody(form: JobForm): Record<string, unknown> {
  const body: Record<string, unknown> = {
    name: form.name.trim(),
    dialogFlowId: form.dialogFlowId,
    mode: form.mode,
    robotCount: form.robotCount,
    phoneType: form.phoneType,
    dailyStartTime: form.dailyStartTime,
    dailyEndTime: form.dailyEndTime,
    inactiveStartTime: form.inactiveStartTime,
    inactiveEndTime: form.inactiveEndTime,
    redialTimes: form.redialTimes,
    redialIntervalMinutes: form.redialIntervalMinutes,
    wechatAlertLevel: form.wechatAlertLevel,
    smsAlertLevel: form.smsAlertLevel,
    wechatSendMethod: form.wechatSendMethod || 'SENDTOALL',
  };
  if (form.mode === 'AUTO') body.startTime = form.startTime.replace('T', ' ');
  if (form.phoneNumberIds.length > 0) body.phoneNumberIds = form.phoneNumberIds;
  if (form.description.trim()) body.description = form.description;
  if (form.smsTemplateId !== null) body.smsTemplateId = form.smsTemplateId;
  return body;
}
