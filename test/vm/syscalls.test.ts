/**
 * Issue 18, on the VM's kernels (6.1 stock: a kprobe per function; 6.12: kprobe_multi):
 * BCC's legacy syscall names (`sys_read`, `SyS_read`, `sys_setsockopt(int fd, int level, …)`)
 * in all five tools, resolved to this kernel's wrapper (`__x64_sys_read`) with one note on
 * stderr, their arguments read through the wrapper's pt_regs; the hint for a name that maps to
 * nothing; and the teardown of a 300+ function wildcard attached one kprobe each: the counts
 * first, then `Detaching N probes…` with progress, a Ctrl-C meanwhile answered. Values are
 * exact, from test/vm/workloads/legacy.c (fds 42 and 43 are fixed there).
 */
import { describe, it, expect, beforeAll, beforeEach } from 'vitest';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { requireKernel, start, programsLeft, root, runTool, lastTable, freqTotals, type Running } from '../helpers/kernel.js';
import { buildC } from '../helpers/cbuild.js';
import { startGoWorkload, type GoWorkload } from '../helpers/workloads.js';

let exe = '';
const W = '__x64_sys_';
const NOTE = (written: string, name: string) =>
  `${written} is ${W}${name} on this kernel (system calls are entered through arch wrappers since Linux 4.17); probing ${W}${name}\n`;
const BANNER = /Hit Ctrl-C to end\.\n/;
const TRACE_READY = /FUNC {13}.*\n/;
/** SOL_SOCKET and SO_PRIORITY (x86-64 and asm-generic). */
const SOL_SOCKET = 1;
const SO_PRIORITY = 12;

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function until(pred: () => boolean, ms: number): Promise<void> {
  for (const t0 = Date.now(); !pred() && Date.now() - t0 < ms; ) await sleep(50);
}

/** What the tools of the current test printed, shown when it fails (a VM run is slow to repeat). */
let transcript: string[] = [];

/** Start `tool` (with the workload's pid), wait for `ready`, run the workload, SIGINT. */
async function run(tool: string, args: (pid: number) => string[], ops: string[], ready: RegExp, settled?: (t: Running) => boolean) {
  const w: GoWorkload = await startGoWorkload(exe, ops);
  const t = start(tool, args(w.pid));
  try {
    await t.waitFor(ready, 180_000);
    await w.go();
    if (settled) await until(() => settled(t), 20_000);
    t.child.kill('SIGINT');
    const code = await t.exited;
    return { code, stdout: t.stdout, stderr: t.stderr, pid: w.pid };
  } finally {
    if (t.child.exitCode === null && t.child.signalCode === null) {
      t.child.kill('SIGINT');
      await Promise.race([t.exited, sleep(60_000)]);
      t.child.kill('SIGKILL');
    }
    transcript.push(`$ ${tool} ${t.child.spawnargs.slice(2).join(' ')} (workload ${w.pid}: ${ops.join(' ')})\n${t.stdout}${t.stderr}`);
    await w.end();
  }
}

/** trace's messages from process `pid` (the MSG column), for probe FUNC `func`. */
function messages(stdout: string, pid: number, func: string): string[] {
  const out: string[] = [];
  for (const line of stdout.split('\n').slice(1)) {
    const m = /^(\d+)\s+(\d+)\s+(\S+)\s+(\S+)\s+(.*)$/.exec(line);
    if (m && Number(m[1]) === pid && m[4] === func) out.push(m[5]!);
  }
  return out;
}

const ours = (): Promise<string[]> => programsLeft(/^(funccount|funclat|stackcount|trace_|argdist)/);

describe("BCC's legacy syscall names on a kernel with syscall wrappers (VM)", () => {
  beforeAll(() => {
    requireKernel();
    if (!existsSync('/sys/bus/event_source/devices/kprobe')) {
      throw new Error('test/vm needs a kernel with kprobes: run it with npm run test:vm (inside scripts/vm/run.mjs)');
    }
    if (process.arch !== 'x64') throw new Error('the VM tests run on x86-64 kernels');
    exe = buildC('legacy', readFileSync(join(root, 'test', 'vm', 'workloads', 'legacy.c'), 'utf8'), ['-O1']);
  });

  beforeEach(({ onTestFailed }) => {
    transcript = [];
    onTestFailed(() => console.log(transcript.join('\n')));
  });

  it("trace 'sys_read(int fd, char *buf, size_t count) (fd == 42) …': the declared arguments through __x64_sys_read's regs, one note", async () => {
    const N = 4;
    const r = await run(
      'trace',
      (pid) => ['-p', String(pid), 'sys_read(int fd, char *buf, size_t count) (fd == 42) "%d %d", fd, count'],
      [`read:${N}:100`],
      TRACE_READY,
    );
    expect(r.code).toBe(0);
    expect(r.stderr).toBe(NOTE('sys_read', 'read'));
    expect(messages(r.stdout, r.pid, 'sys_read')).toEqual(Array(N).fill('42 100'));
    expect(await ours()).toEqual([]);
  });

  it("trace 'SyS_read (arg1 == 42) …': argN through the wrapper", async () => {
    const N = 3;
    const r = await run('trace', (pid) => ['-p', String(pid), 'SyS_read (arg1 == 42) "%d %d", arg1, arg3'], [`read:${N}:77`], TRACE_READY);
    expect(r.code).toBe(0);
    expect(r.stderr).toBe(NOTE('SyS_read', 'read'));
    expect(messages(r.stdout, r.pid, 'SyS_read')).toEqual(Array(N).fill('42 77'));
  });

  it("trace 'sys_setsockopt(int fd, int level, int optname)': fd, level and optname", async () => {
    const N = 5;
    const probe = 'sys_setsockopt(int fd, int level, int optname) (fd == 43) "%d %d %d", fd, level, optname';
    const r = await run('trace', (pid) => ['-p', String(pid), probe], [`sockopt:${N}`], TRACE_READY);
    expect(r.code).toBe(0);
    expect(r.stderr).toBe(NOTE('sys_setsockopt', 'setsockopt'));
    expect(messages(r.stdout, r.pid, 'sys_setsockopt')).toEqual(Array(N).fill(`43 ${SOL_SOCKET} ${SO_PRIORITY}`));
  });

  it("argdist -C 'p::sys_setsockopt(int fd, int level, int optname):int:optname'", async () => {
    const N = 7;
    const spec = 'p::sys_setsockopt(int fd, int level, int optname):int:optname';
    let seen = -1;
    const intervals = (s: string) => (s.match(/^\[\d\d:\d\d:\d\d\]$/gm) ?? []).length;
    const r = await run(
      'argdist',
      (pid) => ['-p', String(pid), '-C', spec],
      [`sockopt:${N}`],
      /^\[\d\d:\d\d:\d\d\]$/m,
      (t) => {
        if (seen < 0) seen = intervals(t.stdout);
        return intervals(t.stdout) >= seen + 2;
      },
    );
    expect(r.code).toBe(0);
    expect(r.stderr).toBe(NOTE('sys_setsockopt', 'setsockopt'));
    expect(Object.fromEntries(freqTotals(r.stdout, spec))).toEqual({ [`optname = ${SO_PRIORITY}`]: N });
  });

  it('funccount --dump=resolved sys_setsockopt: the wrapper counted exactly, the mapping in the dump', async () => {
    const N = 9;
    const r = await run('funccount', (pid) => ['--dump=resolved', '-p', String(pid), 'sys_setsockopt'], [`sockopt:${N}`], BANNER);
    expect(r.code).toBe(0);
    expect(r.stderr).toBe(NOTE('sys_setsockopt', 'setsockopt'));
    const dump = JSON.parse(r.stdout.slice(0, r.stdout.indexOf('Tracing ')));
    expect(dump[0].probe).toBe('sys_setsockopt');
    expect(dump[0].resolved[0].target).toMatchObject({ kind: 'kfunc', symbol: `${W}setsockopt`, name: `${W}setsockopt`, legacyName: 'sys_setsockopt' });
    expect(r.stdout).toContain(`Tracing 1 functions for "sys_setsockopt"`);
    expect(Object.fromEntries(lastTable(r.stdout))).toEqual({ [`${W}setsockopt`]: N });
  });

  it("funccount 'sys_setsock*': a sys_ wildcard also matches the wrappers, and says so", async () => {
    const N = 6;
    const r = await run('funccount', (pid) => ['-p', String(pid), 'sys_setsock*'], [`sockopt:${N}`], BANNER);
    expect(r.code).toBe(0);
    expect(r.stderr).toBe(
      `sys_setsock* also matches ${W}setsock* on this kernel (system calls are entered through arch wrappers since Linux 4.17): 1 wrapper\n`,
    );
    expect(Object.fromEntries(lastTable(r.stdout))).toEqual({ [`${W}setsockopt`]: N });
  });

  it('funclatency SyS_setsockopt and stackcount sys_setsockopt: N calls, the stack from the wrapper', async () => {
    const N = 8;
    const lat = await run('funclatency', (pid) => ['-p', String(pid), '-u', 'SyS_setsockopt'], [`sockopt:${N}`], BANNER);
    expect(lat.code).toBe(0);
    expect(lat.stderr).toBe(NOTE('SyS_setsockopt', 'setsockopt'));
    expect(lat.stdout).toMatch(new RegExp(`\\navg = \\d+ usecs, total: \\d+ usecs, count: ${N}\\n`));
    const st = await run('stackcount', (pid) => ['-p', String(pid), 'sys_setsockopt'], [`sockopt:${N}`], BANNER);
    expect(st.code).toBe(0);
    expect(st.stderr).toBe(NOTE('sys_setsockopt', 'setsockopt'));
    const blocks = st.stdout.split(/\n\n+/).filter((b) => /\n {4}\d+$/.test(b.trimEnd()) || /^ {4}\d+$/m.test(b));
    const total = blocks.reduce((a, b) => a + Number(/ {4}(\d+)\s*$/.exec(b)![1]), 0);
    expect(total).toBe(N);
    for (const b of blocks) expect(b.trim().split('\n')[0]!.trim()).toBe(`${W}setsockopt`);
    expect(await ours()).toEqual([]);
  });

  it('a legacy name that maps to nothing: the wrapper it looked for, and the syscall tracepoints', async () => {
    const r = await runTool('trace', ['sys_nosuchcall "%d", arg1']);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('cannot attach to kernel function sys_nosuchcall: it is not traceable');
    expect(r.stderr).toContain(`system calls are probed as ${W}NAME on kernels since 4.17, and this kernel has no ${W}nosuchcall`);
    expect(r.stderr).toContain("a system call's entry is also the tracepoint t:syscalls:sys_enter_NAME ('polytrace list t:syscalls:sys_enter_*' lists them)");
    const f = await runTool('funccount', ['-d', '1', 'SyS_nosuch*']);
    expect(f.code).toBe(1);
    expect(f.stderr).toContain(`No kernel functions matched by pattern SyS_nosuch*`);
    expect(f.stderr).toContain(`this kernel has no ${W}nosuch*`);
  });
});

describe('a wildcard over 300+ kernel functions: counts first, then the teardown said (VM)', () => {
  beforeEach(({ onTestFailed }) => {
    transcript = [];
    onTestFailed(() => console.log(transcript.join('\n')));
  });

  /**
   * funccount -p PID 'tcp_*' around N sends over loopback TCP: the counts, `Detaching...`,
   * then on stderr `Detaching M probes…`, progress lines, a second Ctrl-C answered, the end.
   * With `env`, the mechanism is forced (POLYTRACE_DISABLE=kprobe_multi: a kprobe each).
   */
  async function tcpWildcard(env: NodeJS.ProcessEnv) {
    const N = 20;
    const w = await startGoWorkload(exe, [`tcp:${N}:100`]);
    const t = start('funccount', ['--dump=resolved', '-p', String(w.pid), 'tcp_*'], { env });
    try {
      await t.waitFor(BANNER, 180_000);
      await w.go();
      t.child.kill('SIGINT');
      await t.waitFor(/^Detaching\.\.\.\n/m, 120_000);
      // The counts are out while the kernel is still releasing the probes (on the kprobe path).
      const stderrAtCounts = t.stderr;
      await until(() => /^detached \d+ of \d+ probes \(/m.test(t.stderr) || t.child.exitCode !== null, 120_000);
      const progressed = /^detached \d+ of \d+ probes \(/m.test(t.stderr);
      if (progressed) t.child.kill('SIGINT');
      const code = await t.exited;
      const dump = JSON.parse(t.stdout.slice(0, t.stdout.indexOf('Tracing ')));
      const mechanism: string = dump[0].resolved[0].target.mechanism;
      const n = Number(/Tracing (\d+) functions for "tcp_\*"/.exec(t.stdout)![1]);
      return { N, code, stdout: t.stdout, stderr: t.stderr, stderrAtCounts, progressed, mechanism, n };
    } finally {
      if (t.child.exitCode === null && t.child.signalCode === null) {
        t.child.kill('SIGINT');
        await Promise.race([t.exited, sleep(120_000)]);
        t.child.kill('SIGKILL');
      }
      transcript.push(`$ funccount tcp_* (${JSON.stringify(env)})\n${t.stdout}${t.stderr}`);
      await w.end();
    }
  }

  it("funccount 'tcp_*' one kprobe each (6.1's path; forced on 6.12): counts, Detaching M probes…, progress, a Ctrl-C answered", async () => {
    const r = await tcpWildcard({ POLYTRACE_DISABLE: 'kprobe_multi' });
    expect(r.code).toBe(0);
    expect(r.mechanism).toBe('kprobe');
    expect(r.n).toBeGreaterThan(300);
    expect(lastTable(r.stdout).get('tcp_sendmsg')).toBe(r.N);
    expect(r.stdout.endsWith('\nDetaching...\n')).toBe(true);
    // When the counts were out, the probes were still being released.
    expect(r.stderrAtCounts).not.toMatch(/^detached \d+ of \d+ probes in/m);
    // A function the kernel will not probe is skipped with a warning before: M links of n.
    const lines = r.stderr.split('\n').filter(Boolean);
    const at = lines.findIndex((l) => /^Detaching \d+ probes…$/.test(l));
    const m = Number(/^Detaching (\d+) probes…$/.exec(lines[at] ?? '')?.[1]);
    expect(m).toBeGreaterThan(300);
    expect(m).toBeLessThanOrEqual(r.n);
    expect(lines.slice(0, at).every((l) => !/etach/.test(l))).toBe(true);
    expect(r.progressed).toBe(true);
    expect(r.stderr).toMatch(/^still detaching: the kernel is releasing \d+ more probes, one RCU grace period each; this ends by itself$/m);
    expect(lines.at(-1)).toMatch(new RegExp(`^detached ${m} of ${m} probes in \\d+(\\.\\d)? s$`));
    for (const l of lines.slice(at + 1, -1)) expect(l).toMatch(new RegExp(`^(detached \\d+ of ${m} probes \\(\\d+(\\.\\d)? s\\)|still detaching: .*)$`));
    expect(await ours()).toEqual([]);
  }, 600_000);

  it("funccount 'tcp_*' as the kernel chooses: one kprobe_multi link detaches at once and says nothing; kprobes say so", async () => {
    const r = await tcpWildcard({});
    expect(r.code).toBe(0);
    expect(lastTable(r.stdout).get('tcp_sendmsg')).toBe(r.N);
    if (r.mechanism === 'kprobe_multi') expect(r.stderr).toBe('');
    else expect(r.stderr).toMatch(/^Detaching \d{3} probes…$/m);
    expect(await ours()).toEqual([]);
  }, 600_000);
});
