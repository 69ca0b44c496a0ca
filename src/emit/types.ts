/**
 * uapi enums (include/uapi/linux/bpf.h, through Linux 6.18) and the program/map
 * descriptions the builder produces. Descriptions only: nothing here owns an fd.
 */
import type { Insn } from './insn.js';

/** enum bpf_prog_type */
export const ProgType = {
  Unspec: 0,
  SocketFilter: 1,
  Kprobe: 2,
  SchedCls: 3,
  SchedAct: 4,
  Tracepoint: 5,
  Xdp: 6,
  PerfEvent: 7,
  CgroupSkb: 8,
  CgroupSock: 9,
  LwtIn: 10,
  LwtOut: 11,
  LwtXmit: 12,
  SockOps: 13,
  SkSkb: 14,
  CgroupDevice: 15,
  SkMsg: 16,
  RawTracepoint: 17,
  CgroupSockAddr: 18,
  LwtSeg6local: 19,
  LircMode2: 20,
  SkReuseport: 21,
  FlowDissector: 22,
  CgroupSysctl: 23,
  RawTracepointWritable: 24,
  CgroupSockopt: 25,
  Tracing: 26,
  StructOps: 27,
  Ext: 28,
  Lsm: 29,
  SkLookup: 30,
  Syscall: 31,
  Netfilter: 32,
} as const;
export type ProgTypeName = keyof typeof ProgType;

/** enum bpf_map_type */
export const MapType = {
  Unspec: 0,
  Hash: 1,
  Array: 2,
  ProgArray: 3,
  PerfEventArray: 4,
  PercpuHash: 5,
  PercpuArray: 6,
  StackTrace: 7,
  CgroupArray: 8,
  LruHash: 9,
  LruPercpuHash: 10,
  LpmTrie: 11,
  ArrayOfMaps: 12,
  HashOfMaps: 13,
  Devmap: 14,
  Sockmap: 15,
  Cpumap: 16,
  Xskmap: 17,
  Sockhash: 18,
  /** BPF_MAP_TYPE_CGROUP_STORAGE, deprecated in favour of CgrpStorage. */
  CgroupStorage: 19,
  ReuseportSockarray: 20,
  PercpuCgroupStorage: 21,
  Queue: 22,
  Stack: 23,
  SkStorage: 24,
  DevmapHash: 25,
  StructOps: 26,
  Ringbuf: 27,
  InodeStorage: 28,
  TaskStorage: 29,
  BloomFilter: 30,
  UserRingbuf: 31,
  CgrpStorage: 32,
  Arena: 33,
} as const;
export type MapTypeName = keyof typeof MapType;

/** enum bpf_attach_type */
export const AttachType = {
  CgroupInetIngress: 0,
  CgroupInetEgress: 1,
  CgroupInetSockCreate: 2,
  CgroupSockOps: 3,
  SkSkbStreamParser: 4,
  SkSkbStreamVerdict: 5,
  CgroupDevice: 6,
  SkMsgVerdict: 7,
  CgroupInet4Bind: 8,
  CgroupInet6Bind: 9,
  CgroupInet4Connect: 10,
  CgroupInet6Connect: 11,
  CgroupInet4PostBind: 12,
  CgroupInet6PostBind: 13,
  CgroupUdp4Sendmsg: 14,
  CgroupUdp6Sendmsg: 15,
  LircMode2: 16,
  FlowDissector: 17,
  CgroupSysctl: 18,
  CgroupUdp4Recvmsg: 19,
  CgroupUdp6Recvmsg: 20,
  CgroupGetsockopt: 21,
  CgroupSetsockopt: 22,
  TraceRawTp: 23,
  TraceFentry: 24,
  TraceFexit: 25,
  ModifyReturn: 26,
  LsmMac: 27,
  TraceIter: 28,
  CgroupInet4Getpeername: 29,
  CgroupInet6Getpeername: 30,
  CgroupInet4Getsockname: 31,
  CgroupInet6Getsockname: 32,
  XdpDevmap: 33,
  CgroupInetSockRelease: 34,
  XdpCpumap: 35,
  SkLookup: 36,
  Xdp: 37,
  SkSkbVerdict: 38,
  SkReuseportSelect: 39,
  SkReuseportSelectOrMigrate: 40,
  PerfEvent: 41,
  TraceKprobeMulti: 42,
  LsmCgroup: 43,
  StructOps: 44,
  Netfilter: 45,
  TcxIngress: 46,
  TcxEgress: 47,
  TraceUprobeMulti: 48,
  CgroupUnixConnect: 49,
  CgroupUnixSendmsg: 50,
  CgroupUnixRecvmsg: 51,
  CgroupUnixGetpeername: 52,
  CgroupUnixGetsockname: 53,
  NetkitPrimary: 54,
  NetkitPeer: 55,
  TraceKprobeSession: 56,
  TraceUprobeSession: 57,
} as const;
export type AttachTypeName = keyof typeof AttachType;

/** What BPF_MAP_CREATE needs. `flags` defaults to 0. */
export interface MapSpec {
  readonly name: string;
  readonly type: number;
  readonly keySize: number;
  readonly valueSize: number;
  readonly maxEntries: number;
  readonly flags?: number;
}

/** A program ready for assembly: insns are symbolic (labels, map refs) until assemble(). */
export interface ProgramSpec {
  readonly name: string;
  readonly type: number;
  readonly license: string;
  readonly insns: readonly Insn[];
  readonly maps: readonly MapSpec[];
  readonly expectedAttachType?: number;
  readonly attachBtfId?: number;
  /** fentry/fexit on a module's function: the module whose BTF attachBtfId is an id of. */
  readonly attachBtfModule?: string;
}
