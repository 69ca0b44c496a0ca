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
 *   uprobe:LIB:F p:LIB:F LIB:F     functions of a binary or library (`c:malloc`, a path)
 *   uretprobe:LIB:F ur: r:LIB:F    the same, as return probes
 *   usdt:LIB[:PROVIDER]:PROBE u:LIB:PROBE U:LIB:PROBE   USDT probes (`u:` is BCC's USDT)
 * Globs follow BCC's tools (`*` is the wildcard). No pattern lists kprobes, fentry functions
 * and tracepoints.
 *
 * Listing is lazy: each kind reads only its own sources (tracefs for tracepoints, ELF files
 * for uprobes and USDT, kernel function lists for kprobes), BTF is loaded only for fentry/
 * fexit or `verbose` kernel listings (or when kallsyms ∩ BTF must stand in for ftrace's list),
 * and the details of an entry are computed when it is printed.
 */
import { ResolveError, UsageError } from '../errors.js';
import { globToRegExp } from '../symbols/match.js';
import { availableFilterFunctions, kprobeBlacklist, listTracepoints, readTracepointFormat, type TracepointField } from '../symbols/tracefs.js';
import type { BtfSpec } from '../btf/spec.js';

export type KernelListKind = 'kprobe' | 'kretprobe' | 'fentry' | 'fexit';

/** One thing to list. Patterns are globs. */
export type ListQuery =
  | { readonly kind: KernelListKind; readonly pattern: string }
  /** `pattern` is matched against `category:event`. */
  | { readonly kind: 'tracepoint'; readonly pattern: string }
  | { readonly kind: 'uprobe' | 'uretprobe'; readonly library: string; readonly pattern: string }
  | { readonly kind: 'usdt'; readonly library: string; readonly provider: string; readonly probe: string };

export type ListKind = ListQuery['kind'];

const TYPE_WORDS: Readonly<Record<string, ListKind>> = {
  kprobe: 'kprobe', k: 'kprobe',
  kretprobe: 'kretprobe', kr: 'kretprobe',
  fentry: 'fentry', kfunc: 'fentry', f: 'fentry',
  fexit: 'fexit', kretfunc: 'fexit', fr: 'fexit',
  tracepoint: 'tracepoint', t: 'tracepoint',
  uprobe: 'uprobe',
  uretprobe: 'uretprobe', ur: 'uretprobe',
  usdt: 'usdt', U: 'usdt', u: 'usdt',
};

const KERNEL_KINDS: readonly string[] = ['kprobe', 'kretprobe', 'fentry', 'fexit'];
export const isKernelKind = (k: ListKind): k is KernelListKind => KERNEL_KINDS.includes(k);

/** What `polytrace list` lists without a pattern. */
export const DEFAULT_QUERIES: readonly ListQuery[] = [
  { kind: 'kprobe', pattern: '*' },
  { kind: 'fentry', pattern: '*' },
  { kind: 'tracepoint', pattern: '*' },
];

/** Pattern text → queries (see the module comment). UsageError when it cannot be read. */
export function parseListPattern(text: string | undefined): ListQuery[] {
  if (text === undefined || text === '' || text === '*') return [...DEFAULT_QUERIES];
  const parts = text.split(':');
  const head = parts[0]!;
  const bad = (why: string): UsageError => new UsageError(`cannot read probe pattern '${text}': ${why}`, [
    "e.g. 'kprobe:vfs_*', 'tracepoint:sched:*', 'uprobe:/bin/bash:read*', 'usdt:/usr/bin/python3.11:*', 'c:malloc'",
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

  const kind = Object.hasOwn(TYPE_WORDS, head) ? TYPE_WORDS[head] : undefined;
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

const byString = (a: string, b: string): number => (a < b ? -1 : a > b ? 1 : 0);

/** Every entry a query names, sorted by probe name within the query (as bpftrace prints). */
export async function* listProbes(q: ListQuery, src: ListSources, verbose: boolean): AsyncGenerator<ListEntry> {
  switch (q.kind) {
    case 'tracepoint':
      yield* listTracepointEntries(q.pattern, src, verbose);
      return;
    case 'kprobe':
    case 'kretprobe':
    case 'fentry':
    case 'fexit':
      yield* listKernelEntries(q.kind, q.pattern, src, verbose);
      return;
    case 'uprobe':
    case 'uretprobe':
      yield* listUprobeEntries(q.kind, q.library, q.pattern);
      return;
    case 'usdt':
      yield* listUsdtEntries(q.library, q.provider, q.probe, verbose);
      return;
    default:
      throw new ResolveError(`unknown probe kind ${String((q as { kind: unknown }).kind)}`);
  }
}

async function* listTracepointEntries(pattern: string, src: ListSources, verbose: boolean): AsyncGenerator<ListEntry> {
  const root = await src.tracefs();
  const re = globToRegExp(pattern);
  const names: string[] = [];
  for (const { category, event } of listTracepoints(root)) {
    const name = `${category}:${event}`;
    if (re.test(name)) names.push(name);
  }
  names.sort();
  for (const name of names) {
    const colon = name.indexOf(':');
    yield {
      probe: `tracepoint:${name}`,
      details: () => (verbose ? readTracepointFormat(root, name.slice(0, colon), name.slice(colon + 1)).fields.filter((f) => !f.isCommon).map(tracepointFieldDecl) : []),
    };
  }
}

/**
 * Kernel functions a pattern names: ftrace's available_filter_functions, or — when it cannot be
 * read (lockdown, as here) — kallsyms text symbols that BTF also describes; minus what the tools
 * refuse (the kprobe blacklist, .cold/.part clones, perf internals), so what is listed is what
 * `funccount`/`trace` would accept. fentry/fexit need a BTF FUNC as well.
 */
export async function kernelFunctionNames(pattern: string, src: ListSources, needBtf: boolean): Promise<{ names: string[]; source: string }> {
  // kprobe:P and fentry:P (both listed without a pattern) share one read of the sources.
  let found = kernelNamesMemo.get(pattern);
  if (!found) kernelNamesMemo.set(pattern, (found = candidateKernelFunctions(pattern, src)));
  const { names, source, btfChecked } = await found;
  if (!needBtf || btfChecked) return { names, source };
  // fentry/fexit attach to what vmlinux's or a loaded module's BTF describes.
  const inVmlinux = btfFunctionTest(await src.btf());
  const inModule = (await src.moduleFunctions?.()) ?? (() => undefined);
  return { names: names.filter((n) => inVmlinux(n) || inModule(n) !== undefined), source };
}

/**
 * Does BTF describe a function of this name? A few names are looked up one by one; past that,
 * one set of every FUNC name answers faster (a wildcard listing asks ~60k times).
 */
function btfFunctionTest(spec: BtfSpec): (name: string) => boolean {
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

const kernelNamesMemo = new Map<string, Promise<{ names: string[]; source: string; btfChecked: boolean }>>();

async function candidateKernelFunctions(pattern: string, src: ListSources): Promise<{ names: string[]; source: string; btfChecked: boolean }> {
  const re = globToRegExp(pattern);
  const { filterKernelFunctions, kallsymsFunctions } = await import('./kernel.js');
  let names: string[];
  let source: string;
  let btfChecked = false;
  const hasBtf = async (): Promise<(n: string) => boolean> => btfFunctionTest(await src.btf());
  let afErr: unknown;
  try {
    names = availableFilterFunctions(await src.tracefs()).filter((n) => re.test(n));
    source = 'available_filter_functions';
  } catch (e) {
    afErr = e;
    names = [];
    source = '';
  }
  if (afErr !== undefined) {
    const { Kallsyms } = await import('../symbols/kallsyms.js');
    let ks;
    try {
      ks = Kallsyms.read();
    } catch (e) {
      const a = afErr instanceof Error ? afErr.message : String(afErr);
      const b = e instanceof Error ? e.message : String(e);
      throw new ResolveError(`cannot list kernel functions: ${a}; and from kallsyms: ${b}`);
    }
    names = kallsymsFunctions(ks, await hasBtf(), re);
    source = 'kallsyms ∩ BTF';
    btfChecked = true;
  }
  const { kept } = filterKernelFunctions(names, kprobeBlacklist());
  return { names: kept.sort(), source, btfChecked };
}

async function* listKernelEntries(kind: KernelListKind, pattern: string, src: ListSources, verbose: boolean): AsyncGenerator<ListEntry> {
  const { names } = await kernelFunctionNames(pattern, src, kind === 'fentry' || kind === 'fexit');
  let signature: (name: string) => string[] = () => [];
  if (verbose && names.length) {
    const spec = await src.btf();
    const { formatFuncSignature } = await import('../btf/format.js');
    const inModule = (await src.moduleFunctions?.()) ?? (() => undefined);
    signature = (name) => {
      const id = spec.idsByName(name, 'func')[0];
      if (id !== undefined) return [formatFuncSignature(spec, id)];
      const m = inModule(name);
      return m ? [formatFuncSignature(m.spec, m.id)] : [];
    };
  }
  for (const name of names) yield { probe: `${kind}:${name}`, details: () => signature(name) };
}

async function* listUprobeEntries(kind: 'uprobe' | 'uretprobe', library: string, pattern: string): AsyncGenerator<ListEntry> {
  const { resolveLibrary } = await import('../symbols/library.js');
  const { ElfFile, unversioned } = await import('../symbols/elf.js');
  const lib = resolveLibrary(library);
  const elf = ElfFile.open(lib.path);
  const re = globToRegExp(pattern);
  const names = new Set<string>();
  for (const s of elf.functionSymbols()) {
    if (s.value === 0n || s.shndx === 0) continue; // imported, not defined here
    const name = unversioned(s.name);
    if (name !== '' && re.test(name)) names.add(name);
  }
  for (const name of [...names].sort()) yield { probe: `${kind}:${lib.path}:${name}`, details: () => [] };
}

async function* listUsdtEntries(library: string, provider: string, probe: string, verbose: boolean): AsyncGenerator<ListEntry> {
  const { resolveUsdtBinary } = await import('../symbols/library.js');
  const { ElfFile } = await import('../symbols/elf.js');
  const { usdtProbes } = await import('../symbols/usdt/probes.js');
  const { splitUsdtArgs } = await import('../symbols/usdt/args.js');
  const bin = resolveUsdtBinary(library);
  const elf = ElfFile.open(bin.path);
  const provRe = globToRegExp(provider);
  const probeRe = globToRegExp(probe);
  const probes = usdtProbes(elf)
    .filter((p) => provRe.test(p.provider) && probeRe.test(p.name))
    .sort((a, b) => byString(a.provider, b.provider) || byString(a.name, b.name));
  for (const p of probes) {
    yield {
      probe: `usdt:${bin.path}:${p.provider}:${p.name}`,
      details: () => {
        if (!verbose) return [];
        // Sites of one probe usually share their argument types; show the first site, and
        // say when others differ.
        const site = p.sites[0]!;
        if (site.error) return [`arguments do not parse: ${site.error.message}`];
        const lines = usdtArgLines(site.args, splitUsdtArgs(site.argSpec));
        const kinds = (s: typeof site): string => s.args.map((a) => `${a.signed ? '-' : ''}${a.size}`).join(' ');
        const differ = p.sites.filter((s) => s.error || kinds(s) !== kinds(site)).length;
        if (p.sites.length > 1) lines.push(`(${p.sites.length} sites${differ ? `, ${differ} with other argument types` : ''})`);
        return lines;
      },
    };
  }
}
