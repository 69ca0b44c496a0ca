/**
 * Naming stackcount's stacks while tracing (issues 17 and 20): each tick reads the live counts
 * a chunk at a time and names every stack id not named since the last read, so a stop leaves
 * little to symbolise and exited processes' maps can be dropped early.
 */
import { stopped } from './lifecycle.js';
import { stackIdsAt, decodeStackTrace, STACK_KEY_SIZE } from '../compile/tools/stacks.js';
import type { BpfMap } from '../kernel/map.js';
import type { Frame } from '../output/stackcount.js';
import type { Symbolizer } from '../output/symbolize.js';

/**
 * Names stacks, mostly while tracing, so that little is left to do after a stop and exited
 * processes' state can go. Each tick looks at the live counts and names every stack id not
 * named since the last read (ids are freed, and may be reused, after each read); the read then
 * finds most frames ready. The Symbolizer under it looks each address up once and builds each
 * file's index once. Processes found gone at the start of a tick lose their maps once the tick
 * has named every stack counted so far.
 */
export class StackNamer {
  readonly #kernel = new Map<number, Frame[]>();
  /** tgid → stack id → frames (no string key made per lookup). */
  readonly #user = new Map<number, Map<number, Frame[]>>();

  constructor(
    private readonly sym: Symbolizer,
    private readonly stacks: Pick<BpfMap, 'lookup'>,
    private readonly p: { readonly kernelStack: boolean; readonly userStack: boolean },
    private readonly o: { readonly offset: boolean },
  ) {}

  /** The stacks were read and freed: their ids may name other stacks from now on. */
  reset(): void {
    this.#kernel.clear();
    this.#user.clear();
  }

  /** The frames of kernel stack `id` (none for a negative id). `raw`: addresses only, not kept. */
  kernelFrames(id: number, raw = false): Frame[] {
    if (id < 0) return [];
    let f = this.#kernel.get(id);
    if (!f) {
      f = this.#trace(id).map((addr) => ({ addr, name: raw ? hex(addr) : this.sym.kernel(addr, { offset: this.o.offset }) }));
      if (!raw) this.#kernel.set(id, f);
    }
    return f;
  }

  /** The frames of user stack `id` of process `tgid`, as `kernelFrames`. */
  userFrames(tgid: number, id: number, raw = false): Frame[] {
    if (id < 0) return [];
    let byId = this.#user.get(tgid);
    let f = byId?.get(id);
    if (!f) {
      if (!raw) this.sym.notice(tgid);
      f = this.#trace(id).map((addr) => ({ addr, name: raw ? hex(addr) : this.sym.user(tgid, addr, { offset: this.o.offset }) }));
      if (!raw) {
        if (!byId) this.#user.set(tgid, (byId = new Map()));
        byId.set(id, f);
      }
    }
    return f;
  }

  /**
   * Names what `live` counts; false when a stop cut it short. The counts are read a chunk at a
   * time into reused buffers (`chunks`), not copied whole: with -P and many processes the live
   * hash holds thousands of keys, read twice a second, and a copy of them, kept across the
   * slices below, was most of what the tool allocated (V8's young generation grew to its
   * maximum on it). A stack already named costs no allocation here.
   */
  async tick(live: Pick<BpfMap, 'chunks'>): Promise<boolean> {
    const gone = this.sym.exited();
    let sliceEnd = performance.now() + SLICE_MS;
    for (const chunk of live.chunks(TICK_CHUNK)) {
      const dv = new DataView(chunk.keys.buffer, chunk.keys.byteOffset, chunk.keys.byteLength);
      for (let i = 0; i < chunk.count; i++) {
        const ids = stackIdsAt(dv, i * STACK_KEY_SIZE);
        if (this.p.kernelStack) this.kernelFrames(ids.kernelId);
        if (this.p.userStack) this.userFrames(ids.tgid, ids.userId);
      }
      if (performance.now() > sliceEnd) {
        await new Promise((r) => setImmediate(r));
        if (stopped()) return false;
        sliceEnd = performance.now() + SLICE_MS;
      }
    }
    this.sym.retire(gone);
    return true;
  }

  #trace(id: number): bigint[] {
    const v = this.stacks.lookup(stackIdKey(id));
    return v ? decodeStackTrace(v) : [];
  }
}

function hex(addr: bigint): string {
  return `0x${addr.toString(16)}`;
}

export function stackIdKey(id: number): Uint8Array {
  const key = new Uint8Array(4);
  new DataView(key.buffer).setInt32(0, id, true);
  return key;
}

/** Keys read from the live counts at a time while naming. */
const TICK_CHUNK = 256;

/** How long symbolization runs before it yields to the event loop (signals, timers). */
export const SLICE_MS = 8;
