/**
 * Attaching a program to a perf event (tracepoint, kprobe or uprobe PMU event): through a
 * bpf_link when the kernel has it (5.15+; the only way to pass a bpf_cookie), else with the
 * PERF_EVENT_IOC_SET_BPF ioctl. Either way the perf event fd owns the attachment: when the
 * process dies, the kernel detaches everything.
 */
import { close } from '../sys/ffi.js';
import { haveBpfLinkPerfEvent, haveAttachCookie } from '../features/probes.js';
import { UnsupportedFeatureError } from '../errors.js';
import { FdLink, type Link } from './link.js';
import { attachPerfEventFds, type PerfAttachMode } from './fds.js';
import type { LoadedProgram } from '../kernel/program.js';

/** Whether attachments can carry a bpf_cookie (read back with bpf_get_attach_cookie). */
export function cookiesSupported(): boolean {
  return haveBpfLinkPerfEvent.available() && haveAttachCookie.available();
}

/** The mode this kernel offers for `cookie`; throws when a cookie needs a bpf_link it lacks. */
export function perfAttachMode(cookie?: bigint): PerfAttachMode {
  if (haveBpfLinkPerfEvent.available()) return 'link';
  if (cookie !== undefined && cookie !== 0n) {
    throw new UnsupportedFeatureError('bpf_link_perf_event', 'attach cookies need bpf_link for perf events (Linux 5.15)');
  }
  return 'ioctl';
}

export function attachPerfEvent(prog: LoadedProgram, perfFd: number, description: string, cookie?: bigint): Link {
  let mode: PerfAttachMode;
  try {
    mode = perfAttachMode(cookie);
  } catch (e) {
    close(perfFd);
    throw e;
  }
  const fds = attachPerfEventFds(prog.fd.value, perfFd, mode, cookie);
  return new FdLink(
    `${description} (${mode === 'link' ? 'bpf_link' : 'perf ioctl'})`,
    fds.map((fd) => () => close(fd)),
    { slowClose: true },
  );
}
