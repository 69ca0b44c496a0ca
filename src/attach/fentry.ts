/**
 * fentry/fexit: BPF trampolines on a kernel function (5.5+). The program is a Tracing
 * program loaded with expected attach type BPF_TRACE_FENTRY or BPF_TRACE_FEXIT and the
 * function's BTF id as attach_btf_id (see `kernelFunctionBtf`; a module's function also
 * names its module's BTF object in attach_btf_obj_fd); attaching needs no more
 * than the program: BPF_LINK_CREATE where the kernel takes tracing programs there, else
 * BPF_RAW_TRACEPOINT_OPEN with no name (the original fentry attach). Either way the result
 * is a bpf_link fd: closing it (or exiting) detaches.
 *
 *   const prog = session.load({ ...spec, type: ProgType.Tracing, expectedAttachType: AttachType.TraceFentry,
 *                               attachBtfId: kernelFunctionBtf('vfs_read').id });
 *   const link = attachFentry(prog, 'vfs_read');
 */
import { linkCreate, rawTracepointOpen } from '../sys/bpf.js';
import { close } from '../sys/ffi.js';
import { EINVAL, ENOTSUPP, EOPNOTSUPP } from '../sys/errno.js';
import { SysError, ResolveError } from '../errors.js';
import { loadKernelBtf, moduleFunction } from '../kernel/btf.js';
import { AttachType } from '../emit/types.js';
import { FdLink, type Link } from './link.js';
import type { LoadedProgram } from '../kernel/program.js';

/**
 * The BTF FUNC id of a kernel function (the first, when static functions share a name): in
 * vmlinux BTF, else in a loaded module's split BTF, whose ids continue vmlinux's as the
 * kernel numbers them (the module is then named, for attach_btf_obj_fd).
 */
export function kernelFunctionBtf(name: string): { id: number; module?: string } {
  const ids = loadKernelBtf().idsByName(name, 'func');
  if (ids.length > 0) return { id: ids[0]! };
  const m = moduleFunction(name);
  if (m) return { id: m.id, module: m.module };
  throw new ResolveError(`cannot attach fentry/fexit to ${name}: no BTF describes a function of that name (inlined or renamed by the compiler)`);
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
