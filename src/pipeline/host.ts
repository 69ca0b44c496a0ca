/**
 * The live ProbeHost: this machine's tracefs, ELF files, kallsyms, BTF and feature probes.
 * Every source is read when first asked for and kept for the run.
 */
import { haveKprobeMulti, haveKprobePmu, haveTracefsKprobeEvents, haveProbeReadKernel, haveRawTracepoint, haveUprobeMulti } from '../features/probes.js';
import { syscallLayout } from '../kernel/syscall-layout.js';
import { requireTracefs } from '../kernel/tracefs.js';
import { kernelFunctionBtf, btfForKernelFunction } from '../kernel/btf.js';
import { listTracepointDirs, hasEventId, readTracepointFormat, kprobeBlacklist, dynamicEvents } from '../symbols/tracefs.js';
import { resolveLibrary, resolveUsdtBinary } from '../symbols/library.js';
import { ElfFile } from '../symbols/elf.js';
import { usdtProbes, type UsdtProbe } from '../symbols/usdt/probes.js';
import { Kallsyms } from '../symbols/kallsyms.js';
import { candidateFunctions, filterKernelFunctions, kernelFunctionSupport } from '../probes/kernel.js';
import type { KernelFunctionSupport, ProbeHost } from '../probes/host.js';
import { hostIfuncImplementation } from './ifunc.js';

function mechanismSupport(): KernelFunctionSupport {
  // Probing fentry loads the kernel's BTF: only asked when kprobes are missing.
  if (haveKprobePmu.available() || haveTracefsKprobeEvents.available()) {
    return { mechanism: haveKprobeMulti.available() ? 'kprobe_multi' : 'kprobe', why: { kprobes: '', fentry: '' } };
  }
  const s = kernelFunctionSupport();
  return s.fentry ? { mechanism: 'fentry', why: s.why } : { why: s.why };
}

export function liveHost(): ProbeHost {
  let support: KernelFunctionSupport | undefined;
  let mechanisms: KernelFunctionSupport['why'] | undefined;
  let dynamic: ReadonlySet<string> | undefined;
  // kprobe:* and fentry:* (both listed without a pattern) share one read of the function list.
  const functions = new Map<string, string[]>();
  let functionSource: string | undefined;
  const candidates = (re: RegExp): string[] => {
    const found = candidateFunctions(re, requireTracefs);
    functionSource = found.source === 'available_filter_functions' ? `${requireTracefs()}/available_filter_functions` : found.source;
    return found.names;
  };
  const usdt = new Map<string, readonly UsdtProbe[]>();
  const noted = new Set<string>();
  return {
    tracefs: requireTracefs,
    tracepoints: () => listTracepointDirs(requireTracefs()),
    // One stat of the event's id file (listing every tracepoint asks ~2,000 times).
    hasTracepoint: (category, event) => hasEventId(requireTracefs(), { category, event }),
    tracepointFormat: (category, event) => readTracepointFormat(requireTracefs(), category, event),
    rawTracepoints: () => haveRawTracepoint.available(),
    whyNoRawTracepoints: () => haveRawTracepoint.reason(),
    // The family program reads the saved registers or the task with bpf_probe_read_kernel.
    syscallFamilies: () => haveProbeReadKernel.available() && syscallLayout() !== undefined,
    dynamicEvents: () => (dynamic ??= dynamicEvents(requireTracefs())),
    library: (name, pid) => resolveLibrary(name, { pid }),
    usdtBinary: (name, pid) => resolveUsdtBinary(name, pid),
    elf: (path) => ElfFile.open(path),
    userProbeMechanism: () => (haveUprobeMulti.available() ? 'uprobe_multi' : 'perf_event'),
    ifuncImplementation: (path, sym) => hostIfuncImplementation(path, ElfFile.open(path), sym),
    note: (text) => {
      if (noted.has(text)) return;
      noted.add(text);
      process.stderr.write(`${text}\n`);
    },
    usdtProbes: (path) => {
      let p = usdt.get(path);
      if (!p) usdt.set(path, (p = usdtProbes(ElfFile.open(path))));
      return p;
    },
    kernelFunctionSupport: () => (support ??= mechanismSupport()),
    kernelFunctionMechanisms: () => (mechanisms ??= kernelFunctionSupport().why),
    kernelFunctionSource() {
      if (functionSource === undefined) candidates(/^$/);
      return functionSource!;
    },
    kernelFunctions(re, literal) {
      const key = `${re.source}/${re.flags}\0${literal ?? ''}`;
      const known = functions.get(key);
      if (known) return known;
      let matched = candidates(re);
      // A literal name ftrace does not list (a syscall wrapper, say) may still take a kprobe.
      if (matched.length === 0 && literal !== undefined) {
        try {
          const f = Kallsyms.read().find(literal);
          if (f && 'tTwW'.includes(f.type)) matched = [literal];
        } catch {
          // No kallsyms: nothing more to find.
        }
      }
      const kept = filterKernelFunctions(matched, kprobeBlacklist()).kept;
      functions.set(key, kept);
      return kept;
    },
    kernelFunctionHasBtf: (name) => {
      try {
        return kernelFunctionBtf(name) !== undefined;
      } catch {
        return false; // no kernel BTF
      }
    },
    kernelBtf: (fn) => {
      try {
        return btfForKernelFunction(fn);
      } catch {
        return undefined;
      }
    },
  };
}
