/**
 * trace's plan: each probe argument resolved through its provider, its predicate and format
 * arguments checked once against the site, and its record laid out — every fault of every
 * probe collected and reported in one run. `-I` headers are read here too.
 */
import { closeSync, constants as fsConstants, fstatSync, openSync, readSync } from 'node:fs';
import { resolve as resolvePath } from 'node:path';
import { CheckError, ResolveError } from '../errors.js';
import type { Expr, TraceProbeAst, FormatPiece } from '../specs/ast.js';
import { walk } from '../specs/walk.js';
import type { ResolvedProbe } from '../probes/provider.js';
import type { ProbeHost } from '../probes/host.js';
import { btfFor, readsProbeArgs, resolveRef } from '../pipeline/probe.js';
import { liveHost } from '../pipeline/host.js';
import type { ProgramBuilder } from '../emit/builder.js';
import { argKinds, recordLayout, type RecordLayout, type TraceLowering } from '../compile/tools/trace.js';
import { parseUserHeader } from '../compile/header.js';
import { probeContext, type ProbeContext } from '../compile/context.js';
import { userTypes, BUILTIN_USER_TYPES, type UserTypes } from '../compile/usertypes.js';
import { requirePointerOrString, requireScalar, type TypedExpr } from '../compile/check.js';
import { checkProbes } from '../compile/diagnose.js';
import { Lowerer } from '../compile/lower.js';
import type { TraceOptions } from './trace.js';

// ---------------------------------------------------------------------------------------------
// Planning: probes → programs
// ---------------------------------------------------------------------------------------------

/** One program to load: a probe, or one argument layout of a USDT probe. */
export interface TraceUnit {
  readonly index: number;
  readonly probe: TraceProbeAst;
  /** The FUNC column. */
  readonly func: string;
  /** Where its provider resolved it; `ctx.site` is its site. */
  readonly resolved: ResolvedProbe;
  readonly ctx: ProbeContext;
  readonly predicate?: TypedExpr;
  readonly args: readonly TypedExpr[];
  readonly pieces: readonly FormatPiece[];
  readonly layout: RecordLayout;
}

/** BCC's FUNC column: the function (p/r), the event (t), the USDT name as written (u). */
export function funcColumn(p: TraceProbeAst): string {
  const r = p.ref;
  if (r.provider) return `${r.provider}:${r.function}`;
  return r.function;
}

/** `-B`: STRCMP's literal is a C brace initializer of bytes (`"{0x6C, 0x00}"`). */
export function binaryStrcmp(e: Expr): void {
  walk(e, (n) => {
    if (n.kind !== 'strcmp') return;
    const m = /^\s*\{(.*)\}\s*$/s.exec(n.literal.value);
    if (!m) return;
    const bytes = m[1]
      .split(',')
      .map((x) => x.trim())
      .filter(Boolean)
      .map((x) => Number(x) & 0xff);
    // BCC compares sizeof(needle) - 1 bytes: the last byte of a binary needle is not compared.
    const kept = bytes.slice(0, Math.max(0, bytes.length - 1));
    Object.assign(n.literal, { value: String.fromCharCode(...kept), bytes: kept });
  });
}

export function planUnits(o: TraceOptions, probes: readonly TraceProbeAst[], types: UserTypes, host: ProbeHost = liveHost()): TraceUnit[] {
  // Every fault of every probe is reported in one run (compile/diagnose.ts).
  const perProbe = checkProbes(
    probes,
    (p) => p.text,
    (p, c): Omit<TraceUnit, 'index'>[] => {
      const pieces = p.format?.pieces ?? [];
      const kinds = argKinds(pieces);
      if (kinds.length !== p.args.length) {
        throw new CheckError(`format string expects ${kinds.length} argument${kinds.length === 1 ? '' : 's'}, got ${p.args.length}`);
      }
      if (o.binCmp) {
        if (p.predicate) binaryStrcmp(p.predicate);
        p.args.forEach(binaryStrcmp);
      }
      const units: Omit<TraceUnit, 'index'>[] = [];
      for (const r of resolveRef(p.ref, o.pid, readsProbeArgs([p.predicate, ...p.args]), host)) {
        const ctx = probeContext(r.site, { ...(p.signature ? { signature: p.signature } : {}), btf: btfFor(r, host), userTypes: types });
        const predicate = p.predicate ? c.check(p.predicate, ctx) : undefined;
        const args = p.args.map((e, i) =>
          c.check(e, ctx, (te) => {
            if (kinds[i] === 'string') requirePointerOrString(te, `the argument of %s (#${i + 1})`);
            else requireScalar(te, `argument #${i + 1}`);
          }),
        );
        // The sites of one USDT probe share its expressions: their errors would repeat.
        if (!c.ok) break;
        const layout = recordLayout(kinds, { stringSize: o.stringSize, kernelStack: o.kernelStack, userStack: o.userStack });
        units.push({ probe: p, func: funcColumn(p), resolved: r, ctx, ...(predicate ? { predicate } : {}), args: args as TypedExpr[], pieces, layout });
      }
      return units;
    },
  );
  return perProbe.flat().map((u, index) => ({ ...u, index }));
}

/** The unit's expressions (checked once, against the site its provider resolved), as instructions. */
export function loweringFor(u: TraceUnit, stringSize: number): TraceLowering {
  let last: { b: ProgramBuilder; l: Lowerer } | undefined;
  const lw = (b: ProgramBuilder): Lowerer => {
    if (last?.b !== b) last = { b, l: new Lowerer(b, u.ctx, { stringSize }) };
    return last.l;
  };
  const predicate = u.predicate;
  return {
    ...(predicate ? { predicate: (b: ProgramBuilder, label: string) => lw(b).branchIfFalse(predicate, label) } : {}),
    scalar: (b, i, dst) => lw(b).scalar(u.args[i]!, dst),
    string: (b, i, base, off, size) => lw(b).string(u.args[i]!, base, off, size),
  };
}

// ---------------------------------------------------------------------------------------------
// -I headers
// ---------------------------------------------------------------------------------------------

/** The largest -I header read: far more than any header of structs. */
export const MAX_HEADER_BYTES = 1 << 20;
/** Notes about ignored statements, per header; the rest are counted. */
const MAX_HEADER_NOTES = 5;

/**
 * The text of a -I header: a regular file of at most MAX_HEADER_BYTES. Opened non-blocking
 * and checked with fstat before reading, so a FIFO, a device (/dev/zero) or a directory is
 * refused instead of blocking or reading forever.
 */
export function readHeaderFile(shown: string, path: string): string {
  const why = (e: unknown) => (e as NodeJS.ErrnoException).code ?? String(e);
  let fd: number;
  try {
    fd = openSync(path, fsConstants.O_RDONLY | fsConstants.O_NONBLOCK | fsConstants.O_NOCTTY);
  } catch (e) {
    throw new ResolveError(`cannot read header ${shown}: ${why(e)}`);
  }
  try {
    const st = fstatSync(fd);
    if (!st.isFile()) throw new ResolveError(`cannot read header ${shown}: not a regular file`, ['-I takes a C header file']);
    if (st.size > MAX_HEADER_BYTES) {
      throw new ResolveError(`cannot read header ${shown}: ${st.size} bytes is too large for a header (at most ${MAX_HEADER_BYTES})`, [
        '-I takes a C header file',
      ]);
    }
    const buf = Buffer.alloc(st.size);
    let got = 0;
    while (got < buf.length) {
      const n = readSync(fd, buf, got, buf.length - got, null);
      if (n === 0) break;
      got += n;
    }
    return buf.subarray(0, got).toString('utf8');
  } catch (e) {
    if (e instanceof ResolveError) throw e;
    throw new ResolveError(`cannot read header ${shown}: ${why(e)}`);
  } finally {
    closeSync(fd);
  }
}

export function loadHeaders(files: readonly string[]): { types: UserTypes; notes: string[] } {
  if (files.length === 0) return { types: BUILTIN_USER_TYPES, notes: [] };
  let types: UserTypes = BUILTIN_USER_TYPES;
  const notes: string[] = [];
  const records = [];
  for (const f of files) {
    const path = f.startsWith('/') || f.startsWith('.') ? resolvePath(f) : f;
    if (!path.startsWith('/')) {
      // <linux/fs.h> and friends: kernel types come from BTF; nothing to read.
      continue;
    }
    const text = readHeaderFile(f, path);
    const parsed = parseUserHeader(text, types);
    records.push(...parsed.records);
    types = userTypes(records, parsed.typedefs);
    const shown = parsed.skipped.slice(0, MAX_HEADER_NOTES);
    for (const s of shown) notes.push(`${f}: ignored '${s}': only struct declarations are read from -I headers (kernel types come from BTF)`);
    if (parsed.skipped.length > shown.length)
      notes.push(`${f}: ignored ${parsed.skipped.length - shown.length} more statements that are not struct declarations`);
  }
  return { types, notes };
}
