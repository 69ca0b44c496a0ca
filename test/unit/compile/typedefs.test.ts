/**
 * The typedefs every probe knows without BTF: their sizes live once, in compile/types.ts; the
 * lexer (which cannot import compile/) lists their names again so that `(u32)x` is a cast.
 */
import { describe, it, expect } from 'vitest';
import { TYPEDEF_NAMES } from '../../../src/specs/index.js';
import { KNOWN_TYPEDEF_NAMES, knownTypedef } from '../../../src/compile/types.js';

describe('known typedefs', () => {
  it('the lexer knows as types exactly the typedefs compile/types.ts has sizes for', () => {
    expect([...KNOWN_TYPEDEF_NAMES].sort()).toEqual([...TYPEDEF_NAMES].sort());
  });

  it('sizes and signedness', () => {
    expect(knownTypedef('u8')).toEqual({ kind: 'int', size: 1, signed: false, name: 'u8' });
    expect(knownTypedef('__s64')).toEqual({ kind: 'int', size: 8, signed: true, name: '__s64' });
    expect(knownTypedef('pid_t')).toEqual({ kind: 'int', size: 4, signed: true, name: 'pid_t' });
    expect(knownTypedef('size_t')).toEqual({ kind: 'int', size: 8, signed: false, name: 'size_t' });
    expect(knownTypedef('bool')).toEqual({ kind: 'bool' });
  });

  it('names of Object.prototype are not typedefs', () => {
    expect(knownTypedef('constructor')).toBeUndefined();
    expect(knownTypedef('toString')).toBeUndefined();
  });
});
