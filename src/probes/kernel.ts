/**
 * Kernel-function patterns: which functions a pattern names, minus those that cannot (or
 * must not) be probed, and within a limit the user can raise.
 *
 * Candidates come from `<tracefs>/available_filter_functions` (what ftrace, and so kprobes
 * and fentry, can reach); when that file cannot be read, from kallsyms text symbols that
 * also have a BTF FUNC. What BCC refuses is skipped: names in the kprobes blacklist,
 * `.cold`/`.part` compiler clones, `__perf*`/`perf_*`/`_kbl_addr_*`/`__SCT__*` names, and
 * (for kallsyms) init and irqentry text. Where the kernel offers no mechanism at all (no
 * kprobe PMU, no tracefs kprobe_events, no fentry), the error says what is missing and which
 * tracepoints cover the same ground.
 */
import { haveKprobePmu, haveTracefsKprobeEvents } from '../features/probes.js';
import { haveFentry } from '../features/fentry.js';
import { availableFilterFunctions } from '../symbols/tracefs.js';
import { Kallsyms } from '../symbols/kallsyms.js';
import { loadKernelBtf } from '../kernel/btf.js';
import type { BtfSpec } from '../btf/spec.js';
import { ResolveError, TracerError } from '../errors.js';

export function kernelFunctionSupport(): { kprobes: boolean; fentry: boolean; why: { kprobes: string; fentry: string } } {
  const kprobes = haveKprobePmu.available() || haveTracefsKprobeEvents.available();
  const fentry = haveFentry.available();
  return {
    kprobes,
    fentry,
    why: {
      kprobes: kprobes ? '' : haveKprobePmu.reason() || haveTracefsKprobeEvents.reason(),
      fentry: fentry ? '' : haveFentry.reason(),
    },
  };
}

/** BCC's default probe quota (`BPF.get_probe_limit()`). */
export const DEFAULT_PROBE_LIMIT = 1000;

/** `BCC_PROBE_LIMIT` when it is all digits, else 1000 (as BCC reads it). */
export function probeLimit(env: NodeJS.ProcessEnv = process.env): number {
  const v = env.BCC_PROBE_LIMIT?.trim();
  return v && /^\d+$/.test(v) ? Number(v) : DEFAULT_PROBE_LIMIT;
}

/** The error past the limit: BCC's words, and how to raise it. */
export function probeLimitError(limit: number, attempted: number): TracerError {
  return new TracerError(`maximum of ${limit} probes allowed, attempted ${attempted}`, ['narrow the pattern, or raise the limit with BCC_PROBE_LIMIT=N']);
}

const DENIED_PREFIXES = ['_kbl_addr_', '__perf', 'perf_', '__SCT__'];
const CLONE_RE = /\.(cold|part)(\.\d+)*(\.|$)/;

/**
 * Why BCC would not probe a function by this name ('' when it would): a clone the compiler
 * split off (`.cold`, `.part.N`, also when further suffixed like `.part.0.isra.0`), or a
 * perf/kprobe-internal or static-call trampoline name.
 */
export function deniedByName(name: string): string {
  if (CLONE_RE.test(name)) return 'a .cold/.part clone';
  for (const p of DENIED_PREFIXES) if (name.startsWith(p)) return `named ${p}*`;
  return '';
}

export interface FilterResult {
  readonly kept: string[];
  /** How many were dropped, and one example each, for messages. */
  readonly dropped: { readonly blacklist: number; readonly name: number };
}

/** Drop blacklisted and BCC-denied names, keeping order and removing duplicates. */
export function filterKernelFunctions(names: Iterable<string>, blacklist: ReadonlySet<string>): FilterResult {
  const kept: string[] = [];
  const seen = new Set<string>();
  let bl = 0;
  let byName = 0;
  for (const n of names) {
    if (seen.has(n)) continue;
    seen.add(n);
    if (blacklist.has(n)) bl++;
    else if (deniedByName(n)) byName++;
    else kept.push(n);
  }
  return { kept, dropped: { blacklist: bl, name: byName } };
}

/**
 * Function names from kallsyms when available_filter_functions cannot be read: text
 * symbols of vmlinux and modules, outside [__init_begin, __init_end) and
 * [__irqentry_text_start, __irqentry_text_end), for which `hasBtf` says yes. `filter`, when
 * given, is applied first (a pattern: only its matches are looked up in BTF).
 */
export function kallsymsFunctions(ks: Kallsyms, hasBtf: (name: string) => boolean, filter?: RegExp): string[] {
  const ranges: Array<[bigint, bigint]> = [];
  for (const [a, b] of [
    ['__init_begin', '__init_end'],
    ['__irqentry_text_start', '__irqentry_text_end'],
  ] as const) {
    const s = ks.find(a);
    const e = ks.find(b);
    if (s && e && e.addr > s.addr) ranges.push([s.addr, e.addr]);
  }
  const out: string[] = [];
  for (const f of ks.functions(filter)) {
    if (ranges.some(([s, e]) => f.addr >= s && f.addr < e)) continue;
    if (hasBtf(f.name)) out.push(f.name);
  }
  return out;
}

/**
 * Does vmlinux BTF describe a function of this name? A few names are looked up one by one;
 * past that, one set of every FUNC name answers faster (a wildcard listing asks ~60k times).
 */
export function btfFunctionTest(spec: BtfSpec = loadKernelBtf()): (name: string) => boolean {
  let asked = 0;
  let all: Set<string> | undefined;
  return (name) => {
    if (!all && ++asked > 256) {
      all = new Set();
      for (const id of spec.idsOfKind('func')) all.add(spec.nameOf(id));
    }
    return all ? all.has(name) : spec.idsByName(name, 'func').length > 0;
  };
}

export interface KernelFunctionCandidates {
  readonly names: string[];
  readonly source: 'available_filter_functions' | 'kallsyms ∩ BTF';
  /** Every name has a BTF FUNC in vmlinux (kallsyms names are kept only then). */
  readonly btfChecked: boolean;
}

/**
 * Kernel functions matching `re`: ftrace's available_filter_functions, else — when it cannot
 * be read (lockdown, as on this project's development host) — kallsyms text symbols that
 * vmlinux BTF also describes. The tools' refusals (blacklist, clones) are applied by the caller.
 */
export function candidateFunctions(re: RegExp, tracefs: () => string): KernelFunctionCandidates {
  let afErr: unknown;
  try {
    return { names: availableFilterFunctions(tracefs()).filter((n) => re.test(n)), source: 'available_filter_functions', btfChecked: false };
  } catch (e) {
    afErr = e;
  }
  try {
    return { names: kallsymsFunctions(Kallsyms.read(), btfFunctionTest(), re), source: 'kallsyms ∩ BTF', btfChecked: true };
  } catch (e) {
    const a = afErr instanceof Error ? afErr.message : String(afErr);
    const b = e instanceof Error ? e.message : String(e);
    throw new ResolveError(`cannot list kernel functions: ${a}; and from kallsyms and BTF: ${b}`);
  }
}
