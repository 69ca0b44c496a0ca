/**
 * Address → name for the stack tools, kernel and user, as BCC's `BPF.ksym` / `BPF.sym`
 * print them: `name`, `name+0x1f` with offsets, `[unknown]` when nothing holds the address.
 *
 * Caches: kallsyms is read once (`prepare()` reads it off the main thread ahead of need);
 * symbol indexes are built once per file and shared by every process mapping it
 * (`SymbolTables`, by file identity); each address is looked up once (per process for user
 * addresses). Each process's maps are snapshotted the first time the process is seen
 * (`notice(tgid)`), so a process that exits before its stacks are printed is still symbolised
 * from that snapshot. An address outside every cached mapping refreshes the snapshot once (new
 * libraries), while the process lives.
 *
 * Bounded memory with many short-lived processes: `sweep()` drops the maps of processes that
 * have exited (call it once every address of theirs that will be printed was looked up: the
 * names stay cached), and `release(tgids)` drops what is left of them once their stacks are
 * printed.
 */
import { closeSync, existsSync, openSync, readSync } from 'node:fs';
import { Kallsyms } from '../symbols/kallsyms.js';
import { ProcessSymbolizer, findMapping, fileOffsetOf, isFileBacked } from '../symbols/procmaps.js';
import { SymbolTables, type AddrTable } from '../symbols/addrtable.js';
import { demangle, isMangled } from '../symbols/demangle.js';

export const UNKNOWN = '[unknown]';

/** Demangled names kept (mangled → demangled). */
const DEMANGLE_CACHE = 50_000;
/**
 * Addresses whose names are kept, per process and for the kernel: a cache that fills starts
 * over (a long-lived process with ever new addresses, a JIT's). The stacks of an interval keep
 * their frames' names themselves (StackNamer), so starting over costs only lookups.
 */
const ADDRESS_CACHE = 32_768;

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

/** Reused by `processAlive`: the head of a status file (Name, Umask, State come first). */
const statusHead = Buffer.alloc(512);
const STATE_Z = Buffer.from('\nState:\tZ');

/**
 * True while process `tgid` exists (a zombie counts as gone: its maps are empty). Asked for
 * every process seen, twice a second: it reads the status file's head into a reused buffer and
 * throws nothing for a missing process (no string or error made per call).
 */
export function processAlive(tgid: number, procRoot = '/proc'): boolean {
  const path = `${procRoot}/${tgid}/status`;
  if (!existsSync(path)) return false;
  let fd: number;
  try {
    fd = openSync(path, 'r');
  } catch {
    return false;
  }
  try {
    const n = readSync(fd, statusHead, 0, statusHead.length, 0);
    return statusHead.subarray(0, n).indexOf(STATE_Z) < 0;
  } catch {
    return false;
  } finally {
    closeSync(fd);
  }
}

export class Symbolizer {
  #kallsyms: Kallsyms | undefined | null;
  #kallsymsLoading: Promise<void> | undefined;
  /** Symbol indexes shared by all processes (one parse per file). */
  readonly tables = new SymbolTables();
  readonly #procs = new Map<number, ProcessSymbolizer | null>();
  /** Processes found gone by `sweep()`: maps dropped, resolved names kept until `release`. */
  readonly #gone = new Set<number>();
  /** Processes whose snapshot was refreshed for a missing address (once each). */
  readonly #refreshed = new Set<number>();
  readonly #userCache = new Map<number, Map<bigint, Symbolized | undefined>>();
  readonly #kernelCache = new Map<bigint, Symbolized | undefined>();
  /** Mangled → demangled: one C++ function seen in many processes is demangled once. */
  readonly #demangle = new Map<string, string>();
  /** Per index: the separate debug file's index (`/usr/lib/debug`), or null. */
  readonly #debug = new WeakMap<AddrTable, AddrTable | null>();

  constructor(private readonly o: { kallsyms?: () => Kallsyms; procRoot?: string; demangle?: boolean } = {}) {}

  /**
   * Read kallsyms now, the file off the main thread, so the first kernel frame does not wait
   * for it (call after attaching, while the tool is idle). Never rejects.
   */
  prepare(): Promise<void> {
    if (this.#kallsyms !== undefined) return Promise.resolve();
    this.#kallsymsLoading ??= (this.o.kallsyms ? Promise.resolve().then(this.o.kallsyms) : Kallsyms.readAsync()).then(
      (k) => {
        this.#kallsyms ??= k;
      },
      () => {
        this.#kallsyms ??= null;
      },
    );
    return this.#kallsymsLoading;
  }

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
    if (this.#kernelCache.size >= ADDRESS_CACHE) this.#kernelCache.clear();
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
        p = new ProcessSymbolizer(tgid, this.o.procRoot, this.tables);
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
        const name = s.name !== undefined && this.o.demangle !== false && isMangled(s.name) ? this.#demangled(s.name) : s.name;
        r = { name, offset: s.offset, module: s.module };
      }
    } catch {
      r = undefined;
    }
    if (cache.size >= ADDRESS_CACHE) cache.clear();
    cache.set(addr, r);
    return r;
  }

  #demangled(name: string): string {
    let d = this.#demangle.get(name);
    if (d === undefined) {
      d = safeDemangle(name);
      // Bounded: a run that meets more distinct names starts over (names are cached per address too).
      if (this.#demangle.size >= DEMANGLE_CACHE) this.#demangle.clear();
      this.#demangle.set(name, d);
    }
    return d;
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
    const table = p.tableFor(m);
    if (!table) return undefined;
    let dbg = this.#debug.get(table);
    if (dbg === undefined) {
      dbg = null;
      try {
        const path = table.findDebugFile();
        if (path) dbg = this.tables.get(path) ?? null;
      } catch {
        dbg = null;
      }
      this.#debug.set(table, dbg);
    }
    if (!dbg) return undefined;
    const vaddr = table.fileOffsetToVaddr(fileOffsetOf(m, addr));
    const sym = vaddr === undefined ? undefined : dbg.symbolize(vaddr);
    return sym ? { name: sym.name, offset: sym.offset, module: m.path } : undefined;
  }

  /** Noticed processes that have exited since the last sweep (`alive` says which live). */
  exited(alive: (tgid: number) => boolean = (t) => processAlive(t, this.o.procRoot)): number[] {
    const out: number[] = [];
    for (const tgid of this.#procs.keys()) if (!this.#gone.has(tgid) && !alive(tgid)) out.push(tgid);
    return out;
  }

  /**
   * Drop the maps of exited processes (from `exited()`). Their addresses looked up so far keep
   * their names until `release`; an address not looked up before prints as `[unknown]`.
   */
  retire(tgids: Iterable<number>): void {
    for (const tgid of tgids) {
      if (!this.#procs.has(tgid)) continue;
      this.#procs.set(tgid, null);
      this.#gone.add(tgid);
    }
  }

  /** `retire(exited(alive))`: returns the tgids found gone. */
  sweep(alive?: (tgid: number) => boolean): number[] {
    const gone = this.exited(alive);
    this.retire(gone);
    return gone;
  }

  /** Processes swept and not yet released. */
  gone(): number[] {
    return [...this.#gone];
  }

  /** Forget swept processes whose stacks were printed. */
  release(tgids: Iterable<number>): void {
    for (const t of tgids) {
      if (!this.#gone.delete(t)) continue;
      this.forget(t);
    }
  }

  /** How much per-process state is held (tests, the soak). */
  stats(): { processes: number; withMaps: number; userAddresses: number; kernelAddresses: number; files: number; tableBytes: number; parses: number } {
    let withMaps = 0;
    for (const p of this.#procs.values()) if (p) withMaps++;
    let userAddresses = 0;
    for (const c of this.#userCache.values()) userAddresses += c.size;
    return {
      processes: this.#procs.size,
      withMaps,
      userAddresses,
      kernelAddresses: this.#kernelCache.size,
      files: this.tables.files,
      tableBytes: this.tables.bytes,
      parses: this.tables.parses,
    };
  }

  /** Forget a process (a pid may be reused). */
  forget(tgid: number): void {
    this.#procs.delete(tgid);
    this.#gone.delete(tgid);
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
