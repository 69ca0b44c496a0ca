/**
 * Which implementation an IFUNC (STT_GNU_IFUNC) symbol resolves to on this host, for the live
 * ProbeHost. An IFUNC's symbol is its resolver, which runs once per process (at relocation) and
 * returns the implementation for this CPU: `strlen` → `__strlen_avx2`. A uprobe on the symbol
 * would count resolver runs, not calls.
 *
 * We ask our own process's dynamic linker: `dlsym` on an IFUNC runs its resolver and returns
 * the implementation's address, which /proc/self/maps turns into a file offset and the ELF's
 * PT_LOAD table into a vaddr. That is exact for the same file on the same CPU — what every
 * process on this host picks (unless one sets GLIBC_TUNABLES to choose otherwise). Only files
 * this process has loaded are asked (`dlopen` with RTLD_NOLOAD loads nothing and runs no
 * constructor): libc, libm, libstdc++…; for any other file, or a file only a process in
 * another mount namespace has (another libc under /proc/PID/root), the answer is undefined.
 * So it is for an implementation outside the file (glibc's time and gettimeofday resolve into
 * the vDSO, which uprobes cannot reach).
 */
import { readFileSync, statSync } from 'node:fs';
import type { ElfFile, ElfSymbol } from '../symbols/elf.js';
import { unversioned } from '../symbols/elf.js';
import { elfVaddrOf, findMapping, isFileBacked, parseMaps, type MapEntry } from '../symbols/procmaps.js';
import { loadedSymbolAddress } from '../sys/ffi.js';

/** Our own mapping of the file at `path` (same device and inode), if we have one. */
function ownMapping(maps: readonly MapEntry[], path: string): MapEntry | undefined {
  let want: { dev: number; ino: number };
  try {
    want = statSync(path);
  } catch {
    return undefined;
  }
  for (const m of maps) {
    if (!isFileBacked(m) || m.deleted || m.inode !== want.ino) continue;
    try {
      const st = statSync(m.path);
      if (st.dev === want.dev && st.ino === want.ino) return m;
    } catch {
      // gone or unreadable: not this one
    }
  }
  return undefined;
}

/** The vaddr (in `elf`, the file at `path`) of the implementation `sym` resolves to here. */
export function hostIfuncImplementation(path: string, elf: ElfFile, sym: ElfSymbol): bigint | undefined {
  try {
    const maps = parseMaps(readFileSync('/proc/self/maps', 'utf8'));
    const own = ownMapping(maps, path);
    if (!own) return undefined;
    const addr = loadedSymbolAddress(own.path, unversioned(sym.name), sym.version);
    if (addr === undefined) return undefined;
    const m = findMapping(maps, addr);
    if (!m || m.inode !== own.inode || m.dev !== own.dev) return undefined;
    const vaddr = elfVaddrOf(m, addr, elf);
    return vaddr === undefined || vaddr === sym.value ? undefined : vaddr;
  } catch {
    return undefined;
  }
}
