/*
 * Builds the SDK package from the SDK's sources in src/client/ (they stay beside the server's
 * schemas, from which their types are derived, and the server's tests and CLI import them there):
 *
 *   dist/index.js    one ESM file, bundled by rolldown (vite's bundler, already in the tree); the
 *                    sources import nothing of the server at run time (`import type` is erased),
 *                    and the check below refuses any import left in the bundle.
 *   dist/index.d.ts  one self-contained declaration file, by dts-bundle-generator: the
 *                    `Static<typeof Schema>` types are kept exact by inlining the server's schema
 *                    declarations and the TypeBox types they use, so a consumer needs neither
 *                    TypeBox nor the server, and a misspelled filter still does not compile.
 *
 * Run by `npm run build:sdk` at the root (part of `prepare`) and by `npm pack` here (prepack).
 */
import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import dtsBundleGenerator from 'dts-bundle-generator';
import { build } from 'rolldown';

const sdk = join(dirname(fileURLToPath(import.meta.url)), '..');
const root = join(sdk, '..', '..');
const entry = join(root, 'src', 'client', 'index.ts');
const dist = join(sdk, 'dist');
const started = Date.now();

rmSync(dist, { recursive: true, force: true });
mkdirSync(dist, { recursive: true });

// Browsers and Node 18+: no node: built-ins, nothing external.
await build({
  input: entry,
  platform: 'neutral',
  logLevel: 'warn',
  output: { file: join(dist, 'index.js'), format: 'esm', sourcemap: false },
});
const js = readFileSync(join(dist, 'index.js'), 'utf8');
const imports = js.match(/^\s*(import|export)\b[^;]*\bfrom\s*['"][^'"]+['"]|\bimport\s*\(/gm) ?? [];
if (imports.length > 0) throw new Error(`dist/index.js imports outside the package: ${imports.join(', ')}`);
const runtime = new Set(Object.keys(await import(`${pathToFileURL(join(dist, 'index.js')).href}?${Date.now()}`)));

const [bundled] = dtsBundleGenerator.generateDtsBundle(
  [
    {
      filePath: entry,
      libraries: { inlinedLibraries: ['@sinclair/typebox'] },
      output: { noBanner: true, exportReferencedTypes: false },
    },
  ],
  { preferredConfigPath: join(sdk, 'tsconfig.json') },
);
const dts = typeOnly(bundled, runtime);
if (/^\s*import\b|\bfrom\s*['"]|\bimport\s*\(/m.test(dts))
  throw new Error('dist/index.d.ts imports outside the package');
writeFileSync(join(dist, 'index.d.ts'), dts);
// On stderr: `npm pack --json` prints its report on stdout.
console.error(`SDK built into ${dist} (${((Date.now() - started) / 1000).toFixed(1)} s)`);

/**
 * dts-bundle-generator writes `export declare const X` for a name the sources re-export with
 * `export type` (a server schema and its type share a name; the resource classes), which would
 * promise consumers a value the bundle does not have. Such a declaration loses its `export`; its
 * name stays exported as a type (`export type { X }`) unless a type alias of that name already is.
 * Every value the bundle exports must be declared, and nothing else as a value.
 */
function typeOnly(text, values) {
  const typeNames = [];
  const out = text.replace(
    /^export declare (const|class|function|abstract class) ([A-Za-z_$][\w$]*)/gm,
    (m, kind, name) => {
      if (values.has(name)) return m;
      if (!new RegExp(`^export (type|interface) ${name.replace('$', '\\$')}\\b`, 'm').test(text)) typeNames.push(name);
      return `declare ${kind} ${name}`;
    },
  );
  for (const name of values)
    if (!new RegExp(`^export declare (const|class|function|abstract class) ${name}\\b`, 'm').test(out))
      throw new Error(`dist/index.d.ts does not declare the bundle's export ${name}`);
  return typeNames.length > 0 ? `${out.trimEnd()}\nexport type { ${typeNames.join(', ')} };\n` : out;
}
