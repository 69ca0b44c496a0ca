/**
 * How a tool stops: Ctrl-C (SIGINT), SIGTERM or SIGHUP end the current interval early and
 * make it the last one; further signals are ignored while the final report prints (as BCC's
 * tools do). A closed stdout (EPIPE on a write, or the reader of a stdout pipe gone, as after
 * `| head -1`) stops the tool quietly. With `-p`, the traced process exiting ends the trace
 * too: the tool says so on stderr, prints its last report and exits 0. An exception nobody
 * caught still disposes every live session before the process exits 1. Whatever the path,
 * the session is disposed before the process exits.
 */
import { fstatSync } from 'node:fs';
import { disposeLiveSessions, TraceSession } from '../session.js';
import { ProcessExit, pipeReaderGone } from '../kernel/watch.js';

export type StopReason = 'signal' | 'epipe' | 'exited';

let stopReason: StopReason | undefined;
const waiters = new Set<() => void>();
let installed = false;

/** How often the traced process and the stdout pipe are looked at. */
const WATCH_MS = 100;
let watcher: NodeJS.Timeout | undefined;
let watchedPid: ProcessExit | undefined;
let stdoutPipe = false;

function stop(reason: StopReason): void {
  if (stopReason) return;
  stopReason = reason;
  for (const w of waiters) w();
  waiters.clear();
}

function fatal(e: unknown): void {
  disposeLiveSessions();
  const err = e as Error;
  try {
    process.stderr.write(`polytrace: internal error: ${err?.stack ?? String(e)}\n`);
  } finally {
    process.exit(1);
  }
}

export function installStopHandlers(): void {
  if (installed) return;
  installed = true;
  for (const sig of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) process.on(sig, () => stop('signal'));
  process.stdout.on('error', (e: NodeJS.ErrnoException) => {
    if (e.code === 'EPIPE') stop('epipe');
    else fatal(e);
  });
  process.on('uncaughtException', fatal);
  process.on('unhandledRejection', fatal);
  try {
    // A pipe from a shell, or the socketpair that Node's child_process (libuv) gives a child.
    const st = fstatSync(1);
    stdoutPipe = st.isFIFO() || st.isSocket();
  } catch {
    stdoutPipe = false;
  }
  startWatcher();
}

/**
 * End the trace when process `pid` exits (`-p`). Uses a pidfd; where pidfd_open is missing
 * (before 5.3) it falls back to looking for /proc/PID (kernel/watch.ts).
 */
export function watchProcess(pid: number | undefined): void {
  if (pid === undefined) return;
  watchedPid = new ProcessExit(pid);
  startWatcher();
  check();
}

function startWatcher(): void {
  if (watcher || (!stdoutPipe && !watchedPid)) return;
  watcher = setInterval(check, WATCH_MS);
  watcher.unref();
}

function check(): void {
  if (stopReason) return;
  // The reader of our stdout pipe is gone: nothing we print can be read any more.
  if (stdoutPipe && pipeReaderGone(1)) {
    stop('epipe');
    return;
  }
  if (watchedPid?.exited()) {
    process.stderr.write(`process ${watchedPid.pid} exited\n`);
    watchedPid.close();
    stop('exited');
  }
}

export function stopped(): StopReason | undefined {
  return stopReason;
}

/**
 * Races `p` against a stop: resolves with `p`'s value, or with undefined as soon as a stop is
 * requested. The stop waiter is removed when `p` settles first, so a loop that calls this on
 * every turn keeps nothing alive (racing a long-lived promise, or sleepOrStop(undefined), in a
 * loop would retain one reaction or waiter per turn until the stop).
 */
export function raceStop<T>(p: Promise<T>): Promise<T | undefined> {
  if (stopReason) return Promise.resolve(undefined);
  return new Promise<T | undefined>((resolve, reject) => {
    const wake = () => resolve(undefined);
    waiters.add(wake);
    p.then(
      (v) => {
        waiters.delete(wake);
        resolve(v);
      },
      (e) => {
        waiters.delete(wake);
        reject(e);
      },
    );
  });
}

/** Resolves after `ms` (infinite when undefined) or as soon as a stop is requested. */
export function sleepOrStop(ms: number | undefined): Promise<'timeout' | StopReason> {
  if (stopReason) return Promise.resolve(stopReason);
  return new Promise((resolve) => {
    let timer: NodeJS.Timeout | undefined;
    const wake = () => {
      if (timer) clearTimeout(timer);
      resolve(stopReason!);
    };
    waiters.add(wake);
    if (ms !== undefined && Number.isFinite(ms)) {
      // setTimeout takes at most 2^31-1 ms (larger values fire after 1 ms): chain shorter
      // timers for BCC's "forever" interval of 99999999 s.
      const deadline = Date.now() + ms;
      const arm = () => {
        const left = deadline - Date.now();
        if (left <= 0) {
          waiters.delete(wake);
          resolve('timeout');
          return;
        }
        timer = setTimeout(arm, Math.min(left, 0x7fffffff));
      };
      arm();
    }
  });
}

/**
 * Test hook: POLYTRACE_TEST_THROW_IN_OUTPUT=N makes the Nth call of out() throw, to prove that
 * an error in output code still disposes everything and exits non-zero.
 */
const throwAt = Number(process.env['POLYTRACE_TEST_THROW_IN_OUTPUT'] ?? 0);
let outCalls = 0;

/** Write to stdout, resolving when the data has been handed to the OS (back-pressure). */
export function out(text: string): Promise<void> {
  if (throwAt > 0 && ++outCalls === throwAt) throw new Error('test hook: thrown in output (POLYTRACE_TEST_THROW_IN_OUTPUT)');
  if (stopReason === 'epipe') return Promise.resolve();
  return new Promise((resolve) => {
    if (process.stdout.write(text) || stopReason) return resolve();
    // Wait for the pipe to drain, or for a stop: a reader that went away never drains it.
    const done = () => {
      process.stdout.off('drain', done);
      waiters.delete(done);
      resolve();
    };
    process.stdout.once('drain', done);
    waiters.add(done);
  });
}

/** Dispose the session, flush stdout, and exit with `code`. */
export async function finish(session: TraceSession | undefined, code: number): Promise<never> {
  await session?.release();
  watchedPid?.close();
  await new Promise<void>((resolve) => {
    if (stopReason === 'epipe') return resolve();
    process.stdout.write('', () => resolve());
  });
  process.exit(code);
}

/**
 * The life of every tool after its spec is checked: stop handlers, the `-p` process watched,
 * `body` run with a fresh session, then exit with its code. The session is disposed on every
 * path (an error propagates to the CLI's reporter after the kernel objects are gone).
 */
export async function runWithSession(pid: number | undefined, body: (session: TraceSession) => Promise<number | void>): Promise<never> {
  installStopHandlers();
  watchProcess(pid);
  const session = new TraceSession();
  let code: number | void;
  try {
    code = await body(session);
  } catch (e) {
    session.dispose();
    throw e;
  }
  return finish(session, code ?? 0);
}
