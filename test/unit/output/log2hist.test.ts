import { describe, expect, it } from 'vitest';
import { LOG2_SLOTS, libbpfLog2Slot, log2Slot, renderLibbpfLog2Hist, renderLog2Hist, renderSectionedLog2Hist } from '../../../src/output/log2hist.js';
import { log2Buckets } from '../../../src/output/value.js';

function slotsOf(entries: Record<number, bigint>, n = LOG2_SLOTS): bigint[] {
  const s = new Array<bigint>(n).fill(0n);
  for (const [i, v] of Object.entries(entries)) s[Number(i)] = v;
  return s;
}

describe('log2Slot (bpf_log2l)', () => {
  const table: [bigint, number][] = [
    [0n, 1],
    [1n, 1],
    [2n, 2],
    [3n, 2],
    [4n, 3],
    [7n, 3],
    [8n, 4],
    [1023n, 10],
    [1024n, 11],
    [0xffff_ffffn, 32],
    [0x1_0000_0000n, 33],
    [(1n << 63n) - 1n, 63],
    [1n << 63n, 64],
    [(1n << 64n) - 1n, 64],
    [-1n, 64],
    [-(1n << 63n), 64],
  ];
  it.each(table)('log2Slot(%s) = %i', (v, slot) => {
    expect(log2Slot(v)).toBe(slot);
  });
  it('libbpf log2l: floor(log2), 0 and 1 in slot 0', () => {
    expect([0n, 1n, 2n, 3n, 4n, 1n << 40n].map(libbpfLog2Slot)).toEqual([0, 0, 1, 1, 2, 40]);
  });
});

describe('renderLog2Hist (BCC Python print_log2_hist)', () => {
  it('funclatency sample of BCC-FEATURES §5.4', () => {
    expect(renderLog2Hist(slotsOf({ 1: 14n, 2: 6n }), 'msecs')).toBe(
      '     msecs               : count     distribution\n' +
        '         0 -> 1          : 14       |****************************************|\n' +
        '         2 -> 3          : 6        |*****************                       |\n',
    );
  });

  it('prints leading zero rows, skips slot 0, stops at the highest slot', () => {
    expect(renderLog2Hist(slotsOf({ 2: 2n, 3: 0n, 6: 6n }), 'len')).toBe(
      '     len                 : count     distribution\n' +
        '         0 -> 1          : 0        |                                        |\n' +
        '         2 -> 3          : 2        |*************                           |\n' +
        '         4 -> 7          : 0        |                                        |\n' +
        '         8 -> 15         : 0        |                                        |\n' +
        '        16 -> 31         : 0        |                                        |\n' +
        '        32 -> 63         : 6        |****************************************|\n',
    );
  });

  it('slot 0 is never printed but counts toward the star scale (as in Python)', () => {
    expect(renderLog2Hist(slotsOf({ 0: 80n, 1: 40n }), 'v')).toBe(
      '     v                   : count     distribution\n' + '         0 -> 1          : 40       |********************                    |\n',
    );
  });

  it('prints nothing for an empty histogram, or one with only slot 0', () => {
    expect(renderLog2Hist(slotsOf({}), 'usecs')).toBe('');
    expect(renderLog2Hist([], 'usecs')).toBe('');
    expect(renderLog2Hist(slotsOf({ 0: 5n }), 'usecs')).toBe('');
  });

  it('long labels push the colon right (%-19s never truncates)', () => {
    const out = renderLog2Hist(slotsOf({ 1: 1n }), 'a-label-longer-than-nineteen');
    expect(out.split('\n')[0]).toBe('     a-label-longer-than-nineteen : count     distribution');
  });

  it('slot 32 still uses the narrow layout', () => {
    const lines = renderLog2Hist(slotsOf({ 32: 1n }), 'v').split('\n');
    expect(lines[0]).toBe('     v                   : count     distribution');
    expect(lines[32]).toBe('2147483648 -> 4294967295 : 1        |****************************************|');
  });

  it('wide layout when idx_max > 32 (20-wide bounds, 20 stars)', () => {
    const out = renderLog2Hist(slotsOf({ 1: 1n, 33: 4n, 64: 2n }), 'ns');
    const lines = out.split('\n');
    expect(lines[0]).toBe('               ns                            : count     distribution');
    expect(lines[1]).toBe('                   0 -> 1                    : 1        |*****               |');
    expect(lines[33]).toBe('          4294967296 -> 8589934591           : 4        |********************|');
    expect(lines[64]).toBe(' 9223372036854775808 -> 18446744073709551615 : 2        |**********          |');
    expect(lines).toHaveLength(66);
  });

  it('stars are floor(40 * val / max) with Python float rounding', () => {
    const row = (val: bigint, max: bigint) =>
      renderLog2Hist(slotsOf({ 1: val, 2: max }), 'x')
        .split('\n')[1]!
        .split('|')[1]!
        .replace(/ /g, '').length;
    expect(row(1n, 40n)).toBe(1);
    expect(row(39n, 40n)).toBe(39);
    expect(row(1n, 41n)).toBe(0);
    expect(row(3n, 7n)).toBe(17);
    // exact quotient 40 * (2^60 - 1) / 2^60 is just below 40: Python's float rounds it to 40.0
    expect(row((1n << 60n) - 1n, 1n << 60n)).toBe(40);
    // 40 * (2^53 - 1) / 2^53 = 39.99999999999999 in Python: 39 stars
    expect(row((1n << 53n) - 1n, 1n << 53n)).toBe(39);
    // ... but a quotient clearly below stays below
    expect(row((1n << 20n) - 1n, 1n << 20n)).toBe(39);
  });

  it('sections print "\\n<header> = <title>" then their own histogram', () => {
    const out = renderSectionedLog2Hist(
      [
        { title: 'compute [12860]', slots: slotsOf({ 1: 2n, 2: 1n }) },
        { title: 'empty', slots: slotsOf({}) },
      ],
      'usecs',
      'Function',
    );
    expect(out).toBe(
      '\nFunction = compute [12860]\n' +
        '     usecs               : count     distribution\n' +
        '         0 -> 1          : 2        |****************************************|\n' +
        '         2 -> 3          : 1        |********************                    |\n' +
        '\nFunction = empty\n',
    );
    expect(renderSectionedLog2Hist([{ title: '0x1', slots: [] }], 'v')).toBe('\nBucket ptr = 0x1\n');
  });

  it('log2Buckets lists the printed rows', () => {
    expect(log2Buckets(slotsOf({ 1: 3n, 3: 1n }))).toEqual([
      { lo: 0n, hi: 1n, count: 3n },
      { lo: 2n, hi: 3n, count: 0n },
      { lo: 4n, hi: 7n, count: 1n },
    ]);
    expect(log2Buckets([])).toEqual([]);
  });
});

describe('renderLibbpfLog2Hist (libbpf-tools trace_helpers.c)', () => {
  it('starts at row 0 and has 4 spaces before distribution', () => {
    expect(renderLibbpfLog2Hist([0n, 0n, 3n, 9n], 'usec')).toBe(
      '     usec                : count    distribution\n' +
        '         0 -> 1          : 0        |                                        |\n' +
        '         2 -> 3          : 0        |                                        |\n' +
        '         4 -> 7          : 3        |*************                           |\n' +
        '         8 -> 15         : 9        |****************************************|\n',
    );
  });
  it('empty prints nothing', () => {
    expect(renderLibbpfLog2Hist([0n, 0n], 'nsec')).toBe('');
  });
  it('wide layout above slot 32', () => {
    const s = new Array<bigint>(34).fill(0n);
    s[33] = 1n;
    const lines = renderLibbpfLog2Hist(s, 'nsec').split('\n');
    expect(lines[0]).toBe('               nsec                          : count    distribution');
    expect(lines[34]).toBe('          8589934592 -> 17179869183          : 1        |********************|');
  });
  it('unsigned int arithmetic wraps like C', () => {
    // 200M * 40 wraps at 2^32: (8e9 mod 2^32) / 2e8 = 18 stars
    const lines = renderLibbpfLog2Hist([200_000_000n], 'nsec').split('\n');
    expect(lines[1]).toBe('         0 -> 1          : 200000000 |' + '*'.repeat(18) + ' '.repeat(22) + '|');
  });
});
