/**
 * The umbrella entry point, `polytrace <tool> …`: tool modules are imported on demand. The
 * five BCC-named bins (and `polytrace <tool>` for those five) run a bundle of their own tool
 * instead (scripts/bundle.mjs, bin/load.js), which holds only that tool's code.
 */
import { readFileSync } from 'node:fs';
import { reportError, runTool, type ToolModule } from './run-tool.js';
import { TOOLS, COMMANDS } from './tools.js';
import { UsageError } from '../errors.js';
import { didYouMean, nearest } from '../symbols/nearest.js';

export { reportError } from './run-tool.js';

/** `polytrace funcount`: the nearest tool names, and where the list is (not the whole usage). */
export function unknownToolError(name: string): UsageError {
  const mean = didYouMean(nearest([...TOOLS, ...COMMANDS], name));
  return new UsageError(`unknown tool '${name}'`, [...(mean ? [mean] : []), "'polytrace --help' lists the tools"]);
}

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
  completion   print a shell completion script (completion bash|zsh|fish)

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
    if ([...TOOLS, ...COMMANDS].includes(name as never)) {
      process.stderr.write(`polytrace: ${name} is not implemented yet\n`);
      process.exit(2);
    }
    process.exit(reportError('polytrace', unknownToolError(name)));
  }
  await runTool(mod, args, prog);
}
