/**
 * fentry/fexit (BPF trampolines, 5.5+): load a tracing program against a kernel function's
 * BTF id. Some kernels refuse these loads outright (EPERM on the development hosts here,
 * whatever the capabilities), so this is probed, never assumed from the version. tp_btf, the
 * same kind of program at a tracepoint, is probed here too.
 */
import { defineFeature } from './feature.js';
import { verifierReason } from './probes.js';
import { progLoad } from '../sys/bpf.js';
import { close } from '../sys/ffi.js';
import { errnoName } from '../sys/errno.js';
import { encode } from '../emit/assemble.js';
import { alu64, exit, R0 } from '../emit/asm.js';
import { ProgType, AttachType } from '../emit/types.js';
import { loadKernelBtf } from '../kernel/btf.js';

export const haveFentry = defineFeature({
  name: 'fentry',
  description: 'fentry/fexit (BPF trampolines)',
  fallback: 'kprobes',
  probe: () => {
    let btfId: number | undefined;
    try {
      const spec = loadKernelBtf();
      btfId = spec.idsByName('vfs_read', 'func')[0] ?? spec.idsByName('schedule', 'func')[0];
    } catch (e) {
      return { no: `no kernel BTF (${e instanceof Error ? e.message : String(e)})` };
    }
    if (btfId === undefined) return { no: 'kernel BTF has no vfs_read or schedule to probe with' };
    const r = progLoad({
      type: ProgType.Tracing,
      expectedAttachType: AttachType.TraceFentry,
      attachBtfId: btfId,
      insns: encode([alu64.mov.imm(R0, 0), exit()]),
      license: 'GPL',
      name: 'polytrace_feat',
      logLevel: 1,
      logSize: 4096,
    });
    if (r.fd >= 0) {
      close(r.fd);
      return 'yes';
    }
    const last = verifierReason(r.log);
    return { no: `the kernel refused an fentry program (${errnoName(r.errno)}${last ? `: ${last}` : ''})` };
  },
});

/**
 * tp_btf (BTF-enabled raw tracepoints, 5.5+): a tracing program with expected attach type
 * BPF_TRACE_RAW_TP whose attach_btf_id is the tracepoint's typedef `btf_trace_sched_switch`.
 * Reported by `polytrace features` only: `rawtracepoint:` probes load
 * BPF_PROG_TYPE_RAW_TRACEPOINT programs and read pointers with bpf_probe_read_kernel, which
 * kernels that refuse tracing programs (as they refuse fentry) still accept.
 */
export const haveTpBtf = defineFeature({
  name: 'tp_btf',
  description: 'BTF-enabled raw tracepoints (tp_btf)',
  fallback: 'raw tracepoint programs (what polytrace uses)',
  probe: () => {
    let btfId: number | undefined;
    try {
      btfId = loadKernelBtf().idsByName('btf_trace_sched_switch', 'typedef')[0];
    } catch (e) {
      return { no: `no kernel BTF (${e instanceof Error ? e.message : String(e)})` };
    }
    if (btfId === undefined) return { no: 'kernel BTF has no btf_trace_sched_switch to probe with' };
    const r = progLoad({
      type: ProgType.Tracing,
      expectedAttachType: AttachType.TraceRawTp,
      attachBtfId: btfId,
      insns: encode([alu64.mov.imm(R0, 0), exit()]),
      license: 'GPL',
      name: 'polytrace_feat',
      logLevel: 1,
      logSize: 4096,
    });
    if (r.fd >= 0) {
      close(r.fd);
      return 'yes';
    }
    const last = verifierReason(r.log);
    return { no: `the kernel refused a tp_btf program (${errnoName(r.errno)}${last ? `: ${last}` : ''})` };
  },
});
