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
  /** Lines that are not events (loss records printed among them), by index in #lines. */
  #notEvents = new Set<number>();
  /** Set by the sink when no more events are wanted (-M reached): nothing more is read. */
  done = false;

  /** One event's text (which may span lines: stacks), or with `event` false a record about them. */
  push(line: string, event = true): void {
    if (!event) this.#notEvents.add(this.#lines.length);
    this.#lines.push(line);
  }

  get length(): number {
    return this.#lines.length;
  }

  /** The pending text, emptied. */
  take(): string {
    return this.takeChunk().text;
  }

  /** The pending text with each event's piece of it, emptied. */
  takeChunk(): EventChunk {
    const chunk = new EventChunk(this.#lines, this.#notEvents);
    this.#lines = [];
    this.#notEvents = new Set();
    return chunk;
  }
}

/** Text on its way to stdout, and which of its pieces are events. */
export class EventChunk {
  readonly text: string;

  constructor(
    private readonly pieces: readonly string[],
    private readonly notEvents: ReadonlySet<number>,
  ) {
    this.text = pieces.join('');
  }

  get events(): number {
    return this.pieces.length - this.notEvents.size;
  }

  /** Events whose text did not all reach the OS when only the first `sent` bytes did. */
  eventsAfter(sent: number): number {
    let end = 0;
    let after = 0;
    this.pieces.forEach((piece, i) => {
      end += Buffer.byteLength(piece);
      if (end > sent && !this.notEvents.has(i)) after++;
    });
    return after;
  }
}

/**
 * Hands chunks of event lines to stdout one at a time, so that when the tool gives up on a
 * stdout nobody reads, the events that never reached the OS (queued here, or in Node's and
 * libuv's buffers) can be counted as lost instead of vanishing with the process.
 */
export class EventWriter {
  readonly #queue: Array<{ chunk: EventChunk; done: () => void }> = [];
  #inFlight: EventChunk | undefined;
  readonly #idle = new Set<() => void>();

  constructor(private readonly stream: NodeJS.WriteStream = process.stdout) {}

  /** Resolves once the chunk has been handed to the OS (or the write failed: EPIPE). */
  write(chunk: EventChunk): Promise<void> {
    if (chunk.text === '') return Promise.resolve();
    return new Promise((done) => {
      this.#queue.push({ chunk, done });
      if (!this.#inFlight) this.#next();
    });
  }

  /** Resolves true once every chunk has been handed to the OS, false after `ms` without (nobody reads). */
  idle(ms: number): Promise<boolean> {
    if (!this.#inFlight) return Promise.resolve(true);
    return new Promise((resolve) => {
      const timer = setTimeout(() => {
        this.#idle.delete(on);
        resolve(false);
      }, ms);
      const on = () => {
        clearTimeout(timer);
        resolve(true);
      };
      this.#idle.add(on);
    });
  }

  #next(): void {
    const head = this.#queue.shift();
    if (!head) {
      for (const f of this.#idle) f();
      this.#idle.clear();
      return;
    }
    this.#inFlight = head.chunk;
    this.stream.write(head.chunk.text, () => {
      this.#inFlight = undefined;
      head.done();
      this.#next();
    });
  }

  /** Events written to this writer whose text has not all been handed to the OS. */
  abandoned(): number {
    let n = 0;
    for (const q of this.#queue) n += q.chunk.events;
    const c = this.#inFlight;
    if (c) {
      // libuv's count of the bytes of the current write not yet taken by the kernel (Node's
      // stream handle keeps it up to date as partial writes go through); without it the whole
      // chunk counts, so nothing is ever missed.
      const queued = (this.stream as unknown as { _handle?: { writeQueueSize?: unknown } })._handle?.writeQueueSize;
      const bytes = Buffer.byteLength(c.text);
      const unsent = typeof queued === 'number' && queued >= 0 && queued <= bytes ? queued : bytes;
      n += c.eventsAfter(bytes - unsent);
    }
    return n;
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
  /** Where the lines go (default: a writer on stdout). */
  readonly writer?: EventWriter;
}

/** Writes the pending lines and waits until stdout took them, or a stop. */
async function flush(lines: EventLines, writer: EventWriter): Promise<void> {
  if (!lines.length || stopped() === 'epipe') return;
  // A stop (Ctrl-C) does not wait for a slow stdout: the loop ends and the rest is drained after.
  await raceStop(writer.write(lines.takeChunk()));
}

/** Until a stop or `lines.done`: read a batch, write it, say the loss every second. */
async function pump(l: EventLoop, writer: EventWriter): Promise<void> {
  let lastReport = Date.now();
  while (!l.lines.done && !stopped()) {
    const n = l.reader.drain(l.sink, BATCH);
    await flush(l.lines, writer);
    const now = Date.now();
    if (now - lastReport >= REPORT_MS) {
      lastReport = now;
      const rec = l.loss.report();
      if (rec) l.lines.push(rec, false);
    }
    // raceStop, not a race with one long-lived stop promise: that would keep one reaction per
    // turn of this loop alive until the stop (the 4 MiB/s growth the soak test found).
    if (n === 0 && !l.lines.done) await raceStop(l.reader.wait(200));
    else await new Promise((r) => setImmediate(r));
  }
}

/**
 * After the links are closed: print what is still in the buffer. Returns the number of
 * events not printed because nobody reads stdout (undefined when stdout took everything):
 * those left in the ring, and those whose lines never reached the OS.
 */
async function drainRest(l: EventLoop, writer: EventWriter): Promise<bigint | undefined> {
  if (l.lines.done || stopped() === 'epipe') return undefined;
  await new Promise((r) => setTimeout(r, 5));
  // After a stop the writes are not awaited: wait here, but not for a reader that does not
  // read at all.
  for (;;) {
    const n = l.lines.done ? 0 : l.reader.drain(l.sink, BATCH);
    await flush(l.lines, writer);
    if (!(await writer.idle(STUCK_MS))) break;
    if (n === 0 && writer.abandoned() === 0) return undefined;
  }
  // Nobody reads stdout: what remains in the ring is not printed, nor what waits in our
  // buffers, so both are reported as lost.
  let rest = 0;
  while (l.reader.drain(() => rest++, 1 << 20) > 0);
  return BigInt(rest + writer.abandoned());
}

/**
 * Runs the events to the end: pump, detach, drain the rest, the epilogue, the last loss
 * report. When stdout is stuck, disposes the session and exits 0 (waiting would hang).
 */
export async function runEventLoop(l: EventLoop): Promise<number> {
  const writer = l.writer ?? new EventWriter();
  await pump(l, writer);
  // Detach, then print what is still in the buffer: every event produced is printed or lost.
  for (const link of l.session.links) link.close();
  const unread = await drainRest(l, writer);
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
