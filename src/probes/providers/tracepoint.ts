/**
 * Tracepoints (`t:category:event`): names from tracefs, the record's fields from the event's
 * format file. A plain name is checked directly; a glob or regex is matched against
 * `category:event` over every tracepoint directory (BCC's matching).
 *
 * The mechanism is chosen here, once (see TracepointAttach): a query that reads no arguments
 * (funccount, stackcount, and trace and argdist probes that read no `args->` field) takes raw
 * tracepoints where the kernel has them, and the syscalls:* events share one program at raw
 * sys_enter or sys_exit when the program shape can tell them apart (`syscallFamilies`; not
 * trace's or argdist's, whose syscalls:* events keep perf events); a query that reads the
 * record takes perf events.
 */
import { ResolveError } from '../../errors.js';
import type { ProbeSite } from '../../compile/context.js';
import type { ProbeHost } from '../host.js';
import type { Miss, Provider, ProbeQuery, ResolvedProbe } from '../provider.js';
import { nameRegExp } from '../match.js';
import { globToRegExp } from '../../symbols/match.js';
import { nearest } from '../../symbols/nearest.js';
import { syscallEvent, syscallNumbers } from '../../symbols/syscalls.js';
import type { TracepointAttach } from '../targets.js';
import { byString, completions, missHints, tracepointFieldDecl, wrongKind, type ListEntry } from '../listing.js';

/** A glob with no wildcard and no regex metacharacter names exactly one tracepoint. */
const LITERAL_TRACEPOINT = /^([A-Za-z0-9_-]+):([A-Za-z0-9_-]+)$/;

interface Match {
  readonly category: string;
  readonly event: string;
}

function resolved(host: ProbeHost, { category, event }: Match, attach: TracepointAttach): ResolvedProbe {
  let site: ProbeSite | undefined;
  return {
    target: { kind: 'tracepoint', category, event, name: `${category}:${event}`, ...attach },
    ret: false,
    // The format file is read only when a program reads the record (funccount never does).
    get site(): ProbeSite {
      if (attach.mechanism === 'raw') return (site ??= { kind: 'raw_tracepoint', name: attach.tracepoint });
      return (site ??= { kind: 'tracepoint', category, event, fields: host.tracepointFormat(category, event).fields });
    },
  };
}

/** Categories of tracefs events that are never tracepoints (ftrace's own: function, print, …). */
const NOT_TRACEPOINTS = new Set(['ftrace']);

/**
 * How each matched event is attached. Raw tracepoints need a query that reads no arguments
 * (the program would see the tracepoint's arguments, not the record) and a kernel that has
 * them. A syscalls:* event is not a tracepoint of its own: it goes to the raw sys_enter or
 * sys_exit program with its number, when its number is known (a syscall newer than the
 * generated table keeps its perf event) and the query's program shape has a syscall slot. Dynamic events (kprobes, uprobes, synthetic) are not
 * tracepoints either; another tracepoint may have their name.
 */
function attachments(q: ProbeQuery, host: ProbeHost, matches: readonly Match[]): TracepointAttach[] {
  const perf: TracepointAttach = { mechanism: 'perf' };
  if (q.readsArgs || matches.length === 0 || !host.rawTracepoints()) return matches.map(() => perf);
  let families: boolean | undefined;
  let dynamic: ReadonlySet<string> | undefined;
  const numbers = syscallNumbers();
  return matches.map(({ category, event }): TracepointAttach => {
    const sc = syscallEvent(category, event);
    if (sc) {
      const nr = numbers.get(sc.name);
      if (nr === undefined || q.syscallFamilies === false || !(families ??= host.syscallFamilies())) return perf;
      return { mechanism: 'raw', tracepoint: sc.family, syscall: nr };
    }
    if (NOT_TRACEPOINTS.has(category) || (dynamic ??= host.dynamicEvents()).has(`${category}:${event}`)) return perf;
    return { mechanism: 'raw', tracepoint: event };
  });
}

function resolveAll(q: ProbeQuery, host: ProbeHost, matches: readonly Match[]): ResolvedProbe[] {
  const attach = attachments(q, host, matches);
  return matches.map((m, i) => resolved(host, m, attach[i]!));
}

/** What `category:event` names was looked for in tracefs, and the nearest events there. */
function missed(name: string, host: ProbeHost): Miss {
  const names = host.tracepoints().map((t) => `${t.category}:${t.event}`);
  const category = name.split(':')[0] ?? '';
  const known = category !== '' && names.some((n) => n.startsWith(`${category}:`));
  // Directories without an id are no events: the nearest few are checked (a stat each).
  const near = nearest(names, name, 10)
    .filter((n) => {
      const [c, e] = n.split(':') as [string, string];
      return host.hasTracepoint(c, e);
    })
    .slice(0, 3);
  return { what: 'tracepoint', where: `${host.tracefs()}/events`, near, list: known ? `t:${category}:*` : 't:*' };
}

function notFound(name: string, host: ProbeHost): ResolveError {
  let m: Miss;
  try {
    m = missed(name, host);
  } catch {
    return new ResolveError(`tracepoint ${name} does not exist`);
  }
  return new ResolveError(`tracepoint ${name} does not exist in ${m.where}`, missHints(m));
}

export const tracepointProvider: Provider = {
  name: 'tracepoint',
  listKinds: ['tracepoint'],
  async complete(host, _library, partial, prefix) {
    try {
      const tps = host.tracepoints();
      const colon = partial.indexOf(':');
      if (colon < 0) return completions(new Set(tps.map((t) => `${t.category}:`)), prefix, partial);
      const cat = partial.slice(0, colon);
      const want = partial.slice(colon + 1);
      return completions(
        tps.filter((t) => t.category === cat && t.event.startsWith(want) && host.hasTracepoint(t.category, t.event)).map((t) => t.event),
        `${prefix}${cat}:`,
        want,
      );
    } catch {
      return [];
    }
  },
  list(q, host, o) {
    if (q.kind !== 'tracepoint') throw wrongKind(q, 'tracepoint');
    return listTracepointEntries(q.pattern, host, o.verbose);
  },
  missed: (q, host) => missed(q.name, host),
  resolve(q: ProbeQuery, host: ProbeHost): ResolvedProbe[] {
    const literal = q.match === 'regex' ? null : LITERAL_TRACEPOINT.exec(q.name);
    if (literal) {
      // Skip listing every tracepoint (thousands of directories) for a plain name.
      const [, category, event] = literal;
      if (host.hasTracepoint(category!, event!)) return resolveAll(q, host, [{ category: category!, event: event! }]);
      if (q.match === 'exact') throw notFound(q.name, host);
      return [];
    }
    if (q.match === 'exact') throw notFound(q.name, host);
    const re = nameRegExp(q.name, q.match);
    const matches: Match[] = [];
    for (const t of host.tracepoints()) {
      if (re.test(`${t.category}:${t.event}`) && host.hasTracepoint(t.category, t.event)) matches.push(t);
    }
    return resolveAll(q, host, matches);
  },
};

async function* listTracepointEntries(pattern: string, host: ProbeHost, verbose: boolean): AsyncGenerator<ListEntry> {
  const re = globToRegExp(pattern);
  // Directories first, matched by name; only those kept are checked for an id (a stat each).
  const names: string[] = [];
  for (const { category, event } of host.tracepoints()) {
    const name = `${category}:${event}`;
    if (re.test(name) && host.hasTracepoint(category, event)) names.push(name);
  }
  names.sort(byString);
  for (const name of names) {
    const colon = name.indexOf(':');
    yield {
      probe: `tracepoint:${name}`,
      details: () =>
        verbose
          ? host
              .tracepointFormat(name.slice(0, colon), name.slice(colon + 1))
              .fields.filter((f) => !f.isCommon)
              .map(tracepointFieldDecl)
          : [],
    };
  }
}
