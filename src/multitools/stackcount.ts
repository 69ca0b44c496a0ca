/**
 * stackcount: count events by their kernel and user stacks, as BCC's stackcount does, with
 * its options (-p -c -i -D -T -r -s -P -K -U -v -d -f --debug) and its exact output, plus
 * `--svg FILE` (an interactive flame graph) and `--json`.
 *
 * Differences from BCC 0.26, on purpose: comm prints as text (not `b'comm'`); user frames
 * are symbolised through the process's maps even without -P (the tgid stays in the key);
 * lost stacks are counted and reported on stderr; -c 0 filters CPU 0; -K with -U exits 1.
 */
import { setFlagsFromString } from 'node:v8';
import { releaseFreeMemory } from '../sys/malloc.js';
import { toolCommand, intArg, parseDump, pidArg, secondsArg, cpuArg } from './options.js';
import { runWithSession, out, stopped } from '../report/lifecycle.js';
import { runIntervals } from '../report/interval.js';
import { DoubleBuffer } from '../report/double-buffer.js';
import { Counter } from '../report/counters.js';
import { TracerError, UsageError } from '../errors.js';
import type { ProbeTarget } from '../probes/targets.js';
import { stackMaps, stackProgram, decodeStackKey, LOST_STACKS, DROPPED_COUNTS } from '../compile/tools/stacks.js';
import { attachTargets } from '../attach/targets.js';
import type { TraceSession } from '../session.js';
import type { BpfMap } from '../kernel/map.js';
import { StackNamer, stackIdKey, SLICE_MS } from '../report/stack-namer.js';
import { planPattern } from '../pipeline/pattern.js';
import { requireProcess } from '../pipeline/process.js';
import { dumpProgramStages, dumpResolved, dumpStage } from '../pipeline/dump.js';
import type { ProgramSpec } from '../emit/types.js';
import { renderFunccountBanner, DETACHING } from '../output/funccount.js';
import { stackcountIntervalPieces, renderStackcountFolded, NO_TGID, type StackcountEntry, type Frame } from '../output/stackcount.js';
import { Symbolizer } from '../output/symbolize.js';
import { renderFlameGraph, DEFAULT_WIDTH, type FoldedStack } from '../output/flamegraph.js';
import { checkOutputPath, OutputFile } from '../output/write-file.js';
import { jsonDocument } from '../output/json.js';
import { record, list, stack, byCountAscending } from '../output/value.js';

export interface StackcountOptions {
  readonly pattern: string;
  readonly pid?: number;
  readonly cpu?: number;
  readonly interval?: number;
  readonly duration?: number;
  readonly timestamp: boolean;
  readonly regexp: boolean;
  readonly offset: boolean;
  readonly perpid: boolean;
  readonly kernelOnly: boolean;
  readonly userOnly: boolean;
  readonly verbose: boolean;
  readonly delimited: boolean;
  readonly folded: boolean;
  readonly debug: boolean;
  readonly svg?: string;
  /** The flame graph's title, width (px) and icicle layout (flamegraph.pl's options). */
  readonly title?: string;
  readonly width: number;
  readonly inverted: boolean;
  readonly json: boolean;
  readonly dump: readonly string[];
}

const EPILOG = `examples:
    stackcount submit_bio         # count kernel stack traces for submit_bio
    stackcount -d ip_output       # include a user/kernel stack delimiter
    stackcount -s ip_output       # show symbol offsets
    stackcount -sv ip_output      # show offsets and raw addresses (verbose)
    stackcount 'tcp_send*'        # count stacks for funcs matching tcp_send*
    stackcount -r '^tcp_send.*'   # same as above, using regular expressions
    stackcount -Ti 5 ip_output    # output every 5 seconds, with timestamps
    stackcount -p 185 ip_output   # count ip_output stacks for PID 185 only
    stackcount -c 1 put_prev_entity   # count put_prev_entity stacks for CPU 1 only
    stackcount -p 185 c:malloc    # count stacks for malloc in PID 185
    stackcount t:sched:sched_fork # count stacks for sched_fork tracepoint
    stackcount -p 185 u:node:*    # count stacks for all USDT probes in node
    stackcount -K t:sched:sched_switch   # kernel stacks only
    stackcount -U t:sched:sched_switch   # user stacks only
    stackcount rt:sched_switch    # the raw tracepoint (rawtracepoint:NAME)
    stackcount -f -P c:malloc > out.folded   # folded stacks for flamegraph.pl
    stackcount --svg malloc.svg -P c:malloc  # an interactive flame graph
    stackcount --svg sw.svg --inverted --title 'switches' t:sched:sched_switch   # icicle graph`;

export function parseOptions(argv: readonly string[], prog: string): StackcountOptions {
  const cmd = toolCommand(prog, 'Count events and their stack traces', EPILOG)
    .argument('<pattern>', 'search expression for events')
    .option('-p, --pid <PID>', 'trace this PID only', pidArg())
    .option('-c, --cpu <CPU>', 'trace this CPU only', cpuArg())
    .option('-i, --interval <INTERVAL>', 'summary interval, seconds', secondsArg('interval'))
    .option('-D, --duration <DURATION>', 'total duration of trace, seconds', secondsArg('duration'))
    .option('-T, --timestamp', 'include timestamp on output', false)
    .option('-r, --regexp', 'use regular expressions. Default is "*" wildcards only.', false)
    .option('-s, --offset', 'show address offsets', false)
    .option('-P, --perpid', 'display stacks separately for each process', false)
    .option('-K, --kernel-stacks-only', 'kernel stack only', false)
    .option('-U, --user-stacks-only', 'user stack only', false)
    .option('-v, --verbose', 'show raw addresses', false)
    .option('-d, --delimited', 'insert delimiter between kernel/user stacks', false)
    .option('-f, --folded', 'output folded format', false)
    .option('--debug', 'print BPF program before starting (for debugging purposes)', false)
    .option('--svg <FILE>', 'also write an interactive flame graph (SVG) to FILE (replaced whole at each interval; a symlink is refused)')
    .option('--title <TEXT>', 'title of the flame graph (stackcount PATTERN unless given)')
    .option('--width <PX>', 'width of the flame graph in pixels (1200 unless given)', intArg('width', { min: 200 }), DEFAULT_WIDTH)
    .option('--inverted', 'flame graph upside down: root at the top (an icicle graph)', false)
    .option('--json', 'print one JSON document per interval', false)
    .option('--dump <STAGES>', 'print intermediate stages: ast,resolved,ir,asm', parseDump, []);
  cmd.parse([...argv], { from: 'user' });
  const o = cmd.opts();
  if (o.svg === undefined) {
    for (const [flag, given] of [
      ['--title', o.title !== undefined],
      ['--width', cmd.getOptionValueSource('width') === 'cli'],
      ['--inverted', o.inverted],
    ] as const) {
      if (given) throw new UsageError(`argument ${flag}: it shapes the flame graph: give --svg FILE too`, [`see '${prog} -h'`]);
    }
  }
  return {
    pattern: cmd.args[0]!,
    pid: o.pid,
    cpu: o.cpu,
    interval: o.interval,
    duration: o.duration,
    timestamp: o.timestamp,
    regexp: o.regexp,
    offset: o.offset,
    perpid: o.perpid,
    kernelOnly: o.kernelStacksOnly,
    userOnly: o.userStacksOnly,
    verbose: o.verbose,
    delimited: o.delimited,
    folded: o.folded,
    debug: o.debug,
    svg: o.svg,
    title: o.title,
    width: o.width,
    inverted: o.inverted,
    json: o.json,
    dump: o.dump,
  };
}

/** BCC's derived settings. */
export interface StackcountPlan {
  readonly kernelStack: boolean;
  readonly userStack: boolean;
  readonly perpid: boolean;
  readonly delimiter: boolean;
}

export function plan(o: StackcountOptions): StackcountPlan {
  if (o.kernelOnly && o.userOnly) {
    throw new TracerError('-K and -U are mutually exclusive. If you want both stacks, that is the default.');
  }
  return {
    kernelStack: !o.userOnly,
    userStack: !o.kernelOnly,
    perpid: o.perpid || o.pid !== undefined,
    delimiter: o.delimited && !o.kernelOnly && !o.userOnly,
  };
}

/**
 * Two V8 heap knobs for a run that lasts (issue 20; measured by the churn soak). V8 grows the
 * young generation (to 2 × 16 MiB on Node 20, 2 × 32 MiB on Node 24) once enough bytes have
 * survived scavenges in total — a count that never resets, so every long run gets there — and
 * gives it back only while allocation is slow; and it lets the old generation grow to up to
 * 4 × what was live at the last full collection before collecting again. stackcount's lasting
 * data (symbol indexes, names) is small, while each interval's stacks and each new process's
 * maps die within seconds: RSS swung between 125 and 250 MB. So the young generation keeps its
 * initial size (1 MiB semi-spaces: more scavenges, each well under a millisecond) and the old
 * generation grows to 1.5 × its live size (a full collection every few seconds under churn,
 * its marking mostly on V8's background thread). `--max-semi-space-size` and
 * `--max-old-space-size` are read only from node's command line; these two are read at each
 * growth, so setting them here holds.
 */
function boundHeap(): void {
  setFlagsFromString('--semi-space-growth-factor=1');
  setFlagsFromString('--heap-growing-percent=50');
}

export async function run(argv: readonly string[], prog: string): Promise<void> {
  const o = parseOptions(argv, prog);
  boundHeap();
  // Before anything is attached: a flame graph that could not be written is a lost result.
  checkOutputPath('--svg', o.svg);
  const p = plan(o);
  requireProcess(o.pid);
  const resolved = planPattern(o.pattern, 'stackcount', { regex: o.regexp, pid: o.pid });
  await dumpStage(o.dump, 'ast', resolved.ast);
  const targets = resolved.probes.map((x) => x.target);
  await dumpResolved(o.dump, [{ probe: o.pattern, resolved: resolved.probes }]);

  await runWithSession(o.pid, (session) => trace(o, p, targets, session, prog));
}

/**
 * Test hook: POLYTRACE_TEST_MAP_ENTRIES=N gives each counts hash and the stack map N entries
 * (so a test can fill them).
 */
function testMapEntries(): { countEntries?: number; stackEntries?: number } {
  const n = Number(process.env['POLYTRACE_TEST_MAP_ENTRIES'] ?? 0);
  return Number.isInteger(n) && n > 0 ? { countEntries: n, stackEntries: n } : {};
}

async function trace(o: StackcountOptions, p: StackcountPlan, targets: readonly ProbeTarget[], session: TraceSession, prog: string): Promise<number> {
  const maps = stackMaps(testMapEntries());
  const specs: ProgramSpec[] = [];
  attachTargets(session, targets, {
    pid: o.pid,
    prefix: 'stackcount',
    build: (shape) =>
      stackProgram({
        name: shape.name,
        progType: shape.progType,
        expectedAttachType: shape.expectedAttachType,
        maps,
        // A uprobe fires with user registers: the kernel stack is always empty there.
        kernelStack: p.kernelStack && shape.hook !== 'uprobe',
        userStack: p.userStack,
        comm: p.perpid,
        filter: { pid: o.pid, cpu: o.cpu },
        slot: shape.slot,
      }),
    onProgram: (s) => specs.push(s),
  });
  await dumpProgramStages(specs, o.dump, { asm: o.debug });
  const sym = new Symbolizer();
  // Attached: read kallsyms while the first events come in, not after the stop.
  if (p.kernelStack) void sym.prepare();
  const banner = renderFunccountBanner(targets.length, o.pattern);
  if (o.json) process.stderr.write(banner);
  else if (!o.folded) await out(banner);

  return report(o, p, maps, session, prog, sym);
}

/** How often the new stacks are named while tracing (and new processes' maps read). */
const POLL_MS = 500;
/** How often free malloc memory is given back while tracing (and after each report). */
const TRIM_MS = 10_000;

/**
 * The intervals: stacks taken from the double-buffered counts, symbolised, printed and drawn.
 * Exits 1 when the flame graph could not be written at the end (the text report is on stdout).
 */
async function report(
  o: StackcountOptions,
  p: StackcountPlan,
  maps: ReturnType<typeof stackMaps>,
  session: TraceSession,
  prog: string,
  sym: Symbolizer,
): Promise<number> {
  if (o.pid !== undefined) sym.notice(o.pid);
  // The double-buffered counts (compile/tools/stacks.ts): the programs count in one of the
  // two hashes; each interval takes the other one, which nothing writes any more.
  const hashes = [session.maps.get(maps.counts.name)!, session.maps.get(maps.countsB.name)!] as const;
  const counts = DoubleBuffer.open(session, session.maps.get(maps.active.name)!);
  const stacks = session.maps.get('stack_traces')!;
  const lost = session.maps.get('lost')!;
  const lostStacks = Counter.slot(lost, LOST_STACKS, { kind: 'lost-stacks' });
  const droppedCounts = Counter.slot(lost, DROPPED_COUNTS, { kind: 'dropped-counts' });
  const allFolded = new Map<string, bigint>();
  const svg = o.svg !== undefined ? new OutputFile(o.svg, 'flame graph', prog) : undefined;
  const namer = new StackNamer(sym, stacks, p, o);
  let trimmedAt = performance.now();
  await runIntervals(
    {
      interval: o.interval,
      duration: o.duration,
      onSignal: 'report',
      step: {
        ms: POLL_MS,
        tick: async () => {
          await namer.tick(counts.live(hashes));
          // Without -i the report comes only at the end: trim between reports too.
          if (performance.now() - trimmedAt >= TRIM_MS) {
            releaseFreeMemory();
            trimmedAt = performance.now();
          }
        },
      },
    },
    {
      read: async () => {
        // Swept before the flip: every count of theirs is in the hash taken now.
        const printedGone = sym.gone();
        const entries = await readStacks(counts.take([hashes])[0]!, stacks, namer, p);
        namer.reset();
        return { entries, lost: lostStacks.report(), dropped: droppedCounts.report(), printedGone };
      },
      print: async ({ entries, lost, dropped, printedGone }) => {
        if (svg) drawFlameGraph(o, p, allFolded, entries, svg);
        if (o.json) await out(jsonInterval(o, entries, lost, dropped));
        else {
          // In pieces: one interval of -P on a busy machine is megabytes of text.
          const pieces = stackcountIntervalPieces(entries, {
            folded: o.folded,
            timestamp: o.timestamp ? new Date() : undefined,
            verbose: o.verbose,
            delimited: p.delimiter,
            pidFiltered: o.pid !== undefined,
          });
          for (const piece of pieces) await out(piece);
        }
        sym.release(printedGone);
        // The interval's stacks and the exited processes' maps are garbage now; what malloc
        // kept of earlier ones goes back to the kernel.
        releaseFreeMemory();
        trimmedAt = performance.now();
      },
    },
  );
  if (!o.folded && !o.json) await out(DETACHING);
  return svg?.failed ? 1 : 0;
}

/**
 * After a stop, how long symbolization may still take before frames print as addresses. It is
 * generous: reading kallsyms alone takes seconds on a slow machine (~4 s in the TCG test VM),
 * and names are the output; the bound only guards against a pathological number of stacks.
 */
const STOP_BUDGET_MS = 30_000;

/**
 * Read (and free) the stacks the drained counts name, symbolise, merge as BCC keys them.
 *
 * Stack ids stay valid until here: a stack is deleted only after the entries naming it were
 * read. An event counted in the live hash after the flip may name a stack deleted here; the
 * next event on that stack stores it again under the same id (the id is its hash bucket), and
 * only when none comes does its count print without that stack's frames (as before the
 * double-buffering: the counts are exact, this stack map is shared by both hashes).
 *
 * Most stacks were named while tracing (StackNamer ticks); the rest are named here, and the
 * work yields to the event loop every SLICE_MS, so Ctrl-C is seen while it runs. Once a stop
 * was asked for, it goes on for at most STOP_BUDGET_MS; frames not resolved by then print as
 * their address.
 */
async function readStacks(
  drained: ReadonlyArray<readonly [Uint8Array, Uint8Array]>,
  stacks: BpfMap,
  namer: StackNamer,
  p: StackcountPlan,
): Promise<StackcountEntry[]> {
  const ids = new Set<number>();
  let sliceEnd = performance.now() + SLICE_MS;
  let stopDeadline: number | undefined;
  const hurry = (): boolean => {
    if (stopDeadline === undefined && stopped()) stopDeadline = performance.now() + STOP_BUDGET_MS;
    return stopDeadline !== undefined && performance.now() > stopDeadline;
  };
  const merged = new Map<string, StackcountEntry & { count: bigint }>();
  try {
    for (const [k, v] of drained) {
      if (performance.now() > sliceEnd) {
        await new Promise((r) => setImmediate(r));
        sliceEnd = performance.now() + SLICE_MS;
      }
      const key = decodeStackKey(k);
      const n = new DataView(v.buffer, v.byteOffset, v.byteLength).getBigUint64(0, true);
      if (key.kernelId >= 0) ids.add(key.kernelId);
      if (key.userId >= 0) ids.add(key.userId);
      const raw = hurry();
      const kernel = namer.kernelFrames(key.kernelId, raw);
      const user = namer.userFrames(key.tgid, key.userId, raw);
      const tgid = p.perpid ? key.tgid : NO_TGID;
      const comm = p.perpid ? key.comm : '';
      const id = p.perpid ? `${key.tgid}\0${key.comm}\0${key.kernelId}\0${key.userId}` : `${key.kernelId}\0${key.userId}\0${user.map((f) => f.name).join(';')}`;
      const have = merged.get(id);
      if (have) have.count += n;
      else merged.set(id, { kernel, user, tgid, comm, count: n });
    }
  } finally {
    // Free the stacks read, so a long run does not fill the stack map.
    for (const id of ids) stacks.delete(stackIdKey(id));
  }
  return [...merged.values()];
}

/** `--svg`: this interval's stacks added to the folded totals, the flame graph rewritten. */
function drawFlameGraph(o: StackcountOptions, p: StackcountPlan, folded: Map<string, bigint>, entries: readonly StackcountEntry[], file: OutputFile): void {
  for (const line of renderStackcountFolded(entries, { delimited: p.delimiter }).split('\n')) {
    const m = /^(.*) (\d+)$/.exec(line);
    if (m) folded.set(m[1]!, (folded.get(m[1]!) ?? 0n) + BigInt(m[2]!));
  }
  const stacks: FoldedStack[] = [...folded].map(([line, count]) => {
    const frames = line.split(';');
    if (frames[0] === '') frames.shift();
    return { frames, count };
  });
  file.write(renderFlameGraph(stacks, { title: o.title ?? `stackcount ${o.pattern}`, width: o.width, inverted: o.inverted, countName: 'events' }));
}

/** One `--json` document: this interval's stacks ascending by count, and what it lost. */
export function jsonInterval(
  o: Pick<StackcountOptions, 'pattern'>,
  entries: readonly StackcountEntry[],
  lost: bigint,
  dropped: bigint,
  time = new Date(),
): string {
  const frames = (fs: readonly Frame[]) => stack(fs.map((f) => ({ addr: f.addr, sym: f.name })));
  return jsonDocument(
    record({
      tool: 'stackcount',
      time: time.toISOString(),
      pattern: o.pattern,
      stacks: list(
        byCountAscending(entries).map((e) =>
          record({
            count: e.count,
            ...(e.tgid !== NO_TGID ? { tgid: e.tgid, comm: e.comm } : {}),
            kernel: frames(e.kernel),
            user: frames(e.user),
          }),
        ),
      ),
      lost,
      dropped,
    }),
  );
}
