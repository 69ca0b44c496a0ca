/**
 * The registry of probe kinds: the one place that maps what a user wrote (BCC's letters) to
 * the provider that understands it. Tools and the pipeline ask here; nothing else looks at
 * probe letters.
 */
import { assertNever, TracerError } from '../errors.js';
import type { ProbeHost } from './host.js';
import type { Provider, ProbeQuery, ResolvedProbe } from './provider.js';
import type { ListKind } from './listing.js';
import { RAW_TRACEPOINT_WORDS, type ProbeRef, type ProbeType } from '../specs/ast.js';
import { kernelFunctionProvider } from './providers/kernel-function.js';
import { tracepointProvider } from './providers/tracepoint.js';
import { rawTracepointProvider } from './providers/raw-tracepoint.js';
import { uprobeProvider } from './providers/uprobe.js';
import { usdtProvider } from './providers/usdt.js';

export const PROVIDERS: readonly Provider[] = [kernelFunctionProvider, tracepointProvider, rawTracepointProvider, uprobeProvider, usdtProvider];

/** BCC's letters: p/r on the kernel (no library) or on a library, t, u; and rawtracepoint. */
export function providerFor(q: Pick<ProbeQuery, 'type' | 'library'>): Provider {
  switch (q.type) {
    case 't':
      return tracepointProvider;
    case 'rawtracepoint':
      return rawTracepointProvider;
    case 'u':
      return usdtProvider;
    case 'p':
    case 'r':
      return q.library === '' ? kernelFunctionProvider : uprobeProvider;
    default:
      return assertNever(q.type, 'probe type');
  }
}

export function resolveProbe(q: ProbeQuery, host: ProbeHost): ResolvedProbe[] {
  return providerFor(q).resolve(q, host);
}

/**
 * `polytrace list` spellings: bpftrace's probe types and short forms, and BCC's letters
 * (`u` is BCC's USDT). BCC's `p`/`r` depend on whether a library follows, which the list
 * parser decides.
 */
export const LIST_WORDS: Readonly<Record<string, ListKind>> = {
  kprobe: 'kprobe',
  k: 'kprobe',
  kretprobe: 'kretprobe',
  kr: 'kretprobe',
  fentry: 'fentry',
  kfunc: 'fentry',
  f: 'fentry',
  fexit: 'fexit',
  kretfunc: 'fexit',
  fr: 'fexit',
  tracepoint: 'tracepoint',
  t: 'tracepoint',
  rawtracepoint: 'rawtracepoint',
  rt: 'rawtracepoint',
  uprobe: 'uprobe',
  uretprobe: 'uretprobe',
  ur: 'uretprobe',
  usdt: 'usdt',
  U: 'usdt',
  u: 'usdt',
};

/** The provider that lists probe points of `kind`. */
export function providerForList(kind: ListKind): Provider {
  const p = PROVIDERS.find((x) => x.listKinds.includes(kind));
  if (!p) throw new TracerError(`internal: no provider lists ${kind}`);
  return p;
}

const PROBE_LETTERS: readonly ProbeType[] = ['p', 'r', 't', 'u'];

/**
 * Completions of `LETTER:rest` (`t:sched:`, `u:python3.11:`, `p::vfs_r`, `r:c:mall`,
 * `rt:sched_`, argdist's `rawtracepoint::sched_`): 'library' while the library of a p/r/u
 * probe is still being written, undefined when `head` is no probe letter (BCC's `lib:func`
 * short form, say).
 */
export function completeProbe(host: ProbeHost, head: string, rest: string): Promise<string[]> | 'library' | undefined {
  if (RAW_TRACEPOINT_WORDS.has(head)) {
    const empty = rest.startsWith(':') ? ':' : '';
    return rawTracepointProvider.complete(host, '', rest.slice(empty.length), `${head}:${empty}`);
  }
  if (!(PROBE_LETTERS as readonly string[]).includes(head)) return undefined;
  const type = head as ProbeType;
  if (type === 't') return tracepointProvider.complete(host, '', rest, 't:');
  const c = rest.indexOf(':');
  if (c < 0) return 'library';
  const library = rest.slice(0, c);
  return providerFor({ type, library }).complete(host, library, rest.slice(c + 1), `${head}:${library}:`);
}

/** Does a spec's letter ask for the function's return (BCC's `r`)? */
export function isReturnProbe(type: ProbeType): boolean {
  return type === 'r';
}

/**
 * The query a trace or argdist reference asks: exactly the probe named; `readsArgs` when the
 * probe's expressions read its arguments (pipeline/probe.ts, `readsProbeArgs`).
 */
export function refQuery(r: ProbeRef, pid: number | undefined, readsArgs: boolean): ProbeQuery {
  return {
    type: r.type,
    library: r.library,
    name: r.type === 't' ? `${r.category ?? ''}:${r.function}` : r.function,
    ...(r.provider !== undefined ? { provider: r.provider } : {}),
    ...(r.offset !== undefined ? { offset: r.offset } : {}),
    match: 'exact',
    ...(pid !== undefined ? { pid } : {}),
    readsArgs,
    // trace's and argdist's programs have no syscall slot: syscalls:* events keep perf events.
    syscallFamilies: false,
  };
}
