/**
 * Questions about types that follow references: underlying type, size, alignment, and member
 * paths through anonymous struct/union members. Every chain is bounded (libbpf's
 * MAX_RESOLVE_DEPTH = 32), so a reference loop in corrupt BTF is a BtfError, not a hang.
 */
import { BtfError, ResolveError } from '../errors.js';
import { MAX_RESOLVE_DEPTH } from './wire.js';
import { isRef, type BtfStruct, type BtfType, type TypeId } from './types.js';
import type { BtfSpec } from './spec.js';

/** Peels typedef, const, volatile, restrict and type_tag. */
export function underlying(spec: BtfSpec, id: TypeId | number): BtfType {
  let t = spec.get(id);
  for (let depth = 0; isRef(t); depth++) {
    if (depth >= MAX_RESOLVE_DEPTH) {
      throw new BtfError(`type id ${id}: typedef/qualifier chain longer than ${MAX_RESOLVE_DEPTH} (reference loop?)`);
    }
    t = spec.get(t.target);
  }
  return t;
}

/** Size of a pointer in this BTF: the size of `long` if the blob has it, else 8 (as libbpf). */
export function ptrSize(spec: BtfSpec): number {
  if (spec.ptrSizeCache) return spec.ptrSizeCache;
  let size = 8;
  for (const name of ['long int', 'long unsigned int', 'long', 'unsigned long', 'long signed int']) {
    const hit = spec.idsByName(name, 'int')[0];
    if (hit !== undefined) {
      const t = spec.get(hit);
      if (t.kind === 'int' && (t.size === 4 || t.size === 8)) {
        size = t.size;
        break;
      }
    }
  }
  spec.ptrSizeCache = size;
  return size;
}

/** Size in bytes of a value of this type (btf__resolve_size). ResolveError for sizeless kinds. */
export function sizeof(spec: BtfSpec, id: TypeId | number): number {
  let t = spec.get(id);
  let mult = 1;
  for (let depth = 0; ; depth++) {
    if (depth > MAX_RESOLVE_DEPTH) {
      throw new BtfError(`type id ${id}: reference chain longer than ${MAX_RESOLVE_DEPTH} while computing its size (reference loop?)`);
    }
    switch (t.kind) {
      case 'int':
      case 'enum':
      case 'struct':
      case 'union':
      case 'float':
      case 'datasec': {
        const total = t.size * mult;
        if (total > 0xffffffff) throw new BtfError(`type id ${id}: size ${total} overflows u32`);
        return total;
      }
      case 'ptr':
        return ptrSize(spec) * mult;
      case 'typedef':
      case 'const':
      case 'volatile':
      case 'restrict':
      case 'type_tag':
        t = spec.get(t.target);
        break;
      case 'var':
        t = spec.get(t.type);
        break;
      case 'array':
        mult *= t.length;
        if (mult > 0xffffffff) throw new BtfError(`type id ${id}: array size overflows u32`);
        t = spec.get(t.elem);
        break;
      default:
        throw new ResolveError(`type id ${id} (${describe(spec, id)}) has no size: it is ${t.kind === 'void' ? 'void' : `a ${t.kind}`}`);
    }
  }
}

/** sizeof that never throws ResolveError for sizeless kinds (returns 0), as libbpf's max(0, …). */
export function sizeOrZero(spec: BtfSpec, id: TypeId | number): number {
  try {
    return sizeof(spec, id);
  } catch (e) {
    if (e instanceof ResolveError) return 0;
    throw e;
  }
}

/** Natural alignment in bytes (btf__align_of); a struct whose layout shows packing aligns to 1. */
export function alignof(spec: BtfSpec, id: TypeId | number): number {
  return alignAt(spec, id, 0);
}

function alignAt(spec: BtfSpec, id: TypeId | number, depth: number): number {
  if (depth > MAX_RESOLVE_DEPTH) {
    throw new BtfError(`type id ${id}: nesting deeper than ${MAX_RESOLVE_DEPTH} while computing alignment (reference loop?)`);
  }
  const t = spec.get(id);
  switch (t.kind) {
    case 'int':
    case 'enum':
    case 'float':
      return Math.min(ptrSize(spec), t.size);
    case 'ptr':
      return ptrSize(spec);
    case 'typedef':
    case 'const':
    case 'volatile':
    case 'restrict':
    case 'type_tag':
      return alignAt(spec, t.target, depth + 1);
    case 'array':
      return alignAt(spec, t.elem, depth + 1);
    case 'struct':
    case 'union': {
      let max = 1;
      for (const m of t.members) {
        const a = alignAt(spec, m.type, depth + 1);
        if (a <= 0) return 1;
        if (a > max) max = a;
        if (m.bitSize === 0 && m.bitOffset % (8 * a) !== 0) return 1;
      }
      if (t.size % max !== 0) return 1;
      return max;
    }
    default:
      throw new ResolveError(`type id ${id} (${describe(spec, id)}) has no alignment: it is ${t.kind === 'void' ? 'void' : `a ${t.kind}`}`);
  }
}

/** Where a member lives relative to the start of the root type. */
export interface MemberLocation {
  /** Bits from the start of the root type. */
  readonly bitOffset: number;
  /** 0 when the member is not a bitfield. */
  readonly bitSize: number;
  /** The member's declared type (not peeled). */
  readonly type: TypeId;
}

/** A short human description: `struct task_struct`, `typedef u32`, `int`. */
export function describe(spec: BtfSpec, id: TypeId | number): string {
  const t = spec.get(id);
  switch (t.kind) {
    case 'void':
      return 'void';
    case 'struct':
    case 'union':
    case 'enum':
    case 'typedef':
      return t.name ? `${t.kind} ${t.name}` : `anonymous ${t.kind}`;
    case 'fwd':
      return `${t.of} ${t.name}`;
    default:
      return t.name ? `${t.kind} ${t.name}` : t.kind;
  }
}

/**
 * Resolves `root.a.b…`: each step looks into a struct/union (typedefs and qualifiers peeled),
 * including members of anonymous struct/union members, and adds up the bit offsets. Does not
 * dereference pointers.
 */
export function memberPath(spec: BtfSpec, root: TypeId | number, path: readonly string[]): MemberLocation {
  let type = root as TypeId;
  let bitOffset = 0;
  let bitSize = 0;
  let shown = describe(spec, root);
  for (const name of path) {
    const t = underlying(spec, type);
    if (t.kind !== 'struct' && t.kind !== 'union') {
      const hint = t.kind === 'ptr' ? ['member paths do not follow pointers; dereference first'] : [];
      throw new ResolveError(`cannot look up member '${name}': ${shown} is not a struct or union (it is ${describe(spec, t.id)})`, hint);
    }
    const hit = findMember(spec, t, name, 0);
    if (!hit) {
      const cands = memberNames(spec, t, 0);
      const sugg = suggest(name, cands);
      throw new ResolveError(
        `${describe(spec, t.id)} has no member named '${name}'`,
        sugg.length ? [`did you mean ${sugg.map((s) => `'${s}'`).join(', ')}?`] : [],
      );
    }
    bitOffset += hit.bitOffset;
    bitSize = hit.bitSize;
    type = hit.type;
    shown = `member '${name}' (${describe(spec, type)})`;
  }
  return { bitOffset, bitSize, type };
}

function findMember(spec: BtfSpec, t: BtfStruct, name: string, depth: number): MemberLocation | undefined {
  if (depth > MAX_RESOLVE_DEPTH) throw new BtfError(`type id ${t.id}: anonymous members nested deeper than ${MAX_RESOLVE_DEPTH}`);
  for (const m of t.members) {
    if (m.name === name) return { bitOffset: m.bitOffset, bitSize: m.bitSize, type: m.type };
  }
  for (const m of t.members) {
    if (m.name !== '') continue;
    const u = underlying(spec, m.type);
    if (u.kind !== 'struct' && u.kind !== 'union') continue;
    const hit = findMember(spec, u, name, depth + 1);
    if (hit) return { bitOffset: m.bitOffset + hit.bitOffset, bitSize: hit.bitSize, type: hit.type };
  }
  return undefined;
}

/** Names reachable as members of `t`, looking through anonymous members. */
export function memberNames(spec: BtfSpec, t: BtfStruct, depth = 0): string[] {
  if (depth > MAX_RESOLVE_DEPTH) return [];
  const out: string[] = [];
  for (const m of t.members) {
    if (m.name !== '') out.push(m.name);
    else {
      const u = underlying(spec, m.type);
      if (u.kind === 'struct' || u.kind === 'union') out.push(...memberNames(spec, u, depth + 1));
    }
  }
  return out;
}

/** Up to `max` candidates close to `name` (edit distance, then prefix/substring matches). */
export function suggest(name: string, candidates: Iterable<string>, max = 3): string[] {
  const limit = Math.max(2, Math.floor(name.length / 3));
  const scored: { c: string; d: number }[] = [];
  const seen = new Set<string>();
  for (const c of candidates) {
    if (seen.has(c) || c === name) continue;
    seen.add(c);
    if (Math.abs(c.length - name.length) > limit && !c.includes(name) && !name.includes(c)) continue;
    let d = editDistance(name, c, limit + 1);
    if (d > limit && (c.includes(name) || (name.includes(c) && c.length >= 3))) d = limit;
    if (d <= limit) scored.push({ c, d });
  }
  scored.sort((a, b) => a.d - b.d || a.c.localeCompare(b.c));
  return scored.slice(0, max).map((s) => s.c);
}

function editDistance(a: string, b: string, cap: number): number {
  const n = b.length;
  let prev = new Array<number>(n + 1);
  let cur = new Array<number>(n + 1);
  for (let j = 0; j <= n; j++) prev[j] = j;
  for (let i = 1; i <= a.length; i++) {
    cur[0] = i;
    let rowMin = i;
    for (let j = 1; j <= n; j++) {
      const cost = a.charCodeAt(i - 1) === b.charCodeAt(j - 1) ? 0 : 1;
      cur[j] = Math.min(prev[j]! + 1, cur[j - 1]! + 1, prev[j - 1]! + cost);
      if (cur[j]! < rowMin) rowMin = cur[j]!;
    }
    if (rowMin > cap) return cap + 1;
    [prev, cur] = [cur, prev];
  }
  return prev[n]!;
}
