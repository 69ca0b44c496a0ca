/**
 * The message for kernel-function probes on a kernel that has neither kprobes nor BPF
 * trampolines: what is missing, and the tracepoints that cover the same ground.
 */
import { UnsupportedFeatureError } from '../errors.js';

const PREFIXES = ['__x64_sys_', '__ia32_sys_', '__arm64_sys_', '__se_sys_', '__do_sys_', 'do_sys_', 'ksys_', 'sys_', 'do_', 'vfs_', '__'];

/** The word a function pattern is about: `do_sys_open*` → `open`, `vfs_read` → `read`. */
export function patternStem(pattern: string): string {
  let s = pattern.replace(/[*?^$()|\\[\].+]/g, '');
  for (let changed = true; changed; ) {
    changed = false;
    for (const p of PREFIXES) {
      if (s.startsWith(p) && s.length > p.length) {
        s = s.slice(p.length);
        changed = true;
      }
    }
  }
  return s;
}

/** Up to `max` tracepoints (as `t:cat:event`) that cover what the pattern was after. */
export function suggestTracepoints(pattern: string, tracepoints: readonly string[], max = 3): string[] {
  const stem = patternStem(pattern);
  if (!stem) return [];
  const score = (tp: string): number => {
    const [cat, ev] = tp.split(':');
    if (cat === 'syscalls' && ev === `sys_enter_${stem}`) return 0;
    if (cat === 'syscalls' && ev.startsWith(`sys_enter_${stem}`)) return 1 + ev.length / 100;
    if (ev === stem) return 2;
    if (ev.startsWith(stem)) return 3 + ev.length / 100;
    if (ev.includes(stem) && !ev.startsWith('sys_exit_')) return 4 + ev.length / 100;
    return Infinity;
  };
  return tracepoints
    .map((tp) => ({ tp, s: score(tp) }))
    .filter((x) => x.s !== Infinity)
    .sort((a, b) => a.s - b.s || a.tp.localeCompare(b.tp))
    .slice(0, max)
    .map((x) => `t:${x.tp}`);
}

export function kernelFunctionsUnavailable(pattern: string, why: { kprobes: string; fentry: string }, suggestions: readonly string[]): UnsupportedFeatureError {
  const alt = suggestions.length
    ? ` A tracepoint covers the same ground: try ${suggestions.map((s) => `'${s}'`).join(' or ')}.`
    : ` Use a tracepoint instead (list them with 'polytrace list t:*').`;
  return new UnsupportedFeatureError(
    'kernel_functions',
    `cannot probe kernel function '${pattern}': this kernel offers no way to attach to kernel functions ` +
      `(kprobes: ${why.kprobes}; fentry/fexit: ${why.fentry}).${alt}`,
  );
}
