/**
 * How a tool stops: Ctrl-C (SIGINT), SIGTERM or SIGHUP end the current interval early and
 * make it the last one; further signals are ignored while the final report prints (as BCC's
 * tools do). A closed stdout (EPIPE, `| head`) stops the tool quietly. Whatever the path,
 * the session is disposed before the process exits.
 */
import type { TraceSession } from '../session.js';

export type StopReason = 'signal' | 'epipe';

let stopReason: StopReason | undefined;
const waiters = new Set<() => void>();
let installed = false;

function stop(reason: StopReason): void {
  if (stopReason) return;
  stopReason = reason;
  for (const w of waiters) w();
  waiters.clear();
}

export function installStopHandlers(): void {
  if (installed) return;
  installed = true;
  for (const sig of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) process.on(sig, () => stop('signal'));
  process.stdout.on('error', (e: NodeJS.ErrnoException) => {
    if (e.code === 'EPIPE') stop('epipe');
  });
}

export function stopped(): StopReason | undefined {
  return stopReason;
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

/** Write to stdout, resolving when the data has been handed to the OS (back-pressure). */
export function out(text: string): Promise<void> {
  if (stopReason === 'epipe') return Promise.resolve();
  return new Promise((resolve) => {
    if (process.stdout.write(text)) resolve();
    else process.stdout.once('drain', () => resolve());
  });
}

/** Dispose the session, flush stdout, and exit with `code`. */
export async function finish(session: TraceSession | undefined, code: number): Promise<never> {
  session?.dispose();
  await new Promise<void>((resolve) => {
    if (stopReason === 'epipe') return resolve();
    process.stdout.write('', () => resolve());
  });
  process.exit(code);
}
