/**
 * The AST of every probe spec the five tools accept. Pure data: closed discriminated unions, a
 * source span on every node (offsets into the text the node was parsed from), no methods.
 *
 * Spans are half-open [start, end) character offsets into the *whole* spec text (a trace probe
 * argument, an argdist specifier, a pattern), never into a fragment of it.
 *
 * Type checking (`compile/check.ts`) works on these nodes; nothing here knows about BTF.
 */
import type { SourceSpan } from '../errors.js';

export type { SourceSpan };

interface Node {
  readonly span: SourceSpan;
}

// ---------------------------------------------------------------------------------------------
// Types written in specs: casts, signatures, argdist type lists
// ---------------------------------------------------------------------------------------------

/** Canonical spelling of a C arithmetic type ('unsigned' → 'unsigned int', 'long int' → 'long'). */
export type BasicTypeName =
  | 'char'
  | 'signed char'
  | 'unsigned char'
  | 'short'
  | 'unsigned short'
  | 'int'
  | 'unsigned int'
  | 'long'
  | 'unsigned long'
  | 'long long'
  | 'unsigned long long'
  | 'float'
  | 'double'
  | 'long double'
  | '_Bool';

export type BaseType =
  | { readonly kind: 'void' }
  | { readonly kind: 'basic'; readonly name: BasicTypeName }
  /**
   * A typedef name. `known` is true for the names the lexer knows (u8..u64, s8..s64, size_t,
   * uintN_t, pid_t, gfp_t, ... see `TYPEDEF_NAMES`); other identifiers are typedef names only
   * where a type is expected anyway (signatures, argdist type lists, `(name *)` casts).
   */
  | { readonly kind: 'typedef'; readonly name: string; readonly known: boolean }
  | { readonly kind: 'struct' | 'union' | 'enum'; readonly name: string };

export interface TypeName extends Node {
  readonly base: BaseType;
  /** Number of `*`: 0 for `u64`, 1 for `char *`, 2 for `char **`. */
  readonly pointer: number;
  readonly const: boolean;
  readonly volatile: boolean;
  /** `__user` was written: the pointed-to memory is user memory (BCC's argdist semantics). */
  readonly user: boolean;
}

/** One parameter of a written function signature: `struct sock *sk`. */
export interface Param extends Node {
  readonly type: TypeName;
  readonly name: string;
  readonly nameSpan: SourceSpan;
}

// ---------------------------------------------------------------------------------------------
// Expressions (the C subset)
// ---------------------------------------------------------------------------------------------

export type IntSuffix = '' | 'u' | 'l' | 'ul' | 'll' | 'ull';
export type IntRadix = 'decimal' | 'hex' | 'octal';

export interface IntLiteral extends Node {
  readonly kind: 'int';
  readonly value: bigint;
  readonly suffix: IntSuffix;
  readonly radix: IntRadix;
}

export interface CharLiteral extends Node {
  readonly kind: 'char';
  /** The byte value (0..255). */
  readonly value: number;
}

export interface StringLiteral extends Node {
  readonly kind: 'string';
  /** Decoded text: escapes `\xHH`/`\NNN` give code units 0..255, other characters as written. */
  readonly value: string;
  /** The exact bytes the literal denotes (UTF-8 for written characters), without a NUL. */
  readonly bytes: readonly number[];
}

/** An ordinary identifier: a signature parameter, or a name the checker resolves (BTF params). */
export interface Identifier extends Node {
  readonly kind: 'ident';
  readonly name: string;
}

/** `argN` (N ≥ 1) and `argN@user`. Which N are valid is the checker's business. */
export interface ArgRef extends Node {
  readonly kind: 'arg';
  readonly index: number;
  readonly user: boolean;
}

/** `retval` (trace) or `$retval` (argdist). */
export interface RetvalRef extends Node {
  readonly kind: 'retval';
  readonly dollar: boolean;
}

/** `$latency`: nanoseconds since the matching entry (argdist return probes). */
export interface LatencyRef extends Node {
  readonly kind: 'latency';
}

/** `$entry(name)`: a parameter's value saved at function entry (argdist return probes). */
export interface EntryRef extends Node {
  readonly kind: 'entry';
  readonly name: string;
  readonly nameSpan: SourceSpan;
}

/** `args`: the tracepoint record (`args->field`). */
export interface ArgsRef extends Node {
  readonly kind: 'args';
}

/** `ctx`: the probe's `struct pt_regs *`. */
export interface CtxRef extends Node {
  readonly kind: 'ctx';
}

/** The `$…` variables other than `$retval`, `$latency` and `$entry(…)`. */
export type BuiltinName = '$PID' | '$TID' | '$UID' | '$GID' | '$COMM' | '$cpu' | '$task' | '$pid' | '$tgid' | '$uid' | '$gid';

export const BUILTIN_NAMES: readonly BuiltinName[] = ['$PID', '$TID', '$UID', '$GID', '$COMM', '$cpu', '$task', '$pid', '$tgid', '$uid', '$gid'];

export interface BuiltinRef extends Node {
  readonly kind: 'builtin';
  readonly name: BuiltinName;
}

/** `a.b` (arrow false) and `a->b` (arrow true). */
export interface MemberExpr extends Node {
  readonly kind: 'member';
  readonly object: Expr;
  readonly member: string;
  readonly arrow: boolean;
  readonly memberSpan: SourceSpan;
}

export interface IndexExpr extends Node {
  readonly kind: 'index';
  readonly object: Expr;
  readonly index: Expr;
}

/** `STRCMP("literal", expr)`: BCC's prefix compare against a predefined string. */
export interface StrcmpExpr extends Node {
  readonly kind: 'strcmp';
  readonly literal: StringLiteral;
  readonly operand: Expr;
}

/** Any other call `name(args…)`; the checker decides which names exist. */
export interface CallExpr extends Node {
  readonly kind: 'call';
  readonly callee: string;
  readonly calleeSpan: SourceSpan;
  readonly args: readonly Expr[];
}

export interface CastExpr extends Node {
  readonly kind: 'cast';
  readonly type: TypeName;
  readonly operand: Expr;
}

export type UnaryOp = '-' | '!' | '~' | '*' | '&';

export interface UnaryExpr extends Node {
  readonly kind: 'unary';
  readonly op: UnaryOp;
  readonly operand: Expr;
}

export type BinaryOp = '*' | '/' | '%' | '+' | '-' | '<<' | '>>' | '<' | '<=' | '>' | '>=' | '==' | '!=' | '&' | '^' | '|' | '&&' | '||';

export interface BinaryExpr extends Node {
  readonly kind: 'binary';
  readonly op: BinaryOp;
  readonly left: Expr;
  readonly right: Expr;
}

export interface TernaryExpr extends Node {
  readonly kind: 'ternary';
  readonly cond: Expr;
  readonly then: Expr;
  readonly else: Expr;
}

export type Expr =
  | IntLiteral
  | CharLiteral
  | StringLiteral
  | Identifier
  | ArgRef
  | RetvalRef
  | LatencyRef
  | EntryRef
  | ArgsRef
  | CtxRef
  | BuiltinRef
  | MemberExpr
  | IndexExpr
  | StrcmpExpr
  | CallExpr
  | CastExpr
  | UnaryExpr
  | BinaryExpr
  | TernaryExpr;

export type ExprKind = Expr['kind'];

// ---------------------------------------------------------------------------------------------
// Format strings (trace actions)
// ---------------------------------------------------------------------------------------------

export type ConversionSpec = 'd' | 'i' | 'u' | 'x' | 'X' | 'o' | 'c' | 's' | 'p' | 'K' | 'U';
export type LengthModifier = '' | 'h' | 'hh' | 'l' | 'll';

export interface FormatText extends Node {
  readonly kind: 'text';
  /** Decoded text; `%%` is already `%`. Adjacent text is merged into one piece. */
  readonly value: string;
}

export interface FormatConversion extends Node {
  readonly kind: 'conversion';
  readonly spec: ConversionSpec;
  readonly length: LengthModifier;
}

export type FormatPiece = FormatText | FormatConversion;

export interface FormatString extends Node {
  readonly pieces: readonly FormatPiece[];
}

// ---------------------------------------------------------------------------------------------
// Probe references and the specs of each tool
// ---------------------------------------------------------------------------------------------

/**
 * BCC's letters, and bpftrace's `rawtracepoint` (also spelled `rt`, which parses to the same
 * type): a kernel tracepoint by its name alone, whose programs see its arguments.
 */
export type ProbeType = 'p' | 'r' | 't' | 'u' | 'rawtracepoint';

/**
 * bpftrace's spellings of a raw tracepoint: `rawtracepoint:NAME` and `rt:NAME`. Every tool
 * reads them before BCC's two-part `LIBRARY:FUNCTION`, so `rt:f` no longer names librt's `f`
 * (write `p:rt:f`, or the library's path, for that).
 */
export const RAW_TRACEPOINT_WORDS: ReadonlySet<string> = new Set(['rawtracepoint', 'rt']);

/**
 * Where to attach, as written. `library` is '' for the kernel. `function` holds the function
 * name (p/r), the tracepoint event (t, with `category`), the raw tracepoint's name
 * (rawtracepoint) or the USDT probe name (u, with an optional `provider`). `offset` is only
 * ever set for `p` probes.
 */
export interface ProbeRef extends Node {
  readonly type: ProbeType;
  readonly library: string;
  readonly function: string;
  readonly category?: string;
  readonly provider?: string;
  readonly offset?: number;
  /** The type letter was written (`p:c:malloc`), rather than implied (`c:malloc`, `:c:malloc`). */
  readonly typeExplicit: boolean;
}

/** One positional argument of `trace`. */
export interface TraceProbeAst extends Node {
  readonly ref: ProbeRef;
  readonly signature?: readonly Param[];
  readonly predicate?: Expr;
  readonly format?: FormatString;
  readonly args: readonly Expr[];
  readonly text: string;
}

export type ArgdistKind = 'C' | 'H';

/** The argument of one `argdist -C`/`-H`. */
export interface ArgdistSpecAst extends Node {
  readonly kind: ArgdistKind;
  readonly ref: ProbeRef;
  readonly signature: readonly Param[];
  readonly types: readonly TypeName[];
  readonly exprs: readonly Expr[];
  readonly filter?: Expr;
  readonly label?: string;
  /**
   * No type/expr parts were given (fewer than 5 parts), so BCC's defaults were applied:
   * `u64` / `1` ("total calls") for p/t/u, `int` / `$retval` for r. The default nodes have
   * empty spans at the end of the function signature.
   */
  readonly defaultExpr: boolean;
  readonly text: string;
}

export type PatternTool = 'funccount' | 'stackcount' | 'funclatency';

/**
 * A funccount/stackcount/funclatency pattern. `pattern` is the name pattern as written (glob or
 * regex, undecided here); for tracepoints it is `category:event` as BCC matches it, with the
 * two halves also in `category`/`event`; for raw tracepoints, the name pattern alone.
 */
export interface FuncPatternAst extends Node {
  readonly tool: PatternTool;
  readonly type: 'p' | 't' | 'u' | 'rawtracepoint';
  readonly library: string;
  readonly pattern: string;
  readonly patternSpan: SourceSpan;
  readonly category?: string;
  readonly event?: string;
  readonly typeExplicit: boolean;
  readonly text: string;
}
