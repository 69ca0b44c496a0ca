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
  return [...stackcountStackPieces(entries, opts)].join('');
}

/** Text handed out by the `…Pieces` renderers at a time (characters, about). */
const PIECE = 64 * 1024;

/**
 * `renderStackcountStacks` in pieces of about 64 KiB, for a caller that writes each before
 * making the next: with -P on a busy machine one interval is megabytes of text, which as one
 * string (a rope of a million parts until written) grew the heap at every interval.
 */
export function* stackcountStackPieces(entries: readonly StackcountEntry[], opts: StackcountOptions = {}): Generator<string, void, undefined> {
  const verbose = opts.verbose ?? false;
  let lines: string[] = [];
  let size = 0;
  const add = (line: string): void => {
    lines.push(line);
    size += line.length;
  };
  for (const e of byCount(entries)) {
    for (const f of e.kernel) add(frameLine(f, verbose));
    if (opts.delimited) add('    --\n');
    for (const f of e.user) add(frameLine(f, verbose));
    if (!opts.pidFiltered && e.tgid !== NO_TGID) add(`    ${e.comm} [${e.tgid}]\n`);
    add(`    ${e.count}\n\n`);
    if (size >= PIECE) {
      yield lines.join('');
      lines = [];
      size = 0;
    }
  }
  if (lines.length > 0) yield lines.join('');
}

/**
 * The folded form (`-f`), one line per entry ascending by count:
 * `comm;user frames root first[;-];kernel frames root first count`. Identical lines may
 * repeat (distinct stack ids that symbolise alike), as in BCC.
 */
export function renderStackcountFolded(entries: readonly StackcountEntry[], opts: Pick<StackcountOptions, 'delimited'> = {}): string {
  return [...stackcountFoldedPieces(entries, opts)].join('');
}

/** `renderStackcountFolded` in pieces, as `stackcountStackPieces`. */
export function* stackcountFoldedPieces(
  entries: readonly StackcountEntry[],
  opts: Pick<StackcountOptions, 'delimited'> = {},
): Generator<string, void, undefined> {
  let lines: string[] = [];
  let size = 0;
  for (const e of byCount(entries)) {
    const parts = [e.comm, ...[...e.user].reverse().map((f) => f.name), ...(opts.delimited ? ['-'] : []), ...[...e.kernel].reverse().map((f) => f.name)];
    const line = `${parts.join(';')} ${e.count}\n`;
    lines.push(line);
    size += line.length;
    if (size >= PIECE) {
      yield lines.join('');
      lines = [];
      size = 0;
    }
  }
  if (lines.length > 0) yield lines.join('');
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
  return [...stackcountIntervalPieces(entries, opts)].join('');
}

/** `renderStackcountInterval` in pieces of about 64 KiB (see `stackcountStackPieces`). */
export function* stackcountIntervalPieces(
  entries: readonly StackcountEntry[],
  opts: StackcountOptions & { readonly folded?: boolean; readonly timestamp?: Date } = {},
): Generator<string, void, undefined> {
  let head = opts.folded ? '' : '\n';
  if (opts.timestamp) head += renderTimestampLine(opts.timestamp);
  // The head goes with the first piece: an interval is one write unless it is large.
  for (const piece of opts.folded ? stackcountFoldedPieces(entries, opts) : stackcountStackPieces(entries, opts)) {
    yield head + piece;
    head = '';
  }
  if (head !== '') yield head;
}
