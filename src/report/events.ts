/**
 * Events to stdout, with back-pressure, and nothing lost silently (trace).
 *
 * The reader hands records, a batch at a time, to the tool's sink, which renders them into
 * `EventLines`; the lines are written and the next batch is read only when stdout has taken
 * them. Memory stays bounded (one batch of lines in Node's heap): when stdout is slower than
 * the events, they wait in the ring, and the kernel counts what it has to drop. That count
 * (and failed reads of memory) is said every second and at the end (`EventLoss`), so printed
 * + reported lost = produced.
 *
 * At the end (a stop, or the sink has had enough: -M) the links are closed, then what is
 * still in the buffer is printed, unless nobody reads stdout any more: then it is counted
 * as lost, and the process leaves without waiting for stdout.
 */
import type { EventReader, RecordSink } from '../events/types.js';
import type { TraceSession } from '../session.js';
import { jsonDocument } from '../output/json.js';
import { record } from '../output/value.js';
import { out, raceStop, stopped } from './lifecycle.js';
import { Counter, readSlot, type CounterMap, type Say } from './counters.js';

/** Records in one read of the buffer. */
const BATCH = 4096;
/** How often loss is said while events flow. */
const REPORT_MS = 1000;
/** How long the final drain waits for a stdout that does not drain before giving up on it. */
const STUCK_MS = 2000;

/** The lines a sink rendered, waiting for stdout. */
export class EventLines {
  #lines: string[] = [];
  /** Set by the sink when no more events are wanted (-M reached): nothing more is read. */
  done = false;

  push(line: string): void {
    this.#lines.push(line);
  }

  get length(): number {
    return this.#lines.length;
  }

  /** The pending text, emptied. */
  take(): string {
    const s = this.#lines.join('');
    this.#lines = [];
    return s;
  }
}

export interface EventLossSources {
  /** The programs' per-CPU count of records the full buffer refused (slot 0). */
  readonly lost: CounterMap;
  /** The per-CPU count of failed reads of memory (slot 0); absent when nothing reads memory. */
  readonly readErrors?: CounterMap;
  /** Records the transport itself reported lost (perf buffer LOST records). */
  readonly reader: Pick<EventReader, 'transportLost'>;
  /** --json: the tool named in the loss record printed among the events. */
  readonly jsonTool?: string;
  readonly say?: Say;
}

/**
 * Events lost and reads failed since the last report: said on stderr (`N events lost`,
 * `N reads of user memory failed`), and with --json a loss record
 * `{"tool","time","lost","read_errors"}` to print in order with the events.
 */
export class EventLoss {
  readonly #lost: Counter;
  readonly #readErrors: Counter;

  constructor(private readonly s: EventLossSources) {
    // The programs count what they could not reserve; a perf buffer also says what it
    // overwrote: the larger is what was lost.
    this.#lost = new Counter(
      () => {
        const kernel = readSlot(s.lost);
        const transport = s.reader.transportLost();
        return kernel > transport ? kernel : transport;
      },
      { kind: 'lost-events' },
      s.say,
    );
    this.#readErrors = Counter.slot(s.readErrors, 0, { kind: 'read-errors' }, s.say);
  }

  /**
   * Says the loss since the last report. `unread`: events left in the buffer at the end,
   * lost too. Returns the --json loss record ('' when nothing was lost or without --json).
   */
  report(unread = 0n): string {
    const lost = this.#lost.report(unread);
    const failed = this.#readErrors.report();
    if (this.s.jsonTool === undefined || (lost === 0n && failed === 0n)) return '';
    return jsonDocument(record({ tool: this.s.jsonTool, time: new Date().toISOString(), lost, read_errors: failed }));
  }
}

export interface EventLoop {
  readonly reader: EventReader;
  readonly sink: RecordSink;
  readonly lines: EventLines;
  readonly loss: EventLoss;
  /** Its links are closed at the end; it is disposed at once when stdout is stuck. */
  readonly session: TraceSession;
  /** Printed after the last event unless stdout is stuck (trace -A's table). */
  readonly epilogue?: () => string;
}

/** Writes the pending lines and waits until stdout took them, or a stop. */
async function flush(lines: EventLines): Promise<void> {
  if (!lines.length) return;
  // A stop (Ctrl-C) does not wait for a slow stdout: the loop ends and the rest is drained after.
  await raceStop(out(lines.take()));
}

/** Resolves true once stdout has drained, false after `ms` without (nobody reads it). */
function drained(ms: number): Promise<boolean> {
  return new Promise<boolean>((resolve) => {
    if (!process.stdout.writableNeedDrain) return resolve(true);
    const on = () => {
      clearTimeout(timer);
      resolve(true);
    };
    const timer = setTimeout(() => {
      process.stdout.off('drain', on);
      resolve(false);
    }, ms);
    process.stdout.once('drain', on);
  });
}

/** Until a stop or `lines.done`: read a batch, write it, say the loss every second. */
async function pump(l: EventLoop): Promise<void> {
  let lastReport = Date.now();
  while (!l.lines.done && !stopped()) {
    const n = l.reader.drain(l.sink, BATCH);
    await flush(l.lines);
    const now = Date.now();
    if (now - lastReport >= REPORT_MS) {
      lastReport = now;
      const rec = l.loss.report();
      if (rec) l.lines.push(rec);
    }
    // raceStop, not a race with one long-lived stop promise: that would keep one reaction per
    // turn of this loop alive until the stop (the 4 MiB/s growth the soak test found).
    if (n === 0 && !l.lines.done) await raceStop(l.reader.wait(200));
    else await new Promise((r) => setImmediate(r));
  }
}

/**
 * After the links are closed: print what is still in the buffer. Returns the number of
 * events left unread because nobody reads stdout (undefined when stdout took everything).
 */
async function drainRest(l: EventLoop): Promise<bigint | undefined> {
  if (l.lines.done || stopped() === 'epipe') return undefined;
  await new Promise((r) => setTimeout(r, 5));
  // After a stop out() no longer waits for the pipe: wait here, but not for a reader that
  // does not read at all.
  for (;;) {
    const n = l.lines.done ? 0 : l.reader.drain(l.sink, BATCH);
    await flush(l.lines);
    if (!(await drained(STUCK_MS))) break;
    if (n === 0) return undefined;
  }
  // Nobody reads stdout: what remains in the ring is not printed, so it is reported as lost.
  let rest = 0;
  while (l.reader.drain(() => rest++, 1 << 20) > 0);
  return BigInt(rest);
}

/**
 * Runs the events to the end: pump, detach, drain the rest, the epilogue, the last loss
 * report. When stdout is stuck, disposes the session and exits 0 (waiting would hang).
 */
export async function runEventLoop(l: EventLoop): Promise<number> {
  await pump(l);
  // Detach, then print what is still in the buffer: every event produced is printed or lost.
  for (const link of l.session.links) link.close();
  const unread = await drainRest(l);
  const stuck = unread !== undefined;
  if (l.epilogue && !stuck) await out(l.epilogue());
  if (stopped() !== 'epipe') {
    const rec = l.loss.report(unread ?? 0n);
    if (rec && !stuck) await out(rec);
  }
  if (stuck) {
    l.session.dispose();
    process.exit(0);
  }
  return 0;
}
