/**
 * The few pieces of Python's `%` formatting that BCC's output depends on, reproduced exactly.
 *
 * Python pads `%-10s` / `%8d` by code points, not UTF-16 units, and formats floats with
 * correctly rounded, round-half-even decimal conversion; these helpers do the same so a
 * renderer is one template literal away from BCC's bytes.
 */

/** Number of code points of `s` (Python's `len(str)`). */
export function pyLen(s: string): number {
  let n = 0;
  for (const _ of s) n++;
  return n;
}

/** `%-Ns`: left-justify `s` in `width` code points, never truncate. */
export function ljust(s: string, width: number): string {
  const n = pyLen(s);
  return n >= width ? s : s + ' '.repeat(width - n);
}

/** `%Ns`: right-justify `s` in `width` code points, never truncate. */
export function rjust(s: string, width: number): string {
  const n = pyLen(s);
  return n >= width ? s : ' '.repeat(width - n) + s;
}

/** Python `s[:n]` (code points). */
export function pySlice(s: string, n: number): string {
  if (s.length <= n) return s;
  let out = '';
  let i = 0;
  for (const ch of s) {
    if (i++ >= n) break;
    out += ch;
  }
  return out;
}

/** `%x` of a non-negative or negative integer, as Python prints it (`-ff` for -255). */
export function hex(v: bigint): string {
  return v < 0n ? '-' + (-v).toString(16) : v.toString(16);
}

/**
 * Python `"%.Nf" % x`: the exact binary value of `x` rounded half-to-even to `digits`
 * decimals (JavaScript's `toFixed` rounds exact ties away from zero, e.g. 0.0078125).
 */
export function fixed(x: number, digits: number): string {
  if (Number.isNaN(x)) return 'nan';
  if (!Number.isFinite(x)) return x < 0 ? '-inf' : 'inf';
  const negative = x < 0 || Object.is(x, -0);
  const { mantissa, exponent } = decompose(Math.abs(x));
  let scaled = mantissa * 10n ** BigInt(digits);
  let q: bigint;
  if (exponent >= 0) {
    q = scaled << BigInt(exponent);
  } else {
    const den = 1n << BigInt(-exponent);
    q = scaled / den;
    const twice = (scaled % den) * 2n;
    if (twice > den || (twice === den && (q & 1n) === 1n)) q += 1n;
  }
  scaled = q;
  let text = scaled.toString();
  if (digits > 0) {
    text = text.padStart(digits + 1, '0');
    text = `${text.slice(0, text.length - digits)}.${text.slice(text.length - digits)}`;
  }
  return (negative ? '-' : '') + text;
}

/** `x = mantissa * 2**exponent` exactly, for finite non-negative x. */
function decompose(x: number): { mantissa: bigint; exponent: number } {
  const view = new DataView(new ArrayBuffer(8));
  view.setFloat64(0, x);
  const bits = view.getBigUint64(0);
  const biased = Number((bits >> 52n) & 0x7ffn);
  const fraction = bits & ((1n << 52n) - 1n);
  if (biased === 0) return { mantissa: fraction, exponent: -1074 };
  return { mantissa: fraction | (1n << 52n), exponent: biased - 1075 };
}

function bitLength(v: bigint): number {
  return v === 0n ? 0 : v.toString(2).length;
}

/**
 * Python 3 `a / b` for integers: the exact quotient correctly rounded to a double
 * (round half to even). Plain `Number(a) / Number(b)` rounds twice when an operand
 * exceeds 2**53.
 */
export function trueDivide(a: bigint, b: bigint): number {
  if (b === 0n) throw new RangeError('division by zero');
  const negative = a < 0n !== b < 0n && a !== 0n;
  let n = a < 0n ? -a : a;
  const d = b < 0n ? -b : b;
  const safe = 1n << 53n;
  if (n <= safe && d <= safe) {
    const r = Number(n) / Number(d);
    return negative ? -r : r;
  }
  // Scale so the integer quotient carries at least 66 significant bits, then fold the
  // remainder into a sticky bit: Number(bigint) rounds half to even, and the sticky bit
  // (far below the rounding position) breaks false ties correctly.
  const shift = Math.max(0, 66 - (bitLength(n) - bitLength(d)));
  n <<= BigInt(shift);
  let q = n / d;
  let scale = shift;
  if (n % d !== 0n) {
    q = (q << 1n) | 1n;
    scale += 1;
  }
  // Divide by 2**scale in steps that stay exact (powers of two, no subnormals here).
  let r = Number(q);
  while (scale > 0) {
    const step = Math.min(scale, 1000);
    r /= 2 ** step;
    scale -= step;
  }
  return negative ? -r : r;
}

/** Python `int(x)` / `"%d" % x` for a float: truncation toward zero, printed exactly. */
export function truncToBigInt(x: number): bigint {
  if (!Number.isFinite(x)) throw new RangeError(`cannot convert ${x} to integer`);
  return BigInt(Math.trunc(x));
}
