/**
 * argdist's plan: each -C/-H specifier parsed, its types and displayed expressions worked out,
 * resolved through its provider and compiled (checked once) for each place it attaches —
 * every fault of every specifier reported in one run — and what its maps hold.
 */
import type { MacroScope } from '../compile/macros/scope.js';
import type { UserTypes } from '../compile/usertypes.js';
import { basicType, knownTypedef, isInteger, scalarRep, type IntSize } from '../compile/types.js';
import { CheckError, TracerError, assertNever } from '../errors.js';
import { checkProbes } from '../compile/diagnose.js';
import { parseArgdistSpec } from '../specs/parse.js';
import { walk } from '../specs/walk.js';
import type { ArgdistKind, ArgdistSpecAst, Expr, TypeName } from '../specs/ast.js';
import type { ProbeHost } from '../probes/host.js';
import type { ResolvedProbe } from '../probes/provider.js';
import { btfFor, readsProbeArgs, resolveRef } from '../pipeline/probe.js';
import { isReturnProbe } from '../probes/registry.js';
import { liveHost } from '../pipeline/host.js';
import { loadKernelBtf } from '../kernel/btf.js';
import type { BtfSpec, BtfType } from '../btf/index.js';
import type { MapSpec } from '../emit/types.js';
import {
  keyLayout,
  decodeField,
  freqMapSpec,
  compileArgdist,
  HIST_SLOTS,
  FREQ_ENTRIES,
  type ArgdistValueType,
  type KeyLayout,
  type KeyValue,
  type CompiledArgdist,
} from '../compile/tools/argdist.js';
import { argdistFreqTitle, argdistHistLabel } from '../output/argdist.js';
import type { ArgdistOptions } from './argdist.js';

// ---------------------------------------------------------------------------------------------
// Plan: specifiers → probes (pure, given a type resolver)
// ---------------------------------------------------------------------------------------------

export interface ProbePlan {
  readonly index: number;
  readonly kind: 'freq' | 'hist';
  readonly ast: ArgdistSpecAst;
  /** The specifier as typed. */
  readonly text: string;
  /** Freq: the title line; hist: the histogram's label. */
  readonly title: string;
  /** Each expression as BCC displays it (`$entry(x)` as `x`). */
  readonly display: readonly string[];
  readonly types: readonly ArgdistValueType[];
  readonly layout: KeyLayout;
  /** A return probe (BCC's `r`): its default value is the return value. */
  readonly ret: boolean;
  /** Return probes that need an entry program ($entry / $latency anywhere). */
  readonly needsEntry: boolean;
}

export interface ArgdistPlan {
  readonly probes: readonly ProbePlan[];
}

/** Size and signedness of a C basic type or of a typedef every probe knows (compile/types.ts's table). */
function sized(name: string): readonly [IntSize, boolean] | undefined {
  const t = basicType(name) ?? knownTypedef(name);
  if (!t || !isInteger(t)) return undefined;
  const r = scalarRep(t);
  return [r.size, r.signed];
}

function typeText(t: TypeName, source: string): string {
  return source.slice(t.span.start, t.span.end).trim();
}

function fromBtf(btf: BtfSpec, t: BtfType, name: string): ArgdistValueType | undefined {
  const u = btf.underlying(t.id);
  if (u.kind === 'int') return { kind: 'int', size: u.size as 1 | 2 | 4 | 8, signed: u.signed, name };
  if (u.kind === 'enum') return { kind: 'int', size: u.size as 1 | 2 | 4 | 8, signed: u.signed, name };
  if (u.kind === 'ptr') return { kind: 'int', size: 8, signed: false, name };
  return undefined;
}

/** The storage of a type written in a specifier's type list. */
export function valueType(t: TypeName, source: string, stringSize: number, btf: () => BtfSpec): ArgdistValueType {
  const name = typeText(t, source);
  const b = t.base;
  if (t.pointer > 0) {
    const isChar = b.kind === 'basic' && (b.name === 'char' || b.name === 'signed char' || b.name === 'unsigned char');
    if (t.pointer === 1 && isChar) return { kind: 'string', size: stringSize, name };
    return { kind: 'int', size: 8, signed: false, name };
  }
  switch (b.kind) {
    case 'void':
      throw new CheckError(`type '${name}' has no values`, ["use an integer type such as 'u64'"]);
    case 'basic': {
      const s = sized(b.name);
      if (!s) throw new CheckError(`type '${name}' is not supported as a key (floating point)`, ["use an integer type such as 'u64'"]);
      return { kind: 'int', size: s[0], signed: s[1], name };
    }
    case 'typedef': {
      const s = sized(b.name);
      if (s) return { kind: 'int', size: s[0], signed: s[1], name };
      const spec = btf();
      for (const id of spec.idsByName(b.name, 'typedef')) {
        const v = fromBtf(spec, spec.get(id), name);
        if (v) return v;
      }
      throw new CheckError(`unknown type '${name}': not an integer type in the kernel's BTF`, ["use 'u8'…'u64', 's8'…'s64', 'int', 'size_t' or 'char*'"]);
    }
    case 'enum': {
      const spec = btf();
      const e = spec.byName(b.name, 'enum')[0];
      if (!e) throw new CheckError(`unknown type '${name}': no such enum in the kernel's BTF`);
      return fromBtf(spec, e, name)!;
    }
    case 'struct':
    case 'union':
      throw new CheckError(`type '${name}' cannot be counted: only integers and char* strings can`, ['count one of its members instead']);
    default:
      return assertNever(b, 'base type');
  }
}

/** An expression as BCC displays it: the text as written, with `$entry(x)` shown as `x`. */
export function displayExpr(e: Expr, source: string): string {
  return source
    .slice(e.span.start, e.span.end)
    .trim()
    .replace(/\$entry\(\s*([A-Za-z_]\w*)\s*\)/g, '$1');
}

function usesEntry(e: Expr | undefined): boolean {
  let found = false;
  if (e)
    walk(e, (x) => {
      if (x.kind === 'entry' || x.kind === 'latency') found = true;
    });
  return found;
}

export function plan(o: Pick<ArgdistOptions, 'counts' | 'histograms' | 'stringSize'>, btf: () => BtfSpec = loadKernelBtf): ArgdistPlan {
  const specs: Array<[ArgdistKind, string]> = [
    ...o.counts.map((s) => ['C', s] as [ArgdistKind, string]),
    ...o.histograms.map((s) => ['H', s] as [ArgdistKind, string]),
  ];
  if (specs.length === 0) throw new TracerError('at least one specifier is required', ["e.g. argdist -C 'p:c:malloc(size_t size):size_t:size'"]);
  // Every faulty specifier is reported in one run (compile/diagnose.ts).
  const probes = checkProbes(
    specs,
    ([, text]) => text,
    ([kind, text], _c, index): ProbePlan => {
      const ast = parseArgdistSpec(text, kind);
      const types = ast.types.map((t) => valueType(t, text, o.stringSize, btf));
      const ret = isReturnProbe(ast.ref.type);
      const display = ast.defaultExpr ? [ret ? 'retval' : 'total calls'] : ast.exprs.map((e) => displayExpr(e, text));
      const needsEntry = ast.exprs.some(usesEntry) || usesEntry(ast.filter);
      if (needsEntry && !ret) {
        throw new CheckError(`$entry and $latency are only valid in return probes ('r:…')`);
      }
      return {
        index,
        kind: kind === 'C' ? 'freq' : 'hist',
        ast,
        text,
        title: kind === 'C' ? argdistFreqTitle(text) : argdistHistLabel(text, ast.defaultExpr ? undefined : display[0]),
        display,
        types,
        layout: keyLayout(types),
        ret,
        needsEntry,
      };
    },
  );
  return { probes };
}

// ---------------------------------------------------------------------------------------------
// Resolve and check
// ---------------------------------------------------------------------------------------------

/**
 * Where one specifier attaches, asked of its provider: one function (argdist names exactly
 * one), one tracepoint, or one place per argument layout of a USDT probe.
 */
export function resolveProbe(p: ProbePlan, pid: number | undefined, host: ProbeHost = liveHost()): ResolvedProbe[] {
  const all = resolveRef(p.ast.ref, pid, readsProbeArgs([...p.ast.exprs, p.ast.filter]), host);
  // BCC's argdist attaches to one function; a USDT probe is one place per argument layout.
  return all[0]?.target.kind === 'usdt' ? all : all.slice(0, 1);
}

/** One place a specifier attaches, with its expressions compiled (checked once) for that site. */
export interface CompiledSite {
  readonly resolved: ResolvedProbe;
  readonly compiled: CompiledArgdist;
  /** The constants and member aliases its expressions used (`--dump=resolved`). */
  readonly macros?: MacroScope;
}

function compileFor(p: ProbePlan, r: ResolvedProbe, stringSize: number, host: ProbeHost, headers: ArgdistHeaders): CompiledArgdist {
  const btf = btfFor(r, host);
  return compileArgdist({
    ast: p.ast,
    types: p.types,
    site: r.site,
    stringSize,
    prefix: `ad${p.index}`,
    ...(btf ? { btf } : {}),
    ...(headers.macros ? { macros: headers.macros } : {}),
    ...(headers.types ? { userTypes: headers.types } : {}),
  });
}

/** What -I gave (and the scope of constants and member aliases, one log per specifier). */
export interface ArgdistHeaders {
  readonly types?: UserTypes;
  readonly macros?: MacroScope;
}

/**
 * Every specifier resolved and type-checked before anything is loaded, so a mistake in the
 * last one does not leave the first ones attached; every fault is reported in one run.
 */
export function compileSpecs(
  p: ArgdistPlan,
  o: Pick<ArgdistOptions, 'pid' | 'stringSize'>,
  host: ProbeHost = liveHost(),
  headers: ArgdistHeaders = {},
): CompiledSite[][] {
  return checkProbes(
    p.probes,
    (x) => x.text,
    (x) => {
      const macros = headers.macros?.fresh();
      const h = { ...headers, ...(macros ? { macros } : {}) };
      return resolveProbe(x, o.pid, host).map((resolved) => ({
        resolved,
        compiled: compileFor(x, resolved, o.stringSize, host, h),
        ...(macros ? { macros } : {}),
      }));
    },
  );
}

// ---------------------------------------------------------------------------------------------
// What the maps hold
// ---------------------------------------------------------------------------------------------

export interface FreqEntry {
  readonly values: readonly KeyValue[];
  readonly count: bigint;
}

/** Decoded frequency entries, merged by their displayed key. */
export function decodeFreq(p: ProbePlan, entries: ReadonlyArray<readonly [Uint8Array, Uint8Array]>): FreqEntry[] {
  const by = new Map<string, { values: KeyValue[]; count: bigint }>();
  for (const [k, v] of entries) {
    const values = p.layout.fields.map((f) => decodeField(k, f));
    const count = new DataView(v.buffer, v.byteOffset, v.byteLength).getBigUint64(0, true);
    const id = JSON.stringify(values, (_k, x) => (typeof x === 'bigint' ? `${x}n` : x));
    const have = by.get(id);
    if (have) have.count += count;
    else by.set(id, { values, count });
  }
  return [...by.values()].filter((e) => e.count > 0n);
}

/** The 65 slots of a histogram probe, from its one-element array's value (u64 slots[65]). */
export function histSlots(value: Uint8Array | undefined): bigint[] {
  const slots = new Array<bigint>(HIST_SLOTS).fill(0n);
  if (!value) return slots;
  const dv = new DataView(value.buffer, value.byteOffset, value.byteLength);
  for (let i = 0; i < HIST_SLOTS && 8 * i + 8 <= value.byteLength; i++) slots[i] = dv.getBigUint64(8 * i, true);
  return slots;
}

/**
 * Entries of each frequency hash. Test hook: POLYTRACE_TEST_MAP_ENTRIES=N makes the maps of
 * keys N entries (argdist's frequency hashes, stackcount's counts and stacks), so a test can
 * fill them.
 */
export function freqEntries(env: NodeJS.ProcessEnv = process.env, maxEntries?: number): number {
  if (maxEntries !== undefined) return maxEntries;
  const n = Number(env['POLYTRACE_TEST_MAP_ENTRIES'] ?? 0);
  return Number.isInteger(n) && n > 0 ? n : FREQ_ENTRIES;
}

/** The two hashes of a frequency probe (double-buffered: see compile/tools/argdist.ts). */
export function freqPair(probe: ProbePlan, maxEntries?: number): readonly [MapSpec, MapSpec] {
  const n = freqEntries(process.env, maxEntries);
  return [freqMapSpec(probe.index, probe.layout.size, n, 0), freqMapSpec(probe.index, probe.layout.size, n, 1)];
}
