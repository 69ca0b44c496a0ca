/**
 * Where constants come from, each a ConstantSource (scope.ts):
 *  - the running kernel's BTF: enumerators by name (`SOCK_STREAM`, `IPPROTO_UDP`,
 *    `TCP_ESTABLISHED`), and GFP bits where the kernel numbers them in an enum (6.10+:
 *    `___GFP_HIGH_BIT`, whose flag `__GFP_HIGH` is `1 << ___GFP_HIGH_BIT`);
 *  - the running kernel's print formats: kmem events print gfp flags by name, so tracefs
 *    holds every `GFP_*` composite as this kernel computes it (GFP_ATOMIC lost __GFP_ATOMIC
 *    in 6.4, GFP_NOWAIT gained __GFP_NOWARN later: no fixed table can know);
 *  - the uapi table (uapi.ts), generated from linux-libc-dev;
 *  - headers (kernel headers installed for the running kernel, `-I` files), read by cpp.ts.
 */
import type { BtfSpec } from '../../btf/index.js';
import {
  evalMacro,
  evaluate,
  MacroError,
  readHeader,
  tokenize,
  type CValue,
  type HeaderMacros,
  type Lookup,
  type MacroDef,
  type Tok,
  type TypeLookup,
} from './cpp.js';
import { aliasOf, type Constant, type ConstantSource, type MemberAlias } from './scope.js';

/** C's type of an enumerator or a bare number: int when it fits, else the next that does. */
function enumType(v: bigint): Pick<CValue, 'size' | 'signed'> {
  if (v >= -(1n << 31n) && v < 1n << 31n) return { size: 4, signed: true };
  if (v >= 0n && v < 1n << 32n) return { size: 4, signed: false };
  if (v >= -(1n << 63n) && v < 1n << 63n) return { size: 8, signed: true };
  return { size: 8, signed: false };
}

/** Every enumerator of a BTF blob by name: its distinct values and the enums that hold it. */
export function enumerators(btf: BtfSpec): Map<string, { values: bigint[]; enums: string[] }> {
  const out = new Map<string, { values: bigint[]; enums: string[] }>();
  for (const id of btf.idsOfKind('enum')) {
    const t = btf.get(id);
    if (t.kind !== 'enum') continue;
    for (const v of t.values) {
      let e = out.get(v.name);
      if (!e) out.set(v.name, (e = { values: [], enums: [] }));
      if (!e.values.includes(v.value)) e.values.push(v.value);
      e.enums.push(t.name ? `enum ${t.name}` : 'anonymous enum');
    }
  }
  return out;
}

/** Enumerators of the running kernel's BTF (loaded on the first name asked). */
export function btfEnumSource(btf: () => BtfSpec | undefined): ConstantSource {
  let index: Map<string, { values: bigint[]; enums: string[] }> | undefined;
  const table = () => {
    if (!index) {
      const b = btf();
      index = b ? enumerators(b) : new Map();
    }
    return index;
  };
  const one = (name: string): { value: bigint; from: string } | undefined => {
    const e = table().get(name);
    if (!e) return undefined;
    if (e.values.length > 1) throw new MacroError(`kernel BTF has ${name} with ${e.values.length} values (${[...new Set(e.enums)].join(', ')})`);
    return { value: e.values[0]!, from: e.enums[0]! };
  };
  return {
    name: 'kernel BTF',
    unavailable: () => (btf() ? '' : 'not available'),
    constant(name) {
      const hit = one(name);
      if (hit) return { name, value: hit.value, ...enumType(hit.value), source: `kernel BTF (${hit.from})` };
      // 6.10+ number the GFP bits in an enum; the flags are `BIT(___GFP_X_BIT)` as gfp_t.
      const gfp = /^_{2,3}GFP_(\w+)$/.exec(name);
      if (gfp && gfp[1] !== 'LAST') {
        const bit = one(`___GFP_${gfp[1]}_BIT`);
        if (bit) return { name, value: 1n << bit.value, size: 4, signed: false, source: `kernel BTF (1 << ___GFP_${gfp[1]}_BIT)` };
      }
      return undefined;
    },
  };
}

/**
 * The `{value, "NAME"}` pairs of `__print_flags`/`__print_symbolic` in a tracepoint's print
 * format whose names match `keep`, each value evaluated as the format writes it.
 */
export function printFormatNames(printFmt: string, keep: RegExp): Map<string, CValue> {
  const toks = tokenize(printFmt);
  const out = new Map<string, CValue>();
  for (let i = 0; i < toks.length; i++) {
    if (toks[i]!.v !== '{') continue;
    let depth = 0;
    let comma = -1;
    let j = i + 1;
    for (; j < toks.length; j++) {
      const v = toks[j]!.v;
      if (v === '(' || v === '{') depth++;
      else if (v === ')') depth--;
      else if (v === '}' && depth-- === 0) break;
      else if (v === ',' && depth === 0) comma = j;
    }
    const name = toks[comma + 1];
    if (comma < 0 || j !== comma + 2 || name?.t !== 'str') continue;
    const n = name.v.slice(1, -1);
    if (!keep.test(n)) continue;
    try {
      out.set(
        n,
        evaluate(toks.slice(i + 1, comma), () => undefined),
      );
    } catch {
      // a value this reader cannot evaluate: the name stays unknown here
    }
  }
  return out;
}

/**
 * GFP flag names as the running kernel prints them (tracefs `kmem/kmalloc`'s print format,
 * where the kernel expands show_gfp_flags): `GFP_ATOMIC`, `GFP_KERNEL`, `__GFP_HIGH`, …
 * `printFmt` returns undefined without tracefs (or that event).
 */
export function printFormatSource(printFmt: () => string | undefined, where: string): ConstantSource {
  let names: Map<string, CValue> | undefined;
  return {
    name: `kernel print formats (${where})`,
    unavailable: () => (printFmt() === undefined ? 'not available' : ''),
    constant(name) {
      if (!/^_{0,2}GFP_\w+$/.test(name)) return undefined;
      names ??= new Map(printFormatNames(printFmt() ?? '', /^_{0,2}GFP_\w+$/));
      const v = names.get(name);
      // gfp_t is unsigned int: the format casts each value to unsigned long for printing.
      return v ? { name, value: BigInt.asUintN(32, v.value), size: 4, signed: false, source: `kernel print formats (${where})` } : undefined;
    },
  };
}

// ---------------------------------------------------------------------------------------------
// Headers
// ---------------------------------------------------------------------------------------------

/** The files of a set of headers: I/O stays with the caller. */
export interface HeaderFiles {
  /** Every header path, the ones to prefer first (arch over generic, …). */
  paths(): readonly string[];
  read(path: string): string | undefined;
}

/** The most headers one name is looked for in (a name defined all over the tree). */
const MAX_FILES_PER_NAME = 16;

function numberTok(c: CValue): Tok {
  const suffix = (c.signed ? '' : 'U') + (c.size === 8 ? 'L' : '');
  return { t: 'num', v: `${c.value < 0n ? -c.value : c.value}${suffix}` };
}

/** A constant another source knows, as a definition cpp can expand. */
export function constantDef(c: Constant): MacroDef {
  const n = numberTok(c);
  const body: Tok[] = c.value < 0n ? [{ t: 'punct', v: '(' }, { t: 'punct', v: '-' }, n, { t: 'punct', v: ')' }] : [n];
  return { name: c.name, body, where: c.source };
}

/**
 * Macros of a set of headers, found by name: an index of which files `#define` it (built on
 * the first name asked), then each such file read as cpp would (its conditionals evaluated
 * with `predefined` — the configuration, `__KERNEL__`, the arch — and other files' macros).
 * A name no header defines is asked of `fallback` (BTF enumerators a header uses, …).
 */
export class HeaderSet {
  #index: Map<string, string[]> | undefined;
  readonly #macros = new Map<string, HeaderMacros | 'reading'>();
  constructor(
    private readonly files: HeaderFiles,
    private readonly predefined: Lookup = () => undefined,
    private readonly fallback: (name: string) => Constant | undefined = () => undefined,
    private readonly types?: TypeLookup,
  ) {}

  private index(): Map<string, string[]> {
    if (this.#index) return this.#index;
    const idx = new Map<string, string[]>();
    for (const p of this.files.paths()) {
      const text = this.files.read(p);
      if (text === undefined) continue;
      for (const m of text.matchAll(/^[ \t]*#[ \t]*define[ \t]+([A-Za-z_]\w*)/gm)) {
        let l = idx.get(m[1]!);
        if (!l) idx.set(m[1]!, (l = []));
        if (l[l.length - 1] !== p && l.length < MAX_FILES_PER_NAME) l.push(p);
      }
    }
    return (this.#index = idx);
  }

  private macros(path: string): HeaderMacros | undefined {
    const have = this.#macros.get(path);
    if (have === 'reading') return undefined;
    if (have) return have;
    const text = this.files.read(path);
    if (text === undefined) return undefined;
    this.#macros.set(path, 'reading');
    try {
      const m = readHeader(text, path, (n) => this.define(n, path), this.types);
      this.#macros.set(path, m);
      return m;
    } catch (e) {
      this.#macros.delete(path);
      throw e;
    }
  }

  /**
   * The active definition of `name` (not looking in `except`, the file being read). A name no
   * header defines is asked of the fallback when `fallback` (a name used by a definition).
   */
  define(name: string, except?: string, fallback = except !== undefined): MacroDef | undefined | null {
    const pre = this.predefined(name);
    if (pre !== undefined) return pre;
    for (const f of this.index().get(name) ?? []) {
      if (f === except) continue;
      const d = this.macros(f)?.defines.get(name);
      if (d) return d;
    }
    if (fallback) {
      // Names headers use without defining them (enumerators): another source's constant.
      const c = this.fallback(name);
      if (c) return constantDef(c);
    }
    return undefined;
  }

  /** The definition itself, for a caller that names the file it came from. */
  constant(name: string, label: string): Constant | undefined {
    const def = this.define(name);
    if (!def || def.params) return undefined;
    if (aliasOf(def)) return undefined;
    const v = evalMacro(name, (n) => (n === name ? def : this.define(n, undefined, true)), this.types);
    return { name, ...v, source: `${label} (${def.where})` };
  }

  alias(name: string, label: string): MemberAlias | undefined {
    const def = this.define(name);
    const a = def ? aliasOf(def) : undefined;
    return a ? { ...a, source: `${label} (${a.source})` } : undefined;
  }
}

/** A ConstantSource over a HeaderSet. */
export function headerSource(name: string, set: () => HeaderSet | undefined, unavailable: () => string = () => ''): ConstantSource {
  return {
    name,
    unavailable,
    constant: (n) => set()?.constant(n, name),
    alias: (n) => set()?.alias(n, name),
  };
}
