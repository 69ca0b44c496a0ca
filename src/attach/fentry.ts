/**
 * fentry/fexit: BPF trampolines on a kernel function (5.5+). The program is a Tracing
 * program loaded with expected attach type BPF_TRACE_FENTRY or BPF_TRACE_FEXIT and the
 * function's BTF id as attach_btf_id (see `fentryAttachBtf`; a module's function also
 * names its module's BTF object in attach_btf_obj_fd); attaching needs no more
 * than the program: BPF_LINK_CREATE where the kernel takes tracing programs there, else
 * BPF_RAW_TRACEPOINT_OPEN with no name (the original fentry attach). Either way the result
 * is a bpf_link fd: closing it (or exiting) detaches.
 *
 *   const prog = session.load({ ...spec, type: ProgType.Tracing, expectedAttachType: AttachType.TraceFentry,
 *                               attachBtfId: fentryAttachBtf('vfs_read').id });
 *   const link = attachFentry(prog, 'vfs_read');
 */
import { linkCreate, rawTracepointOpen } from '../sys/bpf.js';
import { close } from '../sys/ffi.js';
import { EINVAL, ENOTSUPP, EOPNOTSUPP } from '../sys/errno.js';
import { SysError, ResolveError } from '../errors.js';
import { kernelFunctionBtf } from '../kernel/btf.js';
import { AttachType } from '../emit/types.js';
import { FdLink, type Link } from './link.js';
import type { LoadedProgram } from '../kernel/program.js';

/**
 * What a fentry/fexit program is loaded against: the function's FUNC id (the first, when
 * static functions share a name), and for a module's function the module, whose BTF object
 * goes in attach_btf_obj_fd.
 */
export function fentryAttachBtf(name: string): { id: number; module?: string } {
  const found = kernelFunctionBtf(name);
  if (!found) throw new ResolveError(`cannot attach fentry/fexit to ${name}: no BTF describes a function of that name (inlined or renamed by the compiler)`);
  return found;
}

let linkCreateWorks: boolean | undefined;

export function attachFentry(prog: LoadedProgram, label: string): Link {
  const attachType = prog.spec.expectedAttachType ?? AttachType.TraceFentry;
  const kind = attachType === AttachType.TraceFexit ? 'fexit' : 'fentry';
  if (linkCreateWorks !== false) {
    try {
      const fd = linkCreate(prog.fd.value, 0, attachType);
      linkCreateWorks = true;
      return new FdLink(`${kind}:${label} (bpf_link)`, [() => close(fd)]);
    } catch (e) {
      // Kernels that predate tracing programs in BPF_LINK_CREATE say EINVAL.
      if (!(e instanceof SysError) || ![EINVAL, EOPNOTSUPP, ENOTSUPP].includes(e.errno) || linkCreateWorks === true) throw e;
      linkCreateWorks = false;
    }
  }
  const fd = rawTracepointOpen(prog.fd.value, null);
  return new FdLink(`${kind}:${label} (raw_tracepoint_open)`, [() => close(fd)]);
}
