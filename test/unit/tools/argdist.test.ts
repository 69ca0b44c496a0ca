/**
 * argdist without a kernel: option parsing, the plan (C before H, titles, labels, display
 * expressions, key types), key layouts and codecs, program shapes, and the exact output.
 */
import { describe, it, expect } from 'vitest';
import { parseOptions, freqRows, renderInterval, jsonInterval } from '../../../src/multitools/argdist.js';
import { plan, valueType, decodeFreq, freqEntries, freqPair } from '../../../src/multitools/argdist-plan.js';
import {
  keyLayout,
  encodeKey,
  decodeField,
  argdistProgram,
  argdistEntryProgram,
  freqMapSpec,
  histMapSpec,
  droppedMapSpec,
  HIST_SLOTS,
  type ArgdistValueType,
} from '../../../src/compile/tools/argdist.js';
import { parseArgdistSpec } from '../../../src/specs/parse.js';
import { disasm } from '../../../src/emit/disasm.js';
import { R1, R2, stx, alu64, FP } from '../../../src/emit/asm.js';
import type { BtfSpec } from '../../../src/btf/index.js';

const noBtf = (): BtfSpec => {
  throw new Error('no BTF in unit tests');
};

function planOf(counts: string[], histograms: string[] = [], stringSize = 80) {
  return plan({ counts, histograms, stringSize }, noBtf);
}

const u = (size: 1 | 2 | 4 | 8, signed = false, name = 'x'): ArgdistValueType => ({ kind: 'int', size, signed, name });

describe('argdist options', () => {
  it("--max-entries sizes both -C hashes, over the test hook; 10,240 (BCC's) without either", () => {
    expect(parseOptions(['--max-entries', '2000000', '-C', 'p:c:b()'], 'argdist').maxEntries).toBe(2_000_000);
    expect(parseOptions(['-C', 'p:c:b()'], 'argdist').maxEntries).toBeUndefined();
    expect(() => parseOptions(['--max-entries', '0', '-C', 'p:c:b()'], 'argdist')).toThrow(/max entries must be at least 1/);
    expect(freqEntries({})).toBe(10240);
    expect(freqEntries({ POLYTRACE_TEST_MAP_ENTRIES: '3' })).toBe(3);
    expect(freqEntries({ POLYTRACE_TEST_MAP_ENTRIES: '3' }, 7)).toBe(7);
    const p = plan({ counts: ['t:a:b():int:args->x'], histograms: [], stringSize: 80 }, () => ({}) as BtfSpec).probes[0]!;
    expect(freqPair(p, 5).map((m) => m.maxEntries)).toEqual([5, 5]);
  });

  it('parses every BCC option; -C and -H repeat', () => {
    const o = parseOptions(
      [
        '-p',
        '12',
        '-t',
        '13',
        '-z',
        '40',
        '-i',
        '2',
        '-d',
        '10',
        '-n',
        '3',
        '-v',
        '-c',
        '-T',
        '5',
        '-H',
        'p:c:a(int x):int:x',
        '-C',
        'p:c:b()',
        '-H',
        'p:c:c(int y):int:y',
        '-I',
        'linux/fs.h',
        '--json',
      ],
      'argdist',
    );
    expect(o).toMatchObject({
      pid: 12,
      tid: 13,
      stringSize: 40,
      interval: 2,
      duration: 10,
      count: 3,
      verbose: true,
      cumulative: true,
      top: 5,
      histograms: ['p:c:a(int x):int:x', 'p:c:c(int y):int:y'],
      counts: ['p:c:b()'],
      includes: ['linux/fs.h'],
      json: true,
    });
  });
  it('defaults: -z 80, -i 1', () => {
    const o = parseOptions(['-C', 'p:c:b()'], 'argdist');
    expect(o.stringSize).toBe(80);
    expect(o.interval).toBe(1);
    expect(o.cumulative).toBe(false);
  });
  it('-c takes no value (BCC: "unrecognized arguments: 1")', () => {
    expect(() => parseOptions(['-i', '10', '-c', '1', '-H', 'r:c:read()'], 'argdist')).toThrow(/unknown|too many|unexpected|excess/i);
  });
});

describe('argdist plan', () => {
  it('needs a specifier', () => {
    expect(() => planOf([])).toThrow('at least one specifier is required');
  });
  it('puts every -C before every -H, in command-line order', () => {
    const p = plan({ histograms: ['p:c:h1(int a):int:a'], counts: ['p:c:c1()', 'p:c:c2()'], stringSize: 80 }, noBtf);
    expect(p.probes.map((x) => [x.index, x.kind, x.text])).toEqual([
      [0, 'freq', 'p:c:c1()'],
      [1, 'freq', 'p:c:c2()'],
      [2, 'hist', 'p:c:h1(int a):int:a'],
    ]);
  });
  it('titles: the label with exactly one #, else the raw specifier; histogram labels', () => {
    const p = plan(
      {
        counts: ['p:c:malloc(size_t size):u64:size#a#b', 'r:c:gets():char*:$retval#snooped strings'],
        histograms: ['r:c:read()', 'r:c:malloc(size_t size):u64:$latency/$entry(size)', 'p:c:m(size_t size):u64:size*2+1'],
        stringSize: 80,
      },
      noBtf,
    );
    expect(p.probes.map((x) => x.title)).toEqual(['p:c:malloc(size_t size):u64:size#a#b', 'snooped strings', 'retval', '$latency/size', 'size*2+1']);
  });
  it('display expressions: $entry(x) shows as x; defaults', () => {
    const p = planOf(['r:c:malloc(size_t size):u64,u64:$entry(size),$latency', 'p:c:fork()', 'r:c:malloc():int']);
    expect(p.probes.map((x) => x.display)).toEqual([['size', '$latency'], ['total calls'], ['retval']]);
    expect(p.probes.map((x) => x.needsEntry)).toEqual([true, false, false]);
  });
  it('$latency outside a return probe is refused', () => {
    expect(() => planOf(['p:c:malloc(size_t size):u64:$latency'])).toThrow(/only valid in return probes/);
  });
  it('value types: integers, char* strings with -z, other pointers as u64', () => {
    const types = (t: string) => {
      const ast = parseArgdistSpec(`p:c:f(int x):${t}:x`, 'C');
      return valueType(ast.types[0]!, ast.text, 33, noBtf);
    };
    expect(types('u8')).toMatchObject({ kind: 'int', size: 1, signed: false });
    expect(types('s16')).toMatchObject({ kind: 'int', size: 2, signed: true });
    expect(types('int')).toMatchObject({ kind: 'int', size: 4, signed: true });
    expect(types('size_t')).toMatchObject({ kind: 'int', size: 8, signed: false });
    expect(types('s64')).toMatchObject({ kind: 'int', size: 8, signed: true });
    expect(types('char*')).toEqual({ kind: 'string', size: 33, name: 'char*' });
    expect(types('char *')).toMatchObject({ kind: 'string', size: 33 });
    expect(types('void *')).toMatchObject({ kind: 'int', size: 8, signed: false });
    expect(() => types('struct sock')).toThrow(/cannot be counted/);
  });
});

describe('argdist keys', () => {
  it('lays out the key as C does (natural alignment, strings unaligned)', () => {
    const l = keyLayout([u(1), u(8), { kind: 'string', size: 5, name: 'char*' }, u(4)]);
    expect(l.fields.map((f) => f.offset)).toEqual([0, 8, 16, 24]);
    expect(l.size).toBe(32);
    expect(keyLayout([{ kind: 'string', size: 3, name: 'char*' }]).size).toBe(3);
  });
  it('round-trips values, signed and unsigned, and cuts strings at NUL', () => {
    const l = keyLayout([u(4, true), { kind: 'string', size: 8, name: 'char*' }, u(8), u(2, true)]);
    const k = encodeKey(l, [-5n, 'hello', 18446744073709551615n, -2n]);
    expect(l.fields.map((f) => decodeField(k, f))).toEqual([-5n, 'hello', 18446744073709551615n, -2n]);
  });
  it('merges keys that display the same and drops zero counts', () => {
    const p = planOf(['p:c:f(int a, char *s):int,char*:a,s'], [], 8).probes[0]!;
    const k1 = encodeKey(p.layout, [1n, 'ab']);
    const k2 = k1.slice();
    k2[p.layout.fields[1]!.offset + 5] = 0x7a; // garbage after the NUL
    const v = (n: bigint) => {
      const b = new Uint8Array(8);
      new DataView(b.buffer).setBigUint64(0, n, true);
      return b;
    };
    const e = decodeFreq(p, [
      [k1, v(2n)],
      [k2, v(3n)],
      [encodeKey(p.layout, [2n, 'c']), v(0n)],
    ]);
    expect(e).toEqual([{ values: [1n, 'ab'], count: 5n }]);
    expect(freqRows(p, e)).toEqual([{ count: 5n, key: 'a = 1, s = ab' }]);
  });
});

describe('argdist output', () => {
  const time = new Date(2026, 0, 1, 13, 59, 3);
  it("prints BCC's interval: timestamp, freq tables ascending, -T top N, then histograms", () => {
    const p = planOf(['p:./t:compute(void *p, const char *s, int n):int,char*:n,s', 'r:./t:fact()'], ['r:./t:fact():u64:$latency/1000']).probes;
    const slots = new Array<bigint>(HIST_SLOTS).fill(0n);
    slots[7] = 20n;
    const text = renderInterval(
      time,
      [
        {
          plan: p[0]!,
          kind: 'freq',
          entries: [
            { values: [2n, 'hello world'], count: 23n },
            { values: [0n, 'hello world'], count: 22n },
          ],
        },
        {
          plan: p[1]!,
          kind: 'freq',
          entries: [
            { values: [24n], count: 68n },
            { values: [1n], count: 70n },
            { values: [2n], count: 1n },
          ],
        },
        { plan: p[2]!, kind: 'hist', slots },
      ],
      2,
    );
    expect(text).toBe(
      [
        '[13:59:03]',
        'p:./t:compute(void *p, const char *s, int n):int,char*:n,s',
        '\tCOUNT      EVENT',
        '\t22         n = 0, s = hello world',
        '\t23         n = 2, s = hello world',
        'r:./t:fact()',
        '\tCOUNT      EVENT',
        '\t68         retval = 24',
        '\t70         retval = 1',
        '     $latency/1000       : count     distribution',
        '         0 -> 1          : 0        |                                        |',
        '         2 -> 3          : 0        |                                        |',
        '         4 -> 7          : 0        |                                        |',
        '         8 -> 15         : 0        |                                        |',
        '        16 -> 31         : 0        |                                        |',
        '        32 -> 63         : 0        |                                        |',
        '        64 -> 127        : 20       |****************************************|',
        '',
      ].join('\n'),
    );
  });
  it('an empty histogram prints nothing', () => {
    const p = planOf([], ['p:c:f(int x):int:x']).probes[0]!;
    expect(renderInterval(time, [{ plan: p, kind: 'hist', slots: new Array<bigint>(HIST_SLOTS).fill(0n) }])).toBe('[13:59:03]\n');
  });
  it('--json: one document with every probe', () => {
    const p = planOf(['p:c:f(int x):int:x#xs'], ['p:c:f(int x):int:x']).probes;
    const slots = new Array<bigint>(HIST_SLOTS).fill(0n);
    slots[3] = 4n;
    const doc = JSON.parse(
      jsonInterval(
        time,
        [
          {
            plan: p[0]!,
            kind: 'freq',
            entries: [
              { values: [5n], count: 2n },
              { values: [-1n], count: 1n },
            ],
          },
          { plan: p[1]!, kind: 'hist', slots },
        ],
        undefined,
        [7n, 0n],
      ),
    );
    expect(doc.tool).toBe('argdist');
    expect(doc.probes[0]).toEqual({
      spec: 'p:c:f(int x):int:x#xs',
      label: 'xs',
      type: 'counts',
      dropped: 7,
      counts: [
        { key: { x: -1 }, count: 1 },
        { key: { x: 5 }, count: 2 },
      ],
    });
    expect(doc.probes[1].buckets).toEqual([
      { lo: 0, hi: 1, count: 0 },
      { lo: 2, hi: 3, count: 0 },
      { lo: 4, hi: 7, count: 4 },
    ]);
  });
});

describe('argdist program shapes', () => {
  const lower = () => ({
    scalar: (_i: number, dst: number) => {
      void dst;
    },
    string: () => {},
  });
  it('freq: zeroed key, lookup, insert-with-1 (NOEXIST), atomic add, dropped counter', () => {
    const layout = keyLayout([u(4), { kind: 'string', size: 12, name: 'char*' }]);
    const spec = argdistProgram({
      kind: 'freq',
      name: 'argdist0',
      progType: 2,
      index: 0,
      layout,
      freq: freqMapSpec(0, layout.size),
      dropped: droppedMapSpec(1),
      filter: { pid: 42 },
      lower: (b) => ({
        scalar: (_i, dst) => b.emit(alu64.mov.imm(dst, 7)),
        string: (_i, base, off) => b.emit(stx('B', base, off, R1)),
      }),
    });
    const text = disasm(spec.insns);
    expect(spec.maps.map((m) => m.name)).toEqual(['ad_freq0', 'ad_dropped']);
    expect(text).toMatch(/lock \*\(u64 \*\)\(r0 \+0\) \+= r1/);
    expect(text).toMatch(/call bpf_map_update_elem/);
    expect(text).toMatch(/r4 = 1/);
    expect(text).toMatch(/if r0 != 0x2a goto/);
  });
  it('hist: log2 slot of the converted value, atomically added in one array value (no helper call)', () => {
    const spec = argdistProgram({
      kind: 'hist',
      name: 'argdist1',
      progType: 2,
      index: 1,
      type: u(4, true, 'int'),
      hist: histMapSpec(1),
      filter: {},
      lower: (b) => ({ ...lower(), scalar: (_i, dst) => b.emit(alu64.mov.imm(dst, -1)) }),
    });
    expect(spec.maps).toEqual([histMapSpec(1)]);
    expect(histMapSpec(1)).toMatchObject({ type: 2, maxEntries: 1, valueSize: 8 * 65 });
    const text = disasm(spec.insns);
    expect(text).toMatch(/s>>= 32/);
    expect(text).toMatch(/lock \*\(u64 \*\)\(r1 \+0\) \+= r2/);
    expect(text).not.toMatch(/call/);
  });
  it('entry program: filters then the stash', () => {
    const spec = argdistEntryProgram({ name: 'argdist0e', progType: 2, filter: { tid: 9 }, stash: (b) => b.emit(stx('DW', FP, -8, R2)) });
    expect(disasm(spec.insns)).toMatch(/goto/);
  });
  it('refuses keys too large for the stack', () => {
    const layout = keyLayout([
      { kind: 'string', size: 255, name: 'char*' },
      { kind: 'string', size: 255, name: 'char*' },
    ]);
    expect(() =>
      argdistProgram({
        kind: 'freq',
        name: 'x',
        progType: 2,
        index: 0,
        layout,
        freq: freqMapSpec(0, layout.size),
        dropped: droppedMapSpec(1),
        filter: {},
        lower,
      }),
    ).toThrow(/510 bytes, over the 384/);
  });
});
