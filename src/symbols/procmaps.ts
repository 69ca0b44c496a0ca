/**
 * `/proc/PID/maps`: which file backs an address of a process, and where inside that file.
 *
 *   55ef34c34000-55ef34c39000 r-xp 00002000 fe:00 260131     /usr/bin/cat
 *   start        end          perms offset  dev   inode      path (may end in " (deleted)")
 *
 * Symbolizing a user address takes two steps: the mapping gives the file offset
 * (`addr - start + offset`), and the ELF's PT_LOAD table turns that file offset into the vaddr
 * that the symbol table speaks (for a non-PIE executable the two steps cancel out; for PIEs and
 * shared libraries they remove the load bias).
 */
import { readFileSync } from 'node:fs';
import { FormatError, ResolveError } from '../errors.js';
import type { ElfFile } from './elf.js';
import { SymbolTables, type AddrTable } from './addrtable.js';

export interface MapEntry {
  readonly start: bigint;
  readonly end: bigint;
  /** e.g. `r-xp` */
  readonly perms: string;
  readonly offset: bigint;
  /** `major:minor` in hex, as printed. */
  readonly dev: string;
  readonly inode: number;
  /** '' for anonymous mappings; `[heap]`, `[stack]`, `[vdso]` for special ones. */
  readonly path: string;
  /** The path carried a ` (deleted)` suffix (removed from `path`). */
  readonly deleted: boolean;
}

const DELETED = ' (deleted)';

/** Parses the text of a maps file. Malformed lines raise `FormatError` with the line number. */
export function parseMaps(text: string): MapEntry[] {
  const out: MapEntry[] = [];
  const lines = text.split('\n');
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i]!;
    if (line.trim() === '') continue;
    const m = /^([0-9a-f]+)-([0-9a-f]+)\s+([-rwxsp]{4})\s+([0-9a-f]+)\s+([0-9a-f]+:[0-9a-f]+)\s+(\d+)\s*(.*)$/i.exec(line);
    if (!m) throw new FormatError(`maps line ${i + 1} does not parse: ${JSON.stringify(line)}`);
    let path = m[7]!;
    const deleted = path.endsWith(DELETED);
    if (deleted) path = path.slice(0, -DELETED.length);
    out.push({
      start: BigInt(`0x${m[1]}`),
      end: BigInt(`0x${m[2]}`),
      perms: m[3]!,
      offset: BigInt(`0x${m[4]}`),
      dev: m[5]!,
      inode: Number(m[6]),
      path,
      deleted,
    });
  }
  return out;
}

/** Reads `/proc/PID/maps` (`procRoot` lets tests point elsewhere). */
export function mapsFor(pid: number, procRoot = '/proc'): MapEntry[] {
  let text: string;
  try {
    text = readFileSync(`${procRoot}/${pid}/maps`, 'utf8');
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    throw new ResolveError(code === 'ENOENT' ? `no process with pid ${pid}` : `cannot read ${procRoot}/${pid}/maps: ${code ?? String(e)}`);
  }
  return parseMaps(text);
}

/** The mapping holding `addr` (binary search; maps files are sorted by start). */
export function findMapping(maps: readonly MapEntry[], addr: bigint): MapEntry | undefined {
  let lo = 0;
  let hi = maps.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (maps[mid]!.start <= addr) lo = mid + 1;
    else hi = mid;
  }
  const m = maps[lo - 1];
  return m && addr < m.end ? m : undefined;
}

/** `addr - start + offset`: where the byte at `addr` sits in the mapped file. */
export function fileOffsetOf(m: MapEntry, addr: bigint): bigint {
  return addr - m.start + m.offset;
}

/** The ELF vaddr of a process address, through the file's PT_LOAD table. */
export function elfVaddrOf(m: MapEntry, addr: bigint, elf: ElfFile): bigint | undefined {
  return elf.fileOffsetToVaddr(fileOffsetOf(m, addr));
}

/** True for mappings backed by a file that can be opened for symbols. */
export function isFileBacked(m: MapEntry): boolean {
  return m.path.startsWith('/') && m.inode !== 0;
}

export interface UserSymbol {
  /** undefined when the module is known but no symbol holds the address. */
  readonly name?: string;
  readonly offset: number;
  /** The mapped file's path as the process sees it. */
  readonly module: string;
}

/**
 * Address → symbol for one process. Keeps the maps snapshot; the symbol indexes come from a
 * `SymbolTables` shared by every process (pass one in: a process mapping a file another process
 * already mapped costs no parse). Call `refresh()` after the process maps new libraries.
 */
export class ProcessSymbolizer {
  private maps: MapEntry[];
  /** Per mapped file: its index, or null (not an ELF file, or gone). */
  private readonly files = new Map<string, AddrTable | null>();

  constructor(
    readonly pid: number,
    private readonly procRoot = '/proc',
    private readonly tables = new SymbolTables(),
  ) {
    this.maps = mapsFor(pid, procRoot);
  }

  refresh(): void {
    this.maps = mapsFor(this.pid, this.procRoot);
  }

  mappings(): readonly MapEntry[] {
    return this.maps;
  }

  /** The symbol index of the file mapped at `m`, through the process's root first. */
  tableFor(m: MapEntry): AddrTable | null {
    const key = m.deleted ? `${m.path}\0${m.start}` : m.path;
    const hit = this.files.get(key);
    if (hit !== undefined) return hit;
    const candidates = m.deleted
      ? [`${this.procRoot}/${this.pid}/map_files/${m.start.toString(16)}-${m.end.toString(16)}`]
      : [`${this.procRoot}/${this.pid}/root${m.path}`, m.path];
    let table: AddrTable | null = null;
    for (const c of candidates) {
      const t = this.tables.get(c);
      if (t) {
        table = t;
        break;
      }
    }
    this.files.set(key, table);
    return table;
  }

  symbolize(addr: bigint): UserSymbol | undefined {
    const m = findMapping(this.maps, addr);
    if (!m || !isFileBacked(m)) return undefined;
    const table = this.tableFor(m);
    if (!table) return { offset: Number(fileOffsetOf(m, addr)), module: m.path };
    const vaddr = table.fileOffsetToVaddr(fileOffsetOf(m, addr));
    const sym = vaddr === undefined ? undefined : table.symbolize(vaddr);
    if (!sym) return { offset: Number(vaddr ?? fileOffsetOf(m, addr)), module: m.path };
    return { name: sym.name, offset: sym.offset, module: m.path };
  }
}
