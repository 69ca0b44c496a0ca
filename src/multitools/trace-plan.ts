/**
 * trace's plan: each probe argument resolved through its provider, its predicate and format
 * arguments checked once against the site, and its record laid out — every fault of every
 * probe collected and reported in one run. `-I` headers are read here too.
 */
import { readFileSync } from 'node:fs';
import { resolve as resolvePath } from 'node:path';
import { CheckError, DiagnosticsError, ResolveError, SpecSyntaxError, TracerError, UsageError } from '../errors.js';
import type { Expr, TraceProbeAst, FormatPiece } from '../specs/ast.js';
import { walk } from '../specs/walk.js';
import type { ProbeTarget } from '../probes/targets.js';
import type { ProbeHost } from '../probes/host.js';
import type { ResolvedProbe } from '../probes/provider.js';
import { resolveProbe as resolveFromRegistry } from '../probes/registry.js';
import { liveHost } from '../pipeline/host.js';
import type { ProgramBuilder } from '../emit/builder.js';
import { argKinds, recordLayout, type RecordLayout, type TraceLowering } from '../compile/tools/trace.js';
import { parseUserHeader } from '../compile/header.js';
import { probeContext, type ProbeContext } from '../compile/context.js';
import { userTypes, BUILTIN_USER_TYPES, type UserTypes } from '../compile/usertypes.js';
import { checkExpr, requirePointerOrString, requireScalar, ExprCheckError, type TypedExpr } from '../compile/check.js';
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
  readonly target: ProbeTarget;
  readonly ret: boolean;
  readonly ctx: ProbeContext;
  readonly predicate?: TypedExpr;
  readonly args: readonly TypedExpr[];
  readonly pieces: readonly FormatPiece[];
  readonly layout: RecordLayout;
}

/** BCC's FUNC column: the function (p/r), the event (t), the USDT name as written (u). */
export function funcColumn(p: TraceProbeAst): string {
  const r = p.ref;
  if (r.type === 'u' && r.provider) return `${r.provider}:${r.function}`;
  return r.function;
}

/** Errors about one probe say which, as BCC does (`error in probe '…': …`). */
function spanned<T>(p: TraceProbeAst, f: () => T): T {
  try {
    return f();
  } catch (e) {
    if (e instanceof ExprCheckError) throw new SpecSyntaxError(e.message, p.text, e.span, e.hints);
    if (e instanceof TracerError && !(e instanceof SpecSyntaxError) && !(e instanceof UsageError) && !e.message.startsWith('error in probe')) {
      e.message = `error in probe '${p.text}': ${e.message}`;
    }
    throw e;
  }
}

/** `-B`: STRCMP's literal is a C brace initializer of bytes (`"{0x6C, 0x00}"`). */
export function binaryStrcmp(e: Expr): void {
  walk(e, (n) => {
    if (n.kind !== 'strcmp') return;
    const m = /^\s*\{(.*)\}\s*$/s.exec(n.literal.value);
    if (!m) return;
    const bytes = m[1].split(',').map((x) => x.trim()).filter(Boolean).map((x) => Number(x) & 0xff);
    // BCC compares sizeof(needle) - 1 bytes: the last byte of a binary needle is not compared.
    const kept = bytes.slice(0, Math.max(0, bytes.length - 1));
    Object.assign(n.literal, { value: String.fromCharCode(...kept), bytes: kept });
  });
}

/** What the probe names, asked of its provider (one program per USDT argument layout). */
function resolveProbe(p: TraceProbeAst, o: TraceOptions, host: ProbeHost): ResolvedProbe[] {
  const r = p.ref;
  return resolveFromRegistry({
    type: r.type, library: r.library, name: r.type === 't' ? `${r.category ?? ''}:${r.function}` : r.function,
    ...(r.provider !== undefined ? { provider: r.provider } : {}), ...(r.offset !== undefined ? { offset: r.offset } : {}),
    match: 'exact', ...(o.pid !== undefined ? { pid: o.pid } : {}), readsArgs: true,
  }, host);
}

/** Does the probe need kernel BTF (a kernel struct in a signature or cast, a member of one, `$task`)? */
function needsBtf(p: TraceProbeAst): boolean {
  const named = (t: { base: { kind: string; known?: boolean } }) =>
    t.base.kind === 'struct' || t.base.kind === 'union' || t.base.kind === 'enum' || (t.base.kind === 'typedef' && !t.base.known);
  if (p.signature?.some((s) => named(s.type))) return true;
  let need = false;
  for (const e of [...(p.predicate ? [p.predicate] : []), ...p.args]) {
    walk(e, (n) => {
      if ((n.kind === 'builtin' && n.name === '$task') || (n.kind === 'cast' && named(n.type))) need = true;
    });
  }
  return need;
}

export function planUnits(o: TraceOptions, probes: readonly TraceProbeAst[], types: UserTypes, host: ProbeHost = liveHost()): TraceUnit[] {
  const units: TraceUnit[] = [];
  // Every fault of every probe is reported in one run: each step's error is kept and the
  // next step, expression or probe is still checked.
  const errors: TracerError[] = [];
  const attempt = <T>(p: TraceProbeAst, f: () => T): T | undefined => {
    try {
      return spanned(p, f);
    } catch (e) {
      if (!(e instanceof TracerError)) throw e;
      errors.push(e);
      return undefined;
    }
  };
  for (const p of probes) {
    const pieces = p.format?.pieces ?? [];
    const kinds = argKinds(pieces);
    const resolved = attempt(p, () => {
      if (kinds.length !== p.args.length) {
        throw new CheckError(`format string expects ${kinds.length} argument${kinds.length === 1 ? '' : 's'}, got ${p.args.length}`);
      }
      if (o.binCmp) {
        if (p.predicate) binaryStrcmp(p.predicate);
        p.args.forEach(binaryStrcmp);
      }
      return resolveProbe(p, o, host);
    });
    if (!resolved) continue;
    const wantBtf = needsBtf(p);
    for (const r of resolved) {
      const kernelFn = r.target.kind === 'kfunc' ? r.target.symbol : undefined;
      const spec = wantBtf || kernelFn ? host.kernelBtf(kernelFn) : undefined;
      const ctx = probeContext(r.site, {
        ...(p.signature ? { signature: p.signature } : {}),
        ...(spec ? { btf: spec } : {}),
        userTypes: types,
      });
      const before = errors.length;
      const predicate = p.predicate ? attempt(p, () => checkExpr(p.predicate!, ctx)) : undefined;
      const args = p.args.map((e, i) => attempt(p, () => {
        const te = checkExpr(e, ctx);
        if (kinds[i] === 'string') requirePointerOrString(te, `the argument of %s (#${i + 1})`);
        else requireScalar(te, `argument #${i + 1}`);
        return te;
      }));
      // The sites of one USDT probe share its expressions: their errors would repeat.
      if (errors.length > before) break;
      const layout = recordLayout(kinds, { stringSize: o.stringSize, kernelStack: o.kernelStack, userStack: o.userStack });
      units.push({
        index: units.length, probe: p, func: funcColumn(p), target: r.target, ret: r.ret,
        ctx, ...(predicate ? { predicate } : {}), args: args as TypedExpr[], pieces, layout,
      });
    }
  }
  if (errors.length === 1) throw errors[0];
  if (errors.length > 1) throw new DiagnosticsError(errors);
  return units;
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
    let text: string;
    try {
      text = readFileSync(path, 'utf8');
    } catch (e) {
      throw new ResolveError(`cannot read header ${f}: ${(e as NodeJS.ErrnoException).code ?? String(e)}`);
    }
    const parsed = parseUserHeader(text, types);
    records.push(...parsed.records);
    types = userTypes(records, parsed.typedefs);
    for (const s of parsed.skipped) notes.push(`${f}: ignored '${s}': only struct declarations are read from -I headers (kernel types come from BTF)`);
  }
  return { types, notes };
}

