import { readdirSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { format } from 'sql-formatter';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestDatabase, type TestDatabase, testDialect } from '../../../test/harness.js';
import { type ModuleName, QUERY_CASES, type QueryCase, REPOSITORY_MODULES, seed } from './cases.js';

/*
 * The SQL every repository function runs, committed as text (src/repositories/queries/
 * MODULE.DIALECT.sql) so that a change to a query shows in review. Each dialect's project
 * regenerates its files in memory from the cases (cases.ts) and compares them with the committed
 * ones; `npm run sql` (this file with --update) writes them. Both dialects need TEST_DATABASE_URL.
 */

const HERE = fileURLToPath(new URL('.', import.meta.url));
const REPOSITORIES = fileURLToPath(new URL('..', import.meta.url));
const DIALECT_NAME = { sqlite: 'SQLite', postgres: 'PostgreSQL' } as const;
const fileOf = (module: string) => `${module}.${testDialect}.sql`;
const MODULES = Object.keys(REPOSITORY_MODULES) as ModuleName[];

/** Files of src/repositories/ that hold helpers, not queries. */
const NOT_REPOSITORIES = ['rows.ts', 'text.ts'];

const ROLLBACK = Symbol('rollback');

/** The statements one case runs, in order, against the seeded database; nothing it does is kept. */
async function statementsOf(t: TestDatabase, c: QueryCase): Promise<string[]> {
  let statements: string[] = [];
  try {
    await t.database.transaction(async (trx) => {
      const ids = await seed(trx);
      t.queries.length = 0;
      await c.run(trx, ids);
      statements = [...t.queries];
      throw ROLLBACK;
    });
  } catch (error) {
    if (error !== ROLLBACK)
      throw new Error(`the SQL case ${c.module}.${c.fn} (${c.description}) failed: ${(error as Error).message}`, {
        cause: error,
      });
  }
  if (statements.length === 0)
    throw new Error(
      `the SQL case ${c.module}.${c.fn} (${c.description}) ran no SQL: give it arguments that reach its queries (src/repositories/queries/cases.ts)`,
    );
  return statements;
}

const squash = (text: string) => text.replace(/\s+/g, '');

/** A parenthesized list of placeholders only (a row of an insert), which the formatter puts one per line. */
const PLACEHOLDER_LIST = /\(\n(?:[ \t]*(?:\?|\$\d+),?\n)+[ \t]*\)/g;

/** The statement laid out for reading; as Kysely wrote it if the formatter would change more than whitespace. */
function readable(statement: string): string {
  const raw = statement.trim();
  try {
    const pretty = format(raw, {
      language: testDialect === 'sqlite' ? 'sqlite' : 'postgresql',
      tabWidth: 2,
      keywordCase: 'preserve',
    })
      // An insert's row of placeholders on one line.
      .replace(PLACEHOLDER_LIST, (list) => `(${list.slice(1, -1).trim().split(/,?\s+/).join(', ')})`)
      // A unary plus or minus (SQLite's `+r.id` keeps an index out of use) back against its operand.
      .replace(/\b(and|or|not|where|on|when|then|else|select) ([+-]) (?=[\w"(])/g, '$1 $2');
    if (squash(pretty) === squash(raw)) return pretty;
  } catch {
    // Not parsed by sql-formatter: printed as it is.
  }
  return raw;
}

/** The snapshot file of one module: a header, then each case's statements under a comment naming it. */
async function render(t: TestDatabase, module: ModuleName): Promise<string> {
  const blocks = [
    [
      `-- The SQL src/repositories/${module}.ts runs on ${DIALECT_NAME[testDialect]}, for each case of src/repositories/queries/cases.ts.`,
      '-- Written by `npm run sql`; do not edit. Review changes to it as changes to the queries.',
    ].join('\n'),
  ];
  for (const c of QUERY_CASES.filter((q) => q.module === module)) {
    const statements = await statementsOf(t, c);
    blocks.push(`-- ${c.module}.${c.fn}: ${c.description}\n${statements.map((s) => `${readable(s)};`).join('\n\n')}`);
  }
  return `${blocks.join('\n\n')}\n`;
}

describe(`SQL snapshots of the repositories on ${DIALECT_NAME[testDialect]}`, () => {
  let t: TestDatabase;
  beforeAll(async () => {
    t = await createTestDatabase();
  });
  afterAll(async () => {
    await t?.drop();
    if (testDialect === 'sqlite' && !process.env.TEST_DATABASE_URL) {
      console.warn(
        '!! The PostgreSQL SQL snapshots (src/repositories/queries/*.postgres.sql) were SKIPPED, neither checked nor written:\n' +
          '!! TEST_DATABASE_URL is not set. Run: TEST_DATABASE_URL=postgres://postgres@127.0.0.1:5432/postgres npm run sql',
      );
    }
  });

  for (const module of MODULES) {
    it(`src/repositories/queries/${fileOf(module)} is the SQL the code runs`, async () => {
      const actual = await render(t, module);
      await expect(
        actual,
        `src/repositories/queries/${fileOf(module)} is out of date: run \`npm run sql\` and review the diff`,
      ).toMatchFileSnapshot(`./${fileOf(module)}`);
    });
  }
});

describe('SQL snapshot cases', () => {
  it('cover every exported function of every repository module', () => {
    const missing: string[] = [];
    for (const [module, exports] of Object.entries(REPOSITORY_MODULES)) {
      for (const [fn, value] of Object.entries(exports)) {
        if (typeof value === 'function' && !QUERY_CASES.some((c) => c.module === module && c.fn === fn))
          missing.push(`${module}.${fn}`);
      }
    }
    expect(missing, 'functions without a case in src/repositories/queries/cases.ts').toEqual([]);
  });

  it('name only exported functions', () => {
    const unknown = QUERY_CASES.filter(
      (c) => typeof (REPOSITORY_MODULES[c.module] as Record<string, unknown>)[c.fn] !== 'function',
    ).map((c) => `${c.module}.${c.fn}`);
    expect(unknown).toEqual([]);
  });

  it('list every repository module of src/repositories/', () => {
    const files = readdirSync(REPOSITORIES).filter(
      (f) => f.endsWith('.ts') && !f.endsWith('.test.ts') && !NOT_REPOSITORIES.includes(f),
    );
    expect(
      files.map((f) => f.slice(0, -'.ts'.length)).sort(),
      'REPOSITORY_MODULES in src/repositories/queries/cases.ts',
    ).toEqual([...MODULES].sort());
  });

  it('leave no snapshot of a module that is gone', () => {
    const stray = readdirSync(HERE).filter(
      (f) => f.endsWith('.sql') && !MODULES.some((m) => f === `${m}.sqlite.sql` || f === `${m}.postgres.sql`),
    );
    expect(stray, 'snapshot files of no repository module: delete them').toEqual([]);
  });
});
