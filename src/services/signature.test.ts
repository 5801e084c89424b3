import { describe, expect, it } from 'vitest';
import { signedHeaders } from '../client/signing.js';
import { computeSignature, signatureMatches } from './signature.js';

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
