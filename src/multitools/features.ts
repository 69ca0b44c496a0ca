/** `polytrace features`: what this kernel offers, and for each missing mechanism the reason. */
import { toolCommand } from './options.js';
import { allFeatures } from '../features/feature.js';
import '../features/probes.js';
import '../features/fentry.js';
import { out } from '../report/lifecycle.js';

/** Kernel functions have no mechanism left: what to use instead. */
const NO_KERNEL_FUNCTIONS = "kernel functions cannot be probed here; tracepoints cover much of the same ground ('polytrace list t:*')";

/**
 * The features a feature's fallback needs (any one of them), and what to say when none is
 * available either: a fallback that is missing too is no way out ("instead: kprobes" where
 * kprobes are missing).
 */
const FALLBACK_NEEDS: Readonly<Record<string, { readonly any: readonly string[]; readonly otherwise?: string }>> = {
  fentry: { any: ['kprobe_pmu', 'kprobe_events'], otherwise: NO_KERNEL_FUNCTIONS },
  kprobe_pmu: { any: ['kprobe_events', 'fentry'], otherwise: NO_KERNEL_FUNCTIONS },
  kprobe_multi: { any: ['kprobe_pmu', 'kprobe_events'], otherwise: NO_KERNEL_FUNCTIONS },
  uprobe_pmu: { any: ['uprobe_events'] },
  uprobe_multi: { any: ['uprobe_pmu', 'uprobe_events'] },
};

export interface FeatureRow {
  readonly name: string;
  readonly description: string;
  readonly available: boolean;
  readonly reason: string;
  readonly fallback: string;
}

/**
 * What a missing feature's row says after its reason: `instead: FALLBACK` when the fallback is
 * there; when the features it needs are missing too, that, and what is left ('' for none).
 */
export function fallbackNote(row: FeatureRow, rows: readonly FeatureRow[]): string {
  if (!row.fallback) return '';
  const needs = FALLBACK_NEEDS[row.name];
  const missing = needs?.any.filter((n) => rows.find((r) => r.name === n)?.available === false) ?? [];
  if (!needs || missing.length < needs.any.length) return `instead: ${row.fallback}`;
  return `no fallback: ${row.fallback} (${missing.join(', ')}) missing too${needs.otherwise ? `; ${needs.otherwise}` : ''}`;
}

export async function run(argv: readonly string[], prog: string): Promise<void> {
  const cmd = toolCommand(prog, 'Show which BPF mechanisms this kernel offers', `Set POLYTRACE_DISABLE=name,… to force the fallbacks.`).option(
    '--json',
    'print as JSON',
    false,
  );
  cmd.parse([...argv], { from: 'user' });
  const json = cmd.opts().json as boolean;
  const rows: FeatureRow[] = allFeatures().map((f) => ({
    name: f.name,
    description: f.description,
    available: f.available(),
    reason: f.reason(),
    fallback: f.fallback ?? '',
  }));
  if (json) {
    await out(`${JSON.stringify(rows)}\n`);
    return;
  }
  const w = Math.max(...rows.map((r) => r.name.length));
  let text = '';
  for (const r of rows) {
    text += `${r.name.padEnd(w)}  ${r.available ? 'yes' : 'no '}  ${r.description}`;
    if (!r.available) {
      const note = fallbackNote(r, rows);
      text += `\n${' '.repeat(w + 7)}why: ${r.reason}${note ? `; ${note}` : ''}`;
    }
    text += '\n';
  }
  await out(text);
}
