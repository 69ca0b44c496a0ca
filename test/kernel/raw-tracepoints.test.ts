/**
 * Tracepoints counted at raw tracepoints (issue 15) against the real kernel: funccount and
 * stackcount through raw tracepoints (syscalls:* through one program at raw sys_enter or
 * sys_exit) count exactly what they count through perf events (POLYTRACE_DISABLE=
 * raw_tracepoint), under the same names; compat (ia32) syscalls are left out as the kernel's
 * syscalls:* events leave them out; every syscalls:* event of this kernel has a number;
 * --dump=resolved shows the mechanism; a raw tracepoint the kernel lacks falls back to a perf
 * event in the same slot; a slow perf-event teardown says so; nothing is left loaded. trace and
 * argdist probes that read no argument (`$COMM`, constants, stacks) load at raw tracepoints too
 * and print the same; their syscalls:* events and probes that read `args->` keep perf events.
 */
import { describe, it, expect, beforeAll } from 'vitest';
import { readdirSync, readFileSync } from 'node:fs';
import { basename } from 'node:path';
import { skipKernel, requireKernel, start, runTool, programsLeft, freqTotals, lastTable } from '../helpers/kernel.js';
import { startSyscalls, syscallsWorkload, type GoWorkload } from '../helpers/workloads.js';
import { findTracefs } from '../../src/symbols/tracefs.js';
import { syscallEvent, syscallNumbers } from '../../src/symbols/syscalls.js';
import { TraceSession } from '../../src/session.js';
import { attachTargets } from '../../src/attach/targets.js';
import { countProgram, countsMapSpec, decodeCounts } from '../../src/compile/tools/count.js';
import type { ProbeTarget } from '../../src/probes/targets.js';

const N = 500;
const K = 3;
const PERF = { POLYTRACE_DISABLE: 'raw_tracepoint' };

/** ia32 syscalls through int $0x80 need IA32 emulation (x86-64 only). */
function haveInt80(): boolean {
  if (process.arch !== 'x64') return false;
  try {
    return /\sia32_sys_call$/m.test(readFileSync('/proc/kallsyms', 'utf8'));
  } catch {
    return false;
  }
}

/**
 * Events of this kernel's syscalls category without a number in the generated table, and why.
 * Empty: the table (Linux 7.2 headers) covers every syscall of the kernels tested here.
 */
const WITHOUT_NUMBER: Readonly<Record<string, string>> = {};

/** Runs `tool ARGS` (with -p of a fresh syscalls workload) around one round of its work. */
async function whileWorking(tool: 'funccount' | 'stackcount', args: (pid: number) => string[], env: NodeJS.ProcessEnv, int80 = false) {
  const w: GoWorkload = await startSyscalls(N, K, int80);
  const t = start(tool, args(w.pid), { env });
  try {
    await t.waitFor(/Hit Ctrl-C to end\.\n/);
    await w.go();
    t.child.kill('SIGINT');
    const code = await t.exited;
    return { code, stdout: t.stdout, stderr: t.stderr };
  } finally {
    if (t.child.exitCode === null && t.child.signalCode === null) t.child.kill('SIGKILL');
    await w.end();
  }
}

const ours = (): Promise<string[]> => programsLeft(/^(funccount|stackcount|rawtp_test|trace_|argdist)/);

const INTERVAL = /^\[\d\d:\d\d:\d\d\]$/gm;
const intervals = (stdout: string): number => (stdout.match(INTERVAL) ?? []).length;

/**
 * Runs trace or argdist (with -p of a fresh syscalls workload) around one round of its work:
 * trace until its header, argdist until its first interval, then (argdist) two more intervals.
 */
async function toolWhileWorking(tool: 'trace' | 'argdist', args: (pid: number) => string[], env: NodeJS.ProcessEnv) {
  const w: GoWorkload = await startSyscalls(N, K);
  const t = start(tool, args(w.pid), { env });
  try {
    if (tool === 'trace') {
      // --json prints no header: give trace time to attach before the workload runs.
      if (args(w.pid).includes('--json')) await new Promise((r) => setTimeout(r, 3000));
      else await t.waitFor(/FUNC {13}.*\n/);
      await w.go();
      await new Promise((r) => setTimeout(r, 300));
    } else {
      await t.waitFor(INTERVAL);
      await w.go();
      const seen = intervals(t.stdout);
      await t.waitFor(new RegExp(`(?:^\\[\\d\\d:\\d\\d:\\d\\d\\]$[\\s\\S]*){${seen + 2}}`, 'm'));
    }
    t.child.kill('SIGINT');
    const code = await t.exited;
    return { code, stdout: t.stdout, stderr: t.stderr, comm: basename(syscallsWorkload()).slice(0, 15) };
  } finally {
    if (t.child.exitCode === null && t.child.signalCode === null) t.child.kill('SIGKILL');
    await w.end();
  }
}

/** trace's lines after the header, from the COMM column on (the PIDs and TIDs differ per run). */
const fromComm = (stdout: string): string[] =>
  stdout
    .split('\n')
    .slice(1)
    .filter((l) => l !== '')
    .map((l) => l.replace(/^\d+\s+\d+\s+/, ''));

/** The resolved target of the first probe in --dump=resolved's JSON (printed before attaching). */
async function dumpedTarget(tool: 'trace' | 'argdist', args: string[]): Promise<Record<string, unknown>> {
  const t = start(tool, ['--dump=resolved', ...args]);
  try {
    await t.waitFor(/^\]$/m);
    const json = t.stdout.slice(0, t.stdout.search(/^\]$/m) + 1);
    return (JSON.parse(json) as Array<{ resolved: Array<{ target: Record<string, unknown>; site: Record<string, unknown> }> }>)[0]!.resolved[0]!.target;
  } finally {
    t.child.kill('SIGINT');
    await t.exited;
  }
}

describe.skipIf(skipKernel)('raw tracepoints (kernel)', () => {
  const int80 = haveInt80();
  beforeAll(() => {
    requireKernel();
    syscallsWorkload();
  });

  it('every syscalls:sys_enter_NAME / sys_exit_NAME event of this kernel has a number in the generated table', () => {
    const root = findTracefs();
    expect(root, 'tracefs').toBeDefined();
    const missing: string[] = [];
    let seen = 0;
    for (const e of readdirSync(`${root}/events/syscalls`)) {
      const s = syscallEvent('syscalls', e);
      if (!s) continue;
      seen++;
      if (!syscallNumbers().has(s.name) && !(s.name in WITHOUT_NUMBER)) missing.push(e);
    }
    expect(seen).toBeGreaterThan(300);
    expect(missing).toEqual([]);
  });

  for (const family of ['sys_enter', 'sys_exit'] as const) {
    it(`funccount -p 't:syscalls:${family}_*': one program at raw ${family} counts what a perf event per syscall counts, exactly`, async () => {
      const args = (pid: number) => ['-p', String(pid), `t:syscalls:${family}_*`];
      const raw = await whileWorking('funccount', args, {}, int80);
      expect(await ours()).toEqual([]);
      const perf = await whileWorking('funccount', args, PERF, int80);
      expect(await ours()).toEqual([]);
      expect([raw.code, perf.code]).toEqual([0, 0]);
      const rows = lastTable(raw.stdout);
      const expected: Record<string, number> = { getpid: N, getppid: 2 * N, dup: 3 * N, close: 4 * N, openat: N, newuname: N, wait4: K };
      for (const [name, count] of Object.entries(expected)) expect(rows.get(`syscalls:${family}_${name}`), name).toBe(count);
      // The ia32 getpids (number 20: writev in the 64-bit table) are compat syscalls: no event.
      expect(rows.has(`syscalls:${family}_writev`)).toBe(false);
      // Every row, name and count, the same both ways.
      expect([...rows].sort()).toEqual([...lastTable(perf.stdout)].sort());
      if (family === 'sys_enter') {
        // The compat flag read with bpf_probe_read_kernel, where bpf_get_current_task_btf is missing.
        const probeRead = await whileWorking('funccount', args, { POLYTRACE_DISABLE: 'current_task_btf' }, int80);
        expect([...lastTable(probeRead.stdout)].sort()).toEqual([...rows].sort());
      }
      // Hundreds of perf events take tens of seconds to close: the perf path says so.
      expect(perf.stderr).toMatch(/^Detaching \d{3} probes…$/m);
      expect(raw.stderr).toBe('');
    }, 180_000);
  }

  it('stackcount -U on syscall tracepoints: the same user stacks and counts through raw sys_enter as through perf events', async () => {
    const args = (pid: number) => ['-U', '-p', String(pid), 't:syscalls:sys_enter_getp*'];
    const raw = await whileWorking('stackcount', args, {});
    const perf = await whileWorking('stackcount', args, PERF);
    expect([raw.code, perf.code]).toEqual([0, 0]);
    // getpid's N and getppid's 2N, each on its own call site in main.
    const counts = (out: string) => [...out.matchAll(/^ {4}(\d+)$/gm)].map((m) => Number(m[1])).sort((a, b) => a - b);
    expect(counts(raw.stdout)).toEqual([N, 2 * N]);
    expect(raw.stdout).toBe(perf.stdout);
    expect(await ours()).toEqual([]);
  }, 120_000);

  it("t:sched:* through raw tracepoints: the workload's forks and waits exactly, as through perf events", async () => {
    const args = (pid: number) => ['-p', String(pid), 't:sched:*'];
    const raw = await whileWorking('funccount', args, {});
    const perf = await whileWorking('funccount', args, PERF);
    for (const r of [raw, perf]) {
      expect(r.code).toBe(0);
      const rows = lastTable(r.stdout);
      expect(rows.get('sched:sched_process_fork')).toBe(K);
      expect(rows.get('sched:sched_process_wait')).toBe(K);
    }
    expect(raw.stdout.split('\n')[0]).toBe(perf.stdout.split('\n')[0]);
    expect(await ours()).toEqual([]);
  }, 120_000);

  it('--dump=resolved shows the mechanism each event got', async () => {
    const getpid = syscallNumbers().get('getpid')!;
    const raw = await runTool('funccount', ['--dump=resolved', '-d', '1', 't:syscalls:sys_enter_getpid']);
    expect(raw.code).toBe(0);
    expect(raw.stdout).toContain('"mechanism": "raw",\n          "tracepoint": "sys_enter",\n          "syscall": ' + getpid);
    expect(raw.stdout).toContain('"kind": "raw_tracepoint",\n          "name": "sys_enter"');
    const sched = await runTool('funccount', ['--dump=resolved', '-d', '1', 't:sched:sched_switch']);
    expect(sched.stdout).toContain('"mechanism": "raw",\n          "tracepoint": "sched_switch"');
    const perf = await runTool('funccount', ['--dump=resolved', '-d', '1', 't:syscalls:sys_enter_getpid'], PERF);
    expect(perf.stdout).toContain('"mechanism": "perf"');
    expect(perf.stdout).not.toContain('"mechanism": "raw"');
  }, 60_000);

  it('a slow perf-event teardown says so, and a Ctrl-C during it is answered, not ignored', async () => {
    const t = start('funccount', ['t:sched:*'], { env: PERF });
    await t.waitFor(/Hit Ctrl-C to end\.\n/);
    t.child.kill('SIGINT');
    for (let i = 0; i < 100 && !/Detaching \d+ probes…/.test(t.stderr); i++) await new Promise((r) => setTimeout(r, 20));
    expect(t.stderr).toMatch(/^Detaching \d+ probes…\n/);
    t.child.kill('SIGINT');
    expect(await t.exited).toBe(0);
    expect(t.stderr).toMatch(/still detaching: the kernel is releasing \d+ more probes/);
    expect(t.stdout.endsWith('Detaching...\n')).toBe(true);
    expect(await ours()).toEqual([]);
  }, 60_000);

  it('a raw tracepoint the kernel does not have falls back to a perf event in the same slot', async () => {
    const targets: ProbeTarget[] = [
      { kind: 'tracepoint', category: 'sched', event: 'sched_switch', name: 'sched:sched_switch', mechanism: 'raw', tracepoint: 'sched_switch' },
      {
        kind: 'tracepoint',
        category: 'sched',
        event: 'sched_switch',
        name: 'sched:sched_switch (fallback)',
        mechanism: 'raw',
        tracepoint: 'polytrace_no_such_tracepoint',
      },
    ];
    const counts = countsMapSpec(targets.length);
    const s = new TraceSession();
    try {
      attachTargets(s, targets, {
        prefix: 'rawtp_test',
        build: (shape) => countProgram({ name: shape.name, progType: shape.progType, counts, slot: shape.slot, filter: {} }),
      });
      expect(s.links.map((l) => l.description.replace(/ \(.*\)$/, ''))).toEqual(['raw_tracepoint:sched_switch', 'tracepoint:sched:sched_switch']);
      await new Promise((r) => setTimeout(r, 200));
      const [a, b] = decodeCounts(s.maps.get('counts')!.lookup(new Uint8Array(4))!);
      expect(a).toBeGreaterThan(0n);
      expect(b).toBeGreaterThan(0n);
    } finally {
      await s.release();
    }
    expect(await ours()).toEqual([]);
  });
  it('trace -p \'t:sched:sched_process_fork "%d", 1\': K lines through a raw tracepoint, the same as through perf events', async () => {
    const args = (pid: number) => ['-p', String(pid), 't:sched:sched_process_fork "%d", 1'];
    const raw = await toolWhileWorking('trace', args, {});
    expect(await ours()).toEqual([]);
    const perf = await toolWhileWorking('trace', args, PERF);
    expect(await ours()).toEqual([]);
    expect([raw.code, perf.code]).toEqual([0, 0]);
    expect(raw.stdout.split('\n')[0]).toBe(perf.stdout.split('\n')[0]);
    expect(fromComm(raw.stdout)).toEqual(Array.from({ length: K }, () => `${raw.comm.padEnd(15)} sched_process_fork 1`));
    expect(fromComm(raw.stdout)).toEqual(fromComm(perf.stdout));
    expect(raw.stderr).toBe('');
  }, 120_000);

  it('trace -K -U, $COMM and --json at a raw tracepoint: the same stacks and probe text as through perf events', async () => {
    const args = (pid: number) => ['-K', '-U', '-p', String(pid), 't:sched:sched_process_fork "%s %d", $COMM, 7'];
    const raw = await toolWhileWorking('trace', args, {});
    const perf = await toolWhileWorking('trace', args, PERF);
    expect([raw.code, perf.code]).toEqual([0, 0]);
    expect(fromComm(raw.stdout).filter((l) => l.startsWith(raw.comm))).toHaveLength(K);
    expect(fromComm(raw.stdout)).toEqual(fromComm(perf.stdout));
    const json = (pid: number) => ['--json', '-p', String(pid), 't:sched:sched_process_fork "%d", 1'];
    const rawJson = await toolWhileWorking('trace', json, {});
    const perfJson = await toolWhileWorking('trace', json, PERF);
    const probes = (out: string) =>
      out
        .split('\n')
        .filter((l) => l.startsWith('{'))
        .map((l) => {
          const { probe, func, message, args, comm } = JSON.parse(l) as Record<string, unknown>;
          return { probe, func, message, args, comm };
        });
    expect(probes(rawJson.stdout)).toHaveLength(K);
    expect(probes(rawJson.stdout)).toEqual(probes(perfJson.stdout));
    expect(await ours()).toEqual([]);
  }, 120_000);

  it('argdist -C with $COMM on t:sched:sched_process_fork counts K through a raw tracepoint and through perf events', async () => {
    const c = 't:sched:sched_process_fork():char*:$COMM';
    const args = (pid: number) => ['-p', String(pid), '-C', c];
    const raw = await toolWhileWorking('argdist', args, {});
    const perf = await toolWhileWorking('argdist', args, PERF);
    expect([raw.code, perf.code]).toEqual([0, 0]);
    expect(Object.fromEntries(freqTotals(raw.stdout, c))).toEqual({ [`$COMM = ${raw.comm}`]: K });
    expect(Object.fromEntries(freqTotals(perf.stdout, c))).toEqual({ [`$COMM = ${perf.comm}`]: K });
    expect(await ours()).toEqual([]);
  }, 120_000);

  it('--dump=resolved: trace and argdist probes that read no argument take raw tracepoints; args-> and syscalls:* keep perf events', async () => {
    expect(await dumpedTarget('trace', ['t:sched:sched_process_fork "%d", 1'])).toMatchObject({ mechanism: 'raw', tracepoint: 'sched_process_fork' });
    expect(await dumpedTarget('trace', ['t:syscalls:sys_enter_getpid'])).toMatchObject({ mechanism: 'perf' });
    expect(await dumpedTarget('trace', ['t:sched:sched_process_fork "%d", 1'])).not.toHaveProperty('syscall');
    expect(await dumpedTarget('argdist', ['-C', 't:sched:sched_process_fork():char*:$COMM'])).toMatchObject({ mechanism: 'raw' });
    expect(await dumpedTarget('argdist', ['-C', 't:sched:sched_process_fork():int:args->child_pid'])).toMatchObject({ mechanism: 'perf' });
    expect(await dumpedTarget('argdist', ['-C', 't:syscalls:sys_enter_getpid()'])).toMatchObject({ mechanism: 'perf' });
    expect(await ours()).toEqual([]);
  }, 60_000);
});
