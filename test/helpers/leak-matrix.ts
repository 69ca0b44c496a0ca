/**
 * The leak matrix shared by test/kernel/leaks.test.ts (tracepoints, uprobes, USDT on the host)
 * and test/vm/leaks.test.ts (kernel functions in the stock-kernel VM): one tool, one probe
 * kind, ended one way — SIGINT, SIGTERM, SIGHUP, SIGKILL, its stdout closed after the first
 * line (`| head -1`), the traced process exiting (`-p`), or an exception thrown inside output
 * code. A Sampler reads the tool's own fds while it runs, so the check after exit asks about
 * exactly the programs, links and maps it held, even with other tools running at the same time.
 * The kernel log is read too (KernelLog): uprobes the kernel failed to remove are invisible
 * to bpftool and tracefs, and only its log says so.
 */
import { constants, openSync, readFileSync, readSync } from 'node:fs';
import { join } from 'node:path';
import { spawn, type ChildProcess } from 'node:child_process';
import { start, root } from './kernel.js';
import { counterWorkload } from './workloads.js';
import { Sampler } from '../soak/kernel-state.js';

export const PYTHON = '/usr/bin/python3.11';

export type Ending = 'SIGINT' | 'SIGTERM' | 'SIGHUP' | 'SIGKILL' | 'stdout-closed' | 'pid-exit' | 'throw-in-output';
export const ENDINGS: readonly Ending[] = ['SIGINT', 'SIGTERM', 'SIGHUP', 'SIGKILL', 'stdout-closed', 'pid-exit', 'throw-in-output'];

export type Tool = 'funccount' | 'funclatency' | 'stackcount' | 'trace' | 'argdist';

/** How each tool gets to print soon after attaching, and which out() call comes after attaching. */
export const TOOL_OUTPUT: Record<Tool, { readonly periodic: readonly string[]; readonly throwAt: number }> = {
  funccount: { periodic: ['-i', '1'], throwAt: 3 },
  funclatency: { periodic: ['-i', '1'], throwAt: 3 },
  stackcount: { periodic: ['-i', '1'], throwAt: 3 },
  trace: { periodic: [], throwAt: 1 },
  argdist: { periodic: [], throwAt: 1 },
};

export const TOOLS = Object.keys(TOOL_OUTPUT) as Tool[];

/** The tools to run: all, or those LEAKS_TOOLS=trace,argdist names (when working on one tool). */
export function selectedTools(): Tool[] {
  const only = process.env['LEAKS_TOOLS']?.split(',');
  return TOOLS.filter((t) => !only || only.includes(t));
}

export interface LeakCase {
  readonly tool: Tool;
  /** A name for the probe kind in failure messages ('uprobe', 'fentry', …). */
  readonly kind: string;
  /** The probe arguments (after -p and the periodic options). */
  readonly probe: readonly string[];
  /** What -p traces: the counter workload, or python for USDT. */
  readonly target: 'counter' | 'python';
  /** Extra environment (POLYTRACE_DISABLE=… to force an attach mechanism). */
  readonly env?: Readonly<Record<string, string>>;
}

/** Tools whose source ends the trace when the -p process exits (the rest get SIGINT after). */
function watchesPid(tool: Tool): boolean {
  return readFileSync(join(root, 'src', 'multitools', `${tool}.ts`), 'utf8').includes('watchProcess(');
}

/** A process to trace with -p. Exits on stdin EOF. */
async function startTarget(which: LeakCase['target']): Promise<ChildProcess> {
  const child = which === 'python' ? spawn(PYTHON, ['-c', 'import sys\nprint("ready", flush=True)\nsys.stdin.read()']) : spawn(counterWorkload().exe, ['0']);
  await new Promise<void>((resolve, reject) => {
    let out = '';
    child.stdout!.setEncoding('utf8').on('data', (d: string) => {
      out += d;
      if (out.includes('ready')) resolve();
    });
    child.on('exit', (c) => reject(new Error(`target exited ${c}`)));
  });
  return child;
}

const exitOf = (c: ChildProcess) => new Promise<void>((r) => (c.exitCode !== null || c.signalCode !== null ? r() : c.on('exit', () => r())));
const withTimeout = <T>(p: Promise<T>, ms: number, fallback: T) => Promise.race([p, new Promise<T>((r) => setTimeout(() => r(fallback), ms))]);

/**
 * Runs one case; returns what went wrong ('' when nothing). `slow` scales every wait (the VM
 * emulates its CPU: start-up and symbolisation take many times longer there).
 */
export async function runLeakCase(c: LeakCase, ending: Ending, slow = 1): Promise<string> {
  const out = TOOL_OUTPUT[c.tool];
  const label = `${c.tool} ${c.kind} ${ending}`;
  const tgt = ending === 'pid-exit' ? await startTarget(c.target) : undefined;
  const args = [...(tgt ? ['-p', String(tgt.pid)] : []), ...out.periodic, ...c.probe];
  const env = { ...c.env, ...(ending === 'throw-in-output' ? { POLYTRACE_TEST_THROW_IN_OUTPUT: String(out.throwAt) } : {}) };
  const t = start(c.tool, args, { env });
  // 'exit' may come before the last of stderr is read: the checks wait for 'close'.
  const closed = new Promise<void>((r) => t.child.on('close', () => r()));
  const sampler = new Sampler(t.child.pid!);
  const wait = 15_000 * slow;
  // The tool's first line, or its exit (a tool that failed to start prints only to stderr).
  const firstLine = () => Promise.race([t.waitFor(/\n/, wait).catch(() => undefined), t.exited]);
  const problems: string[] = [];
  try {
    const attached = await Promise.race([sampler.attached(wait), t.exited.then(() => false)]);
    // An exception in output may come right after attaching: too quick to sample, sometimes.
    if (!attached && !(ending === 'throw-in-output' && out.throwAt === 1)) {
      problems.push(`never attached (exit ${await withTimeout(t.exited, 1, 'running')}; stderr: ${t.stderr.trim()})`);
    }
    let expectCode: number | string = 0;
    switch (ending) {
      case 'SIGINT':
      case 'SIGTERM':
      case 'SIGHUP':
      case 'SIGKILL':
        await firstLine();
        t.child.kill(ending);
        expectCode = ending === 'SIGKILL' ? 'SIGKILL' : 0;
        break;
      case 'stdout-closed':
        await firstLine();
        t.child.stdout.destroy();
        break;
      case 'pid-exit': {
        await firstLine();
        tgt!.stdin!.end();
        await exitOf(tgt!);
        if (!watchesPid(c.tool)) {
          // Not wired in this tool: end it by hand and only check for leaks.
          const code = await withTimeout(t.exited, 3000 * slow, 'running');
          if (code === 'running') t.child.kill('SIGINT');
          expectCode = code === 'running' ? 0 : code;
        }
        break;
      }
      case 'throw-in-output':
        expectCode = 1;
        break;
    }
    const code = await withTimeout(t.exited, wait, 'hung');
    if (code === 'hung') {
      t.child.kill('SIGKILL');
      problems.push(`did not exit within ${wait / 1000} s`);
    } else {
      await withTimeout(closed, 2000 * slow, undefined);
    }
    if (code !== 'hung' && code !== expectCode) {
      problems.push(`exit ${code}, expected ${expectCode}; stderr: ${t.stderr.trim()}`);
    }
    if (ending === 'pid-exit' && watchesPid(c.tool) && !t.stderr.includes(`process ${tgt!.pid} exited`)) {
      problems.push(`no "process ${tgt!.pid} exited" on stderr: ${t.stderr.trim()}`);
    }
    if (ending === 'throw-in-output' && !/thrown in output/.test(t.stderr)) problems.push(`no clear message: ${t.stderr.trim()}`);
    if (ending === 'stdout-closed' && /internal error|EPIPE/.test(t.stderr)) problems.push(`noisy on a closed stdout: ${t.stderr.trim()}`);
  } finally {
    if (t.child.exitCode === null && t.child.signalCode === null) t.child.kill('SIGKILL');
    await t.exited;
    const left = await sampler.leftovers(3000 * slow);
    if (left.length) problems.push(`left behind: ${left.join(', ')}`);
    if (tgt && tgt.exitCode === null) tgt.kill('SIGKILL');
  }
  return problems.length ? `${label}: ${problems.join('; ')}` : '';
}

/**
 * The kernel log from the moment of construction on (/dev/kmsg read past its end: a reader
 * sees each record once). `uprobeTrouble()` gives the new lines that say the kernel kept
 * uprobes it should have removed — `failed to unregister, leaking uprobe` (the breakpoints
 * stay in every process mapping the file) and `failed to handle uretprobe, sending SIGILL` (a
 * process returned through a uretprobe the kernel lost track of) — which neither bpftool nor
 * tracefs can see. Without /dev/kmsg (not root) it reports nothing.
 */
export class KernelLog {
  readonly #fd: number | undefined;
  readonly #buf = Buffer.alloc(8192);
  constructor() {
    try {
      this.#fd = openSync('/dev/kmsg', constants.O_RDONLY | constants.O_NONBLOCK);
    } catch {
      this.#fd = undefined;
    }
    this.#records();
  }

  /** The messages logged since the last call (each read of /dev/kmsg is one record). */
  #records(): string[] {
    if (this.#fd === undefined) return [];
    const out: string[] = [];
    for (;;) {
      try {
        const n = readSync(this.#fd, this.#buf, 0, this.#buf.length, null);
        if (n <= 0) return out;
        // "PRI,SEQ,USEC,FLAGS;MESSAGE\n" and continuation lines.
        const rec = this.#buf.toString('utf8', 0, n);
        out.push(rec.slice(rec.indexOf(';') + 1).split('\n')[0]!);
      } catch (e) {
        // EPIPE: records were overwritten since the last read; the next read goes on.
        if ((e as NodeJS.ErrnoException).code === 'EPIPE') continue;
        return out; // EAGAIN: nothing more.
      }
    }
  }

  uprobeTrouble(): string[] {
    return this.#records().filter((l) => /leaking uprobe|failed to handle uretprobe/.test(l));
  }
}

/** Runs every ending of each case in turn; returns the failures, one per line (LEAKS_VERBOSE=1: each case as it ends, on stderr). */
export async function runLeakCases(cases: readonly LeakCase[], slow = 1): Promise<{ ran: number; failures: string }> {
  const failures: string[] = [];
  const log = new KernelLog();
  let ran = 0;
  for (const c of cases) {
    for (const ending of ENDINGS) {
      ran++;
      const t0 = Date.now();
      const f = await runLeakCase(c, ending, slow);
      if (process.env['LEAKS_VERBOSE']) process.stderr.write(`${c.tool} ${c.kind} ${ending}: ${Date.now() - t0} ms${f ? ` — ${f}` : ''}\n`);
      if (f) failures.push(f);
    }
  }
  const trouble = log.uprobeTrouble();
  if (trouble.length) failures.push(`kernel log during ${cases.map((c) => `${c.tool} ${c.kind}`).join(', ')}: ${trouble.length} lines, first: ${trouble[0]}`);
  return { ran, failures: failures.join('\n') };
}
