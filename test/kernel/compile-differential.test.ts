/**
 * Differential test of the expression compiler's arithmetic: random expression trees over a few
 * typed inputs are evaluated by a reference evaluator written here (C on LP64, with the defined
 * behaviour documented in src/compile/lower.ts) and by the kernel: the expressions are compiled
 * into one RAW_TRACEPOINT program that reads its inputs from ctx (u64 args, fed by
 * BPF_PROG_TEST_RUN's ctx_in) and stores each result in an array map.
 *
 * DIFF_RUNS (default 12) batches of DIFF_BATCH (default 40) expressions, each run on 6 input
 * vectors: about 2900 comparisons in the default run.
 */
import { describe, it, expect } from 'vitest';
import fc from 'fast-check';
import { isRoot, inCI } from '../helpers/kernel.js';
import { TraceSession } from '../../src/session.js';
import { ProgType } from '../../src/emit/types.js';
import { progTestRun } from '../../src/sys/bpf.js';
import { parseExpr, parseTraceProbe } from '../../src/specs/index.js';
import type { Expr } from '../../src/specs/ast.js';
import { probeContext } from '../../src/compile/context.js';
import { buildProgram, decode } from './compile-helpers.js';

const skip = !isRoot && !inCI;
const RUNS = Number(process.env.DIFF_RUNS ?? 12);
const BATCH = Number(process.env.DIFF_BATCH ?? 40);

// ---------------------------------------------------------------------------------------------
// Reference evaluator (independent of src/compile)

interface T {
  size: 1 | 2 | 4 | 8;
  signed: boolean;
  bool?: boolean;
}
interface V {
  v: bigint;
  t: T;
}
const INT: T = { size: 4, signed: true };
const wrap = (v: bigint, t: T): bigint => (t.bool ? (v !== 0n ? 1n : 0n) : t.signed ? BigInt.asIntN(t.size * 8, v) : BigInt.asUintN(t.size * 8, v));

const INPUTS: Record<string, T> = {
  a: { size: 8, signed: false },
  b: { size: 4, signed: true },
  c: { size: 4, signed: false },
  d: { size: 8, signed: true },
  e: { size: 2, signed: false },
  f: { size: 1, signed: true },
};
const SIGNATURE = 'p::f(u64 a, s32 b, u32 c, s64 d, u16 e, s8 f)';
const NAMES = Object.keys(INPUTS);

const CASTS: Record<string, T> = {
  s8: { size: 1, signed: true },
  u8: { size: 1, signed: false },
  s16: { size: 2, signed: true },
  u16: { size: 2, signed: false },
  s32: { size: 4, signed: true },
  u32: { size: 4, signed: false },
  s64: { size: 8, signed: true },
  u64: { size: 8, signed: false },
  int: INT,
  'unsigned int': { size: 4, signed: false },
  long: { size: 8, signed: true },
  'unsigned long': { size: 8, signed: false },
  char: { size: 1, signed: true },
  'unsigned char': { size: 1, signed: false },
  short: { size: 2, signed: true },
  _Bool: { size: 1, signed: false, bool: true },
};

function promote(x: V): V {
  if (x.t.bool || x.t.size < 4) return { v: x.v, t: INT };
  return x;
}
function common(a: T, b: T): T {
  if (a.size === b.size && a.signed === b.signed) return a;
  if (a.size !== b.size) return a.size > b.size ? a : b;
  return a.signed ? b : a;
}
function litType(v: bigint, suffix: string, radix: string): T {
  const u = suffix.includes('u');
  const l = suffix.includes('l');
  if (!u && !l && v < 1n << 31n) return INT;
  if (!l && (u || radix !== 'decimal') && v < 1n << 32n) return { size: 4, signed: false };
  if (!u && v < 1n << 63n) return { size: 8, signed: true };
  return { size: 8, signed: false };
}

function evaluate(e: Expr, env: Record<string, bigint>): V {
  switch (e.kind) {
    case 'int':
      return { v: e.value, t: litType(e.value, e.suffix, e.radix) };
    case 'ident': {
      const t = INPUTS[e.name]!;
      return { v: wrap(env[e.name]!, t), t };
    }
    case 'cast': {
      const x = evaluate(e.operand, env);
      const name = e.type.base.kind === 'basic' || e.type.base.kind === 'typedef' ? e.type.base.name : '?';
      const t = CASTS[name]!;
      return { v: wrap(x.v, t), t };
    }
    case 'unary': {
      const x = evaluate(e.operand, env);
      if (e.op === '!') return { v: x.v === 0n ? 1n : 0n, t: INT };
      const p = promote(x);
      return { v: wrap(e.op === '-' ? -p.v : ~p.v, p.t), t: p.t };
    }
    case 'ternary': {
      const c = evaluate(e.cond, env);
      // Both branches' types decide the result type; only one branch is evaluated (no effects here).
      const a = evaluate(e.then, env);
      const b = evaluate(e.else, env);
      const t = common(promote(a).t, promote(b).t);
      return { v: wrap(c.v !== 0n ? a.v : b.v, t), t };
    }
    case 'binary': {
      if (e.op === '&&') {
        const l = evaluate(e.left, env);
        return { v: l.v !== 0n && evaluate(e.right, env).v !== 0n ? 1n : 0n, t: INT };
      }
      if (e.op === '||') {
        const l = evaluate(e.left, env);
        return { v: l.v !== 0n || evaluate(e.right, env).v !== 0n ? 1n : 0n, t: INT };
      }
      const l = promote(evaluate(e.left, env));
      const r = promote(evaluate(e.right, env));
      if (e.op === '<<' || e.op === '>>') {
        const count = BigInt.asUintN(64, r.v) & BigInt(l.t.size * 8 - 1);
        return { v: wrap(e.op === '<<' ? l.v << count : l.v >> count, l.t), t: l.t };
      }
      const t = common(l.t, r.t);
      const a = wrap(l.v, t);
      const b = wrap(r.v, t);
      switch (e.op) {
        case '+':
          return { v: wrap(a + b, t), t };
        case '-':
          return { v: wrap(a - b, t), t };
        case '*':
          return { v: wrap(a * b, t), t };
        case '/':
          return { v: b === 0n ? 0n : wrap(a / b, t), t };
        case '%':
          return { v: b === 0n ? a : wrap(a % b, t), t };
        case '&':
          return { v: wrap(a & b, t), t };
        case '|':
          return { v: wrap(a | b, t), t };
        case '^':
          return { v: wrap(a ^ b, t), t };
        case '<':
          return { v: a < b ? 1n : 0n, t: INT };
        case '<=':
          return { v: a <= b ? 1n : 0n, t: INT };
        case '>':
          return { v: a > b ? 1n : 0n, t: INT };
        case '>=':
          return { v: a >= b ? 1n : 0n, t: INT };
        case '==':
          return { v: a === b ? 1n : 0n, t: INT };
        case '!=':
          return { v: a !== b ? 1n : 0n, t: INT };
      }
      throw new Error(`op ${e.op}`);
    }
    default:
      throw new Error(`reference evaluator: ${e.kind}`);
  }
}

// ---------------------------------------------------------------------------------------------
// Generators

const SPECIAL = [
  0n,
  1n,
  2n,
  7n,
  31n,
  32n,
  63n,
  64n,
  255n,
  0x7fffn,
  0x8000n,
  0xffffn,
  0x7fffffffn,
  0x80000000n,
  0xffffffffn,
  0x100000000n,
  0x7fffffffffffffffn,
  0x8000000000000000n,
  0xffffffffffffffffn,
];

const literal = fc.oneof(
  fc.integer({ min: 0, max: 40 }).map((n) => String(n)),
  fc.constantFrom(...SPECIAL).map((v) => (v < 1n << 31n ? String(v) : `0x${v.toString(16)}`)),
  fc.tuple(fc.bigInt(0n, (1n << 64n) - 1n), fc.constantFrom('', 'u', 'l', 'ul', 'ull', 'll')).map(([v, s]) => {
    if (s === '' || s === 'l' || s === 'll') v = v >> 1n; // keep signed literals in range
    return `0x${v.toString(16)}${s}`;
  }),
);

const leaf = fc.oneof({ weight: 3, arbitrary: fc.constantFrom(...NAMES) }, { weight: 2, arbitrary: literal });
const BIN = ['+', '-', '*', '/', '%', '&', '|', '^', '<<', '>>', '<', '<=', '>', '>=', '==', '!=', '&&', '||'];

const { expr } = fc.letrec<{ expr: string }>((tie) => ({
  expr: fc.oneof(
    { depthSize: 'small', withCrossShrink: true },
    leaf,
    fc.tuple(fc.constantFrom('-', '!', '~'), tie('expr')).map(([op, x]) => `${op}(${x})`),
    fc.tuple(fc.constantFrom(...Object.keys(CASTS)), tie('expr')).map(([t, x]) => `(${t})(${x})`),
    fc.tuple(tie('expr'), fc.constantFrom(...BIN), tie('expr')).map(([a, op, b]) => `(${a}) ${op} (${b})`),
    fc.tuple(tie('expr'), tie('expr'), tie('expr')).map(([c, a, b]) => `(${c}) ? (${a}) : (${b})`),
  ),
}));

const inputValue = fc.oneof(fc.constantFrom(...SPECIAL, (1n << 64n) - 2n, (1n << 63n) | 5n, 0xffffffff80000000n), fc.bigInt(0n, (1n << 64n) - 1n));
const inputs = fc.array(fc.tuple(...NAMES.map(() => inputValue)), { minLength: 6, maxLength: 6 });

// ---------------------------------------------------------------------------------------------

describe.skipIf(skip)('compile: differential test against a reference evaluator (BPF_PROG_TEST_RUN)', () => {
  it(`agrees on ${RUNS} batches of ${BATCH} random expressions × 6 inputs`, () => {
    const sig = parseTraceProbe(SIGNATURE).signature!;
    const ctx = probeContext({ kind: 'raw_tracepoint', nargs: 6 }, { signature: sig });
    let compared = 0;
    fc.assert(
      fc.property(fc.array(expr, { minLength: Math.ceil(BATCH / 2), maxLength: BATCH, size: 'max' }), inputs, (generated, vectors) => {
        // What C leaves undefined with constant operands (a zero divisor, a shift by the width
        // or more) is refused by the checker: such expressions have nothing to compare.
        const texts = generated.filter((t) => {
          try {
            buildProgram(ctx, ProgType.RawTracepoint, [t], { name: 'cmp_diff', strings: false });
            return true;
          } catch (e) {
            if (/(division|remainder) by zero|shift by .* is out of range/.test((e as Error).message)) return false;
            throw e;
          }
        });
        const built = buildProgram(ctx, ProgType.RawTracepoint, texts, { name: 'cmp_diff', strings: false });
        using s = new TraceSession();
        const prog = s.load(built.spec, { verbose: true });
        const out = s.maps.get('out')!;
        for (const vec of vectors) {
          const env: Record<string, bigint> = Object.fromEntries(NAMES.map((n, i) => [n, vec[i]!]));
          const ctxIn = new Uint8Array(8 * NAMES.length);
          const dv = new DataView(ctxIn.buffer);
          vec.forEach((v, i) => dv.setBigUint64(8 * i, v, true));
          out.update(new Uint8Array(4), new Uint8Array(out.spec.valueSize));
          progTestRun(prog.fd.value, ctxIn, 0); // raw tracepoints refuse repeat
          const got = decode(built, out.lookup(new Uint8Array(4))!);
          for (const text of texts) {
            const want = BigInt.asUintN(64, evaluate(parseExpr(text), env).v);
            const have = got.get(text);
            if (have !== want) {
              throw new Error(
                `${text}\n  inputs ${NAMES.map((n) => `${n}=0x${env[n]!.toString(16)}`).join(' ')}\n  kernel 0x${(have as bigint).toString(16)} reference 0x${want.toString(16)}`,
              );
            }
            compared++;
          }
        }
      }),
      { numRuns: RUNS, seed: Number(process.env.DIFF_SEED ?? 20251), endOnFailure: process.env.DIFF_SHRINK !== '1' },
    );
    expect(compared).toBeGreaterThan(RUNS * 6);
    console.log(`differential: ${compared} comparisons`);
  });
});
