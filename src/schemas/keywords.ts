/*
 * Two Ajv keywords of the input schemas, registered in buildApp's validator options. Both close a
 * class of hostile input that JSON Schema's own keywords cannot refuse before Ajv coerces it:
 *
 * - `x-text` (on strings): the text is well-formed UTF-16 — no unpaired surrogate, which the
 *   database drivers silently replace, so a stored key no longer equals the one sent — and holds
 *   no NUL character, which PostgreSQL refuses in text and jsonb.
 * - `x-single-as-list` (on objects): a single value sent for a list property becomes a list of
 *   one (`"resultStatuses": "ANSWERED"`), as docs/api.md promises. Ajv's `coerceTypes: 'array'`
 *   did that but also unwrapped one-item lists sent for single values, and inside `anyOf` it let
 *   lists through unconverted; the validator now coerces scalars only, and this keyword, run on
 *   the object before its properties are checked, wraps the lists' single values.
 * - `x-json` (on free-form values: alert users, attributes): JSON nested at most N deep whose text
 *   is well-formed, whose numbers are finite and whose lists and objects are of bounded size, so
 *   that what is stored can be written and read back by both databases. (A union of JSON Schema
 *   types cannot say this without Ajv coercing between its branches.)
 *
 * Every input schema uses them through the helpers of common.ts; src/http/inputSchemas.test.ts
 * checks every route's request schemas for them (and for bounded numbers and strings).
 */

import type { AnySchemaObject, ErrorObject, KeywordDefinition, SchemaValidateFunction } from 'ajv';
import { isWellFormedText } from '../domain/text.js';

export const TEXT = 'x-text';
export const SINGLE_AS_LIST = 'x-single-as-list';
export const JSON_VALUE = 'x-json';

/** Bounds of free-form JSON values (`x-json`). */
export const JSON_LIMITS = { maxLength: 2000, maxItems: 100, maxProperties: 100, maxKeyLength: 100 } as const;

export const TEXT_RULE = 'must be well-formed text (no NUL character, no unpaired UTF-16 surrogate)';

const wellFormed: SchemaValidateFunction = (_schema, data) => {
  if (typeof data !== 'string' || isWellFormedText(data)) return true;
  wellFormed.errors = [{ keyword: TEXT, message: TEXT_RULE, params: {} }];
  return false;
};

/** Why `value` is not acceptable free-form JSON nested at most `depth` deep, or undefined. */
export function jsonProblem(value: unknown, depth: number): string | undefined {
  if (value === null || typeof value === 'boolean') return undefined;
  if (typeof value === 'number') return Number.isFinite(value) ? undefined : 'must hold finite numbers only';
  if (typeof value === 'string') {
    if (value.length > JSON_LIMITS.maxLength) return `must hold text of at most ${JSON_LIMITS.maxLength} characters`;
    return isWellFormedText(value) ? undefined : `must hold well-formed text (no NUL, no unpaired surrogate)`;
  }
  if (typeof value !== 'object') return 'must be JSON';
  if (depth <= 0) return 'is nested too deeply';
  const entries = Array.isArray(value) ? value.map((v) => ['', v] as const) : Object.entries(value);
  if (Array.isArray(value) ? entries.length > JSON_LIMITS.maxItems : entries.length > JSON_LIMITS.maxProperties)
    return `must hold lists of at most ${JSON_LIMITS.maxItems} items and objects of at most ${JSON_LIMITS.maxProperties} keys`;
  for (const [key, item] of entries) {
    if (key.length > JSON_LIMITS.maxKeyLength || !isWellFormedText(key))
      return `must hold object keys of at most ${JSON_LIMITS.maxKeyLength} characters of well-formed text`;
    const problem = jsonProblem(item, depth - 1);
    if (problem) return problem;
  }
  return undefined;
}

/** Is a property schema a list (and nothing else)? */
const isList = (schema: unknown) =>
  typeof schema === 'object' && schema !== null && (schema as { type?: unknown }).type === 'array';

const isScalar = (value: unknown) =>
  value === null || typeof value === 'string' || typeof value === 'number' || typeof value === 'boolean';

/** The keywords, as Ajv's `keywords` option takes them (Ajv comes with Fastify; only its types are used here). */
export const INPUT_KEYWORDS: KeywordDefinition[] = [
  { keyword: TEXT, type: 'string', schemaType: 'boolean', errors: true, validate: wellFormed },
  {
    keyword: JSON_VALUE,
    schemaType: 'number',
    errors: true,
    compile(depth: number) {
      const check: ((data: unknown) => boolean) & { errors?: Partial<ErrorObject>[] } = (data) => {
        const problem = jsonProblem(data, depth);
        if (problem === undefined) return true;
        check.errors = [{ keyword: JSON_VALUE, message: `${problem} (JSON nested at most ${depth} deep)`, params: {} }];
        return false;
      };
      return check;
    },
  },
  {
    keyword: SINGLE_AS_LIST,
    // No data type: Ajv runs type-less keywords before the object's `properties`.
    schemaType: 'boolean',
    modifying: true,
    errors: false,
    compile(_value: unknown, parentSchema: AnySchemaObject) {
      const lists = Object.entries((parentSchema.properties ?? {}) as Record<string, unknown>)
        .filter(([, schema]) => isList(schema))
        .map(([name]) => name);
      return (data: unknown) => {
        if (typeof data !== 'object' || data === null || Array.isArray(data)) return true;
        const object = data as Record<string, unknown>;
        for (const name of lists) if (isScalar(object[name])) object[name] = [object[name]];
        return true;
      };
    },
  },
];
