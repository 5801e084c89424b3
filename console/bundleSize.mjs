// Prints the console's initial load (the JS and CSS that index.html pulls in, gzip'd) and fails the
// build when it passes the budget: screens loaded on demand (charts, records, import) are not counted.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';

const BUDGET = 400 * 1024;
const dir = new URL('../dist/console/', import.meta.url).pathname;
const html = readFileSync(join(dir, 'index.html'), 'utf8');
const files = [...html.matchAll(/(?:src|href)="\/console\/([^"]+\.(?:js|css))"/g)].map((m) => m[1]);
let total = 0;
for (const file of files) total += gzipSync(readFileSync(join(dir, file)), { level: 9 }).length;
const kb = (n) => `${(n / 1024).toFixed(1)} KB`;
console.log(`console initial load: ${kb(total)} gzip (JS+CSS, ${files.length} files; budget ${kb(BUDGET)})`);
if (total > BUDGET) {
  console.error('the console initial load is over its budget');
  process.exit(1);
}
