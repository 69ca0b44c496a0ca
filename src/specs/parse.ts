/**
 * Spec text → AST for the five tools.
 *
 * The nearley grammars (grammar/*.ne) parse every expression, type, signature, predicate, action
 * and format string. What is decided here, by hand, is only what BCC itself decides lexically
 * or by counting (BCC-GRAMMAR.md §6):
 *  - trace: where the spec ends (the first blank or "("), and what the ':'-parts of the spec
 *    mean (1 part → p::f, 2 → p:lib:f, 3+ → typed; p/r rejoin the middle parts);
 *  - argdist: the `#label` (exactly one '#' outside literals) and the ':'-part count, which
 *    gives BCC's error messages; the grammar then parses from the signature on;
 *  - funccount/stackcount/funclatency: the meaning of the ':'-parts.
 *
 * Every parse must be unambiguous: more than one nearley result is an internal error.
 * Every user error is a SpecSyntaxError with a span into the text the user wrote.
 */
import nearley from 'nearley';
import { SpecSyntaxError, type SourceSpan } from '../errors.js';
import type {
  ArgdistKind,
  ArgdistSpecAst,
  ConversionSpec,
  Expr,
  FormatPiece,
  FormatString,
  FuncPatternAst,
  LengthModifier,
  Param,
  PatternTool,
  ProbeRef,
  ProbeType,
  TraceProbeAst,
  TypeName,
} from './ast.js';
import { RAW_TRACEPOINT_WORDS } from './ast.js';
import { collect } from './diagnostics.js';
import { MAX_EXPR_DEPTH, tooDeep, walk } from './walk.js';
import type { RawArgdistTail, RawPart, RawSignature, RawTraceTail } from './grammar/build.js';
import { CLexer, decodeEscape, type Fault, TOO_LONG, type Tok } from './grammar/lexer.js';
import argdistGrammar from './grammar/argdist.gen.js';
import cexprGrammar from './grammar/cexpr.gen.js';
import formatGrammar from './grammar/format.gen.js';
import partsGrammar from './grammar/parts.gen.js';
import traceGrammar from './grammar/trace.gen.js';

// ---------------------------------------------------------------------------------------------
// Running the grammars
// ---------------------------------------------------------------------------------------------

interface Compiled {
  Lexer: unknown;
  ParserRules: unknown[];
  ParserStart: string;
}

interface ParserInternals {
  table: ({ states: { rule: { symbols: unknown[] }; dot: number }[] } | undefined)[];
  current: number;
}

const grammars = new Map<string, nearley.Grammar>();

/**
 * A parser whose rejection message is not built: nearley's own walks every open state
 * recursively (a stack overflow in deeply nested input), and ours comes from `expected`.
 */
function newParser(g: nearley.Grammar): nearley.Parser {
  const parser = new nearley.Parser(g);
  (parser as unknown as { reportError: () => string }).reportError = () => 'syntax error';
  return parser;
}

function grammarFor(name: string, compiled: Compiled, start: string): nearley.Grammar {
  const key = `${name}:${start}`;
  let g = grammars.get(key);
  if (!g) {
    g = nearley.Grammar.fromCompiled({ ...compiled, ParserStart: start } as unknown as nearley.CompiledRules);
    grammars.set(key, g);
  }
  return g;
}

const TOKEN_NAMES: Record<string, string> = {
  ident: 'identifier',
  int: 'number',
  char: 'character literal',
  string: 'string literal',
  argUser: 'argN@user',
  dollar: '$variable',
  kw_basic: 'type',
  kw_qual: 'qualifier',
  kw_tag: "'struct'",
  kw_typedef: 'type name',
  text: 'text',
  colon: "':'",
};

/** The terminals the parser could have accepted next (for "expected …" hints). */
function expected(parser: nearley.Parser): string[] {
  const p = parser as unknown as ParserInternals;
  const column = p.table[p.current];
  if (!column) return [];
  const names = new Set<string>();
  for (const st of column.states) {
    const sym = st.rule.symbols[st.dot] as { literal?: string; type?: string } | string | undefined;
    if (!sym || typeof sym === 'string') continue;
    if (sym.literal !== undefined) names.add(`'${sym.literal}'`);
    else if (sym.type !== undefined) names.add(TOKEN_NAMES[sym.type] ?? sym.type);
  }
  return [...names].sort();
}

function describeToken(t: Tok): string {
  const text = t.text.length > 24 ? `${t.text.slice(0, 24)}…` : t.text;
  switch (t.type) {
    case 'string':
      return `string literal ${text}`;
    case 'int':
      return `number '${text}'`;
    case 'ident':
    case 'kw_basic':
    case 'kw_qual':
    case 'kw_tag':
    case 'kw_typedef':
      return `'${text}'`;
    default:
      return `'${text}'`;
  }
}

/** A parse failure before it is turned into a SpecSyntaxError (so callers can re-word it). */
interface Failure {
  message: string;
  span: SourceSpan;
  hints: string[];
  /** The offending token, or undefined at end of input or for lexical faults. */
  token?: Tok;
  fault?: Fault;
}

class ParseFailure extends Error {
  constructor(readonly failure: Failure) {
    super(failure.message);
  }
}

function hintsFor(exp: string[]): string[] {
  return exp.length > 0 && exp.length <= 8 ? [`expected ${exp.join(', ')}`] : [];
}

/**
 * Parse source[from, to) with a C-lexer grammar. The text before `from` is blanked rather than
 * cut, so every token offset is an offset into `source`.
 */
function runC<T>(name: string, compiled: Compiled, start: string, source: string, from: number, to: number): T {
  const parser = newParser(grammarFor(name, compiled, start));
  const lexer = compiled.Lexer as CLexer;
  const text = ' '.repeat(from) + source.slice(from, to);
  try {
    parser.feed(text);
  } catch (e) {
    const token = (e as { token?: Tok }).token;
    if (lexer.fault) {
      const f = lexer.fault;
      throw new ParseFailure({ message: f.message, span: { start: f.start, end: f.end }, hints: [...f.hints], fault: f });
    }
    if (!token) throw e;
    throw new ParseFailure({
      message: `unexpected ${describeToken(token)}`,
      span: { start: token.offset, end: token.offset + token.text.length },
      hints: hintsFor(expected(parser)),
      token,
    });
  }
  if (lexer.fault) {
    const f = lexer.fault;
    throw new ParseFailure({ message: f.message, span: { start: f.start, end: f.end }, hints: [...f.hints], fault: f });
  }
  return unique<T>(parser, name, start, source, to);
}

let parseCounts: number[] | undefined;

/**
 * Run `fn` and return how many parses every grammar run inside it produced (for tests that
 * assert the grammars are unambiguous: every entry must be 1).
 */
export function countParses(fn: () => unknown): number[] {
  const saved = parseCounts;
  parseCounts = [];
  try {
    fn();
    return parseCounts;
  } finally {
    parseCounts = saved;
  }
}

function unique<T>(parser: nearley.Parser, name: string, start: string, source: string, to: number): T {
  const results = parser.results as T[];
  parseCounts?.push(results.length);
  if (results.length === 0) {
    throw new ParseFailure({ message: 'unexpected end of input', span: { start: to, end: to }, hints: hintsFor(expected(parser)) });
  }
  if (results.length !== 1) {
    throw new Error(`internal error: grammar ${name}:${start} is ambiguous (${results.length} parses) for ${JSON.stringify(source)}`);
  }
  return results[0]!;
}

/** Parse source[from, to) with a grammar whose lexer is not the C lexer; offsets are shifted. */
function runPlain<T>(name: string, compiled: Compiled, start: string, source: string, from: number, to: number): T {
  const parser = newParser(grammarFor(name, compiled, start));
  parser.feed(source.slice(from, to));
  return unique<T>(parser, name, start, source, to);
}

function fail(source: string, f: Failure): never {
  throw new SpecSyntaxError(f.message, source, f.span, f.hints);
}

/** Runs `body`, turning a ParseFailure into a SpecSyntaxError over `source`. */
function guarded<T>(source: string, body: () => T): T {
  try {
    return body();
  } catch (e) {
    if (e instanceof ParseFailure) fail(source, e.failure);
    throw e;
  }
}

/** An empty span widened to the next character, if there is one (so the caret shows where). */
function widen(span: SourceSpan, source: string): SourceSpan {
  return span.start === span.end && span.end < source.length ? { start: span.start, end: span.end + 1 } : span;
}

function err(source: string, message: string, span: SourceSpan, hints: string[] = []): never {
  throw new SpecSyntaxError(message, source, span, hints);
}

// ---------------------------------------------------------------------------------------------
// Pieces shared by the tools
// ---------------------------------------------------------------------------------------------

function splitParts(source: string, from: number, to: number): RawPart[] {
  const raw = runPlain<RawPart[]>('parts', partsGrammar as Compiled, 'parts', source, from, to);
  return raw.map((p) => ({ text: p.text, span: { start: p.span.start + from, end: p.span.end + from } }));
}

/** Semantic checks the grammar cannot express (STRCMP's shape). */
function validateExpr(source: string, e: Expr): void {
  const deep = tooDeep(e);
  if (deep) {
    err(source, `expression nested too deeply (more than ${MAX_EXPR_DEPTH} levels)`, deep.span, [
      'split it into several expressions, or compute it in the traced program',
    ]);
  }
  walk(e, (x) => {
    if (x.kind === 'call' && x.callee === 'STRCMP') {
      err(source, 'STRCMP takes a string literal and an expression', x.span, ['write STRCMP("text", expr)']);
    }
    if (x.kind === 'strcmp' && x.literal.bytes.length === 0) {
      err(source, 'STRCMP needs a non-empty string literal', x.literal.span);
    }
  });
}

function signatureParams(source: string, sig: RawSignature): Param[] {
  const ps = sig.params;
  const only = ps[0];
  if (ps.length === 1 && only && 'unnamed' in only && only.type.base.kind === 'void' && only.type.pointer === 0) return [];
  const seen = new Set<string>();
  return ps.map((p) => {
    if ('unnamed' in p) {
      const written = source.slice(p.span.start, p.span.end);
      return err(source, `signature parameter '${written}' has no name`, p.span, [`write it as in C, e.g. '${written} x'`]);
    }
    if (seen.has(p.name)) return err(source, `duplicate parameter name '${p.name}' in the signature`, p.nameSpan, ['each parameter needs its own name']);
    seen.add(p.name);
    return p;
  });
}

const CONV_RE = /^%([-+ #0]*)([0-9]*)(\.[0-9]*)?(?:(hh|ll|[hlLqjzt])?([A-Za-z]))?$/;
const CONV_SPECS = new Set<string>(['d', 'i', 'u', 'x', 'X', 'o', 'c', 's', 'p', 'K', 'U']);
const INTEGER_SPECS = new Set<string>(['d', 'i', 'u', 'x', 'X', 'o']);

/** Parse the raw (undecoded) contents source[from, to) of a format string. */
function formatAt(source: string, from: number, to: number, span: SourceSpan): FormatString {
  const toks = runPlain<Tok[]>('format', formatGrammar as Compiled, 'format', source, from, to);
  const pieces: FormatPiece[] = [];
  const text = (value: string, s: SourceSpan): void => {
    const prev = pieces[pieces.length - 1];
    if (prev && prev.kind === 'text') pieces[pieces.length - 1] = { kind: 'text', value: prev.value + value, span: { start: prev.span.start, end: s.end } };
    else pieces.push({ kind: 'text', value, span: s });
  };
  for (const t of toks) {
    const s = { start: from + t.offset, end: from + t.offset + t.text.length };
    switch (t.type) {
      case 'text': {
        const nul = t.text.indexOf('\u0000');
        if (nul >= 0) err(source, 'a format string cannot hold a NUL byte', { start: s.start + nul, end: s.start + nul + 1 });
        text(t.text, s);
        break;
      }
      case 'percent':
        text('%', s);
        break;
      case 'escape': {
        const v = decodeEscape(t.text);
        if (typeof v === 'string') err(source, v, s);
        if (v === 0) err(source, `a format string cannot hold a NUL byte ('${t.text}')`, s, ['the text after it would never print']);
        text(String.fromCharCode(v), s);
        break;
      }
      case 'conv': {
        const m = CONV_RE.exec(t.text);
        if (!m) return err(source, `unsupported format conversion '${t.text}'`, s);
        const [, flags, width, precision, length = '', letter] = m;
        if (!letter) {
          err(source, `incomplete format conversion '${t.text}'`, s, ["write '%%' for a literal '%'"]);
        }
        if (flags || width || precision) {
          err(source, `width/flags not supported in '${t.text}'`, s, [`use '%${length}${letter}'`]);
        }
        if (!CONV_SPECS.has(letter!) || (length !== '' && (!INTEGER_SPECS.has(letter!) || !['h', 'hh', 'l', 'll'].includes(length)))) {
          err(source, `unsupported format conversion '${t.text}'`, s, ['supported: %d %i %u %x %X %o (with h, hh, l, ll), %c %s %p %K %U and %%']);
        }
        pieces.push({ kind: 'conversion', spec: letter as ConversionSpec, length: length as LengthModifier, span: s });
        break;
      }
      default:
        throw new Error(`internal error: format token ${t.type}`);
    }
  }
  return { pieces, span };
}

// ---------------------------------------------------------------------------------------------
// Public: expressions, format strings
// ---------------------------------------------------------------------------------------------

/** Parse one C expression (`args->nr_sector * 512`). Spans are offsets into `text`. */
export function parseExpr(text: string): Expr {
  return guarded(text, () => {
    if (text.trim() === '') err(text, 'empty expression', { start: 0, end: text.length });
    const e = runC<Expr>('cexpr', cexprGrammar as Compiled, 'exprMain', text, 0, text.length);
    validateExpr(text, e);
    return e;
  });
}

/** Parse a C type name as written in casts and argdist type lists (`struct sock *`, `u64`). */
export function parseTypeName(text: string): TypeName {
  return guarded(text, () => {
    const types = runC<TypeName[]>('cexpr', cexprGrammar as Compiled, 'typeListMain', text, 0, text.length);
    if (types.length !== 1) err(text, 'expected a single type name', { start: 0, end: text.length });
    return types[0]!;
  });
}

/**
 * Parse the contents of a format string as written between the double quotes, escapes not yet
 * decoded (`size = %d\n`). Spans are offsets into `text`.
 */
export function parseFormat(text: string): FormatString {
  return guarded(text, () => formatAt(text, 0, text.length, { start: 0, end: text.length }));
}

// ---------------------------------------------------------------------------------------------
// trace
// ---------------------------------------------------------------------------------------------

const BLANK = /[ \t\r\n]/;

function parseOffset(source: string, text: string, span: SourceSpan): number {
  const n = /^[0-9]+$/.test(text) ? Number(text) : /^0[xX][0-9a-fA-F]+$/.test(text) ? Number.parseInt(text.slice(2), 16) : undefined;
  if (n !== undefined && !Number.isSafeInteger(n)) return err(source, `offset '${text}' is too large`, span, ['an offset is a byte offset into the function']);
  if (n !== undefined) return n;
  return err(source, `invalid offset format '${text}', must be decimal or hexadecimal`, span, ['e.g. +16 or +0x10']);
}

const RAW_TRACEPOINT_FORMS = 'rawtracepoint:NAME or rt:NAME';

/**
 * The name part of a raw tracepoint written as `WORD:NAME` or `WORD::NAME` (the empty middle
 * part keeps argdist's three-part form): anything else between is refused, since a raw
 * tracepoint has no library and no category.
 */
function rawTracepointName(source: string, parts: readonly RawPart[], to: number): RawPart {
  const n = parts.length;
  if (n > 3 || (n === 3 && parts[1]!.text !== '')) {
    const extra = n === 3 ? parts[1]! : parts[3]!;
    err(source, "too many ':'-separated components in raw tracepoint probe", n === 3 ? extra.span : { start: extra.span.start - 1, end: to }, [
      `a raw tracepoint has no library or category: write ${RAW_TRACEPOINT_FORMS}`,
    ]);
  }
  const name = parts[n - 1]!;
  if (name.text === '') err(source, 'missing raw tracepoint name', widen(name.span, source), [`write ${RAW_TRACEPOINT_FORMS}`]);
  return name;
}

/** BCC's trace spec semantics over the ':'-parts of source[from, to). */
function traceProbeRef(source: string, from: number, to: number): ProbeRef {
  const parts = splitParts(source, from, to);
  const span = { start: from, end: to };
  const n = parts.length;
  if (n >= 2 && RAW_TRACEPOINT_WORDS.has(parts[0]!.text)) {
    const name = rawTracepointName(source, parts, to);
    const plus = name.text.indexOf('+');
    if (plus >= 0) {
      err(source, 'offsets are only supported for entry probes (p)', { start: name.span.start + plus, end: name.span.end }, [
        `remove '${name.text.slice(plus)}' from the raw tracepoint`,
      ]);
    }
    return { type: 'rawtracepoint', library: '', function: name.text, typeExplicit: true, span };
  }
  let type: ProbeType = 'p';
  let typeExplicit = false;
  let library = '';
  let fnPart: RawPart;
  if (n >= 3) {
    const t = parts[0]!;
    if (!['', 'p', 'r', 't', 'u'].includes(t.text)) {
      err(source, `probe type must be '', 'p', 't', 'r', or 'u', but got '${t.text}'`, t.span.start === t.span.end ? span : t.span, [
        `p: function entry, r: function return, t: tracepoint, u: USDT probe; a raw tracepoint is ${RAW_TRACEPOINT_FORMS}`,
      ]);
    }
    type = (t.text || 'p') as ProbeType;
    typeExplicit = t.text !== '';
  }
  const noOffset = (p: RawPart, what: string): void => {
    const plus = p.text.indexOf('+');
    if (plus >= 0) {
      err(source, 'offsets are only supported for entry probes (p)', { start: p.span.start + plus, end: p.span.end }, [
        `remove '${p.text.slice(plus)}' from the ${what}`,
      ]);
    }
  };
  const need = (p: RawPart, what: string): void => {
    if (p.text === '') err(source, `missing ${what}`, widen(p.span, source));
  };
  if (type === 't') {
    if (n > 3) err(source, "too many ':'-separated components in tracepoint probe", { start: parts[3]!.span.start - 1, end: to }, ['write t:category:event']);
    const [, cat, ev] = parts as [RawPart, RawPart, RawPart];
    need(cat, 'tracepoint category');
    need(ev, 'tracepoint event name');
    noOffset(ev, 'tracepoint');
    return { type, library: '', category: cat.text, function: ev.text, typeExplicit, span };
  }
  if (type === 'u') {
    if (n > 4)
      err(source, "too many ':'-separated components in USDT probe", { start: parts[4]!.span.start - 1, end: to }, [
        'write u:library:probe or u:library:provider:probe',
      ]);
    const lib = parts[1]!;
    const name = parts[n - 1]!;
    const provider = n === 4 ? parts[2]! : undefined;
    if (provider) need(provider, 'USDT provider name');
    need(name, 'USDT probe name');
    noOffset(name, 'USDT probe');
    return { type, library: lib.text, function: name.text, ...(provider ? { provider: provider.text } : {}), typeExplicit, span };
  }
  if (n === 1) fnPart = parts[0]!;
  else if (n === 2) {
    library = parts[0]!.text;
    fnPart = parts[1]!;
  } else {
    library = parts
      .slice(1, -1)
      .map((p) => p.text)
      .join(':');
    fnPart = parts[n - 1]!;
  }
  const plus = fnPart.text.indexOf('+');
  const fn = plus >= 0 ? fnPart.text.slice(0, plus) : fnPart.text;
  if (fn === '') {
    err(source, 'missing function name', widen({ start: fnPart.span.start, end: fnPart.span.start }, source));
  }
  let offset: number | undefined;
  if (plus >= 0) {
    const offSpan = { start: fnPart.span.start + plus, end: fnPart.span.end };
    if (type !== 'p') err(source, 'offsets are only supported for entry probes (p)', offSpan, ['an offset needs a p: probe']);
    offset = parseOffset(source, fnPart.text.slice(plus + 1), { start: offSpan.start + 1, end: offSpan.end });
  }
  return { type, library, function: fn, ...(offset !== undefined ? { offset } : {}), typeExplicit, span };
}

interface TailLayout {
  /** Offset of the first token of the action region, or undefined if there is none. */
  actionStart?: number;
  /** The predicate's "(" when its ")" is missing. */
  unmatchedPredicate?: number;
  hasPredicate: boolean;
  /** The predicate's parentheses, when balanced: [offset of '(', offset after ')']. */
  predicate?: [number, number];
  /** Tokens from the action region on (blanks dropped). */
  actionToks: Tok[];
}

/** Token-level layout of a trace tail, for wording errors the way BCC users know them. */
function tailLayout(source: string, specEnd: number, glued: boolean): TailLayout {
  const { toks } = CLexer.tokens(' '.repeat(specEnd) + source.slice(specEnd));
  let i = 0;
  const skipGroup = (): boolean => {
    let depth = 0;
    for (; i < toks.length; i++) {
      const t = toks[i]!.text;
      if (t === '(') depth++;
      else if (t === ')' && --depth === 0) {
        i++;
        return true;
      }
    }
    return false;
  };
  if (glued && !skipGroup()) return { hasPredicate: false, actionToks: [] };
  let hasPredicate = false;
  let predicate: [number, number] | undefined;
  if (toks[i]?.text === '(') {
    const open = toks[i]!.offset;
    hasPredicate = true;
    const last = toks[toks.length - 1];
    if (!skipGroup()) {
      if (last?.type === 'fault') return { hasPredicate, actionToks: [] };
      return { hasPredicate, unmatchedPredicate: open, actionToks: [] };
    }
    const close = toks[i - 1]!;
    predicate = [open, close.offset + 1];
  }
  const actionToks = toks.slice(i);
  return { hasPredicate, actionToks, ...(predicate ? { predicate } : {}), ...(actionToks[0] ? { actionStart: actionToks[0].offset } : {}) };
}

/** Re-word a trace-tail failure in BCC's terms where BCC has words for it. */
function explainTail(source: string, specEnd: number, glued: boolean, f: Failure): Failure {
  if (f.fault?.message === TOO_LONG) return f;
  const layout = tailLayout(source, specEnd, glued);
  if (layout.unmatchedPredicate !== undefined) {
    return { message: 'unmatched end of predicate', span: { start: layout.unmatchedPredicate, end: source.length }, hints: ["add the missing ')'"] };
  }
  const at = f.span.start;
  const pred = layout.predicate;
  if (!glued && pred && at < pred[1]) {
    try {
      runC('cexpr', cexprGrammar as Compiled, 'signatureMain', source, pred[0], pred[1]);
      const spec = source.slice(0, specEnd).trim();
      return {
        message: `'${source.slice(pred[0], pred[1])}' is not a valid predicate`,
        span: { start: pred[0], end: pred[1] },
        hints: [`a signature must follow the function name without a blank: '${spec}${source.slice(pred[0], pred[1])}'`],
      };
    } catch (e) {
      if (!(e instanceof ParseFailure)) throw e;
    }
    return f;
  }
  const first = layout.actionToks[0];
  if (layout.actionStart === undefined || !first || at < layout.actionStart) return f;
  const stringTok = layout.actionToks.find((t) => t.type === 'string');
  if (f.fault && f.fault.start === first.offset && source[first.offset] === '"' && f.fault.message === 'unterminated string literal') {
    return { message: 'expected format string in "s', span: f.span, hints: ["the format string is not terminated (missing closing '\"')"] };
  }
  if (first.type === 'string' || first.type === 'fault') return f;
  if (first.text === ')' && layout.hasPredicate && at === first.offset) {
    return { message: "unexpected ')' after predicate", span: f.span, hints: [] };
  }
  if (stringTok) {
    return {
      message: 'unexpected text before format string',
      span: { start: first.offset, end: stringTok.offset },
      hints: ['the action is "format"[, arguments]; anything before the format string is not allowed'],
    };
  }
  return {
    message: 'expected format string in "s',
    span: { start: first.offset, end: source.trimEnd().length },
    hints: ['the action must start with a double-quoted format string: "…"[, arguments]'],
  };
}

/** Parse one trace probe argument (`'r:c:read ((int)retval < 0) "read failed: %d", retval'`). */
export function parseTraceProbe(text: string): TraceProbeAst {
  const source = text;
  return guarded(source, () => {
    let i = 0;
    while (i < text.length && BLANK.test(text[i]!)) i++;
    if (i === text.length) err(source, 'empty probe specification', { start: 0, end: text.length }, ["e.g. 'do_sys_open' or 'p:c:malloc \"%d\", arg1'"]);
    let specEnd = i;
    while (specEnd < text.length && !BLANK.test(text[specEnd]!) && text[specEnd] !== '(') specEnd++;
    if (specEnd === i) err(source, "missing probe specification before '('", { start: i, end: i + 1 });
    const quote = text.indexOf('"', i);
    if (quote >= 0 && quote < specEnd) {
      err(source, `unexpected '"' in probe specification`, { start: quote, end: quote + 1 }, ['separate the format string from the probe with a blank']);
    }
    const ref = traceProbeRef(source, i, specEnd);
    let tail: RawTraceTail = {};
    const rest = text.slice(specEnd);
    const glued = text[specEnd] === '(';
    if (rest.trim() !== '') {
      try {
        tail = runC<RawTraceTail>('trace', traceGrammar as Compiled, glued ? 'traceGlued' : 'traceSpaced', source, specEnd, text.length);
      } catch (e) {
        if (e instanceof ParseFailure) fail(source, explainTail(source, specEnd, glued, e.failure));
        throw e;
      }
    }
    let signature: Param[] | undefined;
    if (tail.signature) {
      if (ref.type === 't' || ref.type === 'u') {
        err(source, "USDT and tracepoint probes can't have a function signature; use arg1, arg2, ... instead", tail.signature.span);
      }
      if (ref.type === 'rawtracepoint') {
        err(source, "raw tracepoints can't have a function signature: their arguments are named from BTF", tail.signature.span, [
          `use args->name (kernel BTF) or arg1, arg2, ..., e.g. 'rawtracepoint:${ref.function} "%d", arg1'`,
        ]);
      }
      signature = signatureParams(source, tail.signature);
    }
    const predicate = tail.predicate?.expr;
    if (predicate) validateExpr(source, predicate);
    let format: FormatString | undefined;
    const args = tail.action?.args ?? [];
    for (const a of args) validateExpr(source, a);
    if (tail.action) {
      const ft = tail.action.format;
      const span = { start: ft.offset, end: ft.offset + ft.text.length };
      format = formatAt(source, span.start + 1, span.end - 1, span);
      const convs = format.pieces.filter((p) => p.kind === 'conversion').length;
      if (convs !== args.length) {
        const extra = args.slice(convs);
        const where = extra.length > 0 ? { start: extra[0]!.span.start, end: extra[extra.length - 1]!.span.end } : span;
        err(source, `format string has ${convs} conversion(s) but ${args.length} argument(s)`, where, [
          convs > args.length ? 'add an argument for every conversion' : "write '%%' for a literal '%', or add a conversion for every argument",
        ]);
      }
    }
    return {
      ref,
      ...(signature ? { signature } : {}),
      ...(predicate ? { predicate } : {}),
      ...(format ? { format } : {}),
      args,
      text,
      span: { start: 0, end: text.length },
    };
  });
}

/** Parse several trace probes, reporting every bad one (DiagnosticsError). */
export function parseTraceProbes(texts: readonly string[]): TraceProbeAst[] {
  return collect(texts, (t) => parseTraceProbe(t));
}

// ---------------------------------------------------------------------------------------------
// argdist
// ---------------------------------------------------------------------------------------------

/**
 * Scan `text` outside string and character literals. Calls `visit(ch, index, depth)` for every
 * other character; depth counts (), [] and {}.
 */
function scanOutsideLiterals(text: string, from: number, to: number, visit: (ch: string, i: number, depth: number) => void): void {
  let depth = 0;
  for (let i = from; i < to; i++) {
    const ch = text[i]!;
    if (ch === '"' || ch === "'") {
      for (i++; i < to && text[i] !== ch; i++) if (text[i] === '\\') i++;
      continue;
    }
    if (ch === '(' || ch === '[' || ch === '{') depth++;
    else if (ch === ')' || ch === ']' || ch === '}') depth = Math.max(0, depth - 1);
    visit(ch, i, depth);
  }
}

/** The ':'-parts of an argdist body, skipping ':' inside literals, brackets, and after '?'. */
function argdistParts(text: string, from: number, to: number): RawPart[] {
  const cuts: number[] = [];
  let pendingTernary = 0;
  scanOutsideLiterals(text, from, to, (ch, i, depth) => {
    if (depth !== 0) return;
    if (ch === '?') pendingTernary++;
    else if (ch === ':') {
      if (pendingTernary > 0) pendingTernary--;
      else cuts.push(i);
    }
  });
  const bounds = [from - 1, ...cuts, to];
  return bounds.slice(1).map((end, k) => {
    const start = bounds[k]! + 1;
    return { text: text.slice(start, end), span: { start, end } };
  });
}

/**
 * Parse one argdist specifier (the argument of -C or -H), applying BCC's defaults: without
 * type/expr parts, p/t/u count calls (`u64`, `1`) and r probes use `int` `$retval`.
 */
export function parseArgdistSpec(text: string, kind: ArgdistKind): ArgdistSpecAst {
  const source = text;
  return guarded(source, () => {
    const hashes: number[] = [];
    scanOutsideLiterals(text, 0, text.length, (ch, i) => {
      if (ch === '#') hashes.push(i);
    });
    const bodyEnd = hashes.length > 0 ? hashes[0]! : text.length;
    const label = hashes.length === 1 ? text.slice(hashes[0]! + 1) : undefined;
    let bs = 0;
    let be = bodyEnd;
    while (bs < be && BLANK.test(text[bs]!)) bs++;
    while (be > bs && BLANK.test(text[be - 1]!)) be--;
    const whole = bs < be ? { start: bs, end: be } : { start: 0, end: text.length };
    const parts = argdistParts(text, bs, be);
    if (parts.length < 3) {
      const head = parts.length === 2 ? parts[0]!.text : '';
      err(source, 'at least the probe type, library, and function signature must be specified', whole, [
        RAW_TRACEPOINT_WORDS.has(head) ? `a raw tracepoint's library is empty: '${head}::${parts[1]!.text}'` : "e.g. 'p:c:malloc(size_t size):size_t:size'",
      ]);
    }
    if (parts.length > 6) {
      err(source, "extraneous ':'-separated parts detected", { start: parts[6]!.span.start - 1, end: be }, [
        'the form is type:library:function(signature):types:exprs:filter',
      ]);
    }
    const [p0, p1, p2] = parts as [RawPart, RawPart, RawPart];
    const raw = RAW_TRACEPOINT_WORDS.has(p0.text);
    if (!raw && !['p', 'r', 't', 'u'].includes(p0.text)) {
      err(source, `probe type must be 'p', 'r', 't', or 'u' but got '${p0.text}'`, p0.text ? p0.span : whole, [
        "a raw tracepoint is 'rawtracepoint::NAME()' (or 'rt::NAME()')",
      ]);
    }
    if (raw && p1.text !== '') {
      // `rt:NAME():…` left the library out; `rt:x:NAME()` wrote one.
      const fixed = p1.text.includes('(') ? `${p0.text}::${text.slice(p1.span.start, be)}` : `${p0.text}::${text.slice(p2.span.start, be)}`;
      err(source, 'a raw tracepoint has no library or category', p1.span, [`write '${fixed}'`]);
    }
    const type: ProbeType = raw ? 'rawtracepoint' : (p0.text as ProbeType);
    const paren = p2.text.indexOf('(');
    const name = paren >= 0 ? p2.text.slice(0, paren) : '';
    if (paren <= 0 || /\s/.test(name)) {
      err(source, `function signature '${p2.text}' has an invalid format`, p2.text ? p2.span : whole, [
        "write the function with its signature, e.g. 'malloc(size_t size)' or 'fork()'",
      ]);
    }
    const sigStart = p2.span.start + paren;
    let tail: RawArgdistTail;
    try {
      tail = runC<RawArgdistTail>('argdist', argdistGrammar as Compiled, 'argdistTail', source, sigStart, be);
    } catch (e) {
      if (e instanceof ParseFailure && e.failure.token?.text === '(' && e.failure.span.start < p2.span.end) {
        fail(source, { ...e.failure, message: 'function-pointer parameters are not supported', hints: ["declare it as 'void *name'"] });
      }
      throw e;
    }
    const sigSpan = tail.signature.span;
    const signature = signatureParams(source, tail.signature);
    if ((type === 't' || type === 'u') && signature.length > 0) {
      err(source, `${type === 't' ? 'tracepoint' : 'USDT probe'} signature must be empty`, sigSpan, [
        type === 't' ? "use args->field, e.g. 't:sched:sched_switch():int:args->next_pid'" : 'use arg1, arg2, ...',
      ]);
    }
    if (type === 'rawtracepoint' && signature.length > 0) {
      err(source, 'raw tracepoint signature must be empty', sigSpan, [
        "its arguments are args->name (named and typed from kernel BTF) or arg1, arg2, ..., e.g. 'rawtracepoint::sched_switch():int:args->prev->pid'",
      ]);
    }
    const ref: ProbeRef =
      type === 't'
        ? { type, library: '', category: p1.text, function: name, typeExplicit: true, span: { start: bs, end: sigStart } }
        : { type, library: p1.text, function: name, typeExplicit: true, span: { start: bs, end: sigStart } };
    let types: TypeName[];
    let exprs: Expr[];
    let defaultExpr = false;
    if (tail.exprs === undefined) {
      defaultExpr = true;
      const at = { start: sigSpan.end, end: sigSpan.end };
      if (type === 'r') {
        types = [{ base: { kind: 'basic', name: 'int' }, pointer: 0, const: false, volatile: false, user: false, span: at }];
        exprs = [{ kind: 'retval', dollar: true, span: at }];
      } else {
        if (kind === 'H') err(source, 'histograms must have expr', whole, ["add ':type:expr', e.g. ':u64:size'"]);
        types = [{ base: { kind: 'typedef', name: 'u64', known: true }, pointer: 0, const: false, volatile: false, user: false, span: at }];
        exprs = [{ kind: 'int', value: 1n, suffix: '', radix: 'decimal', span: at }];
      }
    } else {
      types = [...(tail.types ?? [])];
      exprs = [...tail.exprs];
      if (types.length === 0) err(source, 'no expr types specified', tail.typesColon ?? whole);
      if (exprs.length === 0) err(source, 'no exprs specified', tail.exprsColon ?? whole);
      if (types.length !== exprs.length) {
        err(source, 'mismatched # of exprs and types', { start: types[0]!.span.start, end: exprs[exprs.length - 1]!.span.end }, [
          `${types.length} type(s) and ${exprs.length} expression(s)`,
        ]);
      }
      if (kind === 'H' && exprs.length > 1) {
        err(source, 'histograms can only have 1 expr', { start: exprs[1]!.span.start, end: exprs[exprs.length - 1]!.span.end });
      }
    }
    if (tail.filter === null) err(source, 'no filter specified', tail.filterColon ?? whole, ["remove the trailing ':'"]);
    const filter = tail.filter ?? undefined;
    for (const e of exprs) validateExpr(source, e);
    if (filter) validateExpr(source, filter);
    return {
      kind,
      ref,
      signature,
      types,
      exprs,
      ...(filter ? { filter } : {}),
      ...(label !== undefined ? { label } : {}),
      defaultExpr,
      text,
      span: { start: 0, end: text.length },
    };
  });
}

// ---------------------------------------------------------------------------------------------
// funccount / stackcount / funclatency
// ---------------------------------------------------------------------------------------------

/**
 * Parse a pattern: `[type:][library:]pattern`. funccount/stackcount: 1 part → kernel,
 * 2 parts → library (any library, even "t"), 3 parts → p/t/u typed, more → error; and, before
 * all of these, bpftrace's `rawtracepoint:NAME`/`rt:NAME` (`rawtracepoint::NAME` too).
 * funclatency: only `pattern` and `library:pattern` (a raw tracepoint has no return to time).
 */
export function parseFuncPattern(text: string, tool: PatternTool): FuncPatternAst {
  const source = text;
  return guarded(source, () => {
    const parts = splitParts(source, 0, text.length);
    const span = { start: 0, end: text.length };
    const base = { tool, text, span };
    const n = parts.length;
    if (n >= 2 && RAW_TRACEPOINT_WORDS.has(parts[0]!.text)) {
      if (tool === 'funclatency') {
        err(source, `funclatency times functions from entry to return, and a raw tracepoint has no return: '${text}'`, parts[0]!.span, [
          `count its events with funccount '${text}'; for a function of librt write the library's path`,
        ]);
      }
      const name = rawTracepointName(source, parts, text.length);
      return { ...base, type: 'rawtracepoint', library: '', pattern: name.text, patternSpan: name.span, typeExplicit: true };
    }
    if (n === 1) return { ...base, type: 'p', library: '', pattern: parts[0]!.text, patternSpan: parts[0]!.span, typeExplicit: false };
    if (n === 2) {
      return { ...base, type: 'p', library: parts[0]!.text, pattern: parts[1]!.text, patternSpan: parts[1]!.span, typeExplicit: false };
    }
    if (tool === 'funclatency') {
      err(source, `unrecognized pattern format '${text}'`, span, ['funclatency takes function or library:function (no probe type)']);
    }
    if (n > 3) {
      err(source, `Too many ':'-separated components in pattern ${text}`, { start: parts[3]!.span.start - 1, end: text.length });
    }
    const [t, lib, pat] = parts as [RawPart, RawPart, RawPart];
    if (t.text !== 'p' && t.text !== 't' && t.text !== 'u') {
      const got = tool === 'funccount' ? `'${t.text}'` : t.text;
      err(source, `Type must be 'p', 't', or 'u', but got ${got}`, t.text ? t.span : span, [
        tool === 'funccount' ? 'funccount counts entries: p, t and u only (no return probes)' : 'stackcount takes p, t and u probes',
      ]);
    }
    if (t.text === 't') {
      return {
        ...base,
        type: 't',
        library: '',
        pattern: `${lib.text}:${pat.text}`,
        patternSpan: { start: lib.span.start, end: pat.span.end },
        category: lib.text,
        event: pat.text,
        typeExplicit: true,
      };
    }
    return { ...base, type: t.text, library: lib.text, pattern: pat.text, patternSpan: pat.span, typeExplicit: true };
  });
}
