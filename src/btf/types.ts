/**
 * The decoded BTF model: one closed union keyed by `kind`. Cross-references are type ids, not
 * object pointers, so objects never form cycles and decoding stays lazy; every object carries
 * its own resolved name ('' when anonymous).
 */

export type TypeId = number & { readonly __brand: 'TypeId' };
export const typeId = (n: number): TypeId => n as TypeId;
export const VOID_ID = 0 as TypeId;

interface Common {
  readonly id: TypeId;
  /** '' for anonymous types. */
  readonly name: string;
}

export type Linkage = 'static' | 'global' | 'extern';

export interface BtfVoid extends Common {
  readonly kind: 'void';
}
export interface BtfInt extends Common {
  readonly kind: 'int';
  readonly size: number;
  readonly signed: boolean;
  readonly char: boolean;
  readonly bool: boolean;
  /** nr_bits */
  readonly bits: number;
  /** bits_offset (always 0 in practice) */
  readonly bitOffset: number;
}
export interface BtfPtr extends Common {
  readonly kind: 'ptr';
  readonly target: TypeId;
}
export interface BtfArray extends Common {
  readonly kind: 'array';
  readonly elem: TypeId;
  readonly index: TypeId;
  readonly length: number;
}
export interface BtfMember {
  readonly name: string;
  readonly type: TypeId;
  readonly bitOffset: number;
  /** 0 when not a bitfield. */
  readonly bitSize: number;
}
export interface BtfStruct extends Common {
  readonly kind: 'struct' | 'union';
  readonly size: number;
  readonly members: readonly BtfMember[];
}
export interface BtfEnumValue {
  readonly name: string;
  readonly value: bigint;
}
/** ENUM and ENUM64 (`wide`). */
export interface BtfEnum extends Common {
  readonly kind: 'enum';
  readonly size: number;
  readonly signed: boolean;
  /** true for BTF_KIND_ENUM64 */
  readonly wide: boolean;
  readonly values: readonly BtfEnumValue[];
}
export interface BtfFwd extends Common {
  readonly kind: 'fwd';
  readonly of: 'struct' | 'union';
}
export interface BtfRef extends Common {
  readonly kind: 'typedef' | 'const' | 'volatile' | 'restrict' | 'type_tag';
  readonly target: TypeId;
}
export interface BtfFunc extends Common {
  readonly kind: 'func';
  readonly proto: TypeId;
  readonly linkage: Linkage;
}
export interface BtfParam {
  readonly name: string;
  readonly type: TypeId;
}
export interface BtfProto extends Common {
  readonly kind: 'func_proto';
  readonly ret: TypeId;
  /** Without the trailing void that marks a variadic function. */
  readonly params: readonly BtfParam[];
  readonly variadic: boolean;
}
export interface BtfVar extends Common {
  readonly kind: 'var';
  readonly type: TypeId;
  readonly linkage: Linkage;
}
export interface BtfVarSecinfo {
  readonly type: TypeId;
  readonly offset: number;
  readonly size: number;
}
export interface BtfDatasec extends Common {
  readonly kind: 'datasec';
  readonly size: number;
  readonly vars: readonly BtfVarSecinfo[];
}
export interface BtfFloat extends Common {
  readonly kind: 'float';
  readonly size: number;
}
export interface BtfDeclTag extends Common {
  readonly kind: 'decl_tag';
  readonly target: TypeId;
  /** -1: the tag is on the target itself; else the member / parameter index. */
  readonly component: number;
  /** The tag text (the record's name). */
  readonly value: string;
}

export type BtfType =
  | BtfVoid
  | BtfInt
  | BtfPtr
  | BtfArray
  | BtfStruct
  | BtfEnum
  | BtfFwd
  | BtfRef
  | BtfFunc
  | BtfProto
  | BtfVar
  | BtfDatasec
  | BtfFloat
  | BtfDeclTag;
export type BtfKindName = BtfType['kind'];
/** The type record of kind `K` (a struct record's kind is 'struct' | 'union', hence not Extract). */
export type BtfOfKind<K extends BtfKindName> = BtfType extends infer T ? (T extends { readonly kind: infer X } ? (K extends X ? T : never) : never) : never;
/** Types a value can have (bpftrace's ValueType). */
export type BtfValueType = Exclude<BtfType, BtfFunc | BtfProto | BtfVar | BtfDatasec | BtfDeclTag>;

export const VOID: BtfVoid = Object.freeze({ id: VOID_ID, name: '', kind: 'void' as const });

export const isRef = (t: BtfType): t is BtfRef =>
  t.kind === 'typedef' || t.kind === 'const' || t.kind === 'volatile' || t.kind === 'restrict' || t.kind === 'type_tag';
/** const/volatile/restrict/type_tag: qualifiers that C prints in place. */
export const isModifier = (t: BtfType): t is BtfRef => t.kind === 'const' || t.kind === 'volatile' || t.kind === 'restrict' || t.kind === 'type_tag';
