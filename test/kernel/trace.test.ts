/**
 * trace end to end against the real kernel: a workload (tracee.c) emits N events with known
 * arguments at a tracepoint and a uprobe; trace prints exactly N lines with the right values,
 * strings and return values; -M, -p, -L, --uid, -f, -n, -S filter exactly; openat file names;
 * USDT probes of python3.11 with and without -p (semaphore through the uprobe ref counter);
 * --json; stacks; and under overload, printed + reported lost = produced, with a clean SIGINT.
 */
import { describe, it, expect, beforeAll } from 'vitest';
import { spawn } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { skipKernel, requireKernel, start, runTool, programsLeft, root, inCI } from '../helpers/kernel.js';
import { traceeWorkload as tracee, startTracee } from '../helpers/workloads.js';

const HEADER = 'PID     TID     COMM            FUNC             -\n';
const PYTHON = '/usr/bin/python3.11';

/** Event lines (after the header) of trace's text output. */
function lines(stdout: string): string[] {
  const i = stdout.indexOf('\n');
  return stdout
    .slice(i + 1)
    .split('\n')
    .filter((l) => l.length > 0);
}

/** Start trace, wait for its header, run `work`, then stop it with SIGINT (unless -M ends it). */
async function traceWhile(args: string[], work: () => Promise<void>, o: { header?: string | RegExp; stop?: boolean; env?: NodeJS.ProcessEnv } = {}) {
  const tool = start('trace', args, { env: o.env });
  await tool.waitFor(o.header ?? /FUNC {13}.*\n/);
  await work();
  if (o.stop !== false) {
    await new Promise((r) => setTimeout(r, 300));
    tool.child.kill('SIGINT');
  }
  const code = await tool.exited;
  return { code, stdout: tool.stdout, stderr: tool.stderr, pid: tool.child.pid! };
}

const ours = (): Promise<string[]> => programsLeft(/^trace_/);

const N = 200;

describe.skipIf(skipKernel)('trace (kernel)', () => {
  beforeAll(() => {
    requireKernel();
    tracee();
  });

  it('prints exactly N lines with the right values at a uprobe, a uretprobe and a tracepoint', async () => {
    const w = await startTracee(N);
    const r = await traceWhile(
      [
        '-p',
        String(w.pid),
        `${tracee()}:tracee_fn "a=%d b=%ld s=%s", arg1, arg2, arg3`,
        `r:${tracee()}:tracee_fn "ret=%d", retval`,
        't:syscalls:sys_enter_lseek "off=%d fd=%d", args->offset, args->fd',
      ],
      () => w.cmd('go'),
    );
    await w.end();
    expect(r.code).toBe(0);
    expect(r.stdout.startsWith(HEADER)).toBe(true);
    const all = lines(r.stdout);
    const calls = all.filter((l) => / tracee_fn +a=/.test(l));
    const rets = all.filter((l) => / tracee_fn +ret=/.test(l));
    const seeks = all.filter((l) => / sys_enter_lseek +off=/.test(l));
    expect(calls.length).toBe(N);
    expect(rets.length).toBe(N);
    expect(seeks.length).toBe(N);
    expect(all.length).toBe(3 * N);
    const pre = `${String(w.pid).padEnd(7)} ${String(w.pid).padEnd(7)} ${'polytrace-trace'.padEnd(15)} `;
    for (let i = 0; i < N; i++) {
      expect(calls[i]).toBe(`${pre}${'tracee_fn'.padEnd(16)} a=${i} b=${i * 1000 - 7} s=name-${i}`);
      expect(rets[i]).toBe(`${pre}${'tracee_fn'.padEnd(16)} ret=${i * 3}`);
      expect(seeks[i]).toBe(`${pre}sys_enter_lseek  off=${i} fd=-1`);
    }
    expect(await ours()).toEqual([]);
  });

  it('the perf buffer fallback (POLYTRACE_DISABLE=ringbuf) prints the same lines', async () => {
    const w = await startTracee(N);
    const r = await traceWhile(
      ['-p', String(w.pid), `${tracee()}:tracee_fn "a=%d s=%s", arg1, arg3`, 't:syscalls:sys_enter_lseek "off=%d", args->offset'],
      () => w.cmd('go'),
      { env: { POLYTRACE_DISABLE: 'ringbuf' } },
    );
    await w.end();
    expect(r.code).toBe(0);
    const all = lines(r.stdout);
    expect(all.filter((l) => / tracee_fn +a=/.test(l)).map((l) => l.replace(/^.* a=/, 'a='))).toEqual(
      Array.from({ length: N }, (_, i) => `a=${i} s=name-${i}`),
    );
    expect(all.filter((l) => / sys_enter_lseek +off=/.test(l)).length).toBe(N);
  });

  it('-M N prints exactly N events and exits 0', async () => {
    const w = await startTracee(N);
    const r = await traceWhile(['-M', '17', '-p', String(w.pid), 't:syscalls:sys_enter_lseek "%d", args->offset'], () => w.cmd('go'), { stop: false });
    await w.end();
    expect(r.code).toBe(0);
    expect(lines(r.stdout).map((l) => l.split(/\s+/).pop())).toEqual(Array.from({ length: 17 }, (_, i) => String(i)));
  });

  it('-p traces only that process; -n only matching names', async () => {
    const a = await startTracee(N);
    const b = await startTracee(N);
    const r = await traceWhile(['-p', String(a.pid), `${tracee()}:tracee_fn "%d", arg1`], async () => {
      await b.cmd('go');
      await a.cmd('go');
    });
    const n = await traceWhile(['-n', 'nomatch', `${tracee()}:tracee_fn "%d", arg1`], () => b.cmd('go'));
    await Promise.all([a.end(), b.end()]);
    const ls = lines(r.stdout);
    expect(ls.length).toBe(N);
    expect(ls.every((l) => l.startsWith(`${String(a.pid).padEnd(7)} `))).toBe(true);
    expect(lines(n.stdout)).toEqual([]);
  });

  it('-L traces only that thread', async () => {
    const w = await startTracee(N);
    // The same N calls from a second thread and from the main thread (tid = pid).
    const r = await traceWhile(['-L', String(w.pid), `${tracee()}:tracee_fn "%d", arg1`], async () => {
      await w.cmd('thread');
      await w.cmd('go');
    });
    await w.end();
    const other = Number(/tid (\d+)/.exec(w.out())![1]);
    const ls = lines(r.stdout);
    expect(other).not.toBe(w.pid);
    expect(ls.length).toBe(N);
    expect(ls.every((l) => l.split(/\s+/)[1] === String(w.pid))).toBe(true);
  });

  it('--uid traces only that user', async () => {
    const mine = await startTracee(N);
    const nobody = await startTracee(N, { uid: 65534 });
    const r = await traceWhile(['--uid', '65534', `${tracee()}:tracee_fn "%d", arg1`], async () => {
      await mine.cmd('go');
      await nobody.cmd('go');
    });
    await Promise.all([mine.end(), nobody.end()]);
    const ls = lines(r.stdout);
    expect(ls.length).toBe(N);
    expect(ls.every((l) => l.startsWith(`${String(nobody.pid).padEnd(7)} `))).toBe(true);
  });

  it('-f prints only messages containing the text', async () => {
    const w = await startTracee(20);
    const r = await traceWhile(['-p', String(w.pid), '-f', 'name-1', `${tracee()}:tracee_fn "%s", arg3`], () => w.cmd('go'));
    await w.end();
    expect(lines(r.stdout).map((l) => l.split(/\s+/).pop())).toEqual(['name-1', ...Array.from({ length: 10 }, (_, i) => `name-1${i}`)]);
  });

  it('leaves its own events out unless -S', async () => {
    // trace's own worker thread calls epoll_wait while it waits for events.
    const spec = 't:syscalls:sys_enter_epoll_wait "%d", args->maxevents';
    const without = await traceWhile([spec], () => new Promise((r) => setTimeout(r, 800)));
    const withSelf = await traceWhile(['-S', spec], () => new Promise((r) => setTimeout(r, 800)));
    const pids = (s: string) => new Set(lines(s).map((l) => Number(l.split(/\s+/)[0])));
    expect(pids(without.stdout).has(without.pid)).toBe(false);
    expect(pids(withSelf.stdout).has(withSelf.pid)).toBe(true);
  });

  it('t:syscalls:sys_enter_openat "%s", args->filename prints the file names', async () => {
    const w = await startTracee(50);
    const r = await traceWhile(['-p', String(w.pid), 't:syscalls:sys_enter_openat "%s", args->filename'], () => w.cmd('go'));
    await w.end();
    expect(lines(r.stdout).map((l) => l.split(/\s+/).pop())).toEqual(Array.from({ length: 50 }, (_, i) => `/tmp/tracee-${w.pid}-${i}`));
  });

  it('--json prints one object per event with the raw values', async () => {
    const w = await startTracee(5);
    // --json prints no header: give trace time to attach before the workload runs.
    const r = await traceWhile(
      ['--json', '-M', '5', '-p', String(w.pid), `${tracee()}:tracee_fn "%d %s", arg2, arg3`],
      async () => {
        await new Promise((res) => setTimeout(res, 3000));
        await w.cmd('go');
      },
      { header: /^/, stop: false },
    );
    await w.end();
    expect(r.code).toBe(0);
    const objs = r.stdout
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as Record<string, unknown>);
    expect(objs.length).toBe(5);
    objs.forEach((o, i) => {
      expect(o).toMatchObject({ pid: w.pid, tid: w.pid, func: 'tracee_fn', message: `${i * 1000 - 7} name-${i}`, args: [i * 1000 - 7, `name-${i}`] });
      expect(typeof o.cpu).toBe('number');
      expect(typeof o.timestamp).toBe('number');
    });
  });

  it('%c prints characters; -U prints the user stack', async () => {
    const w = await startTracee(3);
    const r = await traceWhile(['-p', String(w.pid), '-U', `${tracee()}:tracee_chars "%c", arg1`, `${tracee()}:tracee_leaf "leaf %d", arg1`], () =>
      w.cmd('char'),
    );
    await w.end();
    const text = r.stdout;
    expect(
      lines(text)
        .filter((l) => / tracee_chars +[A-C]$/.test(l))
        .map((l) => l.slice(-1)),
    ).toEqual(['A', 'B', 'C']);
    const leaf = text.slice(text.indexOf('leaf 1'));
    // At a function's first instruction the frame-pointer walk goes from the leaf to its
    // caller's caller (the caller has not been skipped by BCC either).
    expect(leaf).toMatch(/^leaf 1\n {8}tracee_leaf\+0x0 \[polytrace-tracee[^\]]*\]\n {8}main\+0x[0-9a-f]+ \[polytrace-tracee[^\]]*\]\n/);
  });

  it('kernel functions fail with a clear message where the kernel cannot probe them', async () => {
    const r = await runTool('trace', ['do_sys_open "%s", arg2']);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/cannot probe kernel function 'do_sys_open'.*sys_enter_open/);
  });

  describe.skipIf(!existsSync(PYTHON) && !inCI)('USDT (python3.11)', () => {
    // python3.11 fires function__entry only while a profile/trace function is set.
    const script = `import sys, time
time.sleep(float(sys.argv[1]))
sys.setprofile(lambda *a: None)
def polytrace_alpha(x): return x + 1
def polytrace_beta(x): return polytrace_alpha(x) + 1
for i in range(3): polytrace_beta(i)
sys.setprofile(None)
`;
    const file = '/tmp/polytrace-usdt-test.py';
    const expected = Array.from({ length: 3 }, () => [`${file} polytrace_beta`, `${file} polytrace_alpha`]).flat();
    const pick = (stdout: string) =>
      lines(stdout)
        .map((l) => l.replace(/^.*function__entry +/, ''))
        .filter((m) => m.includes('polytrace_'));

    it('with -p PID', async () => {
      writeFileSync(file, script);
      const py = spawn(PYTHON, [file, '3']);
      const r = await traceWhile(
        ['-p', String(py.pid), `u:${PYTHON}:function__entry "%s %s", arg1, arg2`],
        () => new Promise((res) => py.on('exit', () => res())),
      );
      expect(pick(r.stdout)).toEqual(expected);
    });

    it('without -p: the semaphore is enabled through the uprobe reference counter', async () => {
      writeFileSync(file, script);
      let py: ReturnType<typeof spawn> | undefined;
      const r = await traceWhile(
        [`u:${PYTHON}:python:function__entry "%s %s", arg1, arg2`],
        async () => {
          py = spawn(PYTHON, [file, '0.2']);
          await new Promise((res) => py!.on('exit', () => res(undefined)));
        },
        { header: /FUNC {13}.*\n/ },
      );
      expect(pick(r.stdout)).toEqual(expected);
    });
  });

  it('overload: printed + reported lost = produced, and SIGINT exits cleanly', async () => {
    const w = await startTracee(1);
    const M = 300000;
    // A small ring (-b 1: one page per CPU) and a reader that is slower than the producer.
    const tool = spawn('sh', [
      '-c',
      `"${process.execPath}" "${join(root, 'bin', 'trace.js')}" -b 1 -p ${w.pid} 't:syscalls:sys_enter_lseek "%d", args->offset' | (sleep 1; cat)`,
    ]);
    let stdout = '';
    let stderr = '';
    tool.stdout.setEncoding('utf8').on('data', (d: string) => (stdout += d));
    tool.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
    await new Promise((r) => setTimeout(r, 2500));
    await w.cmd(`tpflood ${M}`);
    await new Promise((r) => setTimeout(r, 2000));
    // SIGINT trace itself (the shell's child).
    const pids = readFileSync(`/proc/${tool.pid}/task/${tool.pid}/children`, 'utf8').trim().split(/\s+/).map(Number);
    for (const p of pids) {
      const cmdline = readFileSync(`/proc/${p}/cmdline`, 'utf8');
      if (cmdline.includes('trace.js')) process.kill(p, 'SIGINT');
    }
    const code = await new Promise<number | null>((r) => tool.on('exit', (c) => r(c)));
    await w.end();
    expect(code).toBe(0);
    const printed = lines(stdout).length;
    const lost = [...stderr.matchAll(/^(\d+) events lost$/gm)].reduce((s, m) => s + Number(m[1]), 0);
    expect(lost).toBeGreaterThan(0);
    expect(printed + lost).toBe(M);
    expect(stderr.replace(/^\d+ events lost\n/gm, '')).toBe('');
  });
});
