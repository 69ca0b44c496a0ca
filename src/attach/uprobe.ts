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
 * Close the Link (or exit) to detach. Where the uprobe keeper runs (keeper.ts), it makes the
 * attach and detach system calls and holds the fds, so that the kernel never installs or
 * removes breakpoints in a tool dying of SIGKILL; otherwise the tool makes them itself.
 */
import { readFileSync } from 'node:fs';
import { close } from '../sys/ffi.js';
import { haveUprobePmu } from '../features/probes.js';
import { perfAttachMode } from './perf-event.js';
import { uprobeMultiFd, uprobePerfFds, type UprobeMultiTarget, type UprobePerf } from './fds.js';
import { keptAttach } from './keeper.js';
import { FdLink, type Link } from './link.js';
import type { LoadedProgram } from '../kernel/program.js';

export type { UprobeMultiTarget } from './fds.js';

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
  const what = `${t.ret ? 'uretprobe' : 'uprobe'} ${t.label ?? ''} ${t.path}:0x${t.offset.toString(16)}`.replace(/\s+/g, ' ');
  const mode = perfAttachMode(t.cookie);
  const u: UprobePerf = {
    pmuType: uprobePmuType(),
    path: t.path,
    offset: t.offset,
    ret: t.ret,
    refCtrOffset: t.refCtrOffset,
    pid: t.pid ?? -1,
    cookie: t.cookie,
    mode,
    what,
  };
  const description = `${what} (${mode === 'link' ? 'bpf_link' : 'perf ioctl'})`;
  const kept = keptAttach(prog, { op: 'perf', u }, description, true);
  if (kept) return kept;
  const fds = uprobePerfFds(prog.fd.value, u);
  return new FdLink(
    description,
    fds.map((fd) => () => close(fd)),
    { slowClose: true },
  );
}

/** One uprobe_multi link over many offsets of one file. The program must have been loaded
 *  with expected attach type BPF_TRACE_UPROBE_MULTI. */
export function attachUprobeMulti(prog: LoadedProgram, t: UprobeMultiTarget): Link {
  const description = `uprobe_multi ${t.path} (${t.offsets.length} offsets)`;
  const kept = keptAttach(prog, { op: 'multi', t }, description, false);
  if (kept) return kept;
  const fd = uprobeMultiFd(prog.fd.value, t);
  return new FdLink(description, [() => close(fd)]);
}
