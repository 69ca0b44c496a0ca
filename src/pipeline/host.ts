/**
 * The live ProbeHost: this machine's tracefs, ELF files, kallsyms, BTF and feature probes.
 * Every source is read when first asked for and kept for the run.
 */
import { existsSync } from 'node:fs';
import { haveKprobeMulti, haveKprobePmu, haveTracefsKprobeEvents, haveProbeReadKernel, haveRawTracepoint, haveUprobeMulti } from '../features/probes.js';
import { syscallLayout } from '../kernel/syscall-layout.js';
import { startKeeper } from '../attach/keeper.js';
import { requireTracefs } from '../kernel/tracefs.js';
import { kernelFunctionBtf, btfForKernelFunction } from '../kernel/btf.js';
import { listTracepointDirs, hasEventId, readTracepointFormat, kprobeBlacklist, dynamicEvents } from '../symbols/tracefs.js';
import { resolveLibrary, resolveUsdtBinary } from '../symbols/library.js';
import { ElfFile } from '../symbols/elf.js';
import { usdtProbes, type UsdtProbe } from '../symbols/usdt/probes.js';
import { Kallsyms } from '../symbols/kallsyms.js';
import { candidateFunctions, filterKernelFunctions, kernelFunctionSupport } from '../probes/kernel.js';
import type { KernelFunctionSupport, ProbeHost } from '../probes/host.js';

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
  let dynamic: ReadonlySet<string> | undefined;
  const usdt = new Map<string, readonly UsdtProbe[]>();
  return {
    tracefs: requireTracefs,
    tracepoints: () => listTracepointDirs(requireTracefs()),
    hasTracepoint: (category, event) => {
      const root = requireTracefs();
      return existsSync(`${root}/events/${category}/${event}/id`) && hasEventId(root, { category, event });
    },
    tracepointFormat: (category, event) => readTracepointFormat(requireTracefs(), category, event),
    rawTracepoints: () => haveRawTracepoint.available(),
    whyNoRawTracepoints: () => haveRawTracepoint.reason(),
    // The family program reads the saved registers or the task with bpf_probe_read_kernel.
    syscallFamilies: () => haveProbeReadKernel.available() && syscallLayout() !== undefined,
    dynamicEvents: () => (dynamic ??= dynamicEvents(requireTracefs())),
    // A user-space probe is coming: start the uprobe keeper (attach/keeper.ts) now, so that it
    // starts while the ELF files are read, not when the tool attaches.
    library: (name, pid) => {
      startKeeper();
      return resolveLibrary(name, { pid });
    },
    usdtBinary: (name, pid) => {
      startKeeper();
      return resolveUsdtBinary(name, pid);
    },
    elf: (path) => ElfFile.open(path),
    userProbeMechanism: () => (haveUprobeMulti.available() ? 'uprobe_multi' : 'perf_event'),
    usdtProbes: (path) => {
      let p = usdt.get(path);
      if (!p) usdt.set(path, (p = usdtProbes(ElfFile.open(path))));
      return p;
    },
    kernelFunctionSupport: () => (support ??= mechanismSupport()),
    kernelFunctions(re, literal) {
      let matched = candidateFunctions(re, requireTracefs).names;
      // A literal name ftrace does not list (a syscall wrapper, say) may still take a kprobe.
      if (matched.length === 0 && literal !== undefined) {
        try {
          const f = Kallsyms.read().find(literal);
          if (f && 'tTwW'.includes(f.type)) matched = [literal];
        } catch {
          // No kallsyms: nothing more to find.
        }
      }
      return filterKernelFunctions(matched, kprobeBlacklist()).kept;
    },
    kernelFunctionHasBtf: (name) => kernelFunctionBtf(name) !== undefined,
    kernelBtf: (fn) => {
      try {
        return btfForKernelFunction(fn);
      } catch {
        return undefined;
      }
    },
  };
}
