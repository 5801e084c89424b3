import { pipeline, Readable } from 'node:stream';
import * as zlib from 'node:zlib';

/*
 * A streaming XLSX writer for one sheet of text and numbers: the ZIP container written entry by
 * entry (sizes and CRC after each entry's data, in a data descriptor), the sheet deflated as its
 * rows arrive, strings inline (no shared-string table, which would have to be held whole). Memory
 * is the rows of one batch plus zlib's window, whatever the number of rows.
 *
 * Written here rather than taken from a library: the one-sheet case is small, and exceljs would
 * bring a dozen dependencies for it. Limits, kept by `writeXlsx`: Excel's 1,048,576 rows and
 * 32,767 characters per cell, and 4 GiB per ZIP entry (no ZIP64): past either the sheet ends with
 * a row that says so.
 */

export type Cell = string | number | null;

export const XLSX_MAX_ROWS = 1_048_576;
export const XLSX_MAX_CELL_CHARS = 32_767;
/** Uncompressed sheet bytes kept below the 4 GiB of a ZIP entry without ZIP64, with room for the closing row. */
const MAX_ENTRY_BYTES = 0xffff_ffff - 1024 * 1024;

const CRC_TABLE = (() => {
  const t = new Uint32Array(256);
  for (let n = 0; n < 256; n++) {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
    t[n] = c >>> 0;
  }
  return t;
})();

/** CRC-32 of `data` continuing from `crc` (zlib's own where Node has it: Node ≥ 20.15). */
function crc32(data: Buffer, crc: number): number {
  const native = (zlib as { crc32?: (d: Buffer, v: number) => number }).crc32;
  if (native) return native(data, crc);
  let c = ~crc >>> 0;
  for (let i = 0; i < data.length; i++) c = CRC_TABLE[(c ^ data[i]!) & 0xff]! ^ (c >>> 8);
  return ~c >>> 0;
}

// Characters XML 1.0 cannot hold: dropped.
// biome-ignore lint/suspicious/noControlCharactersInRegex: they are what is removed
const NOT_XML = /[\u0000-\u0008\u000b\u000c\u000e-\u001f\ufffe\uffff]/g;

function escapeXml(text: string): string {
  return text
    .replace(NOT_XML, '')
    .replace(/[&<>"]/g, (c) => (c === '&' ? '&amp;' : c === '<' ? '&lt;' : c === '>' ? '&gt;' : '&quot;'));
}

function column(index: number): string {
  let name = '';
  for (let n = index + 1; n > 0; n = Math.floor((n - 1) / 26)) name = String.fromCharCode(65 + ((n - 1) % 26)) + name;
  return name;
}

function rowXml(cells: readonly Cell[], rowNumber: number): string {
  let xml = `<row r="${rowNumber}">`;
  cells.forEach((cell, i) => {
    const ref = `${column(i)}${rowNumber}`;
    if (cell === null || cell === '') return;
    if (typeof cell === 'number' && Number.isFinite(cell)) xml += `<c r="${ref}"><v>${cell}</v></c>`;
    else {
      let text = String(cell);
      if (text.length > XLSX_MAX_CELL_CHARS) text = `${text.slice(0, XLSX_MAX_CELL_CHARS - 1)}…`;
      xml += `<c r="${ref}" t="inlineStr"><is><t xml:space="preserve">${escapeXml(text)}</t></is></c>`;
    }
  });
  return `${xml}</row>`;
}

const STATIC_PARTS: [string, string][] = [
  [
    '[Content_Types].xml',
    '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types"><Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/><Default Extension="xml" ContentType="application/xml"/><Override PartName="/xl/workbook.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/><Override PartName="/xl/worksheets/sheet1.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"/><Override PartName="/xl/styles.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.styles+xml"/></Types>',
  ],
  [
    '_rels/.rels',
    '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships"><Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument" Target="xl/workbook.xml"/></Relationships>',
  ],
  [
    'xl/_rels/workbook.xml.rels',
    '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships"><Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/worksheet" Target="worksheets/sheet1.xml"/><Relationship Id="rId2" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/styles" Target="styles.xml"/></Relationships>',
  ],
  [
    'xl/styles.xml',
    '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n<styleSheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><fonts count="1"><font><sz val="11"/><name val="Calibri"/></font></fonts><fills count="2"><fill><patternFill patternType="none"/></fill><fill><patternFill patternType="gray125"/></fill></fills><borders count="1"><border><left/><right/><top/><bottom/><diagonal/></border></borders><cellStyleXfs count="1"><xf numFmtId="0" fontId="0" fillId="0" borderId="0"/></cellStyleXfs><cellXfs count="1"><xf numFmtId="0" fontId="0" fillId="0" borderId="0" xfId="0"/></cellXfs></styleSheet>',
  ],
];

interface Entry {
  name: Buffer;
  crc: number;
  compressed: number;
  size: number;
  offset: number;
}

/** DOS date and time of `at` (UTC), as ZIP headers hold them. */
function dosTime(at: Date): { time: number; date: number } {
  return {
    time: (at.getUTCHours() << 11) | (at.getUTCMinutes() << 5) | Math.floor(at.getUTCSeconds() / 2),
    date: ((at.getUTCFullYear() - 1980) << 9) | ((at.getUTCMonth() + 1) << 5) | at.getUTCDate(),
  };
}

/**
 * The XLSX file of `header` and the rows `batches` yields, as a stream of chunks. Batches are
 * pulled one at a time as the reader takes the output (back-pressure reaches the database reads).
 */
export function writeXlsx(
  sheetName: string,
  header: readonly string[],
  batches: AsyncIterable<readonly Cell[][]>,
  now = new Date(),
): Readable {
  const { time, date } = dosTime(now);
  const entries: Entry[] = [];
  let offset = 0;

  function localHeader(name: Buffer): Buffer {
    const h = Buffer.alloc(30);
    h.writeUInt32LE(0x04034b50, 0);
    h.writeUInt16LE(20, 4);
    h.writeUInt16LE(0x0808, 6); // sizes in a data descriptor; UTF-8 names
    h.writeUInt16LE(8, 8); // deflate
    h.writeUInt16LE(time, 10);
    h.writeUInt16LE(date, 12);
    h.writeUInt16LE(name.length, 26);
    return Buffer.concat([h, name]);
  }

  async function* entry(nameText: string, content: AsyncIterable<Buffer>): AsyncGenerator<Buffer> {
    const name = Buffer.from(nameText, 'utf8');
    const e: Entry = { name, crc: 0, compressed: 0, size: 0, offset };
    const head = localHeader(name);
    offset += head.length;
    yield head;
    async function* counted() {
      for await (const chunk of content) {
        e.crc = crc32(chunk, e.crc);
        e.size += chunk.length;
        yield chunk;
      }
    }
    const deflate = zlib.createDeflateRaw({ level: 6 });
    // The callback form, not the promise: a failed read destroys `deflate` with its error, which
    // the loop below throws, and a reader that goes away ends the loop, whose return destroys
    // `deflate` and so the source. A promise awaited only after the loop would be left rejected
    // with no handler in both cases, and end the process.
    pipeline(Readable.from(counted()), deflate, () => {});
    for await (const chunk of deflate as AsyncIterable<Buffer>) {
      e.compressed += chunk.length;
      offset += chunk.length;
      yield chunk;
    }
    const d = Buffer.alloc(16);
    d.writeUInt32LE(0x08074b50, 0);
    d.writeUInt32LE(e.crc >>> 0, 4);
    d.writeUInt32LE(e.compressed, 8);
    d.writeUInt32LE(e.size, 12);
    offset += d.length;
    yield d;
    entries.push(e);
  }

  async function* sheet(): AsyncGenerator<Buffer> {
    let bytes = 0;
    const out = (text: string) => {
      const b = Buffer.from(text, 'utf8');
      bytes += b.length;
      return b;
    };
    yield out(
      `<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><sheetData>${rowXml(header, 1)}`,
    );
    let rowNumber = 1;
    let cut: string | undefined;
    for await (const batch of batches) {
      let xml = '';
      for (const cells of batch) {
        if (rowNumber + 1 >= XLSX_MAX_ROWS)
          cut = `导出已截断: Excel holds at most ${XLSX_MAX_ROWS} rows; export CSV for all`;
        else if (bytes + xml.length * 3 > MAX_ENTRY_BYTES)
          cut = '导出已截断: the sheet reached 4 GiB; export CSV for all';
        if (cut) break;
        xml += rowXml(cells, ++rowNumber);
      }
      if (xml) yield out(xml);
      if (cut) break;
    }
    yield out(`${cut ? rowXml([cut], rowNumber + 1) : ''}</sheetData></worksheet>`);
  }

  async function* once(text: string): AsyncGenerator<Buffer> {
    yield Buffer.from(text, 'utf8');
  }

  async function* zip(): AsyncGenerator<Buffer> {
    for (const [name, text] of STATIC_PARTS) yield* entry(name, once(text));
    yield* entry(
      'xl/workbook.xml',
      once(
        `<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n<workbook xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships"><sheets><sheet name="${escapeXml(sheetName.slice(0, 31).replace(/[\\/?*[\]:]/g, '_'))}" sheetId="1" r:id="rId1"/></sheets></workbook>`,
      ),
    );
    yield* entry('xl/worksheets/sheet1.xml', sheet());
    const start = offset;
    const central: Buffer[] = [];
    for (const e of entries) {
      const c = Buffer.alloc(46);
      c.writeUInt32LE(0x02014b50, 0);
      c.writeUInt16LE(20, 4);
      c.writeUInt16LE(20, 6);
      c.writeUInt16LE(0x0808, 8);
      c.writeUInt16LE(8, 10);
      c.writeUInt16LE(time, 12);
      c.writeUInt16LE(date, 14);
      c.writeUInt32LE(e.crc >>> 0, 16);
      c.writeUInt32LE(e.compressed, 20);
      c.writeUInt32LE(e.size, 24);
      c.writeUInt16LE(e.name.length, 28);
      c.writeUInt32LE(e.offset, 42);
      central.push(c, e.name);
    }
    const dir = Buffer.concat(central);
    const end = Buffer.alloc(22);
    end.writeUInt32LE(0x06054b50, 0);
    end.writeUInt16LE(entries.length, 8);
    end.writeUInt16LE(entries.length, 10);
    end.writeUInt32LE(dir.length, 12);
    end.writeUInt32LE(start, 16);
    yield Buffer.concat([dir, end]);
  }

  return Readable.from(zip(), { objectMode: false });
}
