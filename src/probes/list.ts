/**
 * `polytrace list`: which probe points a pattern names, in bpftrace's `-l` spelling
 * (`kprobe:vfs_read`, `tracepoint:sched:sched_switch`, `uprobe:/path:func`,
 * `usdt:/path:provider:probe`), and with `verbose` what each one carries: a kernel function's
 * C signature from BTF, a tracepoint's fields from its format file, a USDT probe's arguments.
 *
 * Patterns take bpftrace's probe types and short forms and BCC's spellings:
 *   kprobe:F k:F p:F p::F F        kernel functions (a bare pattern, as BCC's tools read it)
 *   kretprobe:F kr:F r:F r::F      the same, as return probes
 *   fentry:F kfunc:F f:F           kernel functions that BTF describes (fexit/kretfunc/fr too)
 *   tracepoint:C:E t:C:E           tracepoints; the glob is matched against `C:E`
 *   rawtracepoint:N rt:N           raw tracepoints by name (BTF's btf_trace_N, else tracefs)
 *   uprobe:LIB:F p:LIB:F LIB:F     functions of a binary or library (`c:malloc`, a path)
 *   uretprobe:LIB:F ur: r:LIB:F    the same, as return probes
 *   usdt:LIB[:PROVIDER]:PROBE u:LIB:PROBE U:LIB:PROBE   USDT probes (`u:` is BCC's USDT)
 * Globs follow BCC's tools (`*` is the wildcard). No pattern lists what this kernel can
 * attach: kprobes where it has kprobes, fentry functions where it has BPF trampolines (the
 * rest are left out, with a note that says how many and why), and tracepoints.
 *
 * Listing is lazy: providers read the host through ProbeHost, each kind only its own sources
 * (tracefs for tracepoints, ELF files for uprobes and USDT, kernel function lists for
 * kprobes), BTF only for fentry/fexit, raw tracepoints or `verbose` kernel listings (or when
 * kallsyms ∩ BTF must stand in for ftrace's list), and the details of an entry are computed
 * when it is printed.
 */
import { assertNever, UsageError } from '../errors.js';
import type { ProbeHost } from './host.js';
import type { ProbeQuery } from './provider.js';
import { LIST_WORDS, providerForList } from './registry.js';
import type { KernelListKind, ListEntry, ListKind, ListOptions, ListQuery, Miss } from './listing.js';

export type { KernelListKind, ListEntry, ListKind, ListOptions, ListQuery } from './listing.js';

const KERNEL_KINDS: readonly string[] = ['kprobe', 'kretprobe', 'fentry', 'fexit'];
export const isKernelKind = (k: ListKind): k is KernelListKind => KERNEL_KINDS.includes(k);

/** What `polytrace list` lists without a pattern: kernel functions only as this kernel can attach them. */
export const DEFAULT_QUERIES: readonly ListQuery[] = [
  { kind: 'kprobe', pattern: '*', attachable: true },
  { kind: 'fentry', pattern: '*', attachable: true },
  { kind: 'tracepoint', pattern: '*' },
];

/** Pattern text → queries (see the module comment). UsageError when it cannot be read. */
export function parseListPattern(text: string | undefined): ListQuery[] {
  if (text === undefined || text === '' || text === '*') return [...DEFAULT_QUERIES];
  const parts = text.split(':');
  const head = parts[0]!;
  const bad = (why: string): UsageError =>
    new UsageError(`cannot read probe pattern '${text}': ${why}`, [
      "e.g. 'kprobe:vfs_*', 'tracepoint:sched:*', 'rawtracepoint:sched_*', 'uprobe:/bin/bash:read*', 'usdt:/usr/bin/python3.11:*', 'c:malloc'",
    ]);
  const rest = (from: number): string => parts.slice(from).join(':');
  const orAll = (s: string | undefined): string => (s === undefined || s === '' ? '*' : s);
  if (parts.length === 1) return [{ kind: 'kprobe', pattern: head }];

  // BCC's p/r: kernel with an empty library (`p::vfs_*`) or none (`p:vfs_*`), else user space.
  if (head === 'p' || head === 'r') {
    const kernel = parts.length === 2 || parts[1] === '';
    if (kernel) {
      const pattern = orAll(parts.length === 2 ? parts[1] : rest(2));
      return [{ kind: head === 'p' ? 'kprobe' : 'kretprobe', pattern }];
    }
    if (parts.length > 3) throw bad('a user-space probe is TYPE:LIBRARY:FUNCTION');
    return [{ kind: head === 'p' ? 'uprobe' : 'uretprobe', library: parts[1]!, pattern: orAll(parts[2]) }];
  }

  const kind = Object.hasOwn(LIST_WORDS, head) ? LIST_WORDS[head] : undefined;
  if (kind === undefined) {
    // BCC's LIBRARY:FUNCTION (`c:malloc`, `/bin/bash:readline`).
    if (parts.length === 2 && head !== '') return [{ kind: 'uprobe', library: head, pattern: orAll(parts[1]) }];
    throw bad(`unknown probe type '${head}'`);
  }
  switch (kind) {
    case 'kprobe':
    case 'kretprobe':
    case 'fentry':
    case 'fexit':
      if (parts.length === 3 && parts[1] === '') return [{ kind, pattern: orAll(parts[2]) }];
      if (parts.length > 2) throw bad(`${kind} takes one function pattern (modules are not told apart): ${kind}:FUNCTION`);
      return [{ kind, pattern: orAll(parts[1]) }];
    case 'tracepoint': {
      const pattern = rest(1);
      // A plain name without ':' is a category (`tracepoint:sched`); a glob spans both parts.
      return [{ kind, pattern: pattern === '' ? '*' : pattern.includes(':') || pattern.includes('*') ? pattern : `${pattern}:*` }];
    }
    case 'rawtracepoint':
      // `rawtracepoint::NAME` as argdist writes it; no module part (`rawtracepoint:MODULE:NAME`).
      if (parts.length === 3 && parts[1] === '') return [{ kind, pattern: orAll(parts[2]) }];
      if (parts.length > 2) throw bad(`a raw tracepoint has no category: ${head}:NAME`);
      return [{ kind, pattern: orAll(parts[1]) }];
    case 'uprobe':
    case 'uretprobe':
      if (!parts[1]) throw bad(`${kind} needs a binary or library: ${kind}:/path/or/name:FUNCTION`);
      if (parts.length > 3) throw bad(`${kind} is ${kind}:LIBRARY:FUNCTION`);
      return [{ kind, library: parts[1], pattern: orAll(parts[2]) }];
    case 'usdt':
      if (!parts[1]) throw bad('usdt needs a binary or library: usdt:/path/or/name[:PROVIDER]:PROBE');
      if (parts.length > 4) throw bad('usdt is usdt:LIBRARY[:PROVIDER]:PROBE');
      if (parts.length === 4) return [{ kind, library: parts[1], provider: orAll(parts[2]), probe: orAll(parts[3]) }];
      return [{ kind, library: parts[1], provider: '*', probe: orAll(parts[2]) }];
    default:
      throw bad(`unknown probe type '${head}'`);
  }
}

/** Every entry a query names, sorted by probe name within the query (as bpftrace prints). */
export function listProbes(q: ListQuery, host: ProbeHost, o: ListOptions): AsyncGenerator<ListEntry> {
  return providerForList(q.kind).list(q, host, o);
}

/** The probe reference a listing query stands for (a glob), for its provider's `missed`. */
function probeQueryOf(q: ListQuery): ProbeQuery {
  switch (q.kind) {
    case 'kprobe':
    case 'kretprobe':
    case 'fentry':
    case 'fexit':
      return { type: 'p', library: '', name: q.pattern, match: 'glob' };
    case 'tracepoint':
      return { type: 't', library: '', name: q.pattern, match: 'glob' };
    case 'rawtracepoint':
      return { type: 'rawtracepoint', library: '', name: q.pattern, match: 'glob' };
    case 'uprobe':
    case 'uretprobe':
      return { type: 'p', library: q.library, name: q.pattern, match: 'glob' };
    case 'usdt':
      return { type: 'u', library: q.library, name: q.probe, ...(q.provider !== '*' ? { provider: q.provider } : {}), match: 'glob' };
    default:
      return assertNever(q, 'list query');
  }
}

/**
 * What a query that listed nothing looked for, where, and the nearest names there; undefined
 * when even that cannot be read.
 */
export function listMiss(q: ListQuery, host: ProbeHost): Miss | undefined {
  try {
    return providerForList(q.kind).missed(probeQueryOf(q), host);
  } catch {
    return undefined;
  }
}
