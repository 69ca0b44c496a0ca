/**
 * stackcount's per-interval output, byte for byte as BCC prints it, from stacks that
 * are already symbolised (the caller decides `name`: `sym`, `sym+0x1f` with -s,
 * `[unknown]` when unresolved).
 */

import { ljust } from './pyfmt.js';
import { renderTimestampLine } from './time.js';

export interface Frame {
  readonly addr: bigint;
  readonly name: string;
}

/** BCC keys stacks without -P under this tgid; such entries get no comm line. */
export const NO_TGID = 0xffffffff;

export interface StackcountEntry {
  /** Leaf first, as the stack map walks them. */
  readonly kernel: readonly Frame[];
  /** Leaf first. */
  readonly user: readonly Frame[];
  /** The task's comm with -P, '' otherwise (BCC's `k.name`). */
  readonly comm: string;
  /** The process id with -P, {@link NO_TGID} otherwise. */
  readonly tgid: number;
  readonly count: bigint;
}

export interface StackcountOptions {
  /** `-v`: prefix each frame with `%-16x ` of its address. */
  readonly verbose?: boolean;
  /** `-d` with both stacks: BCC's `need_delimiter` (`    --` / `-` between the stacks). */
  readonly delimited?: boolean;
  /** `-p` was given: no comm line. */
  readonly pidFiltered?: boolean;
}

function byCount(entries: readonly StackcountEntry[]): StackcountEntry[] {
  return [...entries].sort((a, b) => (a.count < b.count ? -1 : a.count > b.count ? 1 : 0));
}

function frameLine(f: Frame, verbose: boolean): string {
  return `  ${verbose ? `${ljust(f.addr.toString(16), 16)} ` : ''}${f.name}\n`;
}

/**
 * The multi-line form, ascending by count (stable): kernel frames, `    --`, user frames,
 * `    comm [tgid]` (when not -p and the tgid is real), `    count`, blank line.
 */
export function renderStackcountStacks(entries: readonly StackcountEntry[], opts: StackcountOptions = {}): string {
  const verbose = opts.verbose ?? false;
  let out = '';
  for (const e of byCount(entries)) {
    for (const f of e.kernel) out += frameLine(f, verbose);
    if (opts.delimited) out += '    --\n';
    for (const f of e.user) out += frameLine(f, verbose);
    if (!opts.pidFiltered && e.tgid !== NO_TGID) out += `    ${e.comm} [${e.tgid}]\n`;
    out += `    ${e.count}\n\n`;
  }
  return out;
}

/**
 * The folded form (`-f`), one line per entry ascending by count:
 * `comm;user frames root first[;-];kernel frames root first count`. Identical lines may
 * repeat (distinct stack ids that symbolise alike), as in BCC.
 */
export function renderStackcountFolded(entries: readonly StackcountEntry[], opts: Pick<StackcountOptions, 'delimited'> = {}): string {
  let out = '';
  for (const e of byCount(entries)) {
    const parts = [e.comm, ...[...e.user].reverse().map((f) => f.name), ...(opts.delimited ? ['-'] : []), ...[...e.kernel].reverse().map((f) => f.name)];
    out += `${parts.join(';')} ${e.count}\n`;
  }
  return out;
}

/**
 * One interval block: a blank line (not when folded), the `-T` time line (printed even
 * when folded, as BCC does), then the stacks. `Detaching...` is the caller's, and only
 * when not folded.
 */
export function renderStackcountInterval(
  entries: readonly StackcountEntry[],
  opts: StackcountOptions & { readonly folded?: boolean; readonly timestamp?: Date } = {},
): string {
  let out = opts.folded ? '' : '\n';
  if (opts.timestamp) out += renderTimestampLine(opts.timestamp);
  out += opts.folded ? renderStackcountFolded(entries, opts) : renderStackcountStacks(entries, opts);
  return out;
}
