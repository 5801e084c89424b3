/* The call-record filters of the records screen, as the list body and as the export's query. */

export interface RecordFilters {
  searchWords: string;
  resultStatuses: string[];
  intentLevels: string[];
  followStatus: string;
  dates: [string, string] | null;
  customerGroupId: number | null;
  dialogFlowId: number | null;
  getTrainTaskList: boolean;
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
  };
}

/** The filters that are set, in the names of getCallRecordInfoList (unset ones left out). */
export function filterBody(f: RecordFilters): Record<string, unknown> {
  const body: Record<string, unknown> = {};
  if (f.searchWords.trim()) body.searchWords = f.searchWords.trim();
  if (f.resultStatuses.length) body.resultStatuses = [...f.resultStatuses];
  if (f.intentLevels.length) body.intentLevels = [...f.intentLevels];
  if (f.followStatus) body.followStatus = f.followStatus;
  if (f.dates) {
    body.earliestCreationTime = f.dates[0];
    body.latestCreationTime = f.dates[1];
  }
  if (f.customerGroupId !== null) body.customerGroupId = f.customerGroupId;
  if (f.dialogFlowId !== null) body.dialogFlowId = f.dialogFlowId;
  if (f.getTrainTaskList) body.getTrainTaskList = true;
  return body;
}
