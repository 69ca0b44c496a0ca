/**
 * Reporting every front-end error of a command line in one run, each with the spec it is about
 * and a caret under the fault:
 *
 *   error: unknown member 'i_mapin' in struct inode; did you mean 'i_mapping'?
 *     p::filemap_fault "%d", ((struct inode *)arg1)->i_mapin
 *                                                     ^~~~~~~
 *
 * The checker throws ExprCheckError (a span, no text: it sees only the AST). Here those become
 * SpannedCheckErrors (errors.ts), which `renderError` (specs/diagnostics) and the CLI's
 * `reportError` print like syntax errors; every error of every probe ends up in one
 * DiagnosticsError.
 *
 *   const units = checkProbes(probes, (p) => p.text, (p, c) => {
 *     const predicate = p.predicate && c.check(p.predicate, ctx);
 *     const args = p.args.map((e) => c.check(e, ctx, (te) => requireScalar(te, 'an argument')));
 *     return { predicate, args };   // only used when nothing failed
 *   });
 */
import { DiagnosticsError, SpannedCheckError, SpecSyntaxError, TracerError, UsageError } from '../errors.js';
import type { Expr } from '../specs/ast.js';
import { ExprCheckError, checkExpr, type TypedExpr } from './check.js';
import type { ProbeContext } from './context.js';

/**
 * The user-facing errors `err` stands for, with `source` attached to the checker's spans:
 * an ExprCheckError (and the other faults of its expression) → SpannedCheckErrors; a
 * DiagnosticsError → its errors; other TracerErrors as they are. Anything else is a bug: [].
 */
export function withSource(err: unknown, source: string): TracerError[] {
  if (err instanceof ExprCheckError) return err.all.map((e) => e.at(source));
  if (err instanceof DiagnosticsError) return err.errors.flatMap((e) => withSource(e, source));
  if (err instanceof TracerError) return [err];
  return [];
}

/** The errors of one probe's spec text, collected while its expressions are checked. */
export class ProbeChecks {
  readonly errors: TracerError[] = [];

  constructor(readonly source: string) {}

  /**
   * `checkExpr`, then `then` (e.g. requirePointerOrString) on the result; on an error the
   * error (every fault of the expression) is recorded and the result is undefined.
   */
  check(e: Expr, ctx: ProbeContext, then?: (te: TypedExpr) => void): TypedExpr | undefined {
    return this.attempt(() => {
      const te = checkExpr(e, ctx);
      then?.(te);
      return te;
    });
  }

  /** Any other step of checking a probe: a TracerError is recorded, undefined returned. */
  attempt<T>(fn: () => T): T | undefined {
    try {
      return fn();
    } catch (err) {
      const errs = withSource(err, this.source);
      if (errs.length === 0) throw err;
      // A fault without a place in the text (a name that does not resolve, say) says which
      // probe it is about, as BCC's tools do.
      for (const e of errs) {
        if (!(e instanceof SpecSyntaxError || e instanceof SpannedCheckError || e instanceof UsageError) && !e.message.startsWith('error in probe')) {
          e.message = `error in probe '${this.source}': ${e.message}`;
        }
      }
      this.errors.push(...errs);
      return undefined;
    }
  }

  get ok(): boolean {
    return this.errors.length === 0;
  }
}

/**
 * Check every probe of a command line: `fn` runs for each with a ProbeChecks bound to its
 * spec text (`source(p)`); errors it records or throws are kept, and after the last probe one
 * DiagnosticsError with all of them (in command-line order) is thrown. The results are returned
 * only when nothing failed, so they may be built from `check()` results without undefined checks
 * leaking out (use `!`). Non-TracerErrors (bugs) propagate at once.
 */
export function checkProbes<T, R>(probes: readonly T[], source: (p: T) => string, fn: (p: T, c: ProbeChecks, index: number) => R): R[] {
  const results: R[] = [];
  const errors: TracerError[] = [];
  probes.forEach((p, i) => {
    const c = new ProbeChecks(source(p));
    const r = c.attempt(() => fn(p, c, i));
    errors.push(...c.errors);
    if (c.ok) results.push(r as R);
  });
  if (errors.length > 0) throw new DiagnosticsError(errors);
  return results;
}
