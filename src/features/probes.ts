/**
 * The kernel features polytrace chooses between. Each probe does the smallest thing that
 * proves the mechanism works, and records the kernel's own answer when it does not.
 */
import { existsSync, readFileSync } from 'node:fs';
import { SysError } from '../errors.js';
import { defineFeature, type ProbeAnswer } from './feature.js';
import { progLoad, linkCreate, mapCreate, mapLookupBatch, rawTracepointOpen } from '../sys/bpf.js';
import { close } from '../sys/ffi.js';
import { errnoName, EBADF } from '../sys/errno.js';
import { NativeBuffer } from '../sys/mem.js';
import { pidfdGetfdExists } from '../sys/pidfd.js';
import { encode } from '../emit/assemble.js';
import { alu64, call, exit } from '../emit/asm.js';
import { R0, R1, R2, R3, FP, type Insn } from '../emit/insn.js';
import { Helper } from '../emit/helpers.gen.js';
import { ProgType, AttachType, MapType } from '../emit/types.js';
import { findTracefs } from '../symbols/tracefs.js';

const RETURN_0 = encode([alu64.mov.imm(R0, 0), exit()]);

function loadProbe(type: number, insns: Uint8Array, expectedAttachType = 0): { fd: number; why: string } {
  const r = progLoad({ type, insns, license: 'GPL', name: 'polytrace_feat', expectedAttachType, logLevel: 1, logSize: 4096 });
  if (r.fd >= 0) return { fd: r.fd, why: '' };
  const last = verifierReason(r.log);
  return { fd: -1, why: `${errnoName(r.errno)}${last ? `: ${last}` : ''}` };
}

/**
 * Load a kprobe-type program with `attachType` and try BPF_LINK_CREATE with `targetFd` and the
 * attach-type specific attr part `extra`. With `badTargetMeansYes`, an EBADF answer (the kernel
 * understood the attach type and then rejected the deliberately bad target) counts as present.
 */
function linkProbe(
  attachType: number,
  typeName: string,
  targetFd: number,
  extra: ((dv: DataView) => void) | undefined,
  badTargetMeansYes: boolean,
): ProbeAnswer {
  const { fd, why } = loadProbe(ProgType.Kprobe, RETURN_0, attachType);
  if (fd < 0) return { no: `program with expected attach type ${typeName} refused (${why})` };
  try {
    close(linkCreate(fd, targetFd, attachType, extra));
    return 'yes';
  } catch (e) {
    if (badTargetMeansYes && e instanceof SysError && e.errno === EBADF) return 'yes';
    return { no: e instanceof Error ? e.message : String(e) };
  } finally {
    close(fd);
  }
}

/** The verifier's complaint: the last log line that is not its statistics footer. */
export function verifierReason(log: string): string {
  const lines = log
    .trim()
    .split('\n')
    .filter((l) => l && !/^(processed \d+ insns|verification time)/.test(l));
  return lines.pop() ?? '';
}

/** Load a program calling `helper`; `args` sets up its arguments (r1 is the ctx on entry). */
function helperProbe(type: number, helper: number, name: string, args: Insn[] = []): ProbeAnswer {
  const insns = encode([...args, call(helper), alu64.mov.imm(R0, 0), exit()]);
  const { fd, why } = loadProbe(type, insns);
  if (fd >= 0) {
    close(fd);
    return 'yes';
  }
  return { no: `program calling ${name} refused (${why})` };
}

export const haveBpf = defineFeature({
  name: 'bpf',
  description: 'loading BPF programs',
  probe: () => {
    const { fd, why } = loadProbe(ProgType.Tracepoint, RETURN_0);
    if (fd >= 0) {
      close(fd);
      return 'yes';
    }
    return { no: why };
  },
});

function pmuType(pmu: string): number | undefined {
  try {
    return Number(readFileSync(`/sys/bus/event_source/devices/${pmu}/type`, 'utf8').trim());
  } catch {
    return undefined;
  }
}

export const haveUprobePmu = defineFeature({
  name: 'uprobe_pmu',
  description: 'the uprobe PMU (perf_event_open uprobes)',
  fallback: 'tracefs uprobe_events',
  probe: () => (pmuType('uprobe') !== undefined ? 'yes' : { no: '/sys/bus/event_source/devices/uprobe does not exist (CONFIG_UPROBE_EVENTS)' }),
});

export const haveKprobePmu = defineFeature({
  name: 'kprobe_pmu',
  description: 'the kprobe PMU (perf_event_open kprobes)',
  fallback: 'tracefs kprobe_events, or fentry/fexit',
  probe: () => (pmuType('kprobe') !== undefined ? 'yes' : { no: '/sys/bus/event_source/devices/kprobe does not exist (kernel built without CONFIG_KPROBES)' }),
});

export const haveTracefsKprobeEvents = defineFeature({
  name: 'kprobe_events',
  description: 'tracefs kprobe_events',
  probe: () => {
    const root = findTracefs();
    if (!root) return { no: 'tracefs is not mounted' };
    return existsSync(`${root}/kprobe_events`) ? 'yes' : { no: `${root}/kprobe_events does not exist (kernel built without CONFIG_KPROBE_EVENTS)` };
  },
});

export const haveTracefsUprobeEvents = defineFeature({
  name: 'uprobe_events',
  description: 'tracefs uprobe_events',
  probe: () => {
    const root = findTracefs();
    if (!root) return { no: 'tracefs is not mounted' };
    return existsSync(`${root}/uprobe_events`) ? 'yes' : { no: `${root}/uprobe_events does not exist` };
  },
});

/**
 * bpf_link for perf events (5.15, commit b89fbfbb854c): create a link with an invalid
 * target fd; a kernel that knows BPF_PERF_EVENT says EBADF, an older one EINVAL.
 */
export const haveBpfLinkPerfEvent = defineFeature({
  name: 'bpf_link_perf_event',
  description: 'bpf_link for perf events',
  fallback: 'PERF_EVENT_IOC_SET_BPF',
  probe: () => linkProbe(AttachType.PerfEvent, 'BPF_PERF_EVENT', 0x7fffffff, undefined, true),
});

/**
 * uprobe_multi links (6.6, commit 89ae89f53d20): attaching to "/" fails with EBADF
 * (not a regular file) on kernels that have them.
 */
export const haveUprobeMulti = defineFeature({
  name: 'uprobe_multi',
  description: 'uprobe_multi links',
  fallback: 'one perf event per uprobe',
  probe: () => {
    using path = NativeBuffer.cString('/');
    using offsets = new NativeBuffer(8);
    return linkProbe(
      AttachType.TraceUprobeMulti,
      'BPF_TRACE_UPROBE_MULTI',
      0,
      (dv) => {
        dv.setBigUint64(16, path.addr, true);
        dv.setBigUint64(24, offsets.addr, true);
        dv.setUint32(48, 1, true);
      },
      true,
    );
  },
});

/** kprobe_multi links (5.18): needs CONFIG_FPROBE; probe by attaching to one real symbol. */
export const haveKprobeMulti = defineFeature({
  name: 'kprobe_multi',
  description: 'kprobe_multi links',
  fallback: 'one kprobe per function',
  probe: () => {
    using sym = NativeBuffer.cString('vprintk');
    using syms = new NativeBuffer(8);
    syms.dv.setBigUint64(0, sym.addr, true);
    return linkProbe(
      AttachType.TraceKprobeMulti,
      'BPF_TRACE_KPROBE_MULTI',
      0,
      (dv) => {
        dv.setUint32(20, 1, true); // cnt
        dv.setBigUint64(24, syms.addr, true); // syms
      },
      false,
    );
  },
});

/**
 * Raw tracepoints (4.17): a return-0 program opened with BPF_RAW_TRACEPOINT_OPEN on
 * sched_switch, which every kernel with tracepoints has. The tracepoint provider counts at raw
 * tracepoints where it can: they attach and detach in milliseconds, where each perf-event
 * tracepoint costs an RCU grace period to close.
 */
export const haveRawTracepoint = defineFeature({
  name: 'raw_tracepoint',
  description: 'raw tracepoints (BPF_RAW_TRACEPOINT_OPEN)',
  fallback: 'a perf event per tracepoint',
  probe: () => {
    const { fd, why } = loadProbe(ProgType.RawTracepoint, RETURN_0);
    if (fd < 0) return { no: `raw tracepoint program refused (${why})` };
    try {
      close(rawTracepointOpen(fd, 'sched_switch'));
      return 'yes';
    } catch (e) {
      return { no: e instanceof Error ? e.message : String(e) };
    } finally {
      close(fd);
    }
  },
});

/**
 * bpf_get_current_task_btf in raw tracepoint programs (5.11): the syscall family program reads
 * the task's compat flag directly with it instead of calling bpf_probe_read_kernel.
 */
export const haveCurrentTaskBtf = defineFeature({
  name: 'current_task_btf',
  description: 'bpf_get_current_task_btf in raw tracepoints',
  fallback: 'bpf_get_current_task and bpf_probe_read_kernel',
  probe: () => helperProbe(ProgType.RawTracepoint, Helper.GetCurrentTaskBtf, 'bpf_get_current_task_btf'),
});

export const haveRingbuf = defineFeature({
  name: 'ringbuf',
  description: 'BPF ring buffer maps',
  fallback: 'perf buffers',
  probe: () => {
    try {
      close(mapCreate({ type: MapType.Ringbuf, keySize: 0, valueSize: 0, maxEntries: 4096 }));
      return 'yes';
    } catch (e) {
      return { no: e instanceof Error ? e.message : String(e) };
    }
  },
});

export const haveAttachCookie = defineFeature({
  name: 'attach_cookie',
  description: 'bpf_get_attach_cookie',
  fallback: 'one program per probe',
  probe: () => helperProbe(ProgType.Tracepoint, Helper.GetAttachCookie, 'bpf_get_attach_cookie'),
});

export const haveGetFuncIp = defineFeature({
  name: 'get_func_ip',
  description: 'bpf_get_func_ip in kprobes',
  probe: () => helperProbe(ProgType.Kprobe, Helper.GetFuncIp, 'bpf_get_func_ip'),
});

export const haveProbeReadKernel = defineFeature({
  name: 'probe_read_kernel',
  description: 'bpf_probe_read_{kernel,user}[_str]',
  fallback: 'bpf_probe_read',
  probe: () =>
    helperProbe(ProgType.Kprobe, Helper.ProbeReadKernel, 'bpf_probe_read_kernel', [
      alu64.mov.reg(R1, FP),
      alu64.add.imm(R1, -8),
      alu64.mov.imm(R2, 8),
      alu64.mov.imm(R3, 0),
    ]),
});

export const haveBatchOps = defineFeature({
  name: 'batch_ops',
  description: 'batched map lookups',
  fallback: 'one lookup per key',
  probe: () => {
    let fd = -1;
    try {
      fd = mapCreate({ type: MapType.Hash, keySize: 4, valueSize: 8, maxEntries: 4 });
      using out = new NativeBuffer(4);
      using keys = new NativeBuffer(16);
      using values = new NativeBuffer(32);
      const r = mapLookupBatch(fd, null, out, keys, values, 4);
      return r.errno === 0 ? 'yes' : { no: `BPF_MAP_LOOKUP_BATCH: ${errnoName(r.errno)}` };
    } catch (e) {
      return { no: e instanceof Error ? e.message : String(e) };
    } finally {
      if (fd >= 0) close(fd);
    }
  },
});

/**
 * pidfd_getfd (5.6), which the uprobe keeper (attach/keeper.ts) duplicates the tool's program
 * fds with. Probed with fd -1: EBADF when the call exists, ENOSYS when it does not.
 */
export const haveUprobeKeeper = defineFeature({
  name: 'uprobe_keeper',
  description: 'a keeper process for uprobes (pidfd_getfd)',
  fallback: 'the tool attaches and detaches uprobes itself: a SIGKILL while it does may leave uprobes in the kernel',
  probe: () => (pidfdGetfdExists() ? 'yes' : { no: 'no pidfd_getfd system call (Linux 5.6)' }),
});
