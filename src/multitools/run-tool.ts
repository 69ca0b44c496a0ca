/**
 * Running one tool module and turning what it throws into BCC-like messages and exit codes:
 * one line (what, where, what to do) and exit 1, usage errors exit 2, no stack trace unless
 * the error is an internal one.
 */
import { TracerError, UsageError, DiagnosticsError, SpecSyntaxError, SpannedCheckError, SysError } from '../errors.js';
import { hasTracingCapabilities, PRIVILEGE_ADVICE } from '../features/privileges.js';

export type ToolModule = { run(argv: readonly string[], prog: string): Promise<void> };

/** The kernel refused an operation for lack of privilege (bpf, perf_event_open, tracefs). */
function isPermissionError(e: TracerError): boolean {
  if (e instanceof SysError) return e.code === 'EPERM' || e.code === 'EACCES';
  return /\((EPERM|EACCES)\)/.test(e.message);
}

export function reportError(prog: string, e: unknown): number {
  if (e instanceof DiagnosticsError) {
    for (const x of e.errors) reportError(prog, x);
    return 1;
  }
  if (e instanceof SpecSyntaxError || e instanceof SpannedCheckError) {
    const caretLine = ' '.repeat(e.span.start) + '^' + '~'.repeat(Math.max(0, e.span.end - e.span.start - 1));
    process.stderr.write(`${prog}: ${e.message}\n    ${e.source}\n    ${caretLine}\n` + e.hints.map((h) => `${prog}: hint: ${h}\n`).join(''));
    return 1;
  }
  if (e instanceof TracerError && isPermissionError(e) && !hasTracingCapabilities()) {
    process.stderr.write(`${prog}: not permitted (${e.message.trimEnd()}): ${PRIVILEGE_ADVICE}\n`);
    return 1;
  }
  if (e instanceof TracerError) {
    const hint = e.hints.length ? ` (${e.hints.join('; ')})` : '';
    process.stderr.write(`${prog}: ${e.message.trimEnd()}${hint}\n`);
    return e instanceof UsageError ? 2 : 1;
  }
  const err = e as Error;
  process.stderr.write(`${prog}: internal error: ${err?.stack ?? String(e)}\n`);
  return 1;
}

/** Runs `mod` with `argv`; on an error, reports it as `prog` and exits with its status. */
export async function runTool(mod: ToolModule, argv: readonly string[], prog: string): Promise<void> {
  try {
    await mod.run(argv, prog);
  } catch (e) {
    process.exit(reportError(prog, e));
  }
}
