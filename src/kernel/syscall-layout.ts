/**
 * Where the running kernel keeps what a program at raw sys_exit needs to know about the
 * syscall (its number; sys_enter is passed it) and whether it is a compat (32-bit) syscall,
 * which the kernel's syscalls:* events leave out (ARCH_TRACE_IGNORE_COMPAT_SYSCALLS):
 *
 *   x86-64  number: pt_regs.orig_ax          compat: task_struct.thread_info.status & TS_COMPAT
 *                                            (read through bpf_get_current_task_btf where it can be)
 *   arm64   number: pt_regs.syscallno (s32)  compat: pt_regs.pstate & PSR_MODE32_BIT (AArch32)
 *
 * Offsets come from the kernel's BTF; without BTF, the registers' fixed layout of the
 * architecture is used, but x86-64's thread_info has moved between versions, so there the
 * answer is undefined (syscall events then take perf-event tracepoints).
 */
import { loadKernelBtf } from './btf.js';
import { haveCurrentTaskBtf } from '../features/probes.js';
import type { BtfSpec } from '../btf/index.js';
import type { CompatFlag, SyscallNr } from '../compile/tools/count.js';
import { hostArch, PT_REGS, PT_REGS_SLOTS, type Arch } from '../symbols/arch.js';

export interface SyscallLayout {
  /** The number at sys_exit, in the saved registers. */
  readonly exitNr: Extract<SyscallNr, { from: 'regs' }>;
  /** undefined: the kernel runs no compat syscalls. */
  readonly compat?: CompatFlag;
}

/** TS_COMPAT (arch/x86/include/asm/thread_info.h). */
const TS_COMPAT = 0x2;
/** PSR_MODE32_BIT (arch/arm64/include/uapi/asm/ptrace.h). */
const PSR_MODE32_BIT = 0x10;

const KNOWN_EXIT_NR: Readonly<Record<Arch, SyscallLayout['exitNr']>> = {
  x64: { from: 'regs', ...PT_REGS.x64.syscallNr },
  arm64: { from: 'regs', ...PT_REGS.arm64.syscallNr },
};
const KNOWN_ARM64_PSTATE: CompatFlag = { base: 'regs', offset: PT_REGS_SLOTS.arm64['pstate']!, size: 8, mask: PSR_MODE32_BIT };

function member(spec: BtfSpec, struct: string, path: readonly string[]): { offset: number; size: number } | undefined {
  const ids = spec.idsByName(struct, 'struct');
  if (ids.length === 0) return undefined;
  try {
    const m = spec.memberPath(ids[0]!, path);
    if (m.bitOffset % 8 !== 0 || m.bitSize !== 0) return undefined;
    return { offset: m.bitOffset / 8, size: spec.sizeof(m.type) };
  } catch {
    return undefined;
  }
}

const sized = (n: number): n is 1 | 2 | 4 | 8 => n === 1 || n === 2 || n === 4 || n === 8;

function fromBtf(spec: BtfSpec, arch: Arch): SyscallLayout | undefined {
  const nr = member(spec, 'pt_regs', [arch === 'x64' ? 'orig_ax' : 'syscallno']);
  if (!nr || (nr.size !== 4 && nr.size !== 8)) return undefined;
  const exitNr = { from: 'regs', offset: nr.offset, size: nr.size } as const;
  if (arch === 'x64') {
    const status = member(spec, 'task_struct', ['thread_info', 'status']);
    // A kernel without IA32 emulation still has the field; TS_COMPAT is then never set.
    if (!status || !sized(status.size)) return undefined;
    const base = haveCurrentTaskBtf.available() ? 'task_btf' : 'task';
    return { exitNr, compat: { base, offset: status.offset, size: status.size, mask: TS_COMPAT } };
  }
  const pstate = member(spec, 'pt_regs', ['pstate']);
  if (!pstate || !sized(pstate.size)) return undefined;
  return { exitNr, compat: { base: 'regs', offset: pstate.offset, size: pstate.size, mask: PSR_MODE32_BIT } };
}

let cached: { layout: SyscallLayout | undefined } | undefined;

/** The layout of this kernel (cached); undefined when it cannot be known. */
export function syscallLayout(arch: Arch = hostArch()): SyscallLayout | undefined {
  if (cached) return cached.layout;
  let spec: BtfSpec | undefined;
  try {
    spec = loadKernelBtf();
  } catch {
    spec = undefined;
  }
  const layout = spec ? fromBtf(spec, arch) : arch === 'arm64' ? { exitNr: KNOWN_EXIT_NR.arm64, compat: KNOWN_ARM64_PSTATE } : undefined;
  cached = { layout };
  return layout;
}

/** Exposed for tests: the known layouts used without BTF. */
export const KNOWN_LAYOUT = { exitNr: KNOWN_EXIT_NR, arm64Pstate: KNOWN_ARM64_PSTATE };
