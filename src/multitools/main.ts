/**
 * The umbrella entry point, `polytrace <tool> …`: tool modules are imported on demand. The
 * five BCC-named bins (and `polytrace <tool>` for those five) run a bundle of their own tool
 * instead (scripts/bundle.mjs, bin/load.js), which holds only that tool's code.
 */
import { readFileSync } from 'node:fs';
import { runTool, type ToolModule } from './run-tool.js';
import { TOOLS, COMMANDS } from './tools.js';

export { reportError } from './run-tool.js';

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
    const known = [...TOOLS, ...COMMANDS].includes(name as never);
    process.stderr.write(known ? `polytrace: ${name} is not implemented yet\n` : `polytrace: unknown tool '${name}'\n${usage()}`);
    process.exit(2);
  }
  await runTool(mod, args, prog);
}
