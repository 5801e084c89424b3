/*
 * The call-record filters of the records screen, as the list body and as the export's query: those
 * of the 2018 getCallRecordInfoList and, under "more filters", the later list's own (hang-up side,
 * called number, customer name, read status, manually marked, concerns, duration, latest call only
 * with its redial number). The server combines them all (docs/console.md).
 */

export interface RecordFilters {
  searchWords: string;
  resultStatuses: string[];
  intentLevels: string[];
  followStatus: string;
  dates: [string, string] | null;
  customerGroupId: number | null;
  dialogFlowId: number | null;
  getTrainTaskList: boolean;
  hangupBy: string;
  calledPhoneNumber: string;
  customerPersonName: string;
  readStatus: string;
  /** '' any, 'true' marked by a person, 'false' not. */
  realIntent: '' | 'true' | 'false';
  customerConcern: string[];
  chatDurationMin: number | null;
  chatDurationMax: number | null;
  lastCallRecord: boolean;
  /** Only with lastCallRecord: 0 = the first attempt. */
  redialTimes: number | null;
}

export function emptyFilters(): RecordFilters {
  return {
    searchWords: '',
    resultStatuses: [],
    intentLevels: [],
    followStatus: '',
    dates: null,
    customerGroupId: null,
    dialogFlowId: null,
    getTrainTaskList: false,
    hangupBy: '',
    calledPhoneNumber: '',
    customerPersonName: '',
    readStatus: '',
    realIntent: '',
    customerConcern: [],
    chatDurationMin: null,
    chatDurationMax: null,
    lastCallRecord: false,
    redialTimes: null,
  };
}

/** How many of the "more filters" (the later list's) are set: shown on the switch. */
export function laterFilterCount(f: RecordFilters): number {
  return [
    f.hangupBy,
    f.calledPhoneNumber.trim(),
    f.customerPersonName.trim(),
    f.readStatus,
    f.realIntent,
    f.customerConcern.length > 0,
    f.chatDurationMin !== null,
    f.chatDurationMax !== null,
    f.lastCallRecord,
  ].filter(Boolean).length;
}

/** Problems the server would refuse (412), by filter name. */
export function validateFilters(f: RecordFilters): Record<string, string> {
  const errors: Record<string, string> = {};
  if (f.chatDurationMin !== null && f.chatDurationMax !== null && f.chatDurationMin > f.chatDurationMax)
    errors.chatDurationMax = 'must not be less than the minimum';
  if (f.lastCallRecord && f.getTrainTaskList) errors.lastCallRecord = 'not with training calls';
  return errors;
}

/** The filters that are set, in the names of getCallRecordInfoList (unset ones left out). */
export function filterBody(f: RecordFilters): Record<string, unknown> {
  const body: Record<string, unknown> = {};
  const last = f.lastCallRecord;
  if (f.searchWords.trim()) body.searchWords = f.searchWords.trim();
  if (f.resultStatuses.length) body.resultStatuses = [...f.resultStatuses];
  if (f.intentLevels.length) body.intentLevels = [...f.intentLevels];
  if (f.followStatus) body.followStatus = f.followStatus;
  if (f.dates) {
    body.earliestCreationTime = f.dates[0];
    body.latestCreationTime = f.dates[1];
  }
  // "Latest call only" takes no group, dialog flow, hang-up side, number, name, marking, concern or read status.
  if (f.customerGroupId !== null && !last) body.customerGroupId = f.customerGroupId;
  if (f.dialogFlowId !== null && !last) body.dialogFlowId = f.dialogFlowId;
  if (f.getTrainTaskList && !last) body.getTrainTaskList = true;
  if (!last) {
    if (f.hangupBy) body.hangupBy = f.hangupBy;
    if (f.calledPhoneNumber.trim()) body.calledPhoneNumber = f.calledPhoneNumber.trim();
    if (f.customerPersonName.trim()) body.customerPersonName = f.customerPersonName.trim();
    if (f.readStatus) body.readStatus = f.readStatus;
    if (f.realIntent) body.realIntent = f.realIntent === 'true';
    if (f.customerConcern.length) body.customerConcern = [...f.customerConcern];
  }
  if (f.chatDurationMin !== null) body.chatDurationMin = f.chatDurationMin;
  if (f.chatDurationMax !== null) body.chatDurationMax = f.chatDurationMax;
  if (last) {
    body.lastCallRecord = true;
    if (f.redialTimes !== null) body.redialTimes = f.redialTimes;
  }
  return body;
}
