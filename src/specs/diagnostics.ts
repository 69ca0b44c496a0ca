/**
 * Rendering of spec errors with a caret under the fault, and collection of several errors of
 * one command line into a single DiagnosticsError.
 *
 *   error: invalid offset format 'zz', must be decimal or hexadecimal
 *     p::foo+zz
 *            ^~
 *   hint: write the offset as +16 or +0x10
 */
import { DiagnosticsError, SpannedCheckError, SpecSyntaxError, TracerError, type SourceSpan } from '../errors.js';

export interface Diagnostic {
  readonly message: string;
  readonly source: string;
  readonly span: SourceSpan;
  readonly hints: readonly string[];
}

const INDENT = '  ';

/** `error: <message>`, the source line, a caret line under the span, then `hint:` lines. */
export function renderDiagnostic(d: SpecSyntaxError | SpannedCheckError | Diagnostic): string {
  const out = [`error: ${d.message}`];
  const src = d.source;
  const start = Math.max(0, Math.min(d.span.start, src.length));
  const end = Math.max(start, Math.min(d.span.end, src.length));
  const lineStart = src.lastIndexOf('\n', start - 1) + 1;
  let lineEnd = src.indexOf('\n', start);
  if (lineEnd < 0) lineEnd = src.length;
  const line = src.slice(lineStart, lineEnd);
  const col = start - lineStart;
  const width = Math.max(1, Math.min(end, lineEnd) - start);
  // Keep tabs in the padding so the caret lines up under tabbed text.
  const pad = line.slice(0, col).replace(/[^\t]/g, ' ');
  out.push(INDENT + line.replace(/\r$/, ''));
  out.push(INDENT + pad + '^' + '~'.repeat(width - 1));
  for (const h of d.hints) out.push(`hint: ${h}`);
  return out.join('\n');
}

/** Any error: spec errors with carets, several errors separated by blank lines, others as text. */
export function renderError(err: unknown): string {
  if (err instanceof DiagnosticsError) return err.errors.map(renderError).join('\n\n');
  if (err instanceof SpecSyntaxError || err instanceof SpannedCheckError) return renderDiagnostic(err);
  if (err instanceof TracerError) return [`error: ${err.message}`, ...err.hints.map((h) => `hint: ${h}`)].join('\n');
  return `error: ${err instanceof Error ? err.message : String(err)}`;
}

/**
 * Apply `fn` to every item; if any throw TracerErrors, throw one DiagnosticsError holding all of
 * them (in input order) after trying every item. Other exceptions (bugs) propagate at once.
 */
export function collect<T, R>(items: readonly T[], fn: (item: T, index: number) => R): R[] {
  const results: R[] = [];
  const errors: TracerError[] = [];
  items.forEach((item, i) => {
    try {
      results.push(fn(item, i));
    } catch (e) {
      if (e instanceof DiagnosticsError) errors.push(...e.errors);
      else if (e instanceof TracerError) errors.push(e);
      else throw e;
    }
  });
  if (errors.length > 0) throw new DiagnosticsError(errors);
  return results;
}
