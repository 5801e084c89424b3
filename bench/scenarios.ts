import type { BenchJob, DatasetManifest } from './dataset.js';

/*
 * What the bench sends: every request of a run, built from the data set's manifest. The same
 * list drives the load runs (over HTTP) and the query-plan check (in-process, bench/explain.ts),
 * so the plans shown are those of the requests measured.
 */

export type Endpoint = 'floor' | 'getTasks' | 'getTaskDetail' | 'getCallRecordInfoList' | 'callDetail';

/** Which target (BENCHMARKS.md) a scenario is judged against. */
export type Target =
  /** throughput ≥ 40% of the floor on SQLite, ≥ 25% on PostgreSQL */
  | 'ratio'
  /** the list's page 1 on the largest job: throughput ≥ 20% of the floor on SQLite, ≥ 10% on PostgreSQL */
  | 'list-ratio'
  /** getCallRecordInfoList on the largest job: p99 ≤ 50 ms */
  | 'list-p99-50'
  /** a page at offset ≥ 100k: p99 ≤ 50 ms (results before round four name it 'deep-p99-100') */
  | 'deep-p99-50'
  | 'deep-p99-100'
  /** reported, no target (smaller jobs) */
  | 'report';

export interface Scenario {
  id: string;
  endpoint: Endpoint;
  label: string;
  /** Records of the job the request reads, when it reads one. */
  jobSize?: number;
  method: 'GET' | 'POST';
  /** Path with query; for callDetail, the ids in `rotate` replace {id} in turn. */
  path: string;
  body?: Record<string, unknown>;
  rotate?: number[];
  targets: Target[];
}

const LIST = '/apiOpen/v1/task/getCallRecordInfoList';
/** The later API's list: the same records, its own filters (docs/later/call-records.md). */
const LATER_LIST = '/apiOpen/v1/callRecord/getCallRecordInfoList';
export const FLOOR_PATH = '/bench/floor';

const sizeLabel = (n: number) => (n >= 1_000_000 ? `${n / 1_000_000}M` : n >= 1000 ? `${n / 1000}k` : String(n));

function listScenario(
  job: BenchJob,
  key: string,
  label: string,
  body: Record<string, unknown>,
  targets: Target[],
): Scenario {
  return {
    id: `list.${sizeLabel(job.records)}.${key}`,
    endpoint: 'getCallRecordInfoList',
    label,
    jobSize: job.records,
    method: 'POST',
    path: LIST,
    body: { robotCallJobId: job.jobId, pageSize: 20, ...body },
    targets,
  };
}

/** The tenant-local date `days` before the job's last day. */
function daysBefore(job: BenchJob, days: number): string {
  const d = new Date(`${job.lastDay}T00:00:00Z`);
  d.setUTCDate(d.getUTCDate() - days);
  return d.toISOString().slice(0, 10);
}

/** The floor with a body of `bytes` (bench/floor.ts): one per size class the cases' answers need. */
export function floorScenario(bytes: number): Scenario {
  return {
    id: `floor.${bytes}`,
    endpoint: 'floor',
    label: `floor: constant body of ${bytes} bytes, no auth, no database`,
    method: 'GET',
    path: `${FLOOR_PATH}?bytes=${bytes}`,
    targets: [],
  };
}

/** Every case of a run; the floors come from `floorScenario`, once the cases' answer sizes are known. */
export function scenarios(m: DatasetManifest): Scenario[] {
  const out: Scenario[] = [];
  const jobs = [...m.main.jobs].sort((a, b) => a.records - b.records);
  const largest = jobs[jobs.length - 1]!;

  out.push({
    id: 'getTasks.page1',
    endpoint: 'getTasks',
    label: 'getTasks, page 1',
    method: 'GET',
    path: '/apiOpen/v1/task/getTasks',
    targets: ['ratio'],
  });
  out.push({
    id: 'getTasks.name',
    endpoint: 'getTasks',
    label: 'getTasks, name and status filter',
    method: 'GET',
    path: `/apiOpen/v1/task/getTasks?name=${encodeURIComponent('基准')}&status=IN_PROCESS`,
    targets: ['ratio'],
  });
  for (const job of jobs) {
    out.push({
      id: `getTaskDetail.${sizeLabel(job.records)}`,
      endpoint: 'getTaskDetail',
      label: `getTaskDetail, ${sizeLabel(job.records)} job`,
      jobSize: job.records,
      method: 'GET',
      path: `/apiOpen/v1/task/getTaskDetail?robotCallJobId=${job.jobId}`,
      targets: ['ratio'],
    });
  }
  for (const job of jobs) {
    out.push({
      id: `callDetail.${sizeLabel(job.records)}`,
      endpoint: 'callDetail',
      label: `callDetail, ${sizeLabel(job.records)} job (100 records in turn)`,
      jobSize: job.records,
      method: 'GET',
      path: '/apiOpen/v1/task/callDetail?callRecordId={id}',
      rotate: job.samples.callRecordIds,
      targets: ['ratio'],
    });
  }

  for (const job of jobs) {
    const isLargest = job === largest;
    out.push(
      listScenario(job, 'page1', `page 1, no filter`, {}, isLargest ? ['list-p99-50', 'list-ratio'] : ['report']),
    );
    // A page at offset 100,000 when the job has one; on smaller jobs, the last full page.
    const real = job.records - job.trainingRecords;
    const offset = real > 100_020 ? 100_000 : Math.max(0, Math.floor((real - 20) / 20) * 20);
    out.push(
      listScenario(
        job,
        'deep',
        `page at offset ${offset.toLocaleString('en')}`,
        { pageNum: offset / 20 + 1 },
        offset >= 100_000 ? ['deep-p99-50'] : ['report'],
      ),
    );
  }

  const s = largest.samples;
  const week = { earliestCreationTime: daysBefore(largest, 6), latestCreationTime: largest.lastDay };
  const filters: [string, string, Record<string, unknown>, Target[]][] = [
    [
      'group',
      'customerGroupId (a group of 25% of the customers)',
      { customerGroupId: s.customerGroupId },
      ['list-p99-50'],
    ],
    ['flow', 'dialogFlowId (the job’s flow: every record)', { dialogFlowId: largest.dialogFlowId }, ['list-p99-50']],
    ['follow', 'followStatus FOLLOW_UP (12% of customers)', { followStatus: 'FOLLOW_UP' }, ['list-p99-50']],
    [
      'followCommon',
      'followStatus AI_INITIAL_VISIT (70% of customers)',
      { followStatus: 'AI_INITIAL_VISIT' },
      ['list-p99-50'],
    ],
    [
      'dates',
      `creation time, the last 7 days (${week.earliestCreationTime} – ${week.latestCreationTime})`,
      week,
      ['list-p99-50'],
    ],
    ['result', 'resultStatuses [ANSWERED]', { resultStatuses: ['ANSWERED'] }, ['list-p99-50']],
    [
      'resultRare',
      'resultStatuses [FROM_PHONE_ERROR, SYSTEM_ERROR] (3%)',
      { resultStatuses: ['FROM_PHONE_ERROR', 'SYSTEM_ERROR'] },
      ['list-p99-50'],
    ],
    ['intent', 'intentLevels [A, B]', { intentLevels: ['A', 'B'] }, ['list-p99-50']],
    ['training', 'getTrainTaskList true', { getTrainTaskList: true }, ['list-p99-50']],
    [
      'searchName3',
      `searchWords "${s.name3}" (a customer name, 3 characters)`,
      { searchWords: s.name3 },
      ['list-p99-50'],
    ],
    ['searchPhoneFull', `searchWords "${s.phoneFull}" (a full number)`, { searchWords: s.phoneFull }, ['list-p99-50']],
    ['searchPhone4', `searchWords "${s.phone4}" (4 digits)`, { searchWords: s.phone4 }, ['list-p99-50']],
    [
      'searchPhone3',
      `searchWords "${s.phone3}" (3 digits, a mobile prefix)`,
      { searchWords: s.phone3 },
      ['list-p99-50'],
    ],
    ['searchName2', `searchWords "${s.name2}" (a name, 2 characters)`, { searchWords: s.name2 }, ['list-p99-50']],
    ['searchName1', `searchWords "${s.name1}" (a surname, 1 character)`, { searchWords: s.name1 }, ['list-p99-50']],
    ['searchPhone2', `searchWords "${s.phone2}" (2 digits)`, { searchWords: s.phone2 }, ['list-p99-50']],
    [
      'combo.resultIntentDates',
      'resultStatuses + intentLevels + last 7 days',
      { resultStatuses: ['ANSWERED'], intentLevels: ['A', 'B'], ...week },
      ['list-p99-50'],
    ],
    [
      'combo.groupFollowResult',
      'customerGroupId + followStatus + resultStatuses',
      { customerGroupId: s.customerGroupId, followStatus: 'AI_INITIAL_VISIT', resultStatuses: ['ANSWERED'] },
      ['list-p99-50'],
    ],
    [
      'combo.all',
      'every filter kind, searchWords of 4 digits',
      {
        customerGroupId: s.customerGroupId,
        dialogFlowId: largest.dialogFlowId,
        followStatus: 'AI_INITIAL_VISIT',
        resultStatuses: ['ANSWERED', 'NO_ANSWER', 'BUSY'],
        intentLevels: ['A', 'B', 'C', 'E'],
        earliestCreationTime: daysBefore(largest, 60),
        latestCreationTime: largest.lastDay,
        searchWords: s.phone4,
      },
      ['list-p99-50'],
    ],
  ];
  for (const [key, label, body, targets] of filters) out.push(listScenario(largest, key, label, body, targets));

  // The later API's filters, on the largest job. Those call_record_count does not hold are counted
  // row by row inside the job's range of call_record_job_list (or call_record_job_last).
  const later: [string, string, Record<string, unknown>][] = [
    ['page1', 'page 1, no filter', {}],
    ['hangup', 'hangupBy REMOTE_HANGUP', { hangupBy: 'REMOTE_HANGUP' }],
    ['read', 'readStatus HAS_READ (8% of records)', { readStatus: 'HAS_READ' }],
    ['realIntent', 'realIntent true (none: nobody marked)', { realIntent: true }],
    ['duration', 'chatDurationMin 60, chatDurationMax 120', { chatDurationMin: 60, chatDurationMax: 120 }],
    ['concern', `customerConcern ["${s.concern}"]`, { customerConcern: [s.concern] }],
    ['phone', `calledPhoneNumber "${s.phoneFull}" (exact)`, { calledPhoneNumber: s.phoneFull }],
    ['name3', `customerPersonName "${s.name3}"`, { customerPersonName: s.name3 }],
    ['recordId', 'callRecordId', { callRecordId: s.callRecordIds[0] }],
    ['last', 'lastCallRecord true', { lastCallRecord: true }],
    [
      'lastCombo',
      'lastCallRecord + resultStatuses + intentLevels + chatDurationMin + redialTimes',
      {
        lastCallRecord: true,
        resultStatuses: ['ANSWERED'],
        intentLevels: ['A', 'B'],
        chatDurationMin: 30,
        redialTimes: 0,
      },
    ],
    [
      'combo',
      'hangupBy + readStatus + chatDuration + resultStatuses + customerGroupId',
      {
        hangupBy: 'ROBOT_HANGUP',
        readStatus: 'NOT_READ',
        chatDurationMin: 30,
        resultStatuses: ['ANSWERED'],
        customerGroupId: s.customerGroupId,
      },
    ],
  ];
  for (const [key, label, body] of later)
    out.push({
      ...listScenario(largest, `later.${key}`, `callRecord/ list: ${label}`, body, ['list-p99-50']),
      path: LATER_LIST,
    });
  return out;
}
