/**
 * trace's rendering: each record the buffer hands over becomes BCC's line (or a --json
 * object, or a count of -A's table), after the -n and -f filters, until -M. The records are
 * read and the lines written by report/events.ts.
 */
import type { RecordSink } from '../events/types.js';
import type { FormatPiece } from '../specs/ast.js';
import { messageRenderer, readHeader, recordStacks, decodeRecord, type AddressNames } from '../compile/tools/trace-record.js';
import { TaskCache } from '../compile/tools/trace-tasks.js';
import { renderTraceHeader, renderTraceEvent, renderTraceAggregate, traceTimeOffset, type TraceStack } from '../output/trace.js';
import { strftimeHMS } from '../output/time.js';
import { ljust } from '../output/pyfmt.js';
import { jsonDocument } from '../output/json.js';
import { record, list, type Primitive } from '../output/value.js';
import { Symbolizer } from '../output/symbolize.js';
import { out } from '../report/lifecycle.js';
import type { EventLines } from '../report/events.js';
import type { TraceOptions } from './trace.js';
import type { TraceUnit } from './trace-plan.js';

export interface TraceSink {
  readonly sink: RecordSink;
  /** -A: the table of counted lines, printed after the last event. */
  readonly epilogue?: () => string;
}

/** What rendering one record needs beyond the record. */
interface Context {
  readonly o: TraceOptions;
  readonly symbols: Symbolizer;
  readonly useTime: boolean;
  /** The start, for -t's offsets and --json's UNIX timestamps. */
  readonly startNs: bigint;
  readonly startUnix: number;
}

/** Prints the header (text output) and returns the sink that renders every record into `lines`. */
export async function traceSink(o: TraceOptions, units: readonly TraceUnit[], lines: EventLines): Promise<TraceSink> {
  const cx: Context = { o, symbols: new Symbolizer(), useTime: o.timestamp || o.time, startNs: process.hrtime.bigint(), startUnix: Date.now() / 1000 };
  // -K: kallsyms read off the main thread now, not at the first event's stack.
  if (o.kernelStack) void cx.symbols.prepare();
  if (!o.json && !o.aggregate) {
    await out(
      renderTraceHeader({ time: cx.useTime, unixTimestamp: o.unixTimestamp, cpu: o.printCpu, anyFormat: units.some((u) => u.probe.format !== undefined) }),
    );
  }
  const names: AddressNames = {
    kernel: (a) => cx.symbols.kernel(a, { offset: true }),
    user: (tgid, a) => cx.symbols.user(tgid, a, { offset: true, module: true }),
  };
  const renderers = units.map((u) => messageRenderer(u.pieces, u.layout, names));
  const tasks = new TaskCache();
  const aggregate = new Map<string, bigint>();
  const max = o.maxEvents ?? Infinity;
  const nameFilter = o.name;
  const msgFilter = o.msgFilter;
  const fancy = cx.useTime || o.printCpu || o.kernelStack || o.userStack || o.json || o.aggregate;
  const funcCols = units.map((u) => `${ljust(u.func, 16)} `);
  let printed = 0;

  const sink: RecordSink = (bytes, dv, off) => {
    if (lines.done) return;
    const probe = dv.getUint32(off + 20, true);
    const u = units[probe];
    if (!u) return;
    const t = tasks.get(bytes, dv, off);
    if (nameFilter !== undefined && !t.comm.includes(nameFilter)) return;
    const message = renderers[probe]!(bytes, dv, off, t.tgid);
    if (msgFilter !== undefined && !message.includes(msgFilter)) return;
    if (!fancy) {
      // BCC's "%-7d %-7d %-15s %-16s %s\n", with the task columns built once per thread.
      const cols = (t.columns ??= `${ljust(String(t.tgid), 7)} ${ljust(String(t.tid), 7)} ${ljust(t.comm, 15)} `);
      lines.push(cols + funcCols[probe] + message + '\n');
    } else if (o.json) {
      lines.push(jsonEvent(cx, u, bytes, dv, off, message));
    } else if (o.aggregate) {
      const key = textEvent(cx, u, bytes, dv, off, message).replace(/\n\n$/, '\n');
      aggregate.set(key, (aggregate.get(key) ?? 0n) + 1n);
    } else {
      lines.push(textEvent(cx, u, bytes, dv, off, message));
    }
    if (++printed >= max) lines.done = true;
  };
  return { sink, ...(o.aggregate ? { epilogue: () => renderTraceAggregate([...aggregate]) } : {}) };
}

function stackText(cx: Context, s: readonly bigint[] | { error: number } | undefined, kernel: boolean, tgid: number, u?: TraceUnit): TraceStack | undefined {
  if (s === undefined) return undefined;
  if ('error' in s) return { errorId: s.error };
  const frames = s.map((addr) => ({
    addr,
    name: kernel ? cx.symbols.kernel(addr, { offset: true, module: true }) : cx.symbols.user(tgid, addr, { offset: true, module: true }),
  }));
  if (!kernel || !u || u.resolved.target.kind !== 'tracepoint' || u.resolved.target.mechanism !== 'raw') return frames;
  // At a raw tracepoint the kernel stack starts in the program and the dispatch to it: dropped,
  // so that -K prints what a perf event's stack prints (from the tracepoint's caller on).
  let i = 0;
  while (i < frames.length && RAW_DISPATCH.test(frames[i]!.name)) i++;
  return frames.slice(i);
}

/** Frames of a raw tracepoint's dispatch: the program, bpf_trace_runN, __bpf_trace_EVENT (older kernels). */
const RAW_DISPATCH = /^(bpf_prog_\w+|bpf_trace_run\d+|__bpf_trace_\w+)\+/;

/** One event as text: BCC's columns (-t/-T time, -C cpu), the message, -K/-U stacks. */
function textEvent(cx: Context, u: TraceUnit, bytes: Uint8Array, dv: DataView, off: number, message: string): string {
  const { o } = cx;
  const h = readHeader(bytes, dv, off);
  const st = recordStacks(u.layout, dv, off);
  const time = !cx.useTime
    ? undefined
    : o.timestamp
      ? traceTimeOffset(h.ktime, cx.startNs, o.unixTimestamp ? cx.startUnix : undefined)
      : strftimeHMS(new Date());
  const ev = {
    ...(time !== undefined ? { time } : {}),
    ...(o.printCpu ? { cpu: h.cpu } : {}),
    tgid: h.tgid,
    tid: h.tid,
    comm: h.comm,
    func: u.func,
    message,
    ...(st.kernel ? { kernelStack: stackText(cx, st.kernel, true, h.tgid, u) } : {}),
    ...(st.user ? { userStack: stackText(cx, st.user, false, h.tgid) } : {}),
  };
  return renderTraceEvent(ev, { unixTimestamp: o.unixTimestamp, address: o.address });
}

/** One event as a --json object (docs/json.md). */
function jsonEvent(cx: Context, u: TraceUnit, bytes: Uint8Array, dv: DataView, off: number, message: string): string {
  const h = readHeader(bytes, dv, off);
  const rec = decodeRecord(u.layout, bytes, dv, off);
  const st = recordStacks(u.layout, dv, off);
  const frames = (s: TraceStack | undefined) => (s === undefined ? undefined : 'errorId' in s ? s.errorId : s.map((f) => f.name));
  return jsonDocument(
    record({
      pid: h.tgid,
      tid: h.tid,
      comm: h.comm,
      cpu: h.cpu,
      timestamp: Number((cx.startUnix + Number(h.ktime - cx.startNs) / 1e9).toFixed(6)),
      probe: u.probe.text,
      func: u.func,
      message,
      args: list(rec.args.map((v, k) => jsonArg(u.pieces, k, v))),
      kernel_stack: frames(stackText(cx, st.kernel, true, h.tgid, u)),
      user_stack: frames(stackText(cx, st.user, false, h.tgid)),
    }),
  );
}

/** An argument as --json gives it: the integer the conversion reads, or the string. */
export function jsonArg(pieces: readonly FormatPiece[], k: number, v: bigint | string): Primitive {
  if (typeof v === 'string') return v;
  const c = pieces.filter((p) => p.kind === 'conversion')[k];
  if (!c || c.kind !== 'conversion') return v;
  const bits = c.length === 'hh' ? 8 : c.length === 'h' ? 16 : c.length === '' ? 32 : 64;
  if (c.spec === 'd' || c.spec === 'i') return BigInt.asIntN(bits, v);
  if (c.spec === 'c') return String.fromCharCode(Number(BigInt.asUintN(8, v)));
  if (c.spec === 'p' || c.spec === 'K' || c.spec === 'U') return v;
  return BigInt.asUintN(bits, v);
}
