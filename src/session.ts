/**
 * A TraceSession owns every kernel object a tool creates (maps, programs, links) and
 * releases them in reverse order, exactly once, on every exit path. Objects are fd-owned,
 * so even SIGKILL leaves nothing behind: the kernel closes the fds and detaches — uprobes
 * excepted, whose breakpoints a dying task cannot remove: their links live in the uprobe
 * keeper (attach/keeper.ts).
 */
import { BpfMap } from './kernel/map.js';
import { loadProgram, type LoadOptions, type LoadedProgram } from './kernel/program.js';
import type { MapSpec, ProgramSpec } from './emit/types.js';
import type { Link } from './attach/link.js';

/**
 * About how long closing one link with `slowClose` takes (a perf event: an RCU grace period;
 * measured 70–110 ms for tracepoints and uprobes on 6.18). Past a second in all, release()
 * says what it is doing.
 */
const SLOW_CLOSE_MS = 70;
const SLOW_RELEASE_MS = 1000;

/** Sessions not yet disposed, so a fatal error anywhere can still release them. */
const live = new Set<TraceSession>();

/** Dispose every live session (the last resort of an uncaught exception). */
export function disposeLiveSessions(): void {
  for (const s of [...live]) s.dispose();
}

export class TraceSession implements Disposable {
  readonly maps = new Map<string, BpfMap>();
  readonly programs: LoadedProgram[] = [];
  readonly links: Link[] = [];
  #stack: Disposable[] = [];
  #disposed = false;

  constructor() {
    live.add(this);
  }

  own<T extends Disposable>(x: T): T {
    this.#stack.push(x);
    return x;
  }

  /** Create (or reuse, by name) a map. Two programs naming the same map share it. */
  map(spec: MapSpec): BpfMap {
    const have = this.maps.get(spec.name);
    if (have) {
      const s = have.spec;
      if (s.type !== spec.type || s.keySize !== spec.keySize || s.valueSize !== spec.valueSize || s.maxEntries !== spec.maxEntries) {
        throw new Error(`internal: map ${spec.name} declared twice with different shapes`);
      }
      return have;
    }
    const m = this.own(BpfMap.create(spec));
    this.maps.set(spec.name, m);
    return m;
  }

  load(spec: ProgramSpec, opts: LoadOptions = {}): LoadedProgram {
    for (const m of spec.maps) this.map(m);
    const p = this.own(loadProgram(spec, this.maps, opts));
    this.programs.push(p);
    return p;
  }

  attach(link: Link): Link {
    this.links.push(link);
    return this.own(link);
  }

  get disposed(): boolean {
    return this.#disposed;
  }

  /** Detach links first (stop events), then programs, then maps. */
  dispose(): void {
    if (this.#disposed) return;
    this.#disposed = true;
    live.delete(this);
    const stack = this.#stack;
    this.#stack = [];
    for (let i = stack.length - 1; i >= 0; i--) {
      try {
        stack[i][Symbol.dispose]();
      } catch {
        // Keep releasing the rest: one failure must not leak the others.
      }
    }
  }

  /**
   * dispose(), for the end of a run. When closing the links will take more than a second
   * (many perf events: `t:*:*` without raw tracepoints, hundreds of uprobes without
   * uprobe_multi), says `Detaching N probes…` on stderr first and closes them one at a time,
   * letting the event loop run in between, so that a Ctrl-C meanwhile is answered (the kernel
   * is releasing them; exiting would not be quicker: it closes the same fds) instead of being
   * ignored in silence.
   */
  async release(say: (text: string) => void = (t) => void process.stderr.write(t)): Promise<void> {
    const slow = this.links.filter((l) => l.slowClose);
    if (this.#disposed || slow.length * SLOW_CLOSE_MS <= SLOW_RELEASE_MS) return this.dispose();
    say(`Detaching ${slow.length} probes…\n`);
    let left = slow.length;
    const explain = () => say(`still detaching: the kernel is releasing ${left} more probes, one RCU grace period each; this ends by itself\n`);
    const signals = ['SIGINT', 'SIGTERM', 'SIGHUP'] as const;
    for (const sig of signals) process.on(sig, explain);
    try {
      for (let i = slow.length - 1; i >= 0 && !this.#disposed; i--) {
        await new Promise<void>((resolve) => setImmediate(resolve));
        try {
          slow[i]!.close();
        } catch {
          // dispose() below tries again and goes on with the rest.
        }
        left--;
      }
    } finally {
      for (const sig of signals) process.off(sig, explain);
    }
    this.dispose();
  }

  [Symbol.dispose](): void {
    this.dispose();
  }
}
