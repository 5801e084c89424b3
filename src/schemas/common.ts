import {
  type ObjectOptions,
  type Static,
  type StringOptions,
  type TProperties,
  type TSchema,
  Type,
} from '@sinclair/typebox';
import type { PlatformEnum } from '../domain/enums.js';
import { LATEST_INSTANT } from '../domain/time.js';
import { JSON_LIMITS, JSON_VALUE, SINGLE_AS_LIST, TEXT } from './keywords.js';

/*
 * Wire schemas shared by the routes (validation + serialization), the OpenAPI document and the
 * SDK's types. Nullable primitives use a JSON-schema type list rather than anyOf, which the
 * serializer handles without a validation pass per value.
 */

export const NullableString = (options: { description?: string } = {}) =>
  Type.Unsafe<string | null>({ type: ['string', 'null'], ...options });
export const NullableInteger = (options: { description?: string } = {}) =>
  Type.Unsafe<number | null>({ type: ['integer', 'null'], ...options });

/** A string-valued enum on output, documented with its codes and labels. */
export const EnumName = <N extends string>(e: PlatformEnum<N>, description: string) =>
  Type.Unsafe<N>({ type: 'string', enum: [...e.names], description: `${description}: ${e.describe()}` });

/*
 * Input helpers (docs/api.md, Input limits). Every value a request carries is bounded here, at the
 * schema, so nothing the database or a JS Date cannot hold gets past validation:
 * - numbers are finite integers (or finite numbers) with a minimum and a maximum; Ajv runs the range
 *   check on every number, so `Infinity`, `1e400` and `"9999999999999999"` fail it;
 * - strings have a maxLength and are well-formed text (keywords.ts `x-text`);
 * - objects turn a single value sent for a list into a list of one (keywords.ts `x-single-as-list`),
 *   while a list sent for a single value is refused;
 * - free-form JSON (alert users, attributes) is bounded in depth, size and content alike.
 * src/http/inputSchemas.test.ts holds every route's request schemas to these rules.
 */

/** The largest id: ids are JS numbers, exact up to 2^53 − 1. */
export const MAX_ID = Number.MAX_SAFE_INTEGER;

/** An integer from `minimum` to `maximum`. */
export const Int = (minimum: number, maximum: number, options: { description?: string; default?: number } = {}) =>
  Type.Integer({ minimum, maximum, ...options });

export const Id = (description: string) => Int(1, MAX_ID, { description });

/** An instant as epoch milliseconds, from 1970 to the end of 2100. */
export const EpochMs = (description: string) => Int(0, LATEST_INSTANT, { description });

/** Well-formed text of at most `maxLength` characters. */
export const SafeText = (options: StringOptions & { maxLength: number }) => Type.String({ ...options, [TEXT]: true });

/** A request object: a single value sent for one of its lists becomes a list of one. */
export const InputObject = <T extends TProperties>(properties: T, options: ObjectOptions = {}) =>
  Type.Object(properties, { ...options, [SINGLE_AS_LIST]: true });

/** The largest magnitude of a free-form number: any finite double. */
const FINITE = Number.MAX_VALUE;

/** A finite number (free-form values such as customer properties). */
export const FiniteNumber = (options: { description?: string } = {}) =>
  Type.Number({ minimum: -FINITE, maximum: FINITE, ...options });

/**
 * Free-form JSON (alert users, attributes), stored as given: text, finite numbers, booleans, null,
 * and lists and objects of them nested at most `depth` deep (keywords.ts `x-json`).
 */
export const JsonValue = (depth: number, description: string) =>
  Type.Unsafe<unknown>({
    [JSON_VALUE]: depth,
    description: `${description}: any JSON nested at most ${depth} deep; text ≤ ${JSON_LIMITS.maxLength} characters, lists ≤ ${JSON_LIMITS.maxItems} items, objects ≤ ${JSON_LIMITS.maxProperties} keys, finite numbers`,
  });

/** An enum on input: the name or the numeric code, as the platform's clients send either. */
export const EnumInput = <N extends string>(e: PlatformEnum<N>, description: string) =>
  SafeText({
    maxLength: 40,
    description: `${description}, name or numeric code: ${e.describe()}`,
    examples: [...e.names],
  });

export const PageQuery = {
  pageNum: Type.Optional(Int(1, 2147483647, { default: 1, description: '第几页 (default 1)' })),
  pageSize: Type.Optional(
    Int(1, 2147483647, { default: 20, description: '页面大小 (default 20; values above 100 are served as 100)' }),
  ),
};

export const Page = <T extends TSchema>(item: T) =>
  Type.Object({
    number: Type.Integer({ description: '第几页' }),
    pageSize: Type.Integer({ description: '每页页面条数' }),
    totalElements: Type.Integer({ description: '数据总条数' }),
    pages: Type.Integer({ description: '页面总数' }),
    content: Type.Array(item),
  });

export interface PageOf<T> {
  number: number;
  pageSize: number;
  totalElements: number;
  pages: number;
  content: T[];
}

export const Envelope = <T extends TSchema>(data: T) =>
  Type.Object({
    code: Type.Integer({ description: '200 on success; otherwise 401, 403, 404, 409 (call engines), 412, 429 or 500' }),
    data,
    requestId: Type.String({ description: '8 upper-case letters; quote it when reporting a problem' }),
    resultMsg: Type.String(),
    errorStackTrace: Type.Null(),
  });

export const ErrorEnvelope = Envelope(Type.Null());
export type ErrorEnvelope = Static<typeof ErrorEnvelope>;

export const DatePoint = Type.Object({ date: Type.String({ description: 'yyyy-MM-dd' }), val: Type.Number() });
