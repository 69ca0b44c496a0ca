/**
 * ELF reader: just what a tracer needs from an object file.
 *
 *  - header, program headers (PT_LOAD: vaddr → file offset for uprobes), section headers;
 *  - function (and data) symbols of `.symtab` and `.dynsym`, by name and by address;
 *  - notes (build-id, `.note.stapsdt`), `.gnu_debuglink`, and separate debug files.
 *
 * Addresses and file offsets are `bigint` (an ELF64 address is a u64); sizes and counts are
 * `number`. Every read is bounds-checked: a truncated or corrupt file raises `ElfError`, never a
 * RangeError from deep inside a DataView.
 *
 * Glossary: a *vaddr* is an address as the link editor laid it out (what `nm` prints); a *file
 * offset* is where those bytes sit in the file (what a uprobe is attached at). For a PIE or a
 * shared library the run-time address is vaddr + load bias; see `procmaps.ts` for that step.
 */
import { readFileSync, statSync, existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { ElfError } from '../errors.js';

export type ElfClass = 32 | 64;
export type ElfEndian = 'le' | 'be';
export type ElfType = 'rel' | 'exec' | 'dyn' | 'core' | 'unknown';

export interface ElfHeader {
  readonly class: ElfClass;
  readonly endian: ElfEndian;
  readonly osabi: number;
  readonly type: ElfType;
  /** e_machine: 62 = x86-64, 183 = aarch64, 3 = i386, 40 = arm. */
  readonly machine: number;
  readonly entry: bigint;
  readonly phoff: number;
  readonly shoff: number;
  readonly flags: number;
}

export const PT_LOAD = 1;
export const PT_NOTE = 4;
export const PF_X = 1;
export const PF_W = 2;
export const PF_R = 4;
export const SHT_SYMTAB = 2;
export const SHT_NOTE = 7;
export const SHT_NOBITS = 8;
export const SHT_DYNSYM = 11;

export interface ProgramHeader {
  readonly type: number;
  readonly flags: number;
  readonly offset: bigint;
  readonly vaddr: bigint;
  readonly paddr: bigint;
  readonly filesz: bigint;
  readonly memsz: bigint;
  readonly align: bigint;
}

export interface SectionHeader {
  readonly index: number;
  readonly name: string;
  readonly type: number;
  readonly flags: bigint;
  readonly addr: bigint;
  readonly offset: number;
  readonly size: number;
  readonly link: number;
  readonly info: number;
  readonly addralign: number;
  readonly entsize: number;
}

export type SymbolType = 'func' | 'ifunc' | 'object';
export type SymbolBinding = 'local' | 'global' | 'weak' | 'unique' | 'other';

export interface ElfSymbol {
  /** As stored; `.symtab` names of versioned symbols may carry `@VER` / `@@VER`. */
  readonly name: string;
  readonly value: bigint;
  readonly size: number;
  readonly type: SymbolType;
  readonly binding: SymbolBinding;
  /** Section header index (st_shndx); 0xfff1 = SHN_ABS. */
  readonly shndx: number;
  /** Name of the section the symbol is defined in ('' when none). */
  readonly section: string;
  readonly table: 'symtab' | 'dynsym';
  /** `.dynsym` symbol version (`GLIBC_2.14`) from `.gnu.version`/`.gnu.version_d`. */
  readonly version?: string;
  /** False for a non-default version (`memcpy@GLIBC_2.2.5` beside `memcpy@@GLIBC_2.14`). */
  readonly defaultVersion: boolean;
}

export interface ElfNote {
  readonly owner: string;
  readonly type: number;
  readonly desc: Uint8Array;
  /** Section the note came from ('' when read from a PT_NOTE segment). */
  readonly section: string;
  /** File offset of the descriptor. */
  readonly descOffset: number;
}

export interface DebugLink {
  readonly name: string;
  readonly crc: number;
}

const ET: Record<number, ElfType> = { 1: 'rel', 2: 'exec', 3: 'dyn', 4: 'core' };
const BINDING: Record<number, SymbolBinding> = { 0: 'local', 1: 'global', 2: 'weak', 10: 'unique' };
const STT_OBJECT = 1;
const STT_FUNC = 2;
const STT_GNU_IFUNC = 10;
const SHN_UNDEF = 0;
const SHN_LORESERVE = 0xff00;
const SHN_XINDEX = 0xffff;
const NT_GNU_BUILD_ID = 3;
const SHT_GNU_VERDEF = 0x6ffffffd;
const SHT_GNU_VERSYM = 0x6fffffff;

/** Strips a symbol version: `malloc@@GLIBC_2.2.5` → `malloc`. */
export function unversioned(name: string): string {
  const at = name.indexOf('@');
  return at <= 0 ? name : name.slice(0, at);
}

/** A bounds-checked view over the file bytes in the file's byte order. */
class Reader {
  readonly view: DataView;
  constructor(
    readonly bytes: Uint8Array,
    readonly le: boolean,
  ) {
    this.view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  }
  check(off: number, len: number, what: string): void {
    if (!Number.isSafeInteger(off) || off < 0 || len < 0 || off + len > this.bytes.length) {
      throw new ElfError(`truncated ELF file: ${what} at offset ${off} (+${len}) is past the end (${this.bytes.length} bytes)`);
    }
  }
  u8(off: number): number {
    this.check(off, 1, 'u8');
    return this.view.getUint8(off);
  }
  u16(off: number): number {
    this.check(off, 2, 'u16');
    return this.view.getUint16(off, this.le);
  }
  u32(off: number): number {
    this.check(off, 4, 'u32');
    return this.view.getUint32(off, this.le);
  }
  u64(off: number): bigint {
    this.check(off, 8, 'u64');
    return this.view.getBigUint64(off, this.le);
  }
  /** A NUL-terminated string starting at `off`, not reading past `end`. */
  cstr(off: number, end = this.bytes.length): string {
    if (off < 0 || off >= end) return '';
    let e = off;
    while (e < end && this.bytes[e] !== 0) e++;
    return latin1(this.bytes, off, e);
  }
}

const decoder = new TextDecoder('utf-8');
function latin1(b: Uint8Array, start: number, end: number): string {
  // Symbol names are ASCII in practice; decode as UTF-8 for the rare non-ASCII one.
  let ascii = true;
  for (let i = start; i < end; i++)
    if (b[i]! >= 0x80) {
      ascii = false;
      break;
    }
  if (!ascii) return decoder.decode(b.subarray(start, end));
  let s = '';
  for (let i = start; i < end; i += 4096) {
    s += String.fromCharCode.apply(null, Array.from(b.subarray(i, Math.min(end, i + 4096))));
  }
  return s;
}

function num(v: bigint, what: string): number {
  if (v > BigInt(Number.MAX_SAFE_INTEGER)) throw new ElfError(`ELF ${what} too large: 0x${v.toString(16)}`);
  return Number(v);
}

function toBig(v: bigint | number): bigint {
  return typeof v === 'bigint' ? v : BigInt(v);
}

interface CacheEntry {
  mtimeMs: number;
  size: number;
  elf: ElfFile;
}
const openCache = new Map<string, CacheEntry>();

export class ElfFile {
  readonly header: ElfHeader;
  readonly programHeaders: readonly ProgramHeader[];
  readonly sections: readonly SectionHeader[];
  /** The path given to `open()`, or '' for `parse()`. */
  path = '';
  private readonly r: Reader;
  private symtabCache?: readonly ElfSymbol[];
  private dynsymCache?: readonly ElfSymbol[];
  private funcsCache?: readonly ElfSymbol[];
  private addrIndex?: AddrIndex;

  private constructor(readonly bytes: Uint8Array) {
    if (bytes.length < 16 || bytes[0] !== 0x7f || bytes[1] !== 0x45 || bytes[2] !== 0x4c || bytes[3] !== 0x46) {
      throw new ElfError('not an ELF file (bad magic)');
    }
    const cls = bytes[4];
    const data = bytes[5];
    if (cls !== 1 && cls !== 2) throw new ElfError(`unsupported ELF class ${cls}`);
    if (data !== 1 && data !== 2) throw new ElfError(`unsupported ELF data encoding ${data}`);
    this.r = new Reader(bytes, data === 1);
    const r = this.r;
    const is64 = cls === 2;
    const type = r.u16(16);
    let phoff: number, shoff: number, flags: number, phentsize: number, phnum: number;
    let shentsize: number, shnum: number, shstrndx: number, entry: bigint;
    if (is64) {
      entry = r.u64(24);
      phoff = num(r.u64(32), 'e_phoff');
      shoff = num(r.u64(40), 'e_shoff');
      flags = r.u32(48);
      phentsize = r.u16(54);
      phnum = r.u16(56);
      shentsize = r.u16(58);
      shnum = r.u16(60);
      shstrndx = r.u16(62);
    } else {
      entry = BigInt(r.u32(24));
      phoff = r.u32(28);
      shoff = r.u32(32);
      flags = r.u32(36);
      phentsize = r.u16(42);
      phnum = r.u16(44);
      shentsize = r.u16(46);
      shnum = r.u16(48);
      shstrndx = r.u16(50);
    }
    this.header = {
      class: is64 ? 64 : 32,
      endian: data === 1 ? 'le' : 'be',
      osabi: bytes[7]!,
      type: ET[type] ?? 'unknown',
      machine: r.u16(18),
      entry,
      phoff,
      shoff,
      flags,
    };

    const phs: ProgramHeader[] = [];
    if (phoff !== 0 && phnum > 0) {
      if (phentsize < (is64 ? 56 : 32)) throw new ElfError(`bad e_phentsize ${phentsize}`);
      r.check(phoff, phnum * phentsize, 'program header table');
      for (let i = 0; i < phnum; i++) {
        const o = phoff + i * phentsize;
        phs.push(
          is64
            ? {
                type: r.u32(o),
                flags: r.u32(o + 4),
                offset: r.u64(o + 8),
                vaddr: r.u64(o + 16),
                paddr: r.u64(o + 24),
                filesz: r.u64(o + 32),
                memsz: r.u64(o + 40),
                align: r.u64(o + 48),
              }
            : {
                type: r.u32(o),
                offset: BigInt(r.u32(o + 4)),
                vaddr: BigInt(r.u32(o + 8)),
                paddr: BigInt(r.u32(o + 12)),
                filesz: BigInt(r.u32(o + 16)),
                memsz: BigInt(r.u32(o + 20)),
                flags: r.u32(o + 24),
                align: BigInt(r.u32(o + 28)),
              },
        );
      }
    }
    this.programHeaders = phs;

    const raw: Omit<SectionHeader, 'name'>[] = [];
    const nameOffs: number[] = [];
    if (shoff !== 0) {
      if (shentsize < (is64 ? 64 : 40)) throw new ElfError(`bad e_shentsize ${shentsize}`);
      // Extended numbering: section 0 holds the real count and string table index.
      if (shnum === 0) shnum = num(is64 ? r.u64(shoff + 32) : BigInt(r.u32(shoff + 20)), 'section count');
      if (shstrndx === SHN_XINDEX) shstrndx = r.u32(shoff + (is64 ? 40 : 24));
      r.check(shoff, shnum * shentsize, 'section header table');
      for (let i = 0; i < shnum; i++) {
        const o = shoff + i * shentsize;
        nameOffs.push(r.u32(o));
        raw.push(
          is64
            ? {
                index: i,
                type: r.u32(o + 4),
                flags: r.u64(o + 8),
                addr: r.u64(o + 16),
                offset: num(r.u64(o + 24), 'sh_offset'),
                size: num(r.u64(o + 32), 'sh_size'),
                link: r.u32(o + 40),
                info: r.u32(o + 44),
                addralign: num(r.u64(o + 48), 'sh_addralign'),
                entsize: num(r.u64(o + 56), 'sh_entsize'),
              }
            : {
                index: i,
                type: r.u32(o + 4),
                flags: BigInt(r.u32(o + 8)),
                addr: BigInt(r.u32(o + 12)),
                offset: r.u32(o + 16),
                size: r.u32(o + 20),
                link: r.u32(o + 24),
                info: r.u32(o + 28),
                addralign: r.u32(o + 32),
                entsize: r.u32(o + 36),
              },
        );
      }
    }
    const strtab = raw[shstrndx];
    this.sections = raw.map((s, i) => {
      let name = '';
      if (strtab && strtab.type !== SHT_NOBITS) {
        const end = strtab.offset + strtab.size;
        if (end <= bytes.length) name = r.cstr(strtab.offset + nameOffs[i]!, end);
      }
      return { ...s, name };
    });
  }

  /** Parses ELF bytes. Throws `ElfError` on malformed input. */
  static parse(bytes: Uint8Array): ElfFile {
    return new ElfFile(bytes);
  }

  /** Reads and parses a file; cached per path while its mtime and size do not change. */
  static open(path: string): ElfFile {
    let st;
    try {
      st = statSync(path);
    } catch (e) {
      throw new ElfError(`cannot open ${path}: ${(e as NodeJS.ErrnoException).code ?? String(e)}`);
    }
    if (!st.isFile()) throw new ElfError(`${path} is not a regular file`);
    const hit = openCache.get(path);
    if (hit && hit.mtimeMs === st.mtimeMs && hit.size === st.size) return hit.elf;
    let elf: ElfFile;
    try {
      elf = new ElfFile(readFileSync(path));
    } catch (e) {
      if (e instanceof ElfError) throw new ElfError(`${path}: ${e.message}`);
      throw new ElfError(`cannot read ${path}: ${(e as NodeJS.ErrnoException).code ?? String(e)}`);
    }
    elf.path = path;
    openCache.set(path, { mtimeMs: st.mtimeMs, size: st.size, elf });
    return elf;
  }

  /** Drops the `open()` cache (tests). */
  static clearCache(): void {
    openCache.clear();
  }

  section(name: string): SectionHeader | undefined {
    return this.sections.find((s) => s.name === name);
  }

  /** The bytes of a section (empty for SHT_NOBITS). */
  sectionData(s: SectionHeader): Uint8Array {
    if (s.type === SHT_NOBITS) return new Uint8Array(0);
    this.r.check(s.offset, s.size, `section ${s.name || s.index}`);
    return this.bytes.subarray(s.offset, s.offset + s.size);
  }

  /** The PT_LOAD segments. */
  loadSegments(): ProgramHeader[] {
    return this.programHeaders.filter((p) => p.type === PT_LOAD);
  }

  /**
   * The file offset of a vaddr: `vaddr - p_vaddr + p_offset` of the PT_LOAD segment that holds
   * it (an executable one first; bytes backed by the file only). Objects without program
   * headers (relocatable `.o`) go through the section table. `undefined` when nothing holds it.
   */
  vaddrToFileOffset(vaddr: bigint | number): bigint | undefined {
    const v = toBig(vaddr);
    const loads = this.loadSegments();
    if (loads.length > 0) {
      const ordered = [...loads.filter((p) => p.flags & PF_X), ...loads.filter((p) => !(p.flags & PF_X))];
      for (const p of ordered) {
        if (v >= p.vaddr && v < p.vaddr + p.filesz) return v - p.vaddr + p.offset;
      }
      return undefined;
    }
    for (const s of this.sections) {
      if (s.addr === 0n || s.type === SHT_NOBITS) continue;
      if (v >= s.addr && v < s.addr + BigInt(s.size)) return v - s.addr + BigInt(s.offset);
    }
    return undefined;
  }

  /** The inverse: a file offset inside a PT_LOAD segment → its vaddr. */
  fileOffsetToVaddr(offset: bigint | number): bigint | undefined {
    const o = toBig(offset);
    const loads = this.loadSegments();
    const ordered = [...loads.filter((p) => p.flags & PF_X), ...loads.filter((p) => !(p.flags & PF_X))];
    for (const p of ordered) {
      if (o >= p.offset && o < p.offset + p.filesz) return o - p.offset + p.vaddr;
    }
    return undefined;
  }

  /** The section whose address range holds `vaddr` (allocated sections only). */
  sectionAt(vaddr: bigint | number): SectionHeader | undefined {
    const v = toBig(vaddr);
    return this.sections.find((s) => s.addr !== 0n && (s.flags & 2n) !== 0n && v >= s.addr && v < s.addr + BigInt(s.size));
  }

  // ---- symbols ----------------------------------------------------------------------------

  private readSymbols(type: number, table: 'symtab' | 'dynsym'): ElfSymbol[] {
    const sec = this.sections.find((s) => s.type === type);
    if (!sec || sec.type === SHT_NOBITS) return [];
    const r = this.r;
    const is64 = this.header.class === 64;
    const entsize = sec.entsize || (is64 ? 24 : 16);
    if (entsize < (is64 ? 24 : 16)) throw new ElfError(`bad symbol entry size ${entsize} in ${sec.name}`);
    const strs = this.sections[sec.link];
    if (!strs) throw new ElfError(`${sec.name}: string table index ${sec.link} out of range`);
    r.check(sec.offset, sec.size, sec.name);
    r.check(strs.offset, strs.size, strs.name);
    const strEnd = strs.offset + strs.size;
    const n = Math.floor(sec.size / entsize);
    const out: ElfSymbol[] = [];
    const versym = table === 'dynsym' ? this.sections.find((s) => s.type === SHT_GNU_VERSYM) : undefined;
    const verNames = versym ? this.versionNames() : undefined;
    for (let i = 1; i < n; i++) {
      const o = sec.offset + i * entsize;
      let nameOff: number, info: number, shndx: number, value: bigint, size: number;
      if (is64) {
        nameOff = r.u32(o);
        info = r.u8(o + 4);
        shndx = r.u16(o + 6);
        value = r.u64(o + 8);
        size = num(r.u64(o + 16), 'st_size');
      } else {
        nameOff = r.u32(o);
        value = BigInt(r.u32(o + 4));
        size = r.u32(o + 8);
        info = r.u8(o + 12);
        shndx = r.u16(o + 14);
      }
      const stt = info & 0xf;
      if (stt !== STT_FUNC && stt !== STT_GNU_IFUNC && stt !== STT_OBJECT) continue;
      if (shndx === SHN_UNDEF) continue;
      const name = r.cstr(strs.offset + nameOff, strEnd);
      if (name === '') continue;
      let version: string | undefined;
      let defaultVersion = true;
      if (versym && versym.offset + 2 * i + 2 <= versym.offset + versym.size) {
        const v = r.u16(versym.offset + 2 * i);
        defaultVersion = (v & 0x8000) === 0;
        version = verNames?.get(v & 0x7fff);
      }
      out.push({
        name,
        value,
        size,
        type: stt === STT_FUNC ? 'func' : stt === STT_GNU_IFUNC ? 'ifunc' : 'object',
        binding: BINDING[info >> 4] ?? 'other',
        shndx,
        section: shndx < SHN_LORESERVE ? (this.sections[shndx]?.name ?? '') : '',
        table,
        ...(version === undefined ? {} : { version }),
        defaultVersion,
      });
    }
    return out;
  }

  /** Version index → name, from `.gnu.version_d` (versions this object defines). */
  private versionNames(): Map<number, string> {
    const m = new Map<number, string>();
    const sec = this.sections.find((s) => s.type === SHT_GNU_VERDEF);
    if (!sec) return m;
    const strs = this.sections[sec.link];
    if (!strs) return m;
    const r = this.r;
    let o = sec.offset;
    const end = sec.offset + sec.size;
    for (let k = 0; k < 0x10000 && o + 20 <= end; k++) {
      const ndx = r.u16(o + 4);
      const cnt = r.u16(o + 6);
      const aux = r.u32(o + 12);
      const next = r.u32(o + 16);
      if (cnt > 0 && o + aux + 8 <= end) m.set(ndx, r.cstr(strs.offset + r.u32(o + aux), strs.offset + strs.size));
      if (next === 0) break;
      o += next;
    }
    return m;
  }

  /** Defined FUNC, GNU_IFUNC and OBJECT symbols of `.symtab`. */
  symtab(): readonly ElfSymbol[] {
    return (this.symtabCache ??= this.readSymbols(SHT_SYMTAB, 'symtab'));
  }

  /** Defined FUNC, GNU_IFUNC and OBJECT symbols of `.dynsym`. */
  dynsym(): readonly ElfSymbol[] {
    return (this.dynsymCache ??= this.readSymbols(SHT_DYNSYM, 'dynsym'));
  }

  /**
   * Function symbols (STT_FUNC, STT_GNU_IFUNC) of both tables: `.symtab` first, then the
   * `.dynsym` entries whose (unversioned name, address) `.symtab` does not already have.
   */
  functionSymbols(): readonly ElfSymbol[] {
    if (this.funcsCache) return this.funcsCache;
    const seen = new Set<string>();
    const out: ElfSymbol[] = [];
    for (const s of [...this.symtab(), ...this.dynsym()]) {
      if (s.type === 'object') continue;
      const key = `${unversioned(s.name)}\0${s.value}`;
      if (seen.has(key)) continue;
      seen.add(key);
      out.push(s);
    }
    return (this.funcsCache = out);
  }

  /**
   * A function by name, BCC's order: exact name in `.symtab`, then `.dynsym` (the default
   * symbol version first), then the same with versions stripped from the stored names
   * (`malloc@@GLIBC_2.2.5` matches `malloc`).
   */
  lookupFunction(name: string): ElfSymbol | undefined {
    return this.lookup(name, (s) => s.type !== 'object');
  }

  /** A data symbol (STT_OBJECT) by name, same order as `lookupFunction`. */
  lookupObject(name: string): ElfSymbol | undefined {
    return this.lookup(name, (s) => s.type === 'object');
  }

  private lookup(name: string, ok: (s: ElfSymbol) => boolean): ElfSymbol | undefined {
    const tables = [this.symtab(), this.dynsym()];
    for (const t of tables) {
      // The default version first (`memcpy@@GLIBC_2.14` over `memcpy@GLIBC_2.2.5`).
      let hidden: ElfSymbol | undefined;
      for (const s of t) {
        if (!ok(s) || s.name !== name) continue;
        if (s.defaultVersion) return s;
        hidden ??= s;
      }
      if (hidden) return hidden;
    }
    for (const t of tables) for (const s of t) if (ok(s) && unversioned(s.name) === name) return s;
    return undefined;
  }

  /**
   * The function that holds `vaddr`: `{ name, offset }` where offset = vaddr - symbol value.
   * Symbols with a size are matched by range; size-0 symbols only when no sized one holds the
   * address (the nearest one at or below it, in the same section).
   */
  symbolize(vaddr: bigint | number): { name: string; offset: number; symbol: ElfSymbol } | undefined {
    const v = toBig(vaddr);
    const idx = (this.addrIndex ??= buildAddrIndex(this.functionSymbols()));
    const hit = findSized(idx, v) ?? findUnsized(idx, v, this);
    if (!hit) return undefined;
    return { name: hit.name, offset: Number(v - hit.value), symbol: hit };
  }

  // ---- notes ------------------------------------------------------------------------------

  /**
   * ELF notes. `where`: a section name (`'.note.stapsdt'`), a note type number, or nothing for
   * every SHT_NOTE section (every PT_NOTE segment when the file has no section headers).
   * Descriptors are aligned to 4 bytes, or 8 in sections/segments aligned to 8.
   */
  *notes(where?: string | number): Generator<ElfNote> {
    const regions: { off: number; size: number; align: number; section: string }[] = [];
    if (this.sections.length > 0) {
      for (const s of this.sections) {
        if (s.type !== SHT_NOTE) continue;
        if (typeof where === 'string' && s.name !== where) continue;
        regions.push({ off: s.offset, size: s.size, align: s.addralign === 8 ? 8 : 4, section: s.name });
      }
    } else if (typeof where !== 'string') {
      for (const p of this.programHeaders) {
        if (p.type !== PT_NOTE) continue;
        regions.push({ off: num(p.offset, 'p_offset'), size: num(p.filesz, 'p_filesz'), align: p.align === 8n ? 8 : 4, section: '' });
      }
    }
    const r = this.r;
    for (const g of regions) {
      r.check(g.off, g.size, `note region ${g.section}`);
      const end = g.off + g.size;
      let o = g.off;
      while (o + 12 <= end) {
        const namesz = r.u32(o);
        const descsz = r.u32(o + 4);
        const type = r.u32(o + 8);
        const nameOff = o + 12;
        const descOff = alignUp(nameOff + namesz, g.align);
        const next = alignUp(descOff + descsz, g.align);
        if (nameOff + namesz > end || descOff + descsz > end) {
          throw new ElfError(`malformed note in ${g.section || 'PT_NOTE'} at offset ${o}: sizes run past the end`);
        }
        if (typeof where !== 'number' || where === type) {
          const owner = r.cstr(nameOff, nameOff + namesz);
          yield { owner, type, desc: this.bytes.subarray(descOff, descOff + descsz), section: g.section, descOffset: descOff };
        }
        if (next <= o) break;
        o = next;
      }
    }
  }

  /** The GNU build-id as lowercase hex, if the file has one. */
  buildId(): string | undefined {
    for (const n of this.notes(NT_GNU_BUILD_ID)) {
      if (n.owner === 'GNU') return Buffer.from(n.desc).toString('hex');
    }
    return undefined;
  }

  /** `.gnu_debuglink`: the debug file name and the CRC-32 of its contents. */
  debugLink(): DebugLink | undefined {
    const s = this.section('.gnu_debuglink');
    if (!s) return undefined;
    const d = this.sectionData(s);
    const nul = d.indexOf(0);
    if (nul <= 0) throw new ElfError('malformed .gnu_debuglink: no file name');
    const crcOff = alignUp(nul + 1, 4);
    if (crcOff + 4 > d.length) throw new ElfError('malformed .gnu_debuglink: no CRC');
    const crc = new DataView(d.buffer, d.byteOffset, d.byteLength).getUint32(crcOff, this.r.le);
    return { name: latin1(d, 0, nul), crc };
  }

  /**
   * The separate debug file, gdb's search order: `<root>/usr/lib/debug/.build-id/xx/yyyy.debug`,
   * then for `.gnu_debuglink` `dir/name`, `dir/.debug/name`, `/usr/lib/debug/dir/name` (those
   * must match the CRC). `root` prefixes every path (e.g. `/proc/PID/root`).
   */
  findDebugFile(opts: { root?: string; debugDir?: string } = {}): string | undefined {
    const elf = this;
    // The debug link is read only when the build-id finds nothing.
    return findDebugFileFor(
      {
        buildId: this.buildId(),
        get debugLink() {
          return elf.debugLink();
        },
        path: this.path,
      },
      opts,
    );
  }
}

/** `ElfFile.findDebugFile` from what it needs: the build-id, the debug link and the file's path. */
export function findDebugFileFor(
  f: { readonly buildId?: string; readonly debugLink?: DebugLink; readonly path: string },
  opts: { root?: string; debugDir?: string } = {},
): string | undefined {
  const root = opts.root ?? '';
  const debugDir = opts.debugDir ?? '/usr/lib/debug';
  const id = f.buildId;
  if (id && id.length > 2) {
    const p = `${root}${debugDir}/.build-id/${id.slice(0, 2)}/${id.slice(2)}.debug`;
    if (existsSync(p)) return p;
  }
  const link = f.debugLink;
  if (link && f.path) {
    const dir = dirname(f.path);
    for (const cand of [join(dir, link.name), join(dir, '.debug', link.name), `${root}${debugDir}${dir}/${link.name}`]) {
      if (cand === f.path || !existsSync(cand)) continue;
      try {
        if (crc32(readFileSync(cand)) === link.crc) return cand;
      } catch {
        // unreadable candidate: try the next one
      }
    }
  }
  return undefined;
}

function alignUp(n: number, a: number): number {
  return Math.ceil(n / a) * a;
}

// ---- address index -------------------------------------------------------------------------

interface AddrIndex {
  sizedStart: BigUint64Array;
  sizedEnd: BigUint64Array;
  sized: ElfSymbol[];
  /** max end of sized[0..i]: lets a lookup step back over small symbols nested in a big one. */
  maxEnd: BigUint64Array;
  unsizedStart: BigUint64Array;
  unsized: ElfSymbol[];
}

const BIND_RANK: Record<SymbolBinding, number> = { global: 0, unique: 1, weak: 2, local: 3, other: 4 };

function preferred(a: ElfSymbol, b: ElfSymbol): number {
  // Among aliases at one address: global before weak before local, .symtab before .dynsym,
  // then the name without leading underscores (`malloc` over `__libc_malloc`), then shorter.
  return (
    BIND_RANK[a.binding] - BIND_RANK[b.binding] ||
    (a.table === b.table ? 0 : a.table === 'symtab' ? -1 : 1) ||
    underscores(a.name) - underscores(b.name) ||
    a.name.length - b.name.length
  );
}
function underscores(s: string): number {
  let i = 0;
  while (s[i] === '_') i++;
  return i;
}

function buildAddrIndex(funcs: readonly ElfSymbol[]): AddrIndex {
  const sized = funcs.filter((s) => s.size > 0).sort((a, b) => (a.value < b.value ? -1 : a.value > b.value ? 1 : preferred(a, b)));
  const unsized = funcs.filter((s) => s.size === 0).sort((a, b) => (a.value < b.value ? -1 : a.value > b.value ? 1 : preferred(a, b)));
  const sizedStart = new BigUint64Array(sized.length);
  const sizedEnd = new BigUint64Array(sized.length);
  const maxEnd = new BigUint64Array(sized.length);
  let m = 0n;
  sized.forEach((s, i) => {
    sizedStart[i] = s.value;
    sizedEnd[i] = s.value + BigInt(s.size);
    if (sizedEnd[i]! > m) m = sizedEnd[i]!;
    maxEnd[i] = m;
  });
  const unsizedStart = BigUint64Array.from(unsized.map((s) => s.value));
  return { sizedStart, sizedEnd, sized, maxEnd, unsizedStart, unsized };
}

/** Index of the last element <= v, or -1. */
export function upperIndex(arr: BigUint64Array | Float64Array, v: bigint | number): number {
  let lo = 0;
  let hi = arr.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if ((arr[mid] as bigint | number) <= v) lo = mid + 1;
    else hi = mid;
  }
  return lo - 1;
}

function findSized(ix: AddrIndex, v: bigint): ElfSymbol | undefined {
  let i = upperIndex(ix.sizedStart, v);
  // Step back to the first alias at that start (the preferred one sorts first).
  while (i >= 0 && ix.maxEnd[i]! > v) {
    if (ix.sizedEnd[i]! > v) {
      let j = i;
      while (j > 0 && ix.sizedStart[j - 1] === ix.sizedStart[i] && ix.sizedEnd[j - 1]! > v) j--;
      return ix.sized[j];
    }
    i--;
  }
  return undefined;
}

function findUnsized(ix: AddrIndex, v: bigint, elf: ElfFile): ElfSymbol | undefined {
  let i = upperIndex(ix.unsizedStart, v);
  if (i < 0) return undefined;
  while (i > 0 && ix.unsizedStart[i - 1] === ix.unsizedStart[i]) i--;
  const s = ix.unsized[i]!;
  // Only within the symbol's own section, and not past the start of a sized symbol.
  const sec = elf.sections[s.shndx];
  if (sec && sec.addr !== 0n && v >= sec.addr + BigInt(sec.size)) return undefined;
  const k = upperIndex(ix.sizedStart, v);
  if (k >= 0 && ix.sizedStart[k]! > s.value) return undefined;
  return s;
}

// ---- CRC-32 (IEEE, as .gnu_debuglink uses) -------------------------------------------------

let crcTable: Uint32Array | undefined;
export function crc32(data: Uint8Array): number {
  if (!crcTable) {
    crcTable = new Uint32Array(256);
    for (let n = 0; n < 256; n++) {
      let c = n;
      for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
      crcTable[n] = c >>> 0;
    }
  }
  let crc = 0xffffffff;
  for (let i = 0; i < data.length; i++) crc = crcTable[(crc ^ data[i]!) & 0xff]! ^ (crc >>> 8);
  return (crc ^ 0xffffffff) >>> 0;
}
