/**
 * Resolving funccount/stackcount/funclatency patterns (`[type:][library:]pattern`) to
 * targets: tracepoints from tracefs, user functions from ELF symbols, USDT probes from
 * notes, kernel functions from the kernel's lists. BCC's matching rules: a glob becomes an
 * anchored regex, `-r` is start-anchored; user functions are de-duplicated by address and
 * by name (the first wins, as funccount does for glibc aliases such as malloc/__libc_malloc).
 */
import { existsSync } from 'node:fs';
import { ResolveError } from '../errors.js';
import { globToRegExp, userRegExp } from '../symbols/match.js';
import { listTracepointDirs, hasEventId } from '../symbols/tracefs.js';
import { resolveLibrary, resolveUsdtBinary } from '../symbols/library.js';
import { ElfFile, unversioned } from '../symbols/elf.js';
import { usdtProbes } from '../symbols/usdt/probes.js';
import type { ProbeTarget } from './targets.js';

export interface PatternRef {
  readonly type: 'p' | 't' | 'u';
  /** '' for the kernel. */
  readonly library: string;
  /** For tracepoints "category:event" (either part may hold wildcards). */
  readonly pattern: string;
}

export interface PatternOptions {
  readonly regex: boolean;
  readonly pid?: number;
  /** Resolve the tracefs root lazily (it may need mounting). */
  readonly tracefs: () => string;
}

export function patternRegExp(pattern: string, regex: boolean): RegExp {
  return regex ? userRegExp(pattern) : globToRegExp(pattern);
}

/** A glob with no wildcard and no regex metacharacter names exactly one tracepoint. */
const LITERAL_TRACEPOINT = /^([A-Za-z0-9_-]+):([A-Za-z0-9_-]+)$/;

export function resolveTracepointPattern(pattern: string, o: PatternOptions): ProbeTarget[] {
  const literal = o.regex ? null : LITERAL_TRACEPOINT.exec(pattern);
  if (literal) {
    // Skip listing every tracepoint (thousands of directories) for a plain name.
    const [, category, event] = literal;
    return existsSync(`${o.tracefs()}/events/${category}/${event}/id`) ? [{ kind: 'tracepoint', category, event, name: pattern }] : [];
  }
  const re = patternRegExp(pattern, o.regex);
  const root = o.tracefs();
  const out: ProbeTarget[] = [];
  for (const t of listTracepointDirs(root)) {
    const name = `${t.category}:${t.event}`;
    if (re.test(name) && hasEventId(root, t)) out.push({ kind: 'tracepoint', category: t.category, event: t.event, name });
  }
  return out;
}

export function resolveUprobePattern(library: string, pattern: string, o: PatternOptions): ProbeTarget[] {
  const lib = resolveLibrary(library, { pid: o.pid });
  const elf = ElfFile.open(lib.path);
  const re = patternRegExp(pattern, o.regex);
  const seenAddr = new Set<bigint>();
  const seenName = new Set<string>();
  const out: ProbeTarget[] = [];
  for (const s of elf.functionSymbols()) {
    if (s.value === 0n || s.shndx === 0) continue; // undefined (imported) symbols
    const name = unversioned(s.name);
    if (!re.test(name)) continue;
    if (seenAddr.has(s.value) || seenName.has(name)) continue;
    seenAddr.add(s.value);
    seenName.add(name);
    const offset = elf.vaddrToFileOffset(s.value);
    if (offset === undefined) continue;
    out.push({ kind: 'uprobe', path: lib.path, symbol: name, offset, vaddr: s.value, name });
  }
  return out;
}

export function resolveUsdtPattern(library: string, pattern: string, o: PatternOptions): ProbeTarget[] {
  const bin = resolveUsdtBinary(library, o.pid);
  const elf = ElfFile.open(bin.path);
  const re = patternRegExp(pattern, o.regex);
  const out: ProbeTarget[] = [];
  for (const p of usdtProbes(elf)) {
    if (!re.test(p.name)) continue;
    out.push({
      kind: 'usdt', path: bin.path, provider: p.provider, probe: p.name, name: p.name,
      sites: p.sites.map((s) => ({ offset: s.fileOffset, semaphoreOffset: s.semaphoreFileOffset })),
    });
  }
  return out;
}

/** Every target a pattern names; an empty result is the caller's "No functions matched". */
export function resolvePattern(ref: PatternRef, o: PatternOptions, kernel: (pattern: string) => ProbeTarget[]): ProbeTarget[] {
  switch (ref.type) {
    case 't':
      return resolveTracepointPattern(ref.pattern, o);
    case 'u':
      return resolveUsdtPattern(ref.library, ref.pattern, o);
    case 'p':
      return ref.library === '' ? kernel(ref.pattern) : resolveUprobePattern(ref.library, ref.pattern, o);
    default:
      throw new ResolveError(`unknown probe type ${String((ref as { type: unknown }).type)}`);
  }
}
