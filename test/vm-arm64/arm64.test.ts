/**
 * The tools on arm64 (issue 19), inside the emulated arm64 VM (`POLYTRACE_VM_KERNELS=arm64 npm
 * run test:vm`: Debian's arm64 stock kernel under qemu-system-aarch64, Node 24 for arm64). One
 * deterministic workload (workloads/arm64.c, cross-compiled on the host into test/.build/arm64)
 * and each probe kind and tool once, with exact counts and values: tracepoints (raw, through
 * the arm64 syscall table), kprobes and fentry on the `__arm64_sys_` wrappers and on
 * do_sys_openat2, uprobes with AAPCS64 arguments (x0–x7, the ninth on the stack) and return
 * values, USDT operands as gcc writes them on arm64 (`-4@x19`, `-4@42`, `-4@[sp, 124]`) and a
 * semaphore, kernel and user stacks.
 */
import { afterAll, describe, expect, it } from 'vitest';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { freqTotals, lastTable, programsLeft, requireKernel, root, runTool, start, type Running } from '../helpers/kernel.js';
import { startGoWorkload, type GoWorkload } from '../helpers/workloads.js';

const exe = join(root, 'test', '.build', 'arm64', 'arm64');
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

interface Result {
  code: number | string;
  stdout: string;
  stderr: string;
  pid: number;
  workload: string;
}

/** What the tools printed, shown when a test fails (a VM run is slow to repeat). */
const transcript: string[] = [];

/**
 * Start the workload with `ops`, then `tool` (args may name the workload's pid), wait for
 * `ready` on the tool's stdout, run the ops, give the events `settleMs` to arrive, SIGINT.
 */
async function run(tool: string, args: (pid: number) => string[], ops: string[], ready: RegExp, env?: NodeJS.ProcessEnv, settleMs = 1500): Promise<Result> {
  const w: GoWorkload = await startGoWorkload(exe, ops);
  const t: Running = start(tool, args(w.pid), { env });
  try {
    await t.waitFor(ready, 240_000);
    await w.go();
    await sleep(settleMs);
    t.child.kill('SIGINT');
    const code = await t.exited;
    return { code, stdout: t.stdout, stderr: t.stderr, pid: w.pid, workload: w.out() };
  } finally {
    if (t.child.exitCode === null && t.child.signalCode === null) {
      t.child.kill('SIGINT');
      await Promise.race([t.exited, sleep(10_000)]);
      t.child.kill('SIGKILL');
    }
    transcript.push(`$ ${tool} ${t.child.spawnargs.slice(2).join(' ')} (workload ${w.pid}: ${ops.join(' ')})\n${t.stdout}${t.stderr}`);
    await w.end();
  }
}

/** trace's event lines for `func`: the text after the FUNC column. */
function traced(stdout: string, func: string): string[] {
  return stdout
    .split('\n')
    .map((l) => /^\d+\s+\d+\s+\S+\s+(\S+)\s+(.*)$/.exec(l))
    .filter((m): m is RegExpExecArray => m !== null && m[1] === func)
    .map((m) => m[2]!.trim());
}

/** stackcount's stacks: frames (trimmed, without offsets) and count. */
function stacks(stdout: string): Array<{ frames: string[]; count: number }> {
  const out: Array<{ frames: string[]; count: number }> = [];
  for (const block of stdout.split(/\n\n+/)) {
    const lines = block.split('\n').filter((l) => l.length > 0);
    const last = lines[lines.length - 1];
    if (!last || !/^ {4}\d+$/.test(last)) continue;
    out.push({ frames: lines.slice(0, -1).map((l) => l.trim().replace(/\+0x[0-9a-f]+.*$/, '')), count: Number(last) });
  }
  return out;
}

describe('arm64', () => {
  afterAll(() => {
    if (process.exitCode || transcript.length) process.stderr.write(`--- tool output ---\n${transcript.join('\n')}\n`);
  });

  it('runs on arm64 with the workload built', () => {
    requireKernel();
    expect(process.arch).toBe('arm64');
    expect(existsSync(exe), `${exe} (built by scripts/test-vm.mjs)`).toBe(true);
  });

  it('polytrace features: kprobes, fentry, uprobes, raw tracepoints', async () => {
    const r = await runTool('polytrace', ['features']);
    expect(r.code, r.stderr).toBe(0);
    for (const f of ['bpf', 'kprobe_pmu', 'uprobe_pmu', 'raw_tracepoint', 'fentry', 'attach_cookie']) {
      expect(r.stdout, f).toMatch(new RegExp(`^${f}\\s+yes`, 'm'));
    }
  });

  it('funccount counts a syscall tracepoint exactly (raw sys_enter, arm64 syscall numbers)', async () => {
    const r = await run('funccount', (pid) => ['-p', String(pid), 't:syscalls:sys_enter_getppid'], ['getppid:37'], /Tracing/);
    expect(r.code, r.stderr).toBe(0);
    expect(lastTable(r.stdout).get('syscalls:sys_enter_getppid')).toBe(37);
  });

  it('funccount counts the __arm64_sys_ wrapper exactly (a kernel function)', async () => {
    const r = await run('funccount', (pid) => ['-p', String(pid), '__arm64_sys_getppid'], ['getppid:23'], /Tracing/);
    expect(r.code, r.stderr).toBe(0);
    expect(lastTable(r.stdout).get('__arm64_sys_getppid')).toBe(23);
  });

  it('funccount counts a libc function found through the arm64 ld.so.cache (uprobe)', async () => {
    const r = await run('funccount', (pid) => ['-p', String(pid), 'c:getppid'], ['getppid:11'], /Tracing/);
    expect(r.code, r.stderr).toBe(0);
    expect(lastTable(r.stdout).get('getppid')).toBe(11);
  });

  it('trace reads kernel arguments and return values through arm64 pt_regs (kprobe, kretprobe)', async () => {
    const path = '/etc/passwd';
    const r = await run(
      'trace',
      (pid) => ['-p', String(pid), `p::do_sys_openat2 "%d %s", arg1, arg2`, `r::do_sys_openat2 "%d", retval`],
      [`open:${path}`],
      /PID\s+TID/,
    );
    expect(r.code, r.stderr).toBe(0);
    expect(traced(r.stdout, 'do_sys_openat2')).toEqual(['-100 /etc/passwd', expect.stringMatching(/^[3-9]$/)]);
  });

  it('trace reads AAPCS64 arguments of a uprobe (x0-x7, the ninth from the stack) and its return value', async () => {
    const r = await run(
      'trace',
      (pid) => ['-p', String(pid), `p:${exe}:work "%d %ld %ld %ld", arg1, arg2, arg8, arg9`, `r:${exe}:work "%ld", retval`],
      ['work:4'],
      /PID\s+TID/,
    );
    expect(r.code, r.stderr).toBe(0);
    const lines = traced(r.stdout, 'work');
    expect(lines).toEqual(['0 1000 7000 9000', '0', '1 1001 7001 9001', '2', '2 1002 7002 9002', '4', '3 1003 7003 9003', '6']);
  });

  it('trace reads USDT operands as gcc writes them on arm64 (register, constant, [sp, N]) and arms a semaphore', async () => {
    const r = await run(
      'trace',
      (pid) => ['-p', String(pid), `u:${exe}:demo:tick "%d %d %d", arg1, arg2, arg3`, `u:${exe}:demo:guarded "%d", arg1`],
      ['work:3'],
      /PID\s+TID/,
    );
    expect(r.code, r.stderr).toBe(0);
    expect(traced(r.stdout, 'demo:tick')).toEqual(['0 42 0', '1 42 -1', '2 42 -2']);
    expect(traced(r.stdout, 'demo:guarded')).toEqual(['0', '1', '2']);
    expect(r.workload).toContain('done guarded=3');
  });

  it('stackcount -U walks the user stack of an arm64 binary (frame pointers)', async () => {
    const r = await run('stackcount', (pid) => ['-p', String(pid), '-U', `${exe}:work`], ['work:5'], /Tracing/);
    expect(r.code, r.stderr).toBe(0);
    const s = stacks(r.stdout);
    expect(s.map((x) => x.count).reduce((a, b) => a + b, 0)).toBe(5);
    // At a function's entry its caller is only in lr (no frame record yet), so the kernel's
    // frame-pointer walk skips it (6.1 arm64): only the probed function is asserted here.
    for (const x of s) expect(x.frames[0]).toBe('work');
  });

  it('stackcount -K walks the kernel stack from a syscall wrapper to el0_svc', async () => {
    const r = await run('stackcount', (pid) => ['-p', String(pid), '-K', '__arm64_sys_getppid'], ['getppid:9'], /Tracing/);
    expect(r.code, r.stderr).toBe(0);
    const s = stacks(r.stdout);
    expect(s.map((x) => x.count).reduce((a, b) => a + b, 0)).toBe(9);
    for (const x of s) {
      expect(x.frames[0]).toBe('__arm64_sys_getppid');
      expect(x.frames).toContain('el0_svc');
    }
  });

  it('argdist counts a uprobe argument; funclatency times a user function', async () => {
    // argdist prints an interval a second: attached once the first is out, stopped two later.
    const spec = `p:${exe}:work(int a):int:a`;
    const a = await run('argdist', (pid) => ['-p', String(pid), '-C', spec], ['work:4'], /^\[\d\d:\d\d:\d\d\]$/m, undefined, 2500);
    expect(a.code, a.stderr).toBe(0);
    expect(Object.fromEntries(freqTotals(a.stdout, spec))).toEqual({ 'a = 0': 1, 'a = 1': 1, 'a = 2': 1, 'a = 3': 1 });
    const l = await run('funclatency', (pid) => ['-p', String(pid), `${exe}:work`], ['work:7'], /Tracing/);
    expect(l.code, l.stderr).toBe(0);
    const total = [...l.stdout.matchAll(/^\s*\d+ -> \d+\s+: (\d+)\s+\|/gm)].reduce((n, m) => n + Number(m[1]), 0);
    expect(total).toBe(7);
  });

  it('leaves no programs loaded', async () => {
    expect(await programsLeft(/^(funccount|funclat|stackcount|trace|argdist)/)).toEqual([]);
  });
});
