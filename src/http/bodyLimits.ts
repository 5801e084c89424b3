import { PassThrough, type Readable } from 'node:stream';
import type { TSchema } from '@sinclair/typebox';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { invalidParameter, ServiceError } from '../domain/errors.js';

/*
 * Request bodies are limited before they are read, by what each endpoint can accept:
 * - every route with a body schema gets the size of the largest body that schema admits
 *   (`maxJsonBytes`), so a body larger than any valid one is refused from its Content-Length, or
 *   cut off as soon as a chunked body passes it, never read whole;
 * - bodies that may be large (above SMALL_BODY_LIMIT) are read one budget at a time: together
 *   they hold at most BODY_MEMORY_MB while being read, parsed and processed; more wait their turn
 *   briefly, then get the 429 envelope. A large body is read into one buffer of its declared
 *   length (no list of chunks, no concatenated copy), which JSON.parse then reads once.
 */

/** The body limit of routes without a body schema, and the size above which a body takes from the budget. */
export const SMALL_BODY_LIMIT = 64 * 1024;

export interface SizeRules {
  /**
   * Bytes counted per character of a string. 3 covers any character of the Basic Multilingual
   * Plane as UTF-8 (a pair of surrogates, 4 bytes, counts as 2 characters); 1 counts ASCII text.
   */
  bytesPerChar: number;
  /** A string the schema leaves unbounded (enum names or codes, clock times) counts as this many characters. */
  unboundedStringChars: number;
  /** A value of any shape (Type.Unknown), or an object with open keys, counts as this many bytes. */
  unboundedValueBytes: number;
  /** Top-level properties of objects left out of the count (by name, at any depth). */
  omit?: readonly string[];
}

/** For single requests: Chinese text at its maximum length, a few KB for values the schema leaves open. */
export const FULL_SIZE: SizeRules = { bytesPerChar: 3, unboundedStringChars: 100, unboundedValueBytes: 4096 };

interface JsonSchema {
  type?: string | string[];
  anyOf?: JsonSchema[];
  oneOf?: JsonSchema[];
  allOf?: JsonSchema[];
  const?: unknown;
  enum?: unknown[];
  maxLength?: number;
  minimum?: number;
  maximum?: number;
  exclusiveMinimum?: number;
  exclusiveMaximum?: number;
  items?: JsonSchema;
  maxItems?: number;
  properties?: Record<string, JsonSchema>;
  patternProperties?: Record<string, JsonSchema>;
  additionalProperties?: boolean | JsonSchema;
  maxProperties?: number;
}

const digits = (n: number) => JSON.stringify(n).length;

/** The longest JSON text of a number: a bounded integer's longer bound, else a double's longest form. */
function numberBytes(s: JsonSchema, integer: boolean): number {
  const lo = s.minimum ?? s.exclusiveMinimum;
  const hi = s.maximum ?? s.exclusiveMaximum;
  // -1.2345678901234567e-308: the longest text a finite double takes.
  if (!integer || lo === undefined || hi === undefined) return 24;
  return Math.max(digits(lo), digits(hi));
}

/**
 * The size in bytes of the largest JSON text the schema admits, written as JSON.stringify writes
 * it (no spaces), under `rules` for what the schema leaves open.
 */
export function maxJsonBytes(schema: TSchema | JsonSchema, rules: SizeRules): number {
  const s = schema as JsonSchema;
  const alternatives = s.anyOf ?? s.oneOf;
  if (alternatives) return Math.max(...alternatives.map((a) => maxJsonBytes(a, rules)));
  if (s.allOf) return Math.min(...s.allOf.map((a) => maxJsonBytes(a, rules)));
  if (s.const !== undefined) return Buffer.byteLength(JSON.stringify(s.const));
  if (s.enum) return Math.max(...s.enum.map((e) => Buffer.byteLength(JSON.stringify(e))));
  const types = s.type === undefined ? [] : Array.isArray(s.type) ? s.type : [s.type];
  if (types.length === 0) return rules.unboundedValueBytes;
  return Math.max(...types.map((type) => sizeOfType(s, type, rules)));
}

function sizeOfType(s: JsonSchema, type: string, rules: SizeRules): number {
  switch (type) {
    case 'null':
      return 4;
    case 'boolean':
      return 5;
    case 'integer':
      return numberBytes(s, true);
    case 'number':
      return numberBytes(s, false);
    case 'string':
      return 2 + (s.maxLength ?? rules.unboundedStringChars) * rules.bytesPerChar;
    case 'array': {
      const item = s.items ? maxJsonBytes(s.items, rules) : rules.unboundedValueBytes;
      // Without maxItems the array counts as an open value.
      return s.maxItems === undefined ? rules.unboundedValueBytes : 2 + s.maxItems * (item + 1);
    }
    case 'object': {
      let size = 2;
      for (const [name, property] of Object.entries(s.properties ?? {})) {
        if (rules.omit?.includes(name)) continue;
        size += Buffer.byteLength(JSON.stringify(name)) + 1 + maxJsonBytes(property, rules) + 1;
      }
      const open = s.patternProperties || (s.additionalProperties !== undefined && s.additionalProperties !== false);
      if (open) size += rules.unboundedValueBytes;
      return size;
    }
    default:
      return rules.unboundedValueBytes;
  }
}

/** The 429 of a large body that found no room: the client retries after a moment. */
export function bodyBudgetExhausted(): ServiceError {
  return new ServiceError(429, '请求过于频繁', 'too many large request bodies in progress; retry in a moment');
}

/**
 * A budget of bytes shared by the large bodies in progress: first come, first served; a body
 * waits at most `maxWaitMs`, and at most `maxWaiters` wait at once, else it is refused at once.
 */
export class ByteBudget {
  private used = 0;
  private readonly waiting: { bytes: number; grant: () => void }[] = [];

  constructor(
    readonly capacity: number,
    private readonly maxWaiters = 64,
    private readonly maxWaitMs = 5000,
  ) {}

  get inUse(): number {
    return this.used;
  }

  get queued(): number {
    return this.waiting.length;
  }

  /** Resolves with the function that gives the bytes back (idempotent). */
  acquire(wanted: number): Promise<() => void> {
    const bytes = Math.min(wanted, this.capacity);
    let released = false;
    const release = () => {
      if (released) return;
      released = true;
      this.used -= bytes;
      this.grantWaiting();
    };
    if (this.waiting.length === 0 && this.used + bytes <= this.capacity) {
      this.used += bytes;
      return Promise.resolve(release);
    }
    if (this.waiting.length >= this.maxWaiters) return Promise.reject(bodyBudgetExhausted());
    return new Promise((resolve, reject) => {
      const entry = {
        bytes,
        grant: () => {
          clearTimeout(timer);
          this.used += bytes;
          resolve(release);
        },
      };
      const timer = setTimeout(() => {
        this.waiting.splice(this.waiting.indexOf(entry), 1);
        reject(bodyBudgetExhausted());
        // The one that timed out may have been blocking smaller ones behind it.
        this.grantWaiting();
      }, this.maxWaitMs);
      this.waiting.push(entry);
    });
  }

  private grantWaiting(): void {
    while (this.waiting.length > 0 && this.used + this.waiting[0]!.bytes <= this.capacity) {
      this.waiting.shift()!.grant();
    }
  }
}

export function bodyTooLarge(limit: number): Error {
  return Object.assign(new Error(`body is larger than ${limit} bytes`), {
    statusCode: 413,
    code: 'FST_ERR_CTP_BODY_TOO_LARGE',
  });
}

/** Reads a stream into one buffer, refusing it as soon as it passes `limit`. */
function readAtMost(stream: Readable, limit: number, declared: number | undefined): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    let buffer = Buffer.allocUnsafe(declared ?? Math.min(limit, 1024 * 1024));
    let length = 0;
    const finish = (error?: Error) => {
      stream.off('data', onData);
      stream.off('end', onEnd);
      stream.off('error', finish);
      stream.off('close', onClose);
      if (error) reject(error);
      else resolve(length === buffer.length ? buffer : buffer.subarray(0, length));
    };
    const onData = (chunk: Buffer) => {
      if (length + chunk.length > limit) return finish(bodyTooLarge(limit));
      if (length + chunk.length > buffer.length) {
        const grown = Buffer.allocUnsafe(Math.min(limit, Math.max(buffer.length * 2, length + chunk.length)));
        buffer.copy(grown, 0, 0, length);
        buffer = grown;
      }
      chunk.copy(buffer, length);
      length += chunk.length;
    };
    const onEnd = () => finish();
    const onClose = () => finish(Object.assign(new Error('the client went away'), { statusCode: 400 }));
    stream.on('data', onData);
    stream.on('end', onEnd);
    stream.on('error', finish);
    stream.on('close', onClose);
  });
}

function declaredLength(request: FastifyRequest): number | undefined {
  const raw = request.headers['content-length'];
  if (raw === undefined) return undefined;
  const n = Number(raw);
  return Number.isSafeInteger(n) && n >= 0 ? n : undefined;
}

/**
 * Gives every route a body limit from its body schema (unless it sets its own), and reads the
 * bodies of routes that may take large ones within `budget`.
 */
export function installBodyLimits(app: FastifyInstance, budget: ByteBudget): void {
  const readLarge = async (request: FastifyRequest, reply: FastifyReply, payload: Readable) => {
    const limit = request.routeOptions.bodyLimit ?? SMALL_BODY_LIMIT;
    const declared = declaredLength(request);
    // Refused from the header, before any byte of the body is read.
    if (declared !== undefined && declared > limit) throw bodyTooLarge(limit);
    if (declared !== undefined && declared <= SMALL_BODY_LIMIT) return payload;
    const release = await budget.acquire(declared ?? limit).catch((error: unknown) => {
      reply.header('retry-after', '1');
      throw error;
    });
    // Held while the body is read, parsed and handled: given back when the answer is sent or the client is gone.
    reply.raw.once('close', release);
    const body = await readAtMost(payload, limit, declared);
    const stream = new PassThrough();
    stream.end(body);
    return stream;
  };

  app.addHook('onRoute', (route) => {
    const body = (route.schema as { body?: TSchema } | undefined)?.body;
    if (route.bodyLimit === undefined && body) {
      route.bodyLimit = Math.min(Math.max(SMALL_BODY_LIMIT, maxJsonBytes(body, FULL_SIZE)), budget.capacity);
    }
    if ((route.bodyLimit ?? SMALL_BODY_LIMIT) <= SMALL_BODY_LIMIT) return;
    const existing = route.preParsing ? (Array.isArray(route.preParsing) ? route.preParsing : [route.preParsing]) : [];
    route.preParsing = [readLarge, ...existing];
  });
}

/**
 * How deep a JSON body may nest. The deepest body any endpoint takes (a job's inactive window in
 * robotCallJob, free-form customer properties) is well under this; anything deeper is refused
 * before it is parsed, so no later step (validation, the answer cache's key, a log line) walks it.
 */
export const MAX_JSON_DEPTH = 32;

/**
 * The deepest nesting of arrays and objects in a JSON text, counted up to `limit` + 1 (it stops
 * there). Strings are skipped with indexOf, so a body of long texts costs little to scan.
 */
export function jsonDepthOver(text: string, limit: number): boolean {
  let depth = 0;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c === 0x22) {
      // Find the closing quote: one not escaped by an odd run of backslashes.
      for (;;) {
        const end = text.indexOf('"', i + 1);
        if (end < 0) return false; // not JSON: JSON.parse says so
        let slashes = 0;
        for (let k = end - 1; text.charCodeAt(k) === 0x5c; k--) slashes++;
        i = end;
        if (slashes % 2 === 0) break;
      }
    } else if (c === 0x5b || c === 0x7b) {
      if (++depth > limit) return true;
    } else if (c === 0x5d || c === 0x7d) depth--;
  }
  return false;
}

interface PropertySchema {
  properties?: Record<string, PropertySchema>;
  items?: PropertySchema;
  anyOf?: PropertySchema[];
}

/**
 * A null for a field the schema declares means the field is absent (the platform's Java clients,
 * built on Jackson, send every unset field as null): such properties are removed, at every depth
 * the schema declares. Free-form values (customer properties, alert users) are data and kept as sent.
 */
export function dropNullFields(value: unknown, schema: PropertySchema | undefined): void {
  if (schema === undefined || value === null || typeof value !== 'object') return;
  if (Array.isArray(value)) {
    if (schema.items) for (const item of value) dropNullFields(item, schema.items);
    return;
  }
  const properties = schema.properties ?? schema.anyOf?.find((s) => s.properties)?.properties;
  if (!properties) return;
  const record = value as Record<string, unknown>;
  for (const [name, property] of Object.entries(properties)) {
    if (!Object.hasOwn(record, name)) continue;
    if (record[name] === null) delete record[name];
    else dropNullFields(record[name], property);
  }
}

/**
 * A request's JSON body as the routes read it: refused (412 naming the body) when it nests deeper
 * than MAX_JSON_DEPTH, its declared fields' nulls removed (dropNullFields). Throws a SyntaxError
 * for text that is not JSON.
 */
export function readJsonBody(text: string, schema: unknown): unknown {
  if (jsonDepthOver(text, MAX_JSON_DEPTH))
    throw invalidParameter('body', `nests deeper than ${MAX_JSON_DEPTH} levels of arrays and objects`);
  const body: unknown = JSON.parse(text);
  dropNullFields(body, schema as PropertySchema | undefined);
  return body;
}
