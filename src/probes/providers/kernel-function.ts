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
import type { Provider, ProbeQuery, ResolvedProbe } from '../provider.js';
import { nameRegExp } from '../match.js';
import { kernelFunctionsUnavailable, suggestTracepoints } from '../kfunc-unavailable.js';
import { globToRegExp } from '../../symbols/match.js';
import { kprobeBlacklist } from '../../symbols/tracefs.js';
import { btfFunctionTest, candidateFunctions, filterKernelFunctions, probeLimit, probeLimitError, type KernelFunctionCandidates } from '../kernel.js';
import { completions, wrongKind, type KernelListKind, type ListEntry, type ListSources } from '../listing.js';
import { loadKernelBtf } from '../../kernel/btf.js';

const WILDCARD_FREE = /^[A-Za-z0-9_.]+$/;

export const kernelFunctionProvider: Provider = {
  name: 'kernel-function',
  listKinds: ['kprobe', 'kretprobe', 'fentry', 'fexit'],
  async complete(_library, partial, prefix) {
    // Every kernel function would be tens of thousands of words: only after a first letter.
    if (partial === '') return [];
    try {
      const btf = loadKernelBtf();
      const names: string[] = [];
      for (const id of btf.idsOfKind('func')) {
        const n = btf.nameOf(id);
        if (n.startsWith(partial)) names.push(n);
      }
      return completions(names, prefix, partial);
    } catch {
      return [];
    }
  },
  list(q, src, verbose) {
    if (q.kind !== 'kprobe' && q.kind !== 'kretprobe' && q.kind !== 'fentry' && q.kind !== 'fexit') throw wrongKind(q, 'kernel-function');
    return listKernelEntries(q.kind, q.pattern, src, verbose);
  },
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
      throw new ResolveError(`cannot attach to kernel function ${q.name}: it is not traceable`, [
        `list what can be traced with 'polytrace list kprobe:${q.name}*'`,
      ]);
    }
    const ret = q.type === 'r';
    return names.map((symbol) => {
      const site: ProbeSite = mechanism === 'fentry' ? { kind: ret ? 'fexit' : 'fentry', symbol } : { kind: ret ? 'kretprobe' : 'kprobe', symbol };
      return { target: { kind: 'kfunc', symbol, name: symbol, mechanism }, site, ret };
    });
  },
};

/**
 * Kernel functions a pattern names: ftrace's available_filter_functions, or — when it cannot be
 * read (lockdown, as here) — kallsyms text symbols that BTF also describes; minus what the tools
 * refuse (the kprobe blacklist, .cold/.part clones, perf internals), so what is listed is what
 * `funccount`/`trace` would accept. fentry/fexit need a BTF FUNC as well.
 */
export async function kernelFunctionNames(pattern: string, src: ListSources, needBtf: boolean): Promise<{ names: string[]; source: string }> {
  // kprobe:P and fentry:P (both listed without a pattern) share one read of the sources.
  let found = kernelNamesMemo.get(pattern);
  if (!found) kernelNamesMemo.set(pattern, (found = candidateKernelFunctions(pattern, src)));
  const { names, source, btfChecked } = await found;
  if (!needBtf || btfChecked) return { names, source };
  // fentry/fexit attach to what vmlinux's or a loaded module's BTF describes.
  const inVmlinux = btfFunctionTest(await src.btf());
  const inModule = (await src.moduleFunctions?.()) ?? (() => undefined);
  return { names: names.filter((n) => inVmlinux(n) || inModule(n) !== undefined), source };
}

const kernelNamesMemo = new Map<string, Promise<KernelFunctionCandidates>>();

async function candidateKernelFunctions(pattern: string, src: ListSources): Promise<KernelFunctionCandidates> {
  const root = await src.tracefs();
  const found = candidateFunctions(globToRegExp(pattern), () => root);
  return { ...found, names: filterKernelFunctions(found.names, kprobeBlacklist()).kept.sort() };
}

async function* listKernelEntries(kind: KernelListKind, pattern: string, src: ListSources, verbose: boolean): AsyncGenerator<ListEntry> {
  const { names } = await kernelFunctionNames(pattern, src, kind === 'fentry' || kind === 'fexit');
  let signature: (name: string) => string[] = () => [];
  if (verbose && names.length) {
    const spec = await src.btf();
    const { formatFuncSignature } = await import('../../btf/format.js');
    const inModule = (await src.moduleFunctions?.()) ?? (() => undefined);
    signature = (name) => {
      const id = spec.idsByName(name, 'func')[0];
      if (id !== undefined) return [formatFuncSignature(spec, id)];
      const m = inModule(name);
      return m ? [formatFuncSignature(m.spec, m.id)] : [];
    };
  }
  for (const name of names) yield { probe: `${kind}:${name}`, details: () => signature(name) };
}
