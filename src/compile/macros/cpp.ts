/**
 * A small C preprocessor for constants: enough of cpp to read a header's `#define`s (object-
 * and function-like, `##` and `#`), its `#if`/`#ifdef`/`#elif`/`#else`/`#endif`, and to
 * evaluate a macro as an integer constant expression the way the C compiler types it
 * (literal suffixes, casts such as `(__force gfp_t)`, the usual arithmetic conversions, LP64).
 *
 * Pure: text in, definitions and values out. Where a name not defined in the text comes from
 * (other headers, the kernel's config) is the caller's `Lookup`.
 */
import { printable } from '../../symbols/printable.js';
import { basicType, knownTypedef } from '../types.js';

export interface Tok {
  readonly t: 'id' | 'num' | 'punct' | 'str';
  readonly v: string;
  /** Macros whose expansion produced this token (not expanded again inside it). */
  readonly hide?: ReadonlySet<string>;
}

export interface MacroDef {
  readonly name: string;
  /** Function-like macros: the parameter names (`__VA_ARGS__` last when variadic). */
  readonly params?: readonly string[];
  readonly body: readonly Tok[];
  /** `file:line`, for messages and `--dump=resolved`. */
  readonly where: string;
}

/** A macro by name, or undefined; `null` means explicitly undefined (`#undef`): stop looking. */
export type Lookup = (name: string) => MacroDef | undefined | null;

export interface CValue {
  readonly value: bigint;
  readonly size: 1 | 2 | 4 | 8;
  readonly signed: boolean;
}

/**
 * Something cpp cannot do with this text (the message says what). Messages quote single
 * tokens of a header at most, control characters escaped (a -I file may be anything).
 */
export class MacroError extends Error {
  constructor(
    message: string,
    /** The name that has no definition, when that is why. */
    readonly missing?: string,
  ) {
    super(printable(message.length > 200 ? `${message.slice(0, 200)}…` : message));
  }
}

const PUNCT = ['<<=', '>>=', '...', '<<', '>>', '<=', '>=', '==', '!=', '&&', '||', '##', '->', '++', '--'];

export function tokenize(text: string): Tok[] {
  const out: Tok[] = [];
  let i = 0;
  while (i < text.length) {
    const c = text[i]!;
    if (/\s/.test(c)) {
      i++;
      continue;
    }
    const rest = text.slice(i);
    const id = /^[A-Za-z_$]\w*/.exec(rest);
    if (id) {
      out.push({ t: 'id', v: id[0] });
      i += id[0].length;
      continue;
    }
    const num = /^\.?\d(?:[eEpP][+-]|[\w.])*/.exec(rest);
    if (num) {
      out.push({ t: 'num', v: num[0] });
      i += num[0].length;
      continue;
    }
    if (c === '"' || c === "'") {
      let j = i + 1;
      while (j < text.length && text[j] !== c) j += text[j] === '\\' ? 2 : 1;
      out.push({ t: 'str', v: text.slice(i, j + 1) });
      i = j + 1;
      continue;
    }
    const p = PUNCT.find((x) => rest.startsWith(x)) ?? c;
    out.push({ t: 'punct', v: p });
    i += p.length;
  }
  return out;
}

/** `NAME body`, `NAME(a, b) body` (the text after `#define`); undefined when it is not one. */
export function parseDefine(rest: string, where: string): MacroDef | undefined {
  const m = /^([A-Za-z_]\w*)(\([^)]*\))?(.*)$/s.exec(rest.trim());
  if (!m) return undefined;
  const body = tokenize(m[3] ?? '');
  if (!m[2]) return { name: m[1]!, body, where };
  const params = m[2]
    .slice(1, -1)
    .split(',')
    .map((p) => p.trim())
    .filter(Boolean)
    .map((p) => (p === '...' ? '__VA_ARGS__' : p.replace(/\.\.\.$/, '')));
  return { name: m[1]!, params, body, where };
}

// ---------------------------------------------------------------------------------------------
// Expansion
// ---------------------------------------------------------------------------------------------

/** More steps than any real constant takes: a guard against self-feeding definitions. */
const MAX_STEPS = 20_000;

function withHide(t: Tok, hide: ReadonlySet<string>): Tok {
  const h = new Set(t.hide ?? []);
  for (const x of hide) h.add(x);
  return { t: t.t, v: t.v, hide: h };
}

function paste(a: Tok, b: Tok): Tok {
  const toks = tokenize(a.v + b.v);
  if (toks.length !== 1) throw new MacroError(`pasting '${a.v}' and '${b.v}' does not give one token`);
  return toks[0]!;
}

/** Apply `##` in a replacement list (placeholders are empty arrays). */
function pasteAll(items: readonly (Tok | readonly Tok[])[]): Tok[] {
  const out: (Tok | readonly Tok[])[] = [];
  for (let i = 0; i < items.length; i++) {
    const x = items[i]!;
    if (!Array.isArray(x) && (x as Tok).t === 'punct' && (x as Tok).v === '##' && out.length > 0 && i + 1 < items.length) {
      const left = out.pop()!;
      const right = items[++i]!;
      const l = Array.isArray(left) ? [...left] : [left as Tok];
      const r = Array.isArray(right) ? [...right] : [right as Tok];
      if (l.length === 0) out.push(r);
      else if (r.length === 0) out.push(l);
      else out.push([...l.slice(0, -1), paste(l[l.length - 1]!, r[0]!), ...r.slice(1)]);
      continue;
    }
    out.push(x);
  }
  return out.flatMap((x) => (Array.isArray(x) ? [...(x as Tok[])] : [x as Tok]));
}

function splitArgs(toks: readonly Tok[], open: number): { args: Tok[][]; end: number } | undefined {
  const args: Tok[][] = [[]];
  let depth = 0;
  for (let j = open + 1; j < toks.length; j++) {
    const t = toks[j]!;
    if (t.t === 'punct' && t.v === '(') depth++;
    if (t.t === 'punct' && t.v === ')') {
      if (depth === 0) return { args, end: j };
      depth--;
    }
    if (t.t === 'punct' && t.v === ',' && depth === 0) args.push([]);
    else args[args.length - 1]!.push(t);
  }
  return undefined;
}

/**
 * Macro-expand `input` (rescanning, with hide sets so a macro never expands inside itself).
 * `ifMode`: `defined X` and `defined(X)` are answered first, as in `#if`.
 */
export function expand(input: readonly Tok[], lookup: Lookup, ifMode = false): Tok[] {
  const toks = [...input];
  let steps = 0;
  let i = 0;
  while (i < toks.length) {
    if (++steps > MAX_STEPS) throw new MacroError('the expansion does not end (a definition feeds itself)');
    const t = toks[i]!;
    if (t.t !== 'id') {
      i++;
      continue;
    }
    if (ifMode && t.v === 'defined') {
      const paren = toks[i + 1]?.v === '(';
      const name = toks[i + (paren ? 2 : 1)];
      if (name?.t !== 'id') throw new MacroError("'defined' needs a name");
      const n = paren ? 4 : 2;
      toks.splice(i, n, { t: 'num', v: lookup(name.v) ? '1' : '0' });
      i++;
      continue;
    }
    if (t.hide?.has(t.v)) {
      i++;
      continue;
    }
    const def = lookup(t.v);
    if (!def) {
      i++;
      continue;
    }
    const hide = new Set([...(t.hide ?? []), def.name]);
    if (def.params === undefined) {
      toks.splice(i, 1, ...pasteAll(def.body).map((b) => withHide(b, hide)));
      continue;
    }
    if (toks[i + 1]?.v !== '(') {
      i++;
      continue;
    }
    const call = splitArgs(toks, i + 1);
    if (!call) throw new MacroError(`unterminated call of macro ${def.name}`);
    const params = def.params;
    let args = call.args;
    if (params.length === 0 && args.length === 1 && args[0]!.length === 0) args = [];
    const variadic = params[params.length - 1] === '__VA_ARGS__';
    if (variadic && args.length >= params.length) {
      const va = args.slice(params.length - 1);
      args = [...args.slice(0, params.length - 1), va.flatMap((a, k) => (k ? [{ t: 'punct', v: ',' } as Tok, ...a] : a))];
    }
    if (variadic && args.length === params.length - 1) args = [...args, []];
    if (args.length !== params.length) {
      throw new MacroError(`macro ${def.name} takes ${params.length} argument${params.length === 1 ? '' : 's'}, got ${args.length}`);
    }
    const body = def.body;
    const items: (Tok | readonly Tok[])[] = [];
    for (let k = 0; k < body.length; k++) {
      const b = body[k]!;
      const pi = b.t === 'id' ? params.indexOf(b.v) : -1;
      if (b.t === 'punct' && b.v === '#' && body[k + 1]?.t === 'id' && params.includes(body[k + 1]!.v)) {
        const a = args[params.indexOf(body[++k]!.v)]!;
        items.push({ t: 'str', v: JSON.stringify(a.map((x) => x.v).join(' ')) });
        continue;
      }
      if (pi < 0) {
        items.push(b);
        continue;
      }
      const nearPaste = body[k - 1]?.v === '##' || body[k + 1]?.v === '##';
      items.push(nearPaste ? args[pi]! : expand(args[pi]!, lookup, ifMode));
    }
    toks.splice(i, call.end - i + 1, ...pasteAll(items).map((b) => withHide(b, hide)));
  }
  return toks;
}

// ---------------------------------------------------------------------------------------------
// Evaluation
// ---------------------------------------------------------------------------------------------

const INT: CValue = { value: 0n, size: 4, signed: true };

function norm(v: bigint, size: CValue['size'], signed: boolean): CValue {
  const bits = size * 8;
  return { value: signed ? BigInt.asIntN(bits, v) : BigInt.asUintN(bits, v), size, signed };
}

function promote(x: CValue): CValue {
  return x.size < 4 ? norm(x.value, 4, true) : x;
}

function common(a: CValue, b: CValue): { size: 4 | 8; signed: boolean } {
  const x = promote(a);
  const y = promote(b);
  if (x.size === y.size) return { size: x.size as 4 | 8, signed: x.signed && y.signed };
  return x.size > y.size ? { size: x.size as 4 | 8, signed: x.signed } : { size: y.size as 4 | 8, signed: y.signed };
}

/** An integer literal as C types it (6.4.4.1): the first of int, unsigned, long, unsigned long that fits. */
export function literal(text: string): CValue {
  const m = /^(0[xX][0-9a-fA-F]+|0[bB][01]+|0[0-7]*|[1-9]\d*)([uUlL]*)$/.exec(text);
  if (!m) throw new MacroError(`'${text}' is not an integer constant`);
  const digits = m[1]!;
  const value = /^0[0-7]+$/.test(digits) ? BigInt(`0o${digits.slice(1)}`) : BigInt(digits);
  const suffix = m[2]!.toLowerCase();
  const u = suffix.includes('u');
  const l = suffix.includes('l');
  const decimal = /^[1-9]/.test(digits) || digits === '0';
  const fits = (bits: number, signed: boolean) => value < (signed ? 1n << BigInt(bits - 1) : 1n << BigInt(bits));
  if (!l && !u && fits(32, true)) return norm(value, 4, true);
  if (!l && (u || !decimal) && fits(32, false)) return norm(value, 4, false);
  if (!u && fits(64, true)) return norm(value, 8, true);
  return norm(value, 8, false);
}

function charLiteral(text: string): CValue {
  const body = text.slice(1, -1);
  const esc: Record<string, number> = { n: 10, t: 9, r: 13, '0': 0, '\\': 92, "'": 39, '"': 34, a: 7, b: 8, f: 12, v: 11 };
  const v = body.startsWith('\\')
    ? (esc[body[1]!] ?? (/^\\x/.test(body) ? Number.parseInt(body.slice(2), 16) : Number.parseInt(body.slice(1), 8)))
    : body.charCodeAt(0);
  if (Number.isNaN(v)) throw new MacroError(`cannot read character constant ${text}`);
  return norm(BigInt(v), 4, true);
}

/** Words a cast's type may be made of, beside typedef names. */
const TYPE_WORDS = new Set([
  'unsigned',
  'signed',
  'int',
  'long',
  'short',
  'char',
  '_Bool',
  'void',
  'const',
  'volatile',
  '__force',
  '__bitwise',
  'struct',
  'union',
  'enum',
]);

/** Size and signedness of a typedef the caller knows (kernel BTF, …). */
export type TypeLookup = (name: string) => { size: CValue['size']; signed: boolean } | undefined;

function isTypeWord(v: string, types: TypeLookup | undefined): boolean {
  return TYPE_WORDS.has(v) || knownTypedef(v) !== undefined || types?.(v) !== undefined || /_t$/.test(v);
}

class Evaluator {
  private i = 0;
  constructor(
    private readonly toks: readonly Tok[],
    private readonly ifMode: boolean,
    private readonly types: TypeLookup | undefined,
  ) {}

  run(): CValue {
    if (this.toks.length === 0) throw new MacroError('the definition is empty');
    const v = this.ternary();
    if (this.i < this.toks.length) throw new MacroError(`unexpected '${this.toks[this.i]!.v}' in a constant expression`);
    return v;
  }

  private peek(): Tok | undefined {
    return this.toks[this.i];
  }
  private eat(v: string): boolean {
    const t = this.peek();
    if (t && (t.t === 'punct' || t.t === 'id') && t.v === v) {
      this.i++;
      return true;
    }
    return false;
  }
  private expect(v: string): void {
    if (!this.eat(v)) throw new MacroError(`expected '${v}'${this.peek() ? ` before '${this.peek()!.v}'` : ' at the end'}`);
  }

  private ternary(): CValue {
    const c = this.binary(0);
    if (!this.eat('?')) return c;
    const a = this.ternary();
    this.expect(':');
    const b = this.ternary();
    const t = common(a, b);
    return norm(c.value !== 0n ? a.value : b.value, t.size, t.signed);
  }

  private static readonly LEVELS: readonly (readonly string[])[] = [
    ['||'],
    ['&&'],
    ['|'],
    ['^'],
    ['&'],
    ['==', '!='],
    ['<', '<=', '>', '>='],
    ['<<', '>>'],
    ['+', '-'],
    ['*', '/', '%'],
  ];

  private binary(level: number): CValue {
    if (level >= Evaluator.LEVELS.length) return this.unary();
    let left = this.binary(level + 1);
    for (;;) {
      const t = this.peek();
      if (t?.t !== 'punct' || !Evaluator.LEVELS[level]!.includes(t.v)) return left;
      this.i++;
      const right = this.binary(level + 1);
      left = apply(t.v, left, right);
    }
  }

  private unary(): CValue {
    const t = this.peek();
    if (!t) throw new MacroError('the expression ends too early');
    if (t.t === 'punct' && ['-', '+', '~', '!'].includes(t.v)) {
      this.i++;
      const x = promote(this.unary());
      switch (t.v) {
        case '-':
          return norm(-x.value, x.size, x.signed);
        case '+':
          return x;
        case '~':
          return norm(~x.value, x.size, x.signed);
        default:
          return norm(x.value === 0n ? 1n : 0n, 4, true);
      }
    }
    if (t.t === 'punct' && t.v === '(') {
      const cast = this.castType();
      if (cast) return norm(this.unary().value, cast.size, cast.signed);
      this.i++;
      const v = this.ternary();
      this.expect(')');
      return v;
    }
    this.i++;
    if (t.t === 'num') return literal(t.v);
    if (t.t === 'str' && t.v.startsWith("'")) return charLiteral(t.v);
    if (t.t === 'id') {
      if (t.v === 'sizeof' || t.v === '__builtin_constant_p') throw new MacroError(`${t.v} is not supported in constants`);
      if (this.ifMode) return INT; // an identifier left in #if is 0
      throw new MacroError(`'${t.v}' has no definition`, t.v);
    }
    throw new MacroError(`'${t.v}' is not part of a constant expression`);
  }

  /** `(type)` at the cursor: consumes it and returns the type; else leaves the cursor. */
  private castType(): { size: CValue['size']; signed: boolean } | undefined {
    const start = this.i;
    let j = start + 1;
    const words: string[] = [];
    while (this.toks[j]?.t === 'id' && isTypeWord(this.toks[j]!.v, this.types)) words.push(this.toks[j++]!.v);
    let stars = 0;
    while (this.toks[j]?.v === '*') {
      stars++;
      j++;
    }
    if (words.length === 0 || this.toks[j]?.v !== ')') return undefined;
    // `(x)` alone where x is no type keyword is a parenthesised name, not a cast.
    this.i = j + 1;
    if (stars > 0 || words.some((w) => w === 'struct' || w === 'union')) return { size: 8, signed: false };
    const w = words.filter((x) => !['const', 'volatile', '__force', '__bitwise', 'enum'].includes(x));
    if (words.includes('enum')) return { size: 4, signed: false };
    const text = w
      .join(' ')
      .replace(/\bsigned (char|short|int|long)/, (_m, x: string) => (x === 'char' ? 'signed char' : x))
      .replace(/\b(short|long|long long) int\b/, '$1')
      .replace(/^unsigned$/, 'unsigned int')
      .replace(/^signed$/, 'int')
      .replace(/^unsigned (short|long|long long) int$/, 'unsigned $1');
    const known = basicType(text) ?? knownTypedef(text);
    if (known?.kind === 'int') return { size: known.size, signed: known.signed };
    if (known?.kind === 'bool') return { size: 1, signed: false };
    const other = w.length === 1 ? this.types?.(w[0]!) : undefined;
    if (other) return other;
    throw new MacroError(`cast to unknown type '${w.join(' ')}'`);
  }
}

function apply(op: string, a: CValue, b: CValue): CValue {
  if (op === '&&') return norm(a.value !== 0n && b.value !== 0n ? 1n : 0n, 4, true);
  if (op === '||') return norm(a.value !== 0n || b.value !== 0n ? 1n : 0n, 4, true);
  if (op === '<<' || op === '>>') {
    const x = promote(a);
    const n = b.value;
    if (n < 0n || n >= BigInt(x.size * 8)) throw new MacroError(`shift by ${n} is out of range for a ${x.size * 8}-bit value`);
    return norm(op === '<<' ? x.value << n : x.value >> n, x.size, x.signed);
  }
  const t = common(a, b);
  const x = norm(a.value, t.size, t.signed).value;
  const y = norm(b.value, t.size, t.signed).value;
  const cmp = (c: boolean) => norm(c ? 1n : 0n, 4, true);
  switch (op) {
    case '|':
      return norm(x | y, t.size, t.signed);
    case '^':
      return norm(x ^ y, t.size, t.signed);
    case '&':
      return norm(x & y, t.size, t.signed);
    case '==':
      return cmp(x === y);
    case '!=':
      return cmp(x !== y);
    case '<':
      return cmp(x < y);
    case '<=':
      return cmp(x <= y);
    case '>':
      return cmp(x > y);
    case '>=':
      return cmp(x >= y);
    case '+':
      return norm(x + y, t.size, t.signed);
    case '-':
      return norm(x - y, t.size, t.signed);
    case '*':
      return norm(x * y, t.size, t.signed);
    case '/':
    case '%':
      if (y === 0n) throw new MacroError('division by zero');
      return norm(op === '/' ? x / y : x % y, t.size, t.signed);
    default:
      throw new MacroError(`unknown operator ${op}`);
  }
}

/** Evaluate tokens (already expanded or not) as an integer constant expression. */
export function evaluate(tokens: readonly Tok[], lookup: Lookup, o: { ifMode?: boolean; types?: TypeLookup } = {}): CValue {
  return new Evaluator(expand(tokens, lookup, o.ifMode ?? false), o.ifMode ?? false, o.types).run();
}

/** The value of macro `name` as a constant, or a MacroError saying why it has none. */
export function evalMacro(name: string, lookup: Lookup, types?: TypeLookup): CValue {
  const def = lookup(name);
  if (!def) throw new MacroError(`'${name}' has no definition`, name);
  if (def.params) throw new MacroError(`${name} is a function-like macro`);
  return evaluate([{ t: 'id', v: name }], lookup, types ? { types } : {});
}

// ---------------------------------------------------------------------------------------------
// Reading a header
// ---------------------------------------------------------------------------------------------

export interface HeaderMacros {
  /** Active definitions, by name (the last one when a name is defined again). */
  readonly defines: ReadonlyMap<string, MacroDef>;
  /** Names `#undef`ined and not defined again. */
  readonly undefs: ReadonlySet<string>;
  /** `#include` targets of active lines, as written (`linux/types.h`, `"foo.h"`). */
  readonly includes: readonly string[];
  /** The active lines that are not directives (declarations), comments removed. */
  readonly code: string;
}

/** Comments removed and continued lines joined, keeping the line count for messages. */
export function stripComments(text: string): string {
  return text
    .replace(/\\\r?\n/g, ' ')
    .replace(/\/\*[\s\S]*?\*\//g, (c) => c.replace(/[^\n]/g, ' '))
    .replace(/\/\/[^\n]*/g, '');
}

/**
 * Read a header's macros the way cpp would at its end, following its conditionals: a name is
 * looked up in the header's own definitions so far, then in `outside` (other headers, the
 * configuration, predefined names). An `#if` cpp cannot evaluate here counts as false.
 */
export function readHeader(text: string, file: string, outside: Lookup, types?: TypeLookup): HeaderMacros {
  const defines = new Map<string, MacroDef>();
  const undefs = new Set<string>();
  const includes: string[] = [];
  const code: string[] = [];
  const lookup: Lookup = (n) => defines.get(n) ?? (undefs.has(n) ? null : outside(n));
  const cond = (expr: string): boolean => {
    try {
      return evaluate(tokenize(expr), lookup, { ifMode: true, ...(types ? { types } : {}) }).value !== 0n;
    } catch {
      return false;
    }
  };
  // Each open conditional: is this branch active, has a branch been taken, was the parent active.
  const stack: { active: boolean; taken: boolean; parent: boolean }[] = [];
  const active = () => stack.length === 0 || stack[stack.length - 1]!.active;
  const lines = stripComments(text).split('\n');
  lines.forEach((line, n) => {
    const d = /^\s*#\s*(\w*)\s*(.*)$/.exec(line);
    if (!d) {
      if (active()) code.push(line);
      else code.push('');
      return;
    }
    code.push('');
    const [, dir, rest] = d as unknown as [string, string, string];
    switch (dir) {
      case 'if':
      case 'ifdef':
      case 'ifndef': {
        const parent = active();
        let v = false;
        if (parent) {
          const name = rest.trim().split(/\s+/)[0] ?? '';
          v = dir === 'if' ? cond(rest) : dir === 'ifdef' ? Boolean(lookup(name)) : !lookup(name);
        }
        stack.push({ active: parent && v, taken: v, parent });
        return;
      }
      case 'elif': {
        const top = stack[stack.length - 1];
        if (!top) return;
        const v = top.parent && !top.taken && cond(rest);
        top.active = v;
        top.taken ||= v;
        return;
      }
      case 'else': {
        const top = stack[stack.length - 1];
        if (!top) return;
        top.active = top.parent && !top.taken;
        top.taken = true;
        return;
      }
      case 'endif':
        stack.pop();
        return;
      default:
    }
    if (!active()) return;
    if (dir === 'define') {
      const def = parseDefine(rest, `${file}:${n + 1}`);
      if (def) {
        defines.set(def.name, def);
        undefs.delete(def.name);
      }
    } else if (dir === 'undef') {
      const name = rest.trim();
      defines.delete(name);
      undefs.add(name);
    } else if (dir === 'include') {
      const inc = /^[<"]([^>"]+)[>"]/.exec(rest.trim());
      if (inc) includes.push(inc[1]!);
    }
  });
  return { defines, undefs, includes, code: code.join('\n') };
}

/**
 * The enumerators of `enum … { A, B = 4, … }` declarations in `code` (a header's non-directive
 * lines), each valued as C does (one more than the last unless given); an enumerator cpp
 * cannot evaluate ends its enum.
 */
export function enumConstants(code: string, outside: Lookup, types?: TypeLookup): Map<string, CValue> {
  const out = new Map<string, CValue>();
  const lookup: Lookup = (n) => {
    const v = out.get(n);
    if (v) return { name: n, body: tokenize(`(${v.value})`), where: 'enum' };
    return outside(n);
  };
  for (const m of code.matchAll(/\benum\s*(?:[A-Za-z_]\w*\s*)?\{([^{}]*)\}/g)) {
    let next = 0n;
    for (const item of m[1]!.split(',')) {
      const d = /^\s*([A-Za-z_]\w*)\s*(?:=\s*([\s\S]+?))?\s*$/.exec(item);
      if (!d) continue;
      try {
        const v = d[2] ? evaluate(tokenize(d[2]), lookup, types ? { types } : {}).value : next;
        out.set(d[1]!, { value: v, size: 4, signed: v < 2n ** 31n });
        next = v + 1n;
      } catch {
        break;
      }
    }
  }
  return out;
}
