/**
 * Loss is never silent: what the kernel could not deliver or count is kept in per-CPU
 * counters (u64 slots of a PERCPU_ARRAY that only grow), and each report says what they
 * grew by since the last one, on stderr, in one message per kind of loss:
 *
 * | kind | counted by | message |
 * |---|---|---|
 * | lost-events | trace: the full ring/perf buffer dropped a record | `N events lost` |
 * | read-errors | trace, argdist: a probe read of memory failed (value read as 0) | `N reads of user memory failed` |
 * | dropped-keys | argdist -C: the full frequency hash refused a new key | `argdist: N events not counted for 'SPEC': its map is full (K keys; --max-entries raises it)` |
 * | lost-stacks | stackcount: the stack map could not keep a stack | `N stacks lost (stack map full or hash bucket taken)` |
 * | dropped-counts | stackcount: the full counts hash refused a new key | `N events dropped (counts map full)` |
 *
 * A `Counter` reads a running total, returns the increase since its last report and
 * remembers the total; the same increase goes into the tool's --json document, so text and
 * JSON always agree.
 */

/** What reading a per-CPU counter needs of a map (a BpfMap; a fake in tests). */
export interface CounterMap {
  lookup(key: Uint8Array): Uint8Array | undefined;
  /** The sum over CPUs of a per-CPU u64 value. */
  sumU64(value: Uint8Array): bigint;
}

/** Slot `slot` of a per-CPU u64 array, summed over CPUs; 0 when there is no map or slot. */
export function readSlot(map: CounterMap | undefined, slot = 0): bigint {
  if (!map) return 0n;
  const key = new Uint8Array(4);
  new DataView(key.buffer).setUint32(0, slot, true);
  const v = map.lookup(key);
  return v ? map.sumU64(v) : 0n;
}

export type CounterKind =
  | { readonly kind: 'lost-events' }
  | { readonly kind: 'read-errors' }
  | { readonly kind: 'dropped-keys'; readonly spec: string; readonly entries: number }
  | { readonly kind: 'lost-stacks' }
  | { readonly kind: 'dropped-counts' };

/** The one stderr line for `n` (> 0) losses of a kind. */
export function counterMessage(k: CounterKind, n: bigint): string {
  switch (k.kind) {
    case 'lost-events':
      return `${n} events lost\n`;
    case 'read-errors':
      return `${n} reads of user memory failed\n`;
    case 'dropped-keys':
      return `argdist: ${n} events not counted for '${k.spec}': its map is full (${k.entries} keys; --max-entries raises it)\n`;
    case 'lost-stacks':
      return `${n} stacks lost (stack map full or hash bucket taken)\n`;
    case 'dropped-counts':
      return `${n} events dropped (counts map full)\n`;
    default: {
      const never: never = k;
      return never;
    }
  }
}

export type Say = (line: string) => void;

const stderr: Say = (line) => {
  process.stderr.write(line);
};

/** A running total from the kernel, reported as its increase since the last report. */
export class Counter {
  #reported = 0n;

  /**
   * @param read the running total now (e.g. `() => readSlot(map, 3)`)
   * @param kind what it counts, for its message
   * @param say where messages go (stderr)
   */
  constructor(
    private readonly read: () => bigint,
    readonly kind: CounterKind,
    private readonly say: Say = stderr,
  ) {}

  /** A counter of slot `slot` of a per-CPU array (none: always 0). */
  static slot(map: CounterMap | undefined, slot: number, kind: CounterKind, say?: Say): Counter {
    return new Counter(() => readSlot(map, slot), kind, say);
  }

  /** The running total at the last report (`extra` included). */
  get total(): bigint {
    return this.#reported;
  }

  /**
   * The increase since the last report (the first: since the start), said when not zero.
   * `extra` adds losses only user space knows of (trace: events left unread at exit).
   */
  report(extra = 0n): bigint {
    const total = this.read() + extra;
    const d = total - this.#reported;
    this.#reported = total;
    if (d > 0n) this.say(counterMessage(this.kind, d));
    return d > 0n ? d : 0n;
  }
}
