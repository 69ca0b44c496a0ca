import { describe, expect, it } from 'vitest';
import { ResolveError } from '../../../src/errors.js';
import { funcProto } from '../../../src/btf/func.js';
import { memberPath, suggest } from '../../../src/btf/resolve.js';
import { fixture } from './helpers.js';

const spec = fixture('kinds.btf');
const id = (name: string, kind: 'struct' | 'typedef' | 'union' = 'struct'): number => spec.idsByName(name, kind)[0]!;

describe('underlying / sizeof / alignof', () => {
  it('peels typedefs and qualifiers', () => {
    expect(spec.underlying(id('size_t', 'typedef'))).toMatchObject({ kind: 'int', name: 'long unsigned int' });
    expect(spec.underlying(12)).toMatchObject({ kind: 'int', name: 'int' }); // volatile const int
    expect(spec.underlying(28).kind).toBe('ptr');
    expect(fixture('tags.btf').underlying(27).kind).toBe('ptr'); // typedef → const → ptr
    expect(fixture('tags.btf').underlying(7).kind).toBe('void'); // type_tag → void
  });
  it('computes sizes', () => {
    expect(spec.sizeof(id('outer'))).toBe(168);
    expect(spec.sizeof(id('loff_t', 'typedef'))).toBe(8);
    expect(spec.sizeof(25)).toBe(16); // char[16]
    expect(spec.sizeof(40)).toBe(32); // 4 pointers
    expect(spec.sizeof(id('empty'))).toBe(0);
    expect(() => spec.sizeof(0)).toThrow(ResolveError);
    expect(() => spec.sizeof(43)).toThrow(/has no size/); // func_proto
  });
  it('computes alignment, detecting packed layouts', () => {
    expect(spec.alignof(id('outer'))).toBe(8);
    expect(spec.alignof(id('inner'))).toBe(4);
    expect(spec.alignof(id('packed_s'))).toBe(1);
    expect(spec.alignof(25)).toBe(1);
  });
});

describe('memberPath', () => {
  const outer = id('outer');
  it('finds plain members', () => {
    expect(memberPath(spec, outer, ['head'])).toEqual({ bitOffset: 0, bitSize: 0, type: 10 });
    expect(memberPath(spec, outer, ['next'])).toMatchObject({ bitOffset: 1280 });
  });
  it('walks nested named members', () => {
    expect(memberPath(spec, outer, ['named', 'matrix'])).toMatchObject({ bitOffset: 128 + 128, type: 26 });
  });
  it('looks through anonymous unions and structs', () => {
    expect(memberPath(spec, outer, ['raw'])).toMatchObject({ bitOffset: 64, bitSize: 0 });
    expect(memberPath(spec, outer, ['in', 'y'])).toMatchObject({ bitOffset: 64 + 32 });
    expect(memberPath(spec, outer, ['hi'])).toMatchObject({ bitOffset: 64 + 16 });
  });
  it('returns bitfield offsets and sizes', () => {
    expect(memberPath(spec, outer, ['more'])).toEqual({ bitOffset: 64 + 36, bitSize: 12, type: 8 });
    expect(memberPath(spec, id('flags'), ['e'])).toMatchObject({ bitOffset: 24, bitSize: 40 });
  });
  it('fails with suggestions on unknown members', () => {
    try {
      memberPath(spec, outer, ['nxet']);
      expect.unreachable();
    } catch (e) {
      expect(e).toBeInstanceOf(ResolveError);
      expect((e as ResolveError).message).toBe("struct outer has no member named 'nxet'");
      expect((e as ResolveError).hints).toEqual(["did you mean 'next'?"]);
    }
    expect(() => memberPath(spec, outer, ['bitz'])).toThrow(ResolveError);
    try {
      memberPath(spec, outer, ['bitz']);
    } catch (e) {
      expect((e as ResolveError).hints[0]).toContain("'bits'");
    }
  });
  it('refuses to go through pointers or scalars', () => {
    expect(() => memberPath(spec, outer, ['next', 'head'])).toThrow(/not a struct or union/);
    expect(() => memberPath(spec, outer, ['head', 'x'])).toThrow(ResolveError);
  });
  it('suggest ranks by edit distance', () => {
    expect(suggest('tsak', ['task', 'tasks', 'mask', 'zzzz'])).toEqual(['task']);
    expect(suggest('pidd', ['pid', 'tgid', 'pids', 'comm'])).toEqual(['pid', 'pids']);
    expect(suggest('xyz', ['abc'])).toEqual([]);
  });
});

describe('funcProto', () => {
  it('resolves parameters and return type', () => {
    const fp = funcProto(spec, 'vfs_read');
    expect(fp.func.name).toBe('vfs_read');
    expect(fp.params.map((p) => [p.name, spec.nameOf(spec.get(p.type).kind === 'ptr' ? (spec.get(p.type) as { target: number }).target : p.type)])).toEqual([
      ['file', 'file'],
      ['buf', 'char'],
      ['count', 'size_t'],
      ['pos', 'loff_t'],
    ]);
    expect(spec.nameOf(fp.ret)).toBe('ssize_t');
  });
  it('suggests near names for unknown functions', () => {
    expect(() => funcProto(spec, 'vfs_raed')).toThrow(ResolveError);
    try {
      funcProto(spec, 'vfs_raed');
    } catch (e) {
      expect((e as ResolveError).hints).toEqual(["did you mean 'vfs_read'?"]);
    }
  });
});
