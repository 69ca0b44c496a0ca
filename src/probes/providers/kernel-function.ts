/**
 * Kernel functions (`p::F`, `r::F`, a bare `F`): names from the host's list of probe-able
 * functions, held to BCC's probe limit. The mechanism is chosen here, once: kprobes (one
 * kprobe_multi link where the kernel has it, else one kprobe each) when the kernel has them, else BPF trampolines
 * (fentry/fexit), whose programs see `u64 args[]` instead of pt_regs — so the site, and the
 * type checking of every expression against it, follows the mechanism.
 */
import { ResolveError, TracerError } from '../../errors.js';
import type { ProbeSite } from '../../compile/context.js';
import type { ProbeHost } from '../host.js';
import type { Miss, Provider, ProbeQuery, ResolvedProbe } from '../provider.js';
import { nameRegExp } from '../match.js';
import { kernelFunctionsUnavailable, suggestTracepoints } from '../kfunc-unavailable.js';
import { globToRegExp } from '../../symbols/match.js';
import { nearest } from '../../symbols/nearest.js';
import { probeLimit, probeLimitError } from '../kernel.js';
import { byString, completions, missHints, wrongKind, type KernelListKind, type ListEntry, type ListOptions } from '../listing.js';

const WILDCARD_FREE = /^[A-Za-z0-9_.]+$/;

/** Every kernel function a tool may probe (for the nearest names to a missing one). */
const ANY = /^/;

function missed(q: ProbeQuery, host: ProbeHost): Miss {
  // The listing of the name's family: its first word (`vfs_`), else its first letters.
  const head = /^[A-Za-z0-9]+_/.exec(q.name)?.[0] ?? q.name.replace(/[^A-Za-z0-9_].*$/, '').slice(0, 3);
  return {
    what: 'kernel function',
    where: host.kernelFunctionSource(),
    near: nearest(host.kernelFunctions(ANY), q.name),
    list: `kprobe:${head}*`,
  };
}

/** The mechanism a kind of kernel listing attaches with: kprobes or BPF trampolines. */
const usesFentry = (kind: KernelListKind): boolean => kind === 'fentry' || kind === 'fexit';

export const kernelFunctionProvider: Provider = {
  name: 'kernel-function',
  listKinds: ['kprobe', 'kretprobe', 'fentry', 'fexit'],
  async complete(host, _library, partial, prefix) {
    // Every kernel function would be tens of thousands of words: only after a first letter.
    if (partial === '') return [];
    try {
      // None where the kernel cannot attach to them.
      const mechanism = host.kernelFunctionSupport().mechanism;
      if (mechanism === undefined) return [];
      const names = host.kernelFunctions(new RegExp(`^${partial.replace(/[^A-Za-z0-9_]/g, '\\$&')}`));
      return completions(mechanism === 'fentry' ? names.filter((n) => host.kernelFunctionHasBtf(n)) : names, prefix, partial);
    } catch {
      return [];
    }
  },
  list(q, host, o) {
    if (q.kind !== 'kprobe' && q.kind !== 'kretprobe' && q.kind !== 'fentry' && q.kind !== 'fexit') throw wrongKind(q, 'kernel-function');
    return listKernelEntries(q.kind, q.pattern, q.attachable === true, host, o);
  },
  missed,
  resolve(q: ProbeQuery, host: ProbeHost): ResolvedProbe[] {
    const support = host.kernelFunctionSupport();
    const mechanism = support.mechanism;
    if (mechanism === undefined) {
      let tps: string[] = [];
      try {
        tps = host.tracepoints().map((t) => `${t.category}:${t.event}`);
      } catch {
        // No tracefs either: no suggestions.
      }
      throw kernelFunctionsUnavailable(q.name, support.why, suggestTracepoints(q.name, tps));
    }
    if (q.offset) throw new TracerError(`kernel function offsets (+${q.offset}) are not supported`);
    // trace and argdist name one function, but BCC's glob reading applies to them too.
    const re = nameRegExp(q.name, q.match === 'regex' ? 'regex' : 'glob');
    const literal = mechanism !== 'fentry' && q.match !== 'regex' && WILDCARD_FREE.test(q.name) ? q.name : undefined;
    let names = host.kernelFunctions(re, literal);
    // Trampolines need a BTF FUNC (vmlinux's or a loaded module's) to attach to.
    if (mechanism === 'fentry') names = names.filter((n) => host.kernelFunctionHasBtf(n));
    const limit = probeLimit();
    if (names.length > limit) throw probeLimitError(limit, names.length);
    if (names.length === 0 && q.match === 'exact') {
      let where = '';
      let hints = [`list what can be traced with 'polytrace list kprobe:${q.name}*'`];
      try {
        const m = missed(q, host);
        where = ` (not in ${m.where})`;
        hints = missHints(m);
      } catch {
        // The list hint alone.
      }
      throw new ResolveError(`cannot attach to kernel function ${q.name}: it is not traceable${where}`, hints);
    }
    const ret = q.type === 'r';
    return names.map((symbol) => {
      const site: ProbeSite = mechanism === 'fentry' ? { kind: ret ? 'fexit' : 'fentry', symbol } : { kind: ret ? 'kretprobe' : 'kprobe', symbol };
      return { target: { kind: 'kfunc', symbol, name: symbol, mechanism }, site, ret };
    });
  },
};

/**
 * Kernel functions a pattern names, sorted: the host's list (ftrace's available_filter_functions,
 * or kallsyms ∩ BTF where that cannot be read), minus what the tools refuse, so what is listed
 * is what `funccount`/`trace` would accept. fentry/fexit need a BTF FUNC as well.
 */
function kernelFunctionNames(kind: KernelListKind, pattern: string, host: ProbeHost): string[] {
  const names = host.kernelFunctions(globToRegExp(pattern));
  return (usesFentry(kind) ? names.filter((n) => host.kernelFunctionHasBtf(n)) : [...names]).sort(byString);
}

/**
 * Kernel functions as `kind`. Where the kernel cannot attach them that way, an `attachable`
 * query (no pattern given) lists nothing and notes how many it left out; a query that asked
 * for the kind lists them and notes that they cannot attach.
 */
async function* listKernelEntries(kind: KernelListKind, pattern: string, attachable: boolean, host: ProbeHost, o: ListOptions): AsyncGenerator<ListEntry> {
  const why = host.kernelFunctionMechanisms();
  const missing = usesFentry(kind) ? why.fentry : why.kprobes;
  const mechanism = usesFentry(kind) ? 'fentry/fexit' : 'kprobes';
  if (missing && attachable) {
    // Counted for the note only: a list that cannot be read is no reason to fail the rest.
    let count: number | undefined;
    try {
      count = kernelFunctionNames(kind, pattern, host).length;
    } catch {
      count = undefined;
    }
    if (count !== 0) {
      const what = count === undefined ? 'the kernel functions' : `${count} kernel function${count === 1 ? '' : 's'}`;
      o.note?.(`left out ${what} as ${kind}:*, which this kernel cannot attach (${mechanism}: ${missing}); 'polytrace list ${kind}:*' lists them anyway`);
    }
    return;
  }
  const names = kernelFunctionNames(kind, pattern, host);
  if (missing && names.length) o.note?.(`${mechanism} cannot be attached on this kernel (${missing})`);
  let signature: (name: string) => string[] = () => [];
  if (o.verbose && names.length) {
    const { formatFuncSignature } = await import('../../btf/format.js');
    signature = (name) => {
      const spec = host.kernelBtf(name);
      const id = spec?.idsByName(name, 'func')[0];
      return spec && id !== undefined ? [formatFuncSignature(spec, id)] : [];
    };
  }
  for (const name of names) yield { probe: `${kind}:${name}`, details: () => signature(name) };
}
