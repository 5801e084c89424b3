import { Readable } from 'node:stream';
import yazl from 'yazl';

/*
 * A streaming XLSX writer for one sheet of text and numbers: the sheet's XML written here as its
 * rows arrive, strings inline (no shared-string table, which would have to be held whole); the
 * ZIP container by yazl, which deflates each entry as it streams and puts its sizes and CRC in a
 * data descriptor after it. Memory is the rows of one batch plus zlib's window, whatever the
 * number of rows.
 *
 * yazl rather than the container written by hand (as before) or another library: one small
 * dependency, Node's own zlib (native deflate, off the JavaScript heap), entries from streams of
 * unknown length, and ZIP64 where sizes need it. archiver and zip-stream bring readable-stream,
 * lodash and glob helpers for the same container; fflate deflates in JavaScript, on the event loop.
 * The heap of a 200,000-record export is the same with either container (bench/exportMemory.ts).
 * exceljs would bring a dozen dependencies for the one-sheet case.
 *
 * Limits, kept by `writeXlsx`: Excel's 1,048,576 rows and 32,767 characters per cell, and 4 GiB
 * per sheet (what readers without ZIP64 take): past either the sheet ends with a row that says so.
 */

export type Cell = string | number | null;

export const XLSX_MAX_ROWS = 1_048_576;
export const XLSX_MAX_CELL_CHARS = 32_767;
/** Uncompressed sheet bytes kept below 4 GiB (a ZIP entry without ZIP64), with room for the closing row. */
const MAX_ENTRY_BYTES = 0xffff_ffff - 1024 * 1024;

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

  const zip = new yazl.ZipFile();
  const options = { mtime: now, compressionLevel: 6 };
  for (const [name, text] of STATIC_PARTS) zip.addBuffer(Buffer.from(text, 'utf8'), name, options);
  zip.addBuffer(
    Buffer.from(
      `<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n<workbook xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships"><sheets><sheet name="${escapeXml(sheetName.slice(0, 31).replace(/[\\/?*[\]:]/g, '_'))}" sheetId="1" r:id="rId1"/></sheets></workbook>`,
      'utf8',
    ),
    'xl/workbook.xml',
    options,
  );
  const rows = Readable.from(sheet(), { objectMode: false });
  zip.addReadStream(rows, 'xl/worksheets/sheet1.xml', options);
  zip.end();
  // yazl joins its streams with pipe(), which carries neither an error nor a close along. So: a
  // failed read (the rows' error) fails the file, whose reader then cuts the response off; and a
  // reader that goes away (the file closed) ends the rows, whose generator stops reading.
  const file = zip.outputStream as unknown as Readable;
  rows.on('error', (error) => file.destroy(error));
  zip.on('error', (error: Error) => file.destroy(error));
  file.once('close', () => rows.destroy());
  return file;
}
