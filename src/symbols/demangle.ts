/**
 * A small Itanium C++ ABI demangler, for the names a tracer shows: nested names, templates,
 * substitutions (S_, S0_, St, Sa, Sb, Ss, Si, So, Sd), template parameters, builtin types,
 * pointers / references / cv-qualifiers, function and array types, pointers to members,
 * constructors and destructors (inheriting ones too), operators, ABI tags, local names, lambdas'
 * closure types, the expressions library templates use as arguments (template parameters,
 * literals, `sr` scoped names, pack expansions), clone suffixes, symbol versions, and the common
 * special names (vtable, typeinfo, guard variables, thunks, transaction clones). Output follows `c++filt`
 * (`std::vector<int, std::allocator<int> >::push_back(int const&)`), which is what BCC prints
 * (`__cxa_demangle`); the unit tests compare the two on every symbol of a g++ program and of
 * libstdc++.
 *
 * Why not a package: gecko-profiler-demangle's C++ half (cpp_demangle) prints names unlike
 * c++filt (no return types, `(unsigned long)0`, `std::string` abbreviations). Its Rust half is
 * rustc-demangle itself, which Rust names go to (demangle-rust.ts).
 *
 * It is honest: anything outside that subset (other expressions, decltype...) makes `demangle()`
 * return its input unchanged.
 */

import { demangleRust, isRustName } from './demangle-rust.js';

type Node =
  | { k: 'name'; s: string; last?: string }
  | { k: 'qual'; scope: Node; name: Node }
  | { k: 'tmpl'; name: Node; args: Node[] }
  | { k: 'ptr' | 'ref' | 'rref'; t: Node }
  | { k: 'cv'; q: string; t: Node }
  | { k: 'fn'; ret: Node | undefined; params: Node[]; q: string }
  | { k: 'array'; dim: string; t: Node }
  | { k: 'pm'; cls: Node; t: Node }
  | { k: 'pack'; items: Node[] };

class Fail extends Error {}

const BUILTIN: Record<string, string> = {
  v: 'void',
  w: 'wchar_t',
  b: 'bool',
  c: 'char',
  a: 'signed char',
  h: 'unsigned char',
  s: 'short',
  t: 'unsigned short',
  i: 'int',
  j: 'unsigned int',
  l: 'long',
  m: 'unsigned long',
  x: 'long long',
  y: 'unsigned long long',
  n: '__int128',
  o: 'unsigned __int128',
  f: 'float',
  d: 'double',
  e: 'long double',
  g: '__float128',
  z: '...',
};
const BUILTIN_D: Record<string, string> = {
  n: 'decltype(nullptr)',
  i: 'char32_t',
  s: 'char16_t',
  u: 'char8_t',
  a: 'auto',
  c: 'decltype(auto)',
  d: 'decimal64',
  e: 'decimal128',
  f: 'decimal32',
  h: 'half',
};
/** Standard substitutions: [short form, full form (what c++filt prints), the class's last name]. */
const STD_SUB: Record<string, [string, string, string]> = {
  a: ['std::allocator', 'std::allocator', 'allocator'],
  b: ['std::basic_string', 'std::basic_string', 'basic_string'],
  s: ['std::string', 'std::basic_string<char, std::char_traits<char>, std::allocator<char> >', 'basic_string'],
  i: ['std::istream', 'std::basic_istream<char, std::char_traits<char> >', 'basic_istream'],
  o: ['std::ostream', 'std::basic_ostream<char, std::char_traits<char> >', 'basic_ostream'],
  d: ['std::iostream', 'std::basic_iostream<char, std::char_traits<char> >', 'basic_iostream'],
};
const OPS: Record<string, string> = {
  nw: 'new',
  na: 'new[]',
  dl: 'delete',
  da: 'delete[]',
  ps: '+',
  ng: '-',
  ad: '&',
  de: '*',
  co: '~',
  pl: '+',
  mi: '-',
  ml: '*',
  dv: '/',
  rm: '%',
  an: '&',
  or: '|',
  eo: '^',
  aS: '=',
  pL: '+=',
  mI: '-=',
  mL: '*=',
  dV: '/=',
  rM: '%=',
  aN: '&=',
  oR: '|=',
  eO: '^=',
  ls: '<<',
  rs: '>>',
  lS: '<<=',
  rS: '>>=',
  eq: '==',
  ne: '!=',
  lt: '<',
  gt: '>',
  le: '<=',
  ge: '>=',
  ss: '<=>',
  nt: '!',
  aa: '&&',
  oo: '||',
  pp: '++',
  mm: '--',
  cm: ',',
  pm: '->*',
  pt: '->',
  cl: '()',
  ix: '[]',
  qu: '?',
  aw: 'co_await',
};

const nm = (s: string): Node => ({ k: 'name', s });

interface NameInfo {
  node: Node;
  /** The name ends in template args (so the function type starts with a return type). */
  template: boolean;
  /** Constructor, destructor or conversion operator: no return type. */
  noReturn: boolean;
  /** Method cv- and ref-qualifiers from a nested name. */
  q: string;
}

class Parser {
  i = 0;
  subs: Node[] = [];
  tmplArgs: Node[] | undefined;
  lastName = '';
  constructor(readonly s: string) {}

  peek(o = 0): string {
    return this.s[this.i + o] ?? '';
  }
  eat(c: string): boolean {
    if (this.s.startsWith(c, this.i)) {
      this.i += c.length;
      return true;
    }
    return false;
  }
  expect(c: string): void {
    if (!this.eat(c)) throw new Fail();
  }
  number(): number {
    const m = /^n?\d+/.exec(this.s.slice(this.i));
    if (!m) throw new Fail();
    this.i += m[0].length;
    return m[0].startsWith('n') ? -Number(m[0].slice(1)) : Number(m[0]);
  }

  // <encoding> ::= <name> <bare-function-type> | <name> | <special-name>
  /** `withReturn` false: a local name's enclosing function, which c++filt prints without its return type. */
  encoding(withReturn = true): string {
    if (this.peek() === 'T' || (this.peek() === 'G' && (this.peek(1) === 'V' || this.peek(1) === 'T'))) return this.special();
    const info = this.name();
    const end = this.peek();
    if (end === '' || end === 'E' || end === '.') return print(info.node);
    let ret: Node | undefined;
    if (info.template && !info.noReturn) ret = this.type();
    const params = this.params();
    const head = ret && withReturn ? `${print(ret)} ` : '';
    return `${head}${print(info.node)}(${list(params)})${info.q}`;
  }

  params(): Node[] {
    const out: Node[] = [];
    while (this.i < this.s.length && this.peek() !== 'E' && this.peek() !== '.') out.push(this.type());
    if (out.length === 1 && out[0]!.k === 'name' && out[0]!.s === 'void') return [];
    return out;
  }

  special(): string {
    if (this.eat('GV')) return `guard variable for ${print(this.name().node)}`;
    // Transactional memory clones (libstdc++'s exception classes have them).
    if (this.eat('GTt')) return `transaction clone for ${this.encoding()}`;
    if (this.eat('GTn')) return `non-transaction clone for ${this.encoding()}`;
    this.expect('T');
    const c = this.peek();
    this.i++;
    switch (c) {
      case 'V':
        return `vtable for ${print(this.type())}`;
      case 'T':
        return `VTT for ${print(this.type())}`;
      case 'I':
        return `typeinfo for ${print(this.type())}`;
      case 'S':
        return `typeinfo name for ${print(this.type())}`;
      case 'H':
        return `TLS init function for ${print(this.name().node)}`;
      case 'W':
        return `TLS wrapper function for ${print(this.name().node)}`;
      case 'h':
        this.number();
        this.expect('_');
        return `non-virtual thunk to ${this.encoding()}`;
      case 'v':
        this.number();
        this.expect('_');
        this.number();
        this.expect('_');
        return `virtual thunk to ${this.encoding()}`;
      default:
        throw new Fail();
    }
  }

  /** `top`: the entity's own name, whose template args are what T_ refers to. */
  name(top = true): NameInfo {
    const c = this.peek();
    if (c === 'N') return this.nested(top);
    if (c === 'Z') return this.local();
    if (c === 'S' && this.peek(1) === 't') {
      this.i += 2;
      const u = this.unqualified();
      let node: Node = { k: 'qual', scope: nm('std'), name: u.node };
      if (this.peek() === 'I') {
        this.subs.push(node);
        node = { k: 'tmpl', name: node, args: this.templateArgs(top) };
        return { node, template: true, noReturn: u.noReturn, q: '' };
      }
      return { node, template: false, noReturn: u.noReturn, q: '' };
    }
    if (c === 'S') {
      const node = this.substitution(false);
      if (this.peek() !== 'I') return { node, template: false, noReturn: false, q: '' };
      return { node: { k: 'tmpl', name: node, args: this.templateArgs(top) }, template: true, noReturn: false, q: '' };
    }
    const u = this.unqualified();
    if (this.peek() === 'I') {
      this.subs.push(u.node);
      return { node: { k: 'tmpl', name: u.node, args: this.templateArgs(top) }, template: true, noReturn: u.noReturn, q: '' };
    }
    return { node: u.node, template: false, noReturn: u.noReturn, q: '' };
  }

  nested(top: boolean): NameInfo {
    this.expect('N');
    let q = '';
    while ('rVK'.includes(this.peek()) && this.peek() !== '') {
      const c = this.peek();
      this.i++;
      q = (c === 'r' ? ' restrict' : c === 'V' ? ' volatile' : ' const') + q;
    }
    if (this.eat('R')) q += ' &';
    else if (this.eat('O')) q += ' &&';
    let node: Node | undefined;
    let template = false;
    let noReturn = false;
    while (!this.eat('E')) {
      if (this.i >= this.s.length) throw new Fail();
      const c = this.peek();
      let fromSub = false;
      if (c === 'S' && this.peek(1) === 't' && node === undefined) {
        this.i += 2;
        node = nm('std');
        this.lastName = 'std';
        continue;
      }
      if (c === 'S') {
        const sub = this.substitution(true);
        node = node ? { k: 'qual', scope: node, name: sub } : sub;
        fromSub = true;
        template = false;
      } else if (c === 'I') {
        if (!node) throw new Fail();
        node = { k: 'tmpl', name: node, args: this.templateArgs(top) };
        template = true;
      } else if (c === 'T') {
        const t = this.templateParam();
        node = node ? { k: 'qual', scope: node, name: t } : t;
        template = false;
      } else {
        // A constructor or destructor is named after the enclosing class.
        if (node) this.lastName = lastSimpleName(node) ?? this.lastName;
        const u = this.unqualified();
        noReturn = u.noReturn;
        node = node ? { k: 'qual', scope: node, name: u.node } : u.node;
        template = false;
      }
      if (!fromSub && this.peek() !== 'E') this.subs.push(node);
    }
    if (!node) throw new Fail();
    return { node, template, noReturn, q };
  }

  local(): NameInfo {
    this.expect('Z');
    const enc = this.encodingSaved(false);
    this.expect('E');
    if (this.eat('s')) {
      this.discriminator();
      return { node: nm(`${enc}::string literal`), template: false, noReturn: false, q: '' };
    }
    const inner = this.name();
    this.discriminator();
    return { ...inner, node: { k: 'qual', scope: nm(enc), name: inner.node } };
  }

  /** An encoding nested in a local name keeps the outer template args for T_. */
  encodingSaved(withReturn = true): string {
    const saved = this.tmplArgs;
    const r = this.encoding(withReturn);
    this.tmplArgs = saved ?? this.tmplArgs;
    return r;
  }

  discriminator(): void {
    if (this.peek() !== '_') return;
    if (this.eat('__')) {
      this.number();
      this.expect('_');
    } else {
      this.i++;
      this.number();
    }
  }

  unqualified(): { node: Node; noReturn: boolean } {
    const c = this.peek();
    let node: Node;
    let noReturn = false;
    if (c === 'L' && /\d/.test(this.peek(1))) this.i++; // internal linkage marker
    if (/\d/.test(this.peek())) {
      const id = this.sourceName();
      node = nm(id.startsWith('_GLOBAL__N') ? '(anonymous namespace)' : id);
      this.lastName = id;
    } else if (c === 'C' && /[123I]/.test(this.peek(1))) {
      this.i += 2;
      let name = this.lastName;
      if (this.s[this.i - 1] === 'I') {
        // An inheriting constructor (CI1 <base class>) is named after the base.
        this.i++;
        name = lastSimpleName(this.type()) ?? name;
      }
      node = nm(name);
      noReturn = true;
    } else if (c === 'D' && /[0125]/.test(this.peek(1))) {
      this.i += 2;
      node = nm(`~${this.lastName}`);
      noReturn = true;
    } else if (c === 'U' && this.peek(1) === 'l') {
      // A lambda's closure type: Ul <parameter types> E [<number>] _ → {lambda(int)#1}.
      this.i += 2;
      const params = this.params();
      this.expect('E');
      const n = this.peek() === '_' ? 1 : this.number() + 2;
      this.expect('_');
      node = nm(`{lambda(${list(params)})#${n}}`);
    } else if (c === 'U' && this.peek(1) === 't') {
      this.i += 2;
      const n = this.peek() === '_' ? 1 : this.number() + 2;
      this.expect('_');
      node = nm(`{unnamed type#${n}}`);
    } else if (/[a-z]/.test(c)) {
      const code = this.s.slice(this.i, this.i + 2);
      this.i += 2;
      if (code === 'cv') {
        const saved = this.tmplArgs;
        const t = this.type();
        this.tmplArgs = saved;
        node = nm(`operator ${print(t)}`);
        noReturn = true;
      } else if (code === 'li') {
        node = nm(`operator"" ${this.sourceName()}`);
      } else {
        const op = OPS[code];
        if (!op) throw new Fail();
        node = nm(`operator${/^[a-z]/.test(op) ? ' ' : ''}${op}`);
      }
    } else {
      throw new Fail();
    }
    while (this.peek() === 'B') {
      this.i++;
      const tag = this.sourceName();
      node = nm(`${print(node)}[abi:${tag}]`);
    }
    return { node, noReturn };
  }

  sourceName(): string {
    const m = /^\d+/.exec(this.s.slice(this.i));
    if (!m) throw new Fail();
    const n = Number(m[0]);
    this.i += m[0].length;
    if (n <= 0 || this.i + n > this.s.length) throw new Fail();
    const id = this.s.slice(this.i, this.i + n);
    this.i += n;
    return id;
  }

  substitution(inPrefix: boolean): Node {
    this.expect('S');
    const c = this.peek();
    const std = STD_SUB[c];
    if (std) {
      this.i++;
      // c++filt prints the full expansions (it demangles verbosely).
      void inPrefix;
      this.lastName = std[2];
      return { k: 'name', s: std[1], last: std[2] };
    }
    if (c === 't') throw new Fail();
    let idx = 0;
    if (this.eat('_')) {
      idx = 0;
    } else {
      const m = /^[0-9A-Z]+/.exec(this.s.slice(this.i));
      if (!m) throw new Fail();
      this.i += m[0].length;
      this.expect('_');
      idx = parseInt(m[0], 36) + 1;
    }
    const n = this.subs[idx];
    if (!n) throw new Fail();
    const last = lastSimpleName(n);
    if (last) this.lastName = last;
    return n;
  }

  templateParam(): Node {
    this.expect('T');
    const idx = this.eat('_') ? 0 : this.number() + 1;
    if (idx > 0) this.expect('_');
    const a = this.tmplArgs?.[idx];
    if (!a) throw new Fail();
    return a;
  }

  templateArgs(setParams: boolean): Node[] {
    this.expect('I');
    const args: Node[] = [];
    while (!this.eat('E')) {
      if (this.i >= this.s.length) throw new Fail();
      args.push(this.templateArg());
    }
    if (setParams) this.tmplArgs = args;
    return args;
  }

  templateArg(): Node {
    const c = this.peek();
    if (c === 'L') return this.literal();
    if (c === 'J') {
      this.i++;
      const items: Node[] = [];
      while (!this.eat('E')) {
        if (this.i >= this.s.length) throw new Fail();
        items.push(this.templateArg());
      }
      return { k: 'pack', items };
    }
    if (c === 'X') {
      this.i++;
      const e = this.expression();
      this.expect('E');
      return e;
    }
    return this.type();
  }

  /**
   * The expressions that template arguments of library code use: a template parameter
   * (`T_`), a literal, and a scope-resolved name (`sr <type> <name>`: `std::__and_<…>::value`).
   * Anything else fails.
   */
  expression(): Node {
    const c = this.peek();
    if (c === 'T') return this.templateParam();
    if (c === 'L') return this.literal();
    // A pack expansion (`sp T0_`): the pack's elements.
    if (this.eat('sp')) return this.expression();
    // An unresolved name (`16is_invocable_r_vIT_E`), template args included.
    if (/\d/.test(c)) {
      const id = nm(this.sourceName());
      return this.peek() === 'I' ? { k: 'tmpl', name: id, args: this.templateArgs(false) } : id;
    }
    if (this.eat('sr')) {
      const scope = this.peek() === 'T' ? this.templateParam() : this.type();
      const u = this.unqualified().node;
      const name: Node = this.peek() === 'I' ? { k: 'tmpl', name: u, args: this.templateArgs(false) } : u;
      return { k: 'qual', scope, name };
    }
    throw new Fail();
  }

  literal(): Node {
    this.expect('L');
    if (this.eat('_Z')) {
      const e = this.encodingSaved();
      this.expect('E');
      return nm(e);
    }
    const t = this.type();
    const neg = this.eat('n');
    const m = /^[0-9a-f]+/.exec(this.s.slice(this.i));
    if (!m) throw new Fail();
    this.i += m[0].length;
    this.expect('E');
    const v = `${neg ? '-' : ''}${m[0]}`;
    const tn = t.k === 'name' ? t.s : '';
    switch (tn) {
      case 'bool':
        return nm(v === '0' ? 'false' : v === '1' ? 'true' : `(bool)${v}`);
      case 'int':
        return nm(v);
      case 'unsigned int':
        return nm(`${v}u`);
      case 'long':
        return nm(`${v}l`);
      case 'unsigned long':
        return nm(`${v}ul`);
      case 'long long':
        return nm(`${v}ll`);
      case 'unsigned long long':
        return nm(`${v}ull`);
      default:
        return nm(`(${print(t)})${v}`);
    }
  }

  type(): Node {
    const c = this.peek();
    const b = BUILTIN[c];
    if (b) {
      this.i++;
      return nm(b);
    }
    let t: Node;
    switch (c) {
      case 'r':
      case 'V':
      case 'K': {
        let q = '';
        while ('rVK'.includes(this.peek()) && this.peek() !== '') {
          const x = this.peek();
          this.i++;
          q = (x === 'r' ? ' restrict' : x === 'V' ? ' volatile' : ' const') + q;
        }
        t = overPack(this.type(), (x) => ({ k: 'cv', q, t: x }));
        break;
      }
      case 'P':
        this.i++;
        t = overPack(this.type(), (x) => ({ k: 'ptr', t: x }));
        break;
      case 'R':
        this.i++;
        t = makeRef('ref', this.type());
        break;
      case 'O':
        this.i++;
        t = makeRef('rref', this.type());
        break;
      case 'F': {
        this.i++;
        this.eat('Y');
        const ret = this.type();
        const params: Node[] = [];
        let q = '';
        for (;;) {
          if (this.eat('E')) break;
          if (this.peek() === 'R' && this.peek(1) === 'E') {
            this.i += 2;
            q = ' &';
            break;
          }
          if (this.peek() === 'O' && this.peek(1) === 'E') {
            this.i += 2;
            q = ' &&';
            break;
          }
          if (this.i >= this.s.length) throw new Fail();
          params.push(this.type());
        }
        const ps = params.length === 1 && params[0]!.k === 'name' && params[0]!.s === 'void' ? [] : params;
        t = { k: 'fn', ret, params: ps, q };
        break;
      }
      case 'A': {
        this.i++;
        let dim = '';
        if (/\d/.test(this.peek())) dim = String(this.number());
        this.expect('_');
        t = { k: 'array', dim, t: this.type() };
        break;
      }
      case 'M': {
        this.i++;
        const cls = this.type();
        t = { k: 'pm', cls, t: this.type() };
        break;
      }
      case 'T': {
        t = this.templateParam();
        if (this.peek() === 'I') {
          this.subs.push(t);
          t = { k: 'tmpl', name: t, args: this.templateArgs(false) };
        }
        break;
      }
      case 'D': {
        const d = this.peek(1);
        const bd = BUILTIN_D[d];
        if (bd) {
          this.i += 2;
          return nm(bd);
        }
        if (d === 'p') {
          this.i += 2;
          t = this.type();
          break;
        }
        if (d === 'F') {
          this.i += 2;
          const n = this.number();
          this.eat('x');
          this.expect('_');
          return nm(`_Float${n}`);
        }
        throw new Fail();
      }
      case 'u':
        this.i++;
        return nm(this.sourceName());
      case 'S': {
        const n1 = this.peek(1);
        if (/[0-9A-Z_]/.test(n1)) {
          const sub = this.substitution(false);
          if (this.peek() !== 'I') return sub;
          t = { k: 'tmpl', name: sub, args: this.templateArgs(false) };
        } else if (STD_SUB[n1]) {
          const sub = this.substitution(false);
          if (this.peek() !== 'I') return sub;
          t = { k: 'tmpl', name: sub, args: this.templateArgs(false) };
        } else {
          t = this.name(false).node;
        }
        break;
      }
      case 'N':
      case 'Z':
        t = this.name(false).node;
        break;
      default:
        if (/\d/.test(c)) {
          t = this.name(false).node;
          break;
        }
        throw new Fail();
    }
    this.subs.push(t);
    return t;
  }
}

/** Applies a type constructor to each element of a pack (a pack expansion `Dp`). */
function overPack(t: Node, f: (x: Node) => Node): Node {
  return t.k === 'pack' ? { k: 'pack', items: t.items.map(f) } : f(t);
}

/** Reference collapsing (`T&&` with T = `U&` is `U&`), through packs. */
function makeRef(k: 'ref' | 'rref', t: Node): Node {
  if (t.k === 'pack') return { k: 'pack', items: t.items.map((x) => makeRef(k, x)) };
  if (t.k === 'ref') return t;
  if (t.k === 'rref') return k === 'ref' ? { k: 'ref', t: t.t } : t;
  return { k, t };
}

function lastSimpleName(n: Node): string | undefined {
  switch (n.k) {
    case 'name': {
      if (n.last !== undefined) return n.last;
      const s = n.s.replace(/\[abi:[^\]]*\]$/, '');
      const i = s.lastIndexOf('::');
      return i >= 0 ? s.slice(i + 2) : s;
    }
    case 'qual':
      return lastSimpleName(n.name);
    case 'tmpl':
      return lastSimpleName(n.name);
    default:
      return undefined;
  }
}

function print(n: Node): string {
  return decl(n, '');
}

/** A comma-separated list; empty packs print nothing. */
function list(ns: readonly Node[]): string {
  return ns
    .map(print)
    .filter((x, i) => x !== '' || ns[i]!.k !== 'pack')
    .join(', ');
}

/** A pack that is empty or ends in an empty pack (nested packs of `Dp` expansions). */
function endsInEmptyPack(n: Node): boolean {
  if (n.k !== 'pack') return false;
  const last = n.items[n.items.length - 1];
  return last === undefined || endsInEmptyPack(last);
}

function closeAngle(s: string): string {
  return s.endsWith('>') ? `${s} >` : `${s}>`;
}

function decl(n: Node, inner: string): string {
  switch (n.k) {
    case 'name':
      return n.s + inner;
    case 'qual':
      return `${print(n.scope)}::${print(n.name)}${inner}`;
    case 'tmpl': {
      const base = print(n.name);
      const sep = /operator<+$/.test(base) ? ' ' : '';
      const lastArg = n.args[n.args.length - 1];
      // c++filt quirk: after a trailing empty pack it does not separate `>>`.
      const body = `<${list(n.args)}`;
      const close = lastArg !== undefined && endsInEmptyPack(lastArg) ? `${body}>` : closeAngle(body);
      return `${base}${sep}${close}${inner}`;
    }
    case 'pack':
      return list(n.items) + inner;
    case 'ptr':
      return decl(n.t, `*${inner}`);
    case 'ref':
      return decl(n.t, `&${inner}`);
    case 'rref':
      return decl(n.t, `&&${inner}`);
    case 'cv':
      if (n.t.k === 'fn') return decl({ ...n.t, q: n.t.q + n.q }, inner);
      return decl(n.t, `${n.q}${inner}`);
    case 'fn': {
      const ret = n.ret ? print(n.ret) : '';
      return `${ret} ${inner ? `(${inner})` : ''}(${list(n.params)})${n.q}`;
    }
    case 'array':
      return `${print(n.t)} ${inner ? `(${inner}) ` : ''}[${n.dim}]`;
    case 'pm': {
      const cls = print(n.cls);
      if (n.t.k === 'fn' || (n.t.k === 'cv' && n.t.t.k === 'fn')) return decl(n.t, `${cls}::*${inner}`);
      return decl(n.t, ` ${cls}::*${inner}`);
    }
  }
}

/**
 * Demangles a C++ (Itanium, `_Z…`) or Rust (v0 `_R…`, legacy `_ZN…17h<hash>E`) name, or
 * returns the input unchanged.
 */
export function demangle(name: string): string {
  if (isRustName(name)) {
    const r = demangleRust(name);
    if (r !== name) return r;
  }
  if (!name.startsWith('_Z')) return name;
  // A symbol version (`@GLIBCXX_3.4`, `@@…`) is kept after the demangled name, as c++filt does.
  const at = name.indexOf('@');
  if (at > 0) {
    const base = demangleItanium(name.slice(0, at));
    return base === undefined ? name : base + name.slice(at);
  }
  return demangleItanium(name) ?? name;
}

function demangleItanium(name: string): string | undefined {
  try {
    const p = new Parser(name);
    p.i = 2;
    let out = p.encoding();
    // Clone suffixes: `.cold`, `.isra.0`, `.constprop.0`, `.part.0` → ` [clone .isra.0]`.
    while (p.i < name.length) {
      const m = /^\.[A-Za-z_]+(?:\.\d+)*|^(?:\.\d+)+/.exec(name.slice(p.i));
      if (!m) throw new Fail();
      out += ` [clone ${m[0]}]`;
      p.i += m[0].length;
    }
    return out;
  } catch (e) {
    if (e instanceof Fail) return undefined;
    throw e;
  }
}

/** Does the name look mangled (C++ or Rust)? Cheap: `demangle` may still leave it as it is. */
export function isMangled(name: string): boolean {
  return name.startsWith('_Z') || name.startsWith('_R');
}
