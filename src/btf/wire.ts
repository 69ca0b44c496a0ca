/**
 * The BTF wire format (Documentation/bpf/btf.rst): the header, the kind numbers and the size of
 * each raw record. Nothing here allocates per type; spec.ts walks records with these helpers.
 *
 *   struct btf_header {            struct btf_type {
 *     __u16 magic;  // 0xeB9F        __u32 name_off;
 *     __u8  version;                 __u32 info;   // bits 0-15 vlen, 24-28 kind, 31 kind_flag
 *     __u8  flags;                   union { __u32 size; __u32 type; };
 *     __u32 hdr_len;               };  // followed by kind-specific data (see recordSize)
 *     __u32 type_off, type_len;    // relative to the end of the header
 *     __u32 str_off, str_len;
 *   };
 */
import { BtfError } from '../errors.js';

export const BTF_MAGIC = 0xeb9f;
export const BTF_VERSION = 1;
/** Size of the fixed header; hdr_len may be larger (future fields), never smaller. */
export const BTF_HEADER_MIN = 24;
/** Size of `struct btf_type` without its trailing data. */
export const BTF_TYPE_SIZE = 12;
/** libbpf's MAX_RESOLVE_DEPTH: the longest typedef/qualifier/array chain we follow. */
export const MAX_RESOLVE_DEPTH = 32;

export enum Kind {
  Unknown = 0,
  Int = 1,
  Ptr = 2,
  Array = 3,
  Struct = 4,
  Union = 5,
  Enum = 6,
  Fwd = 7,
  Typedef = 8,
  Volatile = 9,
  Const = 10,
  Restrict = 11,
  Func = 12,
  FuncProto = 13,
  Var = 14,
  Datasec = 15,
  Float = 16,
  DeclTag = 17,
  TypeTag = 18,
  Enum64 = 19,
}
export const KIND_MAX = 19;

/** bpftool's spelling of each kind (btf_kind_str[]). */
export const KIND_NAMES: readonly string[] = [
  'UNKNOWN',
  'INT',
  'PTR',
  'ARRAY',
  'STRUCT',
  'UNION',
  'ENUM',
  'FWD',
  'TYPEDEF',
  'VOLATILE',
  'CONST',
  'RESTRICT',
  'FUNC',
  'FUNC_PROTO',
  'VAR',
  'DATASEC',
  'FLOAT',
  'DECL_TAG',
  'TYPE_TAG',
  'ENUM64',
];

/** INT encoding bits (the top byte of the u32 after an INT record). */
export const INT_SIGNED = 1;
export const INT_CHAR = 2;
export const INT_BOOL = 4;

export const infoKind = (info: number): number => (info >>> 24) & 0x1f;
export const infoVlen = (info: number): number => info & 0xffff;
export const infoKflag = (info: number): boolean => info >>> 31 === 1;

/**
 * Bytes of kind-specific data after the 12-byte btf_type, or -1 for a kind we do not know.
 * INT: u32 encoding; ARRAY: {type, index_type, nelems}; STRUCT/UNION: vlen × {name_off, type,
 * offset}; ENUM: vlen × {name_off, val}; ENUM64: vlen × {name_off, val_lo32, val_hi32};
 * FUNC_PROTO: vlen × {name_off, type}; VAR: u32 linkage; DATASEC: vlen × {type, offset, size};
 * DECL_TAG: s32 component_idx.
 */
export function extraSize(kind: number, vlen: number): number {
  switch (kind) {
    case Kind.Int:
    case Kind.Var:
    case Kind.DeclTag:
      return 4;
    case Kind.Array:
      return 12;
    case Kind.Struct:
    case Kind.Union:
    case Kind.Enum64:
    case Kind.Datasec:
      return 12 * vlen;
    case Kind.Enum:
    case Kind.FuncProto:
      return 8 * vlen;
    case Kind.Ptr:
    case Kind.Fwd:
    case Kind.Typedef:
    case Kind.Volatile:
    case Kind.Const:
    case Kind.Restrict:
    case Kind.Func:
    case Kind.Float:
    case Kind.TypeTag:
      return 0;
    default:
      return -1;
  }
}

/**
 * Per-kind record layout as two tables so the open pass does no calls: the record of a type is
 * 12 + EXTRA_FIXED[kind] + EXTRA_PER_VLEN[kind] * vlen bytes. KIND_VALID marks known kinds.
 */
export const EXTRA_FIXED = new Uint8Array(32);
export const EXTRA_PER_VLEN = new Uint8Array(32);
export const KIND_VALID = new Uint8Array(32);
for (let k = 1; k <= KIND_MAX; k++) {
  KIND_VALID[k] = 1;
  const one = extraSize(k, 1);
  const zero = extraSize(k, 0);
  EXTRA_FIXED[k] = zero;
  EXTRA_PER_VLEN[k] = one - zero;
}

export interface BtfHeader {
  readonly littleEndian: boolean;
  readonly version: number;
  readonly flags: number;
  readonly hdrLen: number;
  /** Absolute byte offsets into the blob (header length already added). */
  readonly typeStart: number;
  readonly typeLen: number;
  readonly strStart: number;
  readonly strLen: number;
}

/** Reads and checks the header; every section must lie inside `bytes`. */
export function readHeader(bytes: Uint8Array): BtfHeader {
  if (bytes.length < BTF_HEADER_MIN) {
    throw new BtfError(`BTF truncated: ${bytes.length} bytes, the header alone needs ${BTF_HEADER_MIN}`);
  }
  const dv = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  let littleEndian: boolean;
  if (dv.getUint16(0, true) === BTF_MAGIC) littleEndian = true;
  else if (dv.getUint16(0, false) === BTF_MAGIC) littleEndian = false;
  else {
    const m = dv.getUint16(0, true).toString(16).padStart(4, '0');
    throw new BtfError(`not BTF: bad magic 0x${m} at byte offset 0 (want 0xeb9f)`);
  }
  const version = dv.getUint8(2);
  if (version !== BTF_VERSION) throw new BtfError(`unsupported BTF version ${version} at byte offset 2`);
  const flags = dv.getUint8(3);
  const hdrLen = dv.getUint32(4, littleEndian);
  if (hdrLen < BTF_HEADER_MIN || hdrLen > bytes.length) {
    throw new BtfError(`bad BTF header length ${hdrLen} at byte offset 4 (blob is ${bytes.length} bytes)`);
  }
  const typeOff = dv.getUint32(8, littleEndian);
  const typeLen = dv.getUint32(12, littleEndian);
  const strOff = dv.getUint32(16, littleEndian);
  const strLen = dv.getUint32(20, littleEndian);
  const avail = bytes.length - hdrLen;
  if (typeOff % 4 !== 0) throw new BtfError(`BTF type section offset ${typeOff} is not 4-byte aligned`);
  if (typeOff + typeLen > avail) {
    throw new BtfError(`BTF type section [${typeOff}, +${typeLen}) past the end of the blob (${avail} bytes after the header)`);
  }
  if (strOff + strLen > avail) {
    throw new BtfError(`BTF string section [${strOff}, +${strLen}) past the end of the blob (${avail} bytes after the header)`);
  }
  if (typeLen > 0 && strLen > 0 && typeOff < strOff + strLen && strOff < typeOff + typeLen) {
    throw new BtfError('BTF type and string sections overlap');
  }
  return {
    littleEndian,
    version,
    flags,
    hdrLen,
    typeStart: hdrLen + typeOff,
    typeLen,
    strStart: hdrLen + strOff,
    strLen,
  };
}
