/**
 * Planning a command line with no kernel: every probe kind resolved through its provider
 * against a fixture host, the kernel-function mechanism chosen once, and each expression
 * checked once against the site that mechanism gives.
 */
import { describe, expect, it } from 'vitest';
import { fixtureHost } from '../../helpers/probe-host.js';
import { syscallNumbers } from '../../../src/symbols/syscalls.js';
import { planPattern } from '../../../src/pipeline/pattern.js';
import { providerFor, resolveProbe } from '../../../src/probes/registry.js';
import { planUnits } from '../../../src/multitools/trace-plan.js';
import { parseOptions as traceOptions } from '../../../src/multitools/trace.js';
import { plan as argdistPlan, compileSpecs } from '../../../src/multitools/argdist-plan.js';
import { parseTraceProbes } from '../../../src/specs/parse.js';
import { BUILTIN_USER_TYPES } from '../../../src/compile/usertypes.js';
import { DiagnosticsError, UnsupportedFeatureError } from '../../../src/errors.js';
import type { ResolvedProbe } from '../../../src/probes/provider.js';

const node = process.execPath;

describe('the provider registry', () => {
  it('maps each BCC letter (and library or none) to one provider', () => {
    expect(providerFor({ type: 't', library: '' }).name).toBe('tracepoint');
    expect(providerFor({ type: 'u', library: 'c' }).name).toBe('usdt');
    expect(providerFor({ type: 'p', library: '' }).name).toBe('kernel-function');
    expect(providerFor({ type: 'r', library: '' }).name).toBe('kernel-function');
    expect(providerFor({ type: 'p', library: 'c' }).name).toBe('uprobe');
    expect(providerFor({ type: 'r', library: '/bin/sh' }).name).toBe('uprobe');
  });
});

const byName = (a: ResolvedProbe, b: ResolvedProbe) => a.target.name.localeCompare(b.target.name);

describe('pattern planning (funccount, stackcount, funclatency)', () => {
  it('tracepoint globs match category:event; directories without an id are not events', () => {
    const p = planPattern('t:sched:*', 'funccount', { regex: false }, fixtureHost());
    expect(p.probes.map((x) => x.target.name).sort()).toEqual(['sched:sched_process_exec', 'sched:sched_switch']);
    // The record's fields are read only when asked for.
    expect(p.probes.find((x) => x.target.name === 'sched:sched_switch')!.site).toMatchObject({ kind: 'tracepoint', category: 'sched', event: 'sched_switch' });
  });

  it('tracepoints: raw tracepoints when the query reads no arguments and the kernel has them; else perf events', () => {
    const raw = [...planPattern('t:sched:*', 'funccount', { regex: false }, fixtureHost({ rawTracepoints: true })).probes].sort(byName);
    expect(raw.map((x) => x.target)).toEqual([
      {
        kind: 'tracepoint',
        category: 'sched',
        event: 'sched_process_exec',
        name: 'sched:sched_process_exec',
        mechanism: 'raw',
        tracepoint: 'sched_process_exec',
      },
      { kind: 'tracepoint', category: 'sched', event: 'sched_switch', name: 'sched:sched_switch', mechanism: 'raw', tracepoint: 'sched_switch' },
    ]);
    // The program sees the tracepoint's arguments, not the record: no format file is read.
    expect(raw[1]!.site).toEqual({ kind: 'raw_tracepoint', name: 'sched_switch' });
    const perf = planPattern('t:sched:sched_switch', 'funccount', { regex: false }, fixtureHost());
    expect(perf.probes[0]!.target).toMatchObject({ mechanism: 'perf' });
    expect(perf.probes[0]!.site.kind).toBe('tracepoint');
    // trace and argdist read the record: perf events whatever the kernel has.
    const reads = resolveProbe({ type: 't', library: '', name: 'sched:sched_switch', match: 'exact', readsArgs: true }, fixtureHost({ rawTracepoints: true }));
    expect(reads[0]!.target).toMatchObject({ mechanism: 'perf' });
  });

  it('syscalls:* events go to one program at raw sys_enter / sys_exit with their numbers', () => {
    const openat = syscallNumbers().get('openat')!;
    const p = [...planPattern('t:syscalls:*', 'stackcount', { regex: false }, fixtureHost({ rawTracepoints: true })).probes].sort(byName);
    expect(p.map((x) => x.target)).toEqual([
      {
        kind: 'tracepoint',
        category: 'syscalls',
        event: 'sys_enter_openat',
        name: 'syscalls:sys_enter_openat',
        mechanism: 'raw',
        tracepoint: 'sys_enter',
        syscall: openat,
      },
      {
        kind: 'tracepoint',
        category: 'syscalls',
        event: 'sys_exit_openat',
        name: 'syscalls:sys_exit_openat',
        mechanism: 'raw',
        tracepoint: 'sys_exit',
        syscall: openat,
      },
    ]);
    expect(p.map((x) => x.site)).toEqual([
      { kind: 'raw_tracepoint', name: 'sys_enter' },
      { kind: 'raw_tracepoint', name: 'sys_exit' },
    ]);
    // Where the syscall layout is unknown, syscall events keep their perf events; the rest stay raw.
    const host = fixtureHost({ rawTracepoints: true, syscallFamilies: false });
    expect(planPattern('t:syscalls:*', 'funccount', { regex: false }, host).probes.map((x) => x.target.kind === 'tracepoint' && x.target.mechanism)).toEqual([
      'perf',
      'perf',
    ]);
    expect(planPattern('t:sched:sched_switch', 'funccount', { regex: false }, host).probes[0]!.target).toMatchObject({ mechanism: 'raw' });
  });

  it("events that are not tracepoints of their own (dynamic events, ftrace's) keep perf events", () => {
    const host = fixtureHost({ rawTracepoints: true, dynamicEvents: ['sched:sched_process_exec'] });
    const p = planPattern('t:sched:*', 'funccount', { regex: false }, host);
    expect(p.probes.map((x) => [x.target.name, x.target.kind === 'tracepoint' && x.target.mechanism]).sort()).toEqual([
      ['sched:sched_process_exec', 'perf'],
      ['sched:sched_switch', 'raw'],
    ]);
    // Wildcards never list ftrace's events; named, one keeps its perf event.
    const f = planPattern('t:ftrace:function', 'funccount', { regex: false }, fixtureHost({ rawTracepoints: true }));
    expect(f.probes.map((x) => x.target)).toMatchObject([{ name: 'ftrace:function', mechanism: 'perf' }]);
  });

  it("nothing matched: each tool says it in BCC's words, with the kind's word and where it looked", () => {
    const host = fixtureHost({ mechanism: 'kprobe' });
    expect(() => planPattern('t:sched:nosuch', 'funccount', { regex: false }, host)).toThrow(
      /^No tracepoints matched by pattern sched:nosuch in .*\/tracefs\/events$/,
    );
    expect(() => planPattern('nosuch_*', 'funclatency', { regex: false }, host)).toThrow(
      /^0 kernel functions matched by "nosuch_\*" in .*\/tracefs\/available_filter_functions\. Exiting\.$/,
    );
  });

  it('kernel functions: the mechanism is chosen once, and the site follows it', () => {
    const kp = planPattern('vfs_*', 'funccount', { regex: false }, fixtureHost({ mechanism: 'kprobe' }));
    expect(kp.probes.map((x) => x.target)).toEqual([
      { kind: 'kfunc', symbol: 'vfs_read', name: 'vfs_read', mechanism: 'kprobe' },
      { kind: 'kfunc', symbol: 'vfs_write', name: 'vfs_write', mechanism: 'kprobe' },
    ]);
    expect(kp.probes.map((x) => x.site.kind)).toEqual(['kprobe', 'kprobe']);
    // Trampolines need BTF: kinds.btf describes vfs_read only.
    const fe = resolveProbe({ type: 'r', library: '', name: 'vfs_*', match: 'glob' }, fixtureHost({ mechanism: 'fentry' }));
    expect(fe.map((x) => [x.target.name, x.site.kind, x.ret])).toEqual([['vfs_read', 'fexit', true]]);
    // One kprobe_multi link is a choice made here too; its programs see pt_regs as kprobes do.
    const km = resolveProbe({ type: 'r', library: '', name: 'vfs_*', match: 'glob' }, fixtureHost({ mechanism: 'kprobe_multi' }));
    expect(km.map((x) => [x.target.kind === 'kfunc' && x.target.mechanism, x.site.kind])).toEqual([
      ['kprobe_multi', 'kretprobe'],
      ['kprobe_multi', 'kretprobe'],
    ]);
  });

  it('uprobes and USDT: uprobe_multi or a perf event per site is chosen once, at resolve', () => {
    for (const userProbes of ['uprobe_multi', 'perf_event'] as const) {
      const p = planPattern(`${node}:napi_create_int*`, 'funccount', { regex: false }, fixtureHost({ userProbes }));
      expect(new Set(p.probes.map((x) => x.target.kind === 'uprobe' && x.target.mechanism))).toEqual(new Set([userProbes]));
    }
  });

  it('a kernel with neither kprobes nor trampolines: one line naming what is missing and a tracepoint', () => {
    expect(() => planPattern('sched_*', 'funccount', { regex: false }, fixtureHost())).toThrow(UnsupportedFeatureError);
    expect(() => planPattern('sched_*', 'funccount', { regex: false }, fixtureHost())).toThrow(/no kprobe PMU \(fixture\).*t:sched:/);
  });

  it('user functions of an ELF file, de-duplicated; -r is a start-anchored regex', () => {
    const p = planPattern(`${node}:napi_create_int*`, 'funccount', { regex: false }, fixtureHost());
    expect(p.probes.length).toBeGreaterThan(1);
    for (const x of p.probes) {
      expect(x.target).toMatchObject({ kind: 'uprobe', path: node });
      expect(x.site.kind).toBe('uprobe');
    }
    const r = planPattern(`${node}:napi_create_int(32|64)$`, 'funccount', { regex: true }, fixtureHost());
    expect(r.probes.map((x) => x.target.name).sort()).toEqual(['napi_create_int32', 'napi_create_int64']);
  });
});

describe('trace planning: each expression checked once against the resolved site', () => {
  const opts = traceOptions(['x'], 'trace');
  it('named arguments of a kernel function through trampolines are fentry arguments (no second check)', () => {
    const units = planUnits(opts, parseTraceProbes(['p::vfs_read "%d", count']), BUILTIN_USER_TYPES, fixtureHost({ mechanism: 'fentry' }));
    expect(units).toHaveLength(1);
    expect(units[0]!.ctx.site).toEqual({ kind: 'fentry', symbol: 'vfs_read' });
    expect(units[0]!.args).toHaveLength(1);
  });

  it('the same probe through kprobes reads pt_regs', () => {
    const units = planUnits(opts, parseTraceProbes(['p::vfs_read "%d", count']), BUILTIN_USER_TYPES, fixtureHost({ mechanism: 'kprobe' }));
    expect(units[0]!.ctx.site).toEqual({ kind: 'kprobe', symbol: 'vfs_read' });
  });

  it('every fault of every probe in one run', () => {
    const probes = parseTraceProbes(['t:sched:sched_switch "%d", args->nosuch', 't:sched:nosuch', 'r::vfs_read "%s", retval']);
    let err: unknown;
    try {
      planUnits(opts, probes, BUILTIN_USER_TYPES, fixtureHost({ mechanism: 'kprobe' }));
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(DiagnosticsError);
    const messages = (err as DiagnosticsError).errors.map((e) => e.message);
    expect(messages).toHaveLength(3);
    expect(messages[0]).toMatch(/nosuch/);
    expect(messages[1]).toMatch(/tracepoint sched:nosuch does not exist/);
  });
});

describe('trace and argdist probes that read no argument', () => {
  const opts = traceOptions(['x'], 'trace');
  const host = fixtureHost({ rawTracepoints: true });
  const trace = (probe: string) => planUnits(opts, parseTraceProbes([probe]), BUILTIN_USER_TYPES, host)[0]!.resolved;
  const argdist = (spec: string) =>
    compileSpecs(
      argdistPlan({ counts: [spec], histograms: [], stringSize: 80 }, () => host.kernelBtf()!),
      { stringSize: 80 },
      host,
    )[0]![0]!.resolved;

  it('take raw tracepoints: $COMM, $PID, constants', () => {
    for (const r of [
      trace('t:sched:sched_switch "%d %s", $PID, $COMM'),
      trace('t:sched:sched_switch'),
      argdist('t:sched:sched_switch():char*:$COMM'),
      argdist('t:sched:sched_switch()'),
    ]) {
      expect(r.target).toMatchObject({ mechanism: 'raw', tracepoint: 'sched_switch' });
      expect(r.site).toEqual({ kind: 'raw_tracepoint', name: 'sched_switch' });
    }
  });

  it('args->, a bare name, argN in the predicate or filter: perf events reading the record', () => {
    for (const r of [
      trace('t:sched:sched_switch "%d", args->prev_pid'),
      trace('t:sched:sched_switch (args->prev_pid == 1) "%d", 1'),
      argdist('t:sched:sched_switch():int:args->prev_pid'),
      argdist('t:sched:sched_switch():char*:$COMM:args->prev_pid==1'),
    ]) {
      expect(r.target).toMatchObject({ mechanism: 'perf' });
      expect(r.site.kind).toBe('tracepoint');
    }
  });

  it('syscalls:* events keep perf events: the program shapes have no syscall slot', () => {
    expect(trace('t:syscalls:sys_enter_openat "%d", 1').target).toMatchObject({ mechanism: 'perf' });
    expect(argdist('t:syscalls:sys_enter_openat()').target).toMatchObject({ mechanism: 'perf' });
    expect(resolveProbe({ type: 't', library: '', name: 'syscalls:sys_enter_openat', match: 'exact', syscallFamilies: false }, host)[0]!.target).toEqual({
      kind: 'tracepoint',
      category: 'syscalls',
      event: 'sys_enter_openat',
      name: 'syscalls:sys_enter_openat',
      mechanism: 'perf',
    });
  });
});

describe('argdist planning', () => {
  it('tracepoint fields and kernel arguments compile for their sites; faults of all specifiers reported together', () => {
    const host = fixtureHost({ mechanism: 'kprobe' });
    const btf = () => host.kernelBtf()!;
    const ok = argdistPlan(
      {
        counts: ['t:sched:sched_switch():int:args->prev_pid', 'p::vfs_read(struct file *file, char *buf, size_t count):u64:count'],
        histograms: [],
        stringSize: 80,
      },
      btf,
    );
    const sites = compileSpecs(ok, { stringSize: 80 }, host);
    expect(sites.map((s) => s.map((x) => x.resolved.site.kind))).toEqual([['tracepoint'], ['kprobe']]);
    const bad = argdistPlan({ counts: ['t:sched:sched_switch():int:args->nosuch', 'p::vfs_read():u64:nosuch'], histograms: [], stringSize: 80 }, btf);
    expect(() => compileSpecs(bad, { stringSize: 80 }, host)).toThrow(DiagnosticsError);
  });

  it('an exact name that resolves nowhere says what was looked for and where', () => {
    expect(() => resolveProbe({ type: 'p', library: node, name: 'no_such_fn', match: 'exact' }, fixtureHost())).toThrow(
      `could not determine address of symbol no_such_fn in ${node}`,
    );
  });
});

describe('raw tracepoints asked for by name (rawtracepoint:NAME, rt:NAME)', () => {
  // kinds.btf: btf_trace_irq_handler_entry (named by __probestub_), btf_trace_sched_wake_idle_without_ipi
  // (named by __traceiter_), btf_trace_sched_kthread_stop_ret (unnamed).
  const raw = fixtureHost({ rawTracepoints: true });
  const opts = traceOptions(['x'], 'trace');
  const faults = (specs: string[], host = raw): string[] => {
    try {
      planUnits(opts, parseTraceProbes(specs), BUILTIN_USER_TYPES, host);
    } catch (e) {
      if (e instanceof DiagnosticsError) return e.errors.map((x) => x.message);
      throw e;
    }
    return [];
  };

  it('the registry maps the type to its provider', () => {
    expect(providerFor({ type: 'rawtracepoint', library: '' }).name).toBe('raw-tracepoint');
  });

  it('a glob over the btf_trace_* names: one raw_tracepoint target each, sorted; the site bounds argN by BTF', () => {
    const p = planPattern('rawtracepoint:sched_*', 'funccount', { regex: false }, raw);
    expect(p.probes.map((x) => x.target)).toEqual([
      { kind: 'raw_tracepoint', name: 'sched_kthread_stop_ret' },
      { kind: 'raw_tracepoint', name: 'sched_wake_idle_without_ipi' },
    ]);
    expect(p.probes.map((x) => [x.ret, x.site])).toEqual([
      [false, { kind: 'raw_tracepoint', name: 'sched_kthread_stop_ret', nargs: 1 }],
      [false, { kind: 'raw_tracepoint', name: 'sched_wake_idle_without_ipi', nargs: 1 }],
    ]);
    expect(planPattern('rt:^irq', 'stackcount', { regex: true }, raw).probes.map((x) => x.target.name)).toEqual(['irq_handler_entry']);
    expect(() => planPattern('rt:nosuch*', 'funccount', { regex: false }, raw)).toThrow(/^No raw tracepoints matched by pattern nosuch\* in kernel BTF$/);
  });

  it('a kernel without raw tracepoints: one line naming what is missing, no fallback', () => {
    expect(() => planPattern('rt:sched_*', 'funccount', { regex: false }, fixtureHost())).toThrow(UnsupportedFeatureError);
    expect(faults(['rawtracepoint:irq_handler_entry'], fixtureHost())).toEqual([
      "error in probe 'rawtracepoint:irq_handler_entry': raw tracepoints are not available on this kernel (none in the fixture): cannot attach rawtracepoint:irq_handler_entry",
    ]);
  });

  it('a missing name says what was looked for, where, and the nearest names', () => {
    expect(faults(['rawtracepoint:irq_handler_entr'])).toEqual([
      "error in probe 'rawtracepoint:irq_handler_entr': no raw tracepoint 'irq_handler_entr' (kernel BTF has no btf_trace_irq_handler_entr): did you mean irq_handler_entry?",
    ]);
    expect(faults(['rt:sched_switch'], fixtureHost({ rawTracepoints: true, btf: false }))).toEqual([]);
    expect(faults(['rt:sched_swich'], fixtureHost({ rawTracepoints: true, btf: false }))[0]).toMatch(
      /^error in probe 'rt:sched_swich': no raw tracepoint 'sched_swich' \(no BTF, and .*\/events has no tracepoint event sched_swich\): did you mean sched_switch\?$/,
    );
  });

  it('trace: args->name named and typed from BTF at u64 slots, argN as u64', () => {
    const units = planUnits(
      opts,
      parseTraceProbes(['rawtracepoint:irq_handler_entry (args->irq > 1) "%d %s %d", args->irq, args->action->name, arg2']),
      BUILTIN_USER_TYPES,
      raw,
    );
    expect(units).toHaveLength(1);
    const u = units[0]!;
    expect(u.resolved.target).toEqual({ kind: 'raw_tracepoint', name: 'irq_handler_entry' });
    expect(u.ctx.site).toEqual({ kind: 'raw_tracepoint', name: 'irq_handler_entry', nargs: 2 });
    expect(u.args[0]).toMatchObject({ type: { kind: 'int', size: 4, signed: true }, node: { k: 'load', place: { k: 'ctx', offset: 0 } } });
    // A kernel pointer in the second slot, followed with a probe read.
    expect(u.args[1]).toMatchObject({
      space: 'kernel',
      node: { k: 'load', place: { k: 'mem', offset: 16, space: 'kernel', addr: { node: { k: 'load', place: { k: 'ctx', offset: 8 } } } } },
    });
    expect(u.args[2]).toMatchObject({ untyped: true, node: { k: 'loc', loc: { kind: 'ctx', offset: 8, size: 8 } } });
  });

  it('trace: what a raw tracepoint cannot give is refused, every fault in one run', () => {
    expect(
      faults([
        'rt:irq_handler_entry "%d", arg3',
        'rt:irq_handler_entry "%d", retval',
        'rt:irq_handler_entry "%d", irq',
        'rt:irq_handler_entry "%d", args->nosuch',
        'rt:sched_kthread_stop_ret "%d", args->ret',
        'rt:sched_kthread_stop_ret "%d", arg1',
        'rt:sched_wake_idle_without_ipi "%d", args->cpu',
      ]),
    ).toEqual([
      'arg3: irq_handler_entry has 2 arguments',
      'retval is only available in return probes (r:…)',
      "unknown name 'irq'; did you mean 'args->irq'?",
      "unknown member 'nosuch' in struct irq_handler_entry_args",
      'args: kernel BTF does not name the arguments of raw tracepoint sched_kthread_stop_ret (no __probestub_sched_kthread_stop_ret or __traceiter_sched_kthread_stop_ret)',
    ]);
    // Without BTF: names from tracefs, argN unbounded by a prototype, args-> refused.
    expect(faults(['rt:sched_switch "%d", arg4', 'rt:sched_switch "%d", args->prev'], fixtureHost({ rawTracepoints: true, btf: false }))).toEqual([
      'args: the arguments of raw tracepoint sched_switch are not described (kernel BTF is not available)',
    ]);
  });

  it('argdist: rawtracepoint::NAME() compiles for the raw tracepoint site', () => {
    const btf = () => raw.kernelBtf()!;
    const p = argdistPlan(
      {
        counts: ['rawtracepoint::irq_handler_entry():int,char*:args->irq,args->action->name'],
        histograms: ['rt::sched_wake_idle_without_ipi():u32:args->cpu'],
        stringSize: 80,
      },
      btf,
    );
    const sites = compileSpecs(p, { stringSize: 80 }, raw);
    expect(sites.map((s) => s.map((x) => [x.resolved.target, x.resolved.site.kind]))).toEqual([
      [[{ kind: 'raw_tracepoint', name: 'irq_handler_entry' }, 'raw_tracepoint']],
      [[{ kind: 'raw_tracepoint', name: 'sched_wake_idle_without_ipi' }, 'raw_tracepoint']],
    ]);
  });
});
