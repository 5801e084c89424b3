import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestServer, type TestServer } from '../../test/harness.js';
import { JSON_VALUE, SINGLE_AS_LIST, TEXT } from '../schemas/keywords.js';

/*
 * The input limits of docs/api.md hold for every endpoint because every request schema is built
 * from the bounded helpers of src/schemas/common.ts. This test holds each route's request schemas,
 * read from the app's own OpenAPI document (so routes added later are held too), to that rule:
 * numbers have a finite minimum and maximum, text has a maxLength and is checked for NUL and
 * unpaired surrogates, lists have a maxItems, objects turn single values into lists, and nothing
 * is left unconstrained.
 */

type Node = Record<string, any>;

let server: TestServer;
let doc: Node;
beforeAll(async () => {
  server = await startTestServer();
  doc = server.app.swagger() as Node;
});
afterAll(() => server.close());

/** What is wrong with a request schema, as "path: problem" lines. */
function problems(schema: Node, at: string, seen = new Set<Node>()): string[] {
  if (schema.$ref) {
    const name = String(schema.$ref).replace('#/components/schemas/', '');
    return problems(doc.components.schemas[name], `${at}($ref ${name})`, seen);
  }
  if (seen.has(schema)) return [];
  seen.add(schema);
  const out: string[] = [];
  const say = (problem: string) => out.push(`${at || '(root)'}: ${problem}`);
  if (JSON_VALUE in schema) {
    if (!Number.isInteger(schema[JSON_VALUE])) say(`${JSON_VALUE} must give a depth`);
    return out;
  }
  for (const key of ['anyOf', 'oneOf', 'allOf'] as const)
    for (const [i, branch] of (schema[key] ?? []).entries()) out.push(...problems(branch, `${at}|${key}[${i}]`, seen));
  const types: string[] = schema.type === undefined ? [] : [schema.type].flat();
  if (types.length === 0 && !schema.anyOf && !schema.oneOf && !schema.allOf && !('const' in schema) && !schema.enum)
    say('accepts any value: use a typed schema or JsonValue()');
  if (types.includes('integer') || types.includes('number')) {
    for (const bound of ['minimum', 'maximum'] as const)
      if (!Number.isFinite(schema[bound])) say(`a number needs a finite ${bound}`);
  }
  if (types.includes('string') && !schema.enum) {
    if (!Number.isInteger(schema.maxLength)) say('text needs a maxLength');
    if (schema[TEXT] !== true) say(`text needs ${TEXT} (SafeText)`);
  }
  if (types.includes('array')) {
    if (!Number.isInteger(schema.maxItems)) say('a list needs a maxItems');
    if (schema.items) out.push(...problems(schema.items, `${at}[]`, seen));
    else say('a list needs an item schema');
  }
  if (types.includes('object')) {
    const properties = Object.entries((schema.properties ?? {}) as Record<string, Node>);
    if (properties.some(([, p]) => p.type === 'array') && schema[SINGLE_AS_LIST] !== true)
      say(`an object with lists needs ${SINGLE_AS_LIST} (InputObject)`);
    for (const [name, p] of properties) out.push(...problems(p, at ? `${at}.${name}` : name, seen));
    const open = typeof schema.additionalProperties === 'object' || schema.patternProperties;
    if (open) {
      if (!schema.propertyNames) say('an object with free keys needs propertyNames');
      else out.push(...problems(schema.propertyNames, `${at}(key)`, seen));
      for (const value of [
        ...(typeof schema.additionalProperties === 'object' ? [schema.additionalProperties] : []),
        ...Object.values((schema.patternProperties ?? {}) as Record<string, Node>),
      ])
        out.push(...problems(value, `${at}.*`, seen));
    }
  }
  return out;
}

/** Every operation under /apiOpen/ with its request schemas: query parameters and JSON body. */
function operations(): { name: string; schemas: [string, Node][] }[] {
  const out: { name: string; schemas: [string, Node][] }[] = [];
  for (const [path, methods] of Object.entries(doc.paths as Record<string, Record<string, Node>>)) {
    if (!path.startsWith('/apiOpen/')) continue;
    for (const [method, op] of Object.entries(methods)) {
      const schemas: [string, Node][] = [];
      for (const p of op.parameters ?? []) if (p.in === 'query') schemas.push([p.name, p.schema]);
      const body = op.requestBody?.content?.['application/json']?.schema;
      if (body) schemas.push(['', body]);
      out.push({ name: `${method.toUpperCase()} ${path}`, schemas });
    }
  }
  return out;
}

describe('every request schema', () => {
  it('is found: the API has its endpoints', () => {
    expect(operations().length).toBeGreaterThanOrEqual(15);
  });

  it('bounds every number, text, list and object it accepts', () => {
    const found = operations().flatMap(({ name, schemas }) =>
      schemas.flatMap(([at, schema]) => problems(schema, at).map((p) => `${name} ${p}`)),
    );
    expect(found).toEqual([]);
  });

  it('is checked by this test: an unbounded schema is reported', () => {
    expect(problems({ type: 'integer', minimum: 1 }, 'n')).toEqual(['n: a number needs a finite maximum']);
    expect(problems({ type: 'string', maxLength: 5 }, 's')).toEqual([`s: text needs ${TEXT} (SafeText)`]);
    expect(problems({}, 'u')).toEqual(['u: accepts any value: use a typed schema or JsonValue()']);
    expect(
      problems({ type: 'object', properties: { l: { type: 'array', maxItems: 1, items: { type: 'boolean' } } } }, ''),
    ).toEqual([`(root): an object with lists needs ${SINGLE_AS_LIST} (InputObject)`]);
  });
});
