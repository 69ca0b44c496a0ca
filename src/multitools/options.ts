/**
 * Commander plumbing shared by the tools: integer arguments validated like argparse's
 * `type=int` (but rejecting what BCC silently misreads, such as `-i 0`), usage errors
 * exiting 2, and BCC-style help epilogues.
 */
import { DUMP_STAGES } from '../pipeline/dump.js';
import { Command, InvalidArgumentError } from 'commander';
import { UsageError } from '../errors.js';
import { possibleCpus } from '../kernel/cpus.js';
import { printable } from '../symbols/printable.js';

/** PID_MAX_LIMIT of 64-bit Linux: no process or thread id is larger. */
export const PID_MAX = 4194304;
/** BCC's "forever" interval, in seconds (about three years): the longest -i or -d. */
export const SECONDS_MAX = 99999999;
/** The largest count any option takes, unless it says otherwise. */
const COUNT_MAX = 2 ** 31 - 1;

/**
 * An integer option, validated like argparse's `type=int` and then held to [min, max]: what
 * BCC silently misreads (`-i 0`) and what would overflow later (a timer, a field, a map size)
 * is a usage error in the option's own terms. Digits only: no `1e3`, `0x10`, `1.5`.
 */
export function intArg(what: string, opts: { min?: number; max?: number } = {}) {
  const max = opts.max ?? COUNT_MAX;
  return (value: string): number => {
    if (!/^[+-]?\d+$/.test(value.trim())) throw new InvalidArgumentError(`invalid int value: '${printable(value)}'`);
    const n = Number(value);
    if (opts.min !== undefined && n < opts.min) throw new InvalidArgumentError(`${what} must be at least ${opts.min}, got ${n}`);
    if (n > max) throw new InvalidArgumentError(`${what} must be at most ${max}, got ${value.trim()}`);
    return n;
  };
}

/** The shared integer options: `-p PID`, thread ids, `-i`/`-d` seconds, `--uid`. */
export const pidArg = (what = 'PID') => intArg(what, { min: 1, max: PID_MAX });
export const secondsArg = (what: string) => intArg(what, { min: 1, max: SECONDS_MAX });
export const uidArg = () => intArg('UID', { min: 0, max: 2 ** 32 - 2 });

/**
 * `-c CPU`: a CPU this host can have (`/sys/devices/system/cpu/possible`); BCC accepts any
 * number, and the filter then never matches. Where sysfs cannot be read, any CPU number.
 */
export function cpuArg() {
  const int = intArg('CPU', { min: 0, max: 65535 });
  return (value: string): number => {
    const n = int(value);
    let cpus: number[];
    try {
      cpus = possibleCpus();
    } catch {
      return n;
    }
    if (!cpus.includes(n)) throw new InvalidArgumentError(`CPU ${n} does not exist on this host (its CPUs are ${cpuRange(cpus)})`);
    return n;
  };
}

function cpuRange(cpus: readonly number[]): string {
  const first = cpus[0];
  const last = cpus[cpus.length - 1];
  return first === undefined || last === undefined ? 'none' : first === last ? `${first}` : `${first}-${last}`;
}

/**
 * A Command configured to behave like an argparse CLI: errors → UsageError (exit 2), and help
 * that prints each description as written. commander appends `(default: false)`,
 * `(default: [])`, `(default: 80)` wherever an option has a default value; argparse (BCC)
 * prints none, and a default worth telling is in the description text (`(default 1 second)`).
 */
export function toolCommand(prog: string, description: string, epilog: string): Command {
  const cmd = new Command(prog)
    .description(description)
    .helpOption('-h, --help', 'show this help message and exit')
    .configureHelp({ optionDescription: (o) => o.description, argumentDescription: (a) => a.description })
    .allowExcessArguments(false)
    .configureOutput({ writeErr: () => {} })
    .exitOverride((err) => {
      if (err.code === 'commander.helpDisplayed' || err.code === 'commander.version') process.exit(0);
      throw new UsageError(err.message.replace(/^error: /, ''), [`see '${prog} -h'`]);
    });
  cmd.addHelpText('after', `\n${epilog}`);
  epilogs.set(cmd, epilog);
  if (capturing) {
    // The man page and completion generators ask a tool's parseOptions for its Command:
    // parsing stops here, before any option is read, and nothing of the tool runs.
    const c = cmd;
    c.parse = () => {
      throw new CapturedCommand(c);
    };
  }
  return cmd;
}

const epilogs = new WeakMap<Command, string>();
let capturing = false;

/** Thrown by a captured Command's parse(): carries the Command the tool built. */
class CapturedCommand {
  constructor(readonly command: Command) {}
}

/** The epilog (examples) a tool gave toolCommand. */
export function epilogOf(cmd: Command): string {
  return epilogs.get(cmd) ?? '';
}

/**
 * The Command a tool's `parseOptions(argv, prog)` builds, without parsing or running
 * anything: the one source of `--help`, the man pages and shell completion.
 */
export function commandOf(parseOptions: (argv: readonly string[], prog: string) => unknown, prog: string): Command {
  capturing = true;
  try {
    parseOptions([], prog);
  } catch (e) {
    if (e instanceof CapturedCommand) return e.command;
    throw e;
  } finally {
    capturing = false;
  }
  throw new Error(`${prog}: parseOptions did not build its Command through toolCommand`);
}

export interface ListenAddress {
  readonly host: string;
  readonly port: number;
}

/**
 * `--prometheus [HOST:]PORT` (HOST may be `[::1]`); the host defaults to 127.0.0.1 (loopback
 * only: the exporter runs as root), `0.0.0.0` or `[::]` serves every address.
 */
export function parseListen(value: string): ListenAddress {
  const m = /^(?:(\[[0-9a-fA-F:.]+\]|[^:\s]+):)?(\d+)$/.exec(value.trim());
  const port = m ? Number(m[2]) : NaN;
  if (!m || port < 1 || port > 65535) throw new InvalidArgumentError(`invalid [HOST:]PORT: '${value}'`);
  const host = m[1] ? m[1].replace(/^\[(.*)\]$/, '$1') : '127.0.0.1';
  return { host, port };
}

/** The help of `--prometheus` (what it serves): where it listens by default and its limits. */
export function prometheusHelp(what: string): string {
  return `serve ${what} at http://HOST:PORT/metrics for Prometheus; HOST is 127.0.0.1 unless given (0.0.0.0: every address); at most 16 connections, idle ones closed after 5 seconds`;
}

export function parseDump(value: string, prev: string[] = []): string[] {
  const stages = value
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean);
  for (const s of stages) {
    if (!(DUMP_STAGES as readonly string[]).includes(s)) throw new InvalidArgumentError(`unknown stage '${s}' (${DUMP_STAGES.join(', ')})`);
  }
  return [...prev, ...stages];
}

/** A repeatable option's values, in command-line order (`-C a -C b`). */
export function collect(value: string, prev: string[] = []): string[] {
  return [...prev, value];
}
