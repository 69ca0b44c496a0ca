/** Kernel function → prototype → parameter names and types. */
import { BtfError, ResolveError } from '../errors.js';
import { suggest } from './resolve.js';
import type { BtfSpec } from './spec.js';
import type { BtfFunc, BtfParam, BtfProto, TypeId } from './types.js';

export interface FuncProto {
  readonly func: BtfFunc;
  readonly proto: BtfProto;
  readonly params: readonly BtfParam[];
  /** Return type id (0 = void). */
  readonly ret: TypeId;
}

/** The prototype of a FUNC given its id. */
export function funcProtoOf(spec: BtfSpec, funcId: TypeId | number): FuncProto {
  const func = spec.get(funcId);
  if (func.kind !== 'func') throw new ResolveError(`type id ${funcId} is a ${func.kind}, not a function`);
  const proto = spec.get(func.proto);
  if (proto.kind !== 'func_proto') {
    throw new BtfError(`function '${func.name}' (type id ${func.id}) points at type id ${func.proto}, a ${proto.kind}, not a FUNC_PROTO`);
  }
  return { func, proto, params: proto.params, ret: proto.ret };
}

/** The prototype of the kernel function `name`; ResolveError (with suggestions) if unknown. */
export function funcProto(spec: BtfSpec, name: string): FuncProto {
  const ids = spec.idsByName(name, 'func');
  if (ids.length === 0) {
    const near = suggest(name, funcNames(spec));
    throw new ResolveError(`no function named '${name}' in BTF`, near.length ? [`did you mean ${near.map((s) => `'${s}'`).join(', ')}?`] : []);
  }
  return funcProtoOf(spec, ids[0]!);
}

function* funcNames(spec: BtfSpec): IterableIterator<string> {
  for (let s: BtfSpec | undefined = spec; s; s = s.base) {
    for (const id of s.idsOfKind('func')) yield s.nameOf(id);
  }
}
