/**
 * Attaching a program to a perf event (tracepoint, kprobe or uprobe PMU event): through a
 * bpf_link when the kernel has it (5.15+; the only way to pass a bpf_cookie), else with the
 * PERF_EVENT_IOC_SET_BPF ioctl. Either way the perf event fd owns the attachment: when the
 * process dies, the kernel detaches everything.
 */
import { linkCreate } from '../sys/bpf.js';
import { close } from '../sys/ffi.js';
import { perfIoctl, PERF_EVENT_IOC_ENABLE, PERF_EVENT_IOC_SET_BPF } from '../sys/perf.js';
import { AttachType } from '../emit/types.js';
import { haveBpfLinkPerfEvent, haveAttachCookie } from '../features/probes.js';
import { UnsupportedFeatureError } from '../errors.js';
import { FdLink, type Link } from './link.js';
import type { LoadedProgram } from '../kernel/program.js';

/** Whether attachments can carry a bpf_cookie (read back with bpf_get_attach_cookie). */
export function cookiesSupported(): boolean {
  return haveBpfLinkPerfEvent.available() && haveAttachCookie.available();
}

export function attachPerfEvent(prog: LoadedProgram, perfFd: number, description: string, cookie?: bigint): Link {
  try {
    if (haveBpfLinkPerfEvent.available()) {
      const linkFd = linkCreate(prog.fd.value, perfFd, AttachType.PerfEvent, (dv) => {
        dv.setBigUint64(16, cookie ?? 0n, true);
      });
      perfIoctl(perfFd, PERF_EVENT_IOC_ENABLE, 0, 'PERF_EVENT_IOC_ENABLE');
      return new FdLink(`${description} (bpf_link)`, [() => close(linkFd), () => close(perfFd)], { slowClose: true });
    }
    if (cookie !== undefined && cookie !== 0n) {
      throw new UnsupportedFeatureError('bpf_link_perf_event', 'attach cookies need bpf_link for perf events (Linux 5.15)');
    }
    perfIoctl(perfFd, PERF_EVENT_IOC_SET_BPF, prog.fd.value, 'PERF_EVENT_IOC_SET_BPF');
    perfIoctl(perfFd, PERF_EVENT_IOC_ENABLE, 0, 'PERF_EVENT_IOC_ENABLE');
    return new FdLink(`${description} (perf ioctl)`, [() => close(perfFd)], { slowClose: true });
  } catch (e) {
    close(perfFd);
    throw e;
  }
}
