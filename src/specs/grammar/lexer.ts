/**
 * moo lexers for the nearley grammars, plus the thin wrapper nearley talks to.
 *
 * The C-expression lexer is shared by every grammar that parses C (expressions, casts,
 * signatures, argdist type lists, trace tails). Its wrapper (`CLexer`):
 *  - drops whitespace tokens (grammars never see blanks; where blanks matter — the trace spec
 *    end — a hand-written pre-pass decides before the grammar runs);
 *  - validates tokens that moo can only match broadly (integer literals, escapes, `$names`,
 *    `argN@user`), and on a fault records it and hands nearley a token of type `fault`, which
 *    no rule accepts. The caller reads `fault` to report the precise message and span.
 *
 * Callers that parse a fragment of a larger text feed the whole text with everything before
 * the fragment replaced by blanks, so token offsets are offsets into the original text.
 */
import moo from 'moo';

/** Typedef names the lexer knows as types (so `(u32)x` is a cast and not a parenthesised name). */
export const TYPEDEF_NAMES: readonly string[] = [
  'u8',
  'u16',
  'u32',
  'u64',
  's8',
  's16',
  's32',
  's64',
  '__u8',
  '__u16',
  '__u32',
  '__u64',
  '__s8',
  '__s16',
  '__s32',
  '__s64',
  '__be16',
  '__be32',
  '__be64',
  '__le16',
  '__le32',
  '__le64',
  'uint8_t',
  'uint16_t',
  'uint32_t',
  'uint64_t',
  'int8_t',
  'int16_t',
  'int32_t',
  'int64_t',
  'uintptr_t',
  'intptr_t',
  'size_t',
  'ssize_t',
  'pid_t',
  'uid_t',
  'gid_t',
  'loff_t',
  'off_t',
  'bool',
  'gfp_t',
  'umode_t',
  'mode_t',
  'dev_t',
  'sector_t',
  'ktime_t',
  'time64_t',
  'time_t',
  'clockid_t',
  'fmode_t',
  'phys_addr_t',
  'dma_addr_t',
  'atomic_t',
  'atomic64_t',
];

export const BASIC_WORDS: readonly string[] = ['void', 'char', 'short', 'int', 'long', 'signed', 'unsigned', 'float', 'double', '_Bool'];
export const QUALIFIER_WORDS: readonly string[] = ['const', 'volatile', 'restrict', '__restrict', '__user', '__kernel', '__force', '__iomem'];

export const DOLLAR_NAMES: readonly string[] = [
  '$retval',
  '$latency',
  '$entry',
  '$PID',
  '$TID',
  '$UID',
  '$GID',
  '$COMM',
  '$cpu',
  '$task',
  '$pid',
  '$tgid',
  '$uid',
  '$gid',
];

const cRules: moo.Rules = {
  ws: { match: /[ \t\r\n\f\v]+/, lineBreaks: true },
  int: /[0-9][0-9A-Za-z_]*/,
  char: /'(?:[^'\\\n]|\\.)*'/,
  string: /"(?:[^"\\\n]|\\.)*"/,
  argUser: /[A-Za-z_][A-Za-z0-9_]*@[A-Za-z_][A-Za-z0-9_]*/,
  dollar: /\$[A-Za-z_][A-Za-z0-9_]*/,
  ident: {
    match: /[A-Za-z_][A-Za-z0-9_]*/,
    type: moo.keywords({
      kw_basic: [...BASIC_WORDS],
      kw_qual: [...QUALIFIER_WORDS],
      kw_tag: ['struct', 'union', 'enum'],
      kw_typedef: [...TYPEDEF_NAMES],
      kw_sizeof: ['sizeof'],
    }),
  },
  punct: [
    '->',
    '<<',
    '>>',
    '<=',
    '>=',
    '==',
    '!=',
    '&&',
    '||',
    '+',
    '-',
    '*',
    '/',
    '%',
    '&',
    '|',
    '^',
    '~',
    '!',
    '?',
    ':',
    ',',
    '.',
    '(',
    ')',
    '[',
    ']',
    '<',
    '>',
  ],
  error: moo.error,
};

export interface Fault {
  readonly message: string;
  readonly start: number;
  readonly end: number;
  readonly hints: readonly string[];
}

/** The token objects nearley receives (a moo token; `fault` tokens are never accepted). */
export type Tok = moo.Token;

const INT_RE = /^(0[xX][0-9a-fA-F]+|0[0-7]*|[1-9][0-9]*)([uU](?:ll|LL|l|L)?|(?:ll|LL|l|L)[uU]?)?$/;

/** Decode one escape sequence (the text starting with `\`). */
export function decodeEscape(esc: string): number | string {
  const c = esc[1];
  if (c === undefined) return 'incomplete escape sequence at end of string';
  if (c === 'x') {
    const hex = esc.slice(2);
    if (!/^[0-9a-fA-F]{1,2}$/.test(hex)) return `invalid escape sequence '\\x${hex}' (expected \\xHH)`;
    return parseInt(hex, 16);
  }
  if (/[0-7]/.test(c)) {
    const v = parseInt(esc.slice(1), 8);
    if (v > 255) return `octal escape sequence '${esc}' is out of range`;
    return v;
  }
  switch (c) {
    case 'n':
      return 10;
    case 't':
      return 9;
    case 'r':
      return 13;
    case 'a':
      return 7;
    case 'b':
      return 8;
    case 'f':
      return 12;
    case 'v':
      return 11;
    case 'e':
      return 27;
    case '\\':
      return 92;
    case '"':
      return 34;
    case "'":
      return 39;
    case '?':
      return 63;
    default:
      return `unknown escape sequence '\\${c}'`;
  }
}

const ESCAPE_RE = /\\(?:x[0-9a-fA-F]{0,2}|[0-7]{1,3}|[\s\S])?/g;

export interface DecodedText {
  readonly value: string;
  readonly bytes: number[];
}

/**
 * Decode the body of a C string or char literal (without quotes). Returns the fault message and
 * the offset of the bad escape inside `body` on error.
 */
export function decodeBody(body: string): DecodedText | { error: string; at: number; length: number } {
  let value = '';
  const bytes: number[] = [];
  let last = 0;
  const enc = new TextEncoder();
  for (const m of body.matchAll(ESCAPE_RE)) {
    const at = m.index ?? 0;
    const plain = body.slice(last, at);
    value += plain;
    bytes.push(...enc.encode(plain));
    const r = decodeEscape(m[0]);
    if (typeof r === 'string') return { error: r, at, length: m[0].length };
    value += String.fromCharCode(r);
    bytes.push(r);
    last = at + m[0].length;
  }
  const rest = body.slice(last);
  value += rest;
  bytes.push(...enc.encode(rest));
  return { value, bytes };
}

function fault(message: string, tok: moo.Token, hints: readonly string[] = []): Fault {
  return { message, start: tok.offset, end: tok.offset + tok.text.length, hints };
}

/** Checks a token moo matched broadly; returns a fault, or undefined when it is fine. */
function validate(tok: moo.Token): Fault | undefined {
  switch (tok.type) {
    case 'int': {
      const m = INT_RE.exec(tok.text);
      if (!m) return fault(`invalid integer literal '${tok.text}'`, tok);
      const digits = m[1]!;
      const v = /^0[xX]/.test(digits) ? BigInt(digits) : digits.length > 1 && digits[0] === '0' ? BigInt('0o' + digits.slice(1)) : BigInt(digits);
      if (v > 0xffff_ffff_ffff_ffffn) return fault(`integer literal '${tok.text}' does not fit in 64 bits`, tok);
      return undefined;
    }
    case 'string': {
      const d = decodeBody(tok.text.slice(1, -1));
      if ('error' in d) return { message: d.error, start: tok.offset + 1 + d.at, end: tok.offset + 1 + d.at + d.length, hints: [] };
      return undefined;
    }
    case 'char': {
      const d = decodeBody(tok.text.slice(1, -1));
      if ('error' in d) return { message: d.error, start: tok.offset + 1 + d.at, end: tok.offset + 1 + d.at + d.length, hints: [] };
      if (d.bytes.length === 0) return fault('empty character literal', tok);
      if (d.bytes.length > 1) return fault(`character literal ${tok.text} must be a single byte`, tok, ['use a string literal "..." for text']);
      return undefined;
    }
    case 'argUser':
      if (!/^arg[1-9][0-9]*@user$/.test(tok.text)) {
        return fault(`'@' is only allowed in 'argN@user', got '${tok.text}'`, tok, ['arg2@user reads the argument as a user-space pointer']);
      }
      return undefined;
    case 'dollar':
      if (!DOLLAR_NAMES.includes(tok.text)) {
        return fault(`unknown special variable '${tok.text}'`, tok, [`known: ${DOLLAR_NAMES.map((n) => (n === '$entry' ? '$entry(name)' : n)).join(' ')}`]);
      }
      return undefined;
    case 'kw_sizeof':
      return fault('sizeof is not supported', tok);
    case 'error': {
      const ch = tok.text[0] ?? '';
      if (ch === '"') return { message: 'unterminated string literal', start: tok.offset, end: tok.offset + tok.text.length, hints: [] };
      if (ch === "'") return { message: 'unterminated character literal', start: tok.offset, end: tok.offset + tok.text.length, hints: [] };
      if (ch === '=')
        return { message: "unexpected '=' (assignment is not supported; use '==' to compare)", start: tok.offset, end: tok.offset + 1, hints: [] };
      return { message: `unexpected character '${ch}'`, start: tok.offset, end: tok.offset + ch.length, hints: [] };
    }
    default:
      return undefined;
  }
}

/**
 * moo compiles its rules into one big regular expression: ~1 ms a lexer, paid at first use
 * rather than at start-up (funccount, funclatency and stackcount never lex C).
 */
/**
 * A nearley lexer over a moo lexer compiled at first use (start-up does not pay for lexers a
 * command line never needs). Subclasses give the rules and may filter tokens.
 */
abstract class LazyMoo {
  #inner: moo.Lexer | undefined;
  protected abstract readonly rules: moo.Rules;
  protected get inner(): moo.Lexer {
    return (this.#inner ??= moo.compile(this.rules));
  }

  reset(chunk: string, info?: unknown): void {
    this.inner.reset(chunk, info as moo.LexerState | undefined);
  }

  next(): moo.Token | undefined {
    return this.inner.next();
  }

  save(): moo.LexerState {
    return this.inner.save();
  }

  formatError(token: moo.Token, message?: string): string {
    return `${message ?? 'syntax error'} at offset ${token.offset}`;
  }

  has(tokenType: string): boolean {
    return tokenType in this.rules;
  }
}

/**
 * The most tokens one grammar run reads. Earley parsing costs grow faster than linearly with
 * the input (a chain of 4,000 ternaries takes seconds), so a spec longer than any real one is
 * refused before nearley sees it all; real specs have tens of tokens.
 */
export const MAX_TOKENS = 4096;
export const TOO_LONG = `too long: more than ${MAX_TOKENS} tokens`;

/** A nearley lexer over a moo lexer: skips blanks, validates, and turns faults into `fault` tokens. */
export class CLexer extends LazyMoo {
  protected readonly rules = cRules;
  /** The first fault of the current input, if any. */
  fault: Fault | undefined;
  private count = 0;

  override reset(chunk: string, info?: unknown): void {
    this.fault = undefined;
    this.count = 0;
    super.reset(chunk, info);
  }

  override next(): moo.Token | undefined {
    for (;;) {
      const tok = this.inner.next();
      if (!tok) return undefined;
      if (tok.type === 'ws') continue;
      if (++this.count > MAX_TOKENS) {
        // End the input here rather than hand nearley a token it rejects: its rejection message
        // walks every open state, which costs seconds in deeply nested input.
        this.fault ??= fault(TOO_LONG, tok, ['split the work into several probes or expressions']);
        return undefined;
      }
      const f = validate(tok);
      if (f) {
        this.fault ??= f;
        return { ...tok, type: 'fault', text: '\u0000', value: '\u0000' };
      }
      return tok;
    }
  }

  override has(tokenType: string): boolean {
    return tokenType !== 'ws' && tokenType !== 'fault';
  }

  /** All tokens of `text` (blanks dropped), stopping after the first fault. For diagnostics. */
  static tokens(text: string): { toks: moo.Token[]; fault: Fault | undefined } {
    const lx = new CLexer();
    lx.reset(text);
    const toks: moo.Token[] = [];
    for (let t = lx.next(); t; t = lx.next()) {
      toks.push(t);
      if (t.type === 'fault') break;
    }
    return { toks, fault: lx.fault };
  }
}

export const lexer = new CLexer();

// ---------------------------------------------------------------------------------------------
// Format strings: the raw text between the quotes, escapes not yet decoded.
// ---------------------------------------------------------------------------------------------

const fmtRules: moo.Rules = {
  escape: /\\(?:x[0-9a-fA-F]{0,2}|[0-7]{1,3}|[\s\S])?/,
  percent: '%%',
  conv: /%[-+ #0]*[0-9]*(?:\.[0-9]*)?(?:hh|ll|[hlLqjzt])?[A-Za-z]?/,
  text: { match: /[^%\\]+/, lineBreaks: true },
};

export class FormatLexer extends LazyMoo {
  protected readonly rules = fmtRules;
}

export const formatLexer = new FormatLexer();

// ---------------------------------------------------------------------------------------------
// ':'-separated probe heads and patterns.
// ---------------------------------------------------------------------------------------------

const partRules: moo.Rules = {
  colon: ':',
  text: { match: /[^:]+/, lineBreaks: true },
};

export class PartLexer extends LazyMoo {
  protected readonly rules = partRules;
}

export const partLexer = new PartLexer();
