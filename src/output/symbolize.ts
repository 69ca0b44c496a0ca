/**
 * Address → name for the stack tools, kernel and user, as BCC's `BPF.ksym` / `BPF.sym`
 * print them: `name`, `name+0x1f` with offsets, `[unknown]` when nothing holds the address.
 *
 * Caches: kallsyms is read once; ELF files are cached per path (ElfFile.open); each process's
 * maps are snapshotted the first time the process is seen (`notice(tgid)`), so a process that
 * exits before its stacks are printed is still symbolised from that snapshot. An address
 * outside every cached mapping refreshes the snapshot once (new libraries), while the process
 * lives.
 */
import { Kallsyms } from '../symbols/kallsyms.js';
import { ProcessSymbolizer, findMapping, elfVaddrOf, isFileBacked } from '../symbols/procmaps.js';
import { ElfFile } from '../symbols/elf.js';
import { demangle, isMangled } from '../symbols/demangle.js';

export const UNKNOWN = '[unknown]';

export interface SymbolOptions {
  /** `-s`: append `+0x<offset>`. */
  readonly offset?: boolean;
  /** Append ` [module]` (BCC's show_module; `[kernel]` for vmlinux). */
  readonly module?: boolean;
}

export interface Symbolized {
  /** Undefined when unresolved. */
  readonly name?: string;
  readonly offset: number;
  readonly module?: string;
}

function basename(p: string): string {
  const i = p.lastIndexOf('/');
  return i < 0 ? p : p.slice(i + 1);
}

/** BCC's `sym()` string of a resolved (or not) address. */
export function formatSymbol(s: Symbolized | undefined, o: SymbolOptions = {}): string {
  let text = s?.name === undefined ? UNKNOWN : s.name;
  if (s?.name !== undefined && o.offset) text += `+0x${s.offset.toString(16)}`;
  if (o.module && s?.module !== undefined) text += ` [${basename(s.module)}]`;
  return text;
}

export class Symbolizer {
  #kallsyms: Kallsyms | undefined | null;
  readonly #procs = new Map<number, ProcessSymbolizer | null>();
  /** Processes whose snapshot was refreshed for a missing address (once each). */
  readonly #refreshed = new Set<number>();
  readonly #userCache = new Map<number, Map<bigint, Symbolized | undefined>>();
  readonly #kernelCache = new Map<bigint, Symbolized | undefined>();
  /** Per file: the separate debug file's ELF (`/usr/lib/debug`), or null. */
  readonly #debug = new Map<string, ElfFile | null>();

  constructor(private readonly o: { kallsyms?: () => Kallsyms; procRoot?: string; demangle?: boolean } = {}) {}

  #ksyms(): Kallsyms | null {
    if (this.#kallsyms === undefined) {
      try {
        this.#kallsyms = this.o.kallsyms ? this.o.kallsyms() : Kallsyms.read();
      } catch {
        this.#kallsyms = null;
      }
    }
    return this.#kallsyms;
  }

  kernelSymbol(addr: bigint): Symbolized | undefined {
    if (this.#kernelCache.has(addr)) return this.#kernelCache.get(addr);
    const hit = this.#ksyms()?.lookup(addr);
    const r = hit ? { name: hit.name, offset: hit.offset, module: hit.module ?? 'kernel' } : undefined;
    this.#kernelCache.set(addr, r);
    return r;
  }

  kernel(addr: bigint, o: SymbolOptions = {}): string {
    return formatSymbol(this.kernelSymbol(addr), o);
  }

  /** Snapshot a process's maps now, if not done yet. Returns false if it is already gone. */
  notice(tgid: number): boolean {
    return this.#proc(tgid) !== null;
  }

  #proc(tgid: number): ProcessSymbolizer | null {
    let p = this.#procs.get(tgid);
    if (p === undefined) {
      try {
        p = new ProcessSymbolizer(tgid, this.o.procRoot);
      } catch {
        p = null;
      }
      this.#procs.set(tgid, p);
    }
    return p;
  }

  userSymbol(tgid: number, addr: bigint): Symbolized | undefined {
    let cache = this.#userCache.get(tgid);
    if (!cache) this.#userCache.set(tgid, (cache = new Map()));
    if (cache.has(addr)) return cache.get(addr);
    const p = this.#proc(tgid);
    if (!p) return undefined;
    if (!findMapping(p.mappings(), addr) && !this.#refreshed.has(tgid)) {
      this.#refreshed.add(tgid);
      try {
        p.refresh();
        cache.clear();
      } catch {
        // gone: keep the snapshot we have
      }
    }
    let r: Symbolized | undefined;
    try {
      let s: { name?: string; offset: number; module: string } | undefined = p.symbolize(addr);
      if (s && s.name === undefined) s = this.#fromDebugFile(p, addr) ?? s;
      if (s) {
        const name = s.name !== undefined && this.o.demangle !== false && isMangled(s.name) ? safeDemangle(s.name) : s.name;
        r = { name, offset: s.offset, module: s.module };
      }
    } catch {
      r = undefined;
    }
    cache.set(addr, r);
    return r;
  }

  user(tgid: number, addr: bigint, o: SymbolOptions = {}): string {
    return formatSymbol(this.userSymbol(tgid, addr), o);
  }

  /**
   * Files stripped to .dynsym (Debian's libc) lose their static functions; the separate debug
   * file (build-id or .gnu_debuglink under /usr/lib/debug) has the full .symtab.
   */
  #fromDebugFile(p: ProcessSymbolizer, addr: bigint): { name: string; offset: number; module: string } | undefined {
    const m = findMapping(p.mappings(), addr);
    if (!m || !isFileBacked(m) || m.deleted) return undefined;
    let elf: ElfFile;
    try {
      elf = ElfFile.open(m.path);
    } catch {
      return undefined;
    }
    let dbg = this.#debug.get(m.path);
    if (dbg === undefined) {
      dbg = null;
      try {
        const path = elf.findDebugFile();
        if (path) dbg = ElfFile.open(path);
      } catch {
        dbg = null;
      }
      this.#debug.set(m.path, dbg);
    }
    if (!dbg) return undefined;
    const vaddr = elfVaddrOf(m, addr, elf);
    const sym = vaddr === undefined ? undefined : dbg.symbolize(vaddr);
    return sym ? { name: sym.name, offset: sym.offset, module: m.path } : undefined;
  }

  /** Forget a process (a pid may be reused). */
  forget(tgid: number): void {
    this.#procs.delete(tgid);
    this.#userCache.delete(tgid);
    this.#refreshed.delete(tgid);
  }
}

function safeDemangle(name: string): string {
  try {
    return demangle(name);
  } catch {
    return name;
  }
}
