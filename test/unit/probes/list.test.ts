/**
 * `polytrace list` patterns (bpftrace's and BCC's spellings), the -v line formats, and what
 * each provider lists on the fixture host (test/helpers/probe-host.ts): no kernel needed.
 */
import { describe, expect, it } from 'vitest';
import { DEFAULT_QUERIES, listMiss, listProbes, parseListPattern, type ListQuery } from '../../../src/probes/list.js';
import { FIXTURE_TRACEFS } from '../../helpers/probe-host.js';
import { tracepointFieldDecl, usdtArgLines } from '../../../src/probes/listing.js';
import type { ProbeHost } from '../../../src/probes/host.js';
import { fixtureHost } from '../../helpers/probe-host.js';
import { parseTracepointFormat } from '../../../src/symbols/tracefs.js';
import { UsageError } from '../../../src/errors.js';

/** Every entry of `queries` with its -v lines (when `verbose`), and the notes said on the way. */
async function list(
  queries: ListQuery | readonly ListQuery[],
  host: ProbeHost,
  verbose = false,
): Promise<{ entries: Array<[string, string[]]>; notes: string[] }> {
  const notes: string[] = [];
  const entries: Array<[string, string[]]> = [];
  for (const q of Array.isArray(queries) ? queries : [queries as ListQuery]) {
    for await (const e of listProbes(q, host, { verbose, note: (n) => notes.push(n) })) entries.push([e.probe, e.details()]);
  }
  return { entries, notes };
}
const probes = (r: { entries: Array<[string, string[]]> }): string[] => r.entries.map(([p]) => p);

describe('parseListPattern', () => {
  const cases: Array<[string | undefined, unknown[]]> = [
    [undefined, [...DEFAULT_QUERIES]],
    [
      '',
      [
        { kind: 'kprobe', pattern: '*', attachable: true },
        { kind: 'fentry', pattern: '*', attachable: true },
        { kind: 'tracepoint', pattern: '*' },
      ],
    ],
    ['*', [...DEFAULT_QUERIES]],
    ['vfs_*', [{ kind: 'kprobe', pattern: 'vfs_*' }]],
    ['kprobe:vfs_read', [{ kind: 'kprobe', pattern: 'vfs_read' }]],
    ['k:vfs_*', [{ kind: 'kprobe', pattern: 'vfs_*' }]],
    ['p::vfs_*', [{ kind: 'kprobe', pattern: 'vfs_*' }]],
    ['p:vfs_*', [{ kind: 'kprobe', pattern: 'vfs_*' }]],
    ['r::vfs_read', [{ kind: 'kretprobe', pattern: 'vfs_read' }]],
    ['kretprobe:vfs_read', [{ kind: 'kretprobe', pattern: 'vfs_read' }]],
    ['kprobe:', [{ kind: 'kprobe', pattern: '*' }]],
    ['fentry:tcp_*', [{ kind: 'fentry', pattern: 'tcp_*' }]],
    ['kfunc:tcp_*', [{ kind: 'fentry', pattern: 'tcp_*' }]],
    ['fexit:tcp_sendmsg', [{ kind: 'fexit', pattern: 'tcp_sendmsg' }]],
    ['tracepoint:sched:*', [{ kind: 'tracepoint', pattern: 'sched:*' }]],
    ['t:sched:sched_switch', [{ kind: 'tracepoint', pattern: 'sched:sched_switch' }]],
    ['tracepoint:sched', [{ kind: 'tracepoint', pattern: 'sched:*' }]],
    ['tracepoint:*switch*', [{ kind: 'tracepoint', pattern: '*switch*' }]],
    ['tracepoint:', [{ kind: 'tracepoint', pattern: '*' }]],
    ['uprobe:/usr/bin/python3.11:*', [{ kind: 'uprobe', library: '/usr/bin/python3.11', pattern: '*' }]],
    ['uprobe:/bin/bash', [{ kind: 'uprobe', library: '/bin/bash', pattern: '*' }]],
    ['ur:c:malloc', [{ kind: 'uretprobe', library: 'c', pattern: 'malloc' }]],
    ['c:malloc', [{ kind: 'uprobe', library: 'c', pattern: 'malloc' }]],
    ['c:str*', [{ kind: 'uprobe', library: 'c', pattern: 'str*' }]],
    ['/bin/bash:readline', [{ kind: 'uprobe', library: '/bin/bash', pattern: 'readline' }]],
    ['p:c:str*', [{ kind: 'uprobe', library: 'c', pattern: 'str*' }]],
    ['r:c:malloc', [{ kind: 'uretprobe', library: 'c', pattern: 'malloc' }]],
    ['usdt:/usr/bin/python3.11:*', [{ kind: 'usdt', library: '/usr/bin/python3.11', provider: '*', probe: '*' }]],
    ['usdt:/usr/bin/python3.11:python:gc__*', [{ kind: 'usdt', library: '/usr/bin/python3.11', provider: 'python', probe: 'gc__*' }]],
    ['u:python3.11:function__entry', [{ kind: 'usdt', library: 'python3.11', provider: '*', probe: 'function__entry' }]],
    ['U:python3.11', [{ kind: 'usdt', library: 'python3.11', provider: '*', probe: '*' }]],
    ['rawtracepoint:sched_*', [{ kind: 'rawtracepoint', pattern: 'sched_*' }]],
    ['rt:sched_switch', [{ kind: 'rawtracepoint', pattern: 'sched_switch' }]],
    ['rawtracepoint:*', [{ kind: 'rawtracepoint', pattern: '*' }]],
    ['rawtracepoint:', [{ kind: 'rawtracepoint', pattern: '*' }]],
    ['rt:', [{ kind: 'rawtracepoint', pattern: '*' }]],
    ['rawtracepoint::sched_*', [{ kind: 'rawtracepoint', pattern: 'sched_*' }]],
  ];
  for (const [text, want] of cases) {
    it(String(text), () => expect(parseListPattern(text)).toEqual(want));
  }

  for (const bad of [
    'kprobe:ext4:ext4_file_open',
    'uprobe::malloc',
    'usdt:',
    'bogus:a:b',
    'p:c:x:y',
    'usdt:a:b:c:d',
    'rawtracepoint:sched:sched_switch',
    'rt::a:b',
  ]) {
    it(`rejects ${bad}`, () => expect(() => parseListPattern(bad)).toThrow(UsageError));
  }
});

describe('-v formats', () => {
  it('tracepoint fields print as their format file declares them', () => {
    const fmt = parseTracepointFormat(`name: t
ID: 1
format:
\tfield:unsigned short common_type;\toffset:0;\tsize:2;\tsigned:0;

\tfield:char prev_comm[16];\toffset:8;\tsize:16;\tsigned:0;
\tfield:pid_t prev_pid;\toffset:24;\tsize:4;\tsigned:1;
\tfield:__data_loc char[] name;\toffset:28;\tsize:4;\tsigned:0;
\tfield:const char * filename;\toffset:32;\tsize:8;\tsigned:0;
\tfield:unsigned long args[6];\toffset:40;\tsize:48;\tsigned:0;

print fmt: "x"
`);
    expect(fmt.fields.filter((f) => !f.isCommon).map(tracepointFieldDecl)).toEqual([
      'char prev_comm[16]',
      'pid_t prev_pid',
      '__data_loc char[] name',
      'const char * filename',
      'unsigned long args[6]',
    ]);
  });

  it('raw tracepoints: every btf_trace_* typedef, -v its prototype named from the probe stub', async () => {
    const host = fixtureHost({ rawTracepoints: true });
    expect((await list({ kind: 'rawtracepoint', pattern: '*' }, host, true)).entries).toEqual([
      ['rawtracepoint:irq_handler_entry', ['void irq_handler_entry(int irq, struct irqaction *action)']],
      ['rawtracepoint:sched_kthread_stop_ret', ['void sched_kthread_stop_ret(int)']],
      ['rawtracepoint:sched_wake_idle_without_ipi', ['void sched_wake_idle_without_ipi(int cpu)']],
    ]);
    expect((await list({ kind: 'rawtracepoint', pattern: 'sched_*' }, host)).entries.map(([, d]) => d)).toEqual([[], []]);
  });

  it('raw tracepoints without BTF: the tracefs events that are tracepoints of their own name', async () => {
    const r = await list({ kind: 'rawtracepoint', pattern: '*' }, fixtureHost({ btf: false }), true);
    const names = probes(r);
    for (const [, d] of r.entries) expect(d).toEqual([]);
    // Not syscalls:* (built on sys_enter/sys_exit) nor ftrace's events; sorted, no duplicates.
    expect(names.length).toBeGreaterThan(0);
    expect(names).toContain('rawtracepoint:sched_switch');
    expect(names).toContain('rawtracepoint:sys_enter');
    expect(names.some((n) => n.includes('sys_enter_'))).toBe(false);
    expect(names).not.toContain('rawtracepoint:function');
    expect([...names].sort()).toEqual(names);
    expect(new Set(names).size).toBe(names.length);
  });

  it('USDT arguments', () => {
    expect(
      usdtArgLines(
        [
          { size: 4, signed: true },
          { size: 8, signed: false },
        ],
        ['-4@%edi', '8@-24(%rbp)'],
      ),
    ).toEqual(['arg1: int32 (-4@%edi)', 'arg2: uint64 (8@-24(%rbp))']);
  });
});

describe('listing each probe kind on the fixture host', () => {
  const node = process.execPath;
  const libstdcxx = '/usr/lib/x86_64-linux-gnu/libstdc++.so.6';

  it('tracepoints: the events with an id, sorted; -v their fields without the common ones', async () => {
    const host = fixtureHost();
    expect(probes(await list({ kind: 'tracepoint', pattern: 'sched:*' }, host))).toEqual([
      'tracepoint:sched:sched_process_exec',
      'tracepoint:sched:sched_switch',
    ]);
    const v = await list({ kind: 'tracepoint', pattern: 'sched:sched_switch' }, host, true);
    expect(v.entries).toEqual([
      [
        'tracepoint:sched:sched_switch',
        host
          .tracepointFormat('sched', 'sched_switch')
          .fields.filter((f) => !f.isCommon)
          .map(tracepointFieldDecl),
      ],
    ]);
    expect(v.entries[0]![1]).toContain('char prev_comm[16]');
    expect(v.notes).toEqual([]);
  });

  it('kernel functions: the host list minus what the tools refuse, sorted; -v the BTF signature; fentry only with BTF', async () => {
    const host = fixtureHost({ mechanism: 'kprobe' });
    expect(await list({ kind: 'kprobe', pattern: 'vfs_*' }, host, true)).toEqual({
      entries: [
        ['kprobe:vfs_read', ['ssize_t vfs_read(struct file *file, char *buf, size_t count, loff_t *pos)']],
        ['kprobe:vfs_write', []],
      ],
      notes: [],
    });
    expect(probes(await list({ kind: 'kretprobe', pattern: 'vfs_r*' }, host))).toEqual(['kretprobe:vfs_read']);
    // vfs_write has no FUNC in the fixture BTF, so no trampoline can attach to it. That fentry
    // is unavailable here is said once, after the listing the user asked for.
    expect(await list({ kind: 'fentry', pattern: 'vfs_*' }, host)).toEqual({
      entries: [['fentry:vfs_read', []]],
      notes: ['fentry/fexit cannot be attached on this kernel (no BPF trampolines (fixture))'],
    });
  });

  it('no pattern: kernel functions only as this kernel attaches them; the rest counted in a note', async () => {
    const none = await list(parseListPattern(undefined), fixtureHost());
    expect(probes(none).every((p) => p.startsWith('tracepoint:'))).toBe(true);
    expect(probes(none)).toContain('tracepoint:sched:sched_switch');
    const all = fixtureHost().kernelFunctions(/^/).length;
    expect(none.notes).toEqual([
      `left out ${all} kernel functions as kprobe:*, which this kernel cannot attach (kprobes: no kprobe PMU (fixture)); 'polytrace list kprobe:*' lists them anyway`,
      "left out 1 kernel function as fentry:*, which this kernel cannot attach (fentry/fexit: no BPF trampolines (fixture)); 'polytrace list fentry:*' lists them anyway",
    ]);
    // kprobes: listed, and the fentry ones left out; trampolines: the reverse.
    const kp = await list(parseListPattern(undefined), fixtureHost({ mechanism: 'kprobe' }));
    expect(probes(kp).filter((p) => !p.startsWith('tracepoint:'))).toEqual(
      fixtureHost()
        .kernelFunctions(/^/)
        .sort()
        .map((n) => `kprobe:${n}`),
    );
    expect(kp.notes).toEqual([expect.stringMatching(/^left out 1 kernel function as fentry:\*/)]);
    const fe = await list(parseListPattern(undefined), fixtureHost({ mechanism: 'fentry' }));
    expect(probes(fe).filter((p) => !p.startsWith('tracepoint:'))).toEqual(['fentry:vfs_read']);
    expect(fe.notes).toEqual([expect.stringMatching(/^left out \d+ kernel functions as kprobe:\*/)]);
    // A function list that cannot be read does not fail the listing: the note says so, uncounted.
    const unreadable: ProbeHost = {
      ...fixtureHost(),
      kernelFunctions: () => {
        throw new Error('no available_filter_functions, no kallsyms');
      },
    };
    const partial = await list(parseListPattern(undefined), unreadable);
    expect(probes(partial)).toContain('tracepoint:sched:sched_switch');
    expect(partial.notes[0]).toMatch(/^left out the kernel functions as kprobe:\*, which this kernel cannot attach \(kprobes: no kprobe PMU/);
    // Asked for by name, they are listed even so, with a note that they cannot attach.
    const asked = await list(parseListPattern('kprobe:vfs_*'), fixtureHost());
    expect(probes(asked)).toEqual(['kprobe:vfs_read', 'kprobe:vfs_write']);
    expect(asked.notes).toEqual(['kprobes cannot be attached on this kernel (no kprobe PMU (fixture))']);
  });

  it('user functions: the functions a file defines, by unversioned name, sorted', async () => {
    const r = await list(parseListPattern(`uprobe:${node}:napi_create_int*`), fixtureHost());
    expect(probes(r)).toEqual([`uprobe:${node}:napi_create_int32`, `uprobe:${node}:napi_create_int64`]);
    expect(probes(await list(parseListPattern(`ur:${node}:napi_create_int32`), fixtureHost()))).toEqual([`uretprobe:${node}:napi_create_int32`]);
  });

  it('USDT probes: provider and name from the notes; -v their arguments and sites', async () => {
    const r = await list(parseListPattern(`usdt:${libstdcxx}:*`), fixtureHost(), true);
    expect(probes(r)).toEqual(['catch', 'rethrow', 'throw'].map((n) => `usdt:${libstdcxx}:libstdcxx:${n}`));
    for (const [, d] of r.entries) expect(d[0]).toMatch(/^arg1: u?int(8|16|32|64) \(/);
    expect(probes(await list(parseListPattern(`u:${libstdcxx}:th*`), fixtureHost()))).toEqual([`usdt:${libstdcxx}:libstdcxx:throw`]);
  });
});

describe('a listing that matched nothing: what was looked for, where, the nearest names', () => {
  const node = process.execPath;
  const libstdcxx = '/usr/lib/x86_64-linux-gnu/libstdc++.so.6';
  const miss = (pattern: string, host: ProbeHost = fixtureHost()) => listMiss(parseListPattern(pattern)[0]!, host);

  it('each kind names its word and its source', () => {
    expect(miss('t:sched:sched_swich')).toEqual({
      what: 'tracepoint',
      where: `${FIXTURE_TRACEFS}/events`,
      near: ['sched:sched_switch'],
      list: 't:sched:*',
    });
    expect(miss('kprobe:vfs_wirte', fixtureHost({ mechanism: 'kprobe' }))).toMatchObject({ what: 'kernel function', near: ['vfs_write'] });
    expect(miss('rt:irq_handler_entr', fixtureHost({ rawTracepoints: true }))).toMatchObject({
      what: 'raw tracepoint',
      where: 'kernel BTF',
      near: ['irq_handler_entry'],
    });
    expect(miss(`uprobe:${node}:napi_create_int3`)).toMatchObject({ what: 'function', where: node });
    expect(miss(`usdt:${libstdcxx}:thorw`)).toMatchObject({ what: 'USDT probe', where: libstdcxx, near: ['throw'] });
    expect(miss(`usdt:${libstdcxx}:libstdcxx:thorw`)).toMatchObject({ near: ['libstdcxx:throw', 'libstdcxx:rethrow'] });
  });

  it('undefined where the source cannot be read', () => {
    expect(miss('uprobe:/no/such/file:f')).toBeUndefined();
  });
});
