/**
 * The C types expressions have: a closed union, independent of where the type came from
 * (kernel BTF, a built-in user-space struct, a tracepoint format, the spec itself).
 *
 * Records (struct/union) carry their members; BTF records are expanded lazily because kernel
 * structs point at each other without end (task_struct → mm_struct → task_struct …).
 *
 * Arithmetic follows C on LP64 (x86-64, arm64): char 1, short 2, int 4, long 8, pointer 8.
 * `char` is signed on x86-64 and unsigned on arm64.
 */
import { CheckError } from '../errors.js';
import type { BtfSpec, BtfType, TypeId } from '../btf/index.js';

export type IntSize = 1 | 2 | 4 | 8;

export interface IntType {
  readonly kind: 'int';
  readonly size: IntSize;
  readonly signed: boolean;
  /** How to print it: `int`, `u64`, `pid_t`, `enum pid_type`. Defaults to `u64`/`s32` style. */
  readonly name?: string;
}
export interface BoolType {
  readonly kind: 'bool';
}
export interface VoidType {
  readonly kind: 'void';
}
export interface PtrType {
  readonly kind: 'ptr';
  readonly to: CType;
  /** The pointed-to memory is user memory: dereferences use bpf_probe_read_user. */
  readonly user: boolean;
}
export interface ArrayType {
  readonly kind: 'array';
  readonly elem: CType;
  /** 0 for a flexible array member. */
  readonly length: number;
}
export interface Member {
  readonly name: string;
  /** Bits from the start of the record. */
  readonly bitOffset: number;
  /** 0 when not a bitfield. */
  readonly bitSize: number;
  readonly type: CType;
}
export interface RecordType {
  readonly kind: 'struct' | 'union';
  /** '' when anonymous. */
  readonly name: string;
  readonly size: number;
  /** Named members, with members of anonymous struct/union members flattened in. Lazy. */
  members(): readonly Member[];
  /** Where it came from, for messages and identity. */
  readonly origin: 'btf' | 'user' | 'tracepoint';
  /** A forward declaration BTF could not complete: members() is empty. */
  readonly incomplete?: boolean;
}
/** A NUL-terminated character buffer value (`$COMM`, a tracepoint `__data_loc char[]`). */
export interface StringType {
  readonly kind: 'string';
  readonly size: number;
}
/** A function (pointer targets only): calling is not supported. */
export interface FuncType {
  readonly kind: 'func';
}

export type CType = IntType | BoolType | VoidType | PtrType | ArrayType | RecordType | StringType | FuncType;

// ---------------------------------------------------------------------------------------------
// Constructors and the basic types
// ---------------------------------------------------------------------------------------------

export const int = (size: IntSize, signed: boolean, name?: string): IntType =>
  name === undefined ? { kind: 'int', size, signed } : { kind: 'int', size, signed, name };
export const S8 = int(1, true);
export const U8 = int(1, false);
export const S16 = int(2, true);
export const U16 = int(2, false);
export const S32 = int(4, true);
export const U32 = int(4, false);
export const S64 = int(8, true);
export const U64 = int(8, false);
/** C's `int`: the type of comparisons, `!`, `&&`, character constants. */
export const INT = int(4, true, 'int');
export const UINT = int(4, false, 'unsigned int');
export const LONG = int(8, true, 'long');
export const ULONG = int(8, false, 'unsigned long');
export const BOOL: BoolType = { kind: 'bool' };
export const VOID: VoidType = { kind: 'void' };
export const ptr = (to: CType, user: boolean): PtrType => ({ kind: 'ptr', to, user });

export function charSigned(): boolean {
  return process.arch !== 'arm64';
}

/** The C basic type names as the spec AST spells them. */
export function basicType(name: string): CType | undefined {
  switch (name) {
    case 'char':
      return int(1, charSigned(), 'char');
    case 'signed char':
      return int(1, true, 'signed char');
    case 'unsigned char':
      return int(1, false, 'unsigned char');
    case 'short':
      return int(2, true, 'short');
    case 'unsigned short':
      return int(2, false, 'unsigned short');
    case 'int':
      return INT;
    case 'unsigned int':
      return UINT;
    case 'long':
      return LONG;
    case 'unsigned long':
      return ULONG;
    case 'long long':
      return int(8, true, 'long long');
    case 'unsigned long long':
      return int(8, false, 'unsigned long long');
    case '_Bool':
      return BOOL;
    default:
      return undefined;
  }
}

/**
 * Typedef names every probe knows without BTF: the one table of their sizes and signedness
 * (argdist's type lists, spec casts and signatures, -I headers all read it through
 * knownTypedef). Its names are the lexer's TYPEDEF_NAMES (specs/grammar/lexer.ts, which cannot
 * import this layer); test/unit/compile/typedefs.test.ts keeps the two equal.
 */
const TYPEDEFS: Readonly<Record<string, CType>> = (() => {
  const t: Record<string, CType> = {};
  for (const [n, size, signed] of [
    ['u8', 1, false],
    ['u16', 2, false],
    ['u32', 4, false],
    ['u64', 8, false],
    ['s8', 1, true],
    ['s16', 2, true],
    ['s32', 4, true],
    ['s64', 8, true],
    ['__u8', 1, false],
    ['__u16', 2, false],
    ['__u32', 4, false],
    ['__u64', 8, false],
    ['__s8', 1, true],
    ['__s16', 2, true],
    ['__s32', 4, true],
    ['__s64', 8, true],
    ['__be16', 2, false],
    ['__be32', 4, false],
    ['__be64', 8, false],
    ['__le16', 2, false],
    ['__le32', 4, false],
    ['__le64', 8, false],
    ['uint8_t', 1, false],
    ['uint16_t', 2, false],
    ['uint32_t', 4, false],
    ['uint64_t', 8, false],
    ['int8_t', 1, true],
    ['int16_t', 2, true],
    ['int32_t', 4, true],
    ['int64_t', 8, true],
    ['uintptr_t', 8, false],
    ['intptr_t', 8, true],
    ['size_t', 8, false],
    ['ssize_t', 8, true],
    ['pid_t', 4, true],
    ['uid_t', 4, false],
    ['gid_t', 4, false],
    ['loff_t', 8, true],
    ['off_t', 8, true],
    ['gfp_t', 4, false],
    ['umode_t', 2, false],
    ['mode_t', 4, false],
    ['dev_t', 4, false],
    ['sector_t', 8, false],
    ['ktime_t', 8, true],
    ['time64_t', 8, true],
    ['time_t', 8, true],
    ['clockid_t', 4, true],
    ['fmode_t', 4, false],
    ['phys_addr_t', 8, false],
    ['dma_addr_t', 8, false],
    ['atomic_t', 4, true],
    ['atomic64_t', 8, true],
  ] as const) {
    t[n] = int(size, signed, n);
  }
  t.bool = BOOL;
  return t;
})();

export function knownTypedef(name: string): CType | undefined {
  return Object.hasOwn(TYPEDEFS, name) ? TYPEDEFS[name] : undefined;
}

/** Every name knownTypedef knows. */
export const KNOWN_TYPEDEF_NAMES: readonly string[] = Object.keys(TYPEDEFS);

// ---------------------------------------------------------------------------------------------
// Queries
// ---------------------------------------------------------------------------------------------

export function isInteger(t: CType): t is IntType | BoolType {
  return t.kind === 'int' || t.kind === 'bool';
}
/** Values that fit in a register: integers, bool, pointers. */
export function isScalar(t: CType): boolean {
  return t.kind === 'int' || t.kind === 'bool' || t.kind === 'ptr';
}
export function isRecord(t: CType): t is RecordType {
  return t.kind === 'struct' || t.kind === 'union';
}

/** Bytes of a value of type `t` (C sizeof); 0 for void, functions and flexible arrays. */
export function sizeOf(t: CType): number {
  switch (t.kind) {
    case 'int':
      return t.size;
    case 'bool':
      return 1;
    case 'ptr':
      return 8;
    case 'void':
    case 'func':
      return 0;
    case 'array':
      return t.length * sizeOf(t.elem);
    case 'struct':
    case 'union':
      return t.size;
    case 'string':
      return t.size;
  }
}

/** Size and signedness of a scalar's representation. */
export function scalarRep(t: CType): { size: IntSize; signed: boolean } {
  if (t.kind === 'int') return { size: t.size, signed: t.signed };
  if (t.kind === 'bool') return { size: 1, signed: false };
  if (t.kind === 'ptr') return { size: 8, signed: false };
  throw new Error(`internal: ${formatType(t)} is not a scalar`);
}

/** Member `name` of a record (anonymous members already flattened). */
export function findMember(t: RecordType, name: string): Member | undefined {
  return t.members().find((m) => m.name === name);
}

/** C spelling for messages: `u64`, `int`, `struct inode *`, `char[16]`. */
export function formatType(t: CType): string {
  switch (t.kind) {
    case 'int':
      return t.name ?? `${t.signed ? 's' : 'u'}${t.size * 8}`;
    case 'bool':
      return '_Bool';
    case 'void':
      return 'void';
    case 'func':
      return 'function';
    case 'ptr': {
      const inner = formatType(t.to);
      return `${t.user ? '__user ' : ''}${inner}${inner.endsWith('*') ? '*' : ' *'}`;
    }
    case 'array':
      return `${formatType(t.elem)}[${t.length || ''}]`;
    case 'struct':
    case 'union':
      return t.name ? `${t.kind} ${t.name}` : `anonymous ${t.kind}`;
    case 'string':
      return `char[${t.size}]`;
  }
}

/** Same type for the purposes of pointer compatibility (records by name and origin). */
export function sameType(a: CType, b: CType): boolean {
  if (a.kind !== b.kind) return false;
  switch (a.kind) {
    case 'int': {
      const bb = b as IntType;
      return a.size === bb.size && a.signed === bb.signed;
    }
    case 'ptr':
      return sameType(a.to, (b as PtrType).to);
    case 'array':
      return a.length === (b as ArrayType).length && sameType(a.elem, (b as ArrayType).elem);
    case 'struct':
    case 'union':
      return a.name === (b as RecordType).name && a.size === (b as RecordType).size;
    case 'string':
      return a.size === (b as StringType).size;
    default:
      return true;
  }
}

// ---------------------------------------------------------------------------------------------
// From BTF
// ---------------------------------------------------------------------------------------------

/**
 * The CType of a BTF type. `user` marks pointers found inside user memory (every pointer
 * reached from user memory points to user memory); BTF `type_tag("user")` on a pointer's
 * target (`char __user *`) also makes it a user pointer.
 */
export function fromBtf(btf: BtfSpec, id: TypeId | number, user = false, name?: string): CType {
  const cache = user ? userCache(btf) : kernelCache(btf);
  const key = Number(id);
  const hit = cache.get(key);
  if (hit && name === undefined) return hit;
  const t = convert(btf, id, user, name);
  if (name === undefined) cache.set(key, t);
  return t;
}

const kernelCaches = new WeakMap<BtfSpec, Map<number, CType>>();
const userCaches = new WeakMap<BtfSpec, Map<number, CType>>();
function kernelCache(btf: BtfSpec): Map<number, CType> {
  let m = kernelCaches.get(btf);
  if (!m) kernelCaches.set(btf, (m = new Map()));
  return m;
}
function userCache(btf: BtfSpec): Map<number, CType> {
  let m = userCaches.get(btf);
  if (!m) userCaches.set(btf, (m = new Map()));
  return m;
}

function convert(btf: BtfSpec, id: TypeId | number, user: boolean, alias: string | undefined, depth = 0): CType {
  if (depth > 40) throw new CheckError(`type id ${id}: typedef chain too deep`);
  const t: BtfType = btf.get(id);
  switch (t.kind) {
    case 'void':
      return VOID;
    case 'typedef':
      return convert(btf, t.target, user, alias ?? t.name, depth + 1);
    case 'const':
    case 'volatile':
    case 'restrict':
    case 'type_tag':
      return convert(btf, t.target, user, alias, depth + 1);
    case 'int': {
      if (t.bool) return BOOL;
      const size = t.size === 16 ? 8 : t.size; // __int128: keep the low half
      if (size !== 1 && size !== 2 && size !== 4 && size !== 8) return int(8, t.signed, alias ?? t.name);
      return int(size, t.signed, alias ?? t.name);
    }
    case 'enum': {
      const size = t.size === 1 || t.size === 2 || t.size === 4 || t.size === 8 ? t.size : 4;
      return int(size, t.signed, alias ?? (t.name ? `enum ${t.name}` : 'enum'));
    }
    case 'float':
      return int(t.size === 4 ? 4 : 8, false, alias ?? t.name); // raw bits; arithmetic on it is refused by the checker
    case 'ptr': {
      const tagged = user || hasUserTag(btf, t.target);
      return { kind: 'ptr', to: lazyTarget(btf, t.target, tagged), user: tagged };
    }
    case 'array':
      return { kind: 'array', elem: fromBtf(btf, t.elem, user), length: t.length };
    case 'struct':
    case 'union':
      return btfRecord(btf, t.id, t.kind, t.name, t.size, user);
    case 'fwd': {
      const full = btf.idsByName(t.name, t.of)[0];
      if (full !== undefined) return fromBtf(btf, full, user);
      return { kind: t.of, name: t.name, size: 0, members: () => [], origin: 'btf', incomplete: true };
    }
    case 'func_proto':
    case 'func':
      return { kind: 'func' };
    default:
      throw new CheckError(`type id ${id} is a ${t.kind}, not a value type`);
  }
}

/** Pointer targets are converted on first use: a struct's pointer members are cycles. */
function lazyTarget(btf: BtfSpec, id: TypeId, user: boolean): CType {
  const u = peel(btf, id);
  if (u.kind === 'struct' || u.kind === 'union') return fromBtf(btf, u.id, user);
  return fromBtf(btf, id, user);
}

function peel(btf: BtfSpec, id: TypeId | number): BtfType {
  let t = btf.get(id);
  for (let i = 0; i < 40 && (t.kind === 'typedef' || t.kind === 'const' || t.kind === 'volatile' || t.kind === 'restrict' || t.kind === 'type_tag'); i++) {
    t = btf.get(t.target);
  }
  return t;
}

function hasUserTag(btf: BtfSpec, id: TypeId | number): boolean {
  let t = btf.get(id);
  for (let i = 0; i < 40; i++) {
    if (t.kind === 'type_tag' && t.name === 'user') return true;
    if (t.kind === 'const' || t.kind === 'volatile' || t.kind === 'restrict' || t.kind === 'type_tag') t = btf.get(t.target);
    else return false;
  }
  return false;
}

function btfRecord(btf: BtfSpec, id: TypeId, kind: 'struct' | 'union', name: string, size: number, user: boolean): RecordType {
  let members: Member[] | undefined;
  return {
    kind,
    name,
    size,
    origin: 'btf',
    members() {
      if (members) return members;
      members = [];
      const flatten = (rid: TypeId | number, base: number): void => {
        const r = peel(btf, rid);
        if (r.kind !== 'struct' && r.kind !== 'union') return;
        for (const m of r.members) {
          if (m.name === '') flatten(m.type, base + m.bitOffset);
          else members!.push({ name: m.name, bitOffset: base + m.bitOffset, bitSize: m.bitSize, type: memberType(btf, m.type, user) });
        }
      };
      flatten(id, 0);
      return members;
    },
  };
}

function memberType(btf: BtfSpec, id: TypeId, user: boolean): CType {
  // Pointers and records convert lazily already; everything else is cheap.
  return fromBtf(btf, id, user);
}

/** A record built from explicit members (user-space structs, tracepoint records). */
export function makeRecord(kind: 'struct' | 'union', name: string, size: number, members: readonly Member[], origin: 'user' | 'tracepoint'): RecordType {
  return { kind, name, size, origin, members: () => members };
}

/** Copy of a type whose pointers (at any depth reached later) point to user memory. */
export function asUser(t: CType): CType {
  switch (t.kind) {
    case 'ptr':
      return t.user ? t : { kind: 'ptr', to: asUser(t.to), user: true };
    case 'array':
      return { kind: 'array', elem: asUser(t.elem), length: t.length };
    case 'struct':
    case 'union': {
      if (t.origin === 'user') return t;
      let ms: Member[] | undefined;
      return { ...t, members: () => (ms ??= t.members().map((m) => ({ ...m, type: asUser(m.type) }))) };
    }
    default:
      return t;
  }
}
