/**
 * Attach steps over plain fds, with no feature probes and no session: what the tools run
 * themselves, and what the uprobe keeper (keeper-main.ts) runs on their behalf. The caller
 * decides everything that needs a probe of the kernel (the PMU type, link or ioctl) and passes
 * it in.
 */
import { linkCreate } from '../sys/bpf.js';
import { close } from '../sys/ffi.js';
import { NativeBuffer } from '../sys/mem.js';
import { perfEventOpen, perfIoctl, PERF_EVENT_IOC_ENABLE, PERF_EVENT_IOC_SET_BPF } from '../sys/perf.js';
import { AttachType } from '../emit/types.js';

/** How a program goes onto a perf event: a bpf_link (5.15+) or the PERF_EVENT_IOC_SET_BPF ioctl. */
export type PerfAttachMode = 'link' | 'ioctl';

/**
 * Attaches program fd `progFd` to `perfFd` and enables it: the fds to close to detach, in
 * order (the link first, then the perf event). Closes `perfFd` when it fails.
 */
export function attachPerfEventFds(progFd: number, perfFd: number, mode: PerfAttachMode, cookie?: bigint): number[] {
  try {
    if (mode === 'link') {
      const linkFd = linkCreate(progFd, perfFd, AttachType.PerfEvent, (dv) => {
        dv.setBigUint64(16, cookie ?? 0n, true);
      });
      try {
        perfIoctl(perfFd, PERF_EVENT_IOC_ENABLE, 0, 'PERF_EVENT_IOC_ENABLE');
      } catch (e) {
        close(linkFd);
        throw e;
      }
      return [linkFd, perfFd];
    }
    perfIoctl(perfFd, PERF_EVENT_IOC_SET_BPF, progFd, 'PERF_EVENT_IOC_SET_BPF');
    perfIoctl(perfFd, PERF_EVENT_IOC_ENABLE, 0, 'PERF_EVENT_IOC_ENABLE');
    return [perfFd];
  } catch (e) {
    close(perfFd);
    throw e;
  }
}

/** One uprobe or uretprobe as a perf event of the uprobe PMU, with everything decided. */
export interface UprobePerf {
  /** /sys/bus/event_source/devices/uprobe/type */
  readonly pmuType: number;
  readonly path: string;
  readonly offset: bigint;
  readonly ret: boolean;
  readonly refCtrOffset?: bigint;
  /** -1: every process. */
  readonly pid: number;
  readonly cookie?: bigint;
  readonly mode: PerfAttachMode;
  /** For messages. */
  readonly what: string;
}

/**
 * Opens the uprobe's perf event (config bit 0: return probe; bits 32-63: the USDT semaphore's
 * offset; config1: path; config2: offset) and attaches `progFd`: the fds to close, in order.
 */
export function uprobePerfFds(progFd: number, u: UprobePerf): number[] {
  using path = NativeBuffer.cString(u.path);
  let config = u.ret ? 1n : 0n;
  if (u.refCtrOffset) config |= u.refCtrOffset << 32n;
  const fd = perfEventOpen(
    { type: u.pmuType, config, config1: path.addr, config2: u.offset, samplePeriod: 1n, wakeupEvents: 1, disabled: true },
    u.pid,
    u.pid >= 0 ? -1 : 0,
    -1,
    u.what,
  );
  return attachPerfEventFds(progFd, fd, u.mode, u.cookie);
}

export interface UprobeMultiTarget {
  path: string;
  offsets: readonly bigint[];
  cookies?: readonly bigint[];
  refCtrOffsets?: readonly bigint[];
  ret: boolean;
  pid?: number;
}

const BPF_F_UPROBE_MULTI_RETURN = 1;

/** BPF_LINK_CREATE of a uprobe_multi link (6.6+) over the offsets of one file: its fd. */
export function uprobeMultiFd(progFd: number, t: UprobeMultiTarget): number {
  const n = t.offsets.length;
  using path = NativeBuffer.cString(t.path);
  using offsets = new NativeBuffer(8 * n);
  using cookies = new NativeBuffer(8 * n);
  using refs = new NativeBuffer(8 * n);
  for (let i = 0; i < n; i++) {
    offsets.dv.setBigUint64(8 * i, t.offsets[i], true);
    cookies.dv.setBigUint64(8 * i, t.cookies?.[i] ?? 0n, true);
    refs.dv.setBigUint64(8 * i, t.refCtrOffsets?.[i] ?? 0n, true);
  }
  return linkCreate(progFd, 0, AttachType.TraceUprobeMulti, (dv) => {
    dv.setBigUint64(16, path.addr, true);
    dv.setBigUint64(24, offsets.addr, true);
    if (t.refCtrOffsets) dv.setBigUint64(32, refs.addr, true);
    if (t.cookies) dv.setBigUint64(40, cookies.addr, true);
    dv.setUint32(48, n, true);
    dv.setUint32(52, t.ret ? BPF_F_UPROBE_MULTI_RETURN : 0, true);
    dv.setUint32(56, t.pid ?? 0, true);
  });
}
