import { once } from 'node:events';
import type { Readable } from 'node:stream';
import { readSheet } from 'read-excel-file/node';
import { describe, expect, it } from 'vitest';
import { type Cell, writeXlsx } from './xlsx.js';

/*
 * The XLSX writer's ends: a whole file reads back; a reader that goes away stops the rows being
 * read (the batches' generator is returned); rows that fail fail the file (an 'error' on it, not
 * an exception nobody catches).
 */

const ROW: Cell[] = ['通话', 1, 'x'.repeat(200)];

async function readAll(file: Readable): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of file) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks);
}

describe('writeXlsx', () => {
  it('writes every row, readable by a spreadsheet reader', async () => {
    async function* batches() {
      for (let b = 0; b < 3; b++) yield Array.from({ length: 100 }, (_, i) => [`r${b * 100 + i}`, b * 100 + i]);
    }
    const sheet = await readSheet(await readAll(writeXlsx('表', ['名', '号'], batches())));
    expect(sheet).toHaveLength(301);
    expect(sheet[300]).toEqual(['r299', 299]);
  });

  it('stops reading rows once its reader has gone away', async () => {
    let pulled = 0;
    let returned = false;
    async function* endless() {
      try {
        for (;;) {
          pulled++;
          yield Array.from({ length: 200 }, () => ROW);
        }
      } finally {
        returned = true;
      }
    }
    const file = writeXlsx('表', ['a', 'b', 'c'], endless());
    // Read until rows are being pulled (the sheet comes after the small parts), then go away.
    while (pulled < 3) await once(file, 'data');
    file.destroy();
    for (let i = 0; i < 100 && !returned; i++) await new Promise((r) => setTimeout(r, 10));
    expect(returned).toBe(true);
    const after = pulled;
    await new Promise((r) => setTimeout(r, 50));
    expect(pulled).toBe(after);
  });

  it('fails the file when the rows fail half-way', async () => {
    async function* failing() {
      yield Array.from({ length: 500 }, () => ROW);
      throw new Error('the read failed');
    }
    const file = writeXlsx('表', ['a', 'b', 'c'], failing());
    await expect(readAll(file)).rejects.toThrow('the read failed');
  });
});
