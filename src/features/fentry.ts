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

type ProbeAnswer = ReturnType<Parameters<typeof defineFeature>[0]['probe']>;

/**
 * Loads a return-0 tracing program of `attachType` against the first BTF id `find` names;
 * `what` names the program in the refusal.
 */
function tracingProbe(attachType: number, find: () => number | undefined, missing: string, what: string): ProbeAnswer {
  let btfId: number | undefined;
  try {
    btfId = find();
  } catch (e) {
    return { no: `no kernel BTF (${e instanceof Error ? e.message : String(e)})` };
  }
  if (btfId === undefined) return { no: missing };
  const r = progLoad({
    type: ProgType.Tracing,
    expectedAttachType: attachType,
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
  return { no: `the kernel refused ${what} (${errnoName(r.errno)}${last ? `: ${last}` : ''})` };
}

export const haveFentry = defineFeature({
  name: 'fentry',
  description: 'fentry/fexit (BPF trampolines)',
  fallback: 'kprobes',
  probe: () =>
    tracingProbe(
      AttachType.TraceFentry,
      () => {
        const spec = loadKernelBtf();
        return spec.idsByName('vfs_read', 'func')[0] ?? spec.idsByName('schedule', 'func')[0];
      },
      'kernel BTF has no vfs_read or schedule to probe with',
      'an fentry program',
    ),
});

/**
 * tp_btf (BTF-enabled raw tracepoints, 5.5+): a tracing program with expected attach type
 * BPF_TRACE_RAW_TP whose attach_btf_id is the tracepoint's typedef `btf_trace_sched_switch`.
 * Reported by `polytrace features` only: `rawtracepoint:` probes load
 * BPF_PROG_TYPE_RAW_TRACEPOINT programs, which kernels that refuse tracing programs (as they
 * refuse fentry) still accept.
 */
export const haveTpBtf = defineFeature({
  name: 'tp_btf',
  description: 'BTF-enabled raw tracepoints (tp_btf)',
  fallback: 'raw tracepoint programs (what polytrace uses)',
  probe: () =>
    tracingProbe(
      AttachType.TraceRawTp,
      () => loadKernelBtf().idsByName('btf_trace_sched_switch', 'typedef')[0],
      'kernel BTF has no btf_trace_sched_switch to probe with',
      'a tp_btf program',
    ),
});
