/**
 * BtfSpec: a parsed BTF blob (vmlinux or a split module blob on top of a base).
 *
 * Opening is one pass over the type section that records, per type id, the word index of its
 * record (one typed array; kind and name offset are read from the record itself when asked).
 * Types are inflated into BtfType objects on first get(id) and cached. The first few by-name
 * lookups search the string table for the name and the type section for records naming it
 * (native indexOf scans, ~1 ms on vmlinux); after that (or on buildNameIndex()) a full
 * name → ids hash index is built once.
 *
 * Start-up matters (a tool resolves a handful of names, then attaches): the open pass runs
 * once, cold, over ~130k records, so it does as little per record as it can.
 */
import { BtfError, ResolveError } from '../errors.js';
import {
  EXTRA_FIXED,
  EXTRA_PER_VLEN,
  INT_BOOL,
  INT_CHAR,
  INT_SIGNED,
  KIND_NAMES,
  KIND_VALID,
  Kind,
  infoKflag,
  infoKind,
  infoVlen,
  readHeader,
  type BtfHeader,
} from './wire.js';
import { StringTable } from './strings.js';
import { VOID, type BtfKindName, type BtfOfKind, type BtfMember, type BtfPtr, type BtfRef, type BtfType, type Linkage, type TypeId } from './types.js';
import { alignof, memberPath, sizeof, underlying, type MemberLocation } from './resolve.js';

export interface ParseOptions {
  /** The base spec for split (module) BTF: ids and string offsets continue after it. */
  readonly base?: BtfSpec;
}

/** Raw kind number → model kind name. */
const KIND_MODEL: readonly (BtfKindName | undefined)[] = [
  undefined,
  'int',
  'ptr',
  'array',
  'struct',
  'union',
  'enum',
  'fwd',
  'typedef',
  'volatile',
  'const',
  'restrict',
  'func',
  'func_proto',
  'var',
  'datasec',
  'float',
  'decl_tag',
  'type_tag',
  'enum',
];
const LINKAGE: readonly Linkage[] = ['static', 'global', 'extern'];

const encoder = new TextEncoder();

export class BtfSpec {
  readonly header: BtfHeader;
  readonly base: BtfSpec | undefined;
  /** First type id defined by this blob (1 for base BTF). */
  readonly firstId: number;
  /** One past the largest valid id (including base ids). */
  readonly count: number;
  /**
   * @internal The type section as 32-bit words in host order (every field of every BTF record
   * is a 32-bit word): a view over the blob when it is little-endian and aligned, else a
   * byte-swapped copy.
   */
  readonly words: Uint32Array;
  /** @internal byte offset of the type section in the blob (for error messages) */
  readonly typeStart: number;
  /** @internal word index of each own type record, index = id - firstId */
  readonly offsets: Uint32Array;
  readonly strings: StringTable;
  /** Where this blob's own strings start in the combined string offset space. */
  readonly strBase: number;
  /** Inflated types by own index (a Map: a 130k-slot array costs ms to allocate up front). */
  private readonly cache = new Map<number, BtfType>();
  private buckets: Int32Array | undefined;
  private chain: Int32Array | undefined;
  /** By-name lookups answered by scanning, before the index is built. */
  private scans = 0;
  /** The string table as a node Buffer view (for its native substring search); lazy. */
  private strBuf: Buffer | undefined;
  /** @internal cached pointer size (see resolve.ts) */
  ptrSizeCache = 0;

  private constructor(bytes: Uint8Array, opts: ParseOptions) {
    const h = readHeader(bytes);
    this.header = h;
    this.base = opts.base;
    const base = opts.base;
    if (base && base.header.littleEndian !== h.littleEndian) throw new BtfError('split BTF and its base differ in byte order');
    this.firstId = base ? base.count : 1;
    this.strBase = base ? base.strBase + base.strings.length : 0;
    this.strings = new StringTable(bytes.subarray(h.strStart, h.strStart + h.strLen));
    if (!base && (h.strLen === 0 || bytes[h.strStart] !== 0)) {
      throw new BtfError('BTF string table must start with an empty string (byte 0 = NUL)');
    }
    if (h.strLen > 0 && bytes[h.strStart + h.strLen - 1] !== 0) {
      throw new BtfError(`BTF string table is not NUL-terminated (last byte at offset ${h.strStart + h.strLen - 1})`);
    }
    if (h.typeLen % 4 !== 0) throw new BtfError(`BTF type section length ${h.typeLen} is not a multiple of 4`);
    const strEnd = this.strBase + h.strLen;
    this.typeStart = h.typeStart;
    const words = typeWords(bytes, h);
    this.words = words;

    const offsets = walkRecords(words, strEnd);
    if (!(offsets instanceof Uint32Array)) {
      throw new BtfError(`type id ${this.firstId + offsets.n} at byte offset ${this.typeStart + offsets.w * 4}: ${offsets.what}`);
    }
    this.offsets = offsets;
    const n = offsets.length;
    this.count = this.firstId + n;
  }

  /** @internal name offset (combined string space) of own type index `i` (= id - firstId). */
  nameOffAt(i: number): number {
    return this.words[this.offsets[i]!]!;
  }

  /** @internal raw kind of own type index `i`. */
  kindAt(i: number): number {
    return (this.words[this.offsets[i]! + 1]! >>> 24) & 0x1f;
  }

  /** Parses a BTF blob. The bytes are kept, not copied: do not mutate them afterwards. */
  static parse(bytes: Uint8Array, opts: ParseOptions = {}): BtfSpec {
    return new BtfSpec(bytes, opts);
  }

  /** Number of types this blob itself defines. */
  get ownCount(): number {
    return this.count - this.firstId;
  }

  /** The string at a combined string offset (base strings first for split BTF). */
  str(off: number, what?: () => string): string {
    if (off < this.strBase) return this.base!.str(off, what);
    return this.strings.get(off - this.strBase, what);
  }

  private checkId(id: number, what?: () => string): void {
    if (!Number.isInteger(id) || id < 0 || id >= this.count) {
      throw new BtfError(`type id ${id} out of range (valid: 0..${this.count - 1})${what ? ` in ${what()}` : ''}`);
    }
  }

  /** Raw kind number of `id` (0 for void). */
  rawKind(id: number): number {
    if (id === 0) return 0;
    if (id < this.firstId) {
      this.checkId(id);
      return this.base!.rawKind(id);
    }
    this.checkId(id);
    return this.kindAt(id - this.firstId);
  }

  /** Model kind of `id` without inflating it. */
  kindOf(id: TypeId | number): BtfKindName {
    if (id === 0) return 'void';
    return KIND_MODEL[this.rawKind(id)]!;
  }

  /** Name of `id` without inflating it ('' when anonymous). */
  nameOf(id: TypeId | number): string {
    if (id === 0) return '';
    if (id < this.firstId) {
      this.checkId(id);
      return this.base!.nameOf(id);
    }
    this.checkId(id);
    const i = id - this.firstId;
    return this.str(this.nameOffAt(i), () => `the name of type id ${id}`);
  }

  /** The type with this id, inflated on first use. */
  get(id: TypeId | number): BtfType {
    if (id === 0) return VOID;
    if (id < this.firstId) {
      this.checkId(id);
      return this.base!.get(id);
    }
    this.checkId(id);
    const i = id - this.firstId;
    let t = this.cache.get(i);
    if (t === undefined) this.cache.set(i, (t = this.inflate(id, i)));
    return t;
  }

  private inflate(id: number, i: number): BtfType {
    const u = this.words;
    const w = this.offsets[i]!;
    const info = u[w + 1]!;
    const kind = infoKind(info);
    const vlen = infoVlen(info);
    const kflag = infoKflag(info);
    const sizeOrType = u[w + 2]!;
    const p = this.typeStart + w * 4;
    const where = (): string => `type id ${id} (${KIND_NAMES[kind]}) at byte offset ${p}`;
    const name = this.str(u[w]!, where);
    const ref = (t: number, whatPart?: string): TypeId => {
      if (t >= this.count) {
        throw new BtfError(`type id ${t} out of range (valid: 0..${this.count - 1}) referenced by ${where()}${whatPart ? ` ${whatPart}` : ''}`);
      }
      return t as TypeId;
    };
    const tid = id as TypeId;
    const x = w + 3;
    switch (kind) {
      case Kind.Int: {
        const v = u[x]!;
        const enc = (v >>> 24) & 0x0f;
        return {
          id: tid,
          name,
          kind: 'int',
          size: sizeOrType,
          signed: (enc & INT_SIGNED) !== 0,
          char: (enc & INT_CHAR) !== 0,
          bool: (enc & INT_BOOL) !== 0,
          bits: v & 0xff,
          bitOffset: (v >>> 16) & 0xff,
        };
      }
      // Kinds that only name another type (in size_or_type).
      case Kind.Ptr:
      case Kind.Typedef:
      case Kind.Const:
      case Kind.Volatile:
      case Kind.Restrict:
      case Kind.TypeTag:
        return { id: tid, name, kind: KIND_MODEL[kind] as (BtfPtr | BtfRef)['kind'], target: ref(sizeOrType) };
      case Kind.Array:
        return {
          id: tid,
          name,
          kind: 'array',
          elem: ref(u[x]!, 'element'),
          index: ref(u[x + 1]!, 'index'),
          length: u[x + 2]!,
        };
      case Kind.Struct:
      case Kind.Union: {
        const members: BtfMember[] = new Array(vlen);
        for (let k = 0; k < vlen; k++) {
          const m = x + 3 * k;
          const off = u[m + 2]!;
          members[k] = {
            name: this.str(u[m]!, () => `member ${k} of ${where()}`),
            type: ref(u[m + 1]!, `member ${k}`),
            bitOffset: kflag ? off & 0xffffff : off,
            bitSize: kflag ? off >>> 24 : 0,
          };
        }
        return { id: tid, name, kind: kind === Kind.Struct ? 'struct' : 'union', size: sizeOrType, members };
      }
      case Kind.Enum:
      case Kind.Enum64: {
        const wide = kind === Kind.Enum64;
        const values = new Array<{ name: string; value: bigint }>(vlen);
        for (let k = 0; k < vlen; k++) {
          const e = x + (wide ? 3 : 2) * k;
          const vname = this.str(u[e]!, () => `enumerator ${k} of ${where()}`);
          let value: bigint;
          if (wide) {
            const v = (BigInt(u[e + 2]!) << 32n) | BigInt(u[e + 1]!);
            value = kflag ? BigInt.asIntN(64, v) : v;
          } else {
            value = BigInt(kflag ? u[e + 1]! | 0 : u[e + 1]!);
          }
          values[k] = { name: vname, value };
        }
        return { id: tid, name, kind: 'enum', size: sizeOrType, signed: kflag, wide, values };
      }
      case Kind.Fwd:
        return { id: tid, name, kind: 'fwd', of: kflag ? 'union' : 'struct' };
      case Kind.Func: {
        const linkage = LINKAGE[vlen];
        if (!linkage) throw new BtfError(`${where()}: unknown linkage ${vlen}`);
        return { id: tid, name, kind: 'func', proto: ref(sizeOrType), linkage };
      }
      case Kind.FuncProto: {
        const params: { name: string; type: TypeId }[] = [];
        let variadic = false;
        for (let k = 0; k < vlen; k++) {
          const q = x + 2 * k;
          const pname = this.str(u[q]!, () => `parameter ${k} of ${where()}`);
          const ptype = ref(u[q + 1]!, `parameter ${k}`);
          if (ptype === 0 && k === vlen - 1) variadic = true;
          else params.push({ name: pname, type: ptype });
        }
        return { id: tid, name, kind: 'func_proto', ret: ref(sizeOrType, 'return type'), params, variadic };
      }
      case Kind.Var: {
        const l = u[x]!;
        const linkage = LINKAGE[l];
        if (!linkage) throw new BtfError(`${where()}: unknown linkage ${l}`);
        return { id: tid, name, kind: 'var', type: ref(sizeOrType), linkage };
      }
      case Kind.Datasec: {
        const vars = new Array<{ type: TypeId; offset: number; size: number }>(vlen);
        for (let k = 0; k < vlen; k++) {
          const v = x + 3 * k;
          vars[k] = { type: ref(u[v]!, `variable ${k}`), offset: u[v + 1]!, size: u[v + 2]! };
        }
        return { id: tid, name, kind: 'datasec', size: sizeOrType, vars };
      }
      case Kind.Float:
        return { id: tid, name, kind: 'float', size: sizeOrType };
      case Kind.DeclTag:
        return { id: tid, name, kind: 'decl_tag', target: ref(sizeOrType), component: u[x]! | 0, value: name };
      default:
        throw new BtfError(`${where()}: unknown kind ${kind}`);
    }
  }

  /**
   * Builds the name → ids index now (normally built on the first by-name lookup). The index is
   * a hash table over the string table's bytes (FNV-1a), so building it allocates no strings.
   */
  buildNameIndex(): void {
    if (this.buckets) return;
    const offsets = this.offsets;
    const n = offsets.length;
    let cap = 1024;
    while (cap < n * 2) cap <<= 1;
    const buckets = new Int32Array(cap).fill(-1);
    const chain = new Int32Array(n).fill(-1);
    // Names are mostly shared (vmlinux strings are deduplicated), and ids with one name are
    // often adjacent; hash each distinct offset once in a row.
    const own = this.strings.bytes;
    const strBase = this.strBase;
    const words = this.words;
    const mask = cap - 1;
    let lastOff = -1;
    let lastHash = 0;
    // Insert from the highest id down so each chain lists ids in ascending order.
    for (let i = n - 1; i >= 0; i--) {
      const off = words[offsets[i]!]!;
      if (off === 0) continue;
      let h: number;
      if (off === lastOff) h = lastHash;
      else {
        h = off >= strBase ? fnv1a(own, off - strBase) : this.baseNameHash(off);
        lastOff = off;
        lastHash = h;
      }
      const b = h & mask;
      chain[i] = buckets[b]!;
      buckets[b] = i;
    }
    this.buckets = buckets;
    this.chain = chain;
  }

  private baseNameHash(off: number): number {
    const [bytes, at] = this.strBytes(off);
    return fnv1a(bytes, at);
  }

  /** Whether the name index has been built. */
  get hasNameIndex(): boolean {
    return this.buckets !== undefined;
  }

  /** @internal the string-table bytes holding combined offset `off`, and the local offset. */
  strBytes(off: number): [Uint8Array, number] {
    if (off < this.strBase) return this.base!.strBytes(off);
    return [this.strings.bytes, off - this.strBase];
  }

  /** Ids of this blob's own types named `name`, ascending. */
  private ownIdsByName(name: string): number[] {
    const out: number[] = [];
    if (name === '') return out;
    const q = encoder.encode(name);
    if (!this.buckets && this.scans < SCAN_LOOKUPS) {
      this.scans++;
      return this.scanIdsByName(q);
    }
    this.buildNameIndex();
    const h = fnv1a(q, 0, q.length);
    const buckets = this.buckets!;
    const chain = this.chain!;
    let lastOff = -1;
    for (let i = buckets[h & (buckets.length - 1)]!; i >= 0; i = chain[i]!) {
      const off = this.nameOffAt(i);
      if (off === lastOff || this.sameName(off, q)) {
        lastOff = off;
        out.push(this.firstId + i);
      }
    }
    return out;
  }

  /**
   * Lookup without the index: every offset at which `q` is a whole string (in this blob's
   * table and, for split BTF, the base's), then every record whose name_off word holds one of
   * them. Both searches are native indexOf scans; a hit in the type section counts only when
   * it is the first word of a record (binary search in `offsets`).
   */
  private scanIdsByName(q: Uint8Array): number[] {
    const nameOffs: number[] = [];
    for (let sp: BtfSpec | undefined = this; sp; sp = sp.base) {
      for (const at of sp.stringOffsetsOf(q)) nameOffs.push(sp.strBase + at);
    }
    const ids: number[] = [];
    const words = this.words;
    const offsets = this.offsets;
    for (const off of nameOffs) {
      for (let p = words.indexOf(off); p >= 0; p = words.indexOf(off, p + 1)) {
        const i = lowerBound(offsets, p);
        if (i < offsets.length && offsets[i] === p) ids.push(this.firstId + i);
      }
    }
    return ids.sort((a, b) => a - b);
  }

  /** Local offsets in this blob's own string table where the string `q` starts. */
  private stringOffsetsOf(q: Uint8Array): number[] {
    const bytes = this.strings.bytes;
    this.strBuf ??= Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    const needle = new Uint8Array(q.length + 2);
    needle.set(q, 1);
    const out: number[] = [];
    // Every string but the first follows a NUL. The first is '' in base BTF; split BTF's
    // table starts with a real string.
    if (bytes[q.length] === 0 && q.length < bytes.length && q.every((c, j) => bytes[j] === c)) out.push(0);
    for (let p = this.strBuf.indexOf(needle); p >= 0; p = this.strBuf.indexOf(needle, p + 1)) out.push(p + 1);
    return out;
  }

  private sameName(off: number, q: Uint8Array): boolean {
    const [bytes, at] = this.strBytes(off);
    if (at + q.length >= bytes.length) return false;
    for (let j = 0; j < q.length; j++) if (bytes[at + j] !== q[j]) return false;
    return bytes[at + q.length] === 0;
  }

  /** Ids of all types named `name` (base first), optionally of one kind. */
  idsByName(name: string, kind?: BtfKindName): TypeId[] {
    const ids = (this.base ? this.base.idsByName(name) : []).concat(this.ownIdsByName(name) as TypeId[]);
    return (kind ? ids.filter((id) => this.kindOf(id) === kind) : ids) as TypeId[];
  }

  /** All types named `name`, optionally of one kind. */
  byName(name: string, kind?: BtfKindName): BtfType[] {
    return this.idsByName(name, kind).map((id) => this.get(id));
  }

  /** The one type of this name and kind; ResolveError when there is none or several. */
  one<K extends BtfKindName>(name: string, kind: K): BtfOfKind<K> {
    const ids = this.idsByName(name, kind);
    if (ids.length === 0) throw new ResolveError(`no ${kind} named '${name}' in BTF`);
    if (ids.length > 1) {
      // Identical duplicates are common in vmlinux BTF (e.g. FUNC emitted twice); prefer the first.
      if (kind !== 'func') throw new ResolveError(`${ids.length} ${kind} types named '${name}' in BTF (ids ${ids.slice(0, 5).join(', ')})`);
    }
    return this.get(ids[0]!) as BtfOfKind<K>;
  }

  /** Every distinct type name, base first. */
  *names(): IterableIterator<string> {
    const seen = new Set<string>();
    for (let sp: BtfSpec | undefined = this; sp; sp = sp.base) {
      for (let id = sp.firstId; id < sp.count; id++) {
        const n = sp.nameOf(id);
        if (n !== '' && !seen.has(n)) {
          seen.add(n);
          yield n;
        }
      }
    }
  }

  /** This blob's own types, in id order. */
  *all(): IterableIterator<BtfType> {
    for (let id = this.firstId; id < this.count; id++) yield this.get(id);
  }

  /** Ids of this blob's own types of one kind, without inflating the others. */
  idsOfKind(kind: BtfKindName): TypeId[] {
    const out: TypeId[] = [];
    const n = this.offsets.length;
    for (let i = 0; i < n; i++) if (KIND_MODEL[this.kindAt(i)] === kind) out.push((this.firstId + i) as TypeId);
    return out;
  }

  underlying(id: TypeId | number): BtfType {
    return underlying(this, id);
  }
  sizeof(id: TypeId | number): number {
    return sizeof(this, id);
  }
  alignof(id: TypeId | number): number {
    return alignof(this, id);
  }
  memberPath(root: TypeId | number, path: readonly string[]): MemberLocation {
    return memberPath(this, root, path);
  }
}

/** Lookups answered by scanning before the name index is built (each scan is ~1 ms on vmlinux). */
const SCAN_LOOKUPS = 8;

/** 32-bit FNV-1a of the NUL-terminated bytes at `at` (or of `bytes[at, end)`). */
function fnv1a(bytes: Uint8Array, at: number, end = -1): number {
  let h = 0x811c9dc5;
  if (end >= 0) for (let j = at; j < end; j++) h = Math.imul(h ^ bytes[j]!, 0x01000193);
  else for (let j = at, c = bytes[j]!; c !== 0; c = bytes[++j]!) h = Math.imul(h ^ c, 0x01000193);
  return h >>> 0;
}

/** First index in the ascending `a` whose value is >= v. */
function lowerBound(a: Uint32Array, v: number): number {
  let lo = 0;
  let hi = a.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (a[mid]! < v) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/** Per raw kind: extra words after the 12-byte record (255 = unknown kind), and words per vlen. */
const FIXED_WORDS = new Uint8Array(32).fill(255);
const VLEN_WORDS = new Uint8Array(32);
for (let k = 0; k < 32; k++) {
  if (KIND_VALID[k] === 0) continue;
  FIXED_WORDS[k] = EXTRA_FIXED[k]! >>> 2;
  VLEN_WORDS[k] = EXTRA_PER_VLEN[k]! >>> 2;
}

/**
 * The open pass: the word index of every record, checking that each has a known kind, fits in
 * the section and names a string inside the table. It runs cold (interpreted until V8's
 * on-stack replacement kicks in) over ~130k records before the first lookup, so the loop does
 * one combined check per record and no allocation; the first bad record is diagnosed by
 * `walkError` after the fact, and returned rather than thrown.
 */
function walkRecords(words: Uint32Array, strEnd: number): Uint32Array | WalkError {
  const nwords = words.length;
  const fixed = FIXED_WORDS;
  const perVlen = VLEN_WORDS;
  // Every record is at least 3 words: this many slots always suffice.
  const offsets = new Uint32Array(Math.floor(nwords / 3) + 1);
  const last = nwords - 3;
  let n = 0;
  let w = 0;
  while (w <= last) {
    const info = words[w + 1]!;
    const kind = (info >>> 24) & 0x1f;
    const f = fixed[kind]!;
    const next = w + 3 + f + perVlen[kind]! * (info & 0xffff);
    if (f === 255 || next > nwords || words[w]! >= strEnd) return walkError(words, strEnd, n, w);
    offsets[n++] = w;
    w = next;
  }
  if (w !== nwords) return walkError(words, strEnd, n, w);
  return offsets.slice(0, n);
}

/** Why the record at word `w` (own index `n`) stopped the walk. */
function walkError(words: Uint32Array, strEnd: number, n: number, w: number): WalkError {
  const nwords = words.length;
  if (w + 3 > nwords) return { n, w, what: `record truncated (${(nwords - w) * 4} bytes left in the type section)` };
  const info = words[w + 1]!;
  const kind = (info >>> 24) & 0x1f;
  if (KIND_VALID[kind] === 0) return { n, w, what: `unknown kind ${kind}` };
  const next = w + 3 + FIXED_WORDS[kind]! + VLEN_WORDS[kind]! * (info & 0xffff);
  if (next > nwords) {
    return { n, w, what: `${KIND_NAMES[kind]} with vlen ${info & 0xffff} runs ${(next - nwords) * 4} bytes past the end of the type section` };
  }
  return { n, w, what: `name offset ${words[w]!} past the string table (${strEnd} bytes)` };
}

interface WalkError {
  readonly n: number;
  readonly w: number;
  readonly what: string;
}

/** The type section as host-order 32-bit words: zero-copy when possible. */
function typeWords(bytes: Uint8Array, h: BtfHeader): Uint32Array {
  const at = bytes.byteOffset + h.typeStart;
  const nwords = h.typeLen >>> 2;
  const hostLE = new Uint8Array(new Uint32Array([1]).buffer)[0] === 1;
  if (h.littleEndian === hostLE && at % 4 === 0) return new Uint32Array(bytes.buffer, at, nwords);
  const out = new Uint32Array(nwords);
  const dv = new DataView(bytes.buffer, at, h.typeLen);
  for (let i = 0; i < nwords; i++) out[i] = dv.getUint32(i * 4, h.littleEndian);
  return out;
}
