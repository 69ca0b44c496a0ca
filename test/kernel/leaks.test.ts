/**
 * No leaked kernel state: every tool, on every probe kind it takes here (tracepoint, uprobe,
 * USDT; kernel functions run in the VM), ended every way a tool can end — SIGINT, SIGTERM,
 * SIGHUP, SIGKILL, its stdout pipe closed after the first line (`| head -1`), the traced
 * process exiting (`-p`), and an exception thrown inside output code — leaves no BPF program,
 * no link and no polytrace tracefs entry behind, and exits the way the ending calls for.
 *
 * The five tools run concurrently; each case is watched by a Sampler that reads the tool's own
 * fds, so the check after exit asks about exactly the programs, links and maps it held.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { spawn, type ChildProcess } from 'node:child_process';
import { beforeAll, describe, expect, it } from 'vitest';
import { requireKernel, skipKernel, start, root } from '../helpers/kernel.js';
import { counterWorkload } from '../helpers/workloads.js';
import { Sampler, tracefsEntries } from '../soak/kernel-state.js';

const PYTHON = '/usr/bin/python3.11';
type Kind = 'tracepoint' | 'uprobe' | 'usdt';
type Ending = 'SIGINT' | 'SIGTERM' | 'SIGHUP' | 'SIGKILL' | 'stdout-closed' | 'pid-exit' | 'throw-in-output';
const ENDINGS: readonly Ending[] = ['SIGINT', 'SIGTERM', 'SIGHUP', 'SIGKILL', 'stdout-closed', 'pid-exit', 'throw-in-output'];

interface ToolCase {
  readonly kinds: Partial<Record<Kind, (lib: string) => string[]>>;
  /** Options so the tool prints soon after attaching. */
  readonly periodic: readonly string[];
  /** Which out() call throws: one that comes after attaching. */
  readonly throwAt: number;
}

const TOOLS: Record<string, ToolCase> = {
  funccount: {
    periodic: ['-i', '1'], throwAt: 3,
    kinds: { tracepoint: () => ['t:syscalls:sys_enter_getpid'], uprobe: (lib) => [`${lib}:pt_f*`], usdt: () => [`u:${PYTHON}:function__entry`] },
  },
  funclatency: {
    periodic: ['-i', '1'], throwAt: 3,
    kinds: { uprobe: (lib) => [`${lib}:pt_f0`] },
  },
  stackcount: {
    periodic: ['-i', '1'], throwAt: 3,
    // -K: user stacks of every process on this busy tracepoint take many seconds to symbolise.
    kinds: { tracepoint: () => ['-K', 't:syscalls:sys_enter_getpid'], uprobe: (lib) => [`${lib}:pt_f0`], usdt: () => [`u:${PYTHON}:function__entry`] },
  },
  trace: {
    periodic: [], throwAt: 1,
    kinds: { tracepoint: () => ['t:syscalls:sys_enter_getpid'], uprobe: (lib) => [`p:${lib}:pt_f0`], usdt: () => [`u:${PYTHON}:function__entry`] },
  },
  argdist: {
    periodic: [], throwAt: 1,
    kinds: { tracepoint: () => ['-C', 't:syscalls:sys_enter_getpid()'], uprobe: (lib) => ['-C', `p:${lib}:pt_f0()`], usdt: () => ['-C', `u:${PYTHON}:function__entry()`] },
  },
};

/** Tools whose source ends the trace when the -p process exits (the rest get SIGINT after). */
function watchesPid(tool: string): boolean {
  return readFileSync(join(root, 'src', 'multitools', `${tool}.ts`), 'utf8').includes('watchProcess(');
}

/** A process to trace with -p: the counter workload, or python for USDT. Exits on stdin EOF. */
async function target(kind: Kind): Promise<{ pid: number; child: ChildProcess }> {
  const child = kind === 'usdt'
    ? spawn(PYTHON, ['-c', 'import sys\nprint("ready", flush=True)\nsys.stdin.read()'])
    : spawn(counterWorkload().exe, ['0']);
  await new Promise<void>((resolve, reject) => {
    let out = '';
    child.stdout!.setEncoding('utf8').on('data', (d: string) => {
      out += d;
      if (out.includes('ready')) resolve();
    });
    child.on('exit', (c) => reject(new Error(`target exited ${c}`)));
  });
  return { pid: child.pid!, child };
}

const exitOf = (c: ChildProcess) => new Promise<void>((r) => (c.exitCode !== null || c.signalCode !== null ? r() : c.on('exit', () => r())));
const withTimeout = <T>(p: Promise<T>, ms: number, fallback: T) => Promise.race([p, new Promise<T>((r) => setTimeout(() => r(fallback), ms))]);

/** Runs one case; returns what went wrong ('' when nothing). */
async function runCase(tool: string, kind: Kind, ending: Ending, lib: string): Promise<string> {
  const tc = TOOLS[tool]!;
  const label = `${tool} ${kind} ${ending}`;
  const probe = tc.kinds[kind]!(lib);
  const tgt = ending === 'pid-exit' ? await target(kind) : undefined;
  const args = [...(tgt ? ['-p', String(tgt.pid)] : []), ...tc.periodic, ...probe];
  const env = ending === 'throw-in-output' ? { POLYTRACE_TEST_THROW_IN_OUTPUT: String(tc.throwAt) } : undefined;
  const t = start(tool, args, { env });
  // 'exit' may come before the last of stderr is read: the checks wait for 'close'.
  const closed = new Promise<void>((r) => t.child.on('close', () => r()));
  const sampler = new Sampler(t.child.pid!);
  const problems: string[] = [];
  try {
    const attached = await Promise.race([sampler.attached(), t.exited.then(() => false)]);
    // An exception in output may come right after attaching: too quick to sample, sometimes.
    if (!attached && !(ending === 'throw-in-output' && tc.throwAt === 1)) {
      problems.push(`never attached (exit ${await withTimeout(t.exited, 1, 'running')}; stderr: ${t.stderr.trim()})`);
    }
    let expectCode: number | string = 0;
    switch (ending) {
      case 'SIGINT':
      case 'SIGTERM':
      case 'SIGHUP':
      case 'SIGKILL':
        await t.waitFor(/\n/, 15_000).catch(() => undefined);
        t.child.kill(ending);
        expectCode = ending === 'SIGKILL' ? 'SIGKILL' : 0;
        break;
      case 'stdout-closed':
        await t.waitFor(/\n/, 15_000).catch(() => undefined);
        t.child.stdout.destroy();
        break;
      case 'pid-exit': {
        await t.waitFor(/\n/, 15_000).catch(() => undefined);
        tgt!.child.stdin!.end();
        await exitOf(tgt!.child);
        if (!watchesPid(tool)) {
          // Not wired in this tool yet: end it by hand and only check for leaks.
          const code = await withTimeout(t.exited, 3000, 'running');
          if (code === 'running') t.child.kill('SIGINT');
          expectCode = code === 'running' ? 0 : code;
        }
        break;
      }
      case 'throw-in-output':
        expectCode = 1;
        break;
    }
    const code = await withTimeout(t.exited, 15_000, 'hung');
    if (code === 'hung') {
      t.child.kill('SIGKILL');
      problems.push('did not exit within 15 s');
    } else {
      await withTimeout(closed, 2000, undefined);
    }
    if (code !== 'hung' && code !== expectCode) {
      problems.push(`exit ${code}, expected ${expectCode}; stderr: ${t.stderr.trim()}`);
    }
    if (ending === 'pid-exit' && watchesPid(tool) && !t.stderr.includes(`process ${tgt!.pid} exited`)) {
      problems.push(`no "process ${tgt!.pid} exited" on stderr: ${t.stderr.trim()}`);
    }
    if (ending === 'throw-in-output' && !/thrown in output/.test(t.stderr)) problems.push(`no clear message: ${t.stderr.trim()}`);
    if (ending === 'stdout-closed' && /internal error|EPIPE/.test(t.stderr)) problems.push(`noisy on a closed stdout: ${t.stderr.trim()}`);
  } finally {
    if (t.child.exitCode === null && t.child.signalCode === null) t.child.kill('SIGKILL');
    await t.exited;
    const left = await sampler.leftovers();
    if (left.length) problems.push(`left behind: ${left.join(', ')}`);
    if (tgt && tgt.child.exitCode === null) tgt.child.kill('SIGKILL');
    if (t.child.exitCode === null && t.child.signalCode === null) t.child.kill('SIGKILL');
  }
  return problems.length ? `${label}: ${problems.join('; ')}` : '';
}

describe.skipIf(skipKernel)('no leaked kernel state (kernel)', () => {
  let lib = '';
  beforeAll(() => {
    requireKernel();
    lib = counterWorkload().lib;
    expect(tracefsEntries()).toEqual([]);
  });

  describe.concurrent('every tool, probe kind and ending', () => {
    // LEAKS_TOOLS=trace,argdist runs a subset (when working on one tool).
    const only = process.env['LEAKS_TOOLS']?.split(',');
    for (const tool of Object.keys(TOOLS).filter((t) => !only || only.includes(t))) {
      it(tool, async () => {
        const failures: string[] = [];
        let cases = 0;
        for (const kind of Object.keys(TOOLS[tool]!.kinds) as Kind[]) {
          for (const ending of ENDINGS) {
            cases++;
            const f = await runCase(tool, kind, ending, lib);
            if (f) failures.push(f);
          }
        }
        expect(cases).toBeGreaterThan(0);
        expect(failures.join('\n')).toBe('');
      }, 400_000);
    }
  });
});
