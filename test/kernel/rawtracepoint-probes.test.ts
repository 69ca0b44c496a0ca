/**
 * Raw tracepoints asked for by name (issue 15: `rawtracepoint:NAME`, `rt:NAME`, argdist's
 * `rawtracepoint::NAME()`) against the real kernel, with the deterministic syscall workload
 * (test/kernel/workloads/syscalls.c: N getpid, 2N getppid, 3N dup, 4N close, N openat of
 * /dev/null, N uname, K forks each waited for): funccount counts a glob of raw tracepoints
 * exactly; trace prints the typed fields of sched_process_fork's task_structs (read through
 * BTF-typed pointers) and sys_enter's saved registers; argdist counts sys_enter by the
 * syscall number it types from BTF; `polytrace list -v` prints the BTF prototype; a
 * misspelled name and a kernel without raw tracepoints each get one line; `polytrace
 * features` reports raw tracepoints and tp_btf; nothing is left loaded.
 */
import { describe, it, expect, beforeAll } from 'vitest';
import { skipKernel, requireKernel, start, runTool, programsLeft, type Running } from '../helpers/kernel.js';
import { startSyscalls, syscallsWorkload, type GoWorkload } from '../helpers/workloads.js';
import { syscallNumbers } from '../../src/symbols/syscalls.js';

const N = 300;
const K = 4;

/** Runs `tool ARGS` (given the pid of a fresh syscalls workload) around one round of its work. */
async function whileWorking(
  tool: string,
  args: (pid: number) => string[],
  ready: RegExp,
  o: { settleMs?: number; after?: (t: Running) => Promise<void> } = {},
) {
  const w: GoWorkload = await startSyscalls(N, K);
  const t = start(tool, args(w.pid));
  try {
    await t.waitFor(ready);
    await w.go();
    if (o.settleMs) await new Promise((r) => setTimeout(r, o.settleMs));
    await o.after?.(t);
    t.child.kill('SIGINT');
    const code = await t.exited;
    return { code, stdout: t.stdout, stderr: t.stderr, pid: w.pid };
  } finally {
    if (t.child.exitCode === null && t.child.signalCode === null) t.child.kill('SIGKILL');
    await w.end();
  }
}

/** Event lines (after the header) of trace's text output. */
function traceLines(stdout: string): string[] {
  return stdout
    .split('\n')
    .slice(1)
    .filter((l) => l.length > 0);
}

/**
 * Programs of the names these tests' tools load, still loaded (trace_0_0, funccount_0, argdist0_0,
 * stackcount_0: one raw tracepoint program per target, its slot baked in). Exact names, so that
 * other tools running on the machine (a perf-event funccount_tp, say) are not counted.
 */
const ours = (): Promise<string[]> => programsLeft(/^(trace_\d+_\d+|funccount_\d+|argdist\d+_\d+|stackcount_\d+)$/);

describe.skipIf(skipKernel)('raw tracepoints by name (kernel)', () => {
  beforeAll(() => {
    requireKernel();
    syscallsWorkload();
  });

  it('funccount: a glob over raw tracepoint names counts exactly, with -p', async () => {
    // sched_process_fork and sched_process_wait (not _free, which runs from RCU callbacks).
    const r = await whileWorking('funccount', (pid) => ['-p', String(pid), 'rawtracepoint:sched_process_[fw][oa]*'], /Hit Ctrl-C to end\.\n/);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/^Tracing 2 functions for "rawtracepoint:sched_process_\[fw\]\[oa\]\*"\.\.\. Hit Ctrl-C to end\.\n/);
    const rows = Object.fromEntries([...r.stdout.matchAll(/^(\S+)\s+(\d+)$/gm)].map((m) => [m[1]!, Number(m[2])]));
    expect(rows).toEqual({ sched_process_fork: K, sched_process_wait: K });
    expect(await ours()).toEqual([]);
  });

  it("trace: sched_process_fork's task_structs, typed from BTF and followed through kernel pointers", async () => {
    const r = await whileWorking(
      'trace',
      (pid) => [
        '-p',
        String(pid),
        'rt:sched_process_fork "%d %d %s %d %llx", args->parent->tgid, args->child->pid, args->child->comm, args->child->tgid == args->child->pid, arg2',
      ],
      /FUNC {13}.*\n/,
      { settleMs: 300 },
    );
    expect(r.code, r.stderr).toBe(0);
    const lines = traceLines(r.stdout);
    expect(lines, r.stdout).toHaveLength(K);
    const children = new Set<number>();
    for (const l of lines) {
      const m = /^(\d+)\s+(\d+)\s+(\S+)\s+sched_process_fork\s+(\d+) (\d+) (\S+) (\d) ([0-9a-f]+)$/.exec(l);
      expect(m, l).not.toBeNull();
      const [, pid, , parentComm, parent, child, comm, leader, ptr] = m!;
      expect(Number(pid)).toBe(r.pid);
      expect(Number(parent)).toBe(r.pid);
      expect(Number(child)).not.toBe(r.pid);
      children.add(Number(child));
      // The child is a copy of the workload: its name (the build's, syscalls-HASH), and it leads its own thread group.
      expect(comm).toMatch(/^syscalls/);
      expect(comm).toBe(parentComm);
      expect(leader).toBe('1');
      // arg2 is the raw u64: the child's task_struct, a kernel address.
      expect(BigInt(`0x${ptr}`) >= 0xffff800000000000n).toBe(true);
    }
    expect(children.size).toBe(K);
    expect(await ours()).toEqual([]);
  });

  it.skipIf(process.arch !== 'x64')("trace: sys_enter's saved registers, a user string through a cast", async () => {
    const openat = syscallNumbers().get('openat')!;
    const r = await whileWorking(
      'trace',
      (pid) => ['-p', String(pid), `rawtracepoint:sys_enter (args->id == ${openat}) "%s %d", (char *)args->regs->si, arg2`],
      /FUNC {13}.*\n/,
      { settleMs: 300 },
    );
    expect(r.code, r.stderr).toBe(0);
    const lines = traceLines(r.stdout);
    expect(lines).toHaveLength(N);
    for (const l of lines) expect(l).toMatch(new RegExp(`^${r.pid}\\s+${r.pid}\\s+syscalls\\S*\\s+sys_enter\\s+/dev/null ${openat}$`));
    expect(await ours()).toEqual([]);
  });

  it('argdist: sys_enter counted by the syscall number BTF types (args->id), exactly', async () => {
    const spec = 'rawtracepoint::sys_enter():long:args->id';
    // Stopped two intervals after the work is done, so that every count has been printed.
    const TS = /^\[\d\d:\d\d:\d\d\]$/gm;
    const after = (t: Running) => {
      const n = (t.stdout.match(TS) ?? []).length + 2;
      return t.waitFor(new RegExp(`(?:^\\[\\d\\d:\\d\\d:\\d\\d\\]$[\\s\\S]*){${n}}`, 'm'));
    };
    const r = await whileWorking('argdist', (pid) => ['-p', String(pid), '-i', '1', '-C', spec], /^\[\d\d:\d\d:\d\d\]$/m, { after });
    expect(r.code, r.stderr).toBe(0);
    // Totals over every interval of each args->id row.
    const totals = new Map<number, number>();
    const lines = r.stdout.split('\n');
    for (let i = 0; i < lines.length; i++) {
      if (lines[i] !== spec) continue;
      for (let k = i + 2; k < lines.length && lines[k]!.startsWith('\t'); k++) {
        const m = /^\t(\d+)\s+args->id = (-?\d+)$/.exec(lines[k]!);
        if (m) totals.set(Number(m[2]), (totals.get(Number(m[2])) ?? 0) + Number(m[1]));
      }
    }
    const nr = (name: string) => syscallNumbers().get(name)!;
    expect(totals.get(nr('getpid'))).toBe(N);
    expect(totals.get(nr('getppid'))).toBe(2 * N);
    expect(totals.get(nr('dup'))).toBe(3 * N);
    expect(totals.get(nr('close'))).toBe(4 * N);
    expect(totals.get(nr('openat'))).toBe(N);
    expect(totals.get(nr('newuname'))).toBe(N);
    expect(totals.get(nr('wait4'))).toBe(K);
    expect(await ours()).toEqual([]);
  });

  it('stackcount: kernel stacks at a raw tracepoint, counted exactly', async () => {
    const r = await whileWorking('stackcount', (pid) => ['-p', String(pid), '-K', 'rt:sched_process_wait'], /Hit Ctrl-C to end\.\n/);
    expect(r.code, r.stderr).toBe(0);
    const counts = [...r.stdout.matchAll(/^\s+(\d+)\n\n/gm)].reduce((a, m) => a + Number(m[1]), 0);
    expect(counts).toBe(K);
    expect(r.stdout).toMatch(/do_wait|kernel_wait4/);
    expect(await ours()).toEqual([]);
  });

  it('polytrace list: names from BTF, -v the prototype named from the probe stub', async () => {
    const v = await runTool('polytrace', ['list', '-v', 'rawtracepoint:sched_switch']);
    expect(v.code).toBe(0);
    expect(v.stdout).toBe(
      'rawtracepoint:sched_switch\n    void sched_switch(bool preempt, struct task_struct *prev, struct task_struct *next, unsigned int prev_state)\n',
    );
    const all = await runTool('polytrace', ['list', 'rt:sched_process_*']);
    expect(all.stdout.split('\n').filter(Boolean)).toEqual(
      expect.arrayContaining(['rawtracepoint:sched_process_fork', 'rawtracepoint:sched_process_wait', 'rawtracepoint:sched_process_exec']),
    );
    // Tracepoints with no tracefs event are raw tracepoints too.
    expect((await runTool('polytrace', ['list', 'rawtracepoint:pelt_cfs_tp'])).stdout).toBe('rawtracepoint:pelt_cfs_tp\n');
  });

  it('polytrace features: raw tracepoints, and whether tp_btf programs load (reported, not used)', async () => {
    type Row = { name: string; available: boolean; reason: string; fallback: string };
    const rows = JSON.parse((await runTool('polytrace', ['features', '--json'])).stdout) as Row[];
    expect(rows.find((r) => r.name === 'raw_tracepoint')).toMatchObject({ available: true, reason: '' });
    const tp = rows.find((r) => r.name === 'tp_btf');
    expect(tp).toBeDefined();
    expect(tp!.available || tp!.reason !== '').toBe(true);
    const off = JSON.parse((await runTool('polytrace', ['features', '--json'], { POLYTRACE_DISABLE: 'tp_btf' })).stdout) as Row[];
    expect(off.find((r) => r.name === 'tp_btf')).toMatchObject({ available: false, reason: 'disabled by POLYTRACE_DISABLE' });
    expect(await programsLeft(/^polytrace_feat$/)).toEqual([]);
  });

  it('one line for a misspelled name, and for a kernel without raw tracepoints', async () => {
    const typo = await runTool('trace', ['rawtracepoint:sched_swich']);
    expect(typo.code).toBe(1);
    expect(typo.stderr).toBe(
      "trace: error in probe 'rawtracepoint:sched_swich': no raw tracepoint 'sched_swich' (kernel BTF has no btf_trace_sched_swich): " +
        "did you mean sched_switch? (list them with 'polytrace list rawtracepoint:*')\n",
    );
    const off = await runTool('funccount', ['rt:sched_*'], { POLYTRACE_DISABLE: 'raw_tracepoint' });
    expect(off.code).toBe(1);
    expect(off.stderr).toMatch(
      /^funccount: raw tracepoints are not available on this kernel \(disabled by POLYTRACE_DISABLE\): cannot attach rawtracepoint:sched_\*/,
    );
    expect(off.stderr.trim().split('\n')).toHaveLength(1);
    const lat = await runTool('funclatency', ['rt:sched_switch']);
    expect(lat.code).not.toBe(0);
    expect(lat.stderr).toMatch(/a raw tracepoint has no return/);
    expect(await ours()).toEqual([]);
  });
});
