import { createHash, createHmac } from 'node:crypto';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import * as sdk from '../client/signing.js';
import { signedHeaders, signedHeadersV2 } from '../client/signing.js';
import {
  canonicalPath,
  canonicalQuery,
  computeSignature,
  computeSignatureV2,
  signatureMatches,
  stringToSignV2,
} from './signature.js';

const vector = {
  appKey: 'WtSMaDemoKey0001',
  appSecret: 'aXSFnnZbHDemoSecret0000Mguz1Q',
  tenantSign: 'yiwisedemo',
  version: 'v1',
  timestamp: '1538300000000',
};
const expected = '5ea10c34fcfc2335ec85592e2b2caaae1c8872d46c91e18afb15d797f091140e';

describe('the request signature', () => {
  it('reproduces the test vector of docs/signature.md', () => {
    expect(computeSignature(vector)).toBe(expected);
  });

  it('is computed the same by the WebCrypto client', async () => {
    const headers = await signedHeaders(vector, 1538300000000);
    expect(headers).toEqual({ appKey: vector.appKey, version: 'v1', timestamp: '1538300000000', signature: expected });
  });

  it('matches upper-case hex too, and nothing of another length or value', () => {
    expect(signatureMatches(expected.toUpperCase(), expected)).toBe(true);
    expect(signatureMatches(expected.slice(1), expected)).toBe(false);
    expect(signatureMatches(expected.replace('5', '6'), expected)).toBe(false);
  });
});

/* The v2 test vectors of docs/signature.md, byte for byte: the texts signed and the signatures. */
const v2 = {
  appKey: vector.appKey,
  appSecret: vector.appSecret,
  timestamp: '1538300000000',
  nonce: 'Xk3_9fQ2-LmZ7pA0',
};
const post = {
  method: 'POST',
  url: '/apiOpen/v1/task/getCallRecordInfoList',
  body: '{"robotCallJobId":2,"pageSize":5}',
};
const postText = [
  'v2',
  'WtSMaDemoKey0001',
  '1538300000000',
  'Xk3_9fQ2-LmZ7pA0',
  'POST',
  '/apiOpen/v1/task/getCallRecordInfoList',
  '',
  '52771ea87ca8fe4e4e4d514586b1593af11cc34cddbf73961074090fc021b8db',
].join('\n');
const get = {
  method: 'GET',
  url: '/apiOpen/v1/task/getTasks?pageSize=5&name=%e5%9b%9e%e8%ae%bf+2&status=&flag&tag=b&tag=a*',
  body: '',
};
const getText = [
  'v2',
  'WtSMaDemoKey0001',
  '1538300000000',
  'Xk3_9fQ2-LmZ7pA0',
  'GET',
  '/apiOpen/v1/task/getTasks',
  'flag=&name=%E5%9B%9E%E8%AE%BF%202&pageSize=5&status=&tag=a%2A&tag=b',
  'e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855',
].join('\n');
const postSignature = '3498e8abf24e6af06ca22b0072966cac6679f1f56b68fe31d0034a90f390d6f9';
const getSignature = 'f957dde587b9aceddcee2abf9649949e359005fd196a9c1589be5216f321a022';

describe('signature v2', () => {
  it('reproduces the test vectors of docs/signature.md: the text signed and the signature', () => {
    expect(createHash('sha256').update(post.body).digest('hex')).toBe(postText.slice(-64));
    expect(stringToSignV2({ ...v2, ...post })).toBe(postText);
    expect(stringToSignV2({ ...v2, ...get })).toBe(getText);
    expect(computeSignatureV2({ ...v2, ...post })).toBe(postSignature);
    expect(computeSignatureV2({ ...v2, ...get })).toBe(getSignature);
    // What the page says the signature is: HMAC-SHA256 keyed with the secret, of that text.
    expect(createHmac('sha256', v2.appSecret).update(getText).digest('hex')).toBe(getSignature);
    expect(createHmac('sha256', v2.appSecret).update(postText).digest('hex')).toBe(postSignature);
  });

  it('is computed the same by the WebCrypto client', async () => {
    const request = (r: { method: string; url: string; body: string }) => {
      const [path, query = ''] = r.url.split('?') as [string, string?];
      return { method: r.method, path, query, body: r.body };
    };
    for (const [r, signature] of [
      [post, postSignature],
      [get, getSignature],
    ] as const) {
      const headers = await signedHeadersV2(v2, request(r), { timestamp: 1538300000000, nonce: v2.nonce });
      expect(headers).toEqual({
        appKey: v2.appKey,
        version: 'v2',
        timestamp: v2.timestamp,
        nonce: v2.nonce,
        signature,
      });
    }
  });

  it('defines one canonical form for equivalent encodings, and keeps different ones apart', () => {
    expect(canonicalQuery('b=2&a=%7e&a=~')).toBe('a=~&a=~&b=2');
    expect(canonicalQuery('x=a+b')).toBe(canonicalQuery('x=a%20b'));
    expect(canonicalQuery('x=a%2Bb')).not.toBe(canonicalQuery('x=a+b'));
    expect(canonicalQuery('x')).toBe('x=');
    expect(canonicalQuery('&&x=1&')).toBe('x=1');
    expect(canonicalQuery('x=%zz%4')).toBe('x=%25zz%254');
    expect(canonicalQuery('a-b=1&a=2')).toBe('a=2&a-b=1');
    expect(canonicalPath('/apiOpen/v1/task/a%2fb')).toBe('/apiOpen/v1/task/a%2Fb');
    expect(canonicalPath('/a+b')).toBe('/a%2Bb');
    expect(canonicalPath('')).toBe('/');
  });

  it('has the same canonical form on the server and in the SDK, for any query and path', () => {
    const piece = fc.oneof(
      fc.string(),
      fc.constantFrom('%', '%2', '%zz', '%7e', '%7E', '+', '=', '&', '%ff', '%E5%9B%9E', '~', '*', '\ud800'),
    );
    const text = fc.array(piece, { maxLength: 8 }).map((parts) => parts.join(''));
    fc.assert(
      fc.property(text, (t) => {
        expect(sdk.canonicalQuery(t)).toBe(canonicalQuery(t));
        expect(sdk.canonicalPath(t)).toBe(canonicalPath(t));
      }),
      { numRuns: 2000 },
    );
  });
});
