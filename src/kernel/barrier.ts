/**
 * Waiting for running BPF programs: after `ProgramBarrier.wait()` returns, every non-sleepable
 * BPF program that was running when it was called has finished.
 *
 * Such programs (tracepoints, kprobes, uprobes, fentry, raw tracepoints) run inside an RCU
 * read-side critical section, so an RCU grace period is the wait. The bpf(2) syscall gives one
 * on purpose: an update of a map-in-map (ARRAY_OF_MAPS / HASH_OF_MAPS) calls
 * maybe_wait_bpf_programs(), i.e. synchronize_rcu(), before it returns, "so that user space,
 * when we return to it, knows that all non-sleepable programs that could be running use the
 * new map value" (kernel/bpf/syscall.c). The barrier is a one-slot ARRAY_OF_MAPS whose slot is
 * rewritten with the same inner map: nothing reads it, the update is only for its wait (one
 * grace period: milliseconds).
 *
 * Use: flip a value the programs read (e.g. which of two maps is active), `wait()`, and the
 * programs that read the old value are done.
 */
import { Fd } from '../sys/fd.js';
import { NativeBuffer } from '../sys/mem.js';
import { mapCreate, mapUpdateElem } from '../sys/bpf.js';
import { MapType } from '../emit/types.js';

export class ProgramBarrier implements Disposable {
  readonly #outer: Fd;
  readonly #inner: Fd;
  readonly #key = new NativeBuffer(4);
  readonly #value = new NativeBuffer(4);

  constructor() {
    this.#inner = new Fd(mapCreate({ type: MapType.Array, keySize: 4, valueSize: 4, maxEntries: 1, name: 'pt_barrier_in' }));
    try {
      this.#outer = new Fd(
        mapCreate({
          type: MapType.ArrayOfMaps,
          keySize: 4,
          valueSize: 4,
          maxEntries: 1,
          innerMapFd: this.#inner.value,
          name: 'pt_barrier',
        }),
      );
    } catch (e) {
      this.#inner.close();
      throw e;
    }
    this.#value.dv.setUint32(0, this.#inner.value, true);
  }

  /** Returns once every BPF program running at the call has returned (an RCU grace period). */
  wait(): void {
    mapUpdateElem(this.#outer.value, this.#key, this.#value);
  }

  close(): void {
    this.#outer.close();
    this.#inner.close();
  }

  [Symbol.dispose](): void {
    this.close();
  }
}
