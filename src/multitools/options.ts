/**
 * Commander plumbing shared by the tools: integer arguments validated like argparse's
 * `type=int` (but rejecting what BCC silently misreads, such as `-i 0`), usage errors
 * exiting 2, and BCC-style help epilogues.
 */
import { Command, InvalidArgumentError } from 'commander';
import { UsageError } from '../errors.js';

export function intArg(what: string, opts: { min?: number } = {}) {
  return (value: string): number => {
    if (!/^[+-]?\d+$/.test(value.trim())) throw new InvalidArgumentError(`invalid int value: '${value}'`);
    const n = Number(value);
    if (opts.min !== undefined && n < opts.min) throw new InvalidArgumentError(`${what} must be at least ${opts.min}, got ${n}`);
    return n;
  };
}

/** A Command configured to behave like an argparse CLI: errors → UsageError (exit 2). */
export function toolCommand(prog: string, description: string, epilog: string): Command {
  const cmd = new Command(prog)
    .description(description)
    .helpOption('-h, --help', 'show this help message and exit')
    .allowExcessArguments(false)
    .configureOutput({ writeErr: () => {} })
    .exitOverride((err) => {
      if (err.code === 'commander.helpDisplayed' || err.code === 'commander.version') process.exit(0);
      throw new UsageError(err.message.replace(/^error: /, ''), [`see '${prog} -h'`]);
    });
  cmd.addHelpText('after', `\n${epilog}`);
  return cmd;
}

export function parseDump(value: string, prev: string[] = []): string[] {
  const stages = value.split(',').map((s) => s.trim()).filter(Boolean);
  for (const s of stages) {
    if (!['ast', 'resolved', 'ir', 'asm'].includes(s)) throw new InvalidArgumentError(`unknown stage '${s}' (ast, resolved, ir, asm)`);
  }
  return [...prev, ...stages];
}
