/**
 * Tracepoints: the event id from <tracefs>/events/<category>/<event>/id, a perf event of
 * type PERF_TYPE_TRACEPOINT on CPU 0 with pid -1 (the program then runs on every CPU: the
 * program array hangs on the trace event, not on the perf event), and the program attached
 * to it. Requires Linux 4.7.
 *
 *   const link = attachTracepoint(prog, { category: 'sched', event: 'sched_switch' });
 *
 * Close the Link (or exit) to detach.
 */
import { perfEventOpen, PERF_TYPE_TRACEPOINT } from '../sys/perf.js';
import { tracepointId } from '../symbols/tracefs.js';
import { requireTracefs } from '../kernel/tracefs.js';
import { attachPerfEvent } from './perf-event.js';
import type { Link } from './link.js';
import type { LoadedProgram } from '../kernel/program.js';

export interface TracepointTarget {
  category: string;
  event: string;
  cookie?: bigint;
  /** Process to count for (the program still filters by tgid where it must). */
  pid?: number;
}

export function attachTracepoint(prog: LoadedProgram, t: TracepointTarget): Link {
  const root = requireTracefs();
  const id = tracepointId(root, t.category, t.event);
  const fd = perfEventOpen(
    { type: PERF_TYPE_TRACEPOINT, config: BigInt(id), samplePeriod: 1n, wakeupEvents: 1, disabled: true },
    -1,
    0,
    -1,
    `tracepoint ${t.category}:${t.event}`,
  );
  return attachPerfEvent(prog, fd, `tracepoint:${t.category}:${t.event}`, t.cookie);
}
