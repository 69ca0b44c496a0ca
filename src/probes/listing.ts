/**
 * What `polytrace list` asks of each provider: a query of one probe kind, and the entries it
 * yields (the probe in bpftrace's `-l` spelling, and with -v what it carries). Every source is
 * read only when a query needs it.
 */
import type { BtfSpec } from '../btf/spec.js';
import type { TracepointField } from '../symbols/tracefs.js';
import { TracerError } from '../errors.js';

export type KernelListKind = 'kprobe' | 'kretprobe' | 'fentry' | 'fexit';

/** One thing to list. Patterns are globs. */
export type ListQuery =
  | { readonly kind: KernelListKind; readonly pattern: string }
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

/** Where listings come from; every source is asked for only when a query needs it. */
export interface ListSources {
  /** The tracefs root (mounting it if it must). */
  tracefs(): Promise<string>;
  /** vmlinux BTF. */
  btf(): Promise<BtfSpec>;
  /** Looks up module functions in their module's split BTF (for what vmlinux lacks). */
  moduleFunctions?(): Promise<(name: string) => { spec: BtfSpec; id: number } | undefined>;
}

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
