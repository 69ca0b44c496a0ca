/**
 * BCC's legacy syscall names (`sys_read`, `SyS_read`, `sys_setsockopt(int fd, …)`) on a kernel
 * whose system calls are entered through arch wrappers (`__x64_sys_read`): the kernel-function
 * provider maps them for every tool, says so once, and hints where nothing matches. Planned on
 * the fixture host, whose function list gains the wrappers.
 */
import { describe, expect, it } from 'vitest';
import { fixtureHost } from '../../helpers/probe-host.js';
import { resolveProbe } from '../../../src/probes/registry.js';
import { planPattern } from '../../../src/pipeline/pattern.js';
import { planUnits } from '../../../src/multitools/trace-plan.js';
import { parseOptions as traceOptions } from '../../../src/multitools/trace.js';
import { parseTraceProbes } from '../../../src/specs/parse.js';
import { BUILTIN_USER_TYPES } from '../../../src/compile/usertypes.js';
import { argLocation, isSyscallWrapper, PT_REGS } from '../../../src/compile/context.js';
import { legacySyscallRest } from '../../../src/probes/legacy-syscalls.js';
import { SYSCALL_WRAPPERS, syscallWrapperPrefixes } from '../../../src/symbols/syscalls.js';
import { dumpText } from '../../../src/pipeline/dump.js';
import { ResolveError, TracerError } from '../../../src/errors.js';
import type { KernelFunctionMechanism } from '../../../src/probes/host.js';
import type { ProbeQuery } from '../../../src/probes/provider.js';

/** The host's architecture's wrapper prefix (`__x64_sys_` here), so the test holds on arm64 too. */
const W = SYSCALL_WRAPPERS[process.arch === 'arm64' ? 'arm64' : 'x64'].prefix;
const WRAPPERS = ['read', 'readv', 'readlink', 'setsockopt', 'execve', 'futex', 'open'].map((n) => W + n);

function host(o: { mechanism?: KernelFunctionMechanism; functions?: string[] } = {}) {
  const notes: string[] = [];
  return { notes, host: fixtureHost({ mechanism: o.mechanism ?? 'kprobe', functions: o.functions ?? WRAPPERS, notes }) };
}

const kq = (name: string, match: ProbeQuery['match'] = 'exact', type: 'p' | 'r' = 'p'): ProbeQuery => ({ type, library: '', name, match });

function thrown(f: () => unknown): TracerError {
  try {
    f();
  } catch (e) {
    if (e instanceof TracerError) return e;
    throw e;
  }
  throw new Error('did not throw');
}

describe('the arch table', () => {
  it('has one row per architecture, this one first; wrappers (native and compat) take pt_regs', () => {
    expect(syscallWrapperPrefixes('x64')).toEqual(['__x64_sys_', '__arm64_sys_']);
    expect(syscallWrapperPrefixes('arm64')).toEqual(['__arm64_sys_', '__x64_sys_']);
    for (const w of Object.values(SYSCALL_WRAPPERS)) {
      expect(isSyscallWrapper(`${w.prefix}read`)).toBe(true);
      expect(isSyscallWrapper(`${w.compat}read`)).toBe(true);
    }
    expect(isSyscallWrapper('sys_read')).toBe(false);
    expect(isSyscallWrapper('ksys_read')).toBe(false);
  });

  it('legacy names: sys_ and SyS_, also as patterns; nothing else', () => {
    expect(legacySyscallRest('sys_read')).toBe('read');
    expect(legacySyscallRest('SyS_read')).toBe('read');
    expect(legacySyscallRest('sys_read*')).toBe('read*');
    expect(legacySyscallRest('sys_')).toBeUndefined();
    expect(legacySyscallRest('ksys_read')).toBeUndefined();
    expect(legacySyscallRest('__x64_sys_read')).toBeUndefined();
    expect(legacySyscallRest('sysfs_read')).toBeUndefined();
  });
});

describe('sys_NAME and SyS_NAME where the plain name is not traceable', () => {
  it.each(['kprobe', 'kprobe_multi'] as const)('sys_read is the wrapper, through %s, with one note', (mechanism) => {
    const { host: h, notes } = host({ mechanism });
    const r = resolveProbe(kq('sys_read'), h);
    expect(r).toEqual([
      {
        target: { kind: 'kfunc', symbol: `${W}read`, name: `${W}read`, mechanism, legacyName: 'sys_read' },
        site: { kind: 'kprobe', symbol: `${W}read` },
        ret: false,
      },
    ]);
    resolveProbe(kq('sys_read'), h);
    expect(notes).toEqual([`sys_read is ${W}read on this kernel (system calls are entered through arch wrappers since Linux 4.17); probing ${W}read`]);
  });

  it('SyS_read too, and a return probe (funclatency, r::)', () => {
    const { host: h, notes } = host();
    expect(resolveProbe(kq('SyS_read'), h)[0]!.target).toMatchObject({ symbol: `${W}read`, legacyName: 'SyS_read' });
    const r = resolveProbe(kq('sys_read', 'glob', 'r'), h)[0]!;
    expect(r.site).toEqual({ kind: 'kretprobe', symbol: `${W}read` });
    expect(notes[0]).toMatch(/^SyS_read is __\w+_sys_read on this kernel/);
  });

  it('a plain name the kernel has is not mapped', () => {
    const { host: h, notes } = host({ functions: [...WRAPPERS, 'sys_read'] });
    expect(resolveProbe(kq('sys_read'), h)[0]!.target).toEqual({ kind: 'kfunc', symbol: 'sys_read', name: 'sys_read', mechanism: 'kprobe' });
    expect(notes).toEqual([]);
  });

  it("trace: the declared signature and argN read through the wrapper's pt_regs", () => {
    const { host: h } = host();
    const opts = traceOptions(['x'], 'trace');
    const [u] = planUnits(opts, parseTraceProbes(['sys_setsockopt(int fd, int level, int optname) (level == 1) "%d %d", fd, optname']), BUILTIN_USER_TYPES, h);
    expect(u!.ctx.site).toEqual({ kind: 'kprobe', symbol: `${W}setsockopt` });
    expect(u!.args.map((a) => a.type)).toMatchObject([{ kind: 'int' }, { kind: 'int' }]);
    // The wrapper's one argument is the caller's pt_regs: argN is a load through it.
    const regs = PT_REGS[process.arch === 'arm64' ? 'arm64' : 'x64'];
    expect(argLocation(u!.ctx, 3)).toEqual({ kind: 'deref', baseOffset: regs.args[0], disp: regs.args[2], size: 8, signed: false, space: 'kernel' });
  });

  it('--dump=resolved shows the name as written beside the wrapper', () => {
    const { host: h } = host();
    const text = dumpText(resolveProbe(kq('sys_read'), h).map((r) => ({ target: r.target, site: r.site, ret: r.ret })));
    expect(text).toContain(`"symbol": "${W}read"`);
    expect(text).toContain('"legacyName": "sys_read"');
  });

  it('through trampolines the wrapper needs its BTF FUNC like any function (none in the fixture BTF)', () => {
    const { host: h } = host({ mechanism: 'fentry' });
    expect(() => resolveProbe(kq('sys_read'), h)).toThrow(ResolveError);
  });
});

describe('sys_ wildcards', () => {
  it('funccount sys_read*: the plain matches and the wrappers of the same pattern, with a note', () => {
    const { host: h, notes } = host({ functions: [...WRAPPERS, 'sys_readahead_helper'] });
    const p = planPattern('sys_read*', 'funccount', { regex: false }, h);
    expect(p.probes.map((x) => x.target.name)).toEqual(['sys_readahead_helper', `${W}read`, `${W}readv`, `${W}readlink`]);
    expect(p.probes.map((x) => x.target.kind === 'kfunc' && x.target.legacyName)).toEqual([undefined, 'sys_read*', 'sys_read*', 'sys_read*']);
    expect(notes).toEqual([`sys_read* also matches ${W}read* on this kernel (system calls are entered through arch wrappers since Linux 4.17): 3 wrappers`]);
  });

  it('funccount sys_*: every wrapper', () => {
    const { host: h } = host();
    expect(planPattern('sys_*', 'funccount', { regex: false }, h).probes).toHaveLength(WRAPPERS.length);
  });

  it("-r regexes are the user's exact word: not rewritten", () => {
    const { host: h, notes } = host();
    expect(() => planPattern('^sys_read$', 'funccount', { regex: true }, h)).toThrow(/No kernel functions matched by pattern \^sys_read\$/);
    expect(notes).toEqual([]);
  });
});

describe('a legacy name that maps to nothing', () => {
  it('trace/argdist: the wrapper name it looked for, the tracepoint, the nearest wrappers', () => {
    const { host: h } = host({ functions: [...WRAPPERS, `${W}openat`] });
    // The fixture's tracefs has syscalls:sys_enter_openat but no wrapper of that name here.
    const e = thrown(() => resolveProbe(kq('sys_opnat'), h));
    expect(e.message).toMatch(/^cannot attach to kernel function sys_opnat: it is not traceable \(not in .*available_filter_functions\)$/);
    expect(e.hints).toEqual([
      `did you mean ${W}openat or ${W}open?`,
      `list them with 'polytrace list kprobe:${W}*'`,
      `system calls are probed as ${W}NAME on kernels since 4.17, and this kernel has no ${W}opnat`,
      "a system call's entry is also the tracepoint t:syscalls:sys_enter_NAME ('polytrace list t:syscalls:sys_enter_*' lists them)",
    ]);
    const t = thrown(() => resolveProbe(kq('SyS_openat'), host().host));
    expect(t.hints.at(-1)).toBe("or trace the system call's tracepoint t:syscalls:sys_enter_openat");
  });

  it("funccount: the same hints after BCC's words", () => {
    const { host: h } = host();
    const e = thrown(() => planPattern('sys_nosuch*', 'funccount', { regex: false }, h));
    expect(e.message).toMatch(/^No kernel functions matched by pattern sys_nosuch\* in /);
    expect(e.hints.slice(-2)).toEqual([
      `system calls are probed as ${W}NAME on kernels since 4.17, and this kernel has no ${W}nosuch*`,
      "a system call's entry is also the tracepoint t:syscalls:sys_enter_NAME ('polytrace list t:syscalls:sys_enter_*' lists them)",
    ]);
  });
});
