import Papa from 'papaparse';
import type { CustomerRow } from './api.js';

/*
 * Customer files → import rows. A file is a table whose first row names the columns; the phone
 * column is found by its header (电话/手机/phone…), name and gender likewise, and every other
 * non-empty column becomes a customer property. The server validates the numbers: here a row is
 * only refused when it has no number at all.
 */

/** The API takes at most this many customers per request. */
export const CHUNK_SIZE = 1000;

const PHONE = ['电话号码', '电话', '手机号码', '手机号', '手机', '号码', 'phonenumber', 'phone', 'mobile', 'tel'];
const NAME = ['姓名', '客户姓名', '名字', '客户名称', 'name'];
const GENDER = ['性别', 'gender', 'sex'];

const normal = (header: string) =>
  header
    .trim()
    .toLowerCase()
    .replace(/[\s_-]/g, '');

function findColumn(headers: string[], names: string[]): number {
  const normalised = headers.map(normal);
  for (const name of names) {
    const at = normalised.indexOf(name);
    if (at >= 0) return at;
  }
  return -1;
}

export interface ParsedFile {
  headers: string[];
  rows: CustomerRow[];
  /** Rows refused before sending (index into the file's data rows, 0-based), with the reason key. */
  skipped: { index: number; reason: 'empty' }[];
  /** For each row sent, its data-row index in the file (so the server's per-request index maps back). */
  fileIndex: number[];
}

export class CustomerFileError extends Error {
  constructor(readonly reason: 'noPhoneColumn' | 'empty') {
    super(reason);
  }
}

const cellText = (cell: unknown): string => {
  if (cell === null || cell === undefined) return '';
  if (cell instanceof Date) return cell.toISOString();
  return String(cell).trim();
};

/** Import rows from a table (first row: headers), as read from a CSV or an XLSX sheet. */
export function rowsFromTable(table: unknown[][]): ParsedFile {
  const nonEmpty = table.filter((row) => row.some((cell) => cellText(cell) !== ''));
  if (nonEmpty.length < 2) throw new CustomerFileError('empty');
  const headers = nonEmpty[0]!.map(cellText);
  const phoneAt = findColumn(headers, PHONE);
  if (phoneAt < 0) throw new CustomerFileError('noPhoneColumn');
  const nameAt = findColumn(headers, NAME);
  const genderAt = findColumn(headers, GENDER);
  const rows: CustomerRow[] = [];
  const skipped: ParsedFile['skipped'] = [];
  const fileIndex: number[] = [];
  nonEmpty.slice(1).forEach((cells, index) => {
    const phoneNumber = cellText(cells[phoneAt]);
    if (!phoneNumber) {
      skipped.push({ index, reason: 'empty' });
      return;
    }
    const row: CustomerRow = { phoneNumber };
    const name = nameAt >= 0 ? cellText(cells[nameAt]) : '';
    if (name) row.name = name;
    const gender = genderAt >= 0 ? genderOf(cellText(cells[genderAt])) : '';
    if (gender) row.gender = gender;
    const properties: Record<string, string> = {};
    headers.forEach((header, at) => {
      if (at === phoneAt || at === nameAt || at === genderAt || !header) return;
      const value = cellText(cells[at]);
      if (value) properties[header] = value;
    });
    if (Object.keys(properties).length > 0) row.properties = properties;
    rows.push(row);
    fileIndex.push(index);
  });
  return { headers, rows, skipped, fileIndex };
}

/** 男/女 and MALE/FEMALE (any case) as the API's names; anything else is left to the server (UNKNOWN). */
export function genderOf(text: string): string {
  const t = text.trim().toUpperCase();
  if (t === '男' || t === 'M' || t === 'MALE') return 'MALE';
  if (t === '女' || t === 'F' || t === 'FEMALE') return 'FEMALE';
  return t ? 'UNKNOWN' : '';
}

/** Splits rows into requests of at most `size` (the API's limit per import). */
export function chunk<T>(rows: T[], size = CHUNK_SIZE): T[][] {
  if (size < 1) throw new RangeError('size must be at least 1');
  const chunks: T[][] = [];
  for (let at = 0; at < rows.length; at += size) chunks.push(rows.slice(at, at + size));
  return chunks;
}

/** The template offered for download: headers the parser recognises, and two example rows. */
export function templateCsv(): string {
  // The BOM makes Excel read the file as UTF-8 (Chinese headers).
  return '\ufeff电话号码,姓名,性别,城市\r\n13800138000,张三,男,杭州\r\n13900139000,李四,女,上海\r\n';
}

/** The table of a CSV text (quotes, embedded commas and newlines as RFC 4180; a UTF-8 BOM dropped). */
export function tableFromCsv(text: string): string[][] {
  const result = Papa.parse<string[]>(text.replace(/^\ufeff/, ''), { skipEmptyLines: 'greedy' });
  return result.data;
}

const REASONS_ZH: Record<string, string> = {
  'not a mainland mobile or landline number': '不是有效的大陆手机或固话号码',
  'on the do-not-call list': '在免打扰名单中',
  'already in this job': '已在此任务中',
};

/**
 * A rejected row's reason for the results table: the server's text, with "duplicate of row N in
 * this request" (N an index into the request) turned into the file line the user sees, and in
 * Chinese the platform's wording first.
 */
export function describeReason(reason: string, lineOfIndex: (index: number) => number, locale: 'zh' | 'en'): string {
  const duplicate = /^duplicate of row (\d+) in this request$/.exec(reason);
  if (duplicate) {
    const line = lineOfIndex(Number(duplicate[1]));
    return locale === 'zh' ? `与文件第 ${line} 行重复` : `duplicate of line ${line} of the file`;
  }
  const zh = REASONS_ZH[reason];
  return locale === 'zh' && zh ? `${zh} (${reason})` : reason;
}
