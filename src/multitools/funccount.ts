/**
 * funccount: count function calls, tracepoints and USDT probes, as BCC's funccount does,
 * with its options (-p -i -d -T -r -D -c) and its exact output.
 */
import { toolCommand, parseDump, parseListen, pidArg, secondsArg, cpuArg, prometheusHelp, type ListenAddress } from './options.js';
import { runWithSession, out } from '../report/lifecycle.js';
import { UsageError } from '../errors.js';
import { targetLibrary, type ProbeTarget } from '../probes/targets.js';
import { countProgram, countsMapSpec, decodeCounts } from '../compile/tools/count.js';
import { attachTargets } from '../attach/targets.js';
import type { TraceSession } from '../session.js';
import type { ProgramSpec } from '../emit/types.js';
import { planPattern } from '../pipeline/pattern.js';
import { requireProcess } from '../pipeline/process.js';
import { dumpProgramStages, dumpResolved, dumpStage } from '../pipeline/dump.js';
import { renderFunccountBanner, renderFunccountTable, DETACHING } from '../output/funccount.js';
import { jsonDocument } from '../output/json.js';
import { record, list, byCountAscending, type OutputValue } from '../output/value.js';
import { renderPrometheus } from '../output/prometheus.js';
import { runIntervals } from '../report/interval.js';

export interface FunccountOptions {
  readonly pattern: string;
  readonly pid?: number;
  readonly interval?: number;
  readonly duration?: number;
  readonly timestamp: boolean;
  readonly regexp: boolean;
  readonly debug: boolean;
  readonly cpu?: number;
  readonly dump: readonly string[];
  readonly json: boolean;
  readonly prometheus?: ListenAddress;
}

const EPILOG = `examples:
    funccount 'vfs_*'             # count kernel fns starting with "vfs"
    funccount -r '^vfs.*'         # same as above, using regular expressions
    funccount -Ti 5 'vfs_*'       # output every 5 seconds, with timestamps
    funccount -d 10 'vfs_*'       # trace for 10 seconds only
    funccount -p 185 'vfs_*'      # count vfs calls for PID 185 only
    funccount t:sched:sched_fork  # count calls to the sched_fork tracepoint
    funccount 't:syscalls:sys_enter_*' -d 5   # count every syscall for 5 seconds
    funccount 'rawtracepoint:sched_*'   # count raw tracepoints by name (rt: too)
    funccount -p 185 u:node:gc*   # count all GC USDT probes in node, PID 185
    funccount c:malloc            # count all malloc() calls in libc
    funccount go:os.*             # count all "os.*" calls in libgo
    funccount -p 185 go:os.*      # count all "os.*" calls in libgo, PID 185
    funccount ./test:read*        # count "read*" calls in the ./test binary
    funccount -c 1 'vfs_*'        # count vfs calls on CPU 1 only
    funccount --json -i 1 'c:str*'  # one JSON document per interval
    funccount --prometheus 9100 'c:malloc'   # serve the counts on :9100/metrics`;

export function parseOptions(argv: readonly string[], prog: string): FunccountOptions {
  const cmd = toolCommand(prog, 'Count functions, tracepoints, and USDT probes', EPILOG)
    .argument('<pattern>', 'search expression for events')
    .option('-p, --pid <PID>', 'trace this PID only', pidArg())
    .option('-i, --interval <INTERVAL>', 'summary interval, seconds', secondsArg('interval'))
    .option('-d, --duration <DURATION>', 'total duration of trace, seconds', secondsArg('duration'))
    .option('-T, --timestamp', 'include timestamp on output', false)
    .option('-r, --regexp', 'use regular expressions. Default is "*" wildcards only.', false)
    .option('-D, --debug', 'print BPF program before starting (for debugging purposes)', false)
    .option('-c, --cpu <CPU>', 'trace this CPU only', cpuArg())
    .option('--json', 'print one JSON document per interval', false)
    .option('--prometheus <[HOST:]PORT>', prometheusHelp('the counts'), parseListen)
    .option('--dump <STAGES>', 'print intermediate stages: ast,resolved,ir,asm', parseDump, []);
  cmd.parse([...argv], { from: 'user' });
  const o = cmd.opts();
  return {
    pattern: cmd.args[0],
    pid: o.pid,
    interval: o.interval,
    duration: o.duration,
    timestamp: o.timestamp,
    regexp: o.regexp,
    debug: o.debug,
    cpu: o.cpu,
    dump: o.dump,
    json: o.json,
    prometheus: o.prometheus,
  };
}

export async function run(argv: readonly string[], prog: string): Promise<void> {
  const o = parseOptions(argv, prog);
  requireProcess(o.pid);
  if (o.pattern.trim() === '') throw new UsageError('empty pattern', [`see '${prog} -h'`]);
  const p = planPattern(o.pattern, 'funccount', { regex: o.regexp, pid: o.pid });
  await dumpStage(o.dump, 'ast', p.ast);
  const targets = p.probes.map((x) => x.target);
  await dumpResolved(o.dump, [{ probe: o.pattern, resolved: p.probes }]);

  await runWithSession(o.pid, (session) => trace(o, targets, session));
}

async function trace(o: FunccountOptions, targets: readonly ProbeTarget[], session: TraceSession): Promise<void> {
  {
    const specs: ProgramSpec[] = [];
    const counts = countsMapSpec(targets.length);
    attachTargets(session, targets, {
      pid: o.pid,
      prefix: 'funccount',
      build: (shape) =>
        countProgram({
          name: shape.name,
          progType: shape.progType,
          expectedAttachType: shape.expectedAttachType,
          counts,
          slot: shape.slot,
          filter: { pid: o.pid, cpu: o.cpu },
        }),
      onProgram: (spec) => specs.push(spec),
    });
    await dumpProgramStages(specs, o.dump, { asm: o.debug });
    const banner = renderFunccountBanner(targets.length, o.pattern);
    if (o.json) process.stderr.write(banner);
    else await out(banner);

    await report(o, targets, session);
  }
}

/** The intervals: each prints what the running counters grew by since the last. */
async function report(o: FunccountOptions, targets: readonly ProbeTarget[], session: TraceSession): Promise<void> {
  const countsMap = session.maps.get('counts')!;
  const totals = () => decodeCounts(countsMap.lookup(new Uint8Array(4))!);
  const exporter = o.prometheus ? await serveCounts(o, o.prometheus, targets, totals) : undefined;
  let previous = new Array<bigint>(targets.length).fill(0n);
  await runIntervals(
    { interval: o.interval, duration: o.duration, onSignal: 'report' },
    {
      // Counters are never cleared in the kernel: each interval prints the difference, so no
      // increment is lost between reading and clearing.
      read: () => {
        const now = totals();
        const rows = targets.map((t, i) => ({ name: t.name, count: now[i] - previous[i] }));
        previous = now;
        return rows;
      },
      print: (rows) =>
        out(o.json ? jsonInterval(o, targets, rows, new Date()) : renderFunccountTable(rows, { timestamp: o.timestamp ? new Date() : undefined })),
    },
  );
  await exporter?.close();
  if (!o.json) await out(DETACHING);
}

/** One `--json` document: the counts of this interval, non-zero, ascending as the table. */
export function jsonInterval(
  o: Pick<FunccountOptions, 'pattern' | 'pid'>,
  targets: readonly ProbeTarget[],
  rows: readonly { name: string; count: bigint }[],
  time: Date,
): string {
  const counts = byCountAscending(rows.map((r, i) => ({ ...r, target: targets[i]! })).filter((r) => r.count > 0n));
  return jsonDocument(
    record({
      tool: 'funccount',
      time: time.toISOString(),
      pattern: o.pattern,
      pid: o.pid,
      counts: list(counts.map((r) => countRecord(r.target, r.count))),
    }),
  );
}

/** One function's count, as `--json` lists it and `--prometheus` labels it (pid: Prometheus only). */
function countRecord(t: ProbeTarget, count: bigint, pid?: number): OutputValue {
  return record({ function: t.name, library: targetLibrary(t), pid, count });
}

/** `--prometheus`: `funccount_calls_total{function,library[,pid]}`, the kernel's totals at each scrape. */
async function serveCounts(o: FunccountOptions, addr: ListenAddress, targets: readonly ProbeTarget[], totals: () => bigint[]) {
  const { serveMetrics } = await import('../report/metrics-server.js');
  return serveMetrics(addr, () => {
    const t = totals();
    const rows = targets.map((x, i) => countRecord(x, t[i]!, o.pid));
    return renderPrometheus([{ type: 'counter', name: 'funccount_calls', help: `Calls counted by funccount ${o.pattern}`, rows, value: 'count' }]);
  });
}
