/**
 * Power-of-two histograms, byte for byte as BCC prints them.
 *
 * Two layouts exist:
 *  - BCC Python `table.print_log2_hist` (trace, argdist, funclatency, ...): 65 slots indexed
 *    by `bpf_log2l(v)`, slot 0 never printed, rows `0 -> 1`, `2 -> 3`, `4 -> 7`, ...;
 *  - libbpf-tools `print_log2_hist` (trace_helpers.c): slots indexed by `log2l(v)` (floor
 *    of log2, so slot 0 = values 0 and 1), printed from slot 0, `count    distribution`
 *    with four spaces.
 *
 * Every renderer returns the exact text written to stdout, newline-terminated, and the
 * empty string when BCC prints nothing. Counts are bigint end to end.
 */

import { ljust, rjust, trueDivide } from './pyfmt.js';

/** Number of slots of a BCC log2 histogram map (`log2_index_max`). */
export const LOG2_SLOTS = 65;

const STARS_MAX = 40;
const U64_MASK = (1n << 64n) - 1n;

function bitLength(v: bigint): number {
  return v === 0n ? 0 : v.toString(2).length;
}

/**
 * BCC's `bpf_log2l(v)` slot for a value: 0 and 1 → 1, 2..3 → 2, 4..7 → 3, ...,
 * 2**63.. → 64. Negative values are cast to u64 first, so they land in slot 64.
 */
export function log2Slot(v: bigint): number {
  const u = v & U64_MASK;
  return Math.max(1, bitLength(u));
}

/** libbpf-tools' `log2l(v)` slot: floor(log2(v)), with 0 → 0 (so 0 and 1 share slot 0). */
export function libbpfLog2Slot(v: bigint): number {
  const u = v & U64_MASK;
  return Math.max(0, bitLength(u) - 1);
}

/**
 * Python `_stars(val, val_max, width)`: `floor(width * val / val_max)` stars where the
 * quotient is Python's correctly rounded float true division (so a quotient a hair below
 * an integer may round up to it, exactly as BCC does), capped at `width`, padded to
 * `width`. A value above the maximum (impossible from one table) ends in `+`.
 */
function pyStars(val: bigint, valMax: bigint, width: number): string {
  if (valMax <= 0n) return ' '.repeat(width);
  const q = trueDivide(BigInt(width) * val, valMax);
  let n = 0;
  while (!(n > q - 1 || n > width - 1)) n++;
  let text = '*'.repeat(n);
  if (val > valMax) text = text.slice(0, -1) + '+';
  return ljust(text, width);
}

function scan(slots: readonly bigint[]): { idxMax: number; valMax: bigint } {
  let idxMax = -1;
  let valMax = 0n;
  slots.forEach((v, i) => {
    if (v > 0n) idxMax = i;
    if (v > valMax) valMax = v;
  });
  return { idxMax, valMax };
}

/**
 * BCC Python `print_log2_hist(val_type)` for one table of slots (`slots[i]` = count of
 * slot i; missing trailing slots are zero). Prints nothing when no slot above 0 is set.
 * Uses the wide layout (20-wide bounds, 20 stars) when the highest slot exceeds 32.
 */
export function renderLog2Hist(slots: readonly bigint[], valType: string): string {
  const { idxMax, valMax } = scan(slots);
  if (idxMax <= 0) return '';
  const wide = idxMax > 32;
  const boundWidth = wide ? 20 : 10;
  const stars = wide ? STARS_MAX / 2 : STARS_MAX;
  let out = wide ? `               ${ljust(valType, 29)} : count     distribution\n` : `     ${ljust(valType, 19)} : count     distribution\n`;
  for (let i = 1; i <= idxMax; i++) {
    let low = (1n << BigInt(i)) >> 1n;
    const high = (1n << BigInt(i)) - 1n;
    if (low === high) low -= 1n;
    const val = slots[i] ?? 0n;
    out +=
      `${rjust(low.toString(), boundWidth)} -> ${ljust(high.toString(), boundWidth)} : ` + `${ljust(val.toString(), 8)} |${pyStars(val, valMax, stars)}|\n`;
  }
  return out;
}

export interface HistSection {
  /** What follows `<sectionHeader> = ` (BCC's `section_print_fn(bucket)`). */
  readonly title: string;
  readonly slots: readonly bigint[];
}

/**
 * BCC `print_log2_hist(val_type, section_header, section_print_fn)` for a table with a
 * secondary key: for each section, in the order given (BCC uses the map's iteration
 * order), `\n<sectionHeader> = <title>\n` then that section's histogram (each section
 * computes its own maximum and layout; an empty one prints only its title).
 */
export function renderSectionedLog2Hist(sections: readonly HistSection[], valType: string, sectionHeader = 'Bucket ptr'): string {
  let out = '';
  for (const s of sections) {
    out += `\n${sectionHeader} = ${s.title}\n`;
    out += renderLog2Hist(s.slots, valType);
  }
  return out;
}

/** C `unsigned int` arithmetic of libbpf's print_stars. */
const U32 = (v: bigint): bigint => v & 0xffff_ffffn;

/**
 * libbpf-tools `print_log2_hist(vals, vals_size, val_type)` (used by /usr/sbin/funclatency).
 * `slots` are indexed by {@link libbpfLog2Slot}. Row i covers `2**i .. 2**(i+1)-1` (row 0
 * is `0 -> 1`). Counts are C `unsigned int`: they are taken modulo 2**32, printed with
 * `%-8d` (so values ≥ 2**31 print negative), and the star count
 * `min(val, val_max) * width / val_max` wraps at 32 bits, as in C.
 */
export function renderLibbpfLog2Hist(slots: readonly bigint[], valType: string): string {
  const vals = slots.map(U32);
  let idxMax = -1;
  let valMax = 0n;
  vals.forEach((v, i) => {
    if (v > 0n) idxMax = i;
    if (v > valMax) valMax = v;
  });
  if (idxMax < 0) return '';
  const wide = idxMax > 32;
  const stars = wide ? STARS_MAX / 2 : STARS_MAX;
  const width = wide ? 20 : 10;
  let out = `${' '.repeat(wide ? 15 : 5)}${ljust(valType, wide ? 29 : 19)} : count    distribution\n`;
  for (let i = 0; i <= idxMax; i++) {
    let low = U64((1n << BigInt(i + 1)) >> 1n);
    const high = U64((1n << BigInt(i + 1)) - 1n);
    if (low === high) low -= 1n;
    const val = vals[i] ?? 0n;
    const printed = BigInt.asIntN(32, val);
    const numStars = Number(U32((val < valMax ? val : valMax) * BigInt(stars)) / valMax);
    const numSpaces = stars - numStars;
    out +=
      `${rjust(BigInt.asIntN(64, low).toString(), width)} -> ${ljust(BigInt.asIntN(64, high).toString(), width)} : ` +
      `${ljust(printed.toString(), 8)} |${'*'.repeat(Math.max(0, numStars))}` +
      `${' '.repeat(Math.max(0, numSpaces))}${val > valMax ? '+' : ''}|\n`;
  }
  return out;
}

/** C `unsigned long long` arithmetic (1ULL << 64 is 0 on x86-64 in practice: shifts mask). */
function U64(v: bigint): bigint {
  return v & U64_MASK;
}
