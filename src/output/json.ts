/**
 * A small JSON encoder for machine-readable output, one object per line.
 *
 * bigint handling: a bigint whose magnitude is at most 2**53 is written as a JSON number
 * (every such integer is exact in an IEEE double, so consumers in any language read it
 * back unchanged); a larger one is written as a decimal string ("18446744073709551615"),
 * because most JSON readers would silently round it. Numbers that are not finite become
 * null, as JSON.stringify does; undefined object members are omitted.
 */

import { TracerError } from '../errors.js';

export type JsonValue =
  | null
  | boolean
  | number
  | bigint
  | string
  | undefined
  | readonly JsonValue[]
  | { readonly [key: string]: JsonValue };

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
