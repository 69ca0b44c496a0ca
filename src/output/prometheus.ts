/**
 * Prometheus's text exposition format (version 0.0.4), rendered from the output model
 * (`OutputValue`, output/value.ts) the tools' `--json` documents are built from: a tool gives
 * a snapshot of its running totals as metric families whose rows are `record`s, and this file
 * writes them. What --prometheus serves over HTTP is `report/metrics-server.ts`.
 *
 * A row's value field (a count, or a `histogram`) becomes the sample; every other field a
 * label: primitives as their text (bigint in decimal, strings as they are), nested records
 * flattened into their own fields. Empty labels are left out (Prometheus treats them as
 * absent anyway). Field names become label names (`labelName`: `$COMM` → `comm`,
 * `args->ret` → `args_ret`); a name taken by an earlier field gets `_2`, `_3`. Rows with equal
 * labels are one series: their counts (and buckets, and sums) add up.
 *
 * Counters are written `NAME_total`. Histograms are `NAME_bucket{le}` (cumulative, ending in
 * `le="+Inf"`), `NAME_sum` when the family names a sum field, and `NAME_count`. A histogram
 * bucket's `le` is the bucket's inclusive upper bound (`HistBucket.hi`), so the cumulative
 * count at `le` is the number of values ≤ le. A histogram in nanoseconds is exported in
 * seconds (Prometheus's base unit): bounds and sum divided by 10^9, written as exact decimals,
 * and its family's name must end in `_seconds`.
 */
import { assertNever, TracerError } from '../errors.js';
import type { HistBucket, OutputValue, Primitive } from './value.js';

/** The Content-Type of the text format. */
export const PROMETHEUS_CONTENT_TYPE = 'text/plain; version=0.0.4; charset=utf-8';

interface FamilyBase {
  /** The metric name without its type's suffixes (`funccount_calls`, `funclatency_seconds`). */
  readonly name: string;
  readonly help: string;
  /** One `record` per series. */
  readonly rows: readonly OutputValue[];
  /** The field of each row that holds the sample: a count (counter) or a `histogram`. */
  readonly value: string;
}

export type MetricFamily =
  | (FamilyBase & { readonly type: 'counter' })
  /** `sum`: the field holding the sum of the observed values, in the histogram's unit. */
  | (FamilyBase & { readonly type: 'histogram'; readonly sum?: string });

const METRIC_NAME = /^[a-zA-Z_:][a-zA-Z0-9_:]*$/;
const LABEL_NAME = /^[a-zA-Z_][a-zA-Z0-9_]*$/;

/** The text exposition of `families`, in their order. */
export function renderPrometheus(families: readonly MetricFamily[]): string {
  return families.map(renderFamily).join('');
}

function renderFamily(f: MetricFamily): string {
  if (!METRIC_NAME.test(f.name)) throw new TracerError(`internal: invalid Prometheus metric name '${f.name}'`);
  switch (f.type) {
    case 'counter': {
      const name = `${f.name}_total`;
      const series = new Map<string, { labels: string; value: bigint | number }>();
      for (const row of f.rows) {
        const { labels, value } = splitRow(row, f.value);
        const n = counterValue(value, f);
        const have = series.get(labels);
        if (!have) series.set(labels, { labels, value: n });
        else have.value = add(have.value, n);
      }
      let s = header(name, f.help, 'counter');
      for (const x of series.values()) s += `${name}${braces(x.labels)} ${formatNumber(x.value)}\n`;
      return s;
    }
    case 'histogram': {
      const series = new Map<string, HistSeries>();
      let scale: Scale | undefined;
      for (const row of f.rows) {
        const { labels, value, fields } = splitRow(row, f.value, f.sum);
        if (value.kind !== 'histogram') throw new TracerError(`internal: ${f.name}: field '${f.value}' is not a histogram`);
        const sc = unitScale(value.unit, f.name);
        scale ??= sc;
        if (sc !== scale) throw new TracerError(`internal: ${f.name}: histograms in different units`);
        const sumField = f.sum === undefined ? undefined : fields.get(f.sum);
        const sum = sumField === undefined ? undefined : counterValue(sumField, f);
        let have = series.get(labels);
        if (!have) {
          have = { labels, buckets: new Map(), sum: f.sum === undefined ? undefined : 0 };
          series.set(labels, have);
        }
        for (const b of sortedBuckets(value.buckets)) have.buckets.set(b.hi, (have.buckets.get(b.hi) ?? 0n) + b.count);
        if (have.sum !== undefined) have.sum = add(have.sum, sum ?? 0);
      }
      let s = header(f.name, f.help, 'histogram');
      for (const x of series.values()) {
        let acc = 0n;
        for (const [hi, count] of [...x.buckets].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))) {
          acc += count;
          s += `${f.name}_bucket${braces(x.labels, `le="${scaled(hi, scale)}"`)} ${acc}\n`;
        }
        s += `${f.name}_bucket${braces(x.labels, 'le="+Inf"')} ${acc}\n`;
        if (x.sum !== undefined) s += `${f.name}_sum${braces(x.labels)} ${scaled(x.sum, scale)}\n`;
        s += `${f.name}_count${braces(x.labels)} ${acc}\n`;
      }
      return s;
    }
    default:
      return assertNever(f, 'metric family');
  }
}

interface HistSeries {
  readonly labels: string;
  /** Count per inclusive upper bound. */
  readonly buckets: Map<bigint, bigint>;
  sum: bigint | number | undefined;
}

function header(name: string, help: string, type: string): string {
  return `# HELP ${name} ${escapeHelp(help)}\n# TYPE ${name} ${type}\n`;
}

function braces(labels: string, extra?: string): string {
  const all = [labels, extra].filter((x) => x !== undefined && x !== '').join(',');
  return all === '' ? '' : `{${all}}`;
}

function sortedBuckets(b: readonly HistBucket[]): readonly HistBucket[] {
  return [...b].sort((x, y) => (x.hi < y.hi ? -1 : x.hi > y.hi ? 1 : 0));
}

function add(a: bigint | number, b: bigint | number): bigint | number {
  return typeof a === 'bigint' && typeof b === 'bigint' ? a + b : Number(a) + Number(b);
}

function counterValue(v: OutputValue, f: MetricFamily): bigint | number {
  if (v.kind === 'primitive' && (typeof v.value === 'bigint' || typeof v.value === 'number')) {
    if (typeof v.value === 'number' && !Number.isFinite(v.value)) throw new TracerError(`internal: ${f.name}: a value is not finite (${v.value})`);
    return v.value;
  }
  throw new TracerError(`internal: ${f.name}: a value is not a number`);
}

/** A row's label text (`a="x",b="y"`), its value field, and its other fields by name. */
function splitRow(row: OutputValue, valueField: string, sumField?: string): { labels: string; value: OutputValue; fields: Map<string, OutputValue> } {
  if (row.kind !== 'record') throw new TracerError('internal: a Prometheus row is not a record');
  const fields = new Map(row.fields);
  const value = fields.get(valueField);
  if (value === undefined) throw new TracerError(`internal: a Prometheus row has no field '${valueField}'`);
  const pairs: string[] = [];
  const taken = new Set<string>(['le']);
  const addLabels = (fs: readonly (readonly [string, OutputValue])[]) => {
    for (const [field, v] of fs) {
      if (field === valueField || field === sumField) continue;
      if (v.kind === 'record') {
        addLabels(v.fields);
        continue;
      }
      const text = labelValue(v);
      if (text === '') continue;
      let name = labelName(field);
      for (let n = 2; taken.has(name); n++) name = `${labelName(field)}_${n}`;
      taken.add(name);
      pairs.push(`${name}="${escapeLabelValue(text)}"`);
    }
  };
  addLabels(row.fields);
  return { labels: pairs.join(','), value, fields };
}

function labelValue(v: OutputValue): string {
  switch (v.kind) {
    case 'primitive':
      return primitiveText(v.value);
    case 'histogram':
    case 'stack':
    case 'list':
    case 'record':
      throw new TracerError(`internal: a ${v.kind} cannot be a Prometheus label`);
    default:
      return assertNever(v, 'output value');
  }
}

function primitiveText(p: Primitive): string {
  if (typeof p === 'bigint' || typeof p === 'number' || typeof p === 'boolean') return String(p);
  if (typeof p === 'string') return p;
  if (Array.isArray(p)) return p.map(primitiveText).join(',');
  const s = p as { readonly sym: string; readonly addr: bigint };
  return s.sym;
}

/**
 * A label name for a field or expression: `$NAME` builtins lowercased without the `$`
 * (`$COMM` → `comm`), every run of other characters one `_` (`args->ret` → `args_ret`), no
 * leading or trailing `_` (names starting `__` are Prometheus's own), `_` before a leading
 * digit, and `key` for what is left empty.
 */
export function labelName(field: string): string {
  let s = field
    .replace(/\$([A-Za-z_][A-Za-z0-9_]*)/g, (_m, n: string) => n.toLowerCase())
    .replace(/[^A-Za-z0-9_]+/g, '_')
    .replace(/^_+|_+$/g, '');
  if (s === '') s = 'key';
  if (/^[0-9]/.test(s)) s = `_${s}`;
  if (!LABEL_NAME.test(s)) throw new TracerError(`internal: label name '${s}' from '${field}'`);
  return s;
}

/** A label value in the text format: `\`, `"` and newline escaped. */
export function escapeLabelValue(s: string): string {
  return s.replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/\n/g, '\\n');
}

/** HELP text: `\` and newline escaped (quotes are not). */
export function escapeHelp(s: string): string {
  return s.replace(/\\/g, '\\\\').replace(/\n/g, '\\n');
}

/** The power of ten a histogram's unit is divided by to give its family's unit. */
type Scale = 0 | 9;

function unitScale(unit: string | undefined, name: string): Scale {
  if (unit === undefined) {
    if (name.endsWith('_seconds')) throw new TracerError(`internal: ${name}: a histogram without a unit in a _seconds family`);
    return NO_SCALE;
  }
  if (unit === 'nsecs') {
    if (!name.endsWith('_seconds')) throw new TracerError(`internal: ${name}: a histogram in nsecs must be exported in a _seconds family`);
    return NSECS;
  }
  throw new TracerError(`internal: ${name}: no Prometheus base unit for '${unit}'`);
}

const NO_SCALE: Scale = 0;
const NSECS: Scale = 9;

/** A bound or sum in the family's unit: exact decimals for integers, shortest floats otherwise. */
function scaled(v: bigint | number, scale: Scale | undefined): string {
  const d = scale ?? NO_SCALE;
  if (typeof v === 'number') return formatNumber(d === 0 ? v : v / 10 ** d);
  return decimal(v, d);
}

/** `v / 10^d` as an exact decimal (`decimal(1023n, 9)` = `0.000001023`). */
export function decimal(v: bigint, d: number): string {
  if (d === 0) return v.toString();
  const neg = v < 0n;
  const digits = (neg ? -v : v).toString().padStart(d + 1, '0');
  const int = digits.slice(0, -d);
  const frac = digits.slice(-d).replace(/0+$/, '');
  return `${neg ? '-' : ''}${int}${frac ? `.${frac}` : ''}`;
}

function formatNumber(v: bigint | number): string {
  if (typeof v === 'bigint') return v.toString();
  if (!Number.isFinite(v)) throw new TracerError(`internal: a Prometheus value is not finite (${v})`);
  return String(v);
}

/**
 * A BCC log2 table (`slots[k]` = count of `bpf_log2l` slot k) as a histogram with every slot
 * 1..64 as a bucket, so the layout (the set of `le`) is the same at every scrape. Slot k holds
 * [2^(k-1), 2^k - 1] (slot 1 also 0, as the text histogram's `0 -> 1`); the never-used slot
 * 0 is counted with slot 1. `scale`: the kernel divided the values by it before taking the
 * slot (funclatency -u: 1000), so in the undivided unit slot k holds up to 2^k·scale - 1.
 */
export function log2Layout(slots: readonly bigint[], opts: { readonly unit?: string; readonly scale?: bigint } = {}): OutputValue {
  const scale = opts.scale ?? 1n;
  const buckets: HistBucket[] = [];
  for (let k = 1; k <= 64; k++) {
    const count = (slots[k] ?? 0n) + (k === 1 ? (slots[0] ?? 0n) : 0n);
    buckets.push({ lo: k === 1 ? 0n : (1n << BigInt(k - 1)) * scale, hi: (1n << BigInt(k)) * scale - 1n, count });
  }
  return { kind: 'histogram', ...(opts.unit !== undefined ? { unit: opts.unit } : {}), buckets };
}
