/**
 * C rendering of BTF types, following libbpf's btf_dump (what `bpftool btf dump … format c`
 * prints): declarators built from the chain of pointers/arrays/qualifiers/prototypes, anonymous
 * structs, unions and enums inlined, explicit `long: N;` padding where the compiler's natural
 * layout would differ, and `__attribute__((packed))` when the layout shows packing.
 *
 * Not reproduced: libbpf's renaming of clashing type and enumerator names (`foo___2`), which
 * depends on the whole-file emission order.
 */
import { BtfError, ResolveError } from '../errors.js';
import { alignof, ptrSize, sizeOrZero } from './resolve.js';
import type { BtfSpec } from './spec.js';
import type { BtfEnum, BtfStruct, TypeId } from './types.js';
import type { TracepointProto } from './func.js';

const MAX_DECL_CHAIN = 512;
const MAX_NESTING = 64;
const MAX_PAD_LINES = 1 << 16;

const pfx = (lvl: number): string => '\t'.repeat(Math.min(lvl, 16));
const roundup = (x: number, y: number): number => Math.ceil(x / y) * y;

class CWriter {
  s = '';
  private nesting = 0;
  private padTypes: readonly { name: string; bits: number }[] | undefined;

  constructor(private readonly spec: BtfSpec) {}

  /** Padding types, widest first; computed when a struct needs them (ptrSize is a lookup). */
  private get pads(): readonly { name: string; bits: number }[] {
    return (this.padTypes ??= [
      { name: 'long', bits: ptrSize(this.spec) * 8 },
      { name: 'int', bits: 32 },
      { name: 'short', bits: 16 },
      { name: 'char', bits: 8 },
    ]);
  }

  private align(id: number): number {
    try {
      return alignof(this.spec, id);
    } catch (e) {
      if (e instanceof ResolveError) return 0;
      throw e;
    }
  }

  /** Declaration of `fname` with type `id` (btf_dump_emit_type_decl). */
  typeDecl(id: number, fname: string, lvl: number): void {
    const decls: number[] = [];
    let cur = id;
    for (;;) {
      if (decls.length >= MAX_DECL_CHAIN) throw new BtfError(`type id ${id}: declarator chain longer than ${MAX_DECL_CHAIN} (reference loop?)`);
      decls.push(cur);
      if (cur === 0) break;
      const t = this.spec.get(cur);
      if (t.kind === 'ptr' || t.kind === 'const' || t.kind === 'volatile' || t.kind === 'restrict' || t.kind === 'type_tag') cur = t.target;
      else if (t.kind === 'func_proto') cur = t.ret;
      else if (t.kind === 'array') cur = t.elem;
      else break;
    }
    this.chain(decls, fname, lvl);
  }

  private emitMods(decls: number[]): void {
    while (decls.length) {
      const id = decls[decls.length - 1]!;
      const k = id === 0 ? 'void' : this.spec.kindOf(id);
      if (k === 'volatile') this.s += 'volatile ';
      else if (k === 'const') this.s += 'const ';
      else if (k === 'restrict') this.s += 'restrict ';
      else return;
      decls.pop();
    }
  }

  private dropMods(decls: number[]): void {
    while (decls.length) {
      const id = decls[decls.length - 1]!;
      const k = id === 0 ? 'void' : this.spec.kindOf(id);
      if (k !== 'volatile' && k !== 'const' && k !== 'restrict' && k !== 'type_tag') return;
      decls.pop();
    }
  }

  private emitName(fname: string, lastWasPtr: boolean): void {
    this.s += fname && !lastWasPtr ? ` ${fname}` : fname;
  }

  private chain(decls: number[], fname: string, lvl: number): void {
    let lastWasPtr = true;
    while (decls.length) {
      const id = decls.pop()!;
      if (id === 0) {
        this.emitMods(decls);
        this.s += 'void';
        lastWasPtr = false;
        continue;
      }
      const t = this.spec.get(id);
      switch (t.kind) {
        case 'int':
        case 'float':
          this.emitMods(decls);
          this.s += t.name;
          break;
        case 'struct':
        case 'union':
          this.emitMods(decls);
          if (t.name === '') this.structDef(t, lvl);
          else this.s += `${t.kind} ${t.name}`;
          break;
        case 'enum':
          this.emitMods(decls);
          if (t.name === '') this.enumDef(t, lvl);
          else this.s += `enum ${t.name}`;
          break;
        case 'fwd':
          this.emitMods(decls);
          this.s += `${t.of} ${t.name}`;
          break;
        case 'typedef':
          this.emitMods(decls);
          this.s += t.name;
          break;
        case 'ptr':
          this.s += lastWasPtr ? '*' : ' *';
          break;
        case 'volatile':
          this.s += ' volatile';
          break;
        case 'const':
          this.s += ' const';
          break;
        case 'restrict':
          this.s += ' restrict';
          break;
        case 'type_tag':
          this.emitMods(decls);
          this.s += ` __attribute__((btf_type_tag("${t.name}")))`;
          break;
        case 'array': {
          // GCC puts const/volatile on arrays of const elements; C has no such thing: drop them.
          this.dropMods(decls);
          if (decls.length === 0) {
            this.emitName(fname, lastWasPtr);
            this.s += `[${t.length}]`;
            return;
          }
          const next = decls[decls.length - 1]!;
          const multidim = next !== 0 && this.spec.kindOf(next) === 'array';
          if (fname && !lastWasPtr) this.s += ' ';
          if (!multidim) this.s += '(';
          this.chain(decls, fname, lvl);
          if (!multidim) this.s += ')';
          this.s += `[${t.length}]`;
          return;
        }
        case 'func_proto': {
          // GCC marks noreturn function pointers volatile; drop such qualifiers too.
          this.dropMods(decls);
          if (decls.length) {
            this.s += ' (';
            this.chain(decls, fname, lvl);
            this.s += ')';
          } else {
            this.emitName(fname, lastWasPtr);
          }
          this.s += '(';
          if (t.params.length === 0) {
            this.s += 'void)';
            return;
          }
          this.enter(id);
          t.params.forEach((p, i) => {
            if (i > 0) this.s += ', ';
            this.typeDecl(p.type, p.name, lvl);
          });
          this.nesting--;
          if (t.variadic) this.s += ', ...';
          this.s += ')';
          return;
        }
        default:
          // func, var, datasec, decl_tag cannot appear inside a C declarator.
          throw new BtfError(`type id ${id} (${t.kind}) cannot appear in a C declaration`);
      }
      lastWasPtr = t.kind === 'ptr';
    }
    this.emitName(fname, lastWasPtr);
  }

  private enter(id: number): void {
    if (++this.nesting > MAX_NESTING) throw new BtfError(`type id ${id}: nested deeper than ${MAX_NESTING} (reference loop?)`);
  }

  private isPacked(t: BtfStruct): boolean {
    let max = 1;
    for (const m of t.members) {
      const a = this.align(m.type);
      if (a && m.bitSize === 0 && m.bitOffset % (8 * a) !== 0) return true;
      if (a > max) max = a;
    }
    return t.size % max !== 0;
  }

  private bitPadding(cur: number, next: number, nextAlign: number, inBitfield: boolean, lvl: number): void {
    if (cur >= next) return;
    const pads = this.pads;
    let newOff = 0;
    let padBits = 0;
    let padType = '';
    for (const p of pads) {
      padBits = p.bits;
      padType = p.name;
      newOff = roundup(cur, padBits);
      if (newOff <= next) break;
    }
    if ((next - cur) / 8 > MAX_PAD_LINES * 8) throw new BtfError(`padding of ${next - cur} bits is absurd`);
    if (newOff > cur && newOff <= next) {
      if (inBitfield || (newOff === next && roundup(cur, Math.max(1, nextAlign) * 8) !== newOff) || (newOff !== next && next - newOff <= newOff - cur)) {
        this.s += `\n${pfx(lvl)}${padType}: ${inBitfield ? newOff - cur : 0};`;
      }
      cur = newOff;
    }
    while (cur !== next) {
      const bits = Math.min(next - cur, padBits);
      if (bits === padBits) {
        this.s += `\n${pfx(lvl)}${padType}: ${padBits};`;
        cur += bits;
        continue;
      }
      for (let i = pads.length - 1; i >= 0; i--) {
        padType = pads[i]!.name;
        padBits = pads[i]!.bits;
        if (padBits < bits) continue;
        this.s += `\n${pfx(lvl)}${padType}: ${bits};`;
        cur += bits;
        break;
      }
    }
  }

  /** btf_dump_emit_struct_def */
  structDef(t: BtfStruct, lvl: number): void {
    this.enter(t.id);
    const isStruct = t.kind === 'struct';
    const packed = isStruct ? this.isPacked(t) : false;
    const align = packed ? 1 : this.align(t.id);
    this.s += `${t.kind}${t.name ? ' ' : ''}${t.name} {`;
    let off = 0;
    let prevBitfield = false;
    for (const m of t.members) {
      const mAlign = packed ? 1 : this.align(m.type);
      const inBitfield = prevBitfield && m.bitSize !== 0;
      this.bitPadding(off, m.bitOffset, mAlign, inBitfield, lvl + 1);
      this.s += `\n${pfx(lvl + 1)}`;
      this.typeDecl(m.type, m.name, lvl + 1);
      if (m.bitSize) {
        this.s += `: ${m.bitSize}`;
        off = m.bitOffset + m.bitSize;
        prevBitfield = true;
      } else {
        off = m.bitOffset + sizeOrZero(this.spec, m.type) * 8;
        prevBitfield = false;
      }
      this.s += ';';
    }
    if (isStruct) this.bitPadding(off, t.size * 8, align, false, lvl + 1);
    if (t.members.length || t.size) this.s += `\n${pfx(lvl)}}`;
    else this.s += '}';
    if (packed) this.s += ' __attribute__((packed))';
    this.nesting--;
  }

  /** btf_dump_emit_enum_def */
  enumDef(t: BtfEnum, lvl: number): void {
    this.s += `enum${t.name ? ' ' : ''}${t.name}`;
    if (t.values.length === 0) return;
    this.s += ' {';
    const suffix = t.wide ? (t.signed ? 'LL' : 'ULL') : '';
    for (const v of t.values) this.s += `\n${pfx(lvl + 1)}${v.name} = ${v.value}${suffix},`;
    this.s += `\n${pfx(lvl)}}`;
  }
}

/**
 * A type as C, optionally declaring `name`: `struct file *`, `char [16]`-style declarators such
 * as `char comm[16]`, `void (*cb)(int)`. Named structs/unions/enums print as references
 * (`struct task_struct`); anonymous ones are inlined. A FUNC prints as its signature.
 */
export function formatC(spec: BtfSpec, id: TypeId | number, name = ''): string {
  const t = spec.get(id);
  if (t.kind === 'func') return formatFuncSignature(spec, id);
  const w = new CWriter(spec);
  w.typeDecl(id, name, 0);
  return w.s;
}

/** `ssize_t vfs_read(struct file *file, char *buf, size_t count, loff_t *pos)` */
export function formatFuncSignature(spec: BtfSpec, funcId: TypeId | number): string {
  const f = spec.get(funcId);
  if (f.kind !== 'func') throw new ResolveError(`type id ${funcId} is a ${f.kind}, not a function`);
  const proto = spec.get(f.proto);
  if (proto.kind !== 'func_proto') throw new BtfError(`function '${f.name}' (type id ${f.id}) points at a ${proto.kind}, not a FUNC_PROTO`);
  const w = new CWriter(spec);
  w.typeDecl(f.proto, f.name, 0);
  return w.s;
}

/**
 * A tracepoint's arguments as the C declaration of a function named after it, without the
 * probe's own `void *` (`void sched_switch(bool preempt, struct task_struct *prev, …)`).
 * Unnamed arguments print as their types.
 */
export function formatTracepointProto(spec: BtfSpec, tp: TracepointProto): string {
  const params = tp.params.map((p) => {
    const w = new CWriter(spec);
    w.typeDecl(p.type, p.name, 0);
    return w.s;
  });
  return `void ${tp.name}(${params.length ? params.join(', ') : 'void'})`;
}

/**
 * The full C declaration of a type, as bpftool's `format c` prints it (without the blank line
 * after it): `struct x {\n\t…\n};`, `enum e {…};`, `typedef … name;`, `struct x;` for a FWD.
 */
export function formatDecl(spec: BtfSpec, id: TypeId | number): string {
  const t = spec.get(id);
  const w = new CWriter(spec);
  switch (t.kind) {
    case 'struct':
    case 'union':
      w.structDef(t, 0);
      return `${w.s};`;
    case 'enum':
      w.enumDef(t, 0);
      return `${w.s};`;
    case 'fwd':
      return `${t.of} ${t.name};`;
    case 'typedef':
      if (t.target === 0 && t.name === '__gnuc_va_list') return '__builtin_va_list __gnuc_va_list;';
      w.s = 'typedef ';
      w.typeDecl(t.target, t.name, 0);
      return `${w.s};`;
    case 'func':
      return `${formatFuncSignature(spec, id)};`;
    case 'var':
      w.typeDecl(t.type, t.name, 0);
      return `${w.s};`;
    case 'datasec':
    case 'decl_tag':
      throw new ResolveError(`type id ${id} (${t.kind}) has no C declaration`);
    default:
      w.typeDecl(id, '', 0);
      return `${w.s};`;
  }
}
