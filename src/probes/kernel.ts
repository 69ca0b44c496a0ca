/**
 * Kernel-function patterns. Where the kernel offers no mechanism (no kprobe PMU, no
 * tracefs kprobe_events, no fentry), the error says what is missing and which tracepoints
 * cover the same ground.
 */
import { haveKprobePmu, haveTracefsKprobeEvents } from '../features/probes.js';
import { haveFentry } from '../features/fentry.js';
import { listTracepoints, availableFilterFunctions } from '../symbols/tracefs.js';
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

export function resolveKernelPattern(pattern: string, o: KernelPatternOptions): ProbeTarget[] {
  const support = kernelFunctionSupport();
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
  const out: ProbeTarget[] = [];
  for (const name of availableFilterFunctions(o.tracefs())) {
    if (re.test(name)) out.push({ kind: 'kfunc', symbol: name, name });
  }
  return out;
}
