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
   * The links whose closing waits for the kernel (`slowClose`: a perf event per probe waits
   * for an RCU grace period), last attached first, for report/detach.ts to close one at a
   * time and say so; dispose() then closes the rest (a closed link closes again as a no-op).
   */
  slowLinks(): Link[] {
    return this.#disposed ? [] : this.links.filter((l) => l.slowClose).reverse();
  }

  [Symbol.dispose](): void {
    this.dispose();
  }
}
