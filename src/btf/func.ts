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

/**
 * A kernel tracepoint as BTF describes it, for raw tracepoint programs. Each tracepoint NAME has
 * a typedef `btf_trace_NAME`: a pointer to the prototype the tracepoint calls its probes with,
 * `void (void *__data, ARGS...)`, whose first parameter is the probe's own data and not an
 * argument. That prototype's parameters have no names (it comes from a function-pointer
 * typedef), so the names come from a function of the same prototype: `__probestub_NAME` (6.5+)
 * or else `__traceiter_NAME` (5.10+); without either, the arguments stay unnamed ('').
 */
export interface TracepointProto {
  readonly name: string;
  /** The id of the typedef `btf_trace_NAME`. */
  readonly typedef: TypeId;
  /** The tracepoint's arguments, in order (what a raw tracepoint program sees as u64 args[]). */
  readonly params: readonly BtfParam[];
  /** Whether the arguments are named (from `__probestub_NAME` or `__traceiter_NAME`). */
  readonly named: boolean;
}

export const TRACEPOINT_TYPEDEF_PREFIX = 'btf_trace_';

/** The tracepoint `name` (`sched_switch`), or undefined when BTF has no `btf_trace_name`. */
export function tracepointProto(spec: BtfSpec, name: string): TracepointProto | undefined {
  const typedef = spec.idsByName(`${TRACEPOINT_TYPEDEF_PREFIX}${name}`, 'typedef')[0];
  if (typedef === undefined) return undefined;
  const td = spec.get(typedef);
  const ptr = td.kind === 'typedef' ? spec.get(td.target) : undefined;
  const proto = ptr?.kind === 'ptr' ? spec.get(ptr.target) : undefined;
  if (proto?.kind !== 'func_proto' || proto.params.length === 0) {
    throw new BtfError(`typedef ${TRACEPOINT_TYPEDEF_PREFIX}${name} (type id ${typedef}) is not a pointer to a tracepoint prototype (void *, ...)`);
  }
  const args = proto.params.slice(1);
  for (const fn of [`__probestub_${name}`, `__traceiter_${name}`]) {
    const id = spec.idsByName(fn, 'func')[0];
    if (id === undefined) continue;
    const named = funcProtoOf(spec, id).params.slice(1);
    if (named.length === args.length && named.every((p) => p.name !== '')) {
      return { name, typedef, params: args.map((p, i) => ({ name: named[i]!.name, type: p.type })), named: true };
    }
  }
  return { name, typedef, params: args, named: false };
}

/** Every tracepoint BTF describes (the names of its `btf_trace_*` typedefs), in id order. */
export function* tracepointNames(spec: BtfSpec): IterableIterator<string> {
  for (let s: BtfSpec | undefined = spec; s; s = s.base) {
    for (const id of s.idsOfKind('typedef')) {
      const n = s.nameOf(id);
      if (n.startsWith(TRACEPOINT_TYPEDEF_PREFIX)) yield n.slice(TRACEPOINT_TYPEDEF_PREFIX.length);
    }
  }
}
