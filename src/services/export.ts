import { Readable } from 'node:stream';
import type { Database } from '../db/database.js';
import { TurnType } from '../domain/enums.js';
import { notFound } from '../domain/errors.js';
import { type CallRecordFilter, listCallRecords } from '../repositories/callRecords.js';
import { existsJob } from '../repositories/jobs.js';
import type { CallRecordListItem } from '../schemas/callRecords.js';
import type { ExportQuery } from '../schemas/console.js';
import type { Caller } from './auth.js';
import { callRecordItems } from './callRecords.js';
import { consoleRecordFilter } from './console.js';
import { type Cell, writeXlsx } from './xlsx.js';

/*
 * The console's export of a job's call records: the rows of the records screen for the same
 * filters (the 2018 list's and the later list's own, services/console.ts), in the same order (newest first), one row per call with the transcript in one column,
 * as CSV (UTF-8 with a BOM, so Excel reads Chinese) or XLSX.
 *
 * Bounded memory for any number of records: the records are read a batch at a time and each batch
 * is written before the next is read, only as fast as the client takes the file. Batches follow
 * each other by start time rather than by offset, so each costs the same however deep into the
 * job it is: a batch asks for the records that started no later than the last one written, and
 * skips only those of that same instant already written.
 */

/** Records read per batch. */
export const EXPORT_BATCH = 500;

export const EXPORT_COLUMNS = [
  '通话ID',
  '开始时间',
  '被叫号码',
  '客户姓名',
  '通话结果',
  '意向等级',
  '通话时长(秒)',
  '对话轮数',
  '客户关注点',
  '客户分组',
  '话术',
  '录音',
  '对话内容',
] as const;

/** One line per turn: `机器人: …` / `客户: …`. */
export function transcriptText(item: Pick<CallRecordListItem, 'callDetailList'>): string {
  return item.callDetailList.map((t) => `${TurnType.label(t.type)}: ${t.text}`).join('\n');
}

export function exportRow(item: CallRecordListItem): Cell[] {
  return [
    item.callRecordId,
    item.startTime,
    item.calledPhoneNumber,
    item.customerPersonInfo?.name ?? '',
    item.resultStatus,
    item.intentLevel,
    item.chatDuration,
    item.chatRound,
    item.customerConcern.join(';'),
    item.customerGroupName ?? '',
    item.dialogFlowName ?? '',
    item.fullAudioUrl ?? '',
    transcriptText(item),
  ];
}

/** Every record of the filter, newest first, a batch at a time. */
export async function* exportBatches(
  db: Database,
  caller: Caller,
  filter: CallRecordFilter,
  batch = EXPORT_BATCH,
): AsyncGenerator<CallRecordListItem[]> {
  let before = filter.startBefore;
  // Records of the instant `before - 1` already written: the next batch skips them.
  let skip = 0;
  for (;;) {
    const rows = await listCallRecords(db, caller.tenantId, { ...filter, startBefore: before }, batch, skip);
    if (rows.length === 0) return;
    yield await callRecordItems(db, caller, rows);
    if (rows.length < batch) return;
    const last = rows[rows.length - 1]!.start_time;
    const sameAsLast = rows.filter((r) => r.start_time === last).length;
    skip = before === last + 1 ? skip + sameAsLast : sameAsLast;
    before = last + 1;
  }
}

/** Checks the job and the filters before anything is sent, so a refusal is still the envelope. */
export async function exportFilter(
  db: Database,
  caller: Caller,
  jobId: number,
  query: ExportQuery,
): Promise<CallRecordFilter> {
  // The records screen's filters, both generations' (services/console.ts): the file holds what the screen lists.
  const filter = consoleRecordFilter(query, jobId, caller.timeZone);
  if (!(await existsJob(db, caller.tenantId, jobId))) throw notFound('robotCallJobId', jobId);
  return filter;
}

/** A CSV field: quoted when it holds a separator, quote or line break; text that a spreadsheet would run as a formula gets a leading apostrophe. */
function csvField(cell: Cell): string {
  if (cell === null) return '';
  if (typeof cell === 'number') return String(cell);
  const text = /^[=@+\-\t\r]/.test(cell) && !/^[+-]?\d[\d\s]*$/.test(cell) ? `'${cell}` : cell;
  return /[",\r\n]/.test(text) ? `"${text.replaceAll('"', '""')}"` : text;
}

const csvLine = (cells: readonly Cell[]) => `${cells.map(csvField).join(',')}\r\n`;

export function exportCsv(db: Database, caller: Caller, filter: CallRecordFilter): Readable {
  async function* lines(): AsyncGenerator<string> {
    yield `\ufeff${csvLine(EXPORT_COLUMNS)}`;
    for await (const items of exportBatches(db, caller, filter)) yield items.map((i) => csvLine(exportRow(i))).join('');
  }
  return Readable.from(lines(), { objectMode: false });
}

export function exportXlsx(db: Database, caller: Caller, filter: CallRecordFilter, sheetName: string): Readable {
  async function* rows(): AsyncGenerator<Cell[][]> {
    for await (const items of exportBatches(db, caller, filter)) yield items.map(exportRow);
  }
  return writeXlsx(sheetName, EXPORT_COLUMNS, rows());
}
