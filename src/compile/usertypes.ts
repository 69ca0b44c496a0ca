/**
 * User-space C types: the kernel's BTF describes kernel structs, and a uprobe's `struct
 * timespec *` is a glibc struct that the kernel's BTF may lay out differently (or not know).
 * These are the x86-64/arm64 LP64 layouts of the structs BCC users cast to most; `-I` headers
 * add more through `UserTypes.with()`.
 */
import { INT, LONG, U8, U16, U32, ULONG, int, makeRecord, ptr, VOID, type CType, type Member, type RecordType } from './types.js';

export interface UserTypes {
  record(kind: 'struct' | 'union', name: string): RecordType | undefined;
  typedef(name: string): CType | undefined;
  /** Every struct/union name, for suggestions. */
  names(): readonly string[];
}

interface Field {
  readonly name: string;
  readonly type: CType;
  readonly offset: number;
  /** Bitfields are not needed by the built-ins. */
}

function struct(name: string, size: number, fields: readonly Field[]): RecordType {
  const members: Member[] = fields.map((f) => ({ name: f.name, bitOffset: f.offset * 8, bitSize: 0, type: f.type }));
  return makeRecord('struct', name, size, members, 'user');
}

const CHAR = int(1, process.arch !== 'arm64', 'char');
const SHORT = int(2, true, 'short');
const SA_FAMILY = int(2, false, 'sa_family_t');
const IN_PORT = int(2, false, 'in_port_t');

const inAddr = struct('in_addr', 4, [{ name: 's_addr', type: int(4, false, 'in_addr_t'), offset: 0 }]);
const in6Addr = struct('in6_addr', 16, [
  { name: 's6_addr', type: { kind: 'array', elem: U8, length: 16 }, offset: 0 },
  { name: 's6_addr16', type: { kind: 'array', elem: U16, length: 8 }, offset: 0 },
  { name: 's6_addr32', type: { kind: 'array', elem: U32, length: 4 }, offset: 0 },
]);

const BUILTIN: readonly RecordType[] = [
  struct('timespec', 16, [
    { name: 'tv_sec', type: int(8, true, 'time_t'), offset: 0 },
    { name: 'tv_nsec', type: LONG, offset: 8 },
  ]),
  struct('timeval', 16, [
    { name: 'tv_sec', type: int(8, true, 'time_t'), offset: 0 },
    { name: 'tv_usec', type: int(8, true, 'suseconds_t'), offset: 8 },
  ]),
  struct('timezone', 8, [
    { name: 'tz_minuteswest', type: INT, offset: 0 },
    { name: 'tz_dsttime', type: INT, offset: 4 },
  ]),
  struct('sockaddr', 16, [
    { name: 'sa_family', type: SA_FAMILY, offset: 0 },
    { name: 'sa_data', type: { kind: 'array', elem: CHAR, length: 14 }, offset: 2 },
  ]),
  inAddr,
  struct('sockaddr_in', 16, [
    { name: 'sin_family', type: SA_FAMILY, offset: 0 },
    { name: 'sin_port', type: IN_PORT, offset: 2 },
    { name: 'sin_addr', type: inAddr, offset: 4 },
    { name: 'sin_zero', type: { kind: 'array', elem: U8, length: 8 }, offset: 8 },
  ]),
  in6Addr,
  struct('sockaddr_in6', 28, [
    { name: 'sin6_family', type: SA_FAMILY, offset: 0 },
    { name: 'sin6_port', type: IN_PORT, offset: 2 },
    { name: 'sin6_flowinfo', type: U32, offset: 4 },
    { name: 'sin6_addr', type: in6Addr, offset: 8 },
    { name: 'sin6_scope_id', type: U32, offset: 24 },
  ]),
  struct('iovec', 16, [
    { name: 'iov_base', type: ptr(VOID, true), offset: 0 },
    { name: 'iov_len', type: int(8, false, 'size_t'), offset: 8 },
  ]),
  struct('pollfd', 8, [
    { name: 'fd', type: INT, offset: 0 },
    { name: 'events', type: SHORT, offset: 4 },
    { name: 'revents', type: SHORT, offset: 6 },
  ]),
  struct('rlimit', 16, [
    { name: 'rlim_cur', type: ULONG, offset: 0 },
    { name: 'rlim_max', type: ULONG, offset: 8 },
  ]),
];

const TYPEDEFS: Readonly<Record<string, CType>> = {
  socklen_t: int(4, false, 'socklen_t'),
  sa_family_t: SA_FAMILY,
  in_port_t: IN_PORT,
  in_addr_t: int(4, false, 'in_addr_t'),
  suseconds_t: int(8, true, 'suseconds_t'),
};

class Table implements UserTypes {
  constructor(
    private readonly records: ReadonlyMap<string, RecordType>,
    private readonly typedefs: ReadonlyMap<string, CType>,
  ) {}
  record(kind: 'struct' | 'union', name: string): RecordType | undefined {
    const r = this.records.get(`${kind} ${name}`);
    return r;
  }
  typedef(name: string): CType | undefined {
    return this.typedefs.get(name);
  }
  names(): readonly string[] {
    return [...this.records.keys()];
  }
  /** A table with more records and typedefs (later ones win). */
  with(records: readonly RecordType[], typedefs: Readonly<Record<string, CType>> = {}): Table {
    const r = new Map(this.records);
    for (const x of records) r.set(`${x.kind} ${x.name}`, x);
    const t = new Map(this.typedefs);
    for (const [k, v] of Object.entries(typedefs)) t.set(k, v);
    return new Table(r, t);
  }
}

/** The built-in user-space types: timespec, timeval, timezone, sockaddr, sockaddr_in(6), in(6)_addr, iovec, pollfd, rlimit. */
export const BUILTIN_USER_TYPES: Table = new Table(new Map(BUILTIN.map((r) => [`${r.kind} ${r.name}`, r])), new Map(Object.entries(TYPEDEFS)));

export function userTypes(extra: readonly RecordType[] = [], typedefs: Readonly<Record<string, CType>> = {}): UserTypes {
  return BUILTIN_USER_TYPES.with(extra, typedefs);
}
