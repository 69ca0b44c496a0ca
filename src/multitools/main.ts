/**
 * The command-line entry point: `polytrace <tool> …` and the five BCC-named bins. Tool
 * modules are imported on demand so each tool loads only what it uses.
 */
import { readFileSync } from 'node:fs';
import { TracerError, UsageError, DiagnosticsError, SpecSyntaxError, SpannedCheckError, SysError } from '../errors.js';
import { hasTracingCapabilities, PRIVILEGE_ADVICE } from '../features/privileges.js';

export const TOOLS = ['trace', 'argdist', 'funccount', 'funclatency', 'stackcount'] as const;
export type ToolName = (typeof TOOLS)[number];
const EXTRA = ['list', 'features', 'completion'] as const;

type ToolModule = { run(argv: readonly string[], prog: string): Promise<void> };

async function loadTool(name: string): Promise<ToolModule | undefined> {
  switch (name) {
    case 'trace':
      return import('./trace.js');
    case 'argdist':
      return import('./argdist.js');
    case 'funccount':
      return import('./funccount.js');
    case 'funclatency':
      return import('./funclatency.js');
    case 'stackcount':
      return import('./stackcount.js');
    case 'features':
      return import('./features.js');
    case 'list':
      return import('./list.js');
    case 'completion':
      return import('./completion.js');
    default:
      return undefined;
  }
}

function usage(): string {
  return `usage: polytrace <tool> [options] …

BCC's multi-tools without a compiler toolchain.

tools:
  trace        print a line per event at probes
  argdist      count or histogram argument values
  funccount    count function calls, tracepoints and USDT probes
  funclatency  histogram of function latency
  stackcount   count stack traces at events
  list         list probe points (-v: signatures and fields)
  features     what this kernel offers, and why not
  completion   print a bash or zsh completion script (completion bash|zsh)

Run 'polytrace <tool> -h' for a tool's options, 'man polytrace' for more.
`;
}

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

export async function main(tool: string | undefined, argv: readonly string[]): Promise<void> {
  let name = tool;
  let args = argv;
  let prog = tool ?? 'polytrace';
  if (!name) {
    const first = argv[0];
    if (!first || first === '-h' || first === '--help') {
      process.stdout.write(usage());
      process.exit(first ? 0 : 2);
    }
    if (first === '-V' || first === '--version') {
      const pkg = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string };
      process.stdout.write(`polytrace ${pkg.version}\n`);
      process.exit(0);
    }
    name = first;
    args = argv.slice(1);
    prog = `polytrace ${name}`;
  }
  const mod = await loadTool(name);
  if (!mod) {
    const known = [...TOOLS, ...EXTRA].includes(name as never);
    process.stderr.write(known ? `polytrace: ${name} is not implemented yet\n` : `polytrace: unknown tool '${name}'\n${usage()}`);
    process.exit(2);
  }
  try {
    await mod.run(args, prog);
  } catch (e) {
    process.exit(reportError(prog, e));
  }
}
