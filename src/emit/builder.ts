/**
 * ProgramBuilder: the one stateful helper of emit/. It collects instructions and
 * keeps what code generators need around them: unique labels bound to the next
 * instruction, a 512-byte stack budget, map references by name, pending comments.
 * build() checks the result and hands back a plain ProgramSpec.
 */
import { EmitError } from '../errors.js';
import { width, type Insn, type Label, type MapRef } from './insn.js';
import { resolve } from './assemble.js';
import * as op from './opcode.js';
import type { MapSpec, ProgramSpec } from './types.js';

/** The kernel's MAX_BPF_STACK. */
export const MAX_STACK = 512;

function sameMap(a: MapSpec, b: MapSpec): boolean {
  return a.type === b.type && a.keySize === b.keySize && a.valueSize === b.valueSize && a.maxEntries === b.maxEntries && (a.flags ?? 0) === (b.flags ?? 0);
}

function describeMap(m: MapSpec): string {
  return `type ${m.type}, key ${m.keySize}, value ${m.valueSize}, max ${m.maxEntries}, flags ${m.flags ?? 0}`;
}

function isTerminal(i: Insn): boolean {
  return i.opcode === (op.BPF_JMP | op.BPF_EXIT) || i.opcode === (op.BPF_JMP | op.BPF_JA) || i.opcode === (op.BPF_JMP32 | op.BPF_JA);
}

export class ProgramBuilder {
  readonly #insns: Insn[] = [];
  readonly #maps = new Map<string, { spec: MapSpec; ref: MapRef }>();
  /** Every label name handed out or bound, so newLabel() never collides. */
  readonly #names = new Set<Label>();
  readonly #bound = new Set<Label>();
  /** Labels waiting for the next instruction. */
  #pending: Label[] = [];
  /** Second and later labels bound to one instruction → the label that instruction carries. */
  readonly #alias = new Map<Label, Label>();
  #comments: string[] = [];
  #stack = 0;
  #counter = 0;

  constructor(
    readonly name: string,
    readonly type: number,
    readonly license: string = 'GPL',
  ) {}

  /** Bytes of stack handed out by stackAlloc(). */
  get stackUsed(): number {
    return this.#stack;
  }

  /** Number of instructions emitted so far. */
  get length(): number {
    return this.#insns.length;
  }

  /** Declares a map (once per name) and returns its reference. */
  map(spec: MapSpec): MapRef {
    if (spec.name.length === 0) throw new EmitError('a map needs a name');
    const have = this.#maps.get(spec.name);
    if (have) {
      if (!sameMap(have.spec, spec)) {
        throw new EmitError(`map '${spec.name}' declared twice with different specs: ${describeMap(have.spec)} vs ${describeMap(spec)}`);
      }
      return have.ref;
    }
    const ref: MapRef = Object.freeze({ name: spec.name });
    this.#maps.set(spec.name, { spec: Object.freeze({ ...spec }), ref });
    return ref;
  }

  /** A label name not used before in this builder: `${hint}_${n}`. */
  newLabel(hint: string): Label {
    let name: Label;
    do name = `${hint}_${this.#counter++}`;
    while (this.#names.has(name));
    this.#names.add(name);
    return name;
  }

  /** Binds `label` to the next emitted instruction. */
  bind(label: Label): this {
    if (label.length === 0) throw new EmitError('cannot bind an empty label');
    if (this.#bound.has(label)) throw new EmitError(`label '${label}' is bound twice`);
    this.#bound.add(label);
    this.#names.add(label);
    this.#pending.push(label);
    return this;
  }

  /**
   * Reserves `size` bytes of stack aligned to `align` (default 8) and returns the
   * (negative) offset from r10 of their start.
   */
  stackAlloc(size: number, align = 8): number {
    if (!Number.isInteger(size) || size <= 0) throw new EmitError(`bad stack allocation size ${size}`);
    if (!Number.isInteger(align) || align <= 0 || (align & (align - 1)) !== 0) {
      throw new EmitError(`stack alignment ${align} is not a power of two`);
    }
    const end = Math.ceil((this.#stack + size) / align) * align;
    if (end > MAX_STACK) {
      throw new EmitError(`program '${this.name}' needs ${end} bytes of stack, over the kernel's ${MAX_STACK}`, [
        'keep large values in a per-CPU array map instead of on the stack',
      ]);
    }
    this.#stack = end;
    return -end;
  }

  /** Attaches `text` to the next emitted instruction (joined with '; ' if several). */
  comment(text: string): this {
    this.#comments.push(text);
    return this;
  }

  emit(...insns: Insn[]): this {
    for (let i of insns) {
      if (i.label !== undefined) {
        if (this.#bound.has(i.label)) throw new EmitError(`label '${i.label}' is bound twice`);
        this.#bound.add(i.label);
        this.#names.add(i.label);
      }
      if (this.#pending.length > 0) {
        const [first, ...rest] = this.#pending;
        const carried = i.label ?? first!;
        if (i.label === undefined) i = { ...i, label: carried };
        for (const l of i.label === first ? rest : this.#pending) this.#alias.set(l, carried);
        this.#pending = [];
      }
      if (this.#comments.length > 0) {
        const text = [...this.#comments, ...(i.comment !== undefined ? [i.comment] : [])].join('; ');
        i = { ...i, comment: text };
        this.#comments = [];
      }
      this.#insns.push(Object.isFrozen(i) ? i : Object.freeze(i));
    }
    return this;
  }

  /** Instructions emitted so far (symbolic). */
  insns(): readonly Insn[] {
    return this.#insns.slice();
  }

  build(opts: { expectedAttachType?: number; attachBtfId?: number } = {}): ProgramSpec {
    const where = `program '${this.name}'`;
    if (this.#pending.length > 0) {
      throw new EmitError(`${where}: label(s) ${this.#pending.map((l) => `'${l}'`).join(', ')} bound past the end`);
    }
    if (this.#comments.length > 0) throw new EmitError(`${where}: comment '${this.#comments.join('; ')}' has no instruction after it`);
    const last = this.#insns[this.#insns.length - 1];
    if (last === undefined) throw new EmitError(`${where} is empty`);
    if (!isTerminal(last)) throw new EmitError(`${where} does not end in exit or an unconditional jump`);

    const insns = this.#insns.map((i) => {
      if (i.jumpTo === undefined) return i;
      const to = this.#alias.get(i.jumpTo);
      return to === undefined ? i : Object.freeze({ ...i, jumpTo: to });
    });
    insns.forEach((i, k) => {
      if (i.jumpTo !== undefined && !this.#bound.has(i.jumpTo)) {
        throw new EmitError(`${where}: insn ${k} jumps to label '${i.jumpTo}', which is never bound`);
      }
      if (i.mapRef !== undefined && !this.#maps.has(i.mapRef.name)) {
        throw new EmitError(`${where}: insn ${k} uses map '${i.mapRef.name}', which was not declared with map()`);
      }
    });
    resolve(insns); // distances must fit; the spec itself stays symbolic

    const slots = insns.reduce((n, i) => n + width(i), 0);
    if (slots > 1_000_000) throw new EmitError(`${where} has ${slots} instructions, over the kernel's 1M limit`);

    const spec: {
      -readonly [K in keyof ProgramSpec]: ProgramSpec[K];
    } = {
      name: this.name,
      type: this.type,
      license: this.license,
      insns: Object.freeze(insns),
      maps: Object.freeze([...this.#maps.values()].map((m) => m.spec)),
    };
    if (opts.expectedAttachType !== undefined) spec.expectedAttachType = opts.expectedAttachType;
    if (opts.attachBtfId !== undefined) spec.attachBtfId = opts.attachBtfId;
    return Object.freeze(spec);
  }
}
