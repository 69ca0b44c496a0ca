/**
 * Double-buffered hashes, read exactly: the programs count in one of two hashes, chosen by
 * slot 0 of a one-element index array they read on every event (argdist -C's `ad_active`,
 * stackcount's `sc_active`; see compile/tools/argdist.ts and stacks.ts). At each interval the
 * reader flips the index, waits until every program that may have read the old index has
 * returned (an RCU grace period: kernel/barrier.ts), then drains the hash they counted in.
 * Nothing writes that hash any more, so no increment falls between the read and the delete.
 */
import { ProgramBarrier } from '../kernel/barrier.js';
import type { TraceSession } from '../session.js';

/** The index array the programs read (`update` of key 0). */
export interface IndexMap {
  update(key: Uint8Array, value: Uint8Array): void;
}

export interface Barrier {
  /** Returns once every program running at the call has returned. */
  wait(): void;
}

/** A hash that can be read and emptied in one go (BpfMap.drain). */
export interface Drainable<E> {
  drain(): E[];
}

export type Pair<T> = readonly [T, T];

export class DoubleBuffer {
  #active: 0 | 1 = 0;

  constructor(
    private readonly index: IndexMap,
    private readonly barrier: Barrier,
  ) {}

  /** A double buffer flipped through `index`, with a barrier the session owns. */
  static open(session: TraceSession, index: IndexMap): DoubleBuffer {
    return new DoubleBuffer(index, session.own(new ProgramBarrier()));
  }

  /** Which hash of each pair the programs count in now (0 at the start). */
  get active(): 0 | 1 {
    return this.#active;
  }

  /** The hash of `pair` the programs count in now. */
  live<T>(pair: Pair<T>): T {
    return pair[this.#active];
  }

  /**
   * Point the programs at the other hash and wait until none counts in the old one. The old
   * one is then `idle(pair)` until the next flip.
   */
  flip(): void {
    const next = new Uint8Array(4);
    new DataView(next.buffer).setUint32(0, this.#active ^ 1, true);
    this.index.update(new Uint8Array(4), next);
    this.barrier.wait();
    this.#active ^= 1;
  }

  /** The hash of `pair` the programs stopped counting in at the last flip. */
  idle<T>(pair: Pair<T>): T {
    return pair[this.#active ^ 1]!;
  }

  /** Flip, then drain the idle hash of every pair: this interval's entries, exactly. */
  take<E>(pairs: readonly Pair<Drainable<E>>[]): E[][] {
    this.flip();
    return pairs.map((p) => this.idle(p).drain());
  }
}
