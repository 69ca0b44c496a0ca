/**
 * Whether this process may trace at all: CAP_BPF and CAP_PERFMON (Linux 5.8+), or
 * CAP_SYS_ADMIN, in its effective capability set (/proc/self/status `CapEff`). Used to say
 * "run as root" when the kernel refuses us, instead of a bare EPERM.
 */
import { readFileSync } from 'node:fs';

const CAP_SYS_ADMIN = 21n;
const CAP_PERFMON = 38n;
const CAP_BPF = 39n;

export const PRIVILEGE_ADVICE = 'run as root: tracing needs the CAP_BPF and CAP_PERFMON capabilities (CAP_SYS_ADMIN on kernels before 5.8)';

let cached: boolean | undefined;

export function hasTracingCapabilities(): boolean {
  if (cached !== undefined) return cached;
  let eff = 0n;
  try {
    const m = /^CapEff:\s*([0-9a-f]+)$/m.exec(readFileSync('/proc/self/status', 'utf8'));
    if (m) eff = BigInt(`0x${m[1]}`);
  } catch {
    return (cached = process.getuid?.() === 0);
  }
  const has = (c: bigint) => ((eff >> c) & 1n) === 1n;
  return (cached = (has(CAP_BPF) && has(CAP_PERFMON)) || has(CAP_SYS_ADMIN));
}
