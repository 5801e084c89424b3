import { describe, expect, it } from 'vitest';
import {
  CHUNK_SIZE,
  CustomerFileError,
  chunk,
  describeReason,
  genderOf,
  rowsFromTable,
  tableFromCsv,
  templateCsv,
} from './customers.js';

/* Customer files as the import screen reads them: columns by their headers, rows in chunks the API takes. */

describe('tableFromCsv', () => {
  it('reads quoted fields with commas, quotes and newlines, and drops the UTF-8 BOM', () => {
    const text = '\ufeff电话,姓名,备注\r\n13800138000,"张,三","说 ""你好""\n第二行"\r\n\r\n13900139000,李四,\r\n';
    expect(tableFromCsv(text)).toEqual([
      ['电话', '姓名', '备注'],
      ['13800138000', '张,三', '说 "你好"\n第二行'],
      ['13900139000', '李四', ''],
    ]);
  });
});

describe('rowsFromTable', () => {
  it('finds the phone, name and gender columns by their Chinese or English headers; the rest are properties', () => {
    const parsed = rowsFromTable([
      ['姓名', '手机号', '性别', '城市', ''],
      ['张三', ' 13800138000 ', '男', '杭州', 'x'],
      ['Li', '13900139000', 'female', '', ''],
    ]);
    expect(parsed.rows).toEqual([
      { phoneNumber: '13800138000', name: '张三', gender: 'MALE', properties: { 城市: '杭州' } },
      { phoneNumber: '13900139000', name: 'Li', gender: 'FEMALE' },
    ]);
    expect(parsed.fileIndex).toEqual([0, 1]);
    expect(rowsFromTable([['Phone Number'], ['1']]).rows).toEqual([{ phoneNumber: '1' }]);
  });

  it('leaves number checks to the server but sets aside rows without any number, keeping file positions', () => {
    const parsed = rowsFromTable([
      ['phone', 'name'],
      ['', '无号码'],
      ['12', 'bad'],
      ['13800138000', 'ok'],
    ]);
    expect(parsed.rows.map((r) => r.phoneNumber)).toEqual(['12', '13800138000']);
    expect(parsed.skipped).toEqual([{ index: 0, reason: 'empty' }]);
    expect(parsed.fileIndex).toEqual([1, 2]);
  });

  it('reads numbers and dates from XLSX cells as text', () => {
    expect(
      rowsFromTable([
        ['电话号码', '金额'],
        [13800138000, 12.5],
      ]).rows,
    ).toEqual([{ phoneNumber: '13800138000', properties: { 金额: '12.5' } }]);
  });

  it('refuses a file without a phone column or without data rows', () => {
    expect(() => rowsFromTable([['name'], ['x']])).toThrow(CustomerFileError);
    expect(() => rowsFromTable([['phone']])).toThrow(expect.objectContaining({ reason: 'empty' }));
    expect(() => rowsFromTable([['name'], ['x']])).toThrow(expect.objectContaining({ reason: 'noPhoneColumn' }));
  });

  it('reads its own template', () => {
    const parsed = rowsFromTable(tableFromCsv(templateCsv()));
    expect(parsed.rows).toHaveLength(2);
    expect(parsed.rows[0]).toEqual({
      phoneNumber: '13800138000',
      name: '张三',
      gender: 'MALE',
      properties: { 城市: '杭州' },
    });
  });
});

describe('genderOf', () => {
  it('maps 男/女 and the API names in any case; anything else is UNKNOWN, and nothing stays nothing', () => {
    expect(['男', 'm', 'Male', '女', 'F', 'FEMALE', '?', ''].map(genderOf)).toEqual([
      'MALE',
      'MALE',
      'MALE',
      'FEMALE',
      'FEMALE',
      'FEMALE',
      'UNKNOWN',
      '',
    ]);
  });
});

describe('chunk', () => {
  it('sends at most 1000 rows per request, in order, nothing lost', () => {
    const rows = Array.from({ length: 2501 }, (_, i) => i);
    const parts = chunk(rows);
    expect(CHUNK_SIZE).toBe(1000);
    expect(parts.map((p) => p.length)).toEqual([1000, 1000, 501]);
    expect(parts.flat()).toEqual(rows);
    expect(chunk([], 10)).toEqual([]);
    expect(chunk([1, 2, 3], 3)).toEqual([[1, 2, 3]]);
    expect(() => chunk([1], 0)).toThrow(RangeError);
  });
});

describe('describeReason', () => {
  const lineOf = (index: number) => index + 2;
  it('names the file line a duplicate repeats, not the index in the request', () => {
    expect(describeReason('duplicate of row 0 in this request', lineOf, 'zh')).toBe('与文件第 2 行重复');
    expect(describeReason('duplicate of row 3 in this request', lineOf, 'en')).toBe('duplicate of line 5 of the file');
  });
  it('keeps the server reason, with the Chinese wording first in Chinese', () => {
    expect(describeReason('not a mainland mobile or landline number', lineOf, 'zh')).toBe(
      '不是有效的大陆手机或固话号码 (not a mainland mobile or landline number)',
    );
    expect(describeReason('already in this job', lineOf, 'en')).toBe('already in this job');
    expect(describeReason('something new', lineOf, 'zh')).toBe('something new');
  });
});
