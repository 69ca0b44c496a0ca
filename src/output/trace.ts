/** trace's header, event lines, stacks and `-A` aggregates, as BCC prints them. */

import { CheckError } from '../errors.js';
import { fixed, ljust, pySlice } from './pyfmt.js';
import type { Frame } from './stackcount.js';

export interface TraceHeaderOptions {
  /** `-t` or `-T`: a TIME column. */
  readonly time?: boolean;
  /** `-u`: the TIME column is 17 wide (Unix timestamps). */
  readonly unixTimestamp?: boolean;
  /** `-C`: a CPU column. */
  readonly cpu?: boolean;
  /** Some probe has a format string: the last column is titled `-`, else it is empty. */
  readonly anyFormat: boolean;
}

/** `[%-8s |%-17s ]TIME [%-3s ]CPU "%-7s %-7s %-15s %-16s %s"` plus newline. */
export function renderTraceHeader(o: TraceHeaderOptions): string {
  let out = '';
  if (o.time) out += `${ljust('TIME', o.unixTimestamp ? 17 : 8)} `;
  if (o.cpu) out += `${ljust('CPU', 3)} `;
  out += `${ljust('PID', 7)} ${ljust('TID', 7)} ${ljust('COMM', 15)} ${ljust('FUNC', 16)} ${o.anyFormat ? '-' : ''}\n`;
  return out;
}

/**
 * The TIME value of `-t`: seconds since the first event, `"%.6f" % (1e-9 * (ns - first))`;
 * with `-u`, the wall-clock time of the first event (seconds since the epoch) is added.
 * (`-T` uses strftimeHMS instead.)
 */
export function traceTimeOffset(ns: bigint, firstNs: bigint, unixStartSeconds?: number): string {
  const offset = 1e-9 * Number(ns - firstNs);
  return fixed(unixStartSeconds === undefined ? offset : offset + unixStartSeconds, 6);
}

/** A stack to print: symbolised frames (leaf first), or the negative stack id of a failed capture. */
export type TraceStack = readonly Frame[] | { readonly errorId: number };

export interface TraceEvent {
  /** Already formatted (strftimeHMS or traceTimeOffset); present exactly when -t/-T. */
  readonly time?: string;
  /** Present exactly when -C. */
  readonly cpu?: number;
  readonly tgid: number;
  readonly tid: number;
  readonly comm: string;
  /** Function name (p/r), event name (t), USDT name as written (u). */
  readonly func: string;
  /** The formatted message ('' for the default action; the trailing space stays). */
  readonly message: string;
  /** Present exactly when -K. Frame names carry module and offset (`do_sys_open+0x1 [kernel]`). */
  readonly kernelStack?: TraceStack;
  /** Present exactly when -U. */
  readonly userStack?: TraceStack;
}

function renderTraceStack(s: TraceStack, address: boolean): string {
  // BCC 0.26 prints a failed stack as "        %d" with no newline, so the next text
  // continues on that line; we end the line (the reference's recommendation).
  if ('errorId' in s) return `        ${s.errorId}\n`;
  let out = '';
  for (const f of s) {
    out += `        ${address ? `${f.addr.toString(16).padStart(16)} ` : ''}${f.name}\n`;
  }
  return out;
}

export interface TraceEventOptions {
  /** `-u`: the time column is 17 wide. */
  readonly unixTimestamp?: boolean;
  /** `-a`: frames carry `%16x ` addresses. */
  readonly address?: boolean;
}

/**
 * One event as BCC's `print_event` builds its `eventstr`: `[time ][cpu ]"%-7d %-7d %-15s
 * %-16s %s\n"`, then the kernel and user stacks. This is also the key of `-A` aggregation.
 */
export function renderTraceEventKey(e: TraceEvent, opts: TraceEventOptions = {}): string {
  let out = '';
  if (e.time !== undefined) {
    out += opts.unixTimestamp ? `${ljust(pySlice(e.time, 17), 17)} ` : `${ljust(pySlice(e.time, 8), 8)} `;
  }
  if (e.cpu !== undefined) out += `${ljust(String(e.cpu), 3)} `;
  out += `${ljust(String(e.tgid), 7)} ${ljust(String(e.tid), 7)} ${ljust(e.comm, 15)} ${ljust(e.func, 16)} ${e.message}\n`;
  const address = opts.address ?? false;
  if (e.kernelStack) out += renderTraceStack(e.kernelStack, address);
  if (e.userStack) out += renderTraceStack(e.userStack, address);
  return out;
}

/** What trace prints per event: the event text, then an empty line when stacks were requested. */
export function renderTraceEvent(e: TraceEvent, opts: TraceEventOptions = {}): string {
  return renderTraceEventKey(e, opts) + (e.kernelStack || e.userStack ? '\n' : '');
}

/**
 * `-A` output: each distinct event text (renderTraceEventKey, stacks included) with its
 * count, most frequent first (stable for ties), as `"%s-->COUNT %d\n\n"`.
 */
export function renderTraceAggregate(entries: readonly (readonly [text: string, count: bigint])[]): string {
  const sorted = [...entries].sort((a, b) => (a[1] > b[1] ? -1 : a[1] < b[1] ? 1 : 0));
  return sorted.map(([text, count]) => `${text}-->COUNT ${count}\n\n`).join('');
}

/** Conversion characters of trace format strings (BCC's set plus `%i %X %o %p`). */
export type Conversion = 'd' | 'i' | 'u' | 'x' | 'X' | 'o' | 'c' | 's' | 'p' | 'K' | 'U';
/** C length modifiers: hh = 8 bits, h = 16, none = 32, l/ll = 64 (LP64). */
export type LengthModifier = '' | 'hh' | 'h' | 'l' | 'll';

/** A parsed format string: literal text (with `%%` already turned into `%`) and conversions. */
export type FormatPiece = string | { readonly conv: Conversion; readonly length?: LengthModifier };

/**
 * A value for one conversion: integers as bigint (any width; truncated here like a C
 * cast), strings for `%s`, and for `%K`/`%U` the symbol text the caller resolved
 * (`sym+0x1f [module]`); a bigint given to `%K`/`%U` prints as `0x…`.
 */
export type FormatValue = bigint | string;

const BITS: Record<LengthModifier, number> = { hh: 8, h: 16, '': 32, l: 64, ll: 64 };

/** Render `pieces` with `values`, one value per conversion, in C printf semantics. */
export function formatConversions(pieces: readonly FormatPiece[], values: readonly FormatValue[]): string {
  const wanted = pieces.filter((p) => typeof p !== 'string').length;
  if (wanted !== values.length) {
    throw new CheckError(`format string expects ${wanted} argument${wanted === 1 ? '' : 's'}, got ${values.length}`);
  }
  let out = '';
  let i = 0;
  for (const p of pieces) {
    if (typeof p === 'string') {
      out += p;
      continue;
    }
    out += convert(p.conv, p.length ?? '', values[i++]!);
  }
  return out;
}

function asInt(v: FormatValue, conv: Conversion): bigint {
  if (typeof v === 'bigint') return v;
  throw new CheckError(`%${conv} expects an integer, got a string`);
}

function convert(conv: Conversion, length: LengthModifier, v: FormatValue): string {
  const bits = BITS[length];
  switch (conv) {
    case 'd':
    case 'i':
      return BigInt.asIntN(bits, asInt(v, conv)).toString();
    case 'u':
      return BigInt.asUintN(bits, asInt(v, conv)).toString();
    case 'x':
      return BigInt.asUintN(bits, asInt(v, conv)).toString(16);
    case 'X':
      return BigInt.asUintN(bits, asInt(v, conv)).toString(16).toUpperCase();
    case 'o':
      return BigInt.asUintN(bits, asInt(v, conv)).toString(8);
    case 'c':
      if (typeof v === 'string') return [...v][0] ?? '';
      return String.fromCharCode(Number(BigInt.asUintN(8, v)));
    case 's':
      return typeof v === 'string' ? v : v.toString();
    case 'p':
      return `0x${BigInt.asUintN(64, asInt(v, conv)).toString(16)}`;
    case 'K':
    case 'U':
      return typeof v === 'string' ? v : `0x${BigInt.asUintN(64, v).toString(16)}`;
  }
}
