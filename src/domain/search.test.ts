import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { characterCount, gramsOf } from './search.js';

describe('gramsOf', () => {
  it('gives each distinct substring of 1..max characters once', () => {
    expect([...gramsOf('1511', 2)].sort()).toEqual(['1', '11', '15', '5', '51']);
    expect([...gramsOf('沈涛涵', 3)].sort()).toEqual(['沈', '沈涛', '沈涛涵', '涛', '涛涵', '涵'].sort());
    expect(gramsOf('', 3).size).toBe(0);
  });

  it('counts a character outside the BMP as one, as the databases do', () => {
    expect(characterCount('𠀋家')).toBe(2);
    expect([...gramsOf('𠀋家', 1)].sort()).toEqual(['家', '𠀋'].sort());
  });

  it('holds exactly the short texts the string contains', () => {
    fc.assert(
      fc.property(
        fc.string({ unit: fc.constantFrom('1', '5', '沈', '涛', 'a') }),
        fc.string({ unit: fc.constantFrom('1', '5', '沈', '涛', 'a'), minLength: 1, maxLength: 3 }),
        (text, words) => {
          expect(gramsOf(text, 3).has(words)).toBe(text.includes(words));
        },
      ),
      { numRuns: 300 },
    );
  });
});
