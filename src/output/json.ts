/**
 * A small JSON encoder for machine-readable output, one object per line.
 *
 * bigint handling: a bigint whose magnitude is at most 2**53 is written as a JSON number
 * (every such integer is exact in an IEEE double, so consumers in any language read it
 * back unchanged); a larger one is written as a decimal string ("18446744073709551615"),
 * because most JSON readers would silently round it. Numbers that are not finite become
 * null, as JSON.stringify does; undefined object members are omitted.
 *
 * Every tool's `--json` document is an OutputValue (output/value.ts) rendered by
 * `renderJson`: a histogram is its rows `[{"lo","hi","count"}]`, a stack its frames
 * `[{"addr":"0x…","sym"}]`, a record an object in field order, u64s as above.
 */

import { TracerError } from '../errors.js';
import type { OutputValue, Primitive } from './value.js';

export type JsonValue = null | boolean | number | bigint | string | undefined | readonly JsonValue[] | { readonly [key: string]: JsonValue };

const SAFE = 1n << 53n;

/** Encode one value as compact JSON. */
export function encodeJson(v: JsonValue): string {
  switch (typeof v) {
    case 'bigint':
      return (v < 0n ? -v : v) <= SAFE ? v.toString() : JSON.stringify(v.toString());
    case 'number':
      return Number.isFinite(v) ? JSON.stringify(v) : 'null';
    case 'string':
      return JSON.stringify(v);
    case 'boolean':
      return v ? 'true' : 'false';
    case 'undefined':
      return 'null';
    case 'object':
      if (v === null) return 'null';
      if (Array.isArray(v)) return `[${v.map((x: JsonValue) => encodeJson(x)).join(',')}]`;
      return `{${Object.entries(v as { readonly [key: string]: JsonValue })
        .filter(([, x]) => x !== undefined)
        .map(([k, x]) => `${JSON.stringify(k)}:${encodeJson(x)}`)
        .join(',')}}`;
    default:
      throw new TracerError(`cannot encode a ${typeof v} as JSON`);
  }
}

/** One JSON object per line (JSON Lines): the encoding followed by `\n`. */
export function jsonLine(obj: { readonly [key: string]: JsonValue }): string {
  return `${encodeJson(obj)}\n`;
}

function hex(addr: bigint): string {
  return JSON.stringify(`0x${addr.toString(16)}`);
}

function renderPrimitive(v: Primitive): string {
  if (Array.isArray(v)) return `[${v.map(renderPrimitive).join(',')}]`;
  if (typeof v === 'object') {
    const s = v as { readonly sym: string; readonly addr: bigint };
    return `{"addr":${hex(s.addr)},"sym":${JSON.stringify(s.sym)}}`;
  }
  return encodeJson(v as JsonValue);
}

/** One OutputValue as compact JSON (the one encoding of every tool's --json documents). */
export function renderJson(v: OutputValue): string {
  switch (v.kind) {
    case 'primitive':
      return renderPrimitive(v.value);
    case 'histogram':
      return `[${v.buckets.map((b) => `{"lo":${encodeJson(b.lo)},"hi":${encodeJson(b.hi)},"count":${encodeJson(b.count)}}`).join(',')}]`;
    case 'stack':
      return `[${v.frames.map((f) => `{"addr":${hex(f.addr)},"sym":${JSON.stringify(f.sym ?? '[unknown]')}}`).join(',')}]`;
    case 'list':
      return `[${v.items.map(renderJson).join(',')}]`;
    case 'record':
      return `{${v.fields.map(([k, x]) => `${JSON.stringify(k)}:${renderJson(x)}`).join(',')}}`;
    default:
      throw new TracerError(`cannot encode a ${(v as { kind: string }).kind} as JSON`);
  }
}

/** One document per line (JSON Lines): `renderJson(v)` followed by `\n`. */
export function jsonDocument(v: OutputValue): string {
  return `${renderJson(v)}\n`;
}
