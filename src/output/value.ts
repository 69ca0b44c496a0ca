/**
 * What decoders hand to renderers (after bpftrace's output model): a primitive, a
 * histogram, a map of keys to values, or a stack. Integers from the kernel are bigint.
 */

export type Primitive =
  | bigint
  | number
  | string
  | boolean
  | { readonly sym: string; readonly addr: bigint }
  | readonly Primitive[];

export interface HistBucket {
  /** Inclusive bounds, as printed (`0 -> 1` is lo 0, hi 1). */
  readonly lo: bigint;
  readonly hi: bigint;
  readonly count: bigint;
}

export interface StackFrame {
  readonly addr: bigint;
  /** Undefined when unresolved (printed `[unknown]`). */
  readonly sym?: string;
  readonly module?: string;
}

export type OutputValue =
  | { readonly kind: 'primitive'; readonly value: Primitive }
  | { readonly kind: 'histogram'; readonly unit?: string; readonly buckets: readonly HistBucket[] }
  | { readonly kind: 'map'; readonly entries: readonly (readonly [key: Primitive, value: OutputValue])[] }
  | { readonly kind: 'stack'; readonly frames: readonly StackFrame[] };

/**
 * The buckets of a BCC log2 table (`slots[i]` = count of bpf_log2l slot i), as BCC prints
 * them: slots 1..highest non-empty, slot 1 as `0 -> 1`. Empty when nothing above slot 0.
 */
export function log2Buckets(slots: readonly bigint[]): HistBucket[] {
  let idxMax = -1;
  slots.forEach((v, i) => {
    if (v > 0n) idxMax = i;
  });
  const out: HistBucket[] = [];
  for (let i = 1; i <= idxMax; i++) {
    const high = (1n << BigInt(i)) - 1n;
    const low = i === 1 ? 0n : (1n << BigInt(i)) >> 1n;
    out.push({ lo: low, hi: high, count: slots[i] ?? 0n });
  }
  return out;
}
