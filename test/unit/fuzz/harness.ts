/**
 * Shared pieces of the parser fuzz properties: how many cases to run, and the one check every
 * case makes — the parser returns, or throws a TracerError subclass with a message. Anything
 * else (TypeError, RangeError) fails the property and fast-check shrinks it to a minimal
 * input and prints its seed; a hang fails on the test's own timeout (no wall-clock
 * assertions in tests: a loaded machine must not fail them).
 *
 *   FUZZ_RUNS=N   run N cases per property (scripts/fuzz.mjs sets it large)
 *   FUZZ_SEED=S   replay a reported seed
 */
import fc from 'fast-check';
import { expect } from 'vitest';
import { TracerError } from '../../../src/errors.js';

export function runs(defaultRuns: number): number {
  const n = Number(process.env['FUZZ_RUNS'] ?? 0);
  return n > 0 ? n : defaultRuns;
}

export function params(defaultRuns: number): fc.Parameters<unknown> {
  const seed = process.env['FUZZ_SEED'];
  return { numRuns: runs(defaultRuns), ...(seed ? { seed: Number(seed) } : {}) };
}

/** Run `fn`; only a TracerError with a non-empty message may escape. */
export function typedOnly(fn: () => unknown): void {
  try {
    fn();
  } catch (e) {
    if (!(e instanceof TracerError)) throw e;
    expect(e.message.length).toBeGreaterThan(0);
  }
}

/** Byte-level edits of a real input: overwrite, insert, delete, truncate, splice in a word. */
export function mutateBytes(good: Uint8Array, hot: ReadonlyArray<readonly [number, number]> = [[0, good.length]]): fc.Arbitrary<Uint8Array> {
  const ranges = hot.filter(([a, b]) => b > a);
  const at = fc.tuple(fc.nat({ max: ranges.length - 1 }), fc.nat()).map(([r, k]) => {
    const [a, b] = ranges[r]!;
    return a + (k % (b - a));
  });
  const interesting = fc.constantFrom(0, 1, 0x7f, 0x80, 0xff, 0xfe);
  const edit = fc.oneof(
    fc.record({ k: fc.constant('byte' as const), at, v: fc.oneof(fc.integer({ min: 0, max: 255 }), interesting) }),
    fc.record({ k: fc.constant('word' as const), at, v: fc.constantFrom(0, 1, 0xffffffff, 0x7fffffff, 0x80000000, 0xffff, 0x10000, 64, 4096) }),
    fc.record({ k: fc.constant('cut' as const), at }),
    fc.record({ k: fc.constant('delete' as const), at, n: fc.integer({ min: 1, max: 64 }) }),
    fc.record({ k: fc.constant('insert' as const), at, n: fc.integer({ min: 1, max: 64 }) }),
  );
  return fc.array(edit, { minLength: 1, maxLength: 6 }).map((edits) => {
    let b = good.slice();
    for (const e of edits) {
      const i = b.length === 0 ? 0 : e.at % b.length;
      switch (e.k) {
        case 'byte':
          if (i < b.length) b[i] = e.v;
          break;
        case 'word':
          if (i + 4 <= b.length) new DataView(b.buffer, b.byteOffset, b.byteLength).setUint32(i, e.v >>> 0, true);
          break;
        case 'cut':
          b = b.slice(0, i);
          break;
        case 'delete':
          {
            const k = Math.min(e.n, b.length - i);
            const n = new Uint8Array(b.length - k);
            n.set(b.subarray(0, i));
            n.set(b.subarray(i + k), i);
            b = n;
          }
          break;
        case 'insert': {
          const n = new Uint8Array(b.length + e.n);
          n.set(b.subarray(0, i));
          n.fill(0xa5, i, i + e.n);
          n.set(b.subarray(i), i + e.n);
          b = n;
          break;
        }
      }
    }
    return b;
  });
}

/** Line-level and character-level edits of a real text input. */
export function mutateText(good: string, alphabet: readonly string[]): fc.Arbitrary<string> {
  const lines = good.split('\n');
  const piece = fc.oneof(fc.constantFrom(...alphabet), fc.string({ maxLength: 8 }), fc.constantFrom('\n', '\t', ' ', '\0', '\r', '\u00ff', '\u{1F600}'));
  const edit = fc.oneof(
    fc.record({ k: fc.constant('insert' as const), line: fc.nat(), col: fc.nat(), s: piece }),
    fc.record({ k: fc.constant('delete' as const), line: fc.nat(), col: fc.nat(), n: fc.integer({ min: 1, max: 12 }) }),
    fc.record({ k: fc.constant('dropLine' as const), line: fc.nat() }),
    fc.record({ k: fc.constant('dupLine' as const), line: fc.nat() }),
    fc.record({ k: fc.constant('swapLines' as const), line: fc.nat(), other: fc.nat() }),
  );
  return fc.array(edit, { minLength: 1, maxLength: 5 }).map((edits) => {
    const ls = lines.slice();
    for (const e of edits) {
      if (ls.length === 0) ls.push('');
      const li = e.line % ls.length;
      const l = ls[li]!;
      switch (e.k) {
        case 'insert': {
          const c = e.col % (l.length + 1);
          ls[li] = l.slice(0, c) + e.s + l.slice(c);
          break;
        }
        case 'delete': {
          const c = e.col % (l.length + 1);
          ls[li] = l.slice(0, c) + l.slice(c + e.n);
          break;
        }
        case 'dropLine':
          ls.splice(li, 1);
          break;
        case 'dupLine':
          ls.splice(li, 0, l);
          break;
        case 'swapLines': {
          const o = e.other % ls.length;
          [ls[li], ls[o]] = [ls[o]!, ls[li]!];
          break;
        }
      }
    }
    return ls.join('\n');
  });
}
