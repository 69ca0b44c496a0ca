/**
 * fentry/fexit (BPF trampolines, 5.5+): load a tracing program against a kernel function's
 * BTF id. Some kernels refuse these loads outright (EPERM on the development hosts here,
 * whatever the capabilities), so this is probed, never assumed from the version.
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
      type: ProgType.Tracing, expectedAttachType: AttachType.TraceFentry, attachBtfId: btfId,
      insns: encode([alu64.mov.imm(R0, 0), exit()]), license: 'GPL', name: 'polytrace_feat', logLevel: 1, logSize: 4096,
    });
    if (r.fd >= 0) {
      close(r.fd);
      return 'yes';
    }
    const last = verifierReason(r.log);
    return { no: `the kernel refused an fentry program (${errnoName(r.errno)}${last ? `: ${last}` : ''})` };
  },
});
