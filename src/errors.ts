/**
 * The error hierarchy. Every error a user can provoke is a TracerError: the CLI prints its
 * message (and hints) on one line and exits 1, with no stack trace. Anything else is a bug.
 */

export interface SourceSpan {
  /** Offset of the first character, 0-based, in the text the error is about. */
  readonly start: number;
  /** Offset one past the last character. */
  readonly end: number;
}

export class TracerError extends Error {
  readonly hints: readonly string[];
  constructor(message: string, hints: readonly string[] = []) {
    super(message);
    this.name = new.target.name;
    this.hints = hints;
  }
}

/** A probe spec, pattern, expression or format string that does not parse. */
export class SpecSyntaxError extends TracerError {
  constructor(
    message: string,
    readonly source: string,
    readonly span: SourceSpan,
    hints: readonly string[] = [],
  ) {
    super(message, hints);
  }
}

/** A name that does not resolve: a library, a symbol, a tracepoint, a type, a member. */
export class ResolveError extends TracerError {}

/** A well-formed spec that is wrong for its probe: type errors, argument counts. */
export class CheckError extends TracerError {}

/**
 * A CheckError that knows the spec text and the span of the fault in it, so it renders with a
 * caret like a SpecSyntaxError (compile/diagnose.ts makes these from the checker's errors).
 */
export class SpannedCheckError extends CheckError {
  constructor(
    message: string,
    readonly source: string,
    readonly span: SourceSpan,
    hints: readonly string[] = [],
  ) {
    super(message, hints);
  }
}

/** Several front-end errors of one command line, reported together. */
export class DiagnosticsError extends TracerError {
  constructor(readonly errors: readonly TracerError[]) {
    super(errors.map((e) => e.message).join('\n'));
  }
}

/** Malformed binary input: BTF, ELF, notes, ld.so.cache. */
export class FormatError extends TracerError {}
export class BtfError extends FormatError {}
export class ElfError extends FormatError {}

/** The assembler or program builder was used wrongly (a bug in a code generator). */
export class EmitError extends TracerError {}

/** The kernel verifier refused a program. */
export class VerifierError extends TracerError {
  constructor(
    message: string,
    readonly log: readonly string[],
    hints: readonly string[] = [],
  ) {
    super(message, hints);
  }
}

/** A system call failed. `code` is the errno name, e.g. 'EPERM'. */
export class SysError extends TracerError {
  constructor(
    readonly call: string,
    readonly errno: number,
    readonly code: string,
    readonly detail?: string,
    hints: readonly string[] = [],
  ) {
    super(`${call}${detail ? ` (${detail})` : ''}: ${code} (${errnoText(code)})`, hints);
  }
}

/** The running kernel lacks a mechanism; the message says which and what to use instead. */
export class UnsupportedFeatureError extends TracerError {
  constructor(
    readonly feature: string,
    message: string,
    hints: readonly string[] = [],
  ) {
    super(message, hints);
  }
}

/** Bad command-line usage (argparse-style errors exit 2 in BCC). */
export class UsageError extends TracerError {}

const ERRNO_TEXT: Record<string, string> = {
  EPERM: 'Operation not permitted',
  ENOENT: 'No such file or directory',
  ESRCH: 'No such process',
  EINTR: 'Interrupted system call',
  EIO: 'Input/output error',
  E2BIG: 'Argument list too long',
  EBADF: 'Bad file descriptor',
  EAGAIN: 'Resource temporarily unavailable',
  ENOMEM: 'Cannot allocate memory',
  EACCES: 'Permission denied',
  EFAULT: 'Bad address',
  EBUSY: 'Device or resource busy',
  EEXIST: 'File exists',
  ENODEV: 'No such device',
  EINVAL: 'Invalid argument',
  ENOSPC: 'No space left on device',
  ENOSYS: 'Function not implemented',
  EOPNOTSUPP: 'Operation not supported',
  ENOTSUPP: 'Operation not supported',
  ERANGE: 'Numerical result out of range',
};

export function errnoText(code: string): string {
  return ERRNO_TEXT[code] ?? 'error';
}

/** Exhaustiveness check for closed unions. */
export function assertNever(x: never, what = 'value'): never {
  throw new Error(`unexpected ${what}: ${JSON.stringify(x)}`);
}
