import { type ClientCredentials, signedHeaders } from '../src/client/signing.js';
import { seededRandom } from '../src/simulator/random.js';
import { callRecordItem } from './callRecordItem.js';
import type { DatasetManifest } from './dataset.js';

/*
 * Ingestion through the bulk endpoint POST /apiOpen/v1/task/addCallRecords: simulated finished
 * calls of the data set's ingestion job (its call tasks' numbers), `batch` per request, `senders`
 * requests in flight. Bodies are made before the clock starts; the figure is call records
 * recorded per second of wall time, from the first request sent to the last answer. Afterwards
 * the job's statistics and list total must have grown by exactly the calls accepted.
 */

export interface IngestResult {
  endpoint: string;
  records: number;
  batch: number;
  senders: number;
  seconds: number;
  recordsPerSecond: number;
  accepted: number;
  duplicates: number;
  /** Milliseconds per request. */
  requestP50: number;
  requestMax: number;
  statisticsAgree: boolean;
  statistics: {
    taskCallTotalBefore: number;
    taskCallTotalAfter: number;
    listTotalBefore: number;
    listTotalAfter: number;
  };
  /** A search measured again (one connection) right after the bulk load. */
  searchAfter?: { id: string; label: string; p50: number; p99: number };
}

const ADD = '/apiOpen/v1/task/addCallRecords';

async function post(baseUrl: string, credentials: ClientCredentials, path: string, body: string): Promise<any> {
  const res = await fetch(baseUrl + path, {
    method: 'POST',
    headers: { ...(await signedHeaders(credentials)), 'content-type': 'application/json' },
    body,
  });
  const text = await res.text();
  if (res.status !== 200) throw new Error(`${path}: HTTP ${res.status} ${text.slice(0, 300)}`);
  return JSON.parse(text);
}

async function get(baseUrl: string, credentials: ClientCredentials, path: string): Promise<any> {
  const res = await fetch(baseUrl + path, { headers: await signedHeaders(credentials) });
  return JSON.parse(await res.text());
}

async function totals(baseUrl: string, credentials: ClientCredentials, jobId: number) {
  const detail = await get(baseUrl, credentials, `/apiOpen/v1/task/getTaskDetail?robotCallJobId=${jobId}`);
  const list = await post(
    baseUrl,
    credentials,
    '/apiOpen/v1/task/getCallRecordInfoList',
    JSON.stringify({ robotCallJobId: jobId, pageSize: 1 }),
  );
  if (detail.code !== 200 || list.code !== 200)
    throw new Error(`reading the ingestion job failed: ${detail.resultMsg} / ${list.resultMsg}`);
  return {
    taskCallTotal: Number(detail.data.callJobStatsInfo.taskCallTotal),
    listTotal: Number(list.data.totalElements),
  };
}

/** True when the bulk endpoint exists (an empty batch is refused with 412, a missing route is 404). */
export async function ingestionEndpointExists(baseUrl: string, credentials: ClientCredentials): Promise<boolean> {
  const r = await post(baseUrl, credentials, ADD, JSON.stringify({ callRecords: [] }));
  return r.code !== 404;
}

export async function measureIngestion(
  baseUrl: string,
  manifest: DatasetManifest,
  options: { records: number; batch: number; senders: number; log: (m: string) => void },
): Promise<IngestResult> {
  const credentials = manifest.main.credentials;
  const { jobId, numbers } = manifest.main.ingestJob;
  const random = seededRandom(Date.now());
  const run = Date.now().toString(36);
  const now = Date.now();
  const bodies: string[] = [];
  for (let made = 0; made < options.records; made += options.batch) {
    const callRecords = [];
    for (let i = made; i < Math.min(options.records, made + options.batch); i++)
      callRecords.push(
        callRecordItem(random, {
          idempotencyKey: `bench-ingest-${run}-${i}`,
          jobId,
          calledPhoneNumber: numbers[i % numbers.length]!,
          now,
        }),
      );
    bodies.push(JSON.stringify({ callRecords }));
  }
  const before = await totals(baseUrl, credentials, jobId);
  options.log(
    `ingesting ${options.records} call records in ${bodies.length} requests of ${options.batch}, ${options.senders} at a time`,
  );

  let next = 0;
  let accepted = 0;
  let duplicates = 0;
  const times: number[] = [];
  const started = performance.now();
  await Promise.all(
    Array.from({ length: options.senders }, async () => {
      while (next < bodies.length) {
        const body = bodies[next++]!;
        const t0 = performance.now();
        const r = await post(baseUrl, credentials, ADD, body);
        times.push(performance.now() - t0);
        if (r.code !== 200) throw new Error(`addCallRecords answered ${r.code}: ${r.resultMsg}`);
        accepted += r.data.accepted;
        duplicates += r.data.duplicates;
      }
    }),
  );
  const seconds = (performance.now() - started) / 1000;
  const after = await totals(baseUrl, credentials, jobId);
  times.sort((a, b) => a - b);
  return {
    endpoint: ADD,
    records: options.records,
    batch: options.batch,
    senders: options.senders,
    seconds: Math.round(seconds * 100) / 100,
    recordsPerSecond: Math.round(accepted / seconds),
    accepted,
    duplicates,
    requestP50: Math.round(times[Math.floor(times.length / 2)]!),
    requestMax: Math.round(times[times.length - 1]!),
    statisticsAgree:
      after.taskCallTotal - before.taskCallTotal === accepted && after.listTotal - before.listTotal === accepted,
    statistics: {
      taskCallTotalBefore: before.taskCallTotal,
      taskCallTotalAfter: after.taskCallTotal,
      listTotalBefore: before.listTotal,
      listTotalAfter: after.listTotal,
    },
  };
}
