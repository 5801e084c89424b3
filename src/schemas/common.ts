import { type Static, type TSchema, Type } from '@sinclair/typebox';
import type { PlatformEnum } from '../domain/enums.js';

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

/** An enum on input: the name or the numeric code, as the platform's clients send either. */
export const EnumInput = <N extends string>(e: PlatformEnum<N>, description: string) =>
  Type.String({ description: `${description}, name or numeric code: ${e.describe()}`, examples: [e.names[0]] });

export const Id = (description: string) => Type.Integer({ minimum: 1, maximum: Number.MAX_SAFE_INTEGER, description });

export const PageQuery = {
  pageNum: Type.Optional(
    Type.Integer({ minimum: 1, maximum: 2147483647, default: 1, description: '第几页 (default 1)' }),
  ),
  pageSize: Type.Optional(
    Type.Integer({
      minimum: 1,
      maximum: 2147483647,
      default: 20,
      description: '页面大小 (default 20; values above 100 are served as 100)',
    }),
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
    code: Type.Integer({ description: '200 on success; otherwise 401, 403, 404, 412, 429 or 500' }),
    data,
    requestId: Type.String({ description: '8 upper-case letters; quote it when reporting a problem' }),
    resultMsg: Type.String(),
    errorStackTrace: Type.Null(),
  });

export const ErrorEnvelope = Envelope(Type.Null());
export type ErrorEnvelope = Static<typeof ErrorEnvelope>;

export const DatePoint = Type.Object({ date: Type.String({ description: 'yyyy-MM-dd' }), val: Type.Number() });
