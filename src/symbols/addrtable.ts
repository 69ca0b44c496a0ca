/**
 * Address → function name for one ELF file, compact: the answer of `ElfFile.symbolize`
 * (same symbols, same aliases preferred, same sized/unsized rules) from typed arrays and one
 * blob of the kept names, decoded only when an address asks for them. Built once per file and
 * shared by every process that maps it (`SymbolTables`, keyed by file identity).
 *
 * `AddrTable.read(path)` reads only what it needs (headers, the symbol and string tables,
 * notes, `.gnu_debuglink`) with positional reads, never the whole file: node's 99 MB binary
 * costs its 17 MB of tables, and those are dropped once the index is built.
 *
 * Addresses are kept as doubles: ELF vaddrs of user code are far below 2^53 (a symbol above
 * that is left out).
 */
import { closeSync, fstatSync, openSync, readFileSync, readSync, statSync } from 'node:fs';
import { ElfError } from '../errors.js';
import { ElfFile, PT_LOAD, PF_X, SHT_SYMTAB, SHT_DYNSYM, SHT_NOTE, SHT_NOBITS, findDebugFileFor, type DebugLink } from './elf.js';

const STT_FUNC = 2;
const STT_GNU_IFUNC = 10;
/** global, unique, weak, local, other: ElfFile's preference among aliases. */
function bindRank(bind: number): number {
  return bind === 1 ? 0 : bind === 10 ? 1 : bind === 2 ? 2 : bind === 0 ? 3 : 4;
}
const TWO32 = 0x1_0000_0000;
const decoder = new TextDecoder('utf-8');

interface Segment {
  readonly offset: number;
  readonly vaddr: number;
  readonly filesz: number;
}

export class AddrTable {
  /** Use `read` or `fromElf`. */
  constructor(
    readonly path: string,
    private readonly segments: readonly Segment[],
    private readonly sizedStart: Float64Array,
    private readonly sizedEnd: Float64Array,
    /** max end of sized[0..i]: a lookup steps back over small symbols nested in a big one. */
    private readonly maxEnd: Float64Array,
    private readonly sizedName: Uint32Array,
    private readonly unsizedStart: Float64Array,
    /** End of the unsized symbol's section (Infinity when unknown). */
    private readonly unsizedSecEnd: Float64Array,
    private readonly unsizedName: Uint32Array,
    /** Names: blob[nameOff[k] .. nameOff[k+1]). */
    private readonly nameOff: Uint32Array,
    private readonly blob: Uint8Array,
    readonly buildId: string | undefined,
    readonly debugLink: DebugLink | undefined,
  ) {}

  /** Function symbols in the table. */
  get size(): number {
    return this.sizedStart.length + this.unsizedStart.length;
  }

  /** Bytes held (typed arrays and the name blob). */
  get bytes(): number {
    const arrays = [
      this.sizedStart,
      this.sizedEnd,
      this.maxEnd,
      this.sizedName,
      this.unsizedStart,
      this.unsizedSecEnd,
      this.unsizedName,
      this.nameOff,
      this.blob,
    ];
    return arrays.reduce((a, x) => a + x.byteLength, 0);
  }

  /** Reads the parts of the file the index needs; throws `ElfError`. */
  static read(path: string): AddrTable {
    return AddrTable.fromElf(ElfFile.parse(readSparse(path)), path);
  }

  static fromElf(elf: ElfFile, path = elf.path): AddrTable {
    return build(elf, path);
  }

  /** The separate debug file (gdb's search order, as `ElfFile.findDebugFile`). */
  findDebugFile(opts: { root?: string; debugDir?: string } = {}): string | undefined {
    return findDebugFileFor({ buildId: this.buildId, debugLink: this.debugLink, path: this.path }, opts);
  }

  /** A file offset inside a PT_LOAD segment (executable ones first) → its vaddr. */
  fileOffsetToVaddr(offset: bigint): bigint | undefined {
    const o = Number(offset);
    for (const p of this.segments) if (o >= p.offset && o < p.offset + p.filesz) return BigInt(o - p.offset + p.vaddr);
    return undefined;
  }

  /** As `ElfFile.symbolize`: the function holding `vaddr` and the offset into it. */
  symbolize(vaddr: bigint): { name: string; offset: number } | undefined {
    if (vaddr < 0n || vaddr >= 2n ** 53n) return undefined;
    const v = Number(vaddr);
    let i = upper(this.sizedStart, v);
    while (i >= 0 && this.maxEnd[i]! > v) {
      if (this.sizedEnd[i]! > v) {
        let j = i;
        while (j > 0 && this.sizedStart[j - 1] === this.sizedStart[i] && this.sizedEnd[j - 1]! > v) j--;
        return { name: this.name(this.sizedName[j]!), offset: v - this.sizedStart[j]! };
      }
      i--;
    }
    let u = upper(this.unsizedStart, v);
    if (u < 0) return undefined;
    while (u > 0 && this.unsizedStart[u - 1] === this.unsizedStart[u]) u--;
    const start = this.unsizedStart[u]!;
    if (v >= this.unsizedSecEnd[u]!) return undefined;
    const k = upper(this.sizedStart, v);
    if (k >= 0 && this.sizedStart[k]! > start) return undefined;
    return { name: this.name(this.unsizedName[u]!), offset: v - start };
  }

  private name(k: number): string {
    return decoder.decode(this.blob.subarray(this.nameOff[k]!, this.nameOff[k + 1]!));
  }
}

/** Index of the last element <= v, or -1. */
function upper(a: Float64Array, v: number): number {
  let lo = 0;
  let hi = a.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (a[mid]! <= v) lo = mid + 1;
    else hi = mid;
  }
  return lo - 1;
}

/** Candidate function symbols, one column per field (no object per symbol: node has 190k). */
class Cands {
  n = 0;
  readonly value: Float64Array;
  readonly size: Float64Array;
  readonly nameStart: Uint32Array;
  readonly nameEnd: Uint32Array;
  /** End of the unversioned name (the first `@` after the first byte). */
  readonly baseEnd: Uint32Array;
  readonly bind: Uint8Array;
  readonly table: Uint8Array;
  readonly shndx: Uint32Array;

  /** Room for `cap` symbols (the entries of both tables: no growing, no copies). */
  constructor(cap: number) {
    this.value = new Float64Array(cap);
    this.size = new Float64Array(cap);
    this.nameStart = new Uint32Array(cap);
    this.nameEnd = new Uint32Array(cap);
    this.baseEnd = new Uint32Array(cap);
    this.bind = new Uint8Array(cap);
    this.table = new Uint8Array(cap);
    this.shndx = new Uint32Array(cap);
  }

  push(value: number, size: number, nameStart: number, nameEnd: number, baseEnd: number, bind: number, table: number, shndx: number): void {
    const i = this.n++;
    this.value[i] = value;
    this.size[i] = size;
    this.nameStart[i] = nameStart;
    this.nameEnd[i] = nameEnd;
    this.baseEnd[i] = baseEnd;
    this.bind[i] = bind;
    this.table[i] = table;
    this.shndx[i] = shndx;
  }
}

function build(elf: ElfFile, path: string): AddrTable {
  const bytes = elf.bytes;
  const le = elf.header.endian === 'le';
  const is64 = elf.header.class === 64;
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const is64e = is64 ? 24 : 16;
  let cap = 0;
  for (const sec of elf.sections) if (sec.type === SHT_SYMTAB || sec.type === SHT_DYNSYM) cap += Math.floor(sec.size / Math.max(sec.entsize, is64e));
  const c = new Cands(cap);
  for (const [table, type] of [
    [0, SHT_SYMTAB],
    [1, SHT_DYNSYM],
  ] as const) {
    const sec = elf.sections.find((s) => s.type === type);
    if (!sec || sec.type === SHT_NOBITS) continue;
    const entsize = sec.entsize || (is64 ? 24 : 16);
    if (entsize < (is64 ? 24 : 16)) throw new ElfError(`bad symbol entry size ${entsize} in ${sec.name}`);
    const strs = elf.sections[sec.link];
    if (!strs) throw new ElfError(`${sec.name}: string table index ${sec.link} out of range`);
    if (sec.offset + sec.size > bytes.length || strs.offset + strs.size > bytes.length) throw new ElfError(`truncated ELF file: ${sec.name} is past the end`);
    const strEnd = strs.offset + strs.size;
    const n = Math.floor(sec.size / entsize);
    for (let i = 1; i < n; i++) {
      const o = sec.offset + i * entsize;
      let nameOff: number, info: number, shndx: number, value: number, size: number;
      if (is64) {
        nameOff = view.getUint32(o, le);
        info = bytes[o + 4]!;
        shndx = view.getUint16(o + 6, le);
        const vlo = view.getUint32(o + 8 + (le ? 0 : 4), le);
        const vhi = view.getUint32(o + 8 + (le ? 4 : 0), le);
        if (vhi >= 0x20_0000) continue;
        value = vhi * TWO32 + vlo;
        const slo = view.getUint32(o + 16 + (le ? 0 : 4), le);
        const shi = view.getUint32(o + 16 + (le ? 4 : 0), le);
        if (shi >= 0x20_0000) throw new ElfError(`ELF st_size too large in ${sec.name}`);
        size = shi * TWO32 + slo;
      } else {
        nameOff = view.getUint32(o, le);
        value = view.getUint32(o + 4, le);
        size = view.getUint32(o + 8, le);
        info = bytes[o + 12]!;
        shndx = view.getUint16(o + 14, le);
      }
      const stt = info & 0xf;
      if (stt !== STT_FUNC && stt !== STT_GNU_IFUNC) continue;
      if (shndx === 0) continue;
      const start = strs.offset + nameOff;
      if (start >= strEnd || bytes[start] === 0) continue;
      let end = start;
      let baseEnd = -1;
      while (end < strEnd && bytes[end] !== 0) {
        if (baseEnd < 0 && bytes[end] === 0x40 && end > start) baseEnd = end;
        end++;
      }
      c.push(value, size, start, end, baseEnd < 0 ? end : baseEnd, info >> 4, table, shndx);
    }
  }
  // ElfFile.functionSymbols: the first of each (unversioned name, address), .symtab first.
  // Candidates are in that order already (i is the order).
  // (Plain arrays: V8 sorts them far faster than typed arrays with a comparator.)
  const byValue: number[] = new Array(c.n);
  for (let i = 0; i < c.n; i++) byValue[i] = i;
  byValue.sort((x, y) => c.value[x]! - c.value[y]! || x - y);
  const keep = new Uint8Array(c.n);
  let kept = 0;
  for (let g = 0; g < c.n; ) {
    let h = g;
    const v = c.value[byValue[g]!]!;
    while (h < c.n && c.value[byValue[h]!] === v) h++;
    for (let i = g; i < h; i++) {
      const x = byValue[i]!;
      let dup = false;
      for (let j = g; j < i && !dup; j++) {
        const y = byValue[j]!;
        dup = keep[y] === 1 && sameBytes(bytes, c.nameStart[y]!, c.baseEnd[y]!, c.nameStart[x]!, c.baseEnd[x]!);
      }
      if (!dup) {
        keep[x] = 1;
        kept++;
      }
    }
    g = h;
  }
  const under = (i: number): number => {
    let k = c.nameStart[i]!;
    while (k < c.nameEnd[i]! && bytes[k] === 0x5f) k++;
    return k - c.nameStart[i]!;
  };
  const preferred = (x: number, y: number): number =>
    c.value[x]! - c.value[y]! ||
    bindRank(c.bind[x]!) - bindRank(c.bind[y]!) ||
    c.table[x]! - c.table[y]! ||
    under(x) - under(y) ||
    c.nameEnd[x]! - c.nameStart[x]! - (c.nameEnd[y]! - c.nameStart[y]!) ||
    x - y;
  let nSized = 0;
  for (let i = 0; i < c.n; i++) if (keep[i] && c.size[i]! > 0) nSized++;
  const sized: number[] = new Array(nSized);
  const unsized: number[] = new Array(kept - nSized);
  for (let i = 0, s = 0, u = 0; i < c.n; i++) {
    if (!keep[i]) continue;
    if (c.size[i]! > 0) sized[s++] = i;
    else unsized[u++] = i;
  }
  sized.sort(preferred);
  unsized.sort(preferred);

  const nameOff = new Uint32Array(kept + 1);
  let total = 0;
  for (let k = 0; k < kept; k++) {
    const i = k < nSized ? sized[k]! : unsized[k - nSized]!;
    nameOff[k] = total;
    total += c.nameEnd[i]! - c.nameStart[i]!;
  }
  nameOff[kept] = total;
  const blob = new Uint8Array(total);
  for (let k = 0; k < kept; k++) {
    const i = k < nSized ? sized[k]! : unsized[k - nSized]!;
    blob.set(bytes.subarray(c.nameStart[i]!, c.nameEnd[i]!), nameOff[k]!);
  }

  const sizedStart = new Float64Array(nSized);
  const sizedEnd = new Float64Array(nSized);
  const maxEnd = new Float64Array(nSized);
  const sizedName = new Uint32Array(nSized);
  let m = 0;
  for (let k = 0; k < nSized; k++) {
    const i = sized[k]!;
    sizedStart[k] = c.value[i]!;
    sizedEnd[k] = c.value[i]! + c.size[i]!;
    if (sizedEnd[k]! > m) m = sizedEnd[k]!;
    maxEnd[k] = m;
    sizedName[k] = k;
  }
  const unsizedStart = new Float64Array(unsized.length);
  const unsizedSecEnd = new Float64Array(unsized.length);
  const unsizedName = new Uint32Array(unsized.length);
  for (let k = 0; k < unsized.length; k++) {
    const i = unsized[k]!;
    unsizedStart[k] = c.value[i]!;
    const sec = elf.sections[c.shndx[i]!];
    unsizedSecEnd[k] = sec && sec.addr !== 0n ? Number(sec.addr) + sec.size : Number.POSITIVE_INFINITY;
    unsizedName[k] = nSized + k;
  }

  const loads = elf.programHeaders.filter((p) => p.type === PT_LOAD);
  const segments = [...loads.filter((p) => p.flags & PF_X), ...loads.filter((p) => !(p.flags & PF_X))].map((p) => ({
    offset: Number(p.offset),
    vaddr: Number(p.vaddr),
    filesz: Number(p.filesz),
  }));
  let buildId: string | undefined;
  let debugLink: DebugLink | undefined;
  try {
    buildId = elf.buildId();
    debugLink = elf.debugLink();
  } catch {
    // malformed notes: no debug file for this one
  }
  return new AddrTable(path, segments, sizedStart, sizedEnd, maxEnd, sizedName, unsizedStart, unsizedSecEnd, unsizedName, nameOff, blob, buildId, debugLink);
}

function sameBytes(b: Uint8Array, s1: number, e1: number, s2: number, e2: number): boolean {
  if (e1 - s1 !== e2 - s2) return false;
  for (let i = 0; i < e1 - s1; i++) if (b[s1 + i] !== b[s2 + i]) return false;
  return true;
}

/**
 * The file as a buffer of its size holding only the headers, the section table and the
 * sections the index reads (symbol and string tables, notes, `.gnu_debuglink`); the rest stays
 * zero (and, for a large file, never touched). Falls back to reading everything when the
 * section table uses extended numbering.
 */
export function readSparse(path: string): Uint8Array {
  let fd: number;
  try {
    fd = openSync(path, 'r');
  } catch (e) {
    throw new ElfError(`cannot open ${path}: ${(e as NodeJS.ErrnoException).code ?? String(e)}`);
  }
  try {
    const st = fstatSync(fd);
    if (!st.isFile()) throw new ElfError(`${path} is not a regular file`);
    const size = st.size;
    const buf = new Uint8Array(size);
    const at = (off: number, len: number): void => {
      if (off < 0 || len <= 0 || off >= size) return;
      const n = Math.min(len, size - off);
      let done = 0;
      while (done < n) {
        const r = readSync(fd, buf, off + done, n - done, off + done);
        if (r <= 0) break;
        done += r;
      }
    };
    at(0, 64);
    if (size < 52 || buf[0] !== 0x7f || buf[1] !== 0x45 || buf[2] !== 0x4c || buf[3] !== 0x46) throw new ElfError(`${path}: not an ELF file (bad magic)`);
    const is64 = buf[4] === 2;
    const le = buf[5] === 1;
    const v = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
    const u16 = (o: number) => v.getUint16(o, le);
    const u32 = (o: number) => v.getUint32(o, le);
    const word = (o: number) => (is64 ? Number(v.getBigUint64(o, le)) : u32(o));
    const phoff = word(is64 ? 32 : 28);
    const shoff = word(is64 ? 40 : 32);
    const phentsize = u16(is64 ? 54 : 42);
    const phnum = u16(is64 ? 56 : 44);
    const shentsize = u16(is64 ? 58 : 46);
    const shnum = u16(is64 ? 60 : 48);
    const shstrndx = u16(is64 ? 62 : 50);
    if ((shoff !== 0 && shnum === 0) || shstrndx === 0xffff) return readWhole(path);
    at(phoff, phnum * phentsize);
    at(shoff, shnum * shentsize);
    const sh = (i: number) => {
      const o = shoff + i * shentsize;
      return is64
        ? { type: u32(o + 4), offset: Number(v.getBigUint64(o + 24, le)), size: Number(v.getBigUint64(o + 32, le)), link: u32(o + 40) }
        : { type: u32(o + 4), offset: u32(o + 16), size: u32(o + 20), link: u32(o + 24) };
    };
    if (shoff + shnum * shentsize > size) return buf; // ElfFile.parse says what is wrong
    if (shstrndx < shnum) {
      const s = sh(shstrndx);
      at(s.offset, s.size);
    }
    const elf = ElfFile.parse(buf);
    for (const s of elf.sections) {
      if (s.type === SHT_NOBITS) continue;
      if (s.type === SHT_SYMTAB || s.type === SHT_DYNSYM) {
        at(s.offset, s.size);
        const strs = elf.sections[s.link];
        if (strs) at(strs.offset, strs.size);
      } else if (s.type === SHT_NOTE || s.name === '.gnu_debuglink') {
        at(s.offset, s.size);
      }
    }
    return buf;
  } finally {
    closeSync(fd);
  }
}

function readWhole(path: string): Uint8Array {
  try {
    return readFileSync(path);
  } catch (e) {
    throw new ElfError(`cannot read ${path}: ${(e as NodeJS.ErrnoException).code ?? String(e)}`);
  }
}

/** File identity: the same file under another path (`/proc/PID/root/…`) is the same entry. */
function identity(path: string): string | undefined {
  try {
    const st = statSync(path);
    return st.isFile() ? `${st.dev}:${st.ino}:${st.size}:${st.mtimeMs}` : undefined;
  } catch {
    return undefined;
  }
}

/** What the shared indexes may hold before the least recently used ones are dropped. */
export const TABLE_BYTES = 32 * 1024 * 1024;
/** And how many files (non-ELF files cost an entry each). */
const TABLE_FILES = 1024;

/**
 * Symbol indexes shared by every process of a run, one per file (device, inode, size, mtime):
 * two processes mapping libc parse it once. `parses` counts the files read.
 *
 * Bounded (issue 20): a long run on a busy machine meets files without end (every build's new
 * binaries, each tool a test starts), so past `maxBytes` (or `TABLE_FILES` files) the least
 * recently asked for are dropped. A process that already holds a dropped index keeps it until
 * it exits; a new one parses the file again (`parses` counts it).
 */
export class SymbolTables {
  /** In order of last use, oldest first. */
  readonly #byId = new Map<string, AddrTable | null>();
  #bytes = 0;
  parses = 0;
  evictions = 0;

  constructor(readonly maxBytes = TABLE_BYTES) {}

  /** The index of the file at `path`; undefined when it cannot be opened, null when it is not an ELF file. */
  get(path: string): AddrTable | null | undefined {
    const id = identity(path);
    if (id === undefined) return undefined;
    let t = this.#byId.get(id);
    if (t !== undefined) {
      this.#byId.delete(id);
      this.#byId.set(id, t);
      return t;
    }
    this.parses++;
    try {
      t = AddrTable.read(path);
    } catch {
      t = null;
    }
    this.#byId.set(id, t);
    this.#bytes += t?.bytes ?? 0;
    for (const [old, table] of this.#byId) {
      if ((this.#bytes <= this.maxBytes && this.#byId.size <= TABLE_FILES) || old === id) break;
      this.#byId.delete(old);
      this.#bytes -= table?.bytes ?? 0;
      this.evictions++;
    }
    return t;
  }

  get files(): number {
    return this.#byId.size;
  }

  /** Bytes of the indexes held. */
  get bytes(): number {
    return this.#bytes;
  }
}
