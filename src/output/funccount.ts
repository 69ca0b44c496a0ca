/** funccount's output, byte for byte as BCC 0.26 prints it (pattern shown as typed). */

import { ljust, rjust } from './pyfmt.js';
import { renderTimestampLine } from './time.js';

/** Printed once on exit after the last block (funccount, funclatency, non-folded stackcount). */
export const DETACHING = 'Detaching...\n';

/**
 * `Tracing N functions for "PATTERN"... Hit Ctrl-C to end.` ("functions" even for 1).
 * Shared by funccount, funclatency and stackcount. BCC 0.26 funccount prints the pattern
 * as a bytes repr (`"b'c:malloc'"`); we print it as typed, as its examples show.
 */
export function renderFunccountBanner(n: number, pattern: string): string {
  return `Tracing ${n} functions for "${pattern}"... Hit Ctrl-C to end.\n`;
}

export interface FunccountRow {
  /** Kernel/user symbol, `category:event` for tracepoints, probe name for USDT. */
  readonly name: string;
  readonly count: bigint;
}

/**
 * One interval block: a blank line, the `-T` time line, `"%-36s %8s" % ("FUNC", "COUNT")`,
 * then `"%-36s %8d"` per non-zero row, ascending by count (stable: ties keep input order,
 * which for BCC is the probe index order).
 */
export function renderFunccountTable(rows: readonly FunccountRow[], opts: { readonly timestamp?: Date } = {}): string {
  let out = '\n';
  if (opts.timestamp) out += renderTimestampLine(opts.timestamp);
  out += `${ljust('FUNC', 36)} ${rjust('COUNT', 8)}\n`;
  const sorted = [...rows].sort((a, b) => (a.count < b.count ? -1 : a.count > b.count ? 1 : 0));
  for (const r of sorted) {
    if (r.count === 0n) continue;
    out += `${ljust(r.name, 36)} ${rjust(r.count.toString(), 8)}\n`;
  }
  return out;
}
