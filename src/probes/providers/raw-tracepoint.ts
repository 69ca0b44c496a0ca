/**
 * Raw tracepoints, asked for by name: bpftrace's `rawtracepoint:NAME` and `rt:NAME` (trace,
 * funccount, stackcount, `polytrace list`), `rawtracepoint::NAME()` in argdist. Programs of
 * type BPF_PROG_TYPE_RAW_TRACEPOINT opened with BPF_RAW_TRACEPOINT_OPEN see the tracepoint's
 * arguments as u64 args[] (site `raw_tracepoint`): `argN` is args[N-1], and `args->name`
 * reads them named and typed from BTF. There is no perf-event fallback, so a kernel without
 * raw tracepoints is an UnsupportedFeatureError (`t:` events choose raw tracepoints on their
 * own, in the tracepoint provider).
 *
 * Where the names come from: kernel BTF where it exists. Every tracepoint the kernel can open
 * has a typedef `btf_trace_NAME` in vmlinux's BTF, tracepoints without a tracefs event
 * (`pelt_cfs_tp`, `sched_update_nr_running_tp`) included. Without BTF (a kernel built without
 * it), from tracefs: the event directories that are tracepoints of their own, not syscalls:*
 * (built on sys_enter/sys_exit), ftrace's or dynamic (kprobe, uprobe, synthetic) events; their
 * arguments are then argN only. Tracepoints of modules are not looked for.
 */
import { ResolveError, TracerError, UnsupportedFeatureError } from '../../errors.js';
import type { ProbeSite } from '../../compile/context.js';
import type { ProbeHost } from '../host.js';
import type { Miss, Provider, ProbeQuery, ResolvedProbe } from '../provider.js';
import { nameRegExp } from '../match.js';
import type { BtfSpec } from '../../btf/spec.js';
import { tracepointNames, tracepointProto, type TracepointProto } from '../../btf/func.js';
import { formatTracepointProto } from '../../btf/format.js';
import { globToRegExp } from '../../symbols/match.js';
import { didYouMean, nearest } from '../../symbols/nearest.js';
import type { TracepointName } from '../../symbols/tracefs.js';
import { byString, completions, wrongKind, type ListEntry } from '../listing.js';

/** tracefs categories whose events are not tracepoints of their own name. */
const NOT_RAW = new Set(['syscalls', 'ftrace']);

/** Raw tracepoint names from tracefs events (a kernel without BTF), without duplicates. */
function tracefsNames(events: readonly TracepointName[], dynamic: ReadonlySet<string>): Set<string> {
  const out = new Set<string>();
  for (const { category, event } of events) {
    if (!NOT_RAW.has(category) && !dynamic.has(`${category}:${event}`)) out.add(event);
  }
  return out;
}

/** The names of this host's raw tracepoints, and where they came from (for messages). */
interface NameSource {
  readonly where: string;
  has(name: string): boolean;
  names(): Iterable<string>;
  /** What was looked for, for a name that is missing: `btf_trace_NAME`, or the event. */
  lookedFor(name: string): string;
}

function nameSource(host: ProbeHost): NameSource {
  const btf = host.kernelBtf();
  if (btf) {
    return {
      where: 'kernel BTF',
      has: (name) => btf.idsByName(`btf_trace_${name}`, 'typedef').length > 0,
      names: () => tracepointNames(btf),
      lookedFor: (name) => `kernel BTF has no btf_trace_${name}`,
    };
  }
  let names: Set<string> | undefined;
  const all = (): Set<string> => (names ??= tracefsNames(host.tracepoints(), host.dynamicEvents()));
  return {
    where: 'tracefs',
    has: (name) => all().has(name),
    names: all,
    lookedFor: (name) => `no BTF, and ${host.tracefs()}/events has no tracepoint event ${name}`,
  };
}

function missed(name: string, src: NameSource): Miss {
  return { what: 'raw tracepoint', where: src.where, near: nearest(src.names(), name), list: 'rawtracepoint:*' };
}

function notFound(name: string, src: NameSource): ResolveError {
  const m = missed(name, src);
  const mean = m.near.length ? `: ${didYouMean(m.near)}` : '';
  return new ResolveError(`no raw tracepoint '${name}' (${src.lookedFor(name)})${mean}`, [`list them with 'polytrace list ${m.list}'`]);
}

/** The BTF prototype of a tracepoint, or undefined where BTF lacks it or is malformed there. */
function protoOf(btf: BtfSpec | undefined, name: string): TracepointProto | undefined {
  if (!btf) return undefined;
  try {
    return tracepointProto(btf, name);
  } catch {
    return undefined;
  }
}

function resolved(host: ProbeHost, name: string): ResolvedProbe {
  let site: ProbeSite | undefined;
  return {
    target: { kind: 'raw_tracepoint', name },
    ret: false,
    // The prototype is looked up only when a program reads arguments (funccount never does).
    get site(): ProbeSite {
      if (site) return site;
      const tp = protoOf(host.kernelBtf(), name);
      site = tp ? { kind: 'raw_tracepoint', name, nargs: tp.params.length } : { kind: 'raw_tracepoint', name };
      return site;
    },
  };
}

export const rawTracepointProvider: Provider = {
  name: 'raw-tracepoint',
  listKinds: ['rawtracepoint'],
  async complete(host, _library, partial, prefix) {
    try {
      if (host.whyNoRawTracepoints()) return [];
      return completions(nameSource(host).names(), prefix, partial);
    } catch {
      return [];
    }
  },
  list(q, host, o) {
    if (q.kind !== 'rawtracepoint') throw wrongKind(q, 'raw-tracepoint');
    return listRawTracepoints(q.pattern, host, o.verbose);
  },
  missed: (q, host) => missed(q.name, nameSource(host)),
  resolve(q: ProbeQuery, host: ProbeHost): ResolvedProbe[] {
    const why = host.whyNoRawTracepoints();
    if (why) {
      throw new UnsupportedFeatureError('raw_tracepoint', `raw tracepoints are not available on this kernel (${why}): cannot attach rawtracepoint:${q.name}`, [
        `take the tracefs events instead: t:CATEGORY:${q.name}, whose category 'polytrace list t:*:${q.name}' shows`,
      ]);
    }
    if (q.offset) throw new TracerError(`raw tracepoints take no offset (+${q.offset})`);
    const src = nameSource(host);
    if (q.match === 'exact') {
      if (!src.has(q.name)) throw notFound(q.name, src);
      return [resolved(host, q.name)];
    }
    const re = nameRegExp(q.name, q.match);
    const names = new Set<string>();
    for (const n of src.names()) if (re.test(n)) names.add(n);
    return [...names].sort(byString).map((n) => resolved(host, n));
  },
};

async function* listRawTracepoints(pattern: string, host: ProbeHost, verbose: boolean): AsyncGenerator<ListEntry> {
  // Kernel BTF's btf_trace_* typedefs; without BTF, the tracefs events that are tracepoints.
  const btf = host.kernelBtf();
  const re = globToRegExp(pattern);
  const names = [...new Set([...nameSource(host).names()].filter((n) => re.test(n)))].sort(byString);
  for (const name of names) {
    yield {
      probe: `rawtracepoint:${name}`,
      details: () => {
        const tp = verbose ? protoOf(btf, name) : undefined;
        return tp && btf ? [formatTracepointProto(btf, tp)] : [];
      },
    };
  }
}
