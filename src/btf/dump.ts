/**
 * The raw text dump, line for line what `bpftool btf dump file <blob>` prints (bpftool's
 * dump_btf_type in plain-text mode). Reads records straight from the wire, so it shows exactly
 * what the blob holds. For split BTF only the blob's own types are printed, as bpftool does.
 */
import { Kind, KIND_NAMES, infoKflag, infoKind, infoVlen } from './wire.js';
import type { BtfSpec } from './spec.js';

const INT_ENC: Record<number, string> = { 0: '(none)', 1: 'SIGNED', 2: 'CHAR', 4: 'BOOL' };
const FUNC_LINKAGE = ['static', 'global', 'extern'];
const VAR_LINKAGE = ['static', 'global', 'extern'];

/** Lines of the dump, one per type plus one per member/enumerator/parameter/variable. */
export function* dumpRawLines(spec: BtfSpec): Generator<string> {
  for (let id = spec.firstId; id < spec.count; id++) yield dumpType(spec, id);
}

/** The whole dump as one string with a trailing newline (empty string for an empty blob). */
export function dumpRaw(spec: BtfSpec): string {
  const parts: string[] = [];
  for (const t of dumpRawLines(spec)) parts.push(t);
  return parts.length ? `${parts.join('\n')}\n` : '';
}

function q(spec: BtfSpec, off: number, id: number): string {
  const s = spec.str(off, () => `type id ${id}`);
  return s === '' ? '(anon)' : s;
}

/** One type's text (may span lines, joined with '\n', no trailing newline). */
export function dumpType(spec: BtfSpec, id: number): string {
  const u = spec.words;
  const w = spec.offsets[id - spec.firstId]!;
  const info = u[w + 1]!;
  const kind = infoKind(info);
  const vlen = infoVlen(info);
  const kflag = infoKflag(info);
  const st = u[w + 2]!;
  const x = w + 3;
  let s = `[${id}] ${KIND_NAMES[kind]} '${q(spec, u[w]!, id)}'`;
  switch (kind) {
    case Kind.Int: {
      const v = u[x]!;
      s += ` size=${st} bits_offset=${(v >>> 16) & 0xff} nr_bits=${v & 0xff} encoding=${INT_ENC[(v >>> 24) & 0x0f] ?? 'UNKN'}`;
      break;
    }
    case Kind.Ptr:
    case Kind.Const:
    case Kind.Volatile:
    case Kind.Restrict:
    case Kind.Typedef:
    case Kind.TypeTag:
      s += ` type_id=${st}`;
      break;
    case Kind.Array:
      s += ` type_id=${u[x]!} index_type_id=${u[x + 1]!} nr_elems=${u[x + 2]!}`;
      break;
    case Kind.Struct:
    case Kind.Union:
      s += ` size=${st} vlen=${vlen}`;
      for (let k = 0; k < vlen; k++) {
        const m = x + 3 * k;
        const off = u[m + 2]!;
        const bitOff = kflag ? off & 0xffffff : off;
        const bitSz = kflag ? off >>> 24 : 0;
        s += `\n\t'${q(spec, u[m]!, id)}' type_id=${u[m + 1]!} bits_offset=${bitOff}`;
        if (bitSz) s += ` bitfield_size=${bitSz}`;
      }
      break;
    case Kind.Enum:
      s += ` encoding=${kflag ? 'SIGNED' : 'UNSIGNED'} size=${st} vlen=${vlen}`;
      for (let k = 0; k < vlen; k++) {
        const e = x + 2 * k;
        const v = kflag ? u[e + 1]! | 0 : u[e + 1]!;
        s += `\n\t'${q(spec, u[e]!, id)}' val=${v}`;
      }
      break;
    case Kind.Enum64:
      s += ` encoding=${kflag ? 'SIGNED' : 'UNSIGNED'} size=${st} vlen=${vlen}`;
      for (let k = 0; k < vlen; k++) {
        const e = x + 3 * k;
        const v = (BigInt(u[e + 2]!) << 32n) | BigInt(u[e + 1]!);
        s += `\n\t'${q(spec, u[e]!, id)}' val=${kflag ? `${BigInt.asIntN(64, v)}LL` : `${v}ULL`}`;
      }
      break;
    case Kind.Fwd:
      s += ` fwd_kind=${kflag ? 'union' : 'struct'}`;
      break;
    case Kind.Func:
      s += ` type_id=${st} linkage=${FUNC_LINKAGE[vlen] ?? '(unknown)'}`;
      break;
    case Kind.FuncProto:
      s += ` ret_type_id=${st} vlen=${vlen}`;
      for (let k = 0; k < vlen; k++) {
        const a = x + 2 * k;
        s += `\n\t'${q(spec, u[a]!, id)}' type_id=${u[a + 1]!}`;
      }
      break;
    case Kind.Var:
      s += ` type_id=${st}, linkage=${VAR_LINKAGE[u[x]!] ?? '(unknown)'}`;
      break;
    case Kind.Datasec:
      s += ` size=${st} vlen=${vlen}`;
      for (let k = 0; k < vlen; k++) {
        const v = x + 3 * k;
        const t = u[v]!;
        s += `\n\ttype_id=${t} offset=${u[v + 1]!} size=${u[v + 2]!}`;
        if (t < spec.count) s += ` (${KIND_NAMES[spec.rawKind(t)]} '${t === 0 ? '(anon)' : nameOrAnon(spec, t)}')`;
      }
      break;
    case Kind.Float:
      s += ` size=${st}`;
      break;
    case Kind.DeclTag:
      s += ` type_id=${st} component_idx=${u[x]! | 0}`;
      break;
    default:
      break;
  }
  return s;
}

function nameOrAnon(spec: BtfSpec, id: number): string {
  const n = spec.nameOf(id);
  return n === '' ? '(anon)' : n;
}
