/** report/double-buffer.ts: flip the index, wait for the programs, drain the idle hash. */
import { describe, it, expect } from 'vitest';
import { DoubleBuffer, type Drainable } from '../../../src/report/double-buffer.js';

function setup() {
  const log: string[] = [];
  const index = {
    update(key: Uint8Array, value: Uint8Array) {
      log.push(`index[${new DataView(key.buffer).getUint32(0, true)}] = ${new DataView(value.buffer).getUint32(0, true)}`);
    },
  };
  const barrier = { wait: () => log.push('wait') };
  const hash = (name: string, entries: string[]): Drainable<string> & { entries: string[] } => ({
    entries,
    drain() {
      log.push(`drain ${name}`);
      const e = this.entries;
      this.entries = [];
      return e;
    },
  });
  return { log, buffer: new DoubleBuffer(index, barrier), hash };
}

describe('double-buffered hashes', () => {
  it('flips the index, waits for the programs, then drains the hash they counted in', () => {
    const { log, buffer, hash } = setup();
    const pair = [hash('A', ['a1', 'a2']), hash('B', ['b1'])] as const;
    expect(buffer.active).toBe(0);
    expect(buffer.live(pair)).toBe(pair[0]);
    expect(buffer.take([pair])).toEqual([['a1', 'a2']]);
    expect(log).toEqual(['index[0] = 1', 'wait', 'drain A']);
    expect(buffer.active).toBe(1);
    expect(buffer.live(pair)).toBe(pair[1]);
    log.length = 0;
    expect(buffer.take([pair])).toEqual([['b1']]);
    expect(log).toEqual(['index[0] = 0', 'wait', 'drain B']);
    expect(buffer.take([pair])).toEqual([[]]);
  });

  it('one flip serves every pair (argdist: one index for all -C probes)', () => {
    const { log, buffer, hash } = setup();
    const p0 = [hash('A0', ['x']), hash('B0', [])] as const;
    const p1 = [hash('A1', ['y', 'z']), hash('B1', [])] as const;
    expect(buffer.take([p0, p1])).toEqual([['x'], ['y', 'z']]);
    expect(log).toEqual(['index[0] = 1', 'wait', 'drain A0', 'drain A1']);
  });

  it('flip then idle: the hash nothing writes any more', () => {
    const { buffer } = setup();
    const pair = ['first', 'second'] as const;
    buffer.flip();
    expect(buffer.idle(pair)).toBe('first');
    expect(buffer.live(pair)).toBe('second');
    buffer.flip();
    expect(buffer.idle(pair)).toBe('second');
  });
});
