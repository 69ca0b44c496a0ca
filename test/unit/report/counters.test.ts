/** report/counters.ts: per-CPU counters read as deltas, one message per kind of loss. */
import { describe, it, expect } from 'vitest';
import { Counter, readSlot, counterMessage, type CounterMap } from '../../../src/report/counters.js';

/** A fake PERCPU_ARRAY of u64 slots: `cpus[slot]` = the per-CPU values. */
function fakeMap(cpus: bigint[][]): CounterMap & { cpus: bigint[][]; lookups: number[] } {
  const lookups: number[] = [];
  return {
    cpus,
    lookups,
    lookup(key) {
      const slot = new DataView(key.buffer, key.byteOffset, 4).getUint32(0, true);
      lookups.push(slot);
      const v = cpus[slot];
      if (!v) return undefined;
      const out = new Uint8Array(8 * v.length);
      v.forEach((x, i) => new DataView(out.buffer).setBigUint64(8 * i, x, true));
      return out;
    },
    sumU64(value) {
      const dv = new DataView(value.buffer, value.byteOffset, value.byteLength);
      let s = 0n;
      for (let o = 0; o < value.byteLength; o += 8) s += dv.getBigUint64(o, true);
      return s;
    },
  };
}

describe('per-CPU counters', () => {
  it('readSlot sums one slot over CPUs; 0 without a map or a slot', () => {
    const m = fakeMap([
      [1n, 2n, 3n],
      [10n, 0n, 5n],
    ]);
    expect(readSlot(m)).toBe(6n);
    expect(readSlot(m, 1)).toBe(15n);
    expect(m.lookups).toEqual([0, 1]);
    expect(readSlot(m, 7)).toBe(0n);
    expect(readSlot(undefined, 0)).toBe(0n);
  });

  it('each report is the increase since the last one, said when not zero', () => {
    const m = fakeMap([
      [0n, 0n],
      [0n, 0n],
    ]);
    const said: string[] = [];
    const c = Counter.slot(m, 1, { kind: 'lost-stacks' }, (l) => said.push(l));
    expect(c.report()).toBe(0n);
    m.cpus[1] = [3n, 4n];
    expect(c.report()).toBe(7n);
    expect(c.report()).toBe(0n);
    m.cpus[1] = [5n, 4n];
    expect(c.report()).toBe(2n);
    expect(c.total).toBe(9n);
    expect(said).toEqual(['7 stacks lost (stack map full or hash bucket taken)\n', '2 stacks lost (stack map full or hash bucket taken)\n']);
  });

  it('extra losses only user space knows of are added to the total', () => {
    let kernel = 4n;
    const said: string[] = [];
    const c = new Counter(
      () => kernel,
      { kind: 'lost-events' },
      (l) => said.push(l),
    );
    expect(c.report()).toBe(4n);
    kernel = 6n;
    expect(c.report(10n)).toBe(12n);
    expect(said).toEqual(['4 events lost\n', '12 events lost\n']);
  });

  it('one message per kind (the texts the tests and users grep for)', () => {
    expect(counterMessage({ kind: 'lost-events' }, 3n)).toBe('3 events lost\n');
    expect(counterMessage({ kind: 'read-errors' }, 2n)).toBe('2 reads of user memory failed\n');
    expect(counterMessage({ kind: 'dropped-keys', spec: 'p:c:f(int x):int:x', entries: 10240 }, 5n)).toBe(
      "argdist: 5 events not counted for 'p:c:f(int x):int:x': its map is full (10240 keys; --max-entries raises it)\n",
    );
    expect(counterMessage({ kind: 'lost-stacks' }, 1n)).toBe('1 stacks lost (stack map full or hash bucket taken)\n');
    expect(counterMessage({ kind: 'dropped-counts' }, 9n)).toBe('9 events dropped (counts map full)\n');
  });
});
