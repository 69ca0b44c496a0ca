/**
 * Decoding trace's records (the layout compile/tools/trace.ts writes): the header, the
 * arguments and stacks, and each probe's message, rendered by a renderer specialised per
 * conversion (the fast path) or by output/trace.ts's formatConversions (the reference).
 */
import { EmitError } from '../../errors.js';
import { formatConversions, type FormatPiece as OutputPiece, type FormatValue } from '../../output/trace.js';
import type { FormatPiece as AstPiece } from '../../specs/ast.js';
import { COMM_OFFSET, COMM_SIZE, STACK_BYTES, type RecordLayout } from './trace.js';

/** One event, decoded from its record. */
export interface TraceRecord {
  readonly ktime: bigint;
  readonly tgid: number;
  readonly tid: number;
  readonly cpu: number;
  readonly probe: number;
  readonly comm: string;
  /** Raw argument values: integers as stored (u64), strings decoded. */
  readonly args: readonly FormatValue[];
  readonly kernelStack?: readonly bigint[] | { readonly error: number };
  readonly userStack?: readonly bigint[] | { readonly error: number };
}

/** Resolves `%K` / `%U` addresses to text (`sym+0x1f [module]`). */
export interface AddressNames {
  kernel(addr: bigint): string;
  user(tgid: number, addr: bigint): string;
}

const bufCache = new WeakMap<ArrayBufferLike, Buffer>();

/** A Node Buffer over the same memory as `bytes` (no copy), cached per underlying buffer. */
let lastAB: ArrayBufferLike | undefined;
let lastBuf: Buffer | undefined;

export function bufferOf(bytes: Uint8Array): Buffer {
  if (bytes.buffer === lastAB) return lastBuf!;
  let b = bufCache.get(bytes.buffer);
  if (!b) {
    b = Buffer.from(bytes.buffer, 0, bytes.buffer.byteLength);
    bufCache.set(bytes.buffer, b);
  }
  lastAB = bytes.buffer;
  lastBuf = b;
  return b;
}

/** A NUL-terminated string of at most `max` bytes at `off`, decoded as UTF-8 (bad bytes → U+FFFD). */
export function cString(buf: Buffer, off: number, max: number): string {
  let end = buf.indexOf(0, off);
  if (end < 0 || end > off + max) end = off + max;
  return buf.toString('utf8', off, end);
}

export function readHeader(bytes: Uint8Array, dv: DataView, off: number): Omit<TraceRecord, 'args' | 'kernelStack' | 'userStack'> {
  const buf = bufferOf(bytes);
  const base = bytes.byteOffset + off;
  return {
    ktime: dv.getBigUint64(off, true),
    tid: dv.getUint32(off + 8, true),
    tgid: dv.getUint32(off + 12, true),
    cpu: dv.getUint32(off + 16, true),
    probe: dv.getUint32(off + 20, true),
    comm: cString(buf, base + COMM_OFFSET, COMM_SIZE),
  };
}

function readStack(dv: DataView, off: number, lenAt: number): readonly bigint[] | { readonly error: number } {
  const n = dv.getInt32(off + lenAt, true);
  if (n < 0) return { error: n };
  const frames: bigint[] = [];
  for (let i = 0; i < Math.min(n, STACK_BYTES) / 8; i++) frames.push(dv.getBigUint64(off + i * 8, true));
  return frames;
}

/** The whole record, for JSON and tests. */
export function decodeRecord(layout: RecordLayout, bytes: Uint8Array, dv: DataView, off: number): TraceRecord {
  const buf = bufferOf(bytes);
  const args = layout.args.map(
    (a): FormatValue => (a.kind === 'int' ? dv.getBigUint64(off + a.offset, true) : cString(buf, bytes.byteOffset + off + a.offset, layout.stringSize)),
  );
  return {
    ...readHeader(bytes, dv, off),
    args,
    ...(layout.kernelStack !== undefined ? { kernelStack: readStack(dv, off + layout.kernelStack, 40 - layout.kernelStack) } : {}),
    ...(layout.userStack !== undefined ? { userStack: readStack(dv, off + layout.userStack, 44 - layout.userStack) } : {}),
  };
}

/** Stack frames of a record (addresses, leaf first), or the error the kernel returned. */
export function recordStacks(
  layout: RecordLayout,
  dv: DataView,
  off: number,
): { kernel?: readonly bigint[] | { error: number }; user?: readonly bigint[] | { error: number } } {
  return {
    ...(layout.kernelStack !== undefined ? { kernel: readStack(dv, off + layout.kernelStack, 40 - layout.kernelStack) } : {}),
    ...(layout.userStack !== undefined ? { user: readStack(dv, off + layout.userStack, 44 - layout.userStack) } : {}),
  };
}

/** The format's pieces in output/trace.ts's form. */
export function outputPieces(pieces: readonly AstPiece[]): OutputPiece[] {
  return pieces.map((p) => (p.kind === 'text' ? p.value : { conv: p.spec, length: p.length }));
}

const TWO32 = 4294967296;

type Part = (buf: Buffer, dv: DataView, off: number, tgid: number) => string;

function hex64(dv: DataView, at: number, radix: 16 | 8): string {
  const lo = dv.getUint32(at, true);
  const hi = dv.getUint32(at + 4, true);
  if (hi === 0) return lo.toString(radix);
  if (radix === 16) return hi.toString(16) + lo.toString(16).padStart(8, '0');
  return dv.getBigUint64(at, true).toString(8);
}

function signed64(dv: DataView, at: number): string {
  const lo = dv.getUint32(at, true);
  const hi = dv.getInt32(at + 4, true);
  // Exact in a double while |value| < 2^53.
  if (hi >= -0x200000 && hi < 0x200000) return String(hi * TWO32 + lo);
  return dv.getBigInt64(at, true).toString();
}

function unsigned64(dv: DataView, at: number): string {
  const lo = dv.getUint32(at, true);
  const hi = dv.getUint32(at + 4, true);
  if (hi < 0x200000) return String(hi * TWO32 + lo);
  return dv.getBigUint64(at, true).toString();
}

/**
 * A renderer of one probe's message, specialised per conversion so that the common case reads
 * the record with plain DataView loads and no BigInt. It prints exactly what
 * `formatConversions` prints for the same values (C printf semantics; the unit tests hold the
 * two together).
 */
export function messageRenderer(
  pieces: readonly AstPiece[],
  layout: RecordLayout,
  names: AddressNames,
): (bytes: Uint8Array, dv: DataView, off: number, tgid: number) => string {
  const parts: (string | Part)[] = [];
  let i = 0;
  for (const p of pieces) {
    if (p.kind === 'text') {
      parts.push(p.value);
      continue;
    }
    const a = layout.args[i++];
    if (!a) throw new EmitError('internal: more conversions than arguments');
    const at = a.offset;
    const len = p.length;
    const wide = len === 'l' || len === 'll';
    let part: Part;
    switch (p.spec) {
      case 'd':
      case 'i':
        part =
          len === 'hh'
            ? (_b, dv, o) => String(dv.getInt8(o + at))
            : len === 'h'
              ? (_b, dv, o) => String(dv.getInt16(o + at, true))
              : wide
                ? (_b, dv, o) => signed64(dv, o + at)
                : (_b, dv, o) => String(dv.getInt32(o + at, true));
        break;
      case 'u':
        part =
          len === 'hh'
            ? (_b, dv, o) => String(dv.getUint8(o + at))
            : len === 'h'
              ? (_b, dv, o) => String(dv.getUint16(o + at, true))
              : wide
                ? (_b, dv, o) => unsigned64(dv, o + at)
                : (_b, dv, o) => String(dv.getUint32(o + at, true));
        break;
      case 'x':
      case 'X':
      case 'o': {
        const radix = p.spec === 'o' ? 8 : 16;
        const upper = p.spec === 'X';
        const raw: Part =
          len === 'hh'
            ? (_b, dv, o) => dv.getUint8(o + at).toString(radix)
            : len === 'h'
              ? (_b, dv, o) => dv.getUint16(o + at, true).toString(radix)
              : wide
                ? (_b, dv, o) => hex64(dv, o + at, radix)
                : (_b, dv, o) => dv.getUint32(o + at, true).toString(radix);
        part = upper ? (b, dv, o, t) => raw(b, dv, o, t).toUpperCase() : raw;
        break;
      }
      case 'c':
        part = (_b, dv, o) => String.fromCharCode(dv.getUint8(o + at));
        break;
      case 'p':
        part = (_b, dv, o) => `0x${hex64(dv, o + at, 16)}`;
        break;
      case 's': {
        const size = layout.stringSize;
        part = (b, dv, o) => cString(b, dv.byteOffset + o + at, size);
        break;
      }
      case 'K':
        part = (_b, dv, o) => names.kernel(dv.getBigUint64(o + at, true));
        break;
      case 'U':
        part = (_b, dv, o, tgid) => names.user(tgid, dv.getBigUint64(o + at, true));
        break;
    }
    parts.push(part);
  }
  if (i !== layout.args.length) throw new EmitError('internal: more arguments than conversions');
  if (parts.length === 0) return () => '';
  if (parts.length === 1 && typeof parts[0] === 'string') {
    const s = parts[0];
    return () => s;
  }
  return (bytes, dv, off, tgid) => {
    const buf = bufferOf(bytes);
    let s = '';
    for (let k = 0; k < parts.length; k++) {
      const p = parts[k];
      s += typeof p === 'string' ? p : p(buf, dv, off, tgid);
    }
    return s;
  };
}

/** The reference rendering of a decoded record's message (slow path; tests and -A keys agree with it). */
export function renderMessage(pieces: readonly AstPiece[], args: readonly FormatValue[], names: AddressNames, tgid: number): string {
  const conv = pieces.filter((p) => p.kind === 'conversion');
  const values = args.map((v, k) => {
    const c = conv[k];
    if (c?.kind === 'conversion' && typeof v === 'bigint') {
      if (c.spec === 'K') return names.kernel(v);
      if (c.spec === 'U') return names.user(tgid, v);
    }
    return v;
  });
  return formatConversions(outputPieces(pieces), values);
}
