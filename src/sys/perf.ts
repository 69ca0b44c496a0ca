/**
 * perf_event_open(2) and the perf ioctls. Glossary (after cilium's):
 * - trace event: a kernel hook with an id under <tracefs>/events (tracepoints, and
 *   kprobe/uprobe events created through tracefs);
 * - PMU probe: a kprobe or uprobe created directly by perf_event_open on the dynamic
 *   `kprobe`/`uprobe` PMU (type read from /sys/bus/event_source/devices/<pmu>/type),
 *   owned by the fd and gone when it closes;
 * - a BPF program is attached to a perf event either with a bpf_link (BPF_LINK_CREATE,
 *   attach type BPF_PERF_EVENT, 5.15+) or the older PERF_EVENT_IOC_SET_BPF ioctl.
 */
import { SysError } from '../errors.js';
import { errno, rawSyscall5, ioctl } from './ffi.js';
import { errnoName } from './errno.js';
import { NativeBuffer } from './mem.js';

const NR_PERF_EVENT_OPEN = process.arch === 'arm64' ? 241 : 298;

export const PERF_TYPE_HARDWARE = 0;
export const PERF_TYPE_SOFTWARE = 1;
export const PERF_TYPE_TRACEPOINT = 2;
export const PERF_COUNT_SW_BPF_OUTPUT = 10;
export const PERF_SAMPLE_RAW = 1 << 10;
export const PERF_FLAG_FD_CLOEXEC = 8;

export const PERF_EVENT_IOC_ENABLE = 0x2400;
export const PERF_EVENT_IOC_DISABLE = 0x2401;
/** _IOW('$', 8, __u32) */
export const PERF_EVENT_IOC_SET_BPF = 0x40042408;

export interface PerfEventAttr {
  type: number;
  config: bigint;
  /** kprobe_func / uprobe_path pointer, or bp_addr. */
  config1?: bigint;
  /** kprobe_addr / probe_offset. */
  config2?: bigint;
  sampleType?: bigint;
  samplePeriod?: bigint;
  wakeupEvents?: number;
  disabled?: boolean;
  /** Watermark mode: wake up after wakeupEvents bytes instead of events. */
  watermark?: boolean;
}

// PERF_ATTR_SIZE_VER5 (112) covers every field we set and is accepted by 4.x and later.
const ATTR_SIZE = 112;

export function perfEventOpen(a: PerfEventAttr, pid: number, cpu: number, groupFd = -1, what?: string): number {
  using buf = new NativeBuffer(ATTR_SIZE);
  const dv = buf.dv;
  dv.setUint32(0, a.type, true);
  dv.setUint32(4, ATTR_SIZE, true);
  dv.setBigUint64(8, a.config, true);
  dv.setBigUint64(16, a.samplePeriod ?? 0n, true);
  dv.setBigUint64(24, a.sampleType ?? 0n, true);
  let flags = 0n;
  if (a.disabled) flags |= 1n;
  if (a.watermark) flags |= 1n << 14n;
  dv.setBigUint64(40, flags, true);
  dv.setUint32(48, a.wakeupEvents ?? 0, true);
  dv.setBigUint64(56, a.config1 ?? 0n, true);
  dv.setBigUint64(64, a.config2 ?? 0n, true);
  const fd = rawSyscall5(NR_PERF_EVENT_OPEN, buf.addr, pid, cpu, groupFd, PERF_FLAG_FD_CLOEXEC);
  if (fd < 0) {
    const e = errno();
    throw new SysError('perf_event_open', e, errnoName(e), what);
  }
  return fd;
}

export function perfIoctl(fd: number, req: number, arg: number | bigint, what: string): void {
  if (ioctl(fd, req, BigInt(arg)) < 0) {
    const e = errno();
    throw new SysError(`ioctl(${what})`, e, errnoName(e));
  }
}
