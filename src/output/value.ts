/**
 * What decoders hand to renderers (after bpftrace's output model): a primitive, a
 * histogram, a stack, a list, or a record of named values. Integers from the kernel are
 * bigint. Every tool's `--json` document is one record, rendered by `renderJson`
 * (output/json.ts), so one place decides how a histogram, a stack or a u64 is written.
 *
 * A keyed count (funccount's function and library, argdist's expressions, stackcount's
 * process and stacks) is a record with its key's parts named beside the count: every
 * tool's keys are composite, so there is no separate map kind.
 */

export type Primitive = bigint | number | string | boolean | { readonly sym: string; readonly addr: bigint } | readonly Primitive[];

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
  | { readonly kind: 'stack'; readonly frames: readonly StackFrame[] }
  | { readonly kind: 'list'; readonly items: readonly OutputValue[] }
  | { readonly kind: 'record'; readonly fields: readonly (readonly [name: string, value: OutputValue])[] };

/** A field of `record()`: a value, a bare primitive, or undefined (left out). */
export type Field = OutputValue | Primitive | undefined;

function isValue(v: OutputValue | Primitive): v is OutputValue {
  return typeof v === 'object' && !Array.isArray(v) && 'kind' in v;
}

export function primitive(value: Primitive): OutputValue {
  return { kind: 'primitive', value };
}

/** A record of `fields` in their order; undefined fields are left out (never null). */
export function record(fields: { readonly [name: string]: Field }): OutputValue {
  const out: Array<readonly [string, OutputValue]> = [];
  for (const [name, v] of Object.entries(fields)) {
    if (v !== undefined) out.push([name, isValue(v) ? v : primitive(v)]);
  }
  return { kind: 'record', fields: out };
}

export function list(items: readonly Field[]): OutputValue {
  return { kind: 'list', items: items.filter((v): v is OutputValue | Primitive => v !== undefined).map((v) => (isValue(v) ? v : primitive(v))) };
}

/** A BCC log2 histogram (`slots[i]` = count of bpf_log2l slot i) as printed: see log2Buckets. */
export function log2Histogram(slots: readonly bigint[], unit?: string): OutputValue {
  return { kind: 'histogram', ...(unit !== undefined ? { unit } : {}), buckets: log2Buckets(slots) };
}

export function stack(frames: readonly StackFrame[]): OutputValue {
  return { kind: 'stack', frames };
}

/** Rows ascending by `count` (as BCC's tables print them); stable for equal counts. */
export function byCountAscending<T extends { readonly count: bigint }>(rows: readonly T[]): T[] {
  return [...rows].sort((a, b) => (a.count < b.count ? -1 : a.count > b.count ? 1 : 0));
}

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
