import http from 'node:http';
import { type ClientCredentials, signedHeaders, signedHeadersV2 } from '../src/client/signing.js';
import { loadConfig } from '../src/config.js';
import type { Database } from '../src/db/database.js';
import { isWellFormedText } from '../src/domain/text.js';
import { JSON_VALUE, jsonProblem, TEXT } from '../src/schemas/keywords.js';
import { createConsoleUser } from '../src/services/consoleUsers.js';
import { between, pick, type Random, seededRandom } from '../src/simulator/random.js';
import { TenantFixture } from './fixtures.js';
import { recomputeStats } from './recompute.js';

/*
 * Random input for every endpoint, derived from the app's own OpenAPI document (so endpoints added
 * later are covered with no change here), sent over loopback to the real server:
 * - valid requests, built from each parameter's schema, its examples, and ids and numbers the
 *   server has answered with (so they reach existing jobs and records);
 * - mutated ones: one parameter or body field replaced by a hostile value (huge, negative,
 *   fractional or infinite numbers, numeric text beyond range, lists or objects for single
 *   values, NUL, unpaired surrogates, very long or deeply nested values, impossible dates);
 * - hostile ones: bad JSON, other content types, non-object bodies, unknown fields, bad or missing
 *   signatures, paths and methods the router refuses.
 * Every answer must be the envelope with a code other than 500; a request whose value no schema
 * could accept (judged independently, below) must get 412; and afterwards every job and call
 * record stored must be readable, with statistics that equal a recomputation from the list.
 * Request i of a run is a function of (seed, i) and the setup alone, so a failure can be replayed.
 */

type Schema = Record<string, any>;

export interface Operation {
  method: string;
  path: string;
  signed: boolean;
  /** A console route (/console/api/): a session cookie instead of a signature. */
  console: boolean;
  /** Path parameters (`{id}`). */
  params: { name: string; schema: Schema }[];
  query: { name: string; required: boolean; schema: Schema }[];
  body?: Schema;
}

/** The operations under /apiOpen/ and /console/api/ of an OpenAPI document. */
export function operationsOf(doc: Schema): Operation[] {
  const out: Operation[] = [];
  for (const [path, methods] of Object.entries(doc.paths as Record<string, Record<string, Schema>>)) {
    if (!path.startsWith('/apiOpen/') && !path.startsWith('/console/api/')) continue;
    for (const [method, op] of Object.entries(methods)) {
      out.push({
        method: method.toUpperCase(),
        path,
        signed: Array.isArray(op.security) && op.security.length > 0,
        console: path.startsWith('/console/api/'),
        params: (op.parameters ?? [])
          .filter((p: Schema) => p.in === 'path')
          .map((p: Schema) => ({ name: p.name, schema: p.schema })),
        query: (op.parameters ?? [])
          .filter((p: Schema) => p.in === 'query')
          .map((p: Schema) => ({ name: p.name, required: p.required === true, schema: p.schema })),
        body: op.requestBody?.content?.['application/json']?.schema,
      });
    }
  }
  return out.sort((a, b) => `${a.path} ${a.method}`.localeCompare(`${b.path} ${b.method}`));
}

/** A JSON number written as given (1e400), which JSON.stringify cannot write. */
class RawNumber {
  constructor(readonly text: string) {}
}

function jsonText(value: unknown): string {
  const raws: string[] = [];
  const text = JSON.stringify(value, (_k, v) => (v instanceof RawNumber ? `\u0001RAW${raws.push(v.text) - 1}` : v));
  return text.replace(/"\\u0001RAW(\d+)"/g, (_m, i) => raws[Number(i)]!);
}

/** Values the server has answered with, by field name: ids, numbers, keys. */
export class Pools {
  private readonly values = new Map<string, unknown[]>();
  /** Bodies the server accepted, by "METHOD /path": bases that valid and mutated requests vary. */
  readonly accepted = new Map<string, unknown[]>();

  accept(method: string, path: string, body: unknown): void {
    const key = `${method} ${path}`;
    this.accepted.set(key, [...(this.accepted.get(key) ?? []), structuredClone(body)]);
  }

  /** Collects every short scalar of an answer under its field name. */
  harvest(value: unknown, key = ''): void {
    if (Array.isArray(value)) for (const v of value) this.harvest(v, key);
    else if (value && typeof value === 'object') for (const [k, v] of Object.entries(value)) this.harvest(v, k);
    else if (
      key &&
      ((typeof value === 'number' && Number.isSafeInteger(value) && value > 0) ||
        (typeof value === 'string' && value.length > 0 && value.length <= 64))
    ) {
      const list = this.values.get(key) ?? [];
      if (!list.includes(value) && list.length < 300) list.push(value);
      this.values.set(key, list);
    }
  }

  /** Values seen for `name`, or for its singular (`phoneNumberIds` → `phoneNumberId`). */
  of(name: string): unknown[] {
    return this.values.get(name) ?? this.values.get(name.replace(/s$/, '')) ?? [];
  }

  /** A value seen for `name` — or, for an id, now and then one a little past the largest seen: a row the run itself may have created. */
  pick(random: Random, name: string): unknown {
    const seen = this.of(name);
    if (seen.length === 0) return undefined;
    const ids = seen.filter((v): v is number => typeof v === 'number');
    if (/Ids?$/.test(name) && ids.length > 0 && random() < 0.15) return Math.max(...ids) + between(random, 1, 30);
    return pick(random, seen);
  }
}

export interface FuzzTenant {
  credentials: ClientCredentials;
  /** A signed-in console user's cookie and CSRF token (the primary tenant's). */
  console?: { cookie: string; csrfToken: string };
}

/**
 * Console operations never sent with the session: they would end it, change its password, switch
 * off the key the run signs with, or answer a file rather than the envelope. Without a session they
 * are still sent, and must be refused with 401.
 */
const SESSIONLESS =
  /^(DELETE \/console\/api\/session|POST \/console\/api\/password|POST \/console\/api\/keys\/\{appKey\}\/disable|GET .*\.(csv|xlsx))$/;

interface Planned {
  label: string;
  /** The operation planned, `METHOD /path` as the OpenAPI document names it. */
  operation: string;
  method: string;
  /** Path and query as sent. */
  target: string;
  headers: Record<string, string>;
  body?: string;
  /** Why this request must be refused with this code. */
  expect?: { codes: number[]; why: string };
  /** A refusal of the router or Node itself (bad URL encoding, unknown method). */
  routerLevel?: boolean;
}

/** The hostile values a field is replaced with. */
function hostileValues(random: Random, schema: Schema): unknown[] {
  const maxLength = typeof schema.maxLength === 'number' ? schema.maxLength : 100;
  let deep: unknown = 1;
  for (let i = 0; i < 2000; i++) deep = [deep];
  return [
    new RawNumber('1e400'),
    new RawNumber('-1e400'),
    new RawNumber('1e308'),
    'Infinity',
    '-Infinity',
    'NaN',
    2 ** 53,
    2 ** 63,
    8640000000000001,
    -1,
    0,
    1.5,
    -0.5,
    '9999999999999999',
    '1e400',
    '0x10',
    ' 7 ',
    '',
    [],
    [1, 2],
    ['A'],
    [1714528800000],
    {},
    { a: 1 },
    null,
    true,
    false,
    '\u0000',
    'a\u0000b',
    '\ud800',
    'x\udc00',
    '\ud800\ud800y',
    'x'.repeat(maxLength + 1),
    'x'.repeat(between(random, 10_000, 100_000)),
    '😀'.repeat(Math.min(maxLength, 60)),
    "' or 1=1 --",
    '%_\\',
    '"quoted"',
    '<script>alert(1)</script>',
    '\u202e\ufeff',
    ' ',
    '9999-12-31',
    '0000-00-00',
    '1969-12-31',
    '2100-12-31 23:59:60',
    '2024-02-30',
    '25:61:61',
    'null',
    deep,
  ];
}

/** Would every schema-valid reading of `value` be refused? An independent judge of the input limits. */
function refused(doc: Schema, schema: Schema | undefined, value: unknown): boolean {
  if (!schema) return false;
  if (schema.$ref) return refused(doc, doc.components.schemas[String(schema.$ref).split('/').pop()!], value);
  const v = value instanceof RawNumber ? Number(value.text) : value;
  if (JSON_VALUE in schema) return jsonProblem(v, schema[JSON_VALUE]) !== undefined;
  if (schema.anyOf) return (schema.anyOf as Schema[]).every((branch) => refused(doc, branch, value));
  const types: string[] = schema.type === undefined ? [] : [schema.type].flat();
  if (types.length !== 1) return false;
  const type = types[0]!;
  if (type === 'integer' || type === 'number') {
    let n: number;
    if (typeof v === 'number') n = v;
    // Ajv coerces text that equals its number (`x == +x`: any text Number() reads), booleans and null.
    else if (typeof v === 'string') {
      if (v === '' || Number.isNaN(Number(v))) return true;
      n = +v;
    } else if (typeof v === 'boolean') n = v ? 1 : 0;
    else if (v === null) n = 0;
    else return true;
    if (!Number.isFinite(n) || (type === 'integer' && !Number.isInteger(n))) return true;
    return n < schema.minimum || n > schema.maximum;
  }
  if (type === 'string') {
    let s: string;
    if (typeof v === 'string') s = v;
    else if (typeof v === 'number' || typeof v === 'boolean') s = String(v);
    else if (v === null) s = '';
    else return true;
    const length = [...s].length;
    if (typeof schema.maxLength === 'number' && length > schema.maxLength) return true;
    if (typeof schema.minLength === 'number' && length < schema.minLength) return true;
    if (schema.enum && !schema.enum.includes(s)) return true;
    return schema[TEXT] === true && !isWellFormedText(s);
  }
  if (type === 'array') {
    if (v !== null && typeof v === 'object' && !Array.isArray(v)) return true;
    // A single value is a list of one (x-single-as-list, checked on every input object).
    const list = Array.isArray(v) ? v : [v];
    if (typeof schema.maxItems === 'number' && list.length > schema.maxItems) return true;
    if (typeof schema.minItems === 'number' && list.length < schema.minItems) return true;
    return list.some((item) => refused(doc, schema.items, item));
  }
  if (type === 'object') return v === null || typeof v !== 'object' || Array.isArray(v);
  return false;
}

const CJK = '张王李赵刘陈杨黄周吴价格交通学区回访测试客户任务';
const TEXT_CHARS = `abcXYZ012 _-.%${CJK}`;

/** Builds requests from the OpenAPI document; request i depends on (seed, i) and the pools only. */
export class RequestPlanner {
  readonly operations: Operation[];

  constructor(
    readonly doc: Schema,
    readonly pools: Pools,
    readonly primary: FuzzTenant,
    readonly other: FuzzTenant,
    readonly seed: number,
    /** Signs isv/updateIsvInfo, which may change its tenant's sign: a tenant of its own, so the others' keep working. */
    readonly signChanger: FuzzTenant = primary,
  ) {
    this.operations = operationsOf(doc);
  }

  /** An operation; those that delete are picked a twentieth as often, so that data builds up to be read back. */
  private operation(random: Random): Operation {
    const weight = (op: Operation) => (/delete|remove/i.test(op.path) ? 0.05 : op.method === 'DELETE' ? 0.25 : 1);
    let roll = random() * this.operations.reduce((sum, op) => sum + weight(op), 0);
    for (const op of this.operations) {
      roll -= weight(op);
      if (roll < 0) return op;
    }
    return this.operations[this.operations.length - 1]!;
  }

  private resolve(schema: Schema): Schema {
    return schema.$ref ? this.resolve(this.doc.components.schemas[String(schema.$ref).split('/').pop()!]) : schema;
  }

  /** A value the schema accepts, preferring values the server knows. */
  value(random: Random, schema: Schema, name: string, depth = 0): unknown {
    schema = this.resolve(schema);
    const known = this.pools.of(name);
    if (JSON_VALUE in schema) return pick(random, [1, 'x', true, null, { id: between(random, 1, 9) }, ['a', 2]]);
    if (Array.isArray(schema.examples) && schema.examples.length > 0 && random() < 0.85)
      return pick(random, schema.examples);
    if (schema.anyOf) return this.value(random, pick(random, schema.anyOf as Schema[]), name, depth);
    const type = [schema.type].flat()[0];
    switch (type) {
      case 'integer':
      case 'number': {
        if (known.length > 0 && random() < 0.8) {
          const v = this.pools.pick(random, name);
          if (typeof v === 'number' && v >= schema.minimum && v <= schema.maximum) return v;
        }
        const min = Number.isFinite(schema.minimum) ? schema.minimum : 0;
        const max = Number.isFinite(schema.maximum) ? schema.maximum : 1000;
        const r = random();
        const n = r < 0.1 ? max : r < 0.4 ? min : min + Math.floor(random() * Math.min(100, max - min + 1));
        return type === 'number' && random() < 0.3 ? n + 0.5 : n;
      }
      case 'boolean':
        return random() < 0.5;
      case 'string': {
        if (known.some((v) => typeof v === 'string') && random() < 0.7) {
          const v = this.pools.pick(random, name);
          if (typeof v === 'string') return v;
        }
        if (/phone/i.test(name) && random() < 0.8)
          return `1${between(random, 3, 9)}${between(random, 0, 999_999_999).toString().padStart(9, '0')}`;
        const min = schema.minLength ?? 0;
        const max = Math.min(schema.maxLength ?? 24, 24);
        const length = between(random, Math.max(min, 1), Math.max(min, max, 1));
        let s = '';
        for (let i = 0; i < length; i++) s += pick(random, [...TEXT_CHARS]);
        return s;
      }
      case 'array': {
        const min = schema.minItems ?? 0;
        const max = Math.min(schema.maxItems ?? 3, 3);
        const n = between(random, min, Math.max(min, max));
        return Array.from({ length: n }, () => this.value(random, schema.items ?? {}, name, depth + 1));
      }
      case 'object': {
        const out: Record<string, unknown> = {};
        const required = new Set<string>(schema.required ?? []);
        for (const [key, s] of Object.entries((schema.properties ?? {}) as Record<string, Schema>))
          if (required.has(key) || random() < 0.5) out[key] = this.value(random, s, key, depth + 1);
        if (typeof schema.additionalProperties === 'object' && depth < 4)
          for (let i = between(random, 0, 2); i > 0; i--)
            out[`属性${between(random, 1, 20)}`] = this.value(random, schema.additionalProperties, name, depth + 1);
        return out;
      }
      default:
        return null;
    }
  }

  /** Every (path, schema) of a value built from `schema`: the fields a mutation may replace. */
  private fields(value: unknown, schema: Schema, at: (string | number)[], out: [(string | number)[], Schema][]): void {
    schema = this.resolve(schema);
    if (at.length > 0) out.push([at, schema]);
    if (schema.anyOf || JSON_VALUE in schema) return;
    if (Array.isArray(value) && schema.items)
      value.forEach((v, i) => {
        this.fields(v, schema.items, [...at, i], out);
      });
    else if (value && typeof value === 'object' && !Array.isArray(value)) {
      for (const [k, v] of Object.entries(value)) {
        const s =
          schema.properties?.[k] ??
          (typeof schema.additionalProperties === 'object' ? schema.additionalProperties : undefined);
        if (s) this.fields(v, s, [...at, k], out);
      }
      // A property left out may be added with a hostile value too.
      for (const [k, s] of Object.entries((schema.properties ?? {}) as Record<string, Schema>))
        if (!(k in (value as object))) out.push([[...at, k], this.resolve(s)]);
    }
  }

  /**
   * A body the schema accepts: half the time one the server accepted in the setup with a field or
   * two made anew, so that a hostile value later put into it is the only thing wrong with it and
   * reaches the services and the database. An idempotencyKey is mostly new, so calls get recorded.
   */
  private body(random: Random, op: Operation, i: number): unknown {
    const bases = this.pools.accepted.get(`${op.method} ${op.path}`) ?? [];
    let body: unknown;
    if (bases.length > 0 && random() < 0.6) {
      body = structuredClone(pick(random, bases));
      const found: [(string | number)[], Schema][] = [];
      this.fields(body, op.body!, [], found);
      for (let n = between(random, 0, 2); n > 0 && found.length > 0; n--) {
        const [at, schema] = pick(random, found);
        body = replaceAt(body, at, this.value(random, schema, String(at[at.length - 1])));
      }
    } else body = this.value(random, op.body!, '');
    let n = 0;
    const freshKeys = (v: unknown): unknown => {
      if (Array.isArray(v)) return v.map(freshKeys);
      if (!v || typeof v !== 'object') return v;
      const o = Object.fromEntries(Object.entries(v).map(([k, x]) => [k, freshKeys(x)]));
      if (typeof o.idempotencyKey === 'string' && random() < 0.7) o.idempotencyKey = `fz-${this.seed}-${i}-${n++}`;
      return o;
    };
    return freshKeys(body);
  }

  async plan(i: number): Promise<Planned> {
    const random = seededRandom(Math.imul(this.seed ^ 0x5bd1e995, 2654435761) ^ Math.imul(i + 1, 0x9e3779b1));
    // Every operation once first, so that any run reaches them all; then drawn by weight.
    const op = i < this.operations.length ? this.operations[i]! : this.operation(random);
    const query: Record<string, unknown> = {};
    for (const p of op.query) if (p.required || random() < 0.5) query[p.name] = this.value(random, p.schema, p.name);
    let body: unknown = op.body ? this.body(random, op, i) : undefined;
    let label = `${op.method} ${op.path} valid`;
    let expect: Planned['expect'];
    let contentType = 'application/json';
    let bodyText: string | undefined;
    let routerLevel = false;
    let method = op.method;
    // Path parameters: a value the schema accepts (a job id for `{id}`), percent-encoded.
    let path = op.path.replace(/\{(\w+)\}/g, (_m, name: string) => {
      const param = op.params.find((p) => p.name === name);
      const value = param ? this.value(random, param.schema, name === 'id' ? 'robotCallJobId' : name) : 1;
      return percentEncode(String(value));
    });
    let auth: 'v1' | 'v2' | 'other' | 'unsigned' | 'bad' | 'stale' | 'unknownKey' | 'version' = 'v1';

    const roll = random();
    if (roll < 0.35) {
      // valid
    } else if (roll < 0.82) {
      // One field replaced by a hostile value.
      const targets: { where: 'query' | 'body'; at: (string | number)[]; schema: Schema }[] = [];
      for (const p of op.query) targets.push({ where: 'query', at: [p.name], schema: this.resolve(p.schema) });
      if (op.body) {
        const found: [(string | number)[], Schema][] = [];
        this.fields(body, op.body, [], found);
        for (const [at, schema] of found) targets.push({ where: 'body', at, schema });
      }
      if (targets.length > 0) {
        const target = pick(random, targets);
        const hostile = pick(random, hostileValues(random, target.schema));
        const shown = describe(hostile);
        label = `${op.method} ${op.path} ${target.where} ${target.at.join('.')}=${shown}`;
        if (target.where === 'query') {
          const sent = queryView(hostile);
          query[String(target.at[0])] = hostile;
          // An unpaired surrogate cannot be sent in a URL as such: what the server reads of it is its own.
          const readable = typeof sent !== 'string' || isWellFormedText(sent.replaceAll('\u0000', ''));
          if (sent !== '' && readable && refused(this.doc, target.schema, sent))
            expect = { codes: [412], why: `${target.at[0]}=${shown} fits no reading of its schema` };
        } else {
          body = replaceAt(body, target.at, hostile);
          // A null for a declared field is that field absent (refused only when it is required): no
          // reading of its schema applies, so no expectation is set here.
          const absent = hostile === null && typeof target.at[target.at.length - 1] === 'string';
          if (!absent && refused(this.doc, target.schema, hostile))
            expect = { codes: [412], why: `${target.at.join('.')}=${shown} fits no reading of its schema` };
        }
      } else if (random() < 0.5) {
        query[`unknown${between(random, 1, 9)}`] = pick(random, hostileValues(random, {}));
        label = `${op.method} ${op.path} unknown query parameter`;
      }
      // A required field left out.
      if (random() < 0.08 && op.body && Array.isArray(op.body.required) && op.body.required.length > 0 && body) {
        const field = pick(random, op.body.required as string[]);
        delete (body as Record<string, unknown>)[field];
        label = `${op.method} ${op.path} without ${field}`;
        expect = { codes: [412], why: `${field} is required` };
      }
    } else if (roll < 0.9) {
      // The body itself is hostile.
      const kinds = [
        'badJson',
        'notObject',
        'text',
        'form',
        'unknownFields',
        'duplicateKeys',
        'proto',
        'charset',
      ] as const;
      const kind = pick(random, kinds);
      label = `${op.method} ${op.path} body ${kind}`;
      const refusable = op.method === 'POST' && op.body !== undefined;
      if (kind === 'badJson') {
        bodyText = pick(random, ['{', '{"robotCallJobId": 1,}', '[1,2', 'nul', '{"a":"\\ud800', '{"a":1}}', '\u0000']);
        if (refusable) expect = { codes: [412], why: 'the body is not JSON' };
      } else if (kind === 'notObject') {
        bodyText = pick(random, ['[1]', '"x"', '1', 'true', 'null', `${'['.repeat(5000)}${']'.repeat(5000)}`]);
        // An endpoint whose schema says it reads a bare list (getJobStatsInfoList) takes `[1]`.
        const list = bodyText === '[1]' && String(op.body?.description).includes('bare JSON list');
        if (refusable && !list) expect = { codes: [412], why: 'the body is not an object' };
      } else if (kind === 'text' || kind === 'form') {
        contentType = kind === 'text' ? 'text/plain' : 'application/x-www-form-urlencoded';
        bodyText = kind === 'text' ? jsonText(body ?? {}) : 'robotCallJobId=1&name=x';
        if (refusable) expect = { codes: [412], why: `a body sent as ${contentType}` };
      } else if (kind === 'unknownFields') {
        body = { ...(body as object), unknownField: pick(random, hostileValues(random, {})) };
      } else if (kind === 'proto') {
        // JSON.parse makes "__proto__" an own property; nothing may reach Object.prototype.
        const text = jsonText(body ?? {});
        bodyText = `{"__proto__": {"polluted": 1}, "constructor": {"prototype": {"polluted": 1}}${text === '{}' ? '' : `, ${text.slice(1, -1)}`}}`;
      } else if (kind === 'duplicateKeys') {
        bodyText = `{"robotCallJobId": 1, "robotCallJobId": ${jsonText(pick(random, hostileValues(random, {})))}}`;
      } else {
        contentType = 'application/json; charset=latin1';
      }
    } else if (roll < 0.96) {
      auth = pick(random, ['unsigned', 'bad', 'stale', 'unknownKey', 'version', 'v2', 'other'] as const);
      label = `${op.method} ${op.path} signature ${auth}`;
      if (op.signed && !['v2', 'other'].includes(auth)) expect = { codes: [401], why: `signature ${auth}` };
    } else {
      routerLevel = true;
      const kind = pick(random, ['badPath', 'badQuery', 'method', 'longQuery', 'dotSegments'] as const);
      label = `${op.method} ${op.path} router ${kind}`;
      if (kind === 'badPath') path = `${path}${pick(random, ['%ff', '%', '%zz', '%c0%ae'])}`;
      else if (kind === 'badQuery') query[pick(random, ['name', 'x', 'robotCallJobId'])] = new BadEncoding();
      else if (kind === 'method')
        method = pick(random, ['PUT', 'DELETE', 'PATCH', 'OPTIONS', op.method === 'GET' ? 'POST' : 'GET']);
      else if (kind === 'longQuery') query.padding = 'q'.repeat(between(random, 4000, 12_000));
      else path = op.path.replace('/task/', '/task/../task/');
    }

    if (auth === 'v2' || (auth === 'v1' && random() < 0.12)) auth = 'v2';
    else if (auth === 'v1' && random() < 0.05) auth = 'other';
    // v2 signs the JSON body it was sent; a body the server does not read as JSON cannot match it.
    if (auth === 'v2' && !contentType.startsWith('application/json') && expect) expect.codes.push(401);
    const queryText = Object.entries(query)
      .flatMap(([k, v]) => queryPairs(k, v))
      .join('&');
    const target = queryText ? `${path}?${queryText}` : path;
    if (bodyText === undefined && body !== undefined && method !== 'GET') bodyText = jsonText(body);
    const headers: Record<string, string> = {};
    if (bodyText !== undefined) headers['content-type'] = contentType;
    if (op.signed)
      Object.assign(headers, await this.sign(auth, method, target, bodyText, op.path === SIGN_CHANGING_PATH));
    // Signing in needs no session (POST /console/api/session); everything else under /console/api/ does.
    if (op.console && !routerLevel && !(op.method === 'POST' && op.path === '/console/api/session')) {
      const session = this.primary.console;
      const withSession = session && !SESSIONLESS.test(`${op.method} ${op.path}`) && random() < 0.75;
      if (!withSession) {
        label = `${label} (no session)`;
        expect = { codes: [401], why: 'no console session' };
      } else {
        headers.cookie = `outcall_session=${session.cookie}`;
        if (method === 'GET' || random() < 0.9) headers['x-csrf-token'] = session.csrfToken;
        else expect = { codes: [403], why: 'no CSRF token' };
      }
    }
    return {
      label,
      operation: `${op.method} ${op.path}`,
      method,
      target,
      headers,
      body: bodyText,
      expect,
      routerLevel,
    };
  }

  private async sign(
    auth: string,
    method: string,
    target: string,
    body: string | undefined,
    changesSign = false,
  ): Promise<Record<string, string>> {
    const tenant = changesSign ? this.signChanger : auth === 'other' ? this.other : this.primary;
    const [path, query = ''] = target.split(/\?(.*)/s) as [string, string?];
    switch (auth) {
      case 'unsigned':
        return {};
      case 'v2':
        return signedHeadersV2(tenant.credentials, { method, path, query, body: body ?? '' });
      case 'bad':
        return { ...(await signedHeaders(tenant.credentials)), signature: '0'.repeat(64) };
      case 'stale':
        return signedHeaders(tenant.credentials, Date.now() - 3_600_000);
      case 'unknownKey':
        return signedHeaders({ ...tenant.credentials, appKey: 'NoSuchKey0000000' });
      case 'version':
        return { ...(await signedHeaders(tenant.credentials)), version: 'v9' };
      default:
        return signedHeaders(tenant.credentials);
    }
  }
}

/** The one path that may change the signing tenant's sign (and so every later signature of it). */
const SIGN_CHANGING_PATH = '/apiOpen/v1/isv/updateIsvInfo';

/**
 * After a 200 to isv/updateIsvInfo, the sign its body set (as the server coerces a scalar to text),
 * or undefined when the answer or body changed nothing.
 */
function signSetBy(planned: Planned, code: number): string | undefined {
  if (code !== 200 || planned.body === undefined) return undefined;
  try {
    const sign = (JSON.parse(planned.body) as { tenantSign?: unknown }).tenantSign;
    return sign === undefined || sign === null || typeof sign === 'object' ? undefined : String(sign);
  } catch {
    return undefined;
  }
}

/** A query value whose percent-encoding is broken. */
class BadEncoding {}

function queryPairs(name: string, value: unknown): string[] {
  if (value instanceof BadEncoding) return [`${name}=%E0%A4%A`, `${name}2=%ff%fe`];
  // A list repeats the name; what a list holds is sent as text.
  if (Array.isArray(value))
    return value.length === 0
      ? [`${name}=`]
      : value.map((v) => `${percentEncode(name)}=${percentEncode(queryView(v) as string)}`);
  return [`${percentEncode(name)}=${percentEncode(queryView(value) as string)}`];
}

/** encodeURIComponent, but an unpaired surrogate is sent as the three bytes a careless encoder writes (WTF-8). */
function percentEncode(text: string): string {
  return text.replace(
    /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]|[^\uD800-\uDFFF]+|[\uD800-\uDBFF][\uDC00-\uDFFF]/g,
    (part) => {
      if (part.length !== 1 || part.charCodeAt(0) < 0xd800 || part.charCodeAt(0) > 0xdfff)
        return encodeURIComponent(part);
      const u = part.charCodeAt(0);
      return [0xe0 | (u >> 12), 0x80 | ((u >> 6) & 0x3f), 0x80 | (u & 0x3f)]
        .map((b) => `%${b.toString(16).toUpperCase()}`)
        .join('');
    },
  );
}

/** What the server sees of a query value: text, or a list of texts when the name repeats. */
function queryView(value: unknown): unknown {
  if (value instanceof RawNumber) return value.text;
  if (Array.isArray(value)) {
    const items = value.map((v) => (Array.isArray(v) ? truncate(jsonText(v), 4000) : queryView(v)));
    return items.length === 1 ? items[0] : items.length === 0 ? '' : items;
  }
  if (typeof value === 'string') return truncate(value, 4000);
  if (value && typeof value === 'object') return truncate(jsonText(value), 4000);
  return String(value);
}

const truncate = (s: string, n: number) => (s.length > n ? s.slice(0, n) : s);

function replaceAt(value: unknown, at: (string | number)[], replacement: unknown): unknown {
  if (at.length === 0) return replacement;
  const [head, ...rest] = at;
  const container: any = Array.isArray(value) ? [...value] : { ...(value as object) };
  container[head!] = replaceAt(container[head!], rest, replacement);
  return container;
}

function describe(value: unknown): string {
  if (value instanceof RawNumber) return value.text;
  const text = jsonText(value);
  return text.length > 40 ? `${text.slice(0, 30)}…(${text.length} chars)` : text;
}

export interface Answer {
  status: number;
  contentType: string;
  text: string;
  setCookie?: string;
}

const agent = new http.Agent({ keepAlive: true, maxSockets: 16 });

/** Sends one request as planned, over a kept-alive loopback connection. */
export function send(
  baseUrl: string,
  planned: Pick<Planned, 'method' | 'target' | 'headers' | 'body'>,
): Promise<Answer> {
  const url = new URL(baseUrl);
  return new Promise((resolve, reject) => {
    const body = planned.body === undefined ? undefined : Buffer.from(planned.body, 'utf8');
    const request = http.request(
      {
        agent,
        host: url.hostname,
        port: url.port,
        method: planned.method,
        path: planned.target,
        headers: { ...planned.headers, ...(body ? { 'content-length': String(body.length) } : {}) },
        timeout: 60_000,
      },
      (response) => {
        const chunks: Buffer[] = [];
        response.on('data', (c: Buffer) => chunks.push(c));
        response.on('end', () =>
          resolve({
            status: response.statusCode ?? 0,
            contentType: String(response.headers['content-type'] ?? ''),
            text: Buffer.concat(chunks).toString('utf8'),
            setCookie: response.headers['set-cookie']?.join('\n'),
          }),
        );
        response.on('error', reject);
      },
    );
    request.on('timeout', () => request.destroy(new Error('timed out')));
    request.on('error', reject);
    request.end(body);
  });
}

export interface Envelope {
  code: number;
  data: any;
  requestId: string;
  resultMsg: string;
  errorStackTrace: null;
}

const CODES = new Set([200, 401, 403, 404, 412, 429, 500]);

/** The envelope of an answer, or why it is not one. */
export function envelopeOf(answer: Answer): Envelope | string {
  if (answer.status !== 200) return `HTTP ${answer.status}`;
  if (!answer.contentType.startsWith('application/json')) return `content-type ${answer.contentType || 'none'}`;
  let body: any;
  try {
    body = JSON.parse(answer.text);
  } catch {
    return 'a body that is not JSON';
  }
  const keys = body && typeof body === 'object' ? Object.keys(body).sort().join(',') : '';
  if (keys !== 'code,data,errorStackTrace,requestId,resultMsg') return `fields ${keys || typeof body}`;
  if (!CODES.has(body.code)) return `code ${body.code}`;
  if (!/^[A-Z]{8}$/.test(body.requestId)) return `requestId ${body.requestId}`;
  if (typeof body.resultMsg !== 'string' || body.errorStackTrace !== null) return 'resultMsg or errorStackTrace';
  return body as Envelope;
}

export interface RandomInputReport {
  requests: number;
  /** Answers by envelope code, and `non-envelope`. */
  byCode: Record<string, number>;
  failures: string[];
  /** Non-envelope answers to requests the router or Node refuses (bad URL encoding, unknown method). */
  routerLevel: string[];
  elapsedMs: number;
}

/** Sends `requests` planned requests, `concurrency` at a time, and judges every answer. */
export async function runRandomInput(options: {
  url: string;
  planner: RequestPlanner;
  /** Requests [from, to) of the seed's sequence. */
  from?: number;
  to: number;
  concurrency?: number;
  report?: RandomInputReport;
  onProgress?: (done: number) => void;
}): Promise<RandomInputReport> {
  const report: RandomInputReport = options.report ?? {
    requests: 0,
    byCode: {},
    failures: [],
    routerLevel: [],
    elapsedMs: 0,
  };
  const started = Date.now();
  let next = options.from ?? 0;
  const count = (key: string) => {
    report.byCode[key] = (report.byCode[key] ?? 0) + 1;
  };
  // Requests that may change the sign they are signed with go one at a time, each planned (signed)
  // once the one before has answered, and the new sign is used from then on.
  let signChanges = Promise.resolve();
  const worker = async () => {
    for (let i = next++; i < options.to; i = next++) {
      let planned = await options.planner.plan(i);
      let answer: Answer;
      let release: (() => void) | undefined;
      if (planned.operation === `POST ${SIGN_CHANGING_PATH}`) {
        const before = signChanges;
        signChanges = new Promise<void>((resolve) => {
          release = resolve;
        });
        await before;
        planned = await options.planner.plan(i);
      }
      try {
        answer = await send(options.url, planned);
        if (release) {
          const envelope = envelopeOf(answer);
          const changed = signSetBy(planned, typeof envelope === 'string' ? 0 : envelope.code);
          const changer = options.planner.signChanger;
          if (changed !== undefined) changer.credentials = { ...changer.credentials, tenantSign: changed };
        }
      } catch (error) {
        count('no answer');
        report.failures.push(`#${i} ${planned.label}: no answer (${(error as Error).message})`);
        continue;
      } finally {
        release?.();
      }
      report.requests++;
      if (report.requests % 1000 === 0) options.onProgress?.(report.requests);
      const envelope = envelopeOf(answer);
      if (typeof envelope === 'string') {
        count('non-envelope');
        const line = `#${i} ${planned.label}: ${envelope} ${answer.text.slice(0, 120)}`;
        (planned.routerLevel ? report.routerLevel : report.failures).push(line);
        continue;
      }
      count(String(envelope.code));
      if (envelope.code === 500) report.failures.push(`#${i} ${planned.label}: 500 (requestId ${envelope.requestId})`);
      else if (planned.expect && !planned.expect.codes.includes(envelope.code) && envelope.code !== 429)
        report.failures.push(
          `#${i} ${planned.label}: ${envelope.code} ${envelope.resultMsg.slice(0, 100)}, expected ${planned.expect.codes.join(' or ')} (${planned.expect.why})`,
        );
    }
  };
  await Promise.all(Array.from({ length: options.concurrency ?? 8 }, worker));
  report.elapsedMs += Date.now() - started;
  return report;
}

/**
 * A whole run: `requests` requests in `checkpoints` parts, every stored row of both tenants read
 * back after each part (later requests delete jobs, and with them what they held).
 */
export async function fuzz(options: {
  url: string;
  planner: RequestPlanner;
  requests: number;
  checkpoints?: number;
  concurrency?: number;
  onProgress?: (done: number) => void;
}): Promise<{ report: RandomInputReport; back: ReadBack }> {
  const parts = options.checkpoints ?? 4;
  const back: ReadBack = { jobs: 0, callRecords: 0, problems: [] };
  const verified = new Set<number>();
  let report: RandomInputReport | undefined;
  for (let part = 0; part < parts; part++) {
    report = await runRandomInput({
      ...options,
      report,
      from: Math.floor((options.requests * part) / parts),
      to: Math.floor((options.requests * (part + 1)) / parts),
    });
    for (const tenant of [options.planner.primary, options.planner.other]) {
      const read = await readBack(options.url, tenant, verified);
      back.jobs += read.jobs;
      back.callRecords += read.callRecords;
      back.problems.push(...read.problems.filter((p) => !back.problems.includes(p)));
    }
  }
  return { report: report!, back };
}

/** A signed request of one tenant, answered with its envelope. */
export async function signedCall(
  url: string,
  tenant: FuzzTenant,
  method: 'GET' | 'POST',
  target: string,
  body?: unknown,
): Promise<Envelope> {
  const text = body === undefined ? undefined : JSON.stringify(body);
  const headers = {
    ...(await signedHeaders(tenant.credentials)),
    ...(text ? { 'content-type': 'application/json' } : {}),
  };
  const answer = await send(url, { method, target, headers, body: text });
  const envelope = envelopeOf(answer);
  if (typeof envelope === 'string') throw new Error(`${method} ${target}: ${envelope}`);
  return envelope;
}

const TASK = '/apiOpen/v1/task';

/** Two tenants with jobs, customers and calls, made through the API; and what the server answered about them. */
export async function prepare(
  database: Database,
  url: string,
  doc: Schema,
): Promise<{ primary: FuzzTenant; other: FuzzTenant; signChanger: FuzzTenant; pools: Pools }> {
  const pools = new Pools();
  const tenants: FuzzTenant[] = [];
  // Only the primary tenant's answers fill the pools: the other tenant's requests then name the
  // primary's jobs and records, which must be as unknown to it as ids that do not exist.
  for (const [t, sign] of [
    [0, 'fuzzprimary'],
    [1, 'fuzzother'],
  ] as const) {
    const fixture = await TenantFixture.create(database, { sign });
    await fixture.phoneLine(`0571888800${t}1`);
    await fixture.phoneLine(`0571888800${t}2`);
    await fixture.group('意向客户');
    const tenant = { credentials: fixture.credentials };
    tenants.push(tenant);
    const ok = async (method: 'GET' | 'POST', path: string, body?: unknown) => {
      const r = await signedCall(url, tenant, method, `${TASK}/${path}`, body);
      if (r.code !== 200) throw new Error(`setup ${path}: ${r.code} ${r.resultMsg}`);
      if (t === 0) {
        pools.harvest(r.data);
        if (body !== undefined) pools.accept(method, `${TASK}/${path}`, body);
      }
      return r.data;
    };
    const flows = await ok('GET', 'getDialogFlows');
    const lines = await ok('GET', 'getPhoneNumbers');
    // Twelve jobs: six with customers and calls, in every status a job operation can reach.
    const jobs: number[] = [];
    for (let j = 0; j < 12; j++) {
      const created = await ok('POST', 'create', {
        name: `随机输入任务${j}`,
        dialogFlowId: flows[0].dialogFlowId,
        robotCount: 2,
        phoneNumberIds: [lines[0].phoneNumberId],
        dailyStartTime: '00:00',
        dailyEndTime: '23:59:59',
        redialTimes: 2,
      });
      jobs.push(created.robotCallJobId);
    }
    const phones = Array.from({ length: 20 }, (_, k) => `139${t}${j8(k)}`);
    for (const jobId of jobs.slice(0, 8))
      await ok('POST', 'importTaskCustomer', {
        robotCallJobId: jobId,
        customers: phones.map((phoneNumber, k) => ({ phoneNumber, name: `客户${k}`, properties: { 来源: '随机' } })),
      });
    for (const jobId of jobs.slice(1, 5)) await ok('POST', 'start', { robotCallJobId: jobId });
    await ok('POST', 'pause', { robotCallJobId: jobs[2] });
    await ok('POST', 'stop', { robotCallJobId: jobs[3] });
    const results = ['ANSWERED', 'NO_ANSWER', 'BUSY', 'ANSWERED', 'REFUSED'];
    const record = (k: number) => {
      const resultStatus = results[k % results.length]!;
      const answered = resultStatus === 'ANSWERED';
      return {
        idempotencyKey: `setup-${t}-${k}`,
        robotCallJobId: jobs[k % 6],
        calledPhoneNumber: phones[k % phones.length],
        resultStatus,
        intentLevel: 'ABCDEF'[k % 6],
        startTime: Date.UTC(2024, 4, 1 + (k % 5), 2, k % 60),
        endTime: Date.UTC(2024, 4, 1 + (k % 5), 3, k % 60),
        chatDuration: answered ? 5 + ((k * 17) % 300) : 0,
        chatRound: answered ? k % 14 : 0,
        customerConcern: answered ? [['价格', '交通', '学区'][k % 3]!] : [],
        training: k % 15 === 7,
        callDetailList: answered
          ? [
              { type: 'ROBOT', text: '您好' },
              { type: 'PERSON', text: '嗯' },
            ]
          : [],
      };
    };
    // 120 calls: in batches of ten, and a few one at a time.
    for (let k = 0; k < 110; k += 10)
      await ok('POST', 'addCallRecords', { callRecords: Array.from({ length: 10 }, (_, n) => record(k + n)) });
    for (let k = 110; k < 120; k++) await ok('POST', 'addCallRecord', record(k));
    await ok('POST', 'getCallRecordInfoList', { robotCallJobId: jobs[0], resultStatuses: ['ANSWERED'], pageSize: 5 });
    for (const jobId of jobs) {
      await ok('GET', `getTaskDetail?robotCallJobId=${jobId}`);
      await ok('POST', 'getCallRecordInfoList', { robotCallJobId: jobId });
    }
  }
  // Every other GET that needs nothing, as a first request of endpoints added later.
  for (const op of operationsOf(doc))
    if (op.method === 'GET' && op.signed && op.query.every((q) => !q.required)) {
      const r = await signedCall(url, tenants[0]!, 'GET', op.path);
      if (r.code === 200) pools.harvest(r.data);
    }
  // A console admin of the primary tenant, signed in: console requests with a session reach validation and the services.
  await createConsoleUser(
    database,
    {
      tenantSign: 'fuzzprimary',
      username: 'fuzzadmin',
      password: 'fuzz-password-1',
      role: 'admin',
    },
    { log2N: loadConfig().consolePasswordCost },
  );
  const login = await send(url, {
    method: 'POST',
    target: '/console/api/session',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ username: 'fuzzadmin', password: 'fuzz-password-1' }),
  });
  const cookie = /outcall_session=([^;]+)/.exec(login.setCookie ?? '')?.[1];
  const signedIn = envelopeOf(login);
  if (!cookie || typeof signedIn === 'string' || signedIn.code !== 200)
    throw new Error('setup: console sign-in failed');
  tenants[0]!.console = { cookie, csrfToken: signedIn.data.csrfToken };
  for (const op of operationsOf(doc))
    if (op.console && op.method === 'GET' && op.params.length === 0 && !SESSIONLESS.test(`GET ${op.path}`)) {
      const r = envelopeOf(
        await send(url, { method: 'GET', target: op.path, headers: { cookie: `outcall_session=${cookie}` } }),
      );
      if (typeof r !== 'string' && r.code === 200) pools.harvest(r.data);
    }
  // isv/updateIsvInfo may change the sign of the tenant whose key signs it: a tenant of its own.
  const signChanger = { credentials: (await TenantFixture.create(database, { sign: 'fuzzsignchanger' })).credentials };
  return { primary: tenants[0]!, other: tenants[1]!, signChanger, pools };
}

const j8 = (k: number) => String(1000000 + k).slice(-7);

export interface ReadBack {
  jobs: number;
  callRecords: number;
  problems: string[];
}

/**
 * Reads back everything a tenant has stored: every job (getTasks, getTaskDetail), every call record
 * listed (both lists, every page) and its callDetail. Every read must answer 200, list totals must
 * equal the rows walked, and statistics must equal a recomputation from the list.
 */
export async function readBack(url: string, tenant: FuzzTenant, verified = new Set<number>()): Promise<ReadBack> {
  const out: ReadBack = { jobs: 0, callRecords: 0, problems: [] };
  const read = async (method: 'GET' | 'POST', target: string, body?: unknown) => {
    const r = await signedCall(url, tenant, method, `${TASK}/${target}`, body);
    if (r.code !== 200)
      out.problems.push(`${method} ${target} ${body ? JSON.stringify(body) : ''}: ${r.code} ${r.resultMsg}`);
    return r.code === 200 ? r.data : undefined;
  };
  const jobIds: number[] = [];
  for (let pageNum = 1; ; pageNum++) {
    const page = await read('GET', `getTasks?pageNum=${pageNum}&pageSize=100`);
    if (!page) break;
    jobIds.push(...page.content.map((j: any) => j.robotCallJobId));
    if (pageNum >= page.pages) break;
  }
  const readJob = async (jobId: number) => {
    out.jobs++;
    const detail = await read('GET', `getTaskDetail?robotCallJobId=${jobId}`);
    for (const training of [false, true]) {
      const records: any[] = [];
      let total = 0;
      for (let pageNum = 1; ; pageNum++) {
        const page = await read('POST', 'getCallRecordInfoList', {
          robotCallJobId: jobId,
          getTrainTaskList: training,
          pageNum,
          pageSize: 100,
        });
        if (!page) break;
        total = page.totalElements;
        records.push(...page.content);
        if (pageNum >= page.pages) break;
      }
      if (records.length !== total)
        out.problems.push(`job ${jobId}${training ? ' (training)' : ''}: list total ${total}, rows ${records.length}`);
      // A call record is never changed once stored: one read of its detail per run is enough.
      for (const r of records) {
        out.callRecords++;
        if (verified.has(r.callRecordId)) continue;
        if (await read('GET', `callDetail?callRecordId=${r.callRecordId}`)) verified.add(r.callRecordId);
      }
      if (!training && detail) {
        const expected = recomputeStats(records, detail);
        if (JSON.stringify(detail.callJobStatsInfo) !== JSON.stringify(expected))
          out.problems.push(`job ${jobId}: statistics differ from a recomputation from its list`);
      }
    }
  };
  // Nothing writes while a tenant is read back: its jobs are read six at a time.
  let next = 0;
  const worker = async () => {
    while (next < jobIds.length) await readJob(jobIds[next++]!);
  };
  await Promise.all(Array.from({ length: 6 }, worker));
  return out;
}

/** One line: requests, answers by code, failures, what was read back. */
export function summaryLine(label: string, report: RandomInputReport, back: ReadBack): string {
  const codes = Object.entries(report.byCode)
    .sort(([a], [b]) => a.localeCompare(b))
    .map(([code, n]) => `${code}: ${n}`)
    .join(', ');
  return (
    `random input ${label}: ${report.requests} requests in ${(report.elapsedMs / 1000).toFixed(1)} s — ${codes}; ` +
    `failures ${report.failures.length}, router-level non-envelope ${report.routerLevel.length}; ` +
    `read back ${back.jobs} jobs and ${back.callRecords} call records (all checkpoints), ${back.problems.length} unreadable`
  );
}
