/**
 * User functions (`p:LIB:F`, `r:LIB:F`, `LIB:F`): ELF symbols of a library or binary. A
 * pattern matches defined function symbols, de-duplicated by address and by name (the first
 * wins, as funccount does for glibc aliases such as malloc/__libc_malloc); an exact name is
 * looked up with symbol versions respected, and may carry an offset (`p:LIB:F+N`).
 */
import { ResolveError, TracerError } from '../../errors.js';
import { unversioned, type ElfFile } from '../../symbols/elf.js';
import type { ProbeHost } from '../host.js';
import type { Miss, Provider, ProbeQuery, ResolvedProbe } from '../provider.js';
import { nameRegExp } from '../match.js';
import { globToRegExp } from '../../symbols/match.js';
import { nearest } from '../../symbols/nearest.js';
import { byString, completions, missHints, wrongKind, type ListEntry } from '../listing.js';

/** The functions an ELF file defines (not those it imports), by their unversioned names. */
function definedFunctions(elf: ElfFile): Set<string> {
  const names = new Set<string>();
  for (const s of elf.functionSymbols()) {
    if (s.value === 0n || s.shndx === 0) continue; // imported, not defined here
    const name = unversioned(s.name);
    if (name !== '') names.add(name);
  }
  return names;
}

function missed(q: ProbeQuery, host: ProbeHost): Miss {
  const lib = host.library(q.library, q.pid);
  const names = definedFunctions(host.elf(lib.path));
  return { what: 'function', where: lib.path, near: nearest(names, q.name), list: `uprobe:${lib.path}:*` };
}

function exact(q: ProbeQuery, host: ProbeHost, ret: boolean): ResolvedProbe[] {
  const lib = host.library(q.library, q.pid);
  const elf = host.elf(lib.path);
  const sym = elf.lookupFunction(q.name);
  const base = sym ? elf.vaddrToFileOffset(sym.value) : undefined;
  if (!sym || base === undefined) {
    let hints = [`list its functions with 'polytrace list uprobe:${lib.path}:*'`];
    try {
      hints = missHints(missed(q, host));
    } catch {
      // The list hint alone.
    }
    throw new ResolveError(`could not determine address of symbol ${q.name} in ${lib.path}`, hints);
  }
  if (ret && q.offset) throw new TracerError('offsets are only supported for entry probes (p)');
  const offset = base + BigInt(q.offset ?? 0);
  return [
    {
      target: { kind: 'uprobe', path: lib.path, symbol: q.name, offset, vaddr: sym.value + BigInt(q.offset ?? 0), name: q.name },
      site: { kind: ret ? 'uretprobe' : 'uprobe', symbol: q.name },
      ret,
    },
  ];
}

export const uprobeProvider: Provider = {
  name: 'uprobe',
  listKinds: ['uprobe', 'uretprobe'],
  async complete(host, library, partial, prefix) {
    try {
      return completions(definedFunctions(host.elf(host.library(library).path)), prefix, partial);
    } catch {
      return [];
    }
  },
  list(q, host) {
    if (q.kind !== 'uprobe' && q.kind !== 'uretprobe') throw wrongKind(q, 'uprobe');
    return listUprobeEntries(q.kind, q.library, q.pattern, host);
  },
  missed,
  resolve(q: ProbeQuery, host: ProbeHost): ResolvedProbe[] {
    const ret = q.type === 'r';
    if (q.match === 'exact') return exact(q, host, ret);
    const lib = host.library(q.library, q.pid);
    const elf = host.elf(lib.path);
    const re = nameRegExp(q.name, q.match);
    const seenAddr = new Set<bigint>();
    const seenName = new Set<string>();
    const out: ResolvedProbe[] = [];
    for (const s of elf.functionSymbols()) {
      if (s.value === 0n || s.shndx === 0) continue; // undefined (imported) symbols
      const name = unversioned(s.name);
      if (!re.test(name)) continue;
      if (seenAddr.has(s.value) || seenName.has(name)) continue;
      seenAddr.add(s.value);
      seenName.add(name);
      const offset = elf.vaddrToFileOffset(s.value);
      if (offset === undefined) continue;
      out.push({
        target: { kind: 'uprobe', path: lib.path, symbol: name, offset, vaddr: s.value, name },
        site: { kind: ret ? 'uretprobe' : 'uprobe', symbol: name },
        ret,
      });
    }
    return out;
  },
};

async function* listUprobeEntries(kind: 'uprobe' | 'uretprobe', library: string, pattern: string, host: ProbeHost): AsyncGenerator<ListEntry> {
  const lib = host.library(library);
  const re = globToRegExp(pattern);
  const names = [...definedFunctions(host.elf(lib.path))].filter((n) => re.test(n)).sort(byString);
  for (const name of names) yield { probe: `${kind}:${lib.path}:${name}`, details: () => [] };
}
