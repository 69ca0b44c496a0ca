/**
 * Uprobes and uretprobes on a file offset of an ELF file.
 *
 * - one probe: a perf event on the `uprobe` PMU (4.17+): config bit 0 = return probe,
 *   config bits 32-63 = offset of the USDT semaphore ("reference counter", 4.20+, so the
 *   kernel increments it while the probe is attached and is-enabled probes fire without
 *   -p), config1 = path, config2 = offset. pid -1 traces every process.
 * - many probes on one file: a single uprobe_multi link (6.6+) attaches all offsets at
 *   once and detaches them in milliseconds; each offset carries a cookie.
 *
 *   const link = attachUprobe(prog, { path: '/usr/lib/x86_64-linux-gnu/libc.so.6', offset: 0x9a0b0n, ret: false });
 *
 * Close the Link (or exit) to detach.
 */
import { readFileSync } from 'node:fs';
import { perfEventOpen } from '../sys/perf.js';
import { linkCreate } from '../sys/bpf.js';
import { close } from '../sys/ffi.js';
import { NativeBuffer } from '../sys/mem.js';
import { AttachType } from '../emit/types.js';
import { haveUprobePmu } from '../features/probes.js';
import { attachPerfEvent } from './perf-event.js';
import { FdLink, type Link } from './link.js';
import type { LoadedProgram } from '../kernel/program.js';

export interface UprobeTarget {
  path: string;
  offset: bigint;
  ret: boolean;
  pid?: number;
  refCtrOffset?: bigint;
  cookie?: bigint;
  /** For messages: "c:malloc". */
  label?: string;
}

let uprobeType: number | undefined;

function uprobePmuType(): number {
  haveUprobePmu.require();
  return (uprobeType ??= Number(readFileSync('/sys/bus/event_source/devices/uprobe/type', 'utf8').trim()));
}

export function attachUprobe(prog: LoadedProgram, t: UprobeTarget): Link {
  using path = NativeBuffer.cString(t.path);
  let config = t.ret ? 1n : 0n;
  if (t.refCtrOffset) config |= t.refCtrOffset << 32n;
  const pid = t.pid ?? -1;
  const what = `${t.ret ? 'uretprobe' : 'uprobe'} ${t.label ?? ''} ${t.path}:0x${t.offset.toString(16)}`.replace(/\s+/g, ' ');
  const fd = perfEventOpen(
    { type: uprobePmuType(), config, config1: path.addr, config2: t.offset, samplePeriod: 1n, wakeupEvents: 1, disabled: true },
    pid,
    pid >= 0 ? -1 : 0,
    -1,
    what,
  );
  return attachPerfEvent(prog, fd, what, t.cookie);
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

/** One uprobe_multi link over many offsets of one file. The program must have been loaded
 *  with expected attach type BPF_TRACE_UPROBE_MULTI. */
export function attachUprobeMulti(prog: LoadedProgram, t: UprobeMultiTarget): Link {
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
  const fd = linkCreate(prog.fd.value, 0, AttachType.TraceUprobeMulti, (dv) => {
    dv.setBigUint64(16, path.addr, true);
    dv.setBigUint64(24, offsets.addr, true);
    if (t.refCtrOffsets) dv.setBigUint64(32, refs.addr, true);
    if (t.cookies) dv.setBigUint64(40, cookies.addr, true);
    dv.setUint32(48, n, true);
    dv.setUint32(52, t.ret ? BPF_F_UPROBE_MULTI_RETURN : 0, true);
    dv.setUint32(56, t.pid ?? 0, true);
  });
  return new FdLink(`uprobe_multi ${t.path} (${n} offsets)`, [() => close(fd)]);
}
