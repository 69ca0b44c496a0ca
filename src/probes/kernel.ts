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
import { listTracepoints, availableFilterFunctions, kprobeBlacklist } from '../symbols/tracefs.js';
import { Kallsyms } from '../symbols/kallsyms.js';
import { kernelFunctionBtf, loadKernelBtf } from '../kernel/btf.js';
import { ResolveError, TracerError } from '../errors.js';
import { patternRegExp } from './pattern.js';
import { kernelFunctionsUnavailable, suggestTracepoints } from './kfunc-unavailable.js';
import type { ProbeTarget } from './targets.js';

export interface KernelPatternOptions {
  readonly regex: boolean;
  readonly tracefs: () => string;
}

export function kernelFunctionSupport(): { kprobes: boolean; fentry: boolean; why: { kprobes: string; fentry: string } } {
  const kprobes = haveKprobePmu.available() || haveTracefsKprobeEvents.available();
  const fentry = haveFentry.available();
  return {
    kprobes, fentry,
    why: {
      kprobes: kprobes ? '' : (haveKprobePmu.reason() || haveTracefsKprobeEvents.reason()),
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
  return new TracerError(`maximum of ${limit} probes allowed, attempted ${attempted}`,
    ['narrow the pattern, or raise the limit with BCC_PROBE_LIMIT=N']);
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
  for (const [a, b] of [['__init_begin', '__init_end'], ['__irqentry_text_start', '__irqentry_text_end']] as const) {
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

/** Does vmlinux BTF describe a function of this name? */
export function btfFunctionChecker(): (name: string) => boolean {
  const spec = loadKernelBtf();
  return (name) => spec.idsByName(name, 'func').length > 0;
}


/** Candidate names: available_filter_functions, else kallsyms ∩ BTF. */
function candidateFunctions(tracefs: () => string): { names: string[]; source: string } {
  let afErr: unknown;
  try {
    return { names: availableFilterFunctions(tracefs()), source: 'available_filter_functions' };
  } catch (e) {
    afErr = e;
  }
  try {
    const ks = Kallsyms.read();
    return { names: kallsymsFunctions(ks, btfFunctionChecker()), source: 'kallsyms ∩ BTF' };
  } catch (e) {
    const a = afErr instanceof Error ? afErr.message : String(afErr);
    const b = e instanceof Error ? e.message : String(e);
    throw new ResolveError(`cannot list kernel functions: ${a}; and from kallsyms and BTF: ${b}`);
  }
}

const WILDCARD_FREE = /^[A-Za-z0-9_.]+$/;

export function resolveKernelPattern(pattern: string, o: KernelPatternOptions): ProbeTarget[] {
  // Probing fentry loads the kernel's BTF: only ask when kprobes are missing.
  const kprobes = haveKprobePmu.available() || haveTracefsKprobeEvents.available();
  const support = kprobes ? { kprobes, fentry: false, why: { kprobes: '', fentry: '' } } : kernelFunctionSupport();
  if (!support.kprobes && !support.fentry) {
    let tps: string[] = [];
    try {
      tps = listTracepoints(o.tracefs()).map((t) => `${t.category}:${t.event}`);
    } catch {
      // No tracefs either: no suggestions.
    }
    throw kernelFunctionsUnavailable(pattern, support.why, suggestTracepoints(pattern, tps));
  }
  const re = patternRegExp(pattern, o.regex);
  const { names } = candidateFunctions(o.tracefs);
  let matched = names.filter((n) => re.test(n));
  // A literal name ftrace does not list (a syscall wrapper, say) may still take a kprobe.
  if (matched.length === 0 && support.kprobes && !o.regex && WILDCARD_FREE.test(pattern)) {
    try {
      const f = Kallsyms.read().find(pattern);
      if (f && 'tTwW'.includes(f.type)) matched = [pattern];
    } catch {
      // No kallsyms: nothing more to find.
    }
  }
  let { kept } = filterKernelFunctions(matched, kprobeBlacklist());
  // Only fentry: a function needs a BTF FUNC (vmlinux's or a loaded module's) to be attached to.
  if (!support.kprobes) kept = kept.filter((name) => kernelFunctionBtf(name) !== undefined);
  const limit = probeLimit();
  if (kept.length > limit) throw probeLimitError(limit, kept.length);
  return kept.map((name) => ({ kind: 'kfunc', symbol: name, name }));
}
