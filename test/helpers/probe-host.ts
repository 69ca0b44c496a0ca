/**
 * A ProbeHost made of fixtures, so that planning a command line (resolve, choose the
 * mechanism, check every expression), listing and completing are tested with no kernel: the miniature tracefs of
 * fixtures/tracefs (its tracepoints and its synthetic available_filter_functions), the BTF of
 * fixtures/btf/kinds.btf, and real ELF files named by path.
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { BtfSpec } from '../../src/btf/index.js';
import type { KernelFunctionMechanism, ProbeHost, UserProbeMechanism } from '../../src/probes/host.js';
import { filterKernelFunctions } from '../../src/probes/kernel.js';
import { ElfFile, unversioned } from '../../src/symbols/elf.js';
import { availableFilterFunctions, hasEventId, listTracepointDirs, readTracepointFormat } from '../../src/symbols/tracefs.js';
import { usdtProbes } from '../../src/symbols/usdt/probes.js';
import { readFileSync } from 'node:fs';

const FIXTURES = join(fileURLToPath(new URL('.', import.meta.url)), '..', '..', 'fixtures');
export const FIXTURE_TRACEFS = join(FIXTURES, 'tracefs');

export interface FixtureHostOptions {
  readonly mechanism?: KernelFunctionMechanism;
  /** How uprobes attach (default: uprobe_multi). */
  readonly userProbes?: UserProbeMechanism;
  /** Raw tracepoints (default: none, so tracepoints take perf events). */
  readonly rawTracepoints?: boolean;
  /** One program at raw sys_enter/sys_exit for syscalls:* events (default: with raw tracepoints). */
  readonly syscallFamilies?: boolean;
  /** Dynamic events (`category:event`), which are not tracepoints. */
  readonly dynamicEvents?: readonly string[];
  /** Kernel BTF (default: fixtures/btf/kinds.btf; false: a kernel without BTF). */
  readonly btf?: boolean;
  /** What IFUNC symbols resolve to, by unversioned name: a vaddr in their file (default: unknown). */
  readonly ifuncs?: Readonly<Record<string, bigint>>;
  /** Receives the host's notes. */
  readonly notes?: string[];
}

export function fixtureHost(o: FixtureHostOptions = {}): ProbeHost {
  const btf = BtfSpec.parse(new Uint8Array(readFileSync(join(FIXTURES, 'btf', 'kinds.btf'))));
  const why = {
    kprobes: o.mechanism === 'kprobe' || o.mechanism === 'kprobe_multi' ? '' : 'no kprobe PMU (fixture)',
    fentry: o.mechanism === 'fentry' ? '' : 'no BPF trampolines (fixture)',
  };
  const resolved = (path: string) => {
    if (!existsSync(path)) throw new Error(`fixture host: no file ${path}`);
    return { path, original: path, how: 'path' as const };
  };
  return {
    tracefs: () => FIXTURE_TRACEFS,
    tracepoints: () => listTracepointDirs(FIXTURE_TRACEFS),
    hasTracepoint: (category, event) => hasEventId(FIXTURE_TRACEFS, { category, event }),
    tracepointFormat: (category, event) => readTracepointFormat(FIXTURE_TRACEFS, category, event),
    rawTracepoints: () => !!o.rawTracepoints,
    whyNoRawTracepoints: () => (o.rawTracepoints ? '' : 'none in the fixture'),
    syscallFamilies: () => o.syscallFamilies ?? !!o.rawTracepoints,
    dynamicEvents: () => new Set(o.dynamicEvents ?? []),
    library: resolved,
    usdtBinary: resolved,
    elf: (path) => ElfFile.open(path),
    userProbeMechanism: () => o.userProbes ?? 'uprobe_multi',
    ifuncImplementation: (_path, sym) => o.ifuncs?.[unversioned(sym.name)],
    note: (text) => o.notes?.push(text),
    usdtProbes: (path) => usdtProbes(ElfFile.open(path)),
    kernelFunctionSupport: () => (o.mechanism ? { mechanism: o.mechanism, why } : { why }),
    kernelFunctionMechanisms: () => why,
    kernelFunctionSource: () => `${FIXTURE_TRACEFS}/available_filter_functions`,
    kernelFunctions: (re) =>
      filterKernelFunctions(
        availableFilterFunctions(FIXTURE_TRACEFS).filter((n) => re.test(n)),
        new Set(),
      ).kept,
    kernelFunctionHasBtf: (name) => btf.idsByName(name, 'func').length > 0,
    kernelBtf: () => (o.btf === false ? undefined : btf),
  };
}
