import { describe, expect, it } from 'vitest';
import { dropNullFields, jsonDepthOver, readJsonBody } from './bodyLimits.js';

describe('jsonDepthOver', () => {
  it('counts arrays and objects, not brackets inside strings (escaped quotes included)', () => {
    expect(jsonDepthOver('{"a":[{"b":[1]}]}', 4)).toBe(false);
    expect(jsonDepthOver('{"a":[{"b":[1]}]}', 3)).toBe(true);
    expect(jsonDepthOver(`{"a":"${'['.repeat(100)}"}`, 2)).toBe(false);
    expect(jsonDepthOver(`{"a":"x\\\\"}`, 1)).toBe(false);
    expect(jsonDepthOver(`{"a":"\\"${'{'.repeat(50)}\\\\","b":[[1]]}`, 2)).toBe(true);
    expect(jsonDepthOver(`{"a":"\\"${'{'.repeat(50)}\\\\","b":[1]}`, 2)).toBe(false);
  });
});

describe('readJsonBody', () => {
  it('refuses a body nested deeper than the bound, naming the body', () => {
    expect(() => readJsonBody(`{"x":${'['.repeat(10_000)}${']'.repeat(10_000)}}`, undefined)).toThrow(
      /^参数错误: body /,
    );
    expect(() => readJsonBody('{"x": [1,', undefined)).toThrow(SyntaxError);
  });

  it('drops the nulls of declared fields at every declared depth, and keeps free-form ones', () => {
    const schema = {
      properties: {
        a: { type: 'string' },
        job: { properties: { name: { type: 'string' } } },
        rows: { items: { properties: { phone: { type: 'string' }, properties: { type: 'object' } } } },
      },
    };
    const body = readJsonBody(
      '{"a":null,"unknown":null,"job":{"name":null},"rows":[{"phone":null,"properties":{"k":null}}]}',
      schema,
    );
    expect(body).toEqual({ unknown: null, job: {}, rows: [{ properties: { k: null } }] });
    const list = [null, 1];
    dropNullFields(list, { items: { type: 'integer' } } as never);
    expect(list).toEqual([null, 1]);
  });
});
