/**
 * bpf(2): one function per command, each encoding its part of `union bpf_attr`
 * (include/uapi/linux/bpf.h) at the offsets the kernel defines. Errors are SysErrors
 * naming the command and the errno.
 */
import { SysError } from '../errors.js';
import { errno, rawSyscall3 } from './ffi.js';
import { errnoName, EAGAIN, ENOENT, EINTR } from './errno.js';
import { NativeBuffer } from './mem.js';

const NR_BPF = process.arch === 'arm64' ? 280 : 321;

export const BpfCmd = {
  MapCreate: 0,
  MapLookupElem: 1,
  MapUpdateElem: 2,
  MapDeleteElem: 3,
  MapGetNextKey: 4,
  ProgLoad: 5,
  ObjPin: 6,
  ObjGet: 7,
  ProgAttach: 8,
  ProgDetach: 9,
  ProgTestRun: 10,
  ProgGetNextId: 11,
  MapGetNextId: 12,
  ProgGetFdById: 13,
  MapGetFdById: 14,
  ObjGetInfoByFd: 15,
  ProgQuery: 16,
  RawTracepointOpen: 17,
  BtfLoad: 18,
  BtfGetFdById: 19,
  TaskFdQuery: 20,
  MapLookupAndDeleteElem: 21,
  MapFreeze: 22,
  BtfGetNextId: 23,
  MapLookupBatch: 24,
  MapLookupAndDeleteBatch: 25,
  MapUpdateBatch: 26,
  MapDeleteBatch: 27,
  LinkCreate: 28,
  LinkUpdate: 29,
  LinkGetFdById: 30,
  LinkGetNextId: 31,
  EnableStats: 32,
  IterCreate: 33,
  LinkDetach: 34,
  ProgBindMap: 35,
} as const;

const CMD_NAMES = Object.fromEntries(Object.entries(BpfCmd).map(([k, v]) => [v, k])) as Record<number, string>;

// One scratch attr buffer, reused: Node runs us on one thread and every call is synchronous.
const ATTR_SIZE = 160;
const attr = new NativeBuffer(ATTR_SIZE);

function resetAttr(): DataView {
  attr.bytes.fill(0);
  return attr.dv;
}

/** Issue bpf(cmd, attr). Returns the non-negative result or throws a SysError. */
function bpf(cmd: number, detail?: string): number {
  for (let tries = 0; ; tries++) {
    const r = rawSyscall3(NR_BPF, cmd, attr.addr, ATTR_SIZE);
    if (r >= 0) return r;
    const e = errno();
    // PROG_LOAD may return EAGAIN when the verifier is interrupted by a signal (cilium does the same).
    if ((e === EAGAIN || e === EINTR) && cmd === BpfCmd.ProgLoad && tries < 5) continue;
    throw new SysError(`bpf(${CMD_NAMES[cmd] ?? cmd})`, e, errnoName(e), detail);
  }
}

function tryBpf(cmd: number): { r: number; errno: number } {
  const r = rawSyscall3(NR_BPF, cmd, attr.addr, ATTR_SIZE);
  return r >= 0 ? { r, errno: 0 } : { r, errno: errno() };
}

function setName(dv: DataView, off: number, name: string): void {
  // BPF object names: up to 15 chars of [A-Za-z0-9_.]
  const clean = name.replace(/[^A-Za-z0-9_.]/g, '_').slice(0, 15);
  for (let i = 0; i < clean.length; i++) dv.setUint8(off + i, clean.charCodeAt(i));
}

export interface MapCreateAttr {
  type: number;
  keySize: number;
  valueSize: number;
  maxEntries: number;
  flags?: number;
  name?: string;
  /** Map-in-map outer maps: a map of the inner maps' shape. */
  innerMapFd?: number;
}

export function mapCreate(a: MapCreateAttr): number {
  const dv = resetAttr();
  dv.setUint32(0, a.type, true);
  dv.setUint32(4, a.keySize, true);
  dv.setUint32(8, a.valueSize, true);
  dv.setUint32(12, a.maxEntries, true);
  dv.setUint32(16, a.flags ?? 0, true);
  if (a.innerMapFd !== undefined) dv.setUint32(20, a.innerMapFd, true);
  if (a.name) setName(dv, 28, a.name);
  return bpf(BpfCmd.MapCreate, a.name ? `map ${a.name}` : undefined);
}

function elemAttr(fd: number, key: bigint, value: bigint, flags: bigint): void {
  const dv = resetAttr();
  dv.setUint32(0, fd, true);
  dv.setBigUint64(8, key, true);
  dv.setBigUint64(16, value, true);
  dv.setBigUint64(24, flags, true);
}

/** Returns false when the key is absent. */
export function mapLookupElem(fd: number, key: NativeBuffer, value: NativeBuffer): boolean {
  elemAttr(fd, key.addr, value.addr, 0n);
  const { errno: e } = tryBpf(BpfCmd.MapLookupElem);
  if (e === 0) return true;
  if (e === ENOENT) return false;
  throw new SysError('bpf(MapLookupElem)', e, errnoName(e));
}

export function mapUpdateElem(fd: number, key: NativeBuffer, value: NativeBuffer, flags = 0n): void {
  elemAttr(fd, key.addr, value.addr, flags);
  bpf(BpfCmd.MapUpdateElem);
}

/** Returns false when the key was absent. */
export function mapDeleteElem(fd: number, key: NativeBuffer): boolean {
  elemAttr(fd, key.addr, 0n, 0n);
  const { errno: e } = tryBpf(BpfCmd.MapDeleteElem);
  if (e === 0) return true;
  if (e === ENOENT) return false;
  throw new SysError('bpf(MapDeleteElem)', e, errnoName(e));
}

/** Returns false at the end of the map. `key` null asks for the first key. */
export function mapGetNextKey(fd: number, key: NativeBuffer | null, next: NativeBuffer): boolean {
  elemAttr(fd, key ? key.addr : 0n, next.addr, 0n);
  const { errno: e } = tryBpf(BpfCmd.MapGetNextKey);
  if (e === 0) return true;
  if (e === ENOENT) return false;
  throw new SysError('bpf(MapGetNextKey)', e, errnoName(e));
}

/**
 * BPF_MAP_LOOKUP_BATCH / LOOKUP_AND_DELETE_BATCH. Returns the number of entries copied
 * and whether the map is exhausted (ENOENT). `inBatch` null starts from the beginning.
 */
export function mapLookupBatch(
  fd: number,
  inBatch: NativeBuffer | null,
  outBatch: NativeBuffer,
  keys: NativeBuffer,
  values: NativeBuffer,
  count: number,
  andDelete = false,
): { count: number; done: boolean; errno: number } {
  const dv = resetAttr();
  dv.setBigUint64(0, inBatch ? inBatch.addr : 0n, true);
  dv.setBigUint64(8, outBatch.addr, true);
  dv.setBigUint64(16, keys.addr, true);
  dv.setBigUint64(24, values.addr, true);
  dv.setUint32(32, count, true);
  dv.setUint32(36, fd, true);
  const cmd = andDelete ? BpfCmd.MapLookupAndDeleteBatch : BpfCmd.MapLookupBatch;
  const { errno: e } = tryBpf(cmd);
  const n = attr.dv.getUint32(32, true);
  if (e === 0) return { count: n, done: false, errno: 0 };
  if (e === ENOENT) return { count: n, done: true, errno: 0 };
  return { count: n, done: true, errno: e };
}

export interface ProgLoadAttr {
  type: number;
  insns: Uint8Array;
  license: string;
  name: string;
  expectedAttachType?: number;
  attachBtfId?: number;
  attachBtfObjFd?: number;
  /** 0: no log; 1: log on failure; 2: verbose. */
  logLevel: number;
  logSize?: number;
}

export interface ProgLoadResult {
  fd: number;
  errno: number;
  log: string;
}

/** Load a program; never throws for a verifier rejection (errno and log are returned). */
export function progLoad(a: ProgLoadAttr): ProgLoadResult {
  using insns = NativeBuffer.from(a.insns);
  using license = NativeBuffer.cString(a.license);
  const logSize = a.logLevel > 0 ? (a.logSize ?? 1 << 20) : 0;
  using log = new NativeBuffer(logSize || 1);
  const dv = resetAttr();
  dv.setUint32(0, a.type, true);
  dv.setUint32(4, a.insns.length / 8, true);
  dv.setBigUint64(8, insns.addr, true);
  dv.setBigUint64(16, license.addr, true);
  if (logSize) {
    dv.setUint32(24, a.logLevel, true);
    dv.setUint32(28, logSize, true);
    dv.setBigUint64(32, log.addr, true);
  }
  setName(dv, 48, a.name);
  dv.setUint32(68, a.expectedAttachType ?? 0, true);
  dv.setUint32(108, a.attachBtfId ?? 0, true);
  dv.setUint32(112, a.attachBtfObjFd ?? 0, true);
  let r = -1;
  let e = 0;
  for (let tries = 0; tries < 5; tries++) {
    ({ r, errno: e } = tryBpf(BpfCmd.ProgLoad));
    if (r >= 0 || (e !== EAGAIN && e !== EINTR)) break;
  }
  const end = log.bytes.indexOf(0);
  const text = logSize ? new TextDecoder().decode(log.bytes.subarray(0, end < 0 ? logSize : end)) : '';
  return { fd: r, errno: r >= 0 ? 0 : e, log: text };
}

/** BPF_LINK_CREATE. `extra` writes the attach-type specific union at offset 16. */
export function linkCreate(progFd: number, targetFd: number, attachType: number, extra?: (dv: DataView) => void, flags = 0): number {
  const dv = resetAttr();
  dv.setUint32(0, progFd, true);
  dv.setUint32(4, targetFd, true);
  dv.setUint32(8, attachType, true);
  dv.setUint32(12, flags, true);
  extra?.(dv);
  return bpf(BpfCmd.LinkCreate);
}

/** BPF_RAW_TRACEPOINT_OPEN (raw tracepoints by name; fentry/fexit with name null). */
export function rawTracepointOpen(progFd: number, name: string | null): number {
  using n = name === null ? null : NativeBuffer.cString(name);
  const dv = resetAttr();
  dv.setBigUint64(0, n ? n.addr : 0n, true);
  dv.setUint32(8, progFd, true);
  return bpf(BpfCmd.RawTracepointOpen, name ?? undefined);
}

/** BPF_OBJ_GET_INFO_BY_FD into `info` (its size is passed as info_len). */
export function objGetInfoByFd(fd: number, info: NativeBuffer): number {
  const dv = resetAttr();
  dv.setUint32(0, fd, true);
  dv.setUint32(4, info.size, true);
  dv.setBigUint64(8, info.addr, true);
  bpf(BpfCmd.ObjGetInfoByFd);
  return attr.dv.getUint32(4, true);
}

/** BPF_ENABLE_STATS(BPF_STATS_RUN_TIME): returns an fd; stats stay on while it is open. */
export function enableStats(): number {
  const dv = resetAttr();
  dv.setUint32(0, 0, true);
  return bpf(BpfCmd.EnableStats);
}

export interface TestRunResult {
  retval: number;
  durationNs: number;
}

/** BPF_PROG_TEST_RUN with an input context (raw tracepoint programs take u64 args). */
export function progTestRun(progFd: number, ctxIn: Uint8Array | null, repeat = 1): TestRunResult {
  using ctx = ctxIn ? NativeBuffer.from(ctxIn) : null;
  const dv = resetAttr();
  dv.setUint32(0, progFd, true);
  dv.setUint32(32, repeat, true);
  if (ctx) {
    dv.setUint32(40, ctx.size, true); // ctx_size_in
    dv.setBigUint64(48, ctx.addr, true); // ctx_in
  }
  bpf(BpfCmd.ProgTestRun);
  return { retval: attr.dv.getUint32(4, true), durationNs: attr.dv.getUint32(36, true) };
}

/** Iterate the ids of loaded BTF objects, vmlinux's and modules' included (BPF_BTF_GET_NEXT_ID). */
export function btfGetNextId(start: number): number | undefined {
  const dv = resetAttr();
  dv.setUint32(0, start, true);
  const { errno: e } = tryBpf(BpfCmd.BtfGetNextId);
  if (e === ENOENT) return undefined;
  if (e !== 0) throw new SysError('bpf(BtfGetNextId)', e, errnoName(e));
  return attr.dv.getUint32(4, true);
}

/** BPF_BTF_GET_FD_BY_ID. */
export function btfGetFdById(id: number): number {
  const dv = resetAttr();
  dv.setUint32(0, id, true);
  return bpf(BpfCmd.BtfGetFdById);
}
