/** `polytrace list` patterns (bpftrace's and BCC's spellings) and the -v line formats. */
import { describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { DEFAULT_QUERIES, listProbes, parseListPattern } from '../../../src/probes/list.js';
import { tracepointFieldDecl, usdtArgLines, type ListSources } from '../../../src/probes/listing.js';
import { BtfSpec } from '../../../src/btf/index.js';
import { FIXTURE_TRACEFS } from '../../helpers/probe-host.js';
import { parseTracepointFormat } from '../../../src/symbols/tracefs.js';
import { UsageError } from '../../../src/errors.js';

const FIXTURES = join(fileURLToPath(new URL('.', import.meta.url)), '..', '..', '..', 'fixtures');

describe('parseListPattern', () => {
  const cases: Array<[string | undefined, unknown[]]> = [
    [undefined, [...DEFAULT_QUERIES]],
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
    const btf = BtfSpec.parse(new Uint8Array(readFileSync(join(FIXTURES, 'btf', 'kinds.btf'))));
    const src: ListSources = { tracefs: async () => FIXTURE_TRACEFS, btf: async () => btf };
    const got: Array<[string, string[]]> = [];
    for await (const e of listProbes({ kind: 'rawtracepoint', pattern: '*' }, src, true)) got.push([e.probe, e.details()]);
    expect(got).toEqual([
      ['rawtracepoint:irq_handler_entry', ['void irq_handler_entry(int irq, struct irqaction *action)']],
      ['rawtracepoint:sched_kthread_stop_ret', ['void sched_kthread_stop_ret(int)']],
      ['rawtracepoint:sched_wake_idle_without_ipi', ['void sched_wake_idle_without_ipi(int cpu)']],
    ]);
    const quiet: string[][] = [];
    for await (const e of listProbes({ kind: 'rawtracepoint', pattern: 'sched_*' }, src, false)) quiet.push(e.details());
    expect(quiet).toEqual([[], []]);
  });

  it('raw tracepoints without BTF: the tracefs events that are tracepoints of their own name', async () => {
    const src: ListSources = {
      tracefs: async () => FIXTURE_TRACEFS,
      btf: async () => {
        throw new Error('no BTF');
      },
    };
    const names: string[] = [];
    for await (const e of listProbes({ kind: 'rawtracepoint', pattern: '*' }, src, true)) {
      names.push(e.probe);
      expect(e.details()).toEqual([]);
    }
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
