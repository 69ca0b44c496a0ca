/** The C workloads of the kernel tests, built once per run with gcc. */
import { chmodSync, copyFileSync, existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { buildC } from './cbuild.js';
import { root } from './kernel.js';

const SRC = join(root, 'test', 'kernel', 'workloads');

let built: { exe: string; lib: string } | undefined;

/** counter (executable with work_fn) linked against libpt (pt_f0..pt_f11). */
export function counterWorkload(): { exe: string; lib: string } {
  if (built) return built;
  const lib = buildC('pt', readFileSync(join(SRC, 'libpt.c'), 'utf8'), ['-O1', '-fPIC', '-shared']);
  const exe = buildC('counter', readFileSync(join(SRC, 'counter.c'), 'utf8'), ['-O1', lib, `-Wl,-rpath,${dirname(lib)}`]);
  return (built = { exe, lib });
}

/**
 * A running workload of the ready/go/done protocol shared by the C workloads (counter, chain,
 * tools, kfuncs): it prints "ready PID", waits for a line, does its work, prints "done", waits
 * for another line and exits.
 */
export interface GoWorkload {
  readonly pid: number;
  readonly child: ChildProcessWithoutNullStreams;
  /** Its stdout so far. */
  out(): string;
  /** Start the work and wait until it is done. */
  go(): Promise<void>;
  /** Let the process exit. */
  end(): Promise<void>;
}

/** Start `exe ARGS…` and wait for its "ready PID" line. */
export function startGoWorkload(exe: string, args: readonly string[]): Promise<GoWorkload> {
  const child = spawn(exe, [...args]);
  const name = exe.split('/').pop();
  let out = '';
  let err = '';
  child.stdout.setEncoding('utf8').on('data', (d: string) => (out += d));
  child.stderr.setEncoding('utf8').on('data', (d: string) => (err += d));
  const waitFor = (text: string) =>
    new Promise<void>((resolve, reject) => {
      const check = () => {
        if (out.includes(text)) {
          child.stdout.off('data', check);
          resolve();
        }
      };
      child.stdout.on('data', check);
      child.on('exit', (code) => (out.includes(text) ? resolve() : reject(new Error(`${name} exited ${code}: ${out}${err}`))));
      check();
    });
  return waitFor('ready').then(() => ({
    pid: Number(/ready (\d+)/.exec(out)![1]),
    child,
    out: () => out,
    go: () => {
      child.stdin.write('go\n');
      return waitFor('done');
    },
    end: () =>
      new Promise<void>((resolve) => {
        if (child.exitCode !== null) return resolve();
        child.on('exit', () => resolve());
        // Never told to go (the tool failed first): it would take 'end' for 'go' and then wait.
        if (!out.includes('done')) child.kill('SIGKILL');
        else child.stdin.write('end\n');
      }),
  }));
}

export type CounterRun = GoWorkload;

/** Start `counter N [CPU]` and wait for it to be ready. */
export function startCounter(n: number, cpu?: number): Promise<CounterRun> {
  return startGoWorkload(counterWorkload().exe, cpu === undefined ? [String(n)] : [String(n), String(cpu)]);
}

let traceeExe = '';

/** The workload, copied where every user may run it (--uid runs it as nobody). */
export function traceeWorkload(): string {
  if (traceeExe) return traceeExe;
  const built = buildC('tracee', readFileSync(join(SRC, 'tracee.c'), 'utf8'), ['-O1', '-fno-omit-frame-pointer', '-pthread']);
  const exe = `/tmp/polytrace-${built.split('/').pop()}`;
  if (!existsSync(exe)) {
    copyFileSync(built, `${exe}.tmp`);
    chmodSync(`${exe}.tmp`, 0o755);
    copyFileSync(`${exe}.tmp`, exe);
    chmodSync(exe, 0o755);
  }
  return (traceeExe = exe);
}

export interface Tracee {
  readonly pid: number;
  readonly child: ChildProcessWithoutNullStreams;
  /** Output so far. */
  out(): string;
  cmd(line: string): Promise<void>;
  end(): Promise<void>;
}

/** Start `tracee N` (as `uid`, if given) and wait for it to be ready. */
export function startTracee(n: number, opts: { uid?: number } = {}): Promise<Tracee> {
  const child = spawn(traceeWorkload(), [String(n)], opts.uid !== undefined ? { uid: opts.uid, gid: opts.uid } : {});
  let out = '';
  let seen = 0;
  child.stdout.setEncoding('utf8').on('data', (d: string) => (out += d));
  const waitDone = () =>
    new Promise<void>((resolve, reject) => {
      const check = () => {
        const count = out.split('done\n').length - 1;
        if (count > seen) {
          seen = count;
          child.stdout.off('data', check);
          resolve();
        }
      };
      child.stdout.on('data', check);
      child.on('exit', () => reject(new Error(`tracee exited: ${out}`)));
    });
  return new Promise((resolve, reject) => {
    const ready = () => {
      const m = /ready (\d+)/.exec(out);
      if (!m) return;
      child.stdout.off('data', ready);
      resolve({
        pid: Number(m[1]),
        child,
        out: () => out,
        cmd: (line) => {
          const p = waitDone();
          child.stdin.write(`${line}\n`);
          return p;
        },
        end: () =>
          new Promise((r) => {
            if (child.exitCode !== null) return r();
            child.on('exit', () => r());
            child.stdin.end('end\n');
          }),
      });
    };
    child.stdout.on('data', ready);
    child.on('error', reject);
  });
}

let syscallsExe = '';

/** The syscall workload of the raw-tracepoint tests (test/kernel/workloads/syscalls.c). */
export function syscallsWorkload(): string {
  return (syscallsExe ||= buildC('syscalls', readFileSync(join(SRC, 'syscalls.c'), 'utf8'), ['-O1']));
}

/**
 * Start `syscalls N K [int80]`: on go, N getpid, 2N getppid, 3N dup, 4N close, N openat, N
 * uname syscalls and K forks (with int80: N ia32 getpids too).
 */
export function startSyscalls(n: number, k: number, int80 = false): Promise<GoWorkload> {
  return startGoWorkload(syscallsWorkload(), [String(n), String(k), ...(int80 ? ['int80'] : [])]);
}
