/**
 * User functions (`p:LIB:F`, `r:LIB:F`, `LIB:F`): ELF symbols of a library or binary. A
 * pattern matches defined function symbols, de-duplicated by address and by name (the first
 * wins, as funccount does for glibc aliases such as malloc/__libc_malloc); an exact name is
 * looked up with symbol versions respected, and may carry an offset (`p:LIB:F+N`).
 *
 * An IFUNC symbol (glibc's strlen, strcmp, memcpy…) is its resolver, which runs once per
 * process; calls go to the implementation it picked for this CPU. Such a probe moves to that
 * implementation (`ProbeHost.ifuncImplementation`), keeps the user's name for the output rows,
 * records the move in the target (`ifunc`, shown by --dump=resolved) and says so in one note.
 */
import { ResolveError, TracerError } from '../../errors.js';
import { unversioned, type ElfFile, type ElfSymbol } from '../../symbols/elf.js';
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

/** Where a probe on a function symbol goes: its own address, or its IFUNC's implementation. */
interface Placement {
  readonly vaddr: bigint;
  readonly ifunc?: { readonly resolver: bigint; readonly implementation: string };
}

/** The IFUNC moves of one resolve, told in one note each kind. */
class IfuncNotes {
  readonly moved: { name: string; implementation: string }[] = [];
  readonly unknown: string[] = [];
  readonly shared: { name: string; implementation: string; with: string }[] = [];

  tell(host: ProbeHost): void {
    const some = <T>(xs: readonly T[], f: (x: T) => string) =>
      xs.length <= 4 ? xs.map(f).join(', ') : `${xs.slice(0, 4).map(f).join(', ')} and ${xs.length - 4} more (--dump=resolved lists them)`;
    const [m] = this.moved;
    if (m && this.moved.length === 1) host.note(`${m.name} is an IFUNC; probing ${m.implementation} (the implementation this CPU uses)`);
    else if (m)
      host.note(`${this.moved.length} IFUNCs probed at the implementations this CPU uses: ${some(this.moved, (x) => `${x.name} → ${x.implementation}`)}`);
    const [u] = this.unknown;
    if (u && this.unknown.length === 1)
      host.note(`${u} is an IFUNC whose implementation is unknown here or outside its file; probing its resolver, which runs once per process`);
    else if (u)
      host.note(
        `${this.unknown.length} IFUNCs whose implementations are unknown here or outside their file are probed at their resolvers, which run once per process: ${some(this.unknown, (x) => x)}`,
      );
    for (const x of this.shared) {
      host.note(`${x.name} is an IFUNC whose implementation ${x.implementation} is already probed as ${x.with}; its calls count there`);
    }
  }
}

/** The name of the function at exactly `vaddr`: from the file's symbols, its debug file's, else the address. */
function nameAt(host: ProbeHost, elf: ElfFile, vaddr: bigint): string {
  const exactly = (e: ElfFile) => {
    const s = e.symbolize(vaddr);
    return s && s.offset === 0 ? unversioned(s.name) : undefined;
  };
  let name = exactly(elf);
  if (name === undefined) {
    try {
      const debug = elf.findDebugFile();
      if (debug) name = exactly(host.elf(debug));
    } catch {
      // no readable debug file: the address names it
    }
  }
  return name ?? `0x${vaddr.toString(16)}`;
}

function placement(host: ProbeHost, path: string, elf: ElfFile, sym: ElfSymbol, notes: IfuncNotes, name: string): Placement {
  if (sym.type !== 'ifunc') return { vaddr: sym.value };
  const impl = host.ifuncImplementation(path, sym);
  // An address outside the file's segments cannot take a uprobe here: keep the resolver.
  if (impl === undefined || elf.vaddrToFileOffset(impl) === undefined) {
    notes.unknown.push(name);
    return { vaddr: sym.value };
  }
  const implementation = nameAt(host, elf, impl);
  notes.moved.push({ name, implementation });
  return { vaddr: impl, ifunc: { resolver: sym.value, implementation } };
}

function exact(q: ProbeQuery, host: ProbeHost, ret: boolean): ResolvedProbe[] {
  const lib = host.library(q.library, q.pid);
  const elf = host.elf(lib.path);
  const sym = elf.lookupFunction(q.name);
  if (!sym || elf.vaddrToFileOffset(sym.value) === undefined) {
    let hints = [`list its functions with 'polytrace list uprobe:${lib.path}:*'`];
    try {
      hints = missHints(missed(q, host));
    } catch {
      // The list hint alone.
    }
    throw new ResolveError(`could not determine address of symbol ${q.name} in ${lib.path}`, hints);
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
  const notes = new IfuncNotes();
  const at = placement(host, lib.path, elf, sym, notes, q.name);
  notes.tell(host);
  const offset = elf.vaddrToFileOffset(at.vaddr)! + BigInt(q.offset ?? 0);
  return [
    {
      target: {
        kind: 'uprobe',
        path: lib.path,
        symbol: q.name,
        offset,
        vaddr: at.vaddr + BigInt(q.offset ?? 0),
        name: q.name,
        mechanism: host.userProbeMechanism(),
        ...(at.ifunc ? { ifunc: at.ifunc } : {}),
      },
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
    /** Probed addresses (an IFUNC's implementation may be another function's too: memcpy, memmove). */
    const probedAt = new Map<bigint, string>();
    const notes = new IfuncNotes();
    const out: ResolvedProbe[] = [];
    for (const s of elf.functionSymbols()) {
      if (s.value === 0n || s.shndx === 0) continue; // undefined (imported) symbols
      const name = unversioned(s.name);
      if (!re.test(name)) continue;
      if (seenAddr.has(s.value) || seenName.has(name)) continue;
      seenAddr.add(s.value);
      seenName.add(name);
      if (elf.vaddrToFileOffset(s.value) === undefined) continue;
      const at = placement(host, lib.path, elf, s, notes, name);
      const already = probedAt.get(at.vaddr);
      if (already !== undefined) {
        // Another name is probed there already (an alias, or an IFUNC's implementation).
        if (at.ifunc) {
          notes.moved.pop();
          notes.shared.push({ name, implementation: at.ifunc.implementation, with: already });
        }
        continue;
      }
      const offset = elf.vaddrToFileOffset(at.vaddr)!;
      probedAt.set(at.vaddr, name);
      out.push({
        target: {
          kind: 'uprobe',
          path: lib.path,
          symbol: name,
          offset,
          vaddr: at.vaddr,
          name,
          mechanism: host.userProbeMechanism(),
          ...(at.ifunc ? { ifunc: at.ifunc } : {}),
        },
        site: { kind: ret ? 'uretprobe' : 'uprobe', symbol: name },
        ret,
      });
    }
    notes.tell(host);
    return out;
  },
};

async function* listUprobeEntries(kind: 'uprobe' | 'uretprobe', library: string, pattern: string, host: ProbeHost): AsyncGenerator<ListEntry> {
  const lib = host.library(library);
  const re = globToRegExp(pattern);
  const names = [...definedFunctions(host.elf(lib.path))].filter((n) => re.test(n)).sort(byString);
  for (const name of names) yield { probe: `${kind}:${lib.path}:${name}`, details: () => [] };
}
