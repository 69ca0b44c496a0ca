/**
 * A provider is everything polytrace knows about one kind of probe (after ply's provider
 * records): how a reference written by any of the five tools resolves to places to attach,
 * and what the compiler may read at each place (its ProbeSite: arguments, return value,
 * tracepoint fields, USDT argument locations). Only providers interpret probe letters and
 * target kinds; the registry (registry.ts) picks the provider of a reference.
 */
import type { ProbeType } from '../specs/ast.js';
import type { ProbeSite } from '../compile/context.js';
import type { ProbeHost } from './host.js';
import type { ProbeTarget } from './targets.js';
import type { ListEntry, ListKind, ListOptions, ListQuery, Miss } from './listing.js';

export type { Miss } from './listing.js';

/** How a name is matched: exactly (trace, argdist), or as BCC's glob or `-r` regex (funccount & co). */
export type NameMatch = 'exact' | 'glob' | 'regex';

/** A probe reference as any tool wrote it, before it is resolved. */
export interface ProbeQuery {
  /** The letter: p (entry), r (return), t (tracepoint), u (USDT), or rawtracepoint. */
  readonly type: ProbeType;
  /** '' for the kernel; a library, binary or path otherwise. */
  readonly library: string;
  /** Function (p/r), `category:event` (t), raw tracepoint name, or USDT probe name (u); a pattern unless `match` is exact. */
  readonly name: string;
  /** USDT: the provider, when written. */
  readonly provider?: string;
  /** p on a user function: bytes past its start. */
  readonly offset?: number;
  readonly match: NameMatch;
  /** -p: libraries are looked up in this process's mappings. */
  readonly pid?: number;
  /**
   * The program reads the probe's arguments (trace and argdist): USDT sites are then grouped
   * by argument locations, one program per group.
   */
  readonly readsArgs?: boolean;
  /**
   * The program shape can tell syscalls apart by number at raw sys_enter/sys_exit (a `syscall`
   * slot: funccount, stackcount). False for trace and argdist, whose syscalls:* events then
   * keep perf events. Allowed unless false.
   */
  readonly syscallFamilies?: boolean;
}

/** One place to attach and what a program sees there. */
export interface ResolvedProbe {
  readonly target: ProbeTarget;
  readonly site: ProbeSite;
  /** A return probe (uretprobe, kretprobe, fexit). */
  readonly ret: boolean;
}

export type ProviderName = 'kernel-function' | 'tracepoint' | 'raw-tracepoint' | 'uprobe' | 'usdt';

export interface Provider {
  readonly name: ProviderName;
  /**
   * Every place `q` names. With an exact match, nothing found is an error that says what was
   * looked for and where; with a pattern, an empty list (the tool then says "No <kind>s matched
   * … in <where>", from `missed`).
   */
  resolve(q: ProbeQuery, host: ProbeHost): ResolvedProbe[];
  /** The `polytrace list` kinds this provider answers. */
  readonly listKinds: readonly ListKind[];
  /** Every probe point a query of one of `listKinds` names, sorted by name (as bpftrace prints). */
  list(q: ListQuery, host: ProbeHost, o: ListOptions): AsyncGenerator<ListEntry>;
  /**
   * Shell completions of a probe being written: `partial` is what follows the letter and the
   * library (`sched:sch` for tracepoints, `mall` for `c:mall`); each candidate starts with
   * `prefix`. Only what can be attached here is offered. Never throws: a source that cannot
   * be read offers nothing.
   */
  complete(host: ProbeHost, library: string, partial: string, prefix: string): Promise<string[]>;
  /**
   * A query that matched nothing (or an exact name that is missing): what was looked for,
   * where, and the nearest names there. May throw when the source cannot be read.
   */
  missed(q: ProbeQuery, host: ProbeHost): Miss;
}
