/** argdist's per-interval output, as BCC prints it. */

import { renderLog2Hist } from './log2hist.js';
import { ljust } from './pyfmt.js';
import { strftimeHMS } from './time.js';

/** `[%H:%M:%S]`, printed before the probes of every interval. */
export function renderArgdistIntervalHeader(date: Date): string {
  return `[${strftimeHMS(date)}]\n`;
}

/**
 * The label of a specifier: the text after `#` when the specifier has exactly one `#`
 * and that text is non-empty (BCC: `specifier.split('#')` of length 2, then `label or …`).
 */
export function argdistLabel(rawSpec: string): string | undefined {
  const parts = rawSpec.split('#');
  return parts.length === 2 && parts[1] !== '' ? parts[1] : undefined;
}

/** The title line of a frequency probe: its label, else the raw specifier as typed. */
export function argdistFreqTitle(rawSpec: string): string {
  return argdistLabel(rawSpec) ?? rawSpec;
}

/**
 * The label of a histogram probe: its label, else the first expression as displayed
 * (`$latency`, `$retval`, `x` for `$entry(x)`), else `retval` for the default expression.
 */
export function argdistHistLabel(rawSpec: string, displayExpr0?: string): string {
  return argdistLabel(rawSpec) ?? (displayExpr0 || 'retval');
}

/** An EVENT cell: `", ".join("<expr> = <value>")`, e.g. `n = 2, s = hello world`. */
export function argdistKey(pairs: readonly (readonly [expr: string, value: string])[]): string {
  return pairs.map(([e, v]) => `${e} = ${v}`).join(', ');
}

export interface ArgdistFreqRow {
  readonly count: bigint;
  /** `total calls`, `retval = 3`, or argdistKey(...). */
  readonly key: string;
}

/** Python `seq[-top:]`. */
function lastN<T>(rows: readonly T[], top: number): readonly T[] {
  let start = -top;
  if (start < 0) start = Math.max(0, rows.length + start);
  return rows.slice(Math.min(start, rows.length));
}

/**
 * A frequency probe: the title line, `"\t%-10s %s" % ("COUNT", "EVENT")`, then rows
 * ascending by count (stable); with `-T top`, only the last `top` of them (Python
 * `rows[-top:]`, so `-T 0` keeps all).
 */
export function renderArgdistFreq(title: string, rows: readonly ArgdistFreqRow[], top?: number): string {
  let sorted: readonly ArgdistFreqRow[] = [...rows].sort((a, b) => (a.count < b.count ? -1 : a.count > b.count ? 1 : 0));
  if (top !== undefined) sorted = lastN(sorted, top);
  let out = `${title}\n\t${ljust('COUNT', 10)} EVENT\n`;
  for (const r of sorted) out += `\t${ljust(r.count.toString(), 10)} ${r.key}\n`;
  return out;
}

/** A histogram probe: no title line; BCC print_log2_hist (nothing at all when empty). */
export function renderArgdistHist(label: string, slots: readonly bigint[]): string {
  return renderLog2Hist(slots, label);
}
