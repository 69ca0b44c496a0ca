import { describe, expect, it } from 'vitest';
import { BtfSpec } from '../../../src/btf/spec.js';
import { dumpRaw } from '../../../src/btf/dump.js';
import type { BtfType } from '../../../src/btf/types.js';
import { BPFTOOL, FIXTURES, bpftool, firstDiff, fixture, fixtureBytes } from './helpers.js';

const byName = (name: string, kind?: BtfType['kind'], file = 'kinds.btf'): BtfType => fixture(file).byName(name, kind)[0]!;

describe('BTF decoding (kinds.btf: gcc + pahole)', () => {
  const spec = fixture('kinds.btf');

  it('reads the header and counts types', () => {
    expect(spec.header.littleEndian).toBe(true);
    expect(spec.firstId).toBe(1);
    expect(spec.count).toBe(73);
    expect(spec.get(0)).toEqual({ id: 0, name: '', kind: 'void' });
  });

  it('decodes INT', () => {
    expect(byName('int', 'int')).toMatchObject({ kind: 'int', size: 4, signed: true, bits: 32, bitOffset: 0, char: false, bool: false });
    expect(byName('long long unsigned int')).toMatchObject({ kind: 'int', size: 8, signed: false, bits: 64 });
  });

  it('decodes ENUM (unsigned and signed) and ENUM64 into one kind with bigint values', () => {
    expect(byName('color')).toMatchObject({
      kind: 'enum',
      size: 4,
      signed: false,
      wide: false,
      values: [
        { name: 'RED', value: 0n },
        { name: 'GREEN', value: 1n },
        { name: 'BLUE', value: 2n },
      ],
    });
    expect(byName('neg')).toMatchObject({
      kind: 'enum',
      signed: true,
      values: [
        { name: 'MINUS_ONE', value: -1n },
        { name: 'ZERO', value: 0n },
      ],
    });
    expect(byName('big')).toMatchObject({ kind: 'enum', size: 8, wide: true, signed: false, values: [{ value: 1n }, { value: 0x100000000n }] });
    expect(byName('bigneg')).toMatchObject({ kind: 'enum', wide: true, signed: true, values: [{ value: -(2n ** 63n) }, { value: 1n }] });
  });

  it('decodes STRUCT with bitfields (kind_flag layout)', () => {
    const t = byName('flags', 'struct');
    expect(t).toMatchObject({
      kind: 'struct',
      size: 16,
      members: [
        { name: 'a', bitOffset: 0, bitSize: 3 },
        { name: 'b', bitOffset: 3, bitSize: 5 },
        { name: 'c', bitOffset: 8, bitSize: 7 },
        { name: 'd', bitOffset: 16, bitSize: 0 },
        { name: 'e', bitOffset: 24, bitSize: 40 },
        { name: 'tail', bitOffset: 64, bitSize: 0 },
      ],
    });
  });

  it('decodes UNION, anonymous members, ARRAY, FWD, PTR, qualifiers, FLOAT', () => {
    const outer = byName('outer', 'struct');
    if (outer.kind !== 'struct') throw new Error('kind');
    const anon = spec.get(outer.members[1]!.type);
    expect(anon).toMatchObject({ kind: 'union', name: '', size: 8 });
    const named = spec.get(outer.members[2]!.type);
    if (named.kind !== 'struct') throw new Error('kind');
    expect(spec.get(named.members[0]!.type)).toMatchObject({ kind: 'array', length: 16 });
    expect(byName('opaque')).toMatchObject({ kind: 'fwd', of: 'struct' });
    expect(byName('opaque_u')).toMatchObject({ kind: 'fwd', of: 'union' });
    const cvp = spec.get(outer.members[3]!.type);
    expect(cvp.kind).toBe('ptr');
    if (cvp.kind !== 'ptr') throw new Error('kind');
    expect(spec.get(cvp.target).kind).toBe('volatile');
    const rp = spec.get(outer.members[4]!.type);
    expect(rp.kind).toBe('restrict');
    expect(byName('double')).toMatchObject({ kind: 'float', size: 8 });
    expect(byName('size_t')).toMatchObject({ kind: 'typedef' });
  });

  it('decodes FUNC and FUNC_PROTO, including variadic prototypes', () => {
    const f = byName('vfs_read', 'func');
    expect(f).toMatchObject({ kind: 'func', linkage: 'static' });
    if (f.kind !== 'func') throw new Error('kind');
    const p = spec.get(f.proto);
    expect(p).toMatchObject({ kind: 'func_proto', variadic: false });
    if (p.kind !== 'func_proto') throw new Error('kind');
    expect(p.params.map((x) => x.name)).toEqual(['file', 'buf', 'count', 'pos']);
    expect(spec.get(37)).toMatchObject({ kind: 'func_proto', variadic: true, ret: 0 });
  });

  it('caches inflated types and looks names up by kind', () => {
    expect(spec.get(15)).toBe(spec.get(15));
    expect(spec.idsByName('file', 'struct')).toEqual([47]);
    expect(spec.idsByName('file', 'func')).toEqual([]);
    expect(spec.idsByName('no_such_thing')).toEqual([]);
    expect(spec.one('outer', 'struct').id).toBe(27);
    expect(() => spec.one('nope', 'struct')).toThrow(/no struct named 'nope'/);
    expect([...spec.all()]).toHaveLength(72);
    expect(spec.idsOfKind('func')).toEqual([64, 66, 68, 70, 72]);
  });
});

describe('hand-built tags.btf (decl/type tags, VAR, DATASEC, encodings, linkages)', () => {
  const spec = fixture('tags.btf');
  it('decodes every remaining kind', () => {
    expect(spec.get(2)).toMatchObject({ kind: 'int', char: true });
    expect(spec.get(3)).toMatchObject({ kind: 'int', bool: true });
    expect(spec.get(5)).toMatchObject({ kind: 'type_tag', name: 'user', target: 2 });
    expect(spec.get(11)).toMatchObject({ kind: 'decl_tag', value: 'packed_attr', target: 10, component: -1 });
    expect(spec.get(12)).toMatchObject({ kind: 'decl_tag', component: 0 });
    expect(spec.get(14)).toMatchObject({ kind: 'func', linkage: 'global' });
    expect(spec.get(17)).toMatchObject({ kind: 'func', linkage: 'extern' });
    expect(spec.get(18)).toMatchObject({ kind: 'var', name: 'counter', linkage: 'global', type: 1 });
    expect(spec.get(19)).toMatchObject({ kind: 'var', linkage: 'static' });
    expect(spec.get(20)).toMatchObject({ kind: 'var', linkage: 'extern' });
    expect(spec.get(21)).toMatchObject({
      kind: 'datasec',
      name: '.data',
      size: 24,
      vars: [
        { type: 18, offset: 0, size: 4 },
        { type: 19, offset: 8, size: 8 },
        { type: 20, offset: 16, size: 8 },
      ],
    });
    expect(spec.get(22)).toMatchObject({
      kind: 'enum',
      wide: true,
      signed: true,
      values: [
        { name: 'SB_NEG', value: -2n },
        { name: 'SB_POS', value: 0x100000005n },
      ],
    });
    expect(spec.get(23)).toMatchObject({ kind: 'enum', values: [] });
    expect(spec.get(24)).toMatchObject({ kind: 'fwd', of: 'union' });
    expect(spec.get(25)).toMatchObject({ kind: 'func_proto', params: [], variadic: true });
  });
});

describe('big-endian blobs', () => {
  for (const name of ['kinds', 'tags']) {
    it(`${name}.be.btf decodes exactly like ${name}.btf`, () => {
      const le = fixture(`${name}.btf`);
      const be = fixture(`${name}.be.btf`);
      expect(be.header.littleEndian).toBe(false);
      expect(dumpRaw(be)).toBe(dumpRaw(le));
      expect([...be.all()]).toEqual([...le.all()]);
    });
  }
  it('split BTF on a big-endian base', () => {
    expect(dumpRaw(fixture('split.be.btf'))).toBe(dumpRaw(fixture('split.btf')));
  });
  it('rejects a split blob whose base has the other byte order', () => {
    expect(() => BtfSpec.parse(fixtureBytes('split.be.btf'), { base: fixture('kinds.btf') })).toThrow(/byte order/);
  });
});

describe('split BTF (split.btf on kinds.btf)', () => {
  const base = fixture('kinds.btf');
  const split = fixture('split.btf');
  it('continues ids and strings after the base', () => {
    expect(split.firstId).toBe(base.count);
    expect(split.get(1)).toBe(base.get(1));
    const s = split.one('mod_state', 'struct');
    expect(s.id).toBe(base.count);
    expect(s.members.map((m) => [m.name, split.nameOf(m.type) || split.kindOf(m.type)])).toEqual([
      ['filp', 'ptr'],
      ['in', 'inner'],
      ['count', 'size_t'],
      ['enabled', 'unsigned int'],
      ['level', 'unsigned int'],
    ]);
    expect(split.idsByName('inner', 'struct')).toEqual([18]);
    expect(split.memberPath(s.id, ['in', 'y']).bitOffset).toBe(64 + 32);
    expect(split.memberPath(s.id, ['level'])).toMatchObject({ bitOffset: 193, bitSize: 3 });
  });
});

describe.skipIf(!BPFTOOL && process.env.CI !== 'true')('dumpRaw equals bpftool on the fixtures', () => {
  for (const [file, base] of [['kinds.btf'], ['tags.btf'], ['split.btf', 'kinds.btf'], ['kinds.be.btf'], ['tags.be.btf']] as const) {
    it(file, () => {
      const want = bpftool(['btf', 'dump', 'file', `${FIXTURES}${file}`, ...(base ? ['-B', `${FIXTURES}${base}`] : [])]);
      const got = dumpRaw(fixture(file));
      expect(firstDiff(got, want)).toBeUndefined();
    });
  }
});
