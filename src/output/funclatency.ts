/** funclatency's per-interval output, byte for byte as BCC 0.26 prints it. */

import { renderLog2Hist, renderSectionedLog2Hist, type HistSection } from './log2hist.js';
import { trueDivide, truncToBigInt } from './pyfmt.js';
import { renderTimestampLine } from './time.js';

export type LatencyUnit = 'nsecs' | 'usecs' | 'msecs';

/** Section header of funclatency's keyed histograms (`-F`, user functions without `-p`). */
export const FUNCLATENCY_SECTION_HEADER = 'Function';

/**
 * A section title: `name` for a kernel function, `name [tgid]` for a user function
 * (BCC: `"%s [%d]" % (BPF.sym(ip, pid), pid)`).
 */
export function funclatencySectionTitle(name: string, tgid?: number): string {
  return tgid === undefined ? name : `${name} [${tgid}]`;
}

/**
 * The average line, `\navg = %ld %s, total: %ld %s, count: %ld\n` followed by print's
 * newline, or '' when `count` is 0 (BCC prints nothing then).
 *
 * Semantics copied from Python 3: for usecs/msecs the nanosecond total is converted with
 * float true division (`total /= 1000`), for nsecs it stays an int; avg is `total / count`
 * (true division, a float); `%ld` of a float truncates toward zero.
 */
export function renderFunclatencyAvg(totalNs: bigint, count: bigint, unit: LatencyUnit): string {
  if (count <= 0n) return '';
  let total: bigint | number = totalNs;
  if (unit === 'msecs') total = trueDivide(totalNs, 1_000_000n);
  else if (unit === 'usecs') total = trueDivide(totalNs, 1_000n);
  const avg = typeof total === 'bigint' ? trueDivide(total, count) : total / Number(count);
  const totalText = typeof total === 'bigint' ? total.toString() : truncToBigInt(total).toString();
  return `\navg = ${truncToBigInt(avg)} ${unit}, total: ${totalText} ${unit}, count: ${count}\n\n`;
}

export interface FunclatencyInterval {
  readonly unit: LatencyUnit;
  readonly timestamp?: Date;
  /** The histogram: plain slots, or sections keyed by function (see funclatencySectionTitle). */
  readonly hist: readonly bigint[] | readonly HistSection[];
  readonly totalNs: bigint;
  readonly count: bigint;
}

function isSections(h: readonly bigint[] | readonly HistSection[]): h is readonly HistSection[] {
  return h.length > 0 && typeof h[0] !== 'bigint';
}

/** One interval block: blank line, `-T` time line, histogram(s), average line. */
export function renderFunclatencyInterval(i: FunclatencyInterval): string {
  let out = '\n';
  if (i.timestamp) out += renderTimestampLine(i.timestamp);
  out += isSections(i.hist) ? renderSectionedLog2Hist(i.hist, i.unit, FUNCLATENCY_SECTION_HEADER) : renderLog2Hist(i.hist as readonly bigint[], i.unit);
  out += renderFunclatencyAvg(i.totalNs, i.count, i.unit);
  return out;
}
