/**
 * The end of every tool's run: its session released, saying so when that is slow. Probes
 * that are each a perf event (kprobes on a kernel without kprobe_multi, as Debian 6.1's; `t:`
 * events without raw tracepoints; uprobes without uprobe_multi) are released one at a time
 * by the kernel, each closing fd waiting for an RCU grace period (70–110 ms on 6.18; about
 * 100 ms per kprobe in the emulated 6.1 VM, so `funccount 'tcp_*'`'s 361 take half a minute).
 * The tools print their last report before this (funccount's counts, then BCC's
 * `Detaching...`), and then, when the closing will take more than a second:
 *
 * - `Detaching N probes…` on stderr, with progress: to a terminal one live line
 *   (`Detaching 361 probes… 120/361`), otherwise a line every few seconds
 *   (`detached 120 of 361 probes (12 s)`), and the time it took at the end;
 * - the links are closed one at a time with the event loop running in between, so a Ctrl-C
 *   meanwhile is answered with why it waits rather than ignored in silence. Every Ctrl-C is
 *   answered and none ends the process early: exiting would not be quicker, because the
 *   kernel closes the same perf events in the exiting process before it can end (and what
 *   the process leaves is released all the same: a kprobe made through the kprobe PMU belongs
 *   to its fd), so the truthful answer is to keep releasing and say how many are left.
 */
import type { TraceSession } from '../session.js';

/**
 * About how long closing one slow link takes (an RCU grace period; measured 70–110 ms for
 * tracepoints and uprobes on 6.18). A set estimated past `SAY_AFTER_MS` is announced at once;
 * any other is announced when its closing has taken that long.
 */
const SLOW_CLOSE_MS = 70;
const SAY_AFTER_MS = 1000;
/** How often the progress is said: the live line at most this often, plain lines this often. */
const LIVE_EVERY_MS = 100;
const LINE_EVERY_MS = 5000;

/** What detaching needs of the process (fakes in the unit tests). */
export interface DetachIo {
  /** To stderr. */
  write(text: string): void;
  /** stderr is a terminal: progress is one line rewritten in place. */
  readonly tty: boolean;
  now(): number;
  /** Let the event loop run (signals are delivered here). */
  pause(): Promise<void>;
  /** Call `handler` on every SIGINT, SIGTERM and SIGHUP until the returned function is called. */
  onSignal(handler: () => void): () => void;
}

const SIGNALS = ['SIGINT', 'SIGTERM', 'SIGHUP'] as const;

export const processIo: DetachIo = {
  write: (text) => void process.stderr.write(text),
  get tty() {
    return process.stderr.isTTY === true;
  },
  now: () => performance.now(),
  pause: () => new Promise<void>((resolve) => setImmediate(resolve)),
  onSignal(handler) {
    for (const sig of SIGNALS) process.on(sig, handler);
    return () => {
      for (const sig of SIGNALS) process.off(sig, handler);
    };
  },
};

const seconds = (ms: number): string => (ms < 10_000 ? (ms / 1000).toFixed(1) : (ms / 1000).toFixed(0));

/**
 * Close `links` one at a time (see above), saying so when it takes more than a second. The
 * caller disposes what is left (a link that failed to close is tried again there).
 */
export async function closeSlowly(links: readonly { close(): void }[], io: DetachIo): Promise<void> {
  const total = links.length;
  if (total === 0) return;
  const t0 = io.now();
  let done = 0;
  let shown = false;
  let said = t0;
  let signals = 0;
  const header = `Detaching ${total} probes…`;
  const live = () => `\r\x1b[K${header} ${done}/${total}`;
  const show = () => {
    shown = true;
    said = io.now();
    io.write(io.tty ? live() : `${header}\n`);
  };
  const explain = () => {
    if (!shown) show();
    const left = total - done;
    const text =
      ++signals === 1
        ? `still detaching: the kernel is releasing ${left} more probes, one RCU grace period each; this ends by itself`
        : `still detaching ${left} more probes: exiting now would not be quicker (the kernel would release the same probes before the process could end)`;
    io.write(io.tty ? `\r\x1b[K${text}\n${live().slice(1)}` : `${text}\n`);
  };
  if (total * SLOW_CLOSE_MS > SAY_AFTER_MS) show();
  const off = io.onSignal(explain);
  try {
    for (const link of links) {
      await io.pause();
      try {
        link.close();
      } catch {
        // The caller's dispose() tries again and goes on with the rest.
      }
      done++;
      if (done === total) break;
      const t = io.now();
      if (!shown) {
        if (t - t0 > SAY_AFTER_MS) show();
      } else if (io.tty ? t - said >= LIVE_EVERY_MS : t - said >= LINE_EVERY_MS) {
        said = t;
        io.write(io.tty ? live() : `detached ${done} of ${total} probes (${seconds(t - t0)} s)\n`);
      }
    }
  } finally {
    off();
  }
  if (!shown) return;
  const took = seconds(io.now() - t0);
  io.write(io.tty ? `${live()}, done in ${took} s\n` : `detached ${total} of ${total} probes in ${took} s\n`);
}

/** Release a session at the end of a run: its slow links as above, then everything else. */
export async function detachSession(session: TraceSession, io: DetachIo = processIo): Promise<void> {
  try {
    await closeSlowly(session.slowLinks(), io);
  } finally {
    session.dispose();
  }
}
