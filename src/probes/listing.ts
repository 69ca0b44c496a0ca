/**
 * What `polytrace list` asks of each provider: a query of one probe kind, and the entries it
 * yields (the probe in bpftrace's `-l` spelling, and with -v what it carries). Providers read
 * the host through ProbeHost, which reads every source only when a query needs it.
 */
import type { TracepointField } from '../symbols/tracefs.js';
import { didYouMean } from '../symbols/nearest.js';
import { TracerError } from '../errors.js';

export type KernelListKind = 'kprobe' | 'kretprobe' | 'fentry' | 'fexit';

/** One thing to list. Patterns are globs. */
export type ListQuery =
  /**
   * `attachable`: only if this kernel can attach them (the listing without a pattern); else
   * nothing is listed and a note says how many were left out and why.
   */
  | { readonly kind: KernelListKind; readonly pattern: string; readonly attachable?: boolean }
  /** `pattern` is matched against `category:event`. */
  | { readonly kind: 'tracepoint'; readonly pattern: string }
  /** `pattern` is matched against the raw tracepoint's name (`sched_switch`). */
  | { readonly kind: 'rawtracepoint'; readonly pattern: string }
  | { readonly kind: 'uprobe' | 'uretprobe'; readonly library: string; readonly pattern: string }
  | { readonly kind: 'usdt'; readonly library: string; readonly provider: string; readonly probe: string };

export type ListKind = ListQuery['kind'];

/** One listed probe; `details()` (the `-v` lines, without indentation) is computed on demand. */
export interface ListEntry {
  readonly probe: string;
  details(): string[];
}

/** What a probe reference that matched nothing looked for; the tools' and providers' messages say it. */
export interface Miss {
  /** The probe kind's word, singular: `tracepoint`, `USDT probe`, `function`, `kernel function`, `raw tracepoint`. */
  readonly what: string;
  /** Where it was looked for: a library's path, tracefs's events directory, kallsyms ∩ BTF. */
  readonly where: string;
  /** The nearest names there (`nearest`), as the reference spells them. */
  readonly near: readonly string[];
  /** A `polytrace list` pattern that shows what is there. */
  readonly list: string;
}

export interface ListOptions {
  /** Compute each entry's -v details. */
  readonly verbose: boolean;
  /** Says something about the listing on stderr (what was left out, what cannot attach). */
  note?(text: string): void;
}

/** The hints of a not-found message: the nearest names, and the listing that shows what is there. */
export function missHints(m: Miss): string[] {
  const mean = didYouMean(m.near);
  return [...(mean ? [mean] : []), `list them with 'polytrace list ${m.list}'`];
}

/** `tracepoint` → `tracepoints`, `USDT probe` → `USDT probes`. */
export const plural = (what: string): string => `${what}s`;

/** The declaration of a tracepoint field as its format file writes it (`char prev_comm[16]`). */
export function tracepointFieldDecl(f: TracepointField): string {
  if (f.dataLoc) return `${f.relLoc ? '__rel_loc' : '__data_loc'} ${f.cType} ${f.name}`;
  const m = /^(.*?)\s*(\[[^\]]*\])$/.exec(f.cType);
  return m ? `${m[1]} ${f.name}${m[2]}` : `${f.cType} ${f.name}`;
}

/** `arg1: int32 (-4@%edi)` for each argument of a USDT site, from its note text. */
export function usdtArgLines(args: readonly { readonly size: number; readonly signed: boolean }[], raw: readonly string[]): string[] {
  return args.map((a, i) => `arg${i + 1}: ${a.signed ? 'int' : 'uint'}${a.size * 8} (${raw[i] ?? '?'})`);
}

export const byString = (a: string, b: string): number => (a < b ? -1 : a > b ? 1 : 0);

/** A query routed to a provider that does not answer its kind (a registry bug). */
export function wrongKind(q: ListQuery, provider: string): TracerError {
  return new TracerError(`internal: a ${q.kind} listing asked of the ${provider} provider`);
}

/** Most completions offered for one word. */
const COMPLETION_LIMIT = 5000;

/** `prefix + name` for the names that start with `want`, sorted, at most COMPLETION_LIMIT. */
export function completions(names: Iterable<string>, prefix: string, want: string): string[] {
  const out = new Set<string>();
  for (const n of names) {
    if (n.startsWith(want)) out.add(prefix + n);
    if (out.size >= COMPLETION_LIMIT) break;
  }
  return [...out].sort();
}
