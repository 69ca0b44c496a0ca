/**
 * The interval loop of funccount, funclatency, stackcount and argdist: sleep an interval,
 * read what it counted, print it; until the duration, the number of reports, a signal, the
 * `-p` process exiting, or stdout closing ends it. The tools differ only where BCC's do, and
 * each difference is an option here:
 *
 * - `interval` undefined (funccount, funclatency, stackcount without `-i`): one report, at
 *   the end (after `-d`, or at Ctrl-C). argdist always has one (1 s by default).
 * - `duration` (`-d`/`-D`): the report whose elapsed time reaches it is the last.
 * - `count` (argdist `-n`): that many reports.
 * - `onSignal`: Ctrl-C (SIGINT, SIGTERM, SIGHUP) during a sleep prints the partial interval
 *   as the last report ('report': funccount, funclatency, stackcount), or ends without it
 *   ('quiet': BCC's argdist), after calling `quiet()` (argdist still says what it dropped).
 * - `step`: sleep in steps, calling (and awaiting) `tick` after each (stackcount names the new
 *   stacks every 500 ms, so their processes' frames resolve after they exit and little is
 *   left to do after a stop).
 *
 * The same in every tool: the `-p` process exiting prints the partial interval as the last
 * report; stdout closing (EPIPE, `| head -1`) ends the loop at once and silently, whether it
 * closed during the sleep (nothing more is read, said or written) or while an interval was
 * being read (it is not printed).
 */
import { sleepOrStop, stopped, type StopReason } from './lifecycle.js';

export interface IntervalPolicy {
  /** Seconds between reports; undefined: one report, at the end. */
  readonly interval?: number;
  /** Seconds in all: the report that reaches them is the last. */
  readonly duration?: number;
  /** Reports in all. */
  readonly count?: number;
  /** What a signal during a sleep does (see above). */
  readonly onSignal: 'report' | 'quiet';
  /** Sleep in steps of at most `ms`, calling `tick` after each full step. */
  readonly step?: { readonly ms: number; readonly tick: () => unknown };
}

export interface IntervalHandlers<T> {
  /** Take the interval's data from the kernel (counters said on stderr here). */
  read(): T | Promise<T>;
  /** Print it. */
  print(data: T): Promise<void>;
  /** The loop ends on a signal without a report ('quiet'): say what must still be said. */
  quiet?(): void;
}

/** The loop's view of time and stops (lifecycle's; a fake clock in tests). */
export interface IntervalClock {
  sleep(ms: number): Promise<'timeout' | StopReason>;
  stopped(): StopReason | undefined;
}

export const lifecycleClock: IntervalClock = { sleep: sleepOrStop, stopped };

/** How the loop ended: after its last report, quietly on a signal, or on a closed stdout. */
export type IntervalEnd = 'last' | 'quiet' | 'epipe';

/** BCC's "forever": 99999999 s, when neither -i nor -d is given. */
const FOREVER_S = 99999999;

/**
 * How long each sleep is. An interval longer than the duration is the duration (`-i 99999999
 * -d 1` reports after 1 s, where BCC would sleep the interval): the run then ends by the
 * duration's first report. Shorter intervals keep BCC's rule (the report reaching the duration
 * is the last: `-i 2 -d 5` reports three times).
 */
export function intervalMs(p: Pick<IntervalPolicy, 'interval' | 'duration'>): number {
  const s = p.interval !== undefined && p.duration !== undefined ? Math.min(p.interval, p.duration) : (p.interval ?? p.duration ?? FOREVER_S);
  return s * 1000;
}

async function sleepInterval(ms: number, p: IntervalPolicy, clock: IntervalClock): Promise<'timeout' | StopReason> {
  if (!p.step) return clock.sleep(ms);
  let slept = 0;
  while (slept < ms) {
    const step = Math.min(p.step.ms, ms - slept);
    const r = await clock.sleep(step);
    if (r !== 'timeout') return r;
    slept += step;
    await p.step.tick();
  }
  return 'timeout';
}

export async function runIntervals<T>(p: IntervalPolicy, h: IntervalHandlers<T>, clock: IntervalClock = lifecycleClock): Promise<IntervalEnd> {
  const ms = intervalMs(p);
  let elapsed = 0;
  let printed = 0;
  for (;;) {
    const r = await sleepInterval(ms, p, clock);
    if (r === 'epipe') return 'epipe';
    if (r === 'signal' && p.onSignal === 'quiet') {
      h.quiet?.();
      return 'quiet';
    }
    if (r === 'timeout') elapsed += ms;
    const data = await h.read();
    if (clock.stopped() === 'epipe') return 'epipe';
    await h.print(data);
    printed++;
    const last =
      r !== 'timeout' ||
      p.interval === undefined ||
      (p.duration !== undefined && elapsed >= p.duration * 1000) ||
      (p.count !== undefined && printed >= p.count);
    if (last) return 'last';
  }
}
