/**
 * User functions (`p:LIB:F`, `r:LIB:F`, `LIB:F`): ELF symbols of a library or binary. A
 * pattern matches defined function symbols, de-duplicated by address and by name (the first
 * wins, as funccount does for glibc aliases such as malloc/__libc_malloc); an exact name is
 * looked up with symbol versions respected, and may carry an offset (`p:LIB:F+N`).
 */
import { ResolveError, TracerError } from '../../errors.js';
import { unversioned } from '../../symbols/elf.js';
import type { ProbeHost } from '../host.js';
import type { Provider, ProbeQuery, ResolvedProbe } from '../provider.js';
import { nameRegExp } from '../match.js';
import { globToRegExp } from '../../symbols/match.js';
import { completions, wrongKind, type ListEntry } from '../listing.js';

function exact(q: ProbeQuery, host: ProbeHost, ret: boolean): ResolvedProbe[] {
  const lib = host.library(q.library, q.pid);
  const elf = host.elf(lib.path);
  const sym = elf.lookupFunction(q.name);
  const base = sym ? elf.vaddrToFileOffset(sym.value) : undefined;
  if (!sym || base === undefined) {
    throw new ResolveError(`could not determine address of symbol ${q.name} in ${lib.path}`, [`list its functions with 'polytrace list uprobe:${lib.path}:*'`]);
  }
  if (ret && q.offset) throw new TracerError('offsets are only supported for entry probes (p)');
  if (q.offset) {
    // The kernel answers EINVAL for an offset outside the file's code; say what is wrong first.
    const past = sym.size > 0 ? q.offset >= sym.size : elf.vaddrToFileOffset(sym.value + BigInt(q.offset)) === undefined;
    if (past) {
      throw new ResolveError(
        sym.size > 0
          ? `offset +${q.offset} is past the end of ${q.name} in ${lib.path} (${sym.size} bytes)`
          : `offset +${q.offset} of ${q.name} is outside the code of ${lib.path}`,
        [`an offset must fall inside the function: 0 to ${sym.size > 0 ? sym.size - 1 : '…'}`],
      );
    }
  }
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
  async complete(library, partial, prefix) {
    try {
      const [{ resolveLibrary }, { ElfFile }] = await Promise.all([import('../../symbols/library.js'), import('../../symbols/elf.js')]);
      const elf = ElfFile.open(resolveLibrary(library).path);
      return completions(
        elf
          .functionSymbols()
          .map((s) => unversioned(s.name))
          .filter((n) => n !== ''),
        prefix,
        partial,
      );
    } catch {
      return [];
    }
  },
  list(q) {
    if (q.kind !== 'uprobe' && q.kind !== 'uretprobe') throw wrongKind(q, 'uprobe');
    return listUprobeEntries(q.kind, q.library, q.pattern);
  },
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

async function* listUprobeEntries(kind: 'uprobe' | 'uretprobe', library: string, pattern: string): AsyncGenerator<ListEntry> {
  const { resolveLibrary } = await import('../../symbols/library.js');
  const { ElfFile, unversioned } = await import('../../symbols/elf.js');
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
