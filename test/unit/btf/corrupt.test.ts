import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { BtfError } from '../../../src/errors.js';
import { BtfSpec } from '../../../src/btf/spec.js';
import { dumpRaw } from '../../../src/btf/dump.js';
import { formatDecl } from '../../../src/btf/format.js';
import { fixtureBytes } from './helpers.js';

const good = fixtureBytes('kinds.btf');
const HDR = 24;
const typeLen = new DataView(good.buffer, good.byteOffset).getUint32(12, true);
const strOff = new DataView(good.buffer, good.byteOffset).getUint32(16, true);

function patch(fn: (dv: DataView, b: Uint8Array) => void, bytes: Uint8Array = good): Uint8Array {
  const b = bytes.slice();
  fn(new DataView(b.buffer), b);
  return b;
}
/** Byte offset of the record of type `id` in kinds.btf (walks records like a reader would). */
function recordAt(id: number): number {
  const s = BtfSpec.parse(good);
  return s.typeStart + s.offsets[id - 1]! * 4;
}

/** Everything a consumer may do with a spec; must only ever throw BtfError. */
function exercise(bytes: Uint8Array): void {
  const spec = BtfSpec.parse(bytes);
  dumpRaw(spec);
  for (let id = 1; id < spec.count; id++) {
    const t = spec.get(id);
    if (t.kind === 'struct' || t.kind === 'union' || t.kind === 'enum' || t.kind === 'typedef') {
      try {
        formatDecl(spec, id);
        spec.underlying(id);
      } catch (e) {
        if (!(e instanceof BtfError)) throw e;
      }
    }
  }
  spec.idsByName('outer');
  spec.idsByName('vfs_read', 'func');
}

const cases: [string, Uint8Array, RegExp][] = [
  ['empty input', new Uint8Array(0), /truncated: 0 bytes/],
  ['truncated header', good.subarray(0, 20), /truncated: 20 bytes/],
  ['bad magic', patch((dv) => dv.setUint16(0, 0x1234, true)), /bad magic 0x1234 at byte offset 0/],
  [
    'bad version',
    patch((_, b) => {
      b[2] = 7;
    }),
    /unsupported BTF version 7/,
  ],
  ['header length past the end', patch((dv) => dv.setUint32(4, 1 << 20, true)), /bad BTF header length/],
  ['type section past the end', patch((dv) => dv.setUint32(12, typeLen + 4096, true)), /type section .* past the end/],
  ['string section past the end', patch((dv) => dv.setUint32(20, 1 << 24, true)), /string section .* past the end/],
  ['truncated blob', good.subarray(0, good.length - 100), /past the end/],
  [
    'string table not NUL-terminated',
    patch((_, b) => {
      b[b.length - 1] = 0x41;
    }),
    /not NUL-terminated/,
  ],
  [
    'name offset past the string table',
    patch((dv) => dv.setUint32(recordAt(5), 0xfffff, true)),
    /type id 5 at byte offset \d+: name offset 1048575 past the string table/,
  ],
  ['unknown kind', patch((dv) => dv.setUint32(recordAt(3) + 4, 25 << 24, true)), /type id 3 at byte offset \d+: unknown kind 25/],
  [
    'absurd vlen',
    patch((dv) => dv.setUint32(recordAt(15) + 4, (1 << 31) | (4 << 24) | 0xffff, true)),
    /type id 15 .*STRUCT with vlen 65535 runs \d+ bytes past the end/,
  ],
  [
    'type section length not a multiple of 4',
    patch((dv) => {
      dv.setUint32(12, typeLen - 2, true);
    }),
    /not a multiple of 4/,
  ],
];

describe('corrupt input → BtfError naming what and where', () => {
  for (const [what, bytes, re] of cases) {
    it(what, () => {
      expect(() => BtfSpec.parse(bytes)).toThrow(BtfError);
      expect(() => BtfSpec.parse(bytes)).toThrow(re);
    });
  }

  it('type id out of range (found when the referrer is decoded)', () => {
    const b = patch((dv) => dv.setUint32(recordAt(1) + 8, 9999, true)); // typedef size_t → 9999
    const spec = BtfSpec.parse(b);
    expect(() => spec.get(1)).toThrow(/type id 9999 out of range \(valid: 0\.\.72\) referenced by type id 1 \(TYPEDEF\) at byte offset \d+/);
    expect(() => spec.get(73)).toThrow(/type id 73 out of range/);
    expect(() => spec.get(-1)).toThrow(BtfError);
  });

  it('reference loops end in BtfError, not a hang', () => {
    // Make CONST [11] point at VOLATILE [12], which points back at [11].
    const b = patch((dv) => dv.setUint32(recordAt(11) + 8, 12, true));
    const spec = BtfSpec.parse(b);
    expect(() => spec.underlying(12)).toThrow(/chain longer than 32/);
    expect(() => spec.sizeof(12)).toThrow(/reference chain longer than 32/);
    expect(() => spec.alignof(12)).toThrow(BtfError);
    expect(() => formatDecl(spec, 27)).toThrow(BtfError); // struct outer → ptr → volatile loop
    // A pointer loop and a struct embedding itself.
    const c = patch((dv) => dv.setUint32(recordAt(28) + 8, 28, true)); // PTR [28] → itself
    expect(() => formatDecl(BtfSpec.parse(c), 27)).toThrow(/declarator chain longer/);
    const d = patch((dv) => dv.setUint32(recordAt(18) + 12 + 4, 18, true)); // inner.x : struct inner
    const sd = BtfSpec.parse(d);
    expect(() => sd.alignof(18)).toThrow(/deeper than 32/);
    const e = patch((dv) => dv.setUint32(recordAt(23) + 12 + 12 + 4, 23, true)); // anon union member → itself
    const se = BtfSpec.parse(e);
    expect(() => formatDecl(se, 27)).toThrow(BtfError);
    expect(() => se.memberPath(27, ['nope'])).toThrow();
  });

  it('string offset past the table in a member name', () => {
    const b = patch((dv) => dv.setUint32(recordAt(15) + 12, 0xffffff, true));
    const spec = BtfSpec.parse(b);
    expect(() => spec.get(15)).toThrow(/string offset \d+ past the string table .* in member 0 of type id 15 \(STRUCT\)/);
  });

  it('string offsets validated against the string section', () => {
    expect(strOff).toBe(typeLen);
  });
});

describe('fuzz: random mutations of a valid blob', () => {
  it('only ever succeeds or throws BtfError', () => {
    fc.assert(
      fc.property(
        fc.array(fc.record({ at: fc.nat({ max: good.length - 1 }), v: fc.integer({ min: 0, max: 255 }) }), { minLength: 1, maxLength: 8 }),
        fc.option(fc.nat({ max: good.length }), { nil: undefined }),
        (edits, cut) => {
          const b = good.slice(0, cut ?? good.length);
          for (const { at, v } of edits) if (at < b.length) b[at] = v;
          try {
            exercise(b);
          } catch (e) {
            if (!(e instanceof BtfError)) throw e;
          }
        },
      ),
      { numRuns: 3000 },
    );
  });

  it('mutations of type-section words (ids, vlens, offsets) only ever throw BtfError', () => {
    const words = Math.floor(typeLen / 4);
    fc.assert(
      fc.property(
        fc.array(fc.record({ w: fc.nat({ max: words - 1 }), v: fc.oneof(fc.nat({ max: 80 }), fc.integer({ min: 0, max: 0xffffffff })) }), {
          minLength: 1,
          maxLength: 4,
        }),
        (edits) => {
          const b = good.slice();
          const dv = new DataView(b.buffer);
          for (const { w, v } of edits) dv.setUint32(HDR + w * 4, v, true);
          try {
            exercise(b);
          } catch (e) {
            if (!(e instanceof BtfError)) throw e;
          }
        },
      ),
      { numRuns: 3000 },
    );
  });
});
