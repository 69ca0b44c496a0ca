/** output/value.ts + json.ts: the one output model every --json document is built from. */
import { describe, it, expect } from 'vitest';
import { record, list, primitive, log2Histogram, stack, byCountAscending } from '../../../src/output/value.js';
import { renderJson, jsonDocument, encodeJson } from '../../../src/output/json.js';

describe('output model → JSON', () => {
  it('a record keeps its field order and leaves undefined fields out (never null)', () => {
    expect(renderJson(record({ tool: 'x', a: undefined, b: 1, c: 'two' }))).toBe('{"tool":"x","b":1,"c":"two"}');
  });

  it("u64s follow json.ts's one convention: numbers up to 2^53, decimal strings above", () => {
    const v = record({ small: 1n << 53n, big: (1n << 64n) - 1n, neg: -((1n << 53n) + 1n), f: 0.5, inf: Infinity });
    expect(renderJson(v)).toBe('{"small":9007199254740992,"big":"18446744073709551615","neg":"-9007199254740993","f":0.5,"inf":null}');
    expect(renderJson(primitive(1n << 60n))).toBe(encodeJson(1n << 60n));
  });

  it("a log2 histogram is BCC's rows {lo, hi, count}, from 0 -> 1 to the highest non-empty", () => {
    const slots = new Array<bigint>(65).fill(0n);
    slots[3] = 4n;
    expect(renderJson(log2Histogram(slots))).toBe('[{"lo":0,"hi":1,"count":0},{"lo":2,"hi":3,"count":0},{"lo":4,"hi":7,"count":4}]');
    expect(renderJson(log2Histogram(new Array<bigint>(65).fill(0n)))).toBe('[]');
  });

  it('a stack is its frames {addr: "0x…", sym}, [unknown] when unresolved', () => {
    expect(renderJson(stack([{ addr: 0xffffffff81000000n, sym: 'do_sys_open' }, { addr: 0x10n }]))).toBe(
      '[{"addr":"0xffffffff81000000","sym":"do_sys_open"},{"addr":"0x10","sym":"[unknown]"}]',
    );
    expect(renderJson(primitive({ sym: 'main', addr: 0x401000n }))).toBe('{"addr":"0x401000","sym":"main"}');
  });

  it('lists and nested records; bare primitives and arrays of them are wrapped', () => {
    const v = record({ rows: list([record({ k: 'a', n: 2n }), undefined, 3]), names: ['a', 'b'], empty: record({}) });
    expect(renderJson(v)).toBe('{"rows":[{"k":"a","n":2},3],"names":["a","b"],"empty":{}}');
    expect(jsonDocument(record({ a: true }))).toBe('{"a":true}\n');
  });

  it('renders what encodeJson renders for the same plain document', () => {
    const plain = { tool: 't', time: '1970-01-01T00:00:00.000Z', s: 'q"uote\n', n: [1n, 2n << 60n], o: { x: false } };
    expect(renderJson(record({ ...plain, n: list(plain.n), o: record(plain.o) }))).toBe(encodeJson(plain));
  });

  it('rows ascending by count, stable for equal counts', () => {
    const rows = [
      { k: 'a', count: 3n },
      { k: 'b', count: 1n },
      { k: 'c', count: 3n },
      { k: 'd', count: 0n },
    ];
    expect(byCountAscending(rows).map((r) => r.k)).toEqual(['d', 'b', 'a', 'c']);
  });
});
