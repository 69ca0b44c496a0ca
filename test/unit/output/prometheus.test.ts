/** output/prometheus.ts: the text exposition format rendered from OutputValue rows. */
import { describe, it, expect } from 'vitest';
import { renderPrometheus, log2Layout, labelName, escapeLabelValue, decimal, type MetricFamily } from '../../../src/output/prometheus.js';
import { renderLog2Hist, log2Slot } from '../../../src/output/log2hist.js';
import { record, stack } from '../../../src/output/value.js';

const slotsOf = (m: Record<number, number>) => {
  const s = new Array<bigint>(65).fill(0n);
  for (const [k, v] of Object.entries(m)) s[Number(k)] = BigInt(v);
  return s;
};

/** The sample lines of `text` as [name{labels}, value]. */
const samples = (text: string) =>
  text
    .split('\n')
    .filter((l) => l !== '' && !l.startsWith('#'))
    .map((l) => {
      const i = l.lastIndexOf(' ');
      return [l.slice(0, i), l.slice(i + 1)] as const;
    });

/** Cumulative counts at each row's upper bound of BCC's text histogram (`lo -> hi : count`). */
function textCumulative(text: string): Map<string, bigint> {
  const out = new Map<string, bigint>();
  let acc = 0n;
  for (const m of text.matchAll(/^\s*(\d+) -> (\d+)\s*: (\d+)/gm)) {
    acc += BigInt(m[3]!);
    out.set(m[2]!, acc);
  }
  return out;
}

const hist = (name: string, rows: MetricFamily['rows'], sum?: string): MetricFamily => ({ type: 'histogram', name, help: 'h', rows, value: 'v', sum });

describe('prometheus text format', () => {
  it('a counter: HELP, TYPE, NAME_total, labels in field order, the value field excluded', () => {
    const text = renderPrometheus([
      { type: 'counter', name: 'funccount_calls', help: 'Calls', value: 'count', rows: [record({ function: 'malloc', library: '/lib/libc.so.6', count: 5n })] },
    ]);
    expect(text).toBe(
      '# HELP funccount_calls_total Calls\n# TYPE funccount_calls_total counter\nfunccount_calls_total{function="malloc",library="/lib/libc.so.6"} 5\n',
    );
  });

  it('escapes label values (\\, ", newline) and HELP text (\\, newline)', () => {
    expect(escapeLabelValue('a"b\\c\nd')).toBe('a\\"b\\\\c\\nd');
    const text = renderPrometheus([{ type: 'counter', name: 'c', help: 'two\nlines \\ "q"', value: 'n', rows: [record({ k: 'a"b\\c\nd', n: 1n })] }]);
    expect(text).toContain('# HELP c_total two\\nlines \\\\ "q"\n');
    expect(text).toContain('c_total{k="a\\"b\\\\c\\nd"} 1\n');
  });

  it('leaves empty and undefined labels out, and writes no braces when none is left', () => {
    const text = renderPrometheus([
      {
        type: 'counter',
        name: 'c',
        help: 'c',
        value: 'n',
        rows: [record({ function: 'f', pid: undefined, library: '', n: 3n }), record({ pid: undefined, n: 4n })],
      },
    ]);
    expect(samples(text)).toEqual([
      ['c_total{function="f"}', '3'],
      ['c_total', '4'],
    ]);
    expect(text).not.toContain('""');
  });

  it('label names from expressions; nested records flattened; taken names get _2', () => {
    expect(labelName('$COMM')).toBe('comm');
    expect(labelName('args->ret')).toBe('args_ret');
    expect(labelName('(char*)$retval')).toBe('char_retval');
    expect(labelName('__x')).toBe('x');
    expect(labelName('2x')).toBe('_2x');
    expect(labelName('->')).toBe('key');
    const text = renderPrometheus([
      {
        type: 'counter',
        name: 'argdist_events',
        help: 'e',
        value: 'count',
        rows: [record({ probe: 'p', key: record({ $COMM: 'curl', probe: 7n, 'args->ret': -1n }), count: 2n })],
      },
    ]);
    expect(samples(text)).toEqual([['argdist_events_total{probe="p",comm="curl",probe_2="7",args_ret="-1"}', '2']]);
  });

  it('rows with the same labels are one series, their counts added', () => {
    const text = renderPrometheus([{ type: 'counter', name: 'c', help: 'c', value: 'n', rows: [record({ f: 'a', n: 1n }), record({ f: 'a', n: 2n })] }]);
    expect(samples(text)).toEqual([['c_total{f="a"}', '3']]);
  });

  it('a family without rows is its HELP and TYPE lines', () => {
    expect(renderPrometheus([hist('h', [])])).toBe('# HELP h h\n# TYPE h histogram\n');
  });

  it('refuses what would make an invalid exposition: bad metric names, NaN, a label that is not a primitive', () => {
    expect(() => renderPrometheus([{ type: 'counter', name: 'a-b', help: '', value: 'n', rows: [] }])).toThrow(/metric name/);
    expect(() => renderPrometheus([hist('h', [record({ v: log2Layout(slotsOf({ 1: 1 })), s: Number.NaN })], 's')])).toThrow(/not finite/);
    expect(() => renderPrometheus([{ type: 'counter', name: 'c', help: '', value: 'n', rows: [record({ st: stack([]), n: 1n })] }])).toThrow(/label/);
  });

  it("log2 buckets: le is each slot's inclusive upper bound, cumulative, then +Inf and _count", () => {
    const text = renderPrometheus([hist('argdist_value', [record({ probe: 'x', v: log2Layout(slotsOf({ 1: 2, 2: 2, 3: 4, 4: 4 })) })])]);
    const s = new Map(samples(text));
    expect(s.get('argdist_value_bucket{probe="x",le="1"}')).toBe('2'); // 0 and 1
    expect(s.get('argdist_value_bucket{probe="x",le="3"}')).toBe('4');
    expect(s.get('argdist_value_bucket{probe="x",le="7"}')).toBe('8');
    expect(s.get('argdist_value_bucket{probe="x",le="15"}')).toBe('12');
    expect(s.get('argdist_value_bucket{probe="x",le="18446744073709551615"}')).toBe('12');
    expect(s.get('argdist_value_bucket{probe="x",le="+Inf"}')).toBe('12');
    expect(s.get('argdist_value_count{probe="x"}')).toBe('12');
    expect([...s.keys()].filter((k) => k.startsWith('argdist_value_bucket'))).toHaveLength(65); // slots 1..64, +Inf
    expect(text).not.toContain('_sum');
    // A read of exactly 4096 bytes is in slot 13 (4096 -> 8191): counted at le=8191, not at 4095.
    const read = renderPrometheus([hist('r', [record({ v: log2Layout(slotsOf({ [log2Slot(4096n)]: 1 })) })])]);
    expect(new Map(samples(read)).get('r_bucket{le="4095"}')).toBe('0');
    expect(new Map(samples(read)).get('r_bucket{le="8191"}')).toBe('1');
  });

  it("cumulative bucket counts are the text histogram's rows, summed, at each row's upper bound", () => {
    const cases: Record<number, number>[] = [{ 1: 62, 2: 3, 5: 9, 13: 1 }, { 1: 1 }, { 7: 5, 33: 2 }, { 2: 1, 64: 3 }];
    for (const m of cases) {
      const slots = slotsOf(m);
      const rows = textCumulative(renderLog2Hist(slots, 'value'));
      const prom = new Map(samples(renderPrometheus([hist('h', [record({ v: log2Layout(slots) })])])));
      expect(rows.size).toBeGreaterThan(0);
      for (const [hi, acc] of rows) expect(prom.get(`h_bucket{le="${hi}"}`), `le=${hi}`).toBe(String(acc));
    }
  });

  it('nanoseconds are exported in seconds: exact decimal bounds and sum; with a scale, slot k ends 1 ns before 2^k units', () => {
    expect(decimal(1023n, 9)).toBe('0.000001023');
    expect(decimal(2_500_000_000n, 9)).toBe('2.5');
    expect(decimal((1n << 64n) - 1n, 9)).toBe('18446744073.709551615');
    const ns = renderPrometheus([
      hist('funclatency_seconds', [record({ function: 'f', v: log2Layout(slotsOf({ 10: 3 }), { unit: 'nsecs' }), s: 2500n })], 's'),
    ]);
    const s = new Map(samples(ns));
    expect(s.get('funclatency_seconds_bucket{function="f",le="0.000000511"}')).toBe('0');
    expect(s.get('funclatency_seconds_bucket{function="f",le="0.000001023"}')).toBe('3');
    expect(s.get('funclatency_seconds_sum{function="f"}')).toBe('0.0000025');
    expect(s.get('funclatency_seconds_count{function="f"}')).toBe('3');
    // -u: the kernel counts floor(ns / 1000) in slot 1 up to 1 us, i.e. up to 1999 ns.
    const us = renderPrometheus([hist('funclatency_seconds', [record({ v: log2Layout(slotsOf({ 1: 1 }), { unit: 'nsecs', scale: 1000n }), s: 1500 })], 's')]);
    expect(new Map(samples(us)).get('funclatency_seconds_bucket{le="0.000001999"}')).toBe('1');
    expect(new Map(samples(us)).get('funclatency_seconds_sum')).toBe('0.0000015');
  });

  it('a histogram in nsecs must be a _seconds family, and a _seconds family must have a unit', () => {
    expect(() => renderPrometheus([hist('lat_nanoseconds', [record({ v: log2Layout(slotsOf({ 1: 1 }), { unit: 'nsecs' }) })])])).toThrow(/_seconds/);
    expect(() => renderPrometheus([hist('lat_seconds', [record({ v: log2Layout(slotsOf({ 1: 1 })) })])])).toThrow(/_seconds/);
    expect(() => renderPrometheus([hist('lat_seconds', [record({ v: log2Layout(slotsOf({ 1: 1 }), { unit: 'usecs' }) })])])).toThrow(/base unit/);
  });

  it('histogram rows with the same labels are one series: buckets and sums added', () => {
    const text = renderPrometheus([
      hist('h', [record({ f: 'a', v: log2Layout(slotsOf({ 1: 1 })), s: 1n }), record({ f: 'a', v: log2Layout(slotsOf({ 3: 2 })), s: 10n })], 's'),
    ]);
    const s = new Map(samples(text));
    expect(s.get('h_bucket{f="a",le="1"}')).toBe('1');
    expect(s.get('h_bucket{f="a",le="7"}')).toBe('3');
    expect(s.get('h_sum{f="a"}')).toBe('11');
    expect(s.get('h_count{f="a"}')).toBe('3');
  });
});
