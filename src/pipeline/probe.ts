/**
 * The resolve step of trace and argdist: a probe reference as their specs write it → the
 * places its provider names, and the kernel BTF a probe's expressions are checked with.
 */
import type { ProbeRef } from '../specs/ast.js';
import type { BtfSource } from '../compile/context.js';
import type { ProbeHost } from '../probes/host.js';
import type { ResolvedProbe } from '../probes/provider.js';
import { refQuery, resolveProbe } from '../probes/registry.js';

export function resolveRef(r: ProbeRef, pid: number | undefined, host: ProbeHost): ResolvedProbe[] {
  return resolveProbe(refQuery(r, pid), host);
}

/**
 * The BTF a probe is checked with, loaded only if an expression needs a kernel type: a kernel
 * function's own (vmlinux's or its module's: its parameters are named from it), else vmlinux's.
 * A machine without BTF still runs every probe that needs none.
 */
export function btfFor(r: ResolvedProbe, host: ProbeHost): BtfSource {
  const fn = r.target.kind === 'kfunc' ? r.target.symbol : undefined;
  return () => host.kernelBtf(fn);
}
