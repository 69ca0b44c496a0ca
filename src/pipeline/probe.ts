/**
 * The resolve step of trace and argdist: a probe reference as their specs write it → the
 * places its provider names, and the kernel BTF a probe's expressions are checked with.
 */
import type { Expr, ProbeRef } from '../specs/ast.js';
import { walk } from '../specs/walk.js';
import type { BtfSource } from '../compile/context.js';
import type { ProbeHost } from '../probes/host.js';
import type { ResolvedProbe } from '../probes/provider.js';
import { refQuery, resolveProbe } from '../probes/registry.js';

/**
 * `readsArgs`: whether the probe's expressions read its arguments (`readsProbeArgs`). A `t:`
 * probe that does not is loaded at a raw tracepoint where the kernel has one; a USDT probe
 * that does has its sites grouped by argument layout.
 */
export function resolveRef(r: ProbeRef, pid: number | undefined, readsArgs: boolean, host: ProbeHost): ResolvedProbe[] {
  return resolveProbe(refQuery(r, pid, readsArgs), host);
}

/**
 * Do these expressions (a trace probe's predicate and arguments, an argdist specifier's
 * expressions and filter) read the probe's arguments: the tracepoint record (`args`), `argN`,
 * the return value, `$entry`/`$latency`, `ctx`, or a bare name (a parameter or a record field;
 * an error otherwise, whose hints name the record's fields)? `$COMM`, `$PID`, constants
 * (literals and capitalised names: `SIGKILL`) and stacks read none.
 */
export function readsProbeArgs(exprs: readonly (Expr | undefined)[]): boolean {
  let reads = false;
  for (const e of exprs) {
    if (e === undefined || reads) continue;
    walk(e, (n) => {
      switch (n.kind) {
        case 'args':
        case 'arg':
        case 'retval':
        case 'entry':
        case 'latency':
        case 'ctx':
          reads = true;
          break;
        case 'ident':
          // A name spelled as a constant (O_CREAT) reads nothing where it is one; where it
          // is a parameter (`p::f(int FD)`), the probe is no tracepoint or USDT site anyway.
          if (!/^_*[A-Z][A-Z0-9_]*$/.test(n.name)) reads = true;
      }
    });
  }
  return reads;
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
